"""Disclosure control, on hand-made tables."""

from __future__ import annotations

import pandas as pd

from evaluation.report.secrecy.disclosure import Disclosure, suppress


def test_primary_and_secondary_suppression():
    t = pd.DataFrame({"group": ["a", "b", "c", "d"], "count": [3, 12, 0, 7]})
    out = suppress(t)
    # 3 is small; alone it could be recovered from the total, so the next smallest non-zero (7) goes too.
    assert out["suppressed"].tolist() == [True, False, False, True]


def test_nothing_small_nothing_suppressed():
    t = pd.DataFrame({"count": [0, 5, 9]})
    assert not suppress(t)["suppressed"].any()


def test_two_small_cells_protect_each_other():
    t = pd.DataFrame({"count": [1, 2, 40]})
    assert suppress(t)["suppressed"].tolist() == [True, True, False]


def test_within_groups():
    t = pd.DataFrame({"programme": ["x", "x", "y", "y"], "count": [2, 30, 10, 20]})
    out = suppress(t, within=["programme"])
    assert out["suppressed"].tolist() == [True, True, False, False]


def test_threshold_and_counter():
    d = Disclosure(threshold=10)
    d(pd.DataFrame({"count": [6, 50, 70]}))
    assert d.value(3) and not d.value(0) and not d.value(12)
    assert d.suppressed_cells == 3  # 6, its secondary 50, and the single value 3
