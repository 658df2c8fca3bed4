"""Run every benchmark in this folder; each prints one line
``NAME: ratio=R target=T (what was compared, sizes)``.

Both sides of a ratio are measured in the same run, since absolute times on shared
machines are noisy. Usage: ``python benchmarks/run.py [--size full|tiny] [NAME …]`` (the
size defaults to the environment variable ``EVALUATION_BENCH_SIZE``, else ``full``; ``tiny``
is what ``tests/test_benchmarks.py`` runs: it checks that every benchmark runs, not its
target).

A benchmark that raises is reported on a line of its own, ``NAME: error <ExceptionType>:
<message>``, with its traceback on standard error, and counts as a missed target; the others
still run. The exit status is 1 when a target was missed (at the tiny size, whose targets mean
nothing: when a benchmark raised), 2 for an unknown name or size, else 0.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _timing import ERROR_LINE, SIZE_ENV, SIZES, failed  # noqa: E402


def benchmark_files(folder: Path = HERE) -> dict[str, Path]:
    """Each benchmark module of ``folder`` by its name (``bench_reach.py`` → ``reach``)."""
    return {p.stem.removeprefix("bench_"): p for p in sorted(folder.glob("bench_*.py"))}


def load(path: Path) -> ModuleType:
    """Import a benchmark module from its file."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_file(path: Path, *, size: str) -> list[tuple[str, bool]]:
    """The ``(line, ok)`` of every benchmark of one module; one error line if it raises."""
    try:
        results = load(path).run(size=size)
    except Exception as exc:  # noqa: BLE001 - one module's failure is reported, the others run
        return [failed(path.stem.removeprefix("bench_"), exc)]
    return results if isinstance(results, list) else [results]


def main(argv: list[str], *, folder: Path = HERE) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=SIZES, default=os.environ.get(SIZE_ENV) or "full")
    parser.add_argument("names", nargs="*", help="benchmark modules to run (default: all)")
    args = parser.parse_args(argv)
    if args.size not in SIZES:  # argparse does not check a default taken from the environment
        parser.error(f"{SIZE_ENV}={args.size!r}: the size is one of {', '.join(SIZES)}")
    files = benchmark_files(folder)
    unknown = sorted(set(args.names) - set(files))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(files)}", file=sys.stderr)
        return 2
    status = 0
    for name, path in files.items():
        if args.names and name not in args.names:
            continue
        for line, ok in run_file(path, size=args.size):
            print(line, flush=True)
            missed = not ok if args.size == "full" else bool(ERROR_LINE.match(line))
            status |= int(missed)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
