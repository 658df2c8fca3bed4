"""Indicator table: values against independent computations, XLSX layout, reproducibility."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from evaluation.report.context import prepare_context
from evaluation.report.indicators import write_indicators
from evaluation.report.publication import publish

from .conftest import read_export


@pytest.fixture(scope="module")
def chenove():
    ctx = prepare_context("chenove")
    summary, net, venue = ctx.reach(), ctx.network(permutations=200), ctx.venue()
    return ctx, publish(ctx, summary, net, venue, source="test")


def insee_population(path, code: str) -> int:
    """A commune's PMUN column in INSEE's density file, read cell by cell (independent of our reader)."""
    import openpyxl

    rows = openpyxl.load_workbook(path, read_only=True).active.iter_rows(values_only=True)
    header = next(r for r in rows if r and "CODGEO" in r)
    pmun = next(i for i, h in enumerate(header) if str(h).startswith("PMUN"))
    return int(next(r[pmun] for r in rows if r[header.index("CODGEO")] == code))


def test_values(chenove, paths):
    ctx, pub = chenove
    ind = pub.indicators.set_index("code")
    raw = read_export(paths.sample / "accompaniments.csv")
    here = raw[raw["commune_code"] == "21166"]
    assert ind.loc["acc_total", "valeur"] == len(here)
    assert ind.loc["emplois_crees", "valeur"] == here["jobs_created"].astype(int).sum()
    assert ind.loc["part_qpv", "valeur"] == pytest.approx((here["in_qpv"] == "oui").mean())
    # Chenôve's municipal population (PMUN21) as INSEE's density file gives it, read with openpyxl.
    population = insee_population(paths.reference / "grille_densite_7_niveaux_2024_bfc.xlsx", "21166")
    assert ind.loc["taux_10k", "valeur"] == pytest.approx(len(here) / population * 1e4)
    assert ind.loc["temoignages", "valeur"] == (read_export(paths.sample / "testimonies.csv")["territory"] == "chenove").sum()
    assert {"liens_avant", "liens_apres", "liens_nouveaux", "taux_conversion", "acteurs_reseau"} <= set(ind.index)


def test_small_counts_are_withheld():
    ctx = prepare_context("chatillonnais")
    pub = publish(ctx, ctx.reach(), ctx.network(), ctx.venue(), threshold=100)
    ind = pub.indicators.set_index("code")
    assert ind.loc["acc_dla", "secret"] and pd.isna(ind.loc["acc_dla", "valeur"])
    assert not ind.loc["communes_atteintes", "secret"]
    assert pub.suppressed_cells > 0


def test_files(chenove, tmp_path):
    _, pub = chenove
    csv, xlsx = write_indicators(pub.indicators, tmp_path)
    back = pd.read_csv(csv, sep=";", decimal=",", encoding="utf-8-sig")
    assert back["code"].tolist() == pub.indicators["code"].tolist()
    assert set(back["secret"]) <= {"oui", "non"}
    shown = pub.indicators["valeur"].notna().to_numpy()
    assert ((back["valeur"] - pub.indicators["valeur"].astype(float)).abs()[shown] < 1e-6).all()
    # counts as French Excel users type them (« 38 », not « 38,0 »), shares with their decimals
    raw = pd.read_csv(csv, sep=";", dtype=str, encoding="utf-8-sig", keep_default_na=False).set_index("code")
    assert raw.loc["acc_total", "valeur"] == str(int(pub.indicators.set_index("code").loc["acc_total", "valeur"]))
    share = pub.indicators.set_index("code").loc["part_qpv", "valeur"]
    assert raw.loc["part_qpv", "valeur"] == f"{share:.6f}".rstrip("0").replace(".", ",").rstrip(",") \
        + (",0" if float(share).is_integer() else "")
    book = openpyxl.load_workbook(xlsx)
    assert book.sheetnames == ["Indicateurs", "Définitions"]
    sheet = book["Indicateurs"]
    assert sheet["A1"].font.bold and sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["B"].width > 20
    assert book["Définitions"].max_row == len(pub.indicators) + 1


def test_network_effect_indicators_beside_the_crude_ones():
    from types import SimpleNamespace

    from evaluation.measures.network.build import TieChange
    from evaluation.measures.network.effect import NetworkEffect
    from evaluation.measures.network.inference import Conversion
    from evaluation.report.indicators import territory_indicators

    ctx = prepare_context("chenove")
    summary = ctx.reach()
    effect = NetworkEffect(1.8, 1.1, 2.9, 0.02, "actor_fixed_effects", "fixed_effects", True, 2000, 40, 30, "any")
    periods = [SimpleNamespace(label="before"), SimpleNamespace(label="after")]
    network = SimpleNamespace(periods=periods, active={"before": [1], "after": [1, 2]},
                              change=TieChange(3, 5, 2, 3, 0, 0.6, [], [], 1),
                              conversion=Conversion(10, 100, 5, 200, 0.1, 0.025, 4.0, 1.4, 11.5, 0.01), effect=effect)
    ind = territory_indicators(summary=summary, accompaniments=ctx.accompaniments, network=network,
                               source="test").set_index("code")
    row = ind.loc["effet_reseau"]
    assert (row["valeur"], row["ic_bas"], row["ic_haut"]) == (1.8, 1.1, 2.9) and not row["secret"]
    assert "effet fixe par acteur" in row["definition"]
    assert ind.loc["effet_reseau_evalue", "valeur"] == 1
    assert ind.loc["acteurs_reseau", "periode"] == "après" and ind.loc["liens_avant", "periode"] == "avant"
    assert "brut" in ind.loc["taux_conversion", "indicateur"] and "brut" in ind.loc["rapport_conversion", "indicateur"]
    # Not estimable: no value, the flag at 0 and the reason in words.
    network.effect = NetworkEffect(float("nan"), float("nan"), float("nan"), float("nan"), None, "too_few_new_ties",
                                   False, 2000, 1, 2, "any")
    ind = territory_indicators(summary=summary, accompaniments=ctx.accompaniments, network=network,
                               source="test").set_index("code")
    assert pd.isna(ind.loc["effet_reseau", "valeur"]) and ind.loc["effet_reseau_evalue", "valeur"] == 0
    assert "moins de deux nouveaux liens" in ind.loc["effet_reseau_evalue", "definition"]
    assert not ind.loc["effet_reseau", "estimable"]
    assert ind.loc["effet_reseau", "motif"] == "moins de deux nouveaux liens"
    # A conversion count below the disclosure threshold: the adjusted ratio is withheld with it.
    network.effect = NetworkEffect(1.8, 1.1, 2.9, 0.02, "prior_activity_controls", "too_few_new_ties_for_fixed_effects",
                                   True, 2000, 13, 9, "any")
    network.conversion = Conversion(10, 100, 3, 200, 0.1, 0.015, 6.7, 1.9, 23.6, 0.01)
    ind = territory_indicators(summary=summary, accompaniments=ctx.accompaniments, network=network,
                               source="test").set_index("code")
    assert ind.loc["effet_reseau", "secret"] and "activité antérieure" in ind.loc["effet_reseau", "definition"]
