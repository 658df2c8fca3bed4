"""What the report notebook showed, kept for the Word and PDF documents (report layer).

:func:`evaluation.report.sections.show` displays each builder's items in the notebook. During
a run that writes files (:func:`evaluation.report.publication.report_publication` with an
``output_dir`` calls :func:`start`), it also keeps them here with :func:`keep`: Markdown
texts and tables as they are, each figure as a :class:`ShownFigure` — a PNG drawn **once**,
at print resolution (:data:`FIGURE_DPI`), that the notebook displays at its screen size and
the Word and PDF documents embed as it is, with its French alternative text. The renderer
(:func:`evaluation.report.formats.document.build_document`) reads them back with :func:`load` instead
of running the builders and drawing the figures a second time in its own process.

The hand-over file (:data:`SHOWN_FILE`, a pickle in the run's temporary folder) is never
published: the renderer deletes it with the publication's.
"""

from __future__ import annotations

import io
import pickle
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from evaluation._io import atomic_write

__all__ = ["FIGURE_DPI", "SCREEN_DPI", "SHOWN_FILE", "ShownFigure", "shown_figure", "figure_title", "figure_alt",
           "start", "keep", "load"]

#: Resolution of the figures' PNG (print quality for a 16 cm wide figure in Word and PDF).
FIGURE_DPI = 150
#: Resolution the notebook displays figures at (``figure.dpi`` of :func:`evaluation.report.sections.setup`).
SCREEN_DPI = 110
#: File of the run's temporary folder that holds what was shown (deleted before publishing).
SHOWN_FILE = ".shown.pickle"

_ALT_END = "Les chiffres de ce graphique sont donnés dans le texte et les tableaux voisins."


@dataclass(frozen=True)
class ShownFigure:
    """A figure as drawn once: its PNG at :data:`FIGURE_DPI`, size in pixels, title and alt text."""

    png: bytes
    width_px: int
    height_px: int
    title: str
    alt: str

    @property
    def screen_width(self) -> int:
        """Width, in CSS pixels, at which the notebook shows it (its size at :data:`SCREEN_DPI`)."""
        return round(self.width_px * SCREEN_DPI / FIGURE_DPI)


def figure_title(fig: Figure) -> str:
    """The figure's title: its ``suptitle``, else its axes' titles joined, else ``"Figure"``."""
    if fig._suptitle is not None and fig._suptitle.get_text():  # noqa: SLF001 - matplotlib has no public getter
        return fig._suptitle.get_text()  # noqa: SLF001
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    return " — ".join(titles) if titles else "Figure"


def _colorbar_label(ax) -> str:
    return ax.get_ylabel() or ax.get_xlabel()


def figure_alt(fig: Figure, title: str | None = None) -> str:
    """French alternative text: what the figure is and what its axes, colours and legend show.

    Axes drawn without axis lines (maps, network drawings) have no axis to describe: the labels
    a library left on them (e.g. a map's coordinate reference system, « Geodetic longitude
    [degree] ») are not shown to readers and are not said. A map is an axes without axis lines
    that carries a colour scale (a colorbar); it is said as « Carte », with the scale's label
    and the legend's keys.
    """
    title = title or figure_title(fig)
    scales = [_colorbar_label(ax) for ax in fig.axes if ax.get_label() == "<colorbar>" and _colorbar_label(ax)]
    parts = [title]
    for ax in fig.axes:
        if ax.get_label() == "<colorbar>":
            continue
        legend = ax.get_legend()
        keys = [t.get_text() for t in legend.get_texts() if t.get_text()] if legend else []
        if ax.axison:
            bits = [s for s in (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) if s and s != title]
            if bits:
                parts.append(" ; ".join(bits))
        elif scales:
            areas, coloured = (("départements", "colorés") if "par département" in title  # France, a région
                               else ("communes", "colorées"))
            parts.append(f"Carte des {areas}" + "".join(f", {coloured} selon : {s}" for s in scales)
                         + (f" ; légende : {', '.join(keys)}" if keys else ""))
            scales = []
            continue
        elif ax.get_title() and ax.get_title() != title:
            parts.append(ax.get_title())
        if keys:
            parts.append("Légende : " + ", ".join(keys))
    return ". ".join(p.rstrip(".") for p in parts) + ". " + _ALT_END


def shown_figure(fig: Figure) -> ShownFigure:
    """Draw ``fig`` once at :data:`FIGURE_DPI` (tight bounding box, as the notebook shows it) and close it."""
    import matplotlib.pyplot as plt  # pyplot (which picks a backend) only when figures are drawn

    title = figure_title(fig)
    alt = figure_alt(fig, title)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=FIGURE_DPI, bbox_inches="tight")
    plt.close(fig)
    data = buf.getvalue()
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return ShownFigure(data, width, height, title, alt)


# --------------------------------------------------------------------------- the run's record
_RUN: dict = {"folder": None, "shown": []}


def start(folder: str | Path | None) -> None:
    """Keep what is shown from now on in ``folder`` (``None``: keep nothing), forgetting any earlier run."""
    _RUN["folder"] = Path(folder) if folder is not None else None
    _RUN["shown"] = []
    if _RUN["folder"] is not None:
        _write()


def keep(items: list[str | pd.DataFrame | ShownFigure]) -> None:
    """Record the items of one :func:`evaluation.report.sections.show` call (when a run keeps them)."""
    if _RUN["folder"] is None:
        return
    _RUN["shown"].append(list(items))
    _write()


def _write() -> None:
    payload = pickle.dumps(_RUN["shown"], protocol=pickle.HIGHEST_PROTOCOL)
    atomic_write(_RUN["folder"] / SHOWN_FILE, lambda p: p.write_bytes(payload))


def load(folder: str | Path) -> list[list[str | pd.DataFrame | ShownFigure]] | None:
    """The items of each ``show`` call of the run that wrote ``folder``, in order; ``None`` if none were kept."""
    path = Path(folder) / SHOWN_FILE
    if not path.exists():
        return None
    return pickle.loads(path.read_bytes())  # noqa: S301 - our own run's file
