"""Withheld table cells (« s ») over two sets of reports, as the issue 25 measures them.

* Côte-d'Or and its 19 EPCI at threshold 11, on illustrative data drawn for that territories
  file (``evaluation sample --territories FILE``, seed 2024), decided as one batch;
* the five bundled territories (Chenôve, Dijon Métropole, Châtillonnais, Auxois, Côte-d'Or)
  on the bundled sample, at thresholds 5 and 11.

A withheld table cell is what a report counts as withheld (``Publication.suppressed_cells``:
table rows shown « s » and withheld indicators). The script runs on whatever version of the
package is on the path, so the same script gives the figure before (``PYTHONPATH`` of the
main branch) and after; where the version decides publication sets
(:func:`evaluation.report.runs.secrecy.set_publications`), the batch is decided as one set
and audited as one (withheld counts a reader could recover across its reports). Usage::

    python benchmarks/secrecy_counts.py
"""

from __future__ import annotations

import os
import tempfile
import time
import warnings
from pathlib import Path

from evaluation.geo.reference import load_reference
from evaluation.geo.territories import load_territories
from evaluation.io.pseudonyms import KEY_ENV
from evaluation.io.sample import generate_sample, write_sample
from evaluation.report import context, publication
from evaluation.report.secrecy.audit import audit

try:  # the version with publication sets
    from evaluation.report.runs.secrecy import audit_members, set_publications
except ImportError:  # the version before
    set_publications = audit_members = None

COTE_D_OR = """territories:
  cote-d-or:
    label: "Côte-d'Or"
    split_date: 2020-01-01
    departements: ["21"]
    sites:
      - {label: "Pôle d'économie solidaire (Dijon)", commune: "21231"}
generate:
  - every_epci_of: "21"
    split_date: 2020-01-01
    sites:
      - {label: "Pôle d'économie solidaire (Dijon)", commune: "21231"}
"""
BUNDLED = ["chenove", "dijon-metropole", "chatillonnais", "auxois", "cote-d-or"]


def count(slugs: list[str], *, threshold: int, **options) -> tuple[int, int, str]:
    """Withheld table cells over ``slugs``, the failing cells of the reports' own audits, and
    what the set audit found (or why it was not run).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if set_publications is not None:
            decided = set_publications(slugs, threshold=threshold, **options)
            pubs = [p.publication for p in decided.values()]
            found = audit_members([p.member for p in decided.values()], threshold=threshold)
            across = f"set audit: {len(found.recoverable)} recoverable of {found.cells} withheld"
        else:
            pubs = []
            for slug in slugs:
                ctx = context.prepare_context(slug, **options)
                pubs.append(publication.publish(ctx, ctx.reach(), ctx.network(permutations=20), ctx.venue(),
                                                threshold=threshold))
            across = "no set audit in this version"
        failing = sum(int((~audit(p)["ok"]).sum()) for p in pubs)
    return sum(p.suppressed_cells for p in pubs), failing, across


def main() -> None:
    os.environ.setdefault(KEY_ENV, "benchmark-key-0123456789")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        terr = tmp / "territories.yml"
        terr.write_text(COTE_D_OR, encoding="utf-8")
        territories = load_territories(terr)
        write_sample(generate_sample(load_reference(), territories), tmp / "data", seed=2024)
        start = time.perf_counter()
        cells, failing, across = count(list(territories), threshold=11, territories_file=terr, data_dir=tmp / "data")
        print(f"cote-d-or + {len(territories) - 1} EPCI, threshold 11: {cells} withheld table cells "
              f"({failing} failing the reports' own audits; {across}; {time.perf_counter() - start:.0f} s)",
              flush=True)
    for threshold in (5, 11):
        start = time.perf_counter()
        cells, failing, across = count(BUNDLED, threshold=threshold)
        print(f"five bundled territories, threshold {threshold}: {cells} withheld table cells "
              f"({failing} failing the reports' own audits; {across}; {time.perf_counter() - start:.0f} s)",
              flush=True)


if __name__ == "__main__":
    main()
