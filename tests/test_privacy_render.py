"""Issue 24, end to end: identifiers planted in an association's exports — in free text
(testimonies' text, events' titles, collaborations' source) and in extra columns — appear in
no output of a report (HTML, notebook, Word, PDF, CSV, XLSX, GraphML) nor in the cache; a
yes/no column with a contact-like header and a public body under its official name do not
stop the report; and the final search refuses an output in which a phone number is planted
after rendering, and a run whose notebook holds one (or a raw name) publishes nothing.

One report is rendered for the whole module (`evaluation report chenove --formats
html,docx,pdf` on a copy of the sample with the planted values).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from evaluation.cli import main
from evaluation.io.cache import cache_folders, clear_cache
from evaluation.report.secrecy.leaks import (
    IdentifierLeakError,
    NameLeakError,
    RawName,
    _text_chunks,
    check_outputs,
    output_files,
)
from evaluation.report.secrecy.patterns import identifier_sources

from .conftest import read_export, write_export

#: What was planted, and a pattern finding it however an output lays it out (independent of our recognisers).
PLANTED = {
    "06 71 45 32 18": r"0?6\W{0,3}71\W{0,3}45\W{0,3}32\W{0,3}18",
    "03.81.69.12.34": r"0?3\W{0,3}81\W{0,3}69\W{0,3}12\W{0,3}34",
    "+33 7 12 34 56 78": r"(?:\+33|0)\W{0,3}7\W{0,3}12\W{0,3}34\W{0,3}56\W{0,3}78",
    "mehmet.yilmaz25@gmail.com": r"yilmaz|mehmet",
    "karim@saveursdeplanoise.fr": r"saveursdeplanoise",
    "12 rue de Dole": r"rue\W+de\W+dole",
    "3 bis avenue Jean Jaurès": r"avenue\W+jean|jaur[eè]s",
    "https://www.facebook.com/rose.marchand": r"facebook",
    "FR76 3000 6000 0112 3456 7890 189": r"3000\W?6000\W?0112",
    "1 85 05 78 006 084 91": r"85\W?05\W?78\W?006\W?084",
    "Rose Marchand": r"rose\W+marchand",
    "Claire Petit": r"claire\W+petit",
}


@pytest.fixture(scope="module")
def planted(tmp_path_factory, paths):
    data = tmp_path_factory.mktemp("planted") / "exports-planted"
    shutil.copytree(paths.sample, data)
    tm = read_export(data / "testimonies.csv")
    shown = tm.index[tm["territory"].eq("chenove")][:4]
    texts = [
        "Rose Marchand nous a aidés ; on l'appelle au 06 71 45 32 18 ou au 03.81.69.12.34.",
        "[personne] a ouvert son atelier au 12 rue de Dole, mail : mehmet.yilmaz25@gmail.com. Mehmet est ravi.",
        "Karim (karim@saveursdeplanoise.fr, +33 7 12 34 56 78) et Claire Petit, 3 bis avenue Jean Jaurès.",
        "Voir https://www.facebook.com/rose.marchand ; RIB FR76 3000 6000 0112 3456 7890 189, "
        "sécu 1 85 05 78 006 084 91.",
    ]
    tm.loc[shown, "text"] = texts
    tm["Téléphone du contact"] = ["06 71 45 32 18" if i % 2 else "karim@saveursdeplanoise.fr" for i in range(len(tm))]
    every = list(PLANTED)  # each class in an extra column too
    tm["Coordonnées"] = [every[i % len(every)] for i in range(len(tm))]
    tm["Suivi post-création"] = ["oui" if i % 3 else "non" for i in range(len(tm))]
    write_export(tm, data / "testimonies.csv")
    events = read_export(data / "events.csv")
    events["titre"] = ""
    events.loc[events.index[:4], "titre"] = ["Atelier cuisine avec Rose Marchand (06 71 45 32 18)",
                                             "Forum de l'emploi, 12 rue de Dole", "Café des habitants",
                                             "Inscriptions : mehmet.yilmaz25@gmail.com"]
    write_export(events, data / "events.csv")
    collab = read_export(data / "collaborations.csv")
    collab.loc[collab.index[:3], "source"] = ["entretien avec Claire Petit, 03.81.69.12.34",
                                              "enquête réseau (karim@saveursdeplanoise.fr)", "entretien"]
    write_export(collab, data / "collaborations.csv")
    actors = pd.read_excel(data / "actors.xlsx", dtype=str, engine="openpyxl").fillna("")
    actors["E-mail"] = ["rose.marchand@orange.fr" if i % 2 else "" for i in range(len(actors))]
    actors["Suivi post-création"] = ["oui" if i % 2 else "non" for i in range(len(actors))]
    public = actors.index[actors["kind"].eq("local_authority")][0]
    actors.loc[public, "name"] = "Communauté de communes du Pays Châtillonnais"  # a public body, its official name
    actors.to_excel(data / "actors.xlsx", index=False)
    out = tmp_path_factory.mktemp("reports")
    status = main(["report", "chenove", "--data", str(data), "--out", str(out), "--formats", "html,docx,pdf"])
    yield data, out / "chenove", status
    clear_cache(paths.processed, data_dir=data)


def _texts(path) -> list[str]:
    chunks = [t for _, t in _text_chunks(path)]
    if path.suffix in {".html", ".csv", ".graphml", ".json", ".ipynb"}:
        chunks.append(path.read_text(encoding="utf-8", errors="replace"))
    return chunks


def test_the_report_renders_with_yes_no_columns_and_a_public_body(planted):
    _, report, status = planted
    assert status == 0
    assert {p.name for p in report.iterdir()} >= {"report.html", "report.docx", "report.pdf", "report.ipynb",
                                                  "indicators.csv", "indicators.xlsx"}


def test_no_planted_identifier_in_any_output_nor_in_the_cache(planted, paths):
    data, report, _ = planted
    cached = [p for folder in cache_folders(paths.processed, data_dir=data) for p in folder.iterdir()]
    assert any(p.name == "testimonies.parquet" for p in cached)
    files = [*output_files(report), *cached]
    assert {p.suffix for p in files} >= {".html", ".ipynb", ".docx", ".pdf", ".csv", ".xlsx", ".graphml",
                                         ".parquet", ".json"}
    found = [(p.name, written) for p in files for text in _texts(p) for written, pattern in PLANTED.items()
             if re.search(pattern, text, flags=re.IGNORECASE)]
    assert not found
    quotes = " ".join(pd.read_parquet(next(p for p in cached if p.name == "testimonies.parquet"))["text"])
    for tag in ("[téléphone]", "[courriel]", "[adresse]", "[lien]", "[coordonnées bancaires]",
                "[numéro de sécurité sociale]", "[personne]"):
        assert tag in quotes


def test_the_final_search_refuses_a_phone_number_planted_after_rendering(planted, tmp_path):
    import docx

    data, report, _ = planted
    html = tmp_path / "report.html"
    html.write_text(report.joinpath("report.html").read_text(encoding="utf-8").replace(
        "</body>", "<p>Pour en savoir plus : 06.71.45.32.18</p></body>"), encoding="utf-8")
    document = docx.Document(str(report / "report.docx"))
    document.add_paragraph("Contact : +33 6 99 88 77 66")
    document.save(str(tmp_path / "report.docx"))
    check_outputs([report / "report.html"], [], root=report, identifiers=identifier_sources(data))  # clean as rendered
    with pytest.raises(IdentifierLeakError) as err:
        check_outputs([html, tmp_path / "report.docx"], [], root=tmp_path, identifiers=identifier_sources(data))
    fr = err.value.text(lang="fr")
    # the first cell of the exports that holds it: the first event's title (row 2: the header is row 1)
    assert re.search(r"report\.html \(ligne \d+\) : un numéro de téléphone lu\(e\) dans events\.csv, "
                     r"colonne 'titre', ligne 2\n", fr), fr
    assert re.search(r"report\.docx \(paragraphe \d+\) : un numéro de téléphone, lu\(e\) dans aucun fichier", fr), fr
    assert "71.45" not in fr and "99 88" not in fr


@pytest.fixture
def executed_as(planted, monkeypatch):
    """Make render_report's notebook run a copy of the module's executed notebook (edited by
    ``edit``): what follows the run — the final search, the documents, the publication — runs for real.
    """
    import papermill

    def install(edit=lambda text: text):
        def fake(source, output, **kwargs):
            text = (planted[1] / "report.ipynb").read_text(encoding="utf-8")
            Path(output).write_text(edit(text), encoding="utf-8")
        monkeypatch.setattr(papermill, "execute_notebook", fake)
    return install


def test_a_report_with_a_raw_name_is_not_published(planted, executed_as, tmp_path, monkeypatch):
    """A name the redaction missed (here: a phrase the report prints) stops the run before publication."""
    from evaluation.report.runs import render

    executed_as()
    monkeypatch.setattr(render, "raw_names", lambda data_dir, **kw: [RawName("Grands centres urbains", "test")])
    located = r"raw name\(s\) of the exports found[\s\S]*  - report.ipynb \(cell \d+\): the name of test"
    with pytest.raises(NameLeakError, match=located):
        render.render_report("chenove", data_dir=planted[0], out_dir=tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == []


def test_a_report_with_a_phone_number_in_its_notebook_is_not_published(planted, executed_as, tmp_path):
    from evaluation.report.runs.render import render_report

    executed_as(lambda text: text.replace("Méthode et sources", "Méthode et sources (tél. 06 71 45 32 18)", 1))
    with pytest.raises(IdentifierLeakError) as err:
        render_report("chenove", data_dir=planted[0], out_dir=tmp_path)
    assert re.search(r"report\.ipynb \(cell \d+\): a phone number read in events\.csv, column 'titre', row 2",
                     str(err.value))
    assert [p.name for p in tmp_path.iterdir()] == []
