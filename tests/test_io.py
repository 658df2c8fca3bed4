"""Atomic writes: an interrupted or failing write leaves the previous output as it was."""

from __future__ import annotations

import pytest

from evaluation._io import atomic_dir, atomic_write


def test_failing_write_keeps_the_previous_file(tmp_path):
    target = tmp_path / "indicators.csv"
    atomic_write(target, lambda p: p.write_text("old"))

    def interrupted(p):
        p.write_text("half of the new cont")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, interrupted)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["indicators.csv"]  # no temporary file left


def test_failing_folder_keeps_the_previous_folder(tmp_path):
    target = tmp_path / "chenove"
    with atomic_dir(target) as tmp:
        (tmp / "report.html").write_text("old")
    with pytest.raises(RuntimeError), atomic_dir(target) as tmp:
        (tmp / "report.html").write_text("new")
        raise RuntimeError("kernel died")
    assert (target / "report.html").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["chenove"]
    with atomic_dir(target) as tmp:
        (tmp / "report.html").write_text("new")
    assert (target / "report.html").read_text() == "new"
