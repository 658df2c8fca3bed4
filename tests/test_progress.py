"""The dossier's formats everywhere (issue 27, item 10): a report says its steps on a terminal, in
the command's language, and says nothing elsewhere; ``publish`` writes editions in the formats
of ``report`` (``--formats``, ``--alpha``) and records the objectives' statuses.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from evaluation.cli import main
from evaluation.report.editions.manifest import indicator_records, objective_records, read_manifest
from evaluation.report.runs.progress import PROGRESS_ENGINE, Progress, cell_label, progress_engine


class Terminal(io.StringIO):
    """Standard error as a terminal."""

    def isatty(self) -> bool:
        return True


def test_progress_lines_in_french_and_silent_when_disabled():
    out = io.StringIO()
    p = Progress(lang="fr", stream=out, overwrite=False)
    p.step("progress_validate", slug="chenove")
    cells = [{"cell_type": "markdown", "source": "# Titre"},
             {"cell_type": "code", "source": "x = 1", "metadata": {"tags": ["parameters"]}},
             {"cell_type": "code", "source": "pub = publication.report_publication(territory)", "metadata": {}},
             {"cell_type": "code", "source": "show(sections.density(pub))", "metadata": {}}]
    for i, cell in enumerate(cells):
        p.on_cell(cell, i, cells)
    p.step("progress_docx")
    p.done("reports/chenove/report.html")
    lines = [line.split(" s  ", 1)[1] for line in out.getvalue().splitlines()]
    assert lines == ["lecture et vérification des données de chenove",
                     "exécution du carnet du rapport (3 cellules de code)",
                     "cellule 1/3 : paramètres",
                     "cellule 2/3 : chargement des données, calcul des mesures et du secret statistique",
                     "cellule 3/3 : section density",
                     "écriture de report.docx",
                     "terminé en 0 s : reports/chenove/report.html"]
    silent = io.StringIO()
    q = Progress(lang="fr", stream=silent, enabled=False)
    q.step("progress_validate", slug="chenove")
    q.on_cell(cells[1], 1, cells)
    q.done("x")
    assert silent.getvalue() == ""
    assert progress_engine({}, q) == {} and progress_engine({"engine_name": "w", "notebook_path": "n"}, p) == {
        "engine_name": PROGRESS_ENGINE, "base_engine": "w", "on_cell": p.on_cell, "notebook_path": "n"}


def test_cells_overwrite_one_another_on_a_terminal():
    out = Terminal()
    p = Progress(lang="en", stream=out)
    cells = [{"cell_type": "code", "source": "show(sections.summary(pub))"},
             {"cell_type": "code", "source": "print(sections.territory_facts(pub))"}]
    for i, cell in enumerate(cells):
        p.on_cell(cell, i, cells)
    p.step("progress_html")
    text = out.getvalue()
    assert text.count("\r\x1b[K") == 2 and "cell 2/2: section territory_facts\n" in text
    assert text.rstrip().endswith("exporting report.html")


def test_the_kernel_stages_are_said_under_the_cell_running(tmp_path):
    """What the kernel notes (evaluation.report.context.stage, here in this process) is said as it comes."""
    import os
    import time

    from evaluation.report.context import STAGES_ENV, stage

    out = io.StringIO()
    p = Progress(lang="fr", stream=out, overwrite=False)
    cells = [{"cell_type": "code", "source": "pub = publication.report_publication(territory)"}]
    with p.kernel_stages(tmp_path, every=0.05):
        p.on_cell(cells[0], 0, cells)
        stage("loading")
        time.sleep(0.3)
        stage("measures")
        stage("unknown-stage")
    assert STAGES_ENV not in os.environ
    stage("secrecy")  # no run watching: nothing written, nothing said
    said = [line.split(" s  ", 1)[1] for line in out.getvalue().splitlines()]
    assert said[2:] == ["cellule 1/1 : lecture des exports, du référentiel des communes et des territoires",
                        "cellule 1/1 : calcul des mesures"]
    quiet = Progress(stream=io.StringIO(), enabled=False)
    with quiet.kernel_stages(tmp_path / "absent"):  # disabled: no file, no variable
        assert STAGES_ENV not in os.environ


def test_cell_labels():
    assert cell_label("x = 1", ["injected-parameters"]) == ("progress_cell_parameters", {})
    assert cell_label("# comment\nshow(sections.qpv(pub))") == ("progress_cell_section", {"name": "qpv"})
    assert cell_label("%matplotlib inline\nimport x") == ("progress_cell_code", {"code": "%matplotlib inline"})


def test_the_engine_says_each_code_cell_as_papermill_runs_it(tmp_path):
    """A real papermill run on the project's kernel: each code cell is said before it runs."""
    import papermill as pm

    from evaluation.kernel import ensure_kernel

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Titre"), nbformat.v4.new_code_cell("a = 1"),
                nbformat.v4.new_code_cell("print(a + 1)")]
    source = tmp_path / "in.ipynb"
    nbformat.write(nb, source)
    out = io.StringIO()
    progress = Progress(lang="en", stream=out, overwrite=False)
    pm.execute_notebook(str(source), str(tmp_path / "out.ipynb"), kernel_name=ensure_kernel(), progress_bar=False,
                        **progress_engine({}, progress))
    said = [line.split(" s  ", 1)[1] for line in out.getvalue().splitlines()]
    assert said == ["running the report notebook (2 code cells)", "cell 1/2: a = 1", "cell 2/2: print(a + 1)"]
    executed = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    assert executed.cells[2].outputs[0]["text"] == "2\n"  # the base engine ran the cells


@pytest.fixture
def stub_render(monkeypatch):
    """``render_report`` replaced by a stub that goes through the steps it is given a Progress for."""
    from evaluation.report.runs import render

    seen = {}

    def stub(territory, *, progress=None, formats=None, **options):
        seen.update(progress=progress, formats=formats)
        progress.step("progress_validate", slug=territory)
        cells = [{"cell_type": "code", "source": "pub = publication.report_publication(territory)"}]
        progress.on_cell(cells[0], 0, cells)
        progress.step("progress_docx")
        progress.step("progress_names")
        return Path("reports") / territory / "report.html"

    monkeypatch.setattr(render, "render_report", stub)
    return seen


@pytest.mark.parametrize(("terminal", "quiet", "said"), [(True, False, True), (True, True, False),
                                                         (False, False, False)])
def test_report_says_its_steps_only_on_a_terminal_and_in_the_command_language(stub_render, monkeypatch, capsys,
                                                                              terminal, quiet, said):
    err = Terminal() if terminal else io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    args = ["--lang", "fr", "report", "chenove", "--formats", "html,docx", *(["--quiet"] if quiet else [])]
    assert main(args) == 0
    assert capsys.readouterr().out.strip() == str(Path("reports") / "chenove" / "report.html")
    assert stub_render["formats"] == ("html", "docx") and stub_render["progress"].enabled is said
    text = err.getvalue()
    if said:
        for words in ("lecture et vérification des données de chenove", "cellule 1/1 : chargement des données",
                      "écriture de report.docx", "recherche des noms des exports dans chaque sortie",
                      "terminé en"):
            assert words in text, words
    else:
        assert text == ""


def test_publish_refuses_unknown_formats_before_anything(tmp_path, capsys):
    assert main(["publish", "chenove", "--edition", "x", "--as-of", "2022-12-31", "--formats", "odt",
                 "--out", str(tmp_path)]) == 2
    assert "evaluation publish: " in capsys.readouterr().err and not any(tmp_path.iterdir())


def test_publish_in_the_formats_of_report_with_alpha_progress_and_objectives(tmp_path, monkeypatch, capsys):
    """One real edition of Chenôve in HTML and Word, 90 % intervals, with its steps said in French."""
    err = Terminal()
    monkeypatch.setattr(sys, "stderr", err)
    assert main(["--lang", "fr", "publish", "chenove", "--as-of", "2022-12-31", "--edition", "point-etape-2022",
                 "--formats", "html,docx", "--alpha", "0,1", "--out", str(tmp_path)]) == 0
    folder = tmp_path / "chenove" / "editions" / "point-etape-2022"
    assert capsys.readouterr().out.strip() == str(folder)
    assert {"report.html", "report.docx", "report.ipynb", "indicators.csv"} <= {p.name for p in folder.iterdir()}
    assert not (folder / "report.pdf").exists()
    m = read_manifest(folder)
    assert m["parameters"]["alpha"] == 0.1
    assert {"report.html", "report.docx"} <= {o["path"] for o in m["outputs"]}
    assert "IC 90" in (folder / "report.html").read_text(encoding="utf-8")
    text = err.getvalue()
    for words in ("lecture et vérification des données de chenove", "exécution du carnet du rapport",
                  "chargement des données, calcul des mesures", "lecture des exports, du référentiel",
                  " : calcul des mesures\r", "secret statistique et publication", "section objectives", "écriture de report.docx",
                  "export de report.html", "recherche des noms des exports", "gel de l'édition point-etape-2022",
                  "terminé en"):
        assert words in text, words
    # The objectives' statuses at the edition's date, from the indicators it published.
    csv = pd.read_csv(folder / "indicators.csv", sep=";", decimal=",", encoding="utf-8-sig", keep_default_na=False,
                      na_values=[""])
    from evaluation.geo.territories import get_territory

    expected = objective_records(indicator_records(csv), get_territory("chenove").objectives,
                                 on=pd.Timestamp("2022-12-31").date())
    assert m["objectives"] == json.loads(json.dumps(expected)) and len(expected) == 4
    assert {r["status"] for r in m["objectives"]} <= {"met", "on_track", "not_met", "not_measurable"}
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "Résultats au regard des objectifs" in html
    for r in m["objectives"]:
        assert {"met": "atteint", "on_track": "en bonne voie", "not_met": "non atteint",
                "not_measurable": "non mesurable"}[r["status"]] in html
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert main(["verify", str(folder)]) == 0
