"""Cached loading vs validating the raw exports again.

``load_dataset`` keeps validated, typed tables in parquet keyed by the inputs' hashes. This
compares a cached load with a full read-and-validate of the same exports (20× the sample,
about 16,000 accompaniments). Target: the cached load takes at most half the time.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _timing import best_of  # noqa: E402
from evaluation.geo.reference import load_reference  # noqa: E402
from evaluation.geo.territories import load_territories  # noqa: E402
from evaluation.io.datasets import load_dataset, validate_tables  # noqa: E402
from evaluation.io.pseudonyms import resolve_key  # noqa: E402
from evaluation.io.sample import generate_sample, write_sample  # noqa: E402

TARGET = 0.5


def run() -> tuple[str, bool]:
    reference = load_reference()
    codes = frozenset(reference["commune_code"])
    with tempfile.TemporaryDirectory() as tmp:
        data, processed = Path(tmp) / "exports", Path(tmp) / "processed"
        tables = generate_sample(reference, load_territories(), seed=1, scale=20)
        write_sample(tables, data, seed=1)
        key = resolve_key("benchmark-key-0123456789")  # a stable key: the cache is used
        load_dataset(data, reference=reference, processed_dir=processed, pseudonym_key=key)  # fill the cache
        t_validate = best_of(lambda: validate_tables(data, commune_codes=codes, pseudonym_key=key))
        t_cached = best_of(lambda: load_dataset(data, reference=reference, processed_dir=processed,
                                                pseudonym_key=key))
    ratio = t_cached / t_validate
    n = len(tables["accompaniments"])
    line = (f"load_cache: ratio={ratio:.2f} target<={TARGET} (cached load_dataset vs validate_tables "
            f"on the same exports, {n} accompaniments; {t_cached * 1e3:.0f} ms vs {t_validate * 1e3:.0f} ms)")
    return line, ratio <= TARGET
