"""Linking a publication's count tables: margins, totals and derived counts written as equations between cells."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from evaluation.geo.reference import DENSITY_LABELS, RURAL, RURAL_LEVELS, URBAN
from evaluation.measures.reach.classify import NON_QPV, QPV
from evaluation.measures.reach.distance import DEFAULT_BANDS, distance_to_sites
from evaluation.measures.reach.venue import VISITS
from evaluation.report.secrecy.cells import LinkedCells, Publishable, _Builder
from evaluation.report.secrecy.denominator_links import link_denominators
from evaluation.report.secrecy.outcome_links import link_outcomes

__all__ = ["linked_cells", "distance_bands", "trend_cells"]


def _published_total(frame: pd.DataFrame, *, indicators: pd.DataFrame | None = None) -> float:
    """The total of a table's counts as a reader knows it: the sum of its counts when all are
    shown, else its ``total`` column (or the territory's ``acc_total`` indicator), else
    unknown (NaN). A publication blanks withheld counts, so their sum is not the total.
    """
    counts = frame["count"].astype(float)
    if counts.notna().all():
        return float(counts.sum())
    if "total" in frame and frame["total"].notna().any():
        return float(frame["total"].dropna().iloc[0])
    if indicators is not None and "acc_total" in set(indicators["code"]):
        value = indicators.set_index("code").loc["acc_total", "valeur"]
        return float(value) if pd.notna(value) else float("nan")
    return float("nan")


def _venue_table(b: _Builder, frame: pd.DataFrame, *, key: str, prefix: str, total: str,
                 rows: str) -> tuple[np.ndarray, int]:
    """Link one of the tiers-lieu's tables: a cell per row, their published total, their sum."""
    ids = b.cells([f"{prefix}|{v}" for v in frame[key].astype(str)], frame["count"], table="venue")
    whole = b.cell(total, _published_total(frame), table="venue", derived=True)
    placed = b.rows(rows, frame)
    b.place(ids, placed)
    b.place(whole, placed)
    b.sums([whole], ids, np.zeros(len(ids), int))
    return ids, whole


def _members(labels, mapping) -> list[list[str]]:
    """The fine categories of each row's label (a merged row: its members, else itself)."""
    groups: dict[str, list[str]] = {}
    for fine, g in mapping.items():
        groups.setdefault(g, []).append(fine)
    return [sorted(groups.get(v, [v])) for v in labels]


def _spans(per: pd.DataFrame) -> list[tuple[int, int]]:
    """The years of each row of a trend table: ``(year, year_end)`` (a period), or the year alone."""
    first = per["year"].astype(int).to_numpy()
    last = per["year_end"].astype(int).to_numpy() if "year_end" in per else first
    return list(zip(first.tolist(), last.tolist(), strict=True))


def trend_cells(per: pd.DataFrame, key: str, *, shown_only: bool = False) -> list[str]:
    """The names of the cells of a trend table's rows (``key``: ``rural`` or ``qpv``): each
    row's count and total (those of the rows shown with ``shown_only``).
    """
    keep = ~per["suppressed"].to_numpy(dtype=bool) if shown_only and "suppressed" in per else np.ones(len(per), bool)
    periods = [_period(a, z) for (a, z), k in zip(_spans(per), keep, strict=True) if k]
    return [f"year_{key}|{p}" for p in periods] + [f"year_{key}_total|{p}" for p in periods]


def _years_of(period: object) -> list[int]:
    """The years of an indicator's period: ``"2024"`` or ``"2022–2024"``; none for another text."""
    text = str(period)
    parts = text.split("–")
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        return list(range(int(parts[0]), int(parts[1]) + 1))
    return [int(text)] if text.isdigit() else []


def _period(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}-{last}"


def _covered(per: pd.DataFrame) -> list[int]:
    """Every year a trend table covers, sorted."""
    return sorted({y for a, z in _spans(per) for y in range(a, z + 1)})


def _group_axis(sub: np.ndarray, of_row: np.ndarray, n_rows: int) -> list[np.ndarray]:
    """The variables of ``sub`` (first axis: fine categories) gathered by row (``of_row``: the
    row of each fine category), one flat array per row.
    """
    flat = sub.reshape(sub.shape[0], -1)
    return [flat[of_row == r].ravel() for r in range(n_rows)]


def _venue_periods(b: _Builder, monthly: pd.DataFrame, *, first: int, participations: int) -> None:
    """The tiers-lieu's activity by period: first visits add up to the first visits of the
    participations table, participations to its total.
    """
    labels = monthly["period"].astype(str).tolist()
    new = b.cells([f"venue_period_first|{p}" for p in labels], monthly["new_participants"], table="venue")
    part = b.cells([f"venue_period_part|{p}" for p in labels], monthly["participations"], table="venue")
    rows = b.rows("venue_monthly", monthly)
    b.place(new, rows)
    b.place(part, rows)
    b.sums([first], new, np.zeros(len(new), int))
    b.sums([participations], part, np.zeros(len(part), int))


def linked_cells(tables: Publishable) -> LinkedCells:  # noqa: C901 (one flat list of the tables' links)
    """Every count of a report's tables as cells, and the linear relations between them.

    Relations considered (``=`` means "equals the sum of"):

    * territory total = communes = EPCIs; density level = its communes; urban = levels
      1–4, rural = levels 5–7; urban + rural = the total of the density and urban/rural
      tables (revealed by their shares); distance band = its communes;
    * the hidden programme × year × QPV × urban/rural table (``U × P × Y × Q`` atoms,
      with a third "unclassified"/"unknown" level on U and Q) has for margins: urban and
      rural counts, the territory total, rural and urban counts of each programme (the
      urban count is the programme's total minus its rural count, which the share
      reveals), rural and urban counts of each year, QPV and non-QPV counts of each year
      and in all, and the last year's counts of the creation + development and DLA
      programmes (indicators);
    * the tiers-lieu: participants = their origins = first visits; participations =
      first visits + returns;
    * conversion: pairs who met = new collaborations + the others (likewise for pairs who
      never met), the pair totals being always printed;
    * the network annex's counts of new ties after meeting at each venue, at all of them and
      elsewhere stand alone (a pair may meet at several: no sum); the indicator
      ``effet_tiers_lieu`` rests on the count for all venues;
    * jobs and testimony counts, and theme counts (overlapping: no relation), stand alone;
    * what became of the structures after the accompaniment and the cost ratios:
      :mod:`evaluation.report.secrecy.outcome_links`.

    Rows a share reveals the total of carry that total as a cell too (so hiding a total
    hides every row of its table). Indicators are rows of the ``indicators`` table
    holding the cells they reveal.
    """
    b = _Builder()
    reached = tables.reached
    coarse = {k: dict(v) for k, v in (tables.coarsening or {}).items()}
    codes = reached["commune_code"].astype(str).to_numpy()
    counts = reached["count"].to_numpy(dtype=float)
    # ---- geography: communes and their aggregates
    commune = b.cells([f"commune|{c}" for c in codes], counts, table="reached")
    grouped = reached["grouped"].to_numpy(dtype=bool) if "grouped" in reached else np.zeros(len(codes), bool)
    rows = b.rows("reached", reached)
    b.place(commune[~grouped], rows[~grouped])  # a grouped commune's count is shown in no row
    if tables.commune_groups is not None and len(tables.commune_groups):
        g = b.cell("communes_grouped", float(tables.commune_groups["count"].iloc[0]), table="reached")
        b.place(g, b.rows("commune_groups", tables.commune_groups))
        b.sums([g], commune[grouped], np.zeros(int(grouped.sum()), int))
    total = b.cell("total", _published_total(reached, indicators=tables.indicators), table="total")
    b.sums([total], commune, np.zeros(len(commune), int))
    classified = b.cell("classified", np.nan, table="total", derived=True)
    for by, name in (("density_label", "density"), ("urban_rural", "urban_rural"), ("epci_name", "epci"),
                     ("departement", "departement")):
        rate = tables.rates.get(by)
        rep = tables.representation.get(by)
        frame = rate if rate is not None else rep
        if frame is None:
            continue
        labels = frame[by].astype(str).to_numpy()
        ids = b.cells([f"{name}|{v}" for v in labels], frame["count"].to_numpy(dtype=float), table=name)
        by_area = tables.area_classes is not None  # département geography: levels tied to areas by atoms below
        if by != "urban_rural" and not (by_area and by == "density_label"):
            # urban and rural are tied to density levels and the hidden cube below
            fine = reached[by].astype(object).where(reached[by].notna()).astype(str)
            key = pd.Categorical(fine.replace(coarse.get(by, {})), categories=labels)
            member = np.asarray(key.codes) >= 0
            b.sums(ids, commune[member], np.asarray(key.codes)[member])
        if rate is not None:
            b.place(ids, b.rows(f"rates:{by}", rate))
        if rep is not None:
            rows = b.rows(f"representation:{by}", rep)
            b.place(ids, rows)
            # a group without population (a density level absent from the territory) shows no share,
            # expected count nor interval that the total would explain
            b.place(classified, rows[rep["population"].to_numpy(dtype=float) > 0] if "population" in rep else rows)
        if by == "density_label":
            density = dict(zip(labels, ids, strict=False))
        if by == "urban_rural":
            ur = dict(zip(labels, ids, strict=False))
    if tables.area_classes is not None and len(tables.area_classes):
        # Département geography: the hidden département × density-level table (its structure is
        # public: which levels each département has); each département and each level is the
        # sum of its atoms (communes without a level: an atom in no level).
        pairs = tables.area_classes
        area = pd.Index(codes).get_indexer(pairs["commune_code"].astype(str))
        labels = pairs["density_label"].astype(str).to_numpy()
        level = np.array([density.get(v, -1) for v in labels], dtype=int)
        known = area >= 0
        atoms = b.new_atoms(int(known.sum()))
        b.sums(commune, atoms, area[known])
        in_level = level[known] >= 0
        levels = np.unique(level[known][in_level])
        b.sums(levels, atoms[in_level], np.searchsorted(levels, level[known][in_level]))
    # urban and rural from density levels; classified = urban + rural
    merged = coarse.get("density_label", {})
    for side, levels in ((URBAN, [lv for lv in DENSITY_LABELS if lv not in RURAL_LEVELS]), (RURAL, list(RURAL_LEVELS))):
        names = {merged.get(DENSITY_LABELS[lv], DENSITY_LABELS[lv]) for lv in levels}
        kids = [density[v] for v in sorted(names) if v in density]
        b.sums([ur[side]], kids, np.zeros(len(kids), int))
    b.sums([classified], [ur[URBAN], ur[RURAL]], [0, 0])
    if tables.decay is not None and len(tables.decay):
        labels = tables.decay["band"].astype(str).to_numpy()
        ids = b.cells([f"band|{v}" for v in labels], tables.decay["count"].to_numpy(dtype=float), table="band")
        key = pd.Categorical(reached["distance_band"].astype(object).where(reached["distance_band"].notna())
                             .astype(str), categories=labels)
        member = np.asarray(key.codes) >= 0
        b.sums(ids, commune[member], np.asarray(key.codes)[member])
        b.place(ids, b.rows("decay", tables.decay))
    # ---- the hidden programme × year × QPV × urban/rural table
    prog = tables.rural_by_programme
    rows_p = prog["programme"].astype(str).to_numpy()
    members_p = _members(rows_p, coarse.get("programme", {}))
    programmes = np.array([m for ms in members_p for m in ms], dtype=object)
    years = sorted({y for t in tables.trends.values() for a, z in _spans(t) for y in range(a, z + 1)})
    if tables.indicators is not None:
        years = sorted(set(years) | {y for p in tables.indicators.loc[
            tables.indicators["code"].isin(["acc_creation_dev", "acc_dla"]), "periode"] for y in _years_of(p)})
    n_p, n_y = len(programmes), len(years)
    shape = (3, max(n_p, 1), max(n_y, 1), 3)  # U: urban, rural, unclassified; Q: QPV, hors QPV, unknown
    atoms = b.new_atoms(int(np.prod(shape))).reshape(shape)
    b.sums([total], atoms.ravel(), np.zeros(atoms.size, int))
    for u, side in enumerate((URBAN, RURAL)):
        b.sums([ur[side]], atoms[u].ravel(), np.zeros(atoms[u].size, int))

    def margin(parents, parts: list[np.ndarray]) -> None:
        """parents[g] = the sum of the variables ``parts[g]``."""
        b.sums(parents, np.concatenate(parts) if parts else np.array([], int),
               np.repeat(np.arange(len(parts)), [len(p) for p in parts]))

    n_rows_p = len(rows_p)
    if n_p:
        rural_p = b.cells([f"programme_rural|{p}" for p in rows_p], prog["count"], table="programme")
        urban_p = b.cells([f"programme_urban|{p}" for p in rows_p], prog["total"] - prog["count"],
                          table="programme", derived=True)
        total_p = b.cells([f"programme_total|{p}" for p in rows_p], prog["total"], table="programme", derived=True)
        rows = b.rows("rural_by_programme", prog)
        for ids in (rural_p, urban_p, total_p):
            b.place(ids, rows)
        of_row = np.repeat(np.arange(n_rows_p), [len(ms) for ms in members_p])  # the row of each fine programme
        margin(rural_p, _group_axis(atoms[1], of_row, n_rows_p))
        margin(urban_p, _group_axis(atoms[0], of_row, n_rows_p))
        b.sums(total_p, np.concatenate([rural_p, urban_p]), np.tile(np.arange(n_rows_p), 2))
    year_pos = {y: k for k, y in enumerate(years)}
    for key, hit, rest in (("rural", "rural", "urban"), ("qpv", "qpv", "nonqpv")):
        per = tables.trends.get(key)
        if per is None or not len(per):
            continue
        spans = _spans(per)
        ys = [_period(a, z) for a, z in spans]
        c_hit = b.cells([f"year_{hit}|{y}" for y in ys], per["count"], table=f"trend_{key}")
        c_rest = b.cells([f"year_{rest}|{y}" for y in ys], per["total"] - per["count"], table=f"trend_{key}",
                         derived=True)
        c_tot = b.cells([f"year_{key}_total|{y}" for y in ys], per["total"], table=f"trend_{key}", derived=True)
        rows = b.rows(f"trends:{key}", per)
        for ids in (c_hit, c_rest, c_tot):
            b.place(ids, rows)
        k = np.array([year_pos[y] for a, z in spans for y in range(a, z + 1)])
        of_row = np.repeat(np.arange(len(spans)), [z - a + 1 for a, z in spans])
        if key == "rural":
            hit_atoms, rest_atoms = atoms[1][:, k, :], atoms[0][:, k, :]
        else:
            hit_atoms, rest_atoms = atoms[:, :, k, 0], atoms[:, :, k, 1]
        for ids, sub in ((c_hit, hit_atoms), (c_rest, rest_atoms)):
            moved = np.moveaxis(sub, 1 if key == "rural" else 2, 0)
            margin(ids, _group_axis(moved, of_row, len(spans)))
        b.sums(c_tot, np.concatenate([c_hit, c_rest]), np.tile(np.arange(len(spans)), 2))
    # redundant margins over cells (implied by the atoms; they let the relation stage see them)
    if n_p:
        b.sums([ur[RURAL], ur[URBAN]], np.concatenate([rural_p, urban_p]), np.repeat([0, 1], n_rows_p))
    for key, hit, rest, parents in (("rural", "rural", "urban", (ur[RURAL], ur[URBAN])),):
        per = tables.trends.get(key)
        if per is not None and len(per) and _covered(per) == years:
            ys = [_period(a, z) for a, z in _spans(per)]
            kids = [b.index[f"year_{hit}|{y}"] for y in ys] + [b.index[f"year_{rest}|{y}"] for y in ys]
            b.sums(list(parents), kids, np.repeat([0, 1], len(ys)))
    q = tables.qpv
    q_ids = b.cells([f"qpv|{v}" for v in q["qpv"].astype(str)], q["count"], table="qpv")
    q_known = b.cell("qpv_known", _published_total(q), table="qpv", derived=True)
    rows = b.rows("qpv", q)
    b.place(q_ids, rows)
    b.place(q_known, rows)
    for j, v in enumerate(q["qpv"].astype(str)):
        col = {QPV: 0, NON_QPV: 1}[v]
        b.sums([q_ids[j]], atoms[..., col].ravel(), np.zeros(atoms[..., col].size, int))
    b.sums([q_known], q_ids, np.zeros(len(q_ids), int))
    per = tables.trends.get("qpv")
    labels_q = q["qpv"].astype(str).tolist()
    if per is not None and len(per) and _covered(per) == years and labels_q == [QPV, NON_QPV]:
        ys = [_period(a, z) for a, z in _spans(per)]
        kids = [b.index[f"year_qpv|{y}"] for y in ys] + [b.index[f"year_nonqpv|{y}"] for y in ys]
        b.sums(list(q_ids), kids, np.repeat([0, 1], len(ys)))
    if tables.denominators is not None:  # structures, the QPV of the territory, target populations
        link_denominators(b, tables.denominators, {"total": total, "classified": classified, "rural": ur[RURAL],
                                                   "qpv": q_ids[labels_q.index(QPV)], "qpv_known": q_known},
                          unknown_atoms=atoms[..., 2].ravel())
    # ---- indicators
    ind = tables.indicators
    if ind is not None:
        ind_rows = b.rows("indicators", ind)
        value = dict(zip(ind["code"], ind["valeur"], strict=False))
        where = {code: ind_rows[i] for i, code in enumerate(ind["code"])}
        if "acc_total" in where:
            b.place(total, where["acc_total"])
        for code, chosen in (("acc_creation_dev", ("creation", "development")), ("acc_dla", ("dla",))):
            if code not in where:
                continue
            period = str(ind.loc[ind["code"] == code, "periode"].iloc[0])
            c = b.cell(f"indicator|{code}", value[code], table="indicators")
            b.place(c, where[code])
            pick = np.flatnonzero(np.isin(programmes, chosen))
            span = [year_pos[y] for y in _years_of(period)]
            sub = atoms[:, pick][:, :, span, :] if span and n_p else atoms[:, :0, 0, :]
            b.sums([c], sub.ravel(), np.zeros(sub.size, int))
        if "part_rural" in where:
            b.place([ur[RURAL], classified], where["part_rural"])
        if "part_qpv" in where and QPV in q["qpv"].astype(str).tolist():
            b.place([q_ids[q["qpv"].astype(str).tolist().index(QPV)], q_known], where["part_qpv"])
        if "taux_10k" in where:
            b.place(classified, where["taux_10k"])
        if "taux_annuel_10k" in where:
            b.place(total, where["taux_annuel_10k"])
        if "indice_qpv" in where and QPV in labels_q:
            b.place([q_ids[labels_q.index(QPV)], q_known], where["indice_qpv"])
        if "structures_total" in where and "structures|total" in b.index:
            b.place(b.index["structures|total"], where["structures_total"])
        if "structures_dla" in where:
            b.place(b.cell("indicator|structures_dla", value["structures_dla"], table="indicators"),
                    where["structures_dla"])
        for code in ("emplois_crees", "emplois_maintenus", "temoignages"):
            if code in where:
                b.place(b.cell(f"indicator|{code}", value[code], table="indicators"), where[code])
    # ---- tiers-lieu
    if tables.venue_origins is not None:
        o = tables.venue_origins
        ids, people = _venue_table(b, o, key="origin", prefix="venue_origin", total="venue_participants",
                                   rows="venue_origins")
        if tables.venue_participations is not None:
            p = tables.venue_participations
            ids, _ = _venue_table(b, p, key="visit", prefix="venue_visit", total="venue_participations",
                                  rows="venue_participations")
            first = [i for i, v in zip(ids, p["visit"].astype(str), strict=False) if v == VISITS[0]]
            if first:
                b.sums([people], first, [0])
            if tables.venue_monthly is not None and len(tables.venue_monthly) and first:
                _venue_periods(b, tables.venue_monthly, first=first[0],
                               participations=b.index["venue_participations"])
    # ---- conversion of co-presence into collaboration
    if tables.conversion is not None and len(tables.conversion):
        cv = tables.conversion
        groups = cv["group"].astype(str).to_numpy()
        new = b.cells([f"conversion_new|{g}" for g in groups], cv["new"], table="conversion")
        rest = b.cells([f"conversion_other|{g}" for g in groups], cv["total"] - cv["new"], table="conversion",
                       derived=True)
        tot = b.cells([f"conversion_pairs|{g}" for g in groups], cv["total"], table="conversion", derived=True)
        b.place(new, b.rows("conversion", cv))
        b.place(tot, b.rows("conversion_pairs", None, len(cv), suppressible=False))
        b.sums(tot, np.concatenate([new, rest]), np.tile(np.arange(len(cv)), 2))
        if ind is not None:
            met = new[groups == "met"]
            if "taux_conversion" in where and len(met):
                b.place(met, where["taux_conversion"])
            for code in ("rapport_conversion", "effet_reseau", "effet_reseau_dose"):  # on both groups' new ties
                if code in where:
                    b.place(new, where[code])
    # ---- the network annex's counts (new ties after meeting at a venue): alone, each on its rows
    if tables.network_counts is not None and len(tables.network_counts):
        nc = tables.network_counts
        keys = nc["key"].astype(str).tolist()
        ids = b.cells([f"network|{k}" for k in keys], nc["count"], table="network_counts")
        b.place(ids, b.rows("network_counts", nc))
        if ind is not None and "effet_tiers_lieu" in where and "venue_new|all" in keys:
            b.place(ids[keys.index("venue_new|all")], where["effet_tiers_lieu"])
    # ---- themes (overlapping counts: no relation)
    if tables.themes is not None and len(tables.themes):
        t = tables.themes
        ids = b.cells([f"theme|{v}" for v in t["theme"].astype(str)], t["count"], table="themes")
        b.place(ids, b.rows("themes", t))
    link_outcomes(b, tables.outcomes, atoms=atoms, programmes=programmes, year_pos=year_pos,
                  where=where if ind is not None else {})
    out = b.build()
    out = replace(out, cube=len(out.cells) - 1 - atoms, cube_programmes=tuple(str(p) for p in programmes),
                  cube_years=tuple(int(y) for y in years))
    # the classified total's value: urban + rural
    vals = out.cells["value"].to_numpy(dtype=float).copy()
    vals[b.index["classified"]] = vals[ur[URBAN]] + vals[ur[RURAL]]
    out.cells["value"] = vals
    return out


def distance_bands(communes: pd.DataFrame, sites: pd.DataFrame, *, bands: Sequence[float] = DEFAULT_BANDS) -> pd.Series:
    """The distance band of each commune, labelled as :func:`evaluation.measures.reach.distance.distance_decay` does."""
    edges = list(bands)
    labels = [f"{lo:g}–{hi:g} km" if np.isfinite(hi) else f"{lo:g} km et plus"
              for lo, hi in zip(edges[:-1], edges[1:], strict=False)]
    d = distance_to_sites(communes, sites)
    return pd.cut(d, edges, labels=labels, right=False, include_lowest=True).astype(object).rename("distance_band")
