"""Editions (points d'étape): publish with a manifest, verify, refuse what cannot serve."""

from __future__ import annotations

import hashlib
import json
import shutil
from importlib.metadata import version
from pathlib import Path

import pandas as pd
import pytest

from evaluation.cli import main
from evaluation.config import load_territories
from evaluation.editions import check_baseline, publish_edition, verify_edition
from evaluation.errors import TerritoriesError
from evaluation.manifest import ManifestError, read_manifest, seal
from evaluation.snapshot import SnapshotError

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


def test_verify_names_a_changed_input_and_the_indicators_it_changes(published, capsys):
    folder, data = published
    path = data / "accompaniments.csv"
    original = path.read_bytes()
    acc = read_export(path)
    row = acc.index[(acc["commune_code"] == "21166")
                    & (pd.to_datetime(acc["start_date"], dayfirst=True) <= "2021-12-31")][0]
    acc.loc[row, "jobs_created"] = str(int(acc.loc[row, "jobs_created"] or 0) + 7)
    try:
        write_export(acc, path)
        result = verify_edition(folder)
        assert not result.ok
        assert [c.path.rsplit("/", 1)[-1] for c in result.inputs] == ["accompaniments.csv"]
        assert {(c.code, c.field) for c in result.indicators} == {("emplois_crees", "valeur")}
        capsys.readouterr()
        assert main(["verify", str(folder)]) == 1
        err = capsys.readouterr().err
        assert "accompaniments.csv: SHA-256 changed" in err and "indicator emplois_crees valeur" in err
    finally:
        path.write_bytes(original)


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
