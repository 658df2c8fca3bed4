"""Helpers shared by the benchmarks: timing, the two sizes, and the line of a benchmark that failed.

Every benchmark module has ``run(*, size="full")`` returning a list of ``(line, ok)``, one per
benchmark, each line ``NAME: ratio=R target=T (what was compared, sizes)``. ``size="tiny"``
runs the same code on inputs small enough for the test suite (``tests/test_benchmarks.py``):
its ratios mean nothing and its targets are not checked, but a benchmark broken by a change
of the package fails there. ``benchmarks/run.py`` reads the size from :data:`SIZE_ENV`.
"""

from __future__ import annotations

import gc
import re
import sys
import time
import traceback
from collections.abc import Callable
from typing import TypeVar

SIZES = ("full", "tiny")
SIZE_ENV = "EVALUATION_BENCH_SIZE"
BENCH_KEY = "benchmark-key-0123456789"  # as an evaluator with a key: the validated-data cache is used
#: A benchmark's line, and the line of one that raised.
LINE = re.compile(r"^(?P<name>[a-z][a-z_]*): ratio=(?P<ratio>-?(?:\d+(?:\.\d+)?|inf|nan)) "
                  r"target(?P<op><=|>=)(?P<target>\d+(?:\.\d+)?) \((?P<what>.+)\)$")
ERROR_LINE = re.compile(r"^(?P<name>[a-z][a-z_]*): error (?P<type>[A-Za-z_][\w.]*): (?P<message>.*)$")
T = TypeVar("T")


def sized(size: str, *, full: T, tiny: T) -> T:
    """``full`` or ``tiny`` according to ``size``; any other size is refused."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)}, not {size!r}")
    return full if size == "full" else tiny


def timed(fn: Callable[[], object]) -> float:
    """Wall-clock time of one call (seconds)."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def best_of(fn: Callable[[], object], *, repeat: int = 7) -> float:
    """Best wall-clock time of ``repeat`` calls (seconds): the least disturbed run.

    Garbage is collected before each call so that one call does not pay for another's.
    """
    times = []
    for _ in range(repeat):
        gc.collect()
        times.append(timed(fn))
    return min(times)


def one_line(text: str, *, limit: int = 300) -> str:
    """``text`` with its whitespace collapsed, cut to ``limit`` characters."""
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[:limit - 3] + "..."


def failed_runs(results: list) -> str:
    """``"; failed: slug (error), …"`` for the runs of a batch (``RunResult``) that failed, ``""`` if
    none did; each failure's whole error goes to standard error.
    """
    failures = [r for r in results if not r.ok]
    for r in failures:
        print(f"{r.territory} failed after {r.attempts} attempt(s), {r.seconds:.0f} s: {r.error}", file=sys.stderr)
    return "; failed: " + ", ".join(f"{r.territory} ({one_line(r.error, limit=120)})" for r in failures) if failures else ""


def error_line(name: str, exc: BaseException) -> str:
    """``NAME: error <ExceptionType>: <message>`` on one line, with where it was raised."""
    message = one_line(str(exc))
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno})" if frames else ""
    return f"{name}: error {type(exc).__name__}: {message}{where}"


def failed(name: str, exc: BaseException) -> tuple[str, bool]:
    """The error line of a benchmark that raised ``exc``, and a miss.

    Its traceback goes to standard error (with a failed child process's own standard error).
    """
    traceback.print_exception(exc, file=sys.stderr)
    if getattr(exc, "stderr", None):
        print(exc.stderr, file=sys.stderr)
    return error_line(name, exc), False


def guarded(name: str, fn: Callable[[], tuple[str, bool]]) -> tuple[str, bool]:
    """The ``(line, ok)`` of one benchmark, or :func:`failed`'s if it raises, so that the
    other benchmarks of a module still run.
    """
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - one benchmark's failure is reported, the others run
        return failed(name, exc)
