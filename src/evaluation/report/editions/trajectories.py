"""Trajectories of a territory's headline indicators across its editions, for the index page
(report layer).

Read from the editions' manifests (:mod:`evaluation.report.editions.manifest`: already protected, withheld
values are ``null``); an edition whose manifest is missing or edited is left out and
named. One small-multiples figure per territory: one panel per headline indicator, the
editions' dates on the horizontal axis, intervals as error bars.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from evaluation.report.editions.manifest import MANIFEST, ManifestError, read_manifest

__all__ = ["edition_trajectories", "trajectory_figure", "trajectories_html"]

#: Headline indicators drawn (those of the index table), with their axis labels.
TRAJECTORY_CODES = {"acc_total": "Accompagnements", "part_rural": "Part rurale", "part_qpv": "Part en QPV",
                    "taux_10k": "Pour 10 000 hab.", "liens_nouveaux": "Nouveaux liens",
                    "effet_reseau": "Effet des rencontres (ajusté)", "taux_conversion": "Conversion brute"}


def edition_trajectories(root: Path | str, territories: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """The headline indicators of every edition of ``territories`` under ``root``
    (``<root>/<territory>/editions/*/manifest.json``): one row per territory, edition and
    indicator (``territory``, ``edition``, ``as_of``, ``code``, ``value``, ``low``, ``high``,
    ``secret``), and the editions refused (missing or edited manifest).
    """
    rows, refused = [], []
    for slug in territories:
        for manifest_path in sorted(Path(root, slug, "editions").glob(f"*/{MANIFEST}")):
            try:
                m = read_manifest(manifest_path.parent)
            except ManifestError:
                refused.append(f"{slug}/{manifest_path.parent.name}")
                continue
            for r in m["indicators"]:
                if r["code"] in TRAJECTORY_CODES:
                    rows.append({"territory": slug, "edition": m["edition"], "as_of": pd.Timestamp(m["as_of"]),
                                 "code": r["code"], "value": r["valeur"], "low": r["ic_bas"], "high": r["ic_haut"],
                                 "secret": bool(r["secret"]), "unit": r["unite"]})
    frame = pd.DataFrame(rows, columns=["territory", "edition", "as_of", "code", "value", "low", "high", "secret",
                                        "unit"])
    return frame.astype({"value": float, "low": float, "high": float}), refused


def trajectory_figure(frame: pd.DataFrame, *, title: str = ""):
    """Small multiples of one territory's trajectories (rows of :func:`edition_trajectories`)."""
    import matplotlib.pyplot as plt  # pyplot (a GUI backend) only when figures are drawn

    codes = [c for c in TRAJECTORY_CODES if frame.loc[frame["code"] == c, "value"].notna().any()]
    fig, axes = plt.subplots(1, max(len(codes), 1), figsize=(2.6 * max(len(codes), 1), 2.4), squeeze=False)
    for ax, code in zip(axes[0], codes, strict=False):
        d = frame[frame["code"] == code].sort_values("as_of")
        scale = 100 if (d["unit"] == "part").all() else 1
        y = d["value"].to_numpy() * scale
        err = np.vstack([y - d["low"].to_numpy() * scale, d["high"].to_numpy() * scale - y])
        ax.errorbar(d["as_of"], y, yerr=np.where(np.isfinite(err), err, 0), marker="o", color="#2A6F81", capsize=3)
        ax.set_title(TRAJECTORY_CODES[code] + (" (%)" if scale == 100 else ""), fontsize=9)
        ax.set_xticks(list(d["as_of"]))
        ax.set_xticklabels([f"{t:%m/%Y}" for t in d["as_of"]], fontsize=7, rotation=30)
        ax.tick_params(axis="y", labelsize=7)
        ax.grid(alpha=0.3)
    if not codes:
        axes[0][0].set_axis_off()
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def trajectories_html(root: Path | str, labels: Mapping[str, str]) -> str:
    """The index page's section of trajectories across editions ('' when no territory has two
    editions): one embedded PNG of small multiples per territory.
    """
    import matplotlib.pyplot as plt  # pyplot (a GUI backend) only when figures are drawn

    frame, refused = edition_trajectories(root, list(labels))
    parts = []
    for slug, d in frame.groupby("territory", sort=False):
        if d["edition"].nunique() < 2:
            continue
        fig = trajectory_figure(d)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=110)
        plt.close(fig)
        editions = ", ".join(f"{e} ({t:%d/%m/%Y})" for e, t in
                             d[["edition", "as_of"]].drop_duplicates().sort_values("as_of").itertuples(index=False))
        parts.append(f"<h3>{html.escape(labels.get(slug, slug))}</h3><p><small>Éditions : {html.escape(editions)}"
                     f"</small></p><img alt=\"Trajectoires des indicateurs clés de {html.escape(labels.get(slug, slug))}"
                     f" d'une édition à l'autre\" src=\"data:image/png;base64,"
                     f"{base64.b64encode(buffer.getvalue()).decode()}\">")
    if refused:
        parts.append("<p><small>Éditions écartées (manifeste absent ou modifié) : "
                     + html.escape(", ".join(refused)) + ".</small></p>")
    if not parts:
        return ""
    return ("<h2>Trajectoires d'une édition à l'autre (points d'étape)</h2><p>Indicateurs clés de chaque édition "
            "publiée, avec leurs intervalles ; valeurs masquées (secret statistique) non tracées.</p>"
            + "\n".join(parts))
