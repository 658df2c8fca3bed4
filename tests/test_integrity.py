"""Losing nothing and revealing no one: raw files never touched, no name in any output.

Every command is run while the raw files' hashes are taken before and after, and, for the
commands that run in this process, while an audit hook (PEP 578) records any attempt to
open a raw file for writing, to rename, delete or truncate it.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from evaluation._io import sha256_file
from evaluation.cli import main

from .conftest import read_export

WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
MUTATING_EVENTS = {"os.rename", "os.replace", "os.remove", "os.rmdir", "os.truncate", "os.chmod", "shutil.rmtree",
                   "shutil.move", "os.mkdir", "os.symlink", "os.link"}
_watched: list[Path] = []
_violations: list[tuple] = []


def _inside(path: object) -> bool:
    if not isinstance(path, (str, bytes, os.PathLike)):
        return False
    p = Path(os.fsdecode(path)).resolve()
    return any(p.is_relative_to(w) for w in _watched)


def _hook(event: str, args: tuple) -> None:
    if not _watched:
        return
    if event == "open" and len(args) >= 3:
        path, mode, flags = args[0], args[1], args[2]
        writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & WRITE_FLAGS)
        if writes and _inside(path):
            _violations.append((event, path, mode))
    elif event in MUTATING_EVENTS and args and any(_inside(a) for a in args[:2]):
        _violations.append((event, *args[:2]))


sys.addaudithook(_hook)


def _hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): sha256_file(p) for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def guard(paths):
    """Watch the project's raw data: no write attempt, same hashes afterwards."""
    before = _hashes(paths.raw)
    _watched.append(paths.raw.resolve())
    _violations.clear()
    yield
    _watched.clear()
    assert not _violations, f"raw files opened for writing or moved: {_violations}"
    assert _hashes(paths.raw) == before


@pytest.mark.parametrize("argv", [
    ["validate"],
    ["--lang", "fr", "validate"],
    ["territories"],
    ["sample", "--out", "{tmp}/sample"],
    ["sample"],  # refuses to overwrite the committed exports
    ["reference", "--departements", "21", "--out", "{tmp}/ref"],
    ["report", "chenove", "--out", "{tmp}/reports"],
    ["report", "../../etc", "--out", "{tmp}/reports"],
], ids=lambda a: " ".join(a).replace("{tmp}/", ""))
def test_commands_never_touch_raw_files(argv, guard, tmp_path):
    code = main([a.format(tmp=tmp_path) for a in argv])
    assert code == (1 if argv in (["sample"], ["report", "../../etc", "--out", "{tmp}/reports"]) else 0)


def test_loading_for_a_notebook_never_touches_raw_files(guard, tmp_path):
    """What the report notebook's kernel does, run here under the audit hook."""
    from evaluation.report.context import prepare_context

    ctx = prepare_context("chenove", processed_dir=tmp_path)
    assert ctx.reach().total > 0 and ctx.network() is not None


def test_an_invalid_folder_is_not_touched(sample_copy):
    acc = read_export(sample_copy / "accompaniments.csv")
    acc.loc[3, "commune_code"] = "21073"
    from .conftest import write_export

    write_export(acc, sample_copy / "accompaniments.csv")
    before = _hashes(sample_copy)
    _watched.append(sample_copy.resolve())
    try:
        assert main(["validate", "--data", str(sample_copy)]) == 1
        assert main(["report", "chenove", "--data", str(sample_copy), "--out", str(sample_copy.parent / "o")]) == 1
    finally:
        _watched.clear()
    assert not _violations and _hashes(sample_copy) == before
    assert not (sample_copy.parent / "o").exists()


# --------------------------------------------------------------------------- names
def raw_names(paths) -> list[str]:
    """Every name of a structure or actor in the raw exports, read without our loaders."""
    actors = pd.read_excel(paths.sample / "actors.xlsx", dtype=str, engine="openpyxl")["name"]
    structures = read_export(paths.sample / "accompaniments.csv")["structure_name"]
    names = pd.concat([actors, structures]).dropna().str.strip()
    return sorted(set(names[names != ""]))


def output_texts(folder: Path) -> dict[Path, str]:
    """The text a reader (or a program) can get out of every output file."""
    texts = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix == ".xlsx":
            book = openpyxl.load_workbook(path)
            texts[path] = "\n".join(str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True)
                                    for v in row if v is not None)
        elif path.suffix == ".ipynb":
            strings: list[str] = []

            def walk(node: object, strings: list[str] = strings) -> None:
                if isinstance(node, str):
                    strings.append(node)
                elif isinstance(node, dict):
                    for v in node.values():
                        walk(v)
                elif isinstance(node, list):
                    for v in node:
                        walk(v)

            walk(json.loads(path.read_text(encoding="utf-8")))
            texts[path] = html.unescape("\n".join(strings))
        else:  # HTML, CSV, GraphML: text with entities unescaped
            texts[path] = html.unescape(path.read_text(encoding="utf-8", errors="replace"))
    return texts


@pytest.fixture(scope="module")
def all_reports(tmp_path_factory, paths):
    """`evaluation report --all` as a new user runs it: no pseudonym key configured."""
    out = tmp_path_factory.mktemp("all-reports")
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVALUATION_PSEUDONYM")}
    env["HOME"] = str(tmp_path_factory.mktemp("home"))  # no ~/.config/evaluation/pseudonym.key either
    before = _hashes(paths.raw)
    done = subprocess.run([sys.executable, "-m", "evaluation.cli", "report", "--all", "--workers", "2",
                           "--out", str(out)], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out, before


def test_report_all_leaves_raw_files_intact(all_reports, paths):
    out, before = all_reports
    assert _hashes(paths.raw) == before
    assert "Données illustratives" in (out / "index.html").read_text(encoding="utf-8")


def test_no_raw_name_in_any_output(all_reports, paths):
    out, _ = all_reports
    names = raw_names(paths)
    assert len(names) > 100
    texts = output_texts(out)
    kinds = {p.suffix for p in texts}
    assert {".html", ".ipynb", ".csv", ".xlsx", ".graphml"} <= kinds
    assert len({p.parent.name for p in texts if p.name == "report.html"}) == 5
    folded = {p: t.casefold() for p, t in texts.items()}
    leaks = [(str(p.relative_to(out)), n) for p, t in folded.items() for n in names if n.casefold() in t]
    assert not leaks
    # The sample's testimonies name actors: the quotes show their pseudonyms instead.
    assert re.search(r"avec P-[0-9a-f]{10}", texts[out / "chenove" / "report.html"])


def test_without_a_key_reports_say_pseudonyms_are_not_stable(all_reports):
    out, _ = all_reports
    fingerprints = set()
    for report in out.glob("*/report.html"):
        text = html.unescape(report.read_text(encoding="utf-8"))
        assert "les pseudonymes ne sont pas stables d'une exécution à l'autre" in text
        fingerprints.add(text.split("empreinte de la clé ")[1][:12])
    assert len(fingerprints) == 1  # one random key for the whole run
