"""Secrecy over a publication set: deciding it before a batch or an edition, and auditing published folders.

A **publication set** is every report rendered from the same exports in one batch, with
every edition of those territories already published (their registers, ``secret.json``, or,
for an edition published before registers existed, the indicators of its manifest).
:func:`decide_set` builds each report's draft (the measures and its tables before
suppression), links them (:func:`evaluation.report.secrecy.sets.link_set`) and decides
suppression for the whole set with the integer programme; each report then withholds what
the set decided for it (the notebook parameter ``secrecy_set``). :func:`set_publications`
does the same in one process and returns the publications (tests, benchmarks).

:func:`audit_folder` is ``evaluation audit FOLDER``: it reads the registers and manifests of
every report in a folder, links them as one set, and lists every withheld count a reader
could recover — exactly or within less than its protection interval — with the published
cells it is recovered from.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from evaluation._io import atomic_write
from evaluation.config import get_paths
from evaluation.geo.areas import load_departements
from evaluation.geo.reference import load_reference, territory_communes
from evaluation.geo.territories import get_territory
from evaluation.messages import render_message
from evaluation.report.context import measure, prepare_context
from evaluation.report.editions.manifest import MANIFEST, read_manifest, resolve_path
from evaluation.report.publication import MAGNITUDE_CELLS, publication_member, publish
from evaluation.report.published import Publication
from evaluation.report.secrecy.audit import audit_cells, failing
from evaluation.report.secrecy.evidence import involved_cells
from evaluation.report.secrecy.links import linked_cells
from evaluation.report.secrecy.optimal import joint_suppress
from evaluation.report.secrecy.register import REGISTER, indicator_member, read_register
from evaluation.report.secrecy.sets import Member, SetCells, link_set
from evaluation.report.sections import areas

__all__ = ["SET_FILE", "decide_set", "set_publications", "set_drafts", "Published", "earlier_members", "audit_folder",
           "audit_members", "SetAudit"]

log = logging.getLogger(__name__)

#: The decision of a batch's publication set, in its output folder.
SET_FILE = "secret-set.json"


def _drafts(territories: Sequence[str], *, threshold: int, alpha: float = 0.05, skip_failed: bool = False,
            **options) -> list[tuple]:
    """For each territory: (context, measures, draft, member with its true values). With
    ``skip_failed``, a territory whose data cannot be read is left out (a batch reports its
    failure when rendering it) rather than stopping the others.
    """
    out = []
    for slug in territories:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                ctx = prepare_context(slug, **options)
                m = measure(ctx, alpha=alpha, permutations=9)  # counts only: the permutations change no cell
                draft = publish(ctx, m.summary, m.network, m.venue, threshold=threshold, alpha=alpha,
                                warnings=m.warnings, denominators=m.denominators, outcomes=m.outcomes, draft=True)
                table = areas.comparison(ctx, None, threshold=threshold, alpha=alpha, years=ctx.years)
            except Exception:  # noqa: BLE001 — its own run will fail and say why; the others go on
                if not skip_failed:
                    raise
                log.warning("%s: left out of the publication set (it cannot be measured)", slug)
                continue
        table = table[table["level"] != "territory"] if table is not None else None
        member = publication_member(ctx, draft.linked, geography=draft.geography, comparison=table)
        out.append((ctx, m, draft, member))
    return out


def earlier_members(out_dir: str | Path | None, territories: Sequence[str], *, before: dt.date,
                    reference_dir: str | Path | None = None) -> list[Member]:
    """The editions of ``territories`` published in ``out_dir`` before ``before``: their registers
    (``secret.json``), or the indicators of their manifests.
    """
    root = Path(out_dir) if out_dir is not None else get_paths().reports
    found = []
    for slug in territories:
        for folder in sorted((root / slug / "editions").glob("*/")) if (root / slug / "editions").is_dir() else []:
            member = _read_member(folder, reference_dir=reference_dir)
            if member is not None and member.as_of < before:
                found.append(member)
    return found


def _area_function(reference_dir):
    reference = load_reference(reference_dir)
    deps = load_departements(reference_dir)

    def communes(level: str, code: str) -> frozenset[str]:
        if level == "departement":
            return frozenset(reference.loc[reference["departement"].astype(str) == code, "commune_code"].astype(str))
        if level == "region":
            inside = set(deps.loc[deps["region"].astype(str) == code, "departement"].astype(str))
            return frozenset(reference.loc[reference["departement"].astype(str).isin(inside), "commune_code"])
        return frozenset(reference["commune_code"].astype(str))

    return communes, reference


def _read_member(folder: Path, *, reference_dir=None) -> Member | None:
    """A published report's folder as a fixed member: its register, indicators from its
    ``indicators.csv`` (what was published), or only its manifest's indicators.
    """
    folder = Path(folder)
    register = folder / REGISTER
    areas_of, reference = _area_function(reference_dir)
    if register.is_file():
        member, _ = read_register(register, areas=areas_of)
        csv = folder / "indicators.csv"
        if csv.is_file():
            _published_indicators(member, csv)
        return member
    if (folder / MANIFEST).is_file():
        manifest = read_manifest(folder)
        p = manifest["parameters"]
        terr = get_territory(manifest["territory"], resolve_path(p["territories_file"]), reference_dir=reference_dir)
        return indicator_member(manifest, territory_communes(terr, reference))
    return None


def _published_indicators(member: Member, csv: Path) -> None:
    """The indicator cells of a register as ``indicators.csv`` publishes them (in place)."""
    table = pd.read_csv(csv, sep=";", decimal=",", encoding="utf-8-sig", keep_default_na=False, na_values=[""])
    value = dict(zip(table["code"].astype(str), pd.to_numeric(table["valeur"], errors="coerce"), strict=True))
    cells = member.linked.cells
    for code, v in value.items():
        hit = cells["cell"] == f"indicator|{code}"
        if hit.any():
            cells.loc[hit, "value"] = v


def _decide(members: list[Member], drafts, *, threshold: int) -> SetCells:
    sc = link_set(members)
    protection = pd.concat([d.protection.rename(lambda c, k=m.key: f"{k}/{c}") for (_, _, d, m) in drafts]) \
        if drafts else pd.Series(dtype=float)
    magnitudes = [f"{m.key}/{c}" for (_, _, _, m) in drafts for c in MAGNITUDE_CELLS]
    decided = joint_suppress(sc.linked, threshold=threshold, protection=protection, magnitudes=magnitudes,
                             fixed_rows=sc.fixed_rows)
    return SetCells(decided, sc.members, sc.cells, sc.rows)


def decide_set(territories: Sequence[str], *, threshold: int, out_dir: str | Path | None = None,
               alpha: float = 0.05, target: str | Path | None = None, skip_failed: bool = False,
               **options) -> Path:
    """Decide secrecy for the publication set of ``territories`` (with their editions already
    published in ``out_dir``) and write the decision (``{slug@date: [cells withheld]}``) to
    ``target`` (default ``out_dir/secret-set.json``).
    """
    drafts = _drafts(territories, threshold=threshold, alpha=alpha, skip_failed=skip_failed, **options)
    before = min((m.as_of for (_, _, _, m) in drafts), default=dt.date.max)
    earlier = earlier_members(out_dir, territories, before=before, reference_dir=options.get("reference_dir"))
    decided = _decide([m for (*_, m) in drafts] + earlier, drafts, threshold=threshold)
    withheld = {k: v for k, v in decided.withheld_by_member().items() if k in {m.key for (*_, m) in drafts}}
    root = Path(out_dir) if out_dir is not None else get_paths().reports
    path = Path(target) if target is not None else root / SET_FILE
    text = json.dumps(withheld, ensure_ascii=False, indent=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


@dataclass
class Published:
    """A publication decided within a set, and the report as a member of it (as published)."""

    publication: Publication
    member: Member


def set_drafts(territories: Sequence[str], *, threshold: int, alpha: float = 0.05, **options) -> list[tuple]:
    """The drafts of :func:`set_publications` (to decide the same set several ways)."""
    return _drafts(territories, threshold=threshold, alpha=alpha, **options)


def set_publications(territories: Sequence[str], *, threshold: int, alpha: float = 0.05,
                     earlier: Sequence[Member] = (), linked: bool = True, drafts: list | None = None,
                     **options) -> dict[str, Published]:
    """The publications of ``territories`` decided as one set (with ``earlier``: editions already
    published), in this process, by slug; with ``linked=False``, each decided alone (as before
    publication sets: what the set logic prevents can then be seen). ``drafts``: from
    :func:`set_drafts`, not computed again.
    """
    drafts = drafts if drafts is not None else _drafts(territories, threshold=threshold, alpha=alpha, **options)
    withheld: dict[str, list[str]] = {}
    if linked:
        withheld = _decide([m for (*_, m) in drafts] + list(earlier), drafts, threshold=threshold).withheld_by_member()
    out = {}
    for ctx, m, _, member in drafts:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pub = publish(ctx, m.summary, m.network, m.venue, threshold=threshold, alpha=alpha, warnings=m.warnings,
                          withhold=withheld.get(member.key, []))
            pub.comparison = areas.comparison(ctx, pub, threshold=threshold, alpha=alpha)
        shown = publication_member(ctx, linked_cells(pub.publishable()), geography=pub.geography,
                                   comparison=pub.comparison)
        shown.fixed = True
        out[ctx.territory.slug] = Published(pub, shown)
    return out


# --------------------------------------------------------------------------- audit
@dataclass
class SetAudit:
    """What ``evaluation audit`` found: the reports read and every withheld cell a reader could
    recover (``cell``, ``low``, ``high``, ``exact``, ``from``: the published cells involved).
    """

    reports: list[str]
    recoverable: pd.DataFrame
    cells: int  # withheld cells audited

    @property
    def ok(self) -> bool:
        """True when no withheld count can be recovered."""
        return self.recoverable.empty

    def lines(self, folder: str | Path, *, lang: str = "en") -> list[str]:
        """What ``evaluation audit`` prints, in ``lang``: a summary, then every recoverable cell
        with the published cells it is recovered from.
        """
        def say(code: str, /, **params: object) -> str:
            return render_message(code, params, lang=lang)

        if not self.reports:
            return [say("audit_none", folder=str(folder))]
        if self.ok:
            return [say("audit_ok", folder=str(folder), reports=len(self.reports), cells=self.cells)]
        out = [say("audit_failed", folder=str(folder), count=len(self.recoverable), reports=len(self.reports))]
        for r in self.recoverable.itertuples(index=False):
            cells = ", ".join(r[4]) or "—"
            out.append(say("audit_exact", cell=r.cell, low=r.low, cells=cells) if r.exact else
                       say("audit_range", cell=r.cell, low=r.low, high=r.high, cells=cells))
        return out


def audit_members(members: Sequence[Member], *, threshold: int) -> SetAudit:
    """Audit a publication set from what its reports publish (their members' published values)."""
    sc = link_set(list(members))
    lk = sc.linked
    values = lk.cells["value"].to_numpy(dtype=float)
    unknown = lk.withheld | np.isnan(values)
    result = audit_cells(lk.masked(), threshold=threshold, withheld=unknown, targets=unknown & lk.withheld,
                         exact=False)
    bad = result[failing(result["low"].to_numpy(), result["high"].to_numpy(), threshold=threshold)]
    rows = []
    for r in bad.itertuples(index=False):
        rows.append({"cell": r.cell, "low": r.low, "high": r.high, "exact": bool(abs(r.high - r.low) < 1e-9),
                     "from": involved_cells(lk.masked(), r.cell, withheld=unknown)})
    return SetAudit([m.key for m in members], pd.DataFrame(rows, columns=["cell", "low", "high", "exact", "from"]),
                    int(len(result)))


def audit_folder(folder: str | Path, *, reference_dir: str | Path | None = None) -> SetAudit:
    """``evaluation audit FOLDER``: every report under ``folder`` (a folder with ``secret.json``
    or ``manifest.json``), audited as one publication set.
    """
    folder = Path(folder)
    places = sorted({p.parent for p in folder.rglob(REGISTER)} | {p.parent for p in folder.rglob(MANIFEST)})
    members, thresholds = [], set()
    for place in places:
        member = _read_member(place, reference_dir=reference_dir)
        if member is None:
            continue
        members.append(member)
        register = place / REGISTER
        if register.is_file():
            thresholds.add(int(json.loads(register.read_text(encoding="utf-8"))["threshold"]))
        elif (place / MANIFEST).is_file():
            thresholds.add(int(read_manifest(place)["parameters"]["disclosure_threshold"]))
    if not members:
        return SetAudit([], pd.DataFrame(columns=["cell", "low", "high", "exact", "from"]), 0)
    return audit_members(members, threshold=max(thresholds))
