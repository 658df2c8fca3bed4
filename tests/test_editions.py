"""Editions (points d'étape): publish with a manifest, verify, refuse what cannot serve."""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import pandas as pd
import pytest

from evaluation.cli import main
from evaluation.errors import TerritoriesError
from evaluation.geo.territories import load_territories
from evaluation.measures.snapshot import SnapshotError
from evaluation.report.editions.manifest import ManifestError, read_manifest, seal
from evaluation.report.runs.publish import check_baseline, publish_edition, verify_edition

from .conftest import read_export, write_export


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def published(tmp_path_factory, paths):
    """One edition of Chenôve at the end of 2022, on a copy of the sample (to break on purpose)."""
    root = tmp_path_factory.mktemp("editions")
    data = root / "exports"
    shutil.copytree(paths.sample, data)
    folder = publish_edition("chenove", edition="point-etape-2022", as_of="2022-12-31", data_dir=data,
                             out_dir=root / "reports")
    return folder, data


def test_manifest_records_inputs_parameters_versions_and_indicators(published, paths):
    folder, data = published
    assert folder.name == "point-etape-2022" and folder.parent.name == "editions"
    m = read_manifest(folder)
    assert (m["territory"], m["as_of"], m["as_of_default"]) == ("chenove", "2022-12-31", False)
    recorded = {Path(i["path"]).name: (i["role"], i["sha256"]) for i in m["inputs"]}
    for f in data.iterdir():  # every export, with its full SHA-256 computed here independently
        if f.suffix in (".csv", ".xlsx"):
            assert recorded[f.name] == ("export", sha(f))
    for name in ("communes.csv", "communes.geojson", "former_communes.csv", "provenance.json"):
        assert recorded[name] == ("reference", sha(paths.reference / name))
    assert recorded["territories.yml"] == ("territories", sha(paths.territories))
    assert m["parameters"]["disclosure_threshold"] == 5 and m["parameters"]["alpha"] == 0.05
    assert m["parameters"]["reference_dir"] == "data/raw/reference"  # inside the project: relative
    assert m["libraries"]["statsmodels"] == version("statsmodels") and m["libraries"]["pandas"] == version("pandas")
    outputs = {o["path"]: o["sha256"] for o in m["outputs"]}
    assert outputs["report.html"] == sha(folder / "report.html")
    csv = pd.read_csv(folder / "indicators.csv", sep=";", decimal=",", encoding="utf-8-sig")
    assert [r["code"] for r in m["indicators"]] == list(csv["code"])
    total = next(r for r in m["indicators"] if r["code"] == "acc_total")
    acc = read_export(data / "accompaniments.csv")
    started = pd.to_datetime(acc["start_date"], dayfirst=True) <= "2022-12-31"
    assert total["valeur"] == (started & (acc["commune_code"] == "21166")).sum()
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "état au 31/12/2022" in html


def test_verify_passes_on_untouched_inputs(published):
    folder, _ = published
    assert main(["verify", str(folder)]) == 0


@contextlib.contextmanager
def _seven_more_jobs_in_2021(data: Path) -> Iterator[None]:
    """A corrected export: one Chenôve accompaniment of 2021 with 7 more jobs created, restored after."""
    path = data / "accompaniments.csv"
    original = path.read_bytes()
    acc = read_export(path)
    row = acc.index[(acc["commune_code"] == "21166")
                    & (pd.to_datetime(acc["start_date"], dayfirst=True) <= "2021-12-31")][0]
    acc.loc[row, "jobs_created"] = str(int(acc.loc[row, "jobs_created"] or 0) + 7)
    try:
        write_export(acc, path)
        yield
    finally:
        path.write_bytes(original)


def test_verify_names_a_changed_input_and_the_indicators_it_changes(published, capsys):
    folder, data = published
    with _seven_more_jobs_in_2021(data):
        result = verify_edition(folder)
        assert not result.ok
        assert [c.path.rsplit("/", 1)[-1] for c in result.inputs] == ["accompaniments.csv"]
        assert {(c.code, c.field) for c in result.indicators} == {("emplois_crees", "valeur")}
        capsys.readouterr()
        assert main(["verify", str(folder)]) == 1
        err = capsys.readouterr().err
        assert "accompaniments.csv: SHA-256 changed" in err and "indicator emplois_crees valeur" in err
        assert main(["--lang", "fr", "verify", str(folder)]) == 1  # issue 16: in French
        err = capsys.readouterr().err
        assert "accompaniments.csv : SHA-256 modifié (enregistré" in err and "indicateur emplois_crees valeur" in err
        assert f"{folder} : NON vérifiée (1 entrée(s) modifiée(s), 1 écart(s) d'indicateur)" in err


def test_one_byte_changed_fails_naming_the_file(published, capsys):
    folder, data = published
    path = data / "testimonies.csv"
    original = path.read_bytes()
    try:
        path.write_bytes(original + b"\n")  # one byte more: same rows, another file
        assert main(["verify", str(folder)]) == 1
        assert "testimonies.csv: SHA-256 changed" in capsys.readouterr().err
    finally:
        path.write_bytes(original)


def test_edited_or_missing_manifest_refused(published, tmp_path):
    folder, _ = published
    copy = tmp_path / "edition"
    shutil.copytree(folder, copy)
    m = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    m["indicators"][0]["valeur"] += 1
    (copy / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    with pytest.raises(ManifestError, match="edited after publication"):
        verify_edition(copy)
    (copy / "manifest.json").unlink()
    with pytest.raises(ManifestError, match="no manifest.json"):
        verify_edition(copy)
    assert main(["verify", str(copy)]) == 1


def _resealed(folder: Path, dest: Path, **changes) -> Path:
    shutil.copytree(folder, dest)
    m = json.loads((dest / "manifest.json").read_text(encoding="utf-8"))
    for key, value in changes.items():
        if key == "threshold":
            m["parameters"]["disclosure_threshold"] = value
        else:
            m[key] = value
    (dest / "manifest.json").write_text(json.dumps(seal(m)), encoding="utf-8")
    return dest


def test_baseline_of_another_territory_threshold_or_reference_refused(published, tmp_path, paths):
    folder, _ = published
    folder_, manifest = check_baseline(folder, "chenove", threshold=5)
    assert manifest["edition"] == "point-etape-2022"
    with pytest.raises(ManifestError, match="of territory 'auxois', not 'chenove'"):
        check_baseline(_resealed(folder, tmp_path / "a", territory="auxois"), "chenove", threshold=5)
    with pytest.raises(ManifestError, match="disclosure threshold 11, this report uses 5"):
        check_baseline(_resealed(folder, tmp_path / "b", threshold=11), "chenove", threshold=5)
    ref = tmp_path / "reference"
    shutil.copytree(paths.reference, ref)
    (ref / "former_communes.csv").write_bytes((ref / "former_communes.csv").read_bytes() + b"\n")
    with pytest.raises(ManifestError, match="another commune reference \\(former_communes.csv differ\\)"):
        check_baseline(folder, "chenove", threshold=5, reference_dir=ref)
    with pytest.raises(ManifestError, match="not before this report's date"):
        import datetime as dt
        check_baseline(folder, "chenove", threshold=5, before=dt.date(2022, 12, 31))


def test_bad_date_or_existing_edition_refused_nothing_written(published, tmp_path):
    folder, data = published
    out = tmp_path / "reports"
    with pytest.raises(SnapshotError, match="after today"):
        publish_edition("chenove", edition="x", as_of="2999-01-01", data_dir=data, out_dir=out)
    with pytest.raises(SnapshotError, match="before the first record"):
        publish_edition("chenove", edition="x", as_of="2001-01-01", data_dir=data, out_dir=out)
    assert not out.exists()
    before = sorted(p.name for p in folder.iterdir())
    with pytest.raises(ManifestError, match="already exists"):
        publish_edition("chenove", edition=folder.name, as_of="2022-12-31", data_dir=data,
                        out_dir=folder.parents[2])
    assert sorted(p.name for p in folder.iterdir()) == before


def test_milestones_read_from_territories_file(paths, tmp_path):
    chenove = load_territories()["chenove"]
    assert list(chenove.milestones.values()) == sorted(chenove.milestones.values())
    text = paths.territories.read_text(encoding="utf-8").replace(
        "point-etape-2022: 2022-12-31", "Point Etape: fin-2022")
    (tmp_path / "t.yml").write_text(text, encoding="utf-8")
    with pytest.raises(TerritoriesError) as err:
        load_territories(tmp_path / "t.yml")
    assert "milestones" in err.value.table().to_string()


def _counts(data: Path, until: str) -> tuple[int, int]:
    """QPV accompaniments and all accompaniments of Chenôve started by ``until``, read with plain pandas."""
    acc = read_export(data / "accompaniments.csv")
    acc = acc[(acc["commune_code"] == "21166") & (pd.to_datetime(acc["start_date"], dayfirst=True) <= until)]
    return int(acc["in_qpv"].str.lower().isin(["oui", "1", "true", "vrai"]).sum()), len(acc)


def test_comparison_with_the_baseline(published):
    from statsmodels.stats.proportion import confint_proportions_2indep

    from evaluation.report.editions.evolution import evolution_section
    from evaluation.report.publication import report_publication

    folder, data = published
    pub = report_publication("chenove", data_dir=data, as_of="2024-12-31", baseline=folder)
    e = pub.evolution
    assert (e.baseline_date.isoformat(), e.current_date.isoformat(), e.edition) == (
        "2022-12-31", "2024-12-31", "point-etape-2022")
    rows = e.rows.set_index("code")
    (xb, nb), (xn, nn) = _counts(data, "2022-12-31"), _counts(data, "2024-12-31")
    qpv = rows.loc["part_qpv"]
    assert not qpv["withheld"]
    assert (qpv["baseline"], qpv["current"]) == pytest.approx((xb / nb, xn / nn))
    low, high = confint_proportions_2indep(xn - xb, nn - nb, xb, nb, method="newcomb", compare="diff")
    w = (nn - nb) / nn
    assert (qpv["ci_low"], qpv["ci_high"]) == pytest.approx((w * low, w * high))
    assert rows.loc["acc_total", "change"] == nn - nb and rows.loc["acc_total", "method"] == "poisson"
    assert e.ties is not None and e.ties.current == e.ties.baseline + e.ties.new - e.ties.lost
    assert len(e.revisions) == 0 and e.changed_files == []
    text = "\n".join(x for x in evolution_section(pub) if isinstance(x, str))
    assert "## Évolution depuis le point d'étape du 31/12/2022" in text and "Aucune" in text


def test_a_corrected_export_shows_as_revisions(published):
    from evaluation.report.publication import report_publication

    folder, data = published
    acc = read_export(data / "accompaniments.csv")
    before = sum(int(v or 0) for v, c, d in zip(acc["jobs_created"], acc["commune_code"],
                                                 pd.to_datetime(acc["start_date"], dayfirst=True), strict=False)
                 if c == "21166" and d <= pd.Timestamp("2022-12-31"))
    with _seven_more_jobs_in_2021(data):
        e = report_publication("chenove", data_dir=data, baseline=folder).evolution
        rev = e.revisions.set_index("code")
        assert list(rev.index) == ["emplois_crees"]
        assert (rev.loc["emplois_crees", "published"], rev.loc["emplois_crees", "recomputed"]) == (before, before + 7)
        assert e.changed_files == ["accompaniments.csv"]


def test_withheld_changes_are_not_recomputable():
    from evaluation.report.editions.evolution import evolution_rows

    def ind(values):
        return pd.DataFrame({"code": list(values), "indicateur": list(values),
                             "unite": ["accompagnements", "part", "pour 10 000 habitants"],
                             "valeur": list(values.values()), "secret": False, "estimable": True})

    # 3 accompaniments since the baseline (below 5): the change and the baseline values are withheld,
    # so that "now − baseline" cannot be done from the table (the current values are published anyway).
    now = ind({"acc_total": 43, "part_qpv": 20 / 43, "taux_10k": 43 / 1000 * 1e4})
    base = ind({"acc_total": 40, "part_qpv": 18 / 40, "taux_10k": 40 / 1000 * 1e4})
    rows = evolution_rows(now, base, shares={"part_qpv": (18, 40, 20, 43)}, population=1000, threshold=5)
    assert rows["withheld"].all()
    assert rows["baseline"].isna().all() and rows["change"].isna().all() and rows["ci_low"].isna().all()
    assert list(rows["current"]) == pytest.approx([43, 20 / 43, 430])
    # 40 since, of which 3 in QPV: the share's change is withheld, the total's is not.
    now = ind({"acc_total": 80, "part_qpv": 21 / 80, "taux_10k": 800})
    rows = evolution_rows(now, base, shares={"part_qpv": (18, 40, 21, 80)}, population=1000, threshold=5)
    assert list(rows["withheld"]) == [False, True, False]
    # a withheld indicator on either side stays withheld
    secret = base.assign(secret=[True, False, False])
    rows = evolution_rows(now, secret, shares={"part_qpv": (18, 40, 21, 80)}, population=1000, threshold=5)
    assert rows.loc[0, "withheld"] and pd.isna(rows.loc[0, "baseline"])


def test_a_withheld_comparison_is_not_a_revision():
    """Unchanged data: the rows the comparison withholds must not come back as revisions printing the
    baseline's published value (3 accompaniments since the baseline: 40 published, 43 now; 10 jobs since: shown).
    """
    from evaluation.report.editions.evolution import _revisions, evolution_rows

    now = pd.DataFrame({"code": ["acc_total", "emplois_crees"], "indicateur": ["a", "e"],
                        "unite": ["accompagnements", "emplois"], "valeur": [43, 12], "secret": False,
                        "estimable": True})
    base = now.assign(valeur=[40, 2])
    rows = evolution_rows(now, base, shares={}, population=1000, threshold=5)
    assert list(rows["withheld"]) == [True, False]
    published = [{"code": "acc_total", "valeur": 40.0, "secret": False, "estimable": True},
                 {"code": "emplois_crees", "valeur": 2.0, "secret": False, "estimable": True}]
    assert _revisions(published, rows).empty
    # a real correction of a shown figure is still a revision, with both values
    published[1]["valeur"] = 1.0
    rev = _revisions(published, rows)
    assert list(rev["code"]) == ["emplois_crees"] and list(rev["published"]) == [1.0]
    assert list(rev["recomputed"]) == [2.0]


def test_committed_example_editions_are_sealed_and_their_inputs_unchanged(paths):
    """The examples CI verifies (.ci/run): sealed manifests whose inputs are this clone's files."""
    from evaluation.report.editions.manifest import changed_inputs

    folders = sorted((paths.root / "examples").glob("*/editions/*"))
    assert [f.name for f in folders] == ["point-etape-2022", "point-etape-2024"]
    for folder in folders:
        m = read_manifest(folder)
        assert changed_inputs(m) == [], f"{folder.name}: publish it again (see docs/guide/editions.md)"
        csv = pd.read_csv(folder / "indicators.csv", sep=";", decimal=",", encoding="utf-8-sig")
        assert next(o["sha256"] for o in m["outputs"] if o["path"] == "indicators.csv") == sha(
            folder / "indicators.csv")
        assert list(csv["code"]) == [r["code"] for r in m["indicators"]]
    assert "evaluation verify" in (paths.root / ".ci" / "run").read_text()
