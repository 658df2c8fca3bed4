"""Atomic writes: an interrupted or failing write leaves the previous output as it was."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from evaluation import _io
from evaluation._io import atomic_dir, atomic_write, remove_orphans, start_atomic_write, work_dir


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


@pytest.mark.skipif(not _io.fork_available(), reason="no fork here")
def test_a_started_write_is_done_by_a_child_process(tmp_path):
    target = tmp_path / "communes.geojson"
    wait = start_atomic_write(target, lambda p: p.write_text(str(os.getpid())))
    assert wait() == target
    assert int(target.read_text()) != os.getpid()  # written by the child
    assert [p.name for p in tmp_path.iterdir()] == ["communes.geojson"]


def test_a_write_that_fails_in_the_child_is_done_here(tmp_path):
    parent = os.getpid()

    def only_here(p):
        if os.getpid() != parent:
            raise RuntimeError("no thread in a forked child")
        p.write_text("here")

    target = tmp_path / "communes.geojson"
    assert start_atomic_write(target, only_here)() == target
    assert target.read_text() == "here"
    assert [p.name for p in tmp_path.iterdir()] == ["communes.geojson"]


def test_a_started_write_that_fails_raises_here_and_keeps_the_previous_file(tmp_path):
    target = tmp_path / "communes.geojson"
    target.write_text("old")

    def disk_full(p):
        p.write_text("half")
        raise OSError(28, "No space left on device")

    wait = start_atomic_write(target, disk_full)
    with pytest.raises(OSError, match="No space left"):
        wait()
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["communes.geojson"]


def test_without_fork_a_started_write_is_done_here(tmp_path, monkeypatch):
    monkeypatch.setattr(_io, "fork_available", lambda: False)
    target = tmp_path / "communes.geojson"
    wait = start_atomic_write(target, lambda p: p.write_text(str(os.getpid())))
    assert not target.exists()  # written when waited for
    assert wait() == target
    assert int(target.read_text()) == os.getpid()


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
