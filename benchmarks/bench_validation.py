"""Reporting problems and pseudonymising names at the scale of a large broken export.

- ``problems_render``: the problems table of 500,000 bad cells (a whole column of dates in
  the wrong format, plus merged communes naming their successor), rendered by
  :func:`evaluation.problems.render_problems`, which formats each distinct message once,
  vs formatting each row's message and fix (a plain loop). Target: at most a fifth.
- ``pseudonyms``: 1,000,000 names (5,000 distinct structures) replaced by their HMAC
  pseudonyms with :func:`evaluation.io.pseudonyms.pseudonymise` (one hash per distinct name)
  vs hashing every row. Target: at most half.

Both sides give the same strings (checked). At ``size="tiny"`` (the test suite): 2,000 problems
and 5,000 names (100 distinct), one turn.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from _timing import BENCH_KEY, best_of, guarded, sized  # noqa: E402
from evaluation._text import normalise_name  # noqa: E402
from evaluation.io.pseudonyms import pseudonymise, resolve_key  # noqa: E402
from evaluation.problems import CATALOGUE, Problems, render_problems  # noqa: E402

SCALE = {"full": (500_000, 1_000_000, 5_000, 3), "tiny": (2_000, 5_000, 100, 1)}  # problems, names, distinct, turns
MERGED = 1_000  # rows naming a merged commune


def _problems(n: int) -> pd.DataFrame:
    problems = Problems()
    problems.add("accompaniments.csv", "date_invalid", rows=range(2, n + 2), column="start_date",
                 values=[f"{i % 28 + 1}-13-2021" for i in range(n)])
    problems.add("accompaniments.csv", "commune_merged", rows=range(n + 2, n + MERGED + 2),
                 column="commune_code", values=["21073"] * MERGED, name="Bierre-lès-Semur", successor="21272",
                 successor_name="Val-Larrey")
    return problems.frame()


def _naive_render(raw: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for r in raw.itertuples(index=False):
        m = CATALOGUE[r.code]
        fields = {"value": r.value or "", "column": r.column or "", "file": r.file, **json.loads(r.params)}
        rows.append((m.fr.format(**fields), m.fix_fr.format(**fields)))
    return pd.DataFrame(rows, columns=["problem", "fix"])


def bench_problems_render(n_problems: int, turns: int) -> tuple[str, bool]:
    raw = _problems(n_problems)
    ours = render_problems(raw, lang="fr")
    naive = _naive_render(raw)
    assert ours["problem"].tolist() == naive["problem"].tolist() and ours["fix"].tolist() == naive["fix"].tolist()
    t_ours = best_of(lambda: render_problems(raw, lang="fr"), repeat=turns)
    t_naive = best_of(lambda: _naive_render(raw), repeat=turns)
    ratio = t_ours / t_naive
    return (f"problems_render: ratio={ratio:.2f} target<=0.2 (render_problems {t_ours:.2f}s vs a per-row format "
            f"loop {t_naive:.2f}s, {len(raw):,} problems, French)", ratio <= 0.2)


def bench_pseudonyms(n_names: int, n_distinct: int, turns: int) -> tuple[str, bool]:
    key = resolve_key(BENCH_KEY)
    rng = np.random.default_rng(0)
    names = pd.Series(np.array([f"Structure solidaire n°{i}" for i in range(n_distinct)])[
        rng.integers(0, n_distinct, n_names)], dtype="string")

    def per_row() -> list[str]:
        return ["P-" + hmac.new(key.secret, normalise_name(n).encode(), hashlib.sha256).hexdigest()[:10]
                for n in names]

    assert pseudonymise(names, key).tolist() == per_row()
    t_ours = best_of(lambda: pseudonymise(names, key), repeat=turns)
    t_naive = best_of(per_row, repeat=turns)
    ratio = t_ours / t_naive
    return (f"pseudonyms: ratio={ratio:.2f} target<=0.5 (pseudonymise {t_ours:.2f}s vs one HMAC per row "
            f"{t_naive:.2f}s, {n_names:,} names, {n_distinct:,} distinct)", ratio <= 0.5)


def run(*, size: str = "full") -> list[tuple[str, bool]]:
    n_problems, n_names, n_distinct, turns = sized(size, **SCALE)
    return [guarded("problems_render", lambda: bench_problems_render(n_problems, turns)),
            guarded("pseudonyms", lambda: bench_pseudonyms(n_names, n_distinct, turns))]
