"""One publication set (issue 25, item 4): a département and all its EPCI decided in one batch,
two editions of a territory, and ``evaluation audit FOLDER`` on the files they write.

Each case is decided twice: as one set, and report by report (the set logic switched off), so
that the audit's finding of a recoverable count — and the set's preventing it — can be seen.
The audit is the reader's: it reads what each report publishes (withheld values blanked,
:func:`evaluation.report.runs.secrecy.audit_members`), never a withheld value.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from evaluation.cli import main
from evaluation.geo.reference import load_reference
from evaluation.geo.territories import load_territories
from evaluation.io.sample import generate_sample, write_sample
from evaluation.report.publication import report_publication
from evaluation.report.runs.secrecy import (
    audit_folder,
    audit_members,
    decide_set,
    earlier_members,
    set_drafts,
    set_publications,
)
from evaluation.report.secrecy.audit import audit

COTE_D_OR = """territories:
  cote-d-or:
    label: "Côte-d'Or"
    split_date: 2020-01-01
    departements: ["21"]
    sites:
      - {label: "Pôle d'économie solidaire (Dijon)", commune: "21231"}
generate:
  - every_epci_of: "21"
    split_date: 2020-01-01
    sites:
      - {label: "Pôle d'économie solidaire (Dijon)", commune: "21231"}
"""


@pytest.fixture(scope="module")
def departement_and_epci(tmp_path_factory):
    """Côte-d'Or and its 19 EPCI at threshold 5, on illustrative data drawn for that territories
    file (``evaluation sample --territories FILE``), decided as one set and report by report.
    """
    tmp = tmp_path_factory.mktemp("set")
    terr = tmp / "territories.yml"
    terr.write_text(COTE_D_OR, encoding="utf-8")
    territories = load_territories(terr)
    write_sample(generate_sample(load_reference(), territories), tmp / "data", seed=2024)
    options = {"territories_file": terr, "data_dir": tmp / "data"}
    slugs = list(territories)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        drafts = set_drafts(slugs, threshold=5, **options)
        alone = set_publications(slugs, threshold=5, drafts=drafts, linked=False, **options)
        together = set_publications(slugs, threshold=5, drafts=drafts, **options)
    return slugs, alone, together


@pytest.mark.slow
def test_a_departement_and_its_epci_form_one_set(departement_and_epci):
    slugs, alone, together = departement_and_epci
    assert len(slugs) == 20 and "cote-d-or" in slugs
    # report by report, differencing across reports recovers withheld counts ...
    leaked = audit_members([p.member for p in alone.values()], threshold=5)
    assert not leaked.ok and leaked.recoverable["exact"].any()
    assert leaked.recoverable["from"].map(len).gt(0).all()  # with the published cells involved
    # ... every one of which each report, audited alone, lets pass
    for p in alone.values():
        assert audit(p.publication)["ok"].all()
    # decided as one set, none can be recovered
    found = audit_members([p.member for p in together.values()], threshold=5)
    assert found.ok, found.recoverable.to_string()
    for p in together.values():
        assert audit(p.publication)["ok"].all()
    # the set withholds what it must, not everything: a few cells more than report by report
    more = sum(p.publication.suppressed_cells for p in together.values())
    less = sum(p.publication.suppressed_cells for p in alone.values())
    assert less <= more <= less + 3 * len(leaked.recoverable)


@pytest.fixture(scope="module")
def two_editions():
    """Dijon Métropole on 30/06/2023 (published) and on 31/12/2024, threshold 5."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = set_publications(["dijon-metropole"], threshold=5, as_of="2023-06-30")["dijon-metropole"]
        drafts = set_drafts(["dijon-metropole"], threshold=5, as_of="2024-12-31")
        alone = set_publications(["dijon-metropole"], threshold=5, drafts=drafts, linked=False,
                                 as_of="2024-12-31")["dijon-metropole"]
        together = set_publications(["dijon-metropole"], threshold=5, drafts=drafts, earlier=[first.member],
                                    as_of="2024-12-31")["dijon-metropole"]
    return first, alone, together


def test_two_editions_of_a_territory_form_one_set(two_editions):
    first, alone, together = two_editions
    leaked = audit_members([first.member, alone.member], threshold=5)
    assert not leaked.ok
    # a count the 2023 edition withheld follows from the 2024 report (communes only grow)
    assert leaked.recoverable["cell"].str.startswith("dijon-metropole@2023-06-30/").any()
    found = audit_members([first.member, together.member], threshold=5)
    assert found.ok, found.recoverable.to_string()


def _published(folder: Path, *, as_of: str, secrecy_set=None) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report_publication("dijon-metropole", threshold=5, as_of=as_of, output_dir=folder, secrecy_set=secrecy_set)


def test_audit_command_reads_the_published_files(tmp_path, capsys):
    """Registers written by the reports; the 2023 edition read back when the 2024 report is
    decided; ``evaluation audit`` in English and French.
    """
    edition = tmp_path / "dijon-metropole" / "editions" / "point-2023"
    edition.mkdir(parents=True)
    _published(edition, as_of="2023-06-30")
    assert (edition / "secret.json").is_file()
    latest = tmp_path / "dijon-metropole"
    _published(latest, as_of="2024-12-31")  # decided alone: the set logic switched off
    assert main(["audit", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "can be recovered from what they publish" in err and "dijon-metropole@2023-06-30/commune|" in err
    assert main(["--lang", "fr", "audit", str(tmp_path)]) == 1
    assert "peuvent être retrouvés à partir de ce qu'ils publient" in capsys.readouterr().err
    # decided with the edition already published (its register, read from the folder)
    found = earlier_members(tmp_path, ["dijon-metropole"], before=np.datetime64("2024-12-31").astype(object))
    assert [m.key for m in found] == ["dijon-metropole@2023-06-30"] and found[0].fixed
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        decision = decide_set(["dijon-metropole"], threshold=5, out_dir=tmp_path, target=tmp_path / "set.json",
                              as_of="2024-12-31")
    withheld = json.loads(decision.read_text(encoding="utf-8"))
    assert list(withheld) == ["dijon-metropole@2024-12-31"]


@pytest.mark.xfail(strict=True, reason=(
    "known gap: on the merged sample, the 2024 report decided with the 2023 edition still lets the 2023 "
    "edition's commune 21390 be recovered (LP audit of both registers); the 2023 edition alone passes"))
def test_a_later_edition_decided_with_the_earlier_one_leaves_nothing_recoverable(tmp_path, capsys):
    edition = tmp_path / "dijon-metropole" / "editions" / "point-2023"
    edition.mkdir(parents=True)
    _published(edition, as_of="2023-06-30")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        decision = decide_set(["dijon-metropole"], threshold=5, out_dir=tmp_path, target=tmp_path / "set.json",
                              as_of="2024-12-31")
    _published(tmp_path / "dijon-metropole", as_of="2024-12-31", secrecy_set=decision)
    assert main(["audit", str(tmp_path)]) == 0
    assert "none can be recovered" in capsys.readouterr().out
    assert audit_folder(tmp_path).ok


def test_an_edition_without_register_is_read_from_its_manifest(paths):
    """The committed example editions (published before registers existed): their manifests'
    indicators become a fixed member, tied to the territory's hidden table.
    """
    folder = paths.root / "examples" / "chenove" / "editions"
    members = earlier_members(folder.parents[1], ["chenove"], before=np.datetime64("2030-01-01").astype(object))
    assert [m.key for m in members] == ["chenove@2022-12-31", "chenove@2024-12-31"]
    manifest = json.loads((folder / "point-etape-2022" / "manifest.json").read_text(encoding="utf-8"))
    total = next(r["valeur"] for r in manifest["indicators"] if r["code"] == "acc_total")
    cells = members[0].linked.cells.set_index("cell")
    assert cells.loc["total", "value"] == total
    assert members[0].linked.cube is not None and members[0].fixed
    result = audit_folder(folder.parents[1])
    assert len(result.reports) == 2
