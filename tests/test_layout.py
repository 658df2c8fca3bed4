"""The refactoring guard: every bundled territory's figures and texts are unchanged.

The expected files were written by ``tests/layout_snapshot.py`` BEFORE the package was split
into ``io``/``geo``/``measures``/``report`` (issue 14), from the notebook's own call
(``report_publication(territory, output_dir=...)``) and section builders. A module move or
split must leave them identical, byte for byte.
"""

from __future__ import annotations

import pytest

from evaluation.geo.territories import load_territories

from .layout_snapshot import EXPECTED, snapshot


@pytest.mark.parametrize("territory", sorted(load_territories()))
def test_outputs_unchanged(territory, tmp_path):
    got = snapshot(territory, tmp_path)
    expected = {p.relative_to(EXPECTED).as_posix() for p in (EXPECTED / "layout" / territory).rglob("*")
                if p.is_file()} | {f"indicators/{territory}.csv"}
    assert set(got) == expected
    for name in sorted(got):
        assert got[name] == (EXPECTED / name).read_bytes(), f"{name} changed"
