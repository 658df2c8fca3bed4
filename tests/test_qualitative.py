"""Testimonies: theme counts and quotes."""

from __future__ import annotations

import pandas as pd
import pytest

from evaluation.measures.qualitative import quotes_by_theme, theme_counts

T = pd.DataFrame({
    "testimony_id": ["t1", "t2", "t3", "t4"],
    "date": pd.to_datetime(["2021-01-01", "2023-05-01", "2022-01-01", "2023-05-01"]),
    "actor_kind": ["association", "habitant", "business", "association"],
    "territory": ["chenove"] * 4,
    "themes": ["emploi|lien social", "lien social", "Emploi", "coopération ; lien social"],
    "text": ["A", "B", "C", "B"],
})


def test_theme_counts_by_hand():
    out = theme_counts(T).set_index("theme")
    assert out.loc["lien social", "count"] == 3 and out.loc["emploi", "count"] == 2
    assert out.loc["coopération", "share"] == pytest.approx(0.25)
    assert list(out.index) == ["lien social", "emploi", "coopération"]


def test_quotes_are_recent_and_not_repeated():
    q = quotes_by_theme(T)
    assert q["theme"].tolist()[0] == "lien social" and q["text"].tolist()[0] == "B"  # most recent (t2 before t4 by id)
    assert q["text"].is_unique
    assert q.set_index("theme").loc["emploi", "text"] == "C"
