"""Rendering a territory report end to end (papermill, nbconvert), and its content."""

from __future__ import annotations

import html as htmllib
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from evaluation.report.context import prepare_context
from evaluation.report.publication import publish
from evaluation.report.runs.render import render_report
from evaluation.report.sections import key_findings, network_reading, reach_reading

from .conftest import read_export, write_export


@pytest.fixture(scope="module")
def chenove_report(bundled_reports) -> Path:
    return bundled_reports / "chenove" / "report.html"


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def test_html_is_french_without_code_and_self_contained(chenove_report):
    html = chenove_report.read_text(encoding="utf-8")
    text = _text(html)
    assert '<html lang="fr">' in html
    # nothing fetched from elsewhere when it is opened (nbconvert's template loads require.js and MathJax)
    assert not re.findall(r'<(?:script|img|link|iframe)\b[^>]*(?:src|href)="(?:https?:)?//', html)
    assert "No description has been provided" not in html
    for heading in ("Chenôve (dont le QPV du Mail)", "L'essentiel", "Le territoire et l'action",
                    "Qui l'action atteint-elle ?", "Le tiers-lieu du Mail",
                    "Les rencontres ont-elles fait naître des collaborations ?", "Ce que les chiffres ne disent pas",
                    "Limites", "Ce que ce rapport ne couvre pas", "Annexe technique", "Indicateurs",
                    "Évolution d'une année sur l'autre", "Tiers-lieu du Mail : détail", "QPV de la commune",
                    "Réseaux : estimation ajustée", "Description des réseaux",
                    "De la co-présence à la collaboration : comparaison brute",
                    "Modèle logistique brut des nouvelles collaborations", "Témoignages : thèmes",
                    "Précautions de lecture", "Sommaire", "Méthode et sources", "Données illustratives", "Glossaire"):
        assert htmllib.unescape(heading) in htmllib.unescape(html), heading
    # A one-commune, all-urban territory has no density, urban/rural, map or count-model section (issue 27).
    for pruned in ("Par niveau de densité", "Urbain et rural", "Communes atteintes", "Modèle de comptage par commune"):
        assert not re.search(rf"<h[1-4][^>]*>{re.escape(pruned)}", html), pruned
    assert "Grands centres urbains" in text
    # The network chapter leads with the adjusted estimate, its model, falsification and E-value.
    assert "avec un effet fixe par acteur" in text and "Test de falsification" in text
    assert "un facteur de confusion non mesuré devrait multiplier par au moins" in text
    assert text.index("avec un effet fixe par acteur") < text.index("rapport de risques brut")
    assert "confirme le lien" not in text
    assert "import " not in text and "prepare_context" not in text and "In&nbsp;[" not in html
    assert html.count("data:image/png;base64") >= 2  # bar chart and map, embedded
    assert "Traceback" not in text and "Warning" not in text
    assert (chenove_report.parent / "report.ipynb").is_file()
    assert (chenove_report.parent / "reseau" / "collaboration_apres.graphml").is_file()
    assert (chenove_report.parent / "indicators.xlsx").is_file()
    assert "scrapbook" not in html  # glued values stay in the notebook


def test_no_names_in_report(chenove_report, paths):
    outputs = [chenove_report, chenove_report.parent / "report.ipynb", chenove_report.parent / "indicators.csv",
               *(chenove_report.parent / "reseau").iterdir()]
    html = "".join(p.read_text(encoding="utf-8") for p in outputs)
    names = set(read_export(paths.sample / "accompaniments.csv")["structure_name"])
    names |= set(pd.read_excel(paths.sample / "actors.xlsx", engine="openpyxl")["name"])
    assert not [n for n in names if n in html]


def test_checked_notebook_output_agrees_with_raw_data(paths):
    """The output nbval checks states facts that a plain read of the inputs confirms."""
    from .conftest import EXPECTED

    text = (EXPECTED / "territory_report.1.txt").read_text(encoding="utf-8")
    raw = read_export(paths.sample / "accompaniments.csv")
    assert f"Accompagnements dans le territoire : {(raw['commune_code'] == '21166').sum()}\n" in text
    insee = pd.read_excel(paths.reference / "grille_densite_7_niveaux_2024_bfc.xlsx", skiprows=4, dtype=str, engine="openpyxl")
    label = insee.set_index("CODGEO").loc["21166", "LIBDENS"]
    assert f"Chenôve (21166) : {label}" in text
    # One population vintage: INSEE's population municipale 2021 (PMUN21) of the density file.
    population = int(insee.set_index("CODGEO").loc["21166", "PMUN21"])
    assert f"population municipale : {population:,}\n".replace(",", "\u202f") in text


def test_summary_figures(paths):
    ctx = prepare_context("chatillonnais")
    raw = read_export(paths.sample / "accompaniments.csv")
    # by default the data stop at the end of the last complete month: the latest record is of 30/12/2024
    started = pd.to_datetime(raw["start_date"], dayfirst=True) <= "2024-11-30"
    assert len(ctx.accompaniments) == (raw["commune_code"].isin(ctx.communes["commune_code"]) & started).sum()
    summary = ctx.reach()
    text = key_findings(publish(ctx, summary, None, None))[0]
    assert text.startswith("## L'essentiel") and f"**{len(ctx.accompaniments)} accompagnements** ont été menés" in text
    # with the distinct structures behind them (the denominators), as the report publishes them
    text = key_findings(publish(ctx, summary, None, None, denominators=ctx.denominators()))[0]
    assert "structures ou projets** différents" in text
    assert ctx.illustrative


def test_rendering_is_reproducible(chenove_report, tmp_path):
    again = render_report("chenove", out_dir=tmp_path)
    first = (chenove_report.parent / "indicators.csv").read_bytes()
    assert first == (again.parent / "indicators.csv").read_bytes()
    assert (chenove_report.parent / "reseau" / "collaboration_apres_edges.csv").read_bytes() == \
        (again.parent / "reseau" / "collaboration_apres_edges.csv").read_bytes()


def test_invalid_data_writes_nothing(sample_copy, tmp_path):
    acc = read_export(sample_copy / "accompaniments.csv")
    acc.loc[0, "commune_code"] = "99999"
    write_export(acc, sample_copy / "accompaniments.csv")
    out = tmp_path / "out"
    from evaluation.errors import ValidationError

    with pytest.raises(ValidationError, match="99999"):
        render_report("chenove", data_dir=sample_copy, out_dir=out)
    assert not out.exists()


def test_plain_papermill_runs_the_notebook(tmp_path, paths):
    """An evaluator can call papermill directly, from any folder."""
    out = tmp_path / "out.ipynb"
    papermill = Path(sys.executable).with_name("papermill")
    done = subprocess.run([str(papermill), str(paths.report_notebook), str(out), "-p", "territory", "chatillonnais",
                           "--execution-timeout", "600"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    nb = json.loads(out.read_text(encoding="utf-8"))
    printed = "".join("".join(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", []))
    assert "Territoire : Pays Châtillonnais (chatillonnais)" in printed


def test_reach_reading_per_territory():
    chenove = prepare_context("chenove")
    text = reach_reading(publish(chenove, chenove.reach(), None, None))
    assert "Toutes les communes du territoire sont urbaines" in text and "quartier prioritaire" in text
    cdo = prepare_context("cote-d-or")
    text = reach_reading(publish(cdo, cdo.reach(), None, None))
    assert "indice de représentation" in text and "À population égale" in text and "80 %" in text
    assert prepare_context("chatillonnais").venue() is None


def test_territory_without_network_leaves_the_chapter_out_and_says_why_once():
    from evaluation.report.sections.scope import gaps

    ctx = prepare_context("auxois")
    assert ctx.network() is None
    pub = publish(ctx, ctx.reach(), None, None)
    assert network_reading(pub) == ""
    assert [g.why for g in gaps(pub) if g.key == "network"] == [
        "ce territoire n'a pas de données sur les rencontres et les collaborations entre acteurs"]


def test_the_pseudonym_key_is_never_written(chenove_report):
    from .conftest import TEST_KEY
    from .test_integrity import output_texts

    texts = output_texts(chenove_report.parent)
    assert len(texts) > 10
    assert not [p for p, t in texts.items() if TEST_KEY in t or TEST_KEY.encode().hex() in t]
    text = _text(texts[chenove_report])
    assert "stables entre exécutions" in text and "pas stables" not in text


def test_a_killed_run_leaves_the_previous_report_intact(chenove_report, tmp_path):
    """SIGKILL while the notebook runs: the previous report stays as it was, complete."""
    import os
    import shutil
    import signal
    import time

    from evaluation._io import remove_orphans, sha256_file

    folder = tmp_path / "chenove"  # a copy: the shared render is read-only
    shutil.copytree(chenove_report.parent, folder)
    before = {p.relative_to(folder): sha256_file(p) for p in folder.rglob("*") if p.is_file()}
    proc = subprocess.Popen([sys.executable, "-m", "evaluation.cli", "report", "chenove", "--out", str(folder.parent)],
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list(folder.parent.glob(".chenove.run.*/report.ipynb")) and time.monotonic() < deadline:
        assert proc.poll() is None, "the run ended before it could be interrupted"
        time.sleep(0.05)
    time.sleep(1.0)  # a few cells into the notebook
    os.killpg(proc.pid, signal.SIGKILL)  # the command and its kernel
    proc.wait()
    after = {p.relative_to(folder): sha256_file(p) for p in folder.rglob("*") if p.is_file()}
    assert after == before
    left = sorted(folder.parent.glob(".chenove.run.*"))
    assert left, "SIGKILL runs no clean-up: the working folder is left"
    assert sorted(remove_orphans(folder.parent)) == left  # what the next run does first
    assert not list(folder.parent.glob(".chenove.run.*"))


def test_names_sentence_is_stated_only_after_the_check(chenove_report, paths):
    """The sentence saying no name appears is added by the renderer once every output was searched."""
    text = _text(chenove_report.read_text(encoding="utf-8"))
    assert "Aucun nom de personne ou de structure des exports n'apparaît dans ce rapport" in text
    notebook = (paths.notebooks / "territory_report.ipynb").read_text(encoding="utf-8")
    assert "Aucun nom de personne" not in notebook


def test_the_published_notebook_names_no_folder_of_the_machine(chenove_report, paths):
    """Absolute paths name the evaluator's home folder (often after a person) and the working
    folder names the machine: the executed notebook keeps only their last part.
    """
    import socket

    import nbformat

    from evaluation.report.runs.render import _without_paths

    text = (chenove_report.parent / "report.ipynb").read_text(encoding="utf-8")
    assert str(paths.root) not in text and str(chenove_report.parent.parent) not in text
    assert f"@{socket.gethostname()}" not in text and ".run." not in text  # the working folder's name
    nb = nbformat.v4.new_notebook(metadata={"papermill": {"input_path": "/home/jeanne.dupont/n.ipynb",
                                                          "parameters": {"data_dir": "/home/jeanne.dupont/données"}}})
    nb.cells.append(nbformat.v4.new_code_cell("data_dir = '/home/jeanne.dupont/données'\n"
                                              "reference_dir = 'C:\\\\Users\\\\jdupont\\\\ref'\nalpha = 0.05",
                                              metadata={"tags": ["injected-parameters"]}))
    _without_paths(nb, territory="chenove")
    assert nb.cells[0].source == "data_dir = 'données'\nreference_dir = 'ref'\nalpha = 0.05"
    assert nb.metadata.papermill == {"input_path": "n.ipynb", "parameters": {"data_dir": "données"}}
