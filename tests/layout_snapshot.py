"""What a report shows, for every bundled territory, as bytes a refactoring must not change.

``indicators.csv`` and the network files are written by the notebook's own call
(:func:`evaluation.report.publication.report_publication` with ``output_dir``); the text of every section
(Markdown, tables as CSV, each figure's titles, labels, tick labels, texts and plotted
coordinates) is built by the same section builders the notebook calls, in its order.

Run ``python tests/layout_snapshot.py`` to rewrite ``tests/expected/layout/`` after an
intended change of output (never to make a failing layout test pass after a refactoring).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

EXPECTED = Path(__file__).parent / "expected"
#: The notebook's section cells, in order (notebooks/territory_report.ipynb).
SECTIONS = ("summary", "objectives", "territory_facts", "surroundings", "departements", "reach_reading", "density", "urban_rural", "rates", "qpv", "trends",
            "communes_reached", "distance", "count_model", "venue", "network_effect", "network_reading",
            "network_details", "testimonies", "method", "provenance")


def _figure_text(fig) -> str:
    lines = [f"figure {fig.get_size_inches().tolist()}"]
    for text in fig.findobj(lambda a: hasattr(a, "get_text") and callable(a.get_text)):
        value = text.get_text()
        if value:
            lines.append(f"text {value!r}")
    for ax in fig.axes:
        lines.append(f"axes {ax.get_title()!r} {ax.get_xlabel()!r} {ax.get_ylabel()!r}")
        for line in ax.get_lines():
            xy = line.get_xydata()
            lines.append(f"line {line.get_label()!r} {xy.round(9).tolist()}")
        for patch in ax.patches:
            lines.append(f"patch {[round(float(v), 9) for v in patch.get_extents().bounds]}")
    return "\n".join(lines)


#: Provenance rows that describe the run, not the data: the date and the versions of the machine.
_RUN_ROWS = re.compile(r"^(\d+,(?:Date d'exécution|Python|Paquet evaluation)),.*$", re.MULTILINE)


def section_text(pub) -> str:
    """Every section builder's output for ``pub`` as one text (figures closed after reading)."""
    import matplotlib.pyplot as plt
    import pandas as pd
    from matplotlib.figure import Figure

    from evaluation.report import sections

    out = io.StringIO()
    for name in SECTIONS:
        items = getattr(sections, name)(pub)
        out.write(f"### {name}\n")
        for item in [items] if isinstance(items, str | pd.DataFrame | Figure) else items:
            if isinstance(item, Figure):
                out.write(_figure_text(item) + "\n")
                plt.close(item)
            elif isinstance(item, pd.DataFrame):
                out.write(item.to_csv() + "\n")
            else:
                out.write(str(item) + "\n")
    return _RUN_ROWS.sub(r"\1,<run>", out.getvalue())


def snapshot(territory: str, directory: Path) -> dict[str, bytes]:
    """The files and section text of ``territory``'s report, keyed by relative path."""
    import matplotlib

    matplotlib.use("Agg")
    from evaluation.io.pseudonyms import EPHEMERAL_ENV, KEY_ENV, KEY_FILE_ENV
    from evaluation.report import publication, sections

    sections.setup()
    out = Path(directory) / territory
    # A fixed key: without one, pseudonyms (in quotes, provenance) are drawn at random for each run.
    saved = {name: os.environ.pop(name, None) for name in (KEY_ENV, EPHEMERAL_ENV, KEY_FILE_ENV)}
    os.environ[KEY_ENV] = "layout-guard-key-not-a-secret"
    try:
        pub = publication.report_publication(territory, output_dir=out)
        text = section_text(pub)
    finally:
        for name, value in saved.items():
            os.environ.pop(name, None)
            if value is not None:
                os.environ[name] = value
    files = {f"indicators/{territory}.csv": (out / "indicators.csv").read_bytes(),
             f"layout/{territory}/sections.txt": text.encode()}
    for path in sorted((out / "reseau").glob("*.csv")) if (out / "reseau").exists() else []:
        files[f"layout/{territory}/reseau/{path.name}"] = path.read_bytes()
    return files


def main() -> None:
    from evaluation.geo.territories import load_territories

    shutil.rmtree(EXPECTED / "layout", ignore_errors=True)
    with tempfile.TemporaryDirectory() as tmp:
        for slug in load_territories():
            for name, content in snapshot(slug, Path(tmp)).items():
                target = EXPECTED / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
                print(target.relative_to(EXPECTED.parent.parent))


if __name__ == "__main__":
    sys.exit(main())
