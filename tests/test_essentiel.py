"""L'essentiel first (issue 27): confidence grades, the glossary kept out of the body, quotes,
what a report leaves out, titles.

The grade rule and the quote rule are checked on hand-made cases; the builders on publications
built in-process (one per bundled territory, shared by the module) in the notebook's order:
everything before the annex (``sections.annex``) is the body an élu reads.
"""

from __future__ import annotations

import datetime as dt
import re

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from evaluation.report import sections
from evaluation.report.publication import report_publication
from evaluation.report.sections.base import of_place
from evaluation.report.sections.findings import findings, key_findings, times
from evaluation.report.sections.grades import Evidence, grade, precision
from evaluation.report.sections.lexicon import load_glossary, terms_in
from evaluation.report.sections.quotes import readable_quotes, readable_text
from evaluation.report.sections.scope import gaps, shows

from .layout_snapshot import SECTIONS

matplotlib.use("Agg")
TERRITORIES = ("chenove", "chatillonnais", "cote-d-or")


def sentence_lengths(text: str) -> list[int]:
    """Words per sentence: sentences end with « . », « ! », « ? » or a line ending a list item;
    words are runs of letters or digits (« 10 000 » is two, as a reader says it).
    """
    text = re.sub(r"[*#>_`]", " ", text)
    pieces = re.split(r"(?<=[.!?…])\s+|\n\s*[-•]\s+|\n{2,}", text)
    return [n for p in pieces if (n := len(re.findall(r"[^\W_]+(?:['’-][^\W_]+)*", p)))]


# --------------------------------------------------------------------------- grades
@pytest.mark.parametrize(("evidence", "expected"), [
    (Evidence("share", cases=151, low=0.59, high=0.74), "solide"),  # ± 7 points on 151 accompaniments
    (Evidence("share", cases=151, low=0.50, high=0.70), "solide"),  # width 0.20: still narrow
    (Evidence("share", cases=60, low=0.50, high=0.65), "indicatif"),  # narrow, but fewer than 100 cases
    (Evidence("share", cases=151, low=0.40, high=0.75), "indicatif"),  # wide
    (Evidence("share", cases=151, low=0.20, high=0.65), "fragile"),  # very wide
    (Evidence("share", cases=14, low=0.30, high=0.40), "fragile"),  # too few cases, however narrow
    (Evidence("ratio", cases=51, low=1.23, high=6.67, falsification=True, effect=True), "indicatif"),
    (Evidence("ratio", cases=300, low=1.5, high=2.4, falsification=True, effect=True), "solide"),
    (Evidence("ratio", cases=300, low=1.5, high=2.4, falsification=None, effect=True), "indicatif"),  # untested
    (Evidence("ratio", cases=300, low=1.5, high=2.4, falsification=False, effect=True), "fragile"),  # alarm
    (Evidence("ratio", cases=300, low=0.0, high=2.4), "fragile"),  # an unbounded ratio
    (Evidence("rate", cases=151, low=88.5, high=122.6), "solide"),
    (Evidence("rate", cases=44, low=16.4, high=30.3), "indicatif"),
    (Evidence("count"), "solide"),  # an exact count of records
    (Evidence("count", declared=True), "indicatif"),  # declared jobs
    (Evidence("share", estimable=False), "fragile"),
    (Evidence("share", cases=500, low=0.1, high=float("inf")), "fragile"),
])
def test_grade_rule(evidence, expected):
    assert grade(evidence) == expected


def test_precision_bands_are_read_on_each_scale():
    assert precision(Evidence("share", low=0.0, high=0.2)) == "narrow"
    assert precision(Evidence("share", low=0.0, high=0.2001)) == "wide"
    assert precision(Evidence("ratio", low=1.0, high=2.0)) == "narrow"
    assert precision(Evidence("ratio", low=1.0, high=10.0)) == "wide"
    assert precision(Evidence("ratio", low=1.0, high=10.5)) == "very_wide"
    assert precision(Evidence("count")) == "exact"


def test_times_in_words():
    assert times(2.87) == "environ trois fois"
    assert times(1.5) == "environ une fois et demie"
    assert times(2.4) == "environ deux fois et demie"
    assert times(14.2) == "environ 14 fois"


# --------------------------------------------------------------------------- glossary
def test_glossary_terms_are_found_as_words_only():
    assert terms_in("IC 95 % [59 % ; 74 %]") == ["intervalle de confiance"]
    assert terms_in("Ici, rien.") == []  # « IC » is not found inside « Ici »
    assert terms_in("deux valeurs E") == ["valeur E"]
    assert terms_in("contrainte de Burt ; test QAP") == ["QAP", "Burt"]


def test_glossary_section_defines_every_term():
    text = "\n".join(sections.glossary(None))
    assert all(f"**{t.term}**" in text for t in load_glossary())


# --------------------------------------------------------------------------- quotes
def test_quote_rule_highlight_then_focus_then_new_voices_then_id():
    from evaluation.measures.qualitative import quotes_by_theme

    day = pd.Timestamp("2023-05-01")
    t = pd.DataFrame({
        "testimony_id": ["T1", "T2", "T3", "T4", "T5"],
        "date": [day, day + pd.Timedelta(days=300), day, day, day],
        "actor_kind": ["association", "association", "business", "association", "institution"],
        "themes": ["confiance|coopération", "confiance", "coopération", "coopération", "confiance|sens"],
        "text": ["a", "b", "c", "d", "e"],
        "highlight": [False, False, False, False, True],
    })
    q = quotes_by_theme(t).set_index("theme")
    assert q.loc["confiance", "text"] == "e"  # chosen by the evaluator, though coded with two themes
    # coopération: T3 and T4 are focused (one theme) and new voices (only the institution was quoted): the id
    assert q.loc["coopération", "text"] == "c"
    assert "sens" not in q.index  # its only testimony is quoted already, for « confiance »
    without = quotes_by_theme(t.drop(columns="highlight")).set_index("theme")
    assert without.loc["confiance", "text"] == "b"  # one theme only, though a later testimony than T1
    # a speaker kind not heard yet is preferred to one already quoted for an earlier theme
    t2 = t.drop(columns="highlight").assign(themes=["x", "y", "y", "y", "z"],
                                            actor_kind=["association", "association", "business", "association",
                                                        "institution"])
    chosen = quotes_by_theme(t2, themes=["x", "y"]).set_index("theme")
    assert chosen.loc["x", "text"] == "a" and chosen.loc["y", "text"] == "c"  # business, not a second association


def test_quotes_read_without_codes_and_with_a_generic_speaker():
    assert readable_text("avec P-a5fd56fe94 et [personne] puis [structure].") == \
        "avec [une structure] et [une personne] puis [une structure]."
    q = readable_quotes(pd.DataFrame({"theme": ["confiance"], "text": ["le bailleur et P-0123abcdef"],
                                      "actor_kind": ["association"], "year": [2024], "testimony_id": ["T1"]}))
    assert q.loc[0, "speaker"] == "une association" and "P-" not in q.loc[0, "text"]
    assert readable_quotes(q.assign(actor_kind=["Mme Dupont"])).loc[0, "speaker"] == "un acteur du territoire"


def test_of_place_contracts_the_article():
    assert of_place("Le Mail") == "du Mail"
    assert of_place("Les Grésilles") == "des Grésilles"
    assert of_place("La Fontaine") == "de la Fontaine"
    assert of_place("Épirey") == "d'Épirey"
    assert of_place("Fontaine d'Ouche") == "de Fontaine d'Ouche"


# --------------------------------------------------------------------------- the bundled territories
@pytest.fixture(scope="module", params=TERRITORIES)
def pub(request):
    return report_publication(request.param)


def _text(items) -> str:
    out = []
    for item in [items] if isinstance(items, str | pd.DataFrame | Figure) else items:
        if isinstance(item, Figure):
            out += [t.get_text() for t in item.findobj(lambda a: hasattr(a, "get_text") and callable(a.get_text))]
            matplotlib.pyplot.close(item)
        elif isinstance(item, pd.DataFrame):
            out += [str(c) for c in item.columns] + [str(v) for v in item.to_numpy().ravel()]
        else:
            out.append(str(item))
    return "\n".join(out)


def _body(pub) -> dict[str, str]:
    """The text of every builder before the annex, in the notebook's order."""
    body = SECTIONS[:SECTIONS.index("annex")]
    return {name: _text(getattr(sections, name)(pub)) for name in body if name != "territory_facts"}


def test_key_findings_are_short_graded_and_free_of_jargon(pub):
    page = key_findings(pub)[0]
    assert page.startswith("## L'essentiel")
    found = findings(pub)
    assert 3 <= len(found) <= 6 and all(f.grade in ("solide", "indicatif", "fragile") for f in found)
    assert all(f"Confiance : {f.grade}" in page for f in found)
    lengths = sentence_lengths(page)
    assert sum(lengths) / len(lengths) <= 20 and max(lengths) <= 35, lengths
    assert terms_in(page) == []
    assert "Ce que ce rapport ne peut pas dire" in page and "Période." in page


def test_the_body_uses_no_glossary_term_no_code_and_no_s_cell(pub):
    for name, text in _body(pub).items():
        assert terms_in(text) == [], name
        assert not re.search(r"\bP-[0-9a-f]{6,}", text), name
        assert not re.search(r"(?m)^s$", text), name  # a withheld cell reads in words


def test_a_section_with_nothing_to_show_leaves_the_report_and_is_listed_once(pub):
    listed = [key for g in gaps(pub) for key in g.keys]
    assert len(listed) == len(set(listed))
    limits = _text(sections.limits(pub))
    assert all(g.sentence in limits for g in gaps(pub))
    if not shows(pub, "urban_rural"):
        assert sections.urban_rural(pub) == [] and "Espace" not in _text(sections.rates(pub))
    if not shows(pub, "network"):
        assert sections.network_overview(pub) == [] and sections.network_reading(pub) == ""


def test_chenove_reads_as_the_commune_with_its_qpv_and_has_no_rural_table(pub):
    if pub.territory.slug != "chenove":
        pytest.skip("Chenôve only")
    assert sections.report_title(pub) == "Chenôve (dont le QPV du Mail)"
    assert sections.period_text(pub) == "2018–2024"
    assert pub.snapshot.date == dt.date(2024, 11, 30) and pub.snapshot.default  # the last complete month
    assert sections.urban_rural(pub) == [] and sections.density(pub) == []
    assert sections.distance(pub) == [] and sections.count_model(pub) == []
    assert "non estimable" not in _text(sections.reach_reading(pub))


def test_a_rest_of_the_area_without_accompaniment_has_a_rate_of_zero_and_its_exact_interval():
    """Every accompaniment of the exports in the territory (a Jura EPCI's own exports): the rest of
    the département has none; its rate is 0 with Garwood's upper bound 3.689 / 1,000 × 10,000.
    """
    from evaluation.report.sections.findings import Rest, rest_rate_interval

    rate, low, high = rest_rate_interval(Rest("le reste du département", 0.0, 1000.0, None), alpha=0.05)
    assert rate == 0 and low == 0 and high == pytest.approx(-np.log(0.025) / 1000 * 1e4, rel=1e-4)
