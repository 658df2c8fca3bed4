"""Cached loading vs validating the raw exports again.

``load_dataset`` keeps validated, typed tables in parquet keyed by the inputs' hashes. This
compares a cached load with a full read-and-validate of the same exports (20× the sample,
about 16,000 accompaniments). Target: the cached load takes at most half the time.
At ``size="tiny"`` (the test suite): the sample's size, one turn.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _timing import BENCH_KEY, best_of, sized  # noqa: E402
from evaluation.geo.reference import load_reference  # noqa: E402
from evaluation.geo.territories import load_territories  # noqa: E402
from evaluation.io.datasets import load_dataset, validate_tables  # noqa: E402
from evaluation.io.pseudonyms import resolve_key  # noqa: E402
from evaluation.io.sample import generate_sample, write_sample  # noqa: E402

TARGET = 0.5
SCALE = {"full": (20, 7), "tiny": (1, 1)}  # scale of the sample, turns


def run(*, size: str = "full") -> list[tuple[str, bool]]:
    scale, turns = sized(size, **SCALE)
    reference = load_reference()
    codes = frozenset(reference["commune_code"])
    with tempfile.TemporaryDirectory() as tmp:
        data, processed = Path(tmp) / "exports", Path(tmp) / "processed"
        tables = generate_sample(reference, load_territories(), seed=1, scale=scale)
        write_sample(tables, data, seed=1)
        key = resolve_key(BENCH_KEY)  # a stable key: the cache is used
        first = load_dataset(data, reference=reference, processed_dir=processed, pseudonym_key=key)
        assert not first.from_cache
        cached = load_dataset(data, reference=reference, processed_dir=processed, pseudonym_key=key)
        assert cached.from_cache, "load_dataset wrote no cache: the benchmark would time a second validation"
        t_validate = best_of(lambda: validate_tables(data, commune_codes=codes, pseudonym_key=key), repeat=turns)
        t_cached = best_of(lambda: load_dataset(data, reference=reference, processed_dir=processed,
                                                pseudonym_key=key), repeat=turns)
    ratio = t_cached / t_validate
    n = len(tables["accompaniments"])
    line = (f"load_cache: ratio={ratio:.2f} target<={TARGET} (cached load_dataset vs validate_tables "
            f"on the same exports, {n} accompaniments; {t_cached * 1e3:.0f} ms vs {t_validate * 1e3:.0f} ms)")
    return [(line, ratio <= TARGET)]
