"""Trajectories across editions on the index page, from hand-made manifests."""

from __future__ import annotations

import json

import pandas as pd

from evaluation.report.editions.manifest import FORMAT, write_manifest
from evaluation.report.editions.trajectories import edition_trajectories, trajectory_figure
from evaluation.report.runs.batch import RunResult, write_index


def _edition(root, slug, name, as_of, values):
    folder = root / slug / "editions" / name
    folder.mkdir(parents=True)
    indicators = [{"code": code, "indicateur": code, "valeur": v, "ic_bas": None if v is None else v * 0.9,
                   "ic_haut": None if v is None else v * 1.1, "unite": "part" if code.startswith("part") else "",
                   "periode": "", "secret": v is None, "estimable": True} for code, v in values.items()]
    write_manifest({"format": FORMAT, "territory": slug, "edition": name, "as_of": as_of, "indicators": indicators},
                   folder)
    return folder


def test_trajectories_read_every_sealed_edition_and_name_the_edited(tmp_path):
    _edition(tmp_path, "chenove", "a", "2020-12-31", {"acc_total": 40.0, "part_qpv": 0.5, "liens_avant": 3.0})
    _edition(tmp_path, "chenove", "b", "2022-12-31", {"acc_total": 104.0, "part_qpv": None})
    edited = _edition(tmp_path, "chenove", "c", "2024-12-31", {"acc_total": 151.0})
    m = json.loads((edited / "manifest.json").read_text(encoding="utf-8"))
    m["indicators"][0]["valeur"] = 999.0
    (edited / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    frame, refused = edition_trajectories(tmp_path, ["chenove", "auxois"])
    assert refused == ["chenove/c"]
    total = frame[frame["code"] == "acc_total"].sort_values("as_of")
    assert list(total["value"]) == [40.0, 104.0] and list(total["edition"]) == ["a", "b"]
    assert set(frame["code"]) == {"acc_total", "part_qpv"}  # headline indicators only
    qpv = frame[frame["code"] == "part_qpv"].set_index("edition")
    assert qpv.loc["b", "secret"] and pd.isna(qpv.loc["b", "value"])
    fig = trajectory_figure(frame)
    assert [ax.get_title() for ax in fig.axes] == ["Accompagnements", "Part en QPV (%)"]
    y = fig.axes[1].lines[0].get_ydata()
    assert y[0] == 50.0 and pd.isna(y[1])


def test_index_page_shows_small_multiples_per_territory(tmp_path, paths):
    _edition(tmp_path, "chenove", "a", "2020-12-31", {"acc_total": 40.0})
    _edition(tmp_path, "chenove", "b", "2022-12-31", {"acc_total": 104.0})
    write_index([RunResult("chenove", True, "x", headline=None)], out_dir=tmp_path)
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "Trajectoires d'une édition à l'autre" in page and "data:image/png;base64," in page
    assert "a (31/12/2020), b (31/12/2022)" in page
