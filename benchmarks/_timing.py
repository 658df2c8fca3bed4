"""Timing helper shared by the benchmarks."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable


def best_of(fn: Callable[[], object], *, repeat: int = 7) -> float:
    """Best wall-clock time of ``repeat`` calls (seconds): the least disturbed run.

    Garbage is collected before each call so that one call does not pay for another's.
    """
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)
