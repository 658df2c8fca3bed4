"""Warm kernels: papermill runs on pooled kernels give what fresh kernels give."""

from __future__ import annotations

import hashlib
import random
import re
from pathlib import Path

import nbformat
import papermill as pm
import psutil
import pytest
import scrapbook as sb

from evaluation.geo.territories import load_territories
from evaluation.kernel import ensure_kernel
from evaluation.report.runs.render import render_report
from evaluation.report.runs.warm import WARM_ENGINE, kernel_pool, shutdown_pools


def _notebook(path: Path, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "evaluation", "display_name": "Python (evaluation)", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(nb, path)
    return path


def _run(path: Path, out: Path, *, memory_limit_mb: float = 3072) -> nbformat.NotebookNode:
    pm.execute_notebook(str(path), str(out), kernel_name=ensure_kernel(), progress_bar=False,
                        engine_name=WARM_ENGINE, notebook_path=str(path), memory_limit_mb=memory_limit_mb)
    return nbformat.read(out, as_version=4)


def _stdout(nb: nbformat.NotebookNode) -> str:
    return "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []) if o.get("name") == "stdout")


@pytest.fixture
def fresh_pools():
    shutdown_pools()
    yield
    shutdown_pools()


def test_nothing_leaks_from_one_run_to_the_next(tmp_path, fresh_pools, monkeypatch):
    first = _notebook(tmp_path / "first.ipynb", "import matplotlib\nimport warnings",
                      "leak = 42\nmatplotlib.rcParams['lines.linewidth'] = 9\nwarnings.simplefilter('error')\n"
                      "import os\nos.chdir('/')\nos.environ['EVALUATION_LEAK'] = 'x'")
    probe = ("print('leak' in globals(), matplotlib.rcParams['lines.linewidth'], "
             "any(f[0] == 'error' and f[2] is Warning for f in warnings.filters), os.getcwd() == START, "
             "os.environ.get('EVALUATION_LEAK'), os.environ.get('EVALUATION_PROBE'), "
             "get_ipython().execution_count)")
    second = _notebook(tmp_path / "second.ipynb", "import matplotlib\nimport warnings",
                       f"import os\nSTART = {str(tmp_path)!r}\n" + probe)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EVALUATION_PROBE", "seen")
    pm.execute_notebook(str(second), str(tmp_path / "fresh.ipynb"), kernel_name=ensure_kernel(), progress_bar=False)
    fresh = nbformat.read(tmp_path / "fresh.ipynb", as_version=4)
    default_width = __import__("matplotlib").rcParamsDefault["lines.linewidth"]
    assert _stdout(fresh).split()[:6] == ["False", str(default_width), "False", "True", "None", "seen"]
    monkeypatch.delenv("EVALUATION_PROBE")
    _run(first, tmp_path / "out1.ipynb")
    monkeypatch.setenv("EVALUATION_PROBE", "seen")  # a run sees the caller's environment of the moment
    warm = _run(second, tmp_path / "out2.ipynb")
    assert _stdout(warm) == _stdout(fresh)
    assert [c.execution_count for c in warm.cells] == [c.execution_count for c in fresh.cells]
    pool = next(iter(__import__("evaluation.report.runs.warm", fromlist=["_POOLS"])._POOLS.values()))
    assert pool.started == 1  # the same kernel ran both


def test_dead_failed_or_bloated_kernels_are_replaced(tmp_path, fresh_pools, monkeypatch):
    monkeypatch.chdir(tmp_path)
    nb = _notebook(tmp_path / "pid.ipynb", "import os", "print(os.getpid())")
    pid = int(_stdout(_run(nb, tmp_path / "a.ipynb")))
    pool = kernel_pool(ensure_kernel(), nb)
    assert int(_stdout(_run(nb, tmp_path / "b.ipynb"))) == pid  # reused
    psutil.Process(pid).kill()  # a kernel that died between runs
    psutil.Process(pid).wait(10)
    pid2 = int(_stdout(_run(nb, tmp_path / "c.ipynb")))
    assert pid2 != pid and pool.started == 2
    failing = _notebook(tmp_path / "fail.ipynb", "import os, sys", "raise ValueError('boom')")
    with pytest.raises(pm.PapermillExecutionError, match="boom"):
        _run(failing, tmp_path / "d.ipynb")
    failing_pool = kernel_pool(ensure_kernel(), failing)
    assert failing_pool.started == 1 and not failing_pool._idle  # the kernel that failed is not reused
    _run(nb, tmp_path / "e.ipynb", memory_limit_mb=1)  # past the memory limit after the run
    assert not pool._idle  # replaced at the next run
    assert int(_stdout(_run(nb, tmp_path / "f.ipynb"))) != pid2


def _html_text(path: Path) -> str:
    page = path.read_text(encoding="utf-8")
    page = re.sub(r"<(script|style)\b.*?</\1>", "", page, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", page)
    text = re.sub(r"\d{4}-\d{2}-\d{2}|\d{2}/\d{2}/\d{4}", "DATE", text)  # run dates
    return re.sub(r"\s+", " ", text)


def _images(path: Path) -> list[str]:
    found = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", path.read_text(encoding="utf-8"))
    return [hashlib.sha256(b.encode()).hexdigest() for b in found]


def _outputs(folder: Path) -> dict:
    return {"indicators": (folder / "indicators.csv").read_bytes(),
            "headline": sb.read_notebook(str(folder / "report.ipynb")).scraps["headline"].data,
            "text": _html_text(folder / "report.html"), "images": _images(folder / "report.html")}


def test_every_bundled_territory_renders_the_same_on_warm_and_fresh_kernels(tmp_path, fresh_pools,
                                                                            bundled_reports):
    slugs = list(load_territories())  # bundled_reports: a batch of them on fresh kernels
    order = slugs[:]
    random.Random(7).shuffle(order)
    # The batch decided secrecy for its reports together: the warm renders read the same decision.
    decision = {"secrecy_set": str(bundled_reports / "secret-set.json")}
    for slug in order + order[:2]:  # two territories twice: a second pass on a used kernel
        render_report(slug, out_dir=tmp_path / "warm", warm=True, validate=False, parameters=decision)
        assert _outputs(tmp_path / "warm" / slug) == _outputs(bundled_reports / slug), slug
