"""The benchmarks run: each module of ``benchmarks/`` at its tiny size, and ``benchmarks/run.py``'s
reporting (one line per benchmark, an error line for one that raises, the exit status).

At the tiny size the ratios mean nothing and the targets are not checked: what is checked is
that every benchmark still runs against the package as it is, and prints well-formed lines, so
that a change of the package that breaks a benchmark fails here rather than in ``make bench``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _runner():
    spec = importlib.util.spec_from_file_location("benchmarks_run", BENCHMARKS / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # puts benchmarks/ on sys.path, for _timing
    return module


runner = _runner()
timing = sys.modules["_timing"]
FILES = runner.benchmark_files()
# Even at the tiny size these start several Jupyter kernels and processes (a cold report, a floor
# notebook, a sequential papermill loop, a spawned batch worker, a Dask worker) or create two
# virtual environments: a minute or more each on a 2-core machine. `slow`, as the national builds:
# part of `make test` and CI, deselected locally with -m "not slow".
SLOW = {"batch", "batch_national", "disclosure_audit", "secrecy_set", "setup"}


@pytest.fixture(scope="module", autouse=True)
def _no_warm_kernels_left():
    """The warm kernels some benchmarks start in this process are shut down after this module."""
    yield
    from evaluation.report.runs.warm import shutdown_pools

    shutdown_pools()


def test_every_benchmark_module_is_found():
    assert len(FILES) >= 13 and "reach" in FILES and "setup" in FILES


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in sorted(FILES)])
def test_benchmark_runs_at_tiny_size(name):
    results = runner.load(FILES[name]).run(size="tiny")  # raises here, with its traceback, if broken
    assert isinstance(results, list) and results, "run() returns a list of (line, ok)"
    names = []
    for line, ok in results:
        assert isinstance(ok, bool)
        assert not timing.ERROR_LINE.match(line), line  # a sub-benchmark that raised (traceback above)
        match = timing.LINE.match(line)
        assert match, f"malformed line: {line!r}"
        names.append(match["name"])
    assert len(set(names)) == len(names), names


def test_an_unknown_size_is_refused():
    with pytest.raises(ValueError, match="tiny"):
        runner.load(FILES["validation"]).run(size="small")
    with pytest.raises(SystemExit):
        runner.main(["--size", "small"])


def _fake_benchmarks(folder: Path) -> Path:
    """Three benchmark modules: one raises, one misses its target, one meets it."""
    folder.mkdir()
    (folder / "bench_a_broken.py").write_text(
        "def run(*, size='full'):\n    return next(iter([]))\n", encoding="utf-8")
    (folder / "bench_b_missed.py").write_text(
        "def run(*, size='full'):\n    return [('b: ratio=2.00 target<=1 (slow side vs fast side)', False)]\n",
        encoding="utf-8")
    (folder / "bench_c_met.py").write_text(
        "def run(*, size='full'):\n    return ('c: ratio=0.50 target<=1 (fast side vs slow side)', True)\n",
        encoding="utf-8")
    return folder


def test_a_benchmark_that_raises_is_one_error_line_and_the_others_run(tmp_path, capsys):
    folder = _fake_benchmarks(tmp_path / "benchmarks")
    status = runner.main([], folder=folder)
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0].startswith("a_broken: error StopIteration: ")
    assert timing.ERROR_LINE.match(lines[0]) and "bench_a_broken.py:2" in lines[0]
    assert lines[1:] == ["b: ratio=2.00 target<=1 (slow side vs fast side)",
                         "c: ratio=0.50 target<=1 (fast side vs slow side)"]
    assert "Traceback" in err and "StopIteration" in err
    assert status == 1


@pytest.mark.parametrize(("names", "size", "status"), [
    (["c_met"], "full", 0),  # every target met
    (["b_missed", "c_met"], "full", 1),  # a target missed
    (["b_missed"], "tiny", 0),  # at the tiny size the targets are not checked…
    (["a_broken", "c_met"], "tiny", 1),  # …but a benchmark that raises still fails
])
def test_the_exit_status_says_whether_a_target_was_missed(tmp_path, capsys, names, size, status):
    folder = _fake_benchmarks(tmp_path / "benchmarks")
    assert runner.main(["--size", size, *names], folder=folder) == status
    assert len(capsys.readouterr().out.splitlines()) == len(names)


def test_an_unknown_benchmark_name_is_refused(tmp_path, capsys):
    folder = _fake_benchmarks(tmp_path / "benchmarks")
    assert runner.main(["nope"], folder=folder) == 2
    assert "nope" in capsys.readouterr().err


def test_the_size_is_read_from_the_environment(tmp_path, capsys, monkeypatch):
    folder = _fake_benchmarks(tmp_path / "benchmarks")
    monkeypatch.setenv(timing.SIZE_ENV, "tiny")
    assert runner.main(["b_missed"], folder=folder) == 0
    monkeypatch.setenv(timing.SIZE_ENV, "huge")
    with pytest.raises(SystemExit):
        runner.main(["b_missed"], folder=folder)


def test_a_batch_s_failed_runs_are_named_in_the_line_and_told_in_full_on_stderr(capsys):
    from evaluation.report.runs.batch import RunResult

    results = [RunResult("chenove", True, "r.html"),
               RunResult("talant", False, "", error="Kernel died\nbefore the first cell " + "x" * 200, attempts=2)]
    note = timing.failed_runs(results)
    assert note.startswith("; failed: talant (Kernel died before the first cell xxx") and note.endswith("...)")
    assert "chenove" not in note and timing.failed_runs(results[:1]) == ""
    assert "talant failed after 2 attempt(s)" in capsys.readouterr().err
