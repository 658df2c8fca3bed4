"""What a report run says on the terminal while it works: its steps, in the command's language.

``evaluation report TERRITORY`` (and ``evaluation publish``) take about a minute: a
:class:`Progress` prints one line per step — reading and checking the data, each notebook
cell as papermill starts it (the data loaded, the measures and the secrecy computed in the
first ones, then each section), the Word and PDF documents, the HTML export, the search of
every output for the names of the exports — with the seconds elapsed, on standard error.
It says nothing when it is not enabled: the command enables it only on a terminal and
without ``--quiet``, so logs, batches and pipes stay clean.

Notebook cells are followed through the papermill engine :data:`PROGRESS_ENGINE`, which wraps
the engine the run would use (papermill's own, or the warm one of
:mod:`evaluation.report.runs.warm`) and is told of each cell before it runs. Inside the long
first cell, the kernel notes the stages it reaches (loading, measures, secrecy:
:func:`evaluation.report.context.stage`) in a file of the run's folder, which
:meth:`Progress.kernel_stages` reads as they come.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from papermill.engines import Engine, papermill_engines

from evaluation.messages import MESSAGES, render_message
from evaluation.problems import Lang
from evaluation.report.context import STAGES_ENV

__all__ = ["PROGRESS_ENGINE", "Progress", "ProgressEngine", "cell_label", "progress_engine"]

#: The papermill engine that follows a report's cells (registered when this module is imported).
PROGRESS_ENGINE = "evaluation-progress"
#: File of the run's folder where the kernel notes its stages (never published: the folder is removed).
STAGES_FILE = ".stages"
_BUILDER = re.compile(r"^\s*(?:show|print)\(sections\.(\w+)\(pub\)\)", re.MULTILINE)


def cell_label(source: str, tags: list[str] | tuple[str, ...] = ()) -> tuple[str, dict[str, Any]]:
    """What a code cell of the report notebook does, as a message code and its parameters:
    the parameters, the loading of the data with the measures (the cell that calls
    ``report_publication``), a section builder (``show(sections.density(pub))`` → ``density``),
    or its first line.
    """
    if {"parameters", "injected-parameters"} & set(tags):
        return "progress_cell_parameters", {}
    if "report_publication" in source:
        return "progress_cell_measures", {}
    found = _BUILDER.search(source)
    if found:
        return "progress_cell_section", {"name": found[1]}
    first = next((line.strip() for line in source.splitlines() if line.strip() and not line.startswith("#")), "")
    return "progress_cell_code", {"code": first[:60]}


class Progress:
    """One line per step of a report run on ``stream`` (default: standard error), in ``lang``.

    Parameters
    ----------
    enabled
        Whether anything is said (the command: on a terminal and without ``--quiet``).
    overwrite
        Notebook cells overwrite one another on one line (default: when ``stream`` is a terminal).
    """

    def __init__(self, *, lang: Lang = "en", stream: TextIO | None = None, enabled: bool = True,
                 overwrite: bool | None = None) -> None:
        self.lang, self.stream, self.enabled = lang, stream if stream is not None else sys.stderr, enabled
        self.overwrite = self.stream.isatty() if overwrite is None else overwrite
        self.started = time.monotonic()
        self._open = False  # a cell line waits to be overwritten
        self._cells: list[int] = []  # indices of the code cells of the notebook running
        self._notebook: int | None = None
        self._cell = (0, 0)  # the cell running: its number among the code cells, and their count
        self._lock = threading.Lock()  # the kernel's stages are said from a thread

    def _write(self, text: str, *, cell: bool = False) -> None:
        if not self.enabled:
            return
        line = f"{time.monotonic() - self.started:5.0f} s  {text}"
        with self._lock:
            if self.overwrite and cell:
                self.stream.write("\r\x1b[K" + line)
            else:
                self.stream.write(("\n" if self._open else "") + line + "\n")
            self._open = self.overwrite and cell
            self.stream.flush()

    def _in_cell(self, what: str) -> None:
        number, total = self._cell
        self._write(render_message("progress_cell", {"index": number, "total": total, "what": what}, lang=self.lang),
                    cell=True)

    def step(self, code: str, /, **params: Any) -> None:
        """Say that step ``code`` (a message of :mod:`evaluation.messages_cli`) starts."""
        self._write(render_message(code, params, lang=self.lang))

    def on_cell(self, cell: Any, index: int | None, cells: list) -> None:
        """Say that a notebook cell starts (the :data:`PROGRESS_ENGINE` callback); Markdown cells are silent."""
        if cell.get("cell_type") != "code" or index is None:
            return
        if self._notebook != id(cells):  # a new run (publish --all-milestones renders several)
            self._notebook = id(cells)
            self._cells = [i for i, c in enumerate(cells) if c.get("cell_type") == "code"]
            self.step("progress_notebook", cells=len(self._cells))
        code, params = cell_label(cell.get("source", ""), cell.get("metadata", {}).get("tags", ()))
        self._cell = (self._cells.index(index) + 1 if index in self._cells else index + 1, len(self._cells))
        self._in_cell(render_message(code, params, lang=self.lang))

    @contextlib.contextmanager
    def kernel_stages(self, folder: Path | str, *, every: float = 0.3) -> Iterator[None]:
        """While the notebook runs: the stages its kernel notes in ``folder``'s ``STAGES_FILE``
        (the environment variable :data:`evaluation.report.context.STAGES_ENV` names it for the
        kernel) said as they come, each under the cell running. Nothing when not enabled.
        """
        if not self.enabled:
            yield
            return
        path = Path(folder) / STAGES_FILE
        path.write_text("", encoding="utf-8")
        before = os.environ.get(STAGES_ENV)
        os.environ[STAGES_ENV] = str(path)
        stop = threading.Event()

        def watch() -> None:
            seen = 0
            while True:
                last = stop.wait(every)
                codes = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
                for code in codes[seen:]:
                    if f"progress_stage_{code}" in MESSAGES:
                        self._in_cell(render_message(f"progress_stage_{code}", lang=self.lang))
                seen = len(codes)
                if last:
                    return

        thread = threading.Thread(target=watch, name="report-stages", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
            if before is None:
                os.environ.pop(STAGES_ENV, None)
            else:
                os.environ[STAGES_ENV] = before

    def done(self, path: object) -> None:
        """Say the run is over, with the seconds it took and the file written."""
        self.step("progress_done", seconds=round(time.monotonic() - self.started), path=str(path))


class ProgressEngine(Engine):
    """papermill engine that tells ``on_cell`` (a :meth:`Progress.on_cell`) of each cell before
    the engine named ``base_engine`` (papermill's default when ``None``) runs it.
    """

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
        """Run the notebook with the base engine, announcing each cell (papermill's engine interface)."""
        on_cell = kwargs.pop("on_cell")
        base = papermill_engines.get_engine(kwargs.pop("base_engine", None))
        start = nb_man.cell_start

        def cell_start(cell, cell_index=None, **options):
            on_cell(cell, cell_index, nb_man.nb.cells)
            return start(cell, cell_index, **options)

        nb_man.cell_start = cell_start
        return base.execute_managed_notebook(nb_man, kernel_name, **kwargs)


papermill_engines.register(PROGRESS_ENGINE, ProgressEngine)


def progress_engine(engine: dict, progress: Progress | None) -> dict:
    """The papermill engine options of a run (``engine``: those without progress) with its cells said
    by ``progress`` (unchanged when there is none or it is silent).
    """
    if progress is None or not progress.enabled:
        return engine
    rest = {k: v for k, v in engine.items() if k != "engine_name"}
    return {"engine_name": PROGRESS_ENGINE, "base_engine": engine.get("engine_name"), "on_cell": progress.on_cell,
            **rest}
