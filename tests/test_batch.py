"""Batch rendering: parallel local pool, a failing territory, retries, Dask, index page."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from evaluation.report.runs.batch import error_message, is_transient, render_batch, render_one, write_index

from .conftest import read_export, write_export

TERRITORIES = """
territories:
  chenove:
    label: "Chenôve — quartier du Mail"
    split_date: 2020-01-01
    communes: ["21166"]
    venue: {label: "Tiers-lieu du Mail", commune: "21166"}
  broken:
    label: "Territoire en erreur"
    split_date: 2020-01-01
    communes: ["21154"]
    sites:
      - {label: "Site inconnu", commune: "99999"}
"""


@pytest.fixture(scope="module")
def local_run(tmp_path_factory, paths):
    """Two territories; the data keep only the testimonies of territories this file defines."""
    # A deep folder: the error kept for a failed run must not depend on the length of its paths.
    root = tmp_path_factory.mktemp("batch") / ("a-rather-long-folder-name-" * 4) / ("and-another-one-" * 6)
    root.mkdir(parents=True)
    (root / "territories.yml").write_text(TERRITORIES, encoding="utf-8")
    shutil.copytree(paths.sample, root / "data")
    testimonies = read_export(root / "data" / "testimonies.csv")
    write_export(testimonies[testimonies["territory"] == "chenove"], root / "data" / "testimonies.csv")
    results = render_batch(out_dir=root / "reports", territories_file=root / "territories.yml", workers=2,
                           data_dir=root / "data", progress=False)
    return root, {r.territory: r for r in results}


def test_one_failure_does_not_stop_the_others(local_run):
    root, results = local_run
    assert results["chenove"].ok and Path(results["chenove"].path).is_file()
    broken = results["broken"]
    assert not broken.ok and "99999" in broken.error
    # The exception's own message, not the traceback's first lines.
    assert "Traceback" not in broken.error and "----" not in broken.error.splitlines()[0]
    assert "99999" in broken.error.splitlines()[0]
    assert Path(broken.path).name == "report.failed.ipynb" and Path(broken.path).is_file()


def test_index_page(local_run):
    root, _ = local_run
    page = (root / "reports" / "index.html").read_text(encoding="utf-8")
    assert 'href="chenove/report.html"' in page and "Chenôve" in page
    assert "Territoire en erreur" in page and "Échec" in page and "report.failed.ipynb" in page
    assert "Données illustratives" not in page  # a copy of the sample is not the bundled sample
    # Chenôve's accompaniments, read from the executed notebook, against a plain count of the export.
    accompaniments = read_export(root / "data" / "accompaniments.csv")
    assert f'<td>{(accompaniments["commune_code"] == "21166").sum()}</td>' in page


def test_cli_exits_non_zero_when_one_fails(local_run, tmp_path):
    root, _ = local_run
    done = subprocess.run([sys.executable, "-m", "evaluation.cli", "report", "--all", "--workers", "2",
                           "--territories", str(root / "territories.yml"), "--data", str(root / "data"),
                           "--out", str(tmp_path)],
                          capture_output=True, text=True)
    assert done.returncode == 1
    assert "FAILED" in done.stdout and "broken" in done.stderr
    assert (tmp_path / "chenove" / "report.html").is_file()


def test_dask_cluster_gives_the_same_results(local_run, tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    root, results = local_run
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        out = render_batch(["chenove"], out_dir=tmp_path, territories_file=root / "territories.yml",
                           data_dir=root / "data",
                           scheduler=cluster.scheduler_address, progress=False)
    assert out[0].ok
    local = Path(results["chenove"].path).parent
    for name in ("indicators.csv", "reseau/collaboration_apres_edges.csv"):
        assert (tmp_path / "chenove" / name).read_bytes() == (local / name).read_bytes()


def test_transient_failures_are_retried_once(monkeypatch, tmp_path):
    calls = []

    def flaky(territory, **options):
        calls.append(territory)
        if len(calls) == 1:
            raise RuntimeError("ZMQError: Address already in use (addr='tcp://127.0.0.1:5555')")
        return tmp_path / territory / "report.html"

    monkeypatch.setattr("evaluation.report.runs.batch.render_report", flaky)
    result = render_one("chenove", {"out_dir": str(tmp_path)})
    assert result.ok and result.attempts == 2 and calls == ["chenove", "chenove"]


def test_other_failures_are_not_retried(monkeypatch, tmp_path):
    calls = []

    def broken(territory, **options):
        calls.append(territory)
        raise ValueError("bad data")

    monkeypatch.setattr("evaluation.report.runs.batch.render_report", broken)
    result = render_one("x", {"out_dir": str(tmp_path)})
    assert not result.ok and result.attempts == 1 and calls == ["x"] and "bad data" in result.error


def test_error_message_is_the_end_not_the_start():
    from papermill.exceptions import PapermillExecutionError

    long_path = "/" + "/".join(["deep-folder"] * 300)
    traceback = [f'File "{long_path}/module.py", line {i}, in f' for i in range(20)] + [
        "\x1b[0;31mConfigError\x1b[0m: site 'Site inconnu': commune 99999 not in the reference"]
    cell = PapermillExecutionError(3, 3, "x = 1", "ConfigError", "site 'Site inconnu': commune 99999 not in the "
                                   "reference", traceback)
    try:
        try:
            raise cell
        except PapermillExecutionError as inner:
            raise RuntimeError(f"report 'broken' failed: {inner}; executed notebook kept in {long_path}") from inner
    except RuntimeError as outer:
        assert len(str(outer)) > 4000  # the old 2,000-character cut kept only paths
        assert error_message(outer) == "ConfigError: site 'Site inconnu': commune 99999 not in the reference"
    # Without a notebook cell, the end of the message is kept.
    long = ValueError("\n".join([f"  at {long_path}"] * 5 + ["the end says what went wrong"]))
    kept = error_message(long, limit=100)
    assert kept.startswith("…") and kept.endswith("the end says what went wrong") and len(kept) == 100
    assert error_message(ValueError("short")) == "ValueError: short"


def test_index_shows_the_failure_message(tmp_path):
    from evaluation.report.runs.batch import RunResult

    (tmp_path / "territories.yml").write_text(TERRITORIES, encoding="utf-8")
    write_index([RunResult("broken", False, "", error="ConfigError: commune 99999 <inconnue>\nsecond line")],
                out_dir=tmp_path, territories_file=tmp_path / "territories.yml")
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "Échec : ConfigError: commune 99999 &lt;inconnue&gt;" in page and "second line" in page


def test_index_shows_the_adjusted_effect_beside_the_crude_conversion(tmp_path):
    from evaluation.report.runs.batch import RunResult

    (tmp_path / "territories.yml").write_text(TERRITORIES, encoding="utf-8")
    figures = {"effet_reseau": {"value": 2.8656, "low": 1.2314, "high": 6.6685, "secret": False, "estimable": True},
               "taux_conversion": {"value": None, "low": None, "high": None, "secret": True, "estimable": True}}
    write_index([RunResult("broken", True, "", headline={"figures": figures, "interval": "IC 95 %"})],
                out_dir=tmp_path, territories_file=tmp_path / "territories.yml")
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "Effet des rencontres, ajusté (IC 95 %)" in page and "Conversion brute (IC 95 %)" in page
    assert "<td>2,87<br><small>[1,23 ; 6,67]</small></td><td>s</td>" in page


def test_is_transient_follows_the_cause_chain():
    try:
        try:
            raise RuntimeError("DeadKernelError: Kernel died")
        except RuntimeError as inner:
            raise ValueError("report failed") from inner
    except ValueError as outer:
        assert is_transient(outer)
    assert not is_transient(ValueError("no"))


def test_invalid_data_stops_the_batch_before_any_run(sample_copy, tmp_path):
    from evaluation.errors import ValidationError

    acc = read_export(sample_copy / "accompaniments.csv")
    acc.loc[2, "commune_code"] = "00000"
    write_export(acc, sample_copy / "accompaniments.csv")
    with pytest.raises(ValidationError, match="row 4"):
        render_batch(data_dir=sample_copy, out_dir=tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


def test_a_batch_at_one_date(local_run, tmp_path):
    """`report --all --as-of`: every territory evaluated at that date, the date checked once before any run."""
    import pandas as pd

    from evaluation.measures.snapshot import SnapshotError

    root, _ = local_run
    options = dict(territories_file=root / "territories.yml", data_dir=root / "data", progress=False, formats="html")
    with pytest.raises(SnapshotError):
        render_batch(["chenove"], out_dir=tmp_path / "early", as_of="01/01/2001", **options)
    assert not (tmp_path / "early").exists()
    [result] = render_batch(["chenove"], out_dir=tmp_path, as_of="31/12/2022", workers=1, **options)
    assert result.ok, result.error
    html = (tmp_path / "chenove" / "report.html").read_text(encoding="utf-8")
    assert "état au 31/12/2022" in html
    acc = read_export(root / "data" / "accompaniments.csv")
    started = pd.to_datetime(acc["start_date"], dayfirst=True) <= "2022-12-31"
    ind = pd.read_csv(tmp_path / "chenove" / "indicators.csv", sep=";", decimal=",", encoding="utf-8-sig")
    assert ind.set_index("code").loc["acc_total", "valeur"] == (started & (acc["commune_code"] == "21166")).sum()
