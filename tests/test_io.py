"""Atomic writes: an interrupted or failing write leaves the previous output as it was."""

from __future__ import annotations

import subprocess
import sys

import pytest

from evaluation._io import atomic_dir, atomic_write, remove_orphans, work_dir


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


def test_only_the_folders_of_dead_processes_of_this_host_are_removed(tmp_path):
    mine = work_dir(tmp_path, "chenove.run")
    code = f"from evaluation._io import work_dir; print(work_dir({str(tmp_path)!r}, 'beaune.run'))"
    dead = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    elsewhere = tmp_path / ".auxois.run.@otherhost-1.abcd"  # a Dask worker's, on another machine
    elsewhere.mkdir()
    plain = tmp_path / ".not-ours"
    plain.mkdir()
    assert remove_orphans(tmp_path) == [tmp_path / dead.rsplit("/", 1)[-1]]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([mine.name, elsewhere.name, plain.name])
