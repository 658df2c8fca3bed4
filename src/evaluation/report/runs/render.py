"""Rendering a report: papermill runs the notebook, nbconvert exports HTML without code, and the outputs (and the cached tables) are checked for raw names and direct identifiers before they replace the previous report."""

from __future__ import annotations

import ast
import contextlib
import datetime as dt
import html
import logging
import os
import re
import shutil
import threading
from collections.abc import Sequence
from pathlib import Path

from evaluation._io import atomic_dir, remove_orphans, work_dir
from evaluation.config import SLUG_PATTERN, get_paths
from evaluation.errors import ConfigError
from evaluation.geo.areas import load_departements
from evaluation.geo.reference import (
    load_reference,
    territory_communes,
)
from evaluation.geo.territories import get_territory, load_territories
from evaluation.io.cache import cache_folders
from evaluation.io.datasets import load_dataset
from evaluation.io.privacy import labels as territory_labels
from evaluation.io.privacy import official_names
from evaluation.io.pseudonyms import shared_run_key
from evaluation.kernel import ensure_kernel
from evaluation.measures.snapshot import resolve_as_of
from evaluation.messages import coded
from evaluation.report.context import ReportError
from evaluation.report.editions.baseline import check_baseline
from evaluation.report.formats import pdf as pdf_report
from evaluation.report.formats.write import FORMAT_FILES, WRITTEN_FILES, parse_formats, start_documents
from evaluation.report.runs.progress import Progress, progress_engine
from evaluation.report.runs.secrecy import SET_FILE, decide_set, earlier_members
from evaluation.report.runs.warm import WARM_ENGINE
from evaluation.report.secrecy.disclosure import DEFAULT_THRESHOLD
from evaluation.report.secrecy.leaks import NameLeakError, check_outputs, output_files, raw_names, trace_names
from evaluation.report.secrecy.patterns import (
    allowed_addresses,
    identifier_sources,
    territory_sources,
    territory_texts,
)

__all__ = ["NAMES_CHECK_TAG", "NAMES_CHECKED", "render_report", "searched_for"]


#: nbconvert's lab template without the scripts it loads from a CDN (require.js, MathJax): the
#: report is one self-contained file that contacts no third party when opened (it has no
#: formula to typeset and no widget).
_OFFLINE = ('{%- extends "lab/index.html.j2" -%}\n'
            '{%- block html_head_js -%}{%- endblock html_head_js -%}\n'
            '{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}\n')


def _export_html(notebook: Path, html: Path, *, title: str) -> None:
    import nbformat  # Jupyter's packages only when a notebook is rendered
    from jinja2 import DictLoader  # with nbconvert, only when a report is exported
    from nbconvert import HTMLExporter  # nbconvert is slow to import: only when a report is exported

    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
                            embed_images=True, extra_loaders=[DictLoader({"offline.html.j2": _OFFLINE})],
                            template_file="offline.html.j2")
    exporter.log.setLevel(logging.ERROR)  # figures have titles and sources, not alt text
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:  # scrapbook's glued values are data for the index page, not for readers
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs
                            if not any(k.startswith("application/scrapbook") for k in o.get("data", {}))]
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    body = _image_alts(nb, body)
    html.write_text(re.sub(r"<html[^>]*>", '<html lang="fr">', body, count=1), encoding="utf-8")


_NO_ALT = 'alt="No description has been provided for this image"'


def _image_alts(nb, body: str) -> str:
    """Give the HTML's figures the French alternative text :func:`evaluation.report.sections.show`
    stored with each PNG (nbconvert's template leaves it out, then says none was provided).
    """
    alts = [o.get("metadata", {}).get("image/png", {}).get("alt") for cell in nb.cells if cell.cell_type == "code"
            for o in cell.outputs if "image/png" in o.get("data", {})]
    if body.count(_NO_ALT) != len(alts):
        return body
    pieces = body.split(_NO_ALT)
    return pieces[0] + "".join((f'alt="{html.escape(alt)}"' if alt else _NO_ALT) + piece
                               for alt, piece in zip(alts, pieces[1:], strict=True))


def _engine(warm: bool) -> dict:
    """Papermill's engine options: its default (a kernel started for the run) or a warm one."""
    if not warm:
        return {}

    return {"engine_name": WARM_ENGINE, "notebook_path": str(get_paths().report_notebook)}


#: Tag of the notebook's Markdown cell that receives ``NAMES_CHECKED`` once the check passed.
NAMES_CHECK_TAG = "names-check"


NAMES_CHECKED = ("- Aucun nom de personne ou de structure des exports n'apparaît dans ce rapport ni dans ses "
                 "fichiers : les {n} noms lus dans les exports y ont été recherchés à la fin de l'exécution "
                 "(casse, accents et ponctuation ignorés), y compris dans les tables mises en cache ; aucun "
                 "numéro de téléphone, adresse électronique ou postale, IBAN ou numéro de sécurité sociale non "
                 "plus : leurs formes y ont été recherchées de même.")


def _state_names_checked(notebook: Path, searched: int, *, territory: str) -> None:
    """Add the sentence saying no name was found to the tagged cell of the executed notebook,
    and leave out the machine's paths (:func:`_without_paths`).

    Called just before :func:`evaluation.report.secrecy.leaks.check_outputs` searches every output
    (so that the Word and PDF documents built meanwhile carry the sentence): when it finds a
    name, nothing is published, so a notebook run without that check never says so.
    """
    import nbformat  # Jupyter's packages only when a notebook is rendered

    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown" and NAMES_CHECK_TAG in cell.metadata.get("tags", []):
            cell.source = cell.source.rstrip() + "\n" + NAMES_CHECKED.format(n=f"{searched:,}".replace(",", " "))
    _without_paths(nb, territory=territory)
    nbformat.write(nb, notebook)


_ABSOLUTE = re.compile(r"^(?:/|[A-Za-z]:[\\/])")
_PATH_PARAMETER = re.compile(r"""^(\w+) = (["'])((?:/|[A-Za-z]:[\\/]).*)\2$""", re.MULTILINE)


def _without_paths(nb: object, *, territory: str) -> None:
    """Replace the absolute paths papermill records (parameters, input and output paths) by
    their last part: a path names the evaluator's home folder, often after a person, and the
    working folder names the machine. The executed notebook is published.
    """
    def short(value: object, name: str = "") -> object:
        if not isinstance(value, str) or not _ABSOLUTE.match(value):
            return value
        return territory if name == "output_dir" else re.split(r"[\\/]", value.rstrip("\\/"))[-1]

    meta = nb.metadata.get("papermill", {})
    meta["parameters"] = {k: short(v, k) for k, v in meta.get("parameters", {}).items()}
    for key in ("input_path", "output_path"):
        if key in meta:
            meta[key] = short(meta[key])
    for cell in nb.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.source = _PATH_PARAMETER.sub(lambda m: f"{m[1]} = {short(ast.literal_eval(m[2] + m[3] + m[2]), m[1])!r}",
                                              cell.source)


def _preload_pdf() -> threading.Thread:
    """Import WeasyPrint (over a second) in a thread while the notebook runs in its kernel: this
    process only waits meanwhile, and the PDF's child process, forked from it, inherits the import.
    """
    thread = threading.Thread(target=pdf_report.pdf_unavailable, name="import-weasyprint", daemon=True)
    thread.start()
    return thread


def searched_for(source: Path, *, reference_dir, territories_file) -> tuple[list, dict]:
    """What the final search looks for in a run's outputs: the raw names of the exports (less
    official names and public bodies), and the direct identifiers with where each was read,
    the addresses of the published labels of ``territories.yml`` being allowed.

    Where each was read: in ``territories.yml`` first (its key and line,
    :func:`evaluation.report.secrecy.patterns.territory_texts`), whose texts a report prints as
    written, then in the exports (file, column, row).
    """
    territories = load_territories(territories_file, reference_dir=reference_dir)
    official = official_names(load_reference(reference_dir), territories, load_departements(reference_dir))
    allowed = allowed_addresses([text for t in territories.values() for text in territory_labels(t).values()])
    texts = territory_texts(territories_file)
    return (trace_names(raw_names(source, official=official), texts),
            {"identifiers": {**identifier_sources(source), **territory_sources(texts)}, "allowed": allowed})


def _check_with_cache(written: Sequence[Path], names: list, *, cached: Sequence[Path], root: Path,
                      search: dict) -> None:
    """:func:`~evaluation.report.secrecy.leaks.check_outputs` on what a run wrote and the cached
    tables it read; a cache folder where a name or an identifier is found is removed (:func:`_drop_leaking_cache`).
    """
    try:
        check_outputs(written, names, root=root, **search)
    except NameLeakError as exc:
        raise _drop_leaking_cache(exc, cached) from None


def _drop_leaking_cache(error: NameLeakError, cached: Sequence[Path]) -> NameLeakError:
    """Remove the cache folders in which the final search found a name or an identifier (a cached
    table must hold neither: it is written again, redacted, at the next run) and return the error
    saying so.
    """
    files = {str(p): p.parent for p in cached}
    folders = list(dict.fromkeys(files[leak.file] for leak in error.leaks if leak.file in files))
    if not folders:
        return error
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
    again = type(error)(code=error.code, **{**error.params, "removed": coded(
        "leak_cache_removed", folders=[f.name for f in folders])})
    again.leaks = error.leaks
    return again


def _with_set(territory: str, parameters: dict | None, *, out_root: Path, target: Path, as_of, alone: bool,
              **options) -> dict:
    """The notebook's parameters with the decision of the publication set the report forms with
    the territory's editions already published in ``out_root`` (none, or not ``alone``: a
    batch's or an edition's run, which decided its set: unchanged).
    """
    parameters = dict(parameters or {})
    if not alone or parameters.get("secrecy_set") or not earlier_members(out_root, [territory], before=as_of,
                                                            reference_dir=options.get("reference_dir")):
        return parameters
    decision = decide_set([territory], threshold=int(parameters.get("disclosure_threshold", DEFAULT_THRESHOLD)),
                          alpha=float(parameters.get("alpha", 0.05)), out_dir=out_root, target=target, as_of=as_of,
                          **options)
    return {**parameters, "secrecy_set": str(decision)}


def render_report(territory: str, *, data_dir: str | Path | None = None, out_dir: str | Path | None = None,
                  reference_dir: str | Path | None = None, territories_file: str | Path | None = None,
                  timeout: int = 900, kernel_name: str | None = None, validate: bool = True,
                  warm: bool = False, parameters: dict | None = None,
                  formats: Sequence[str] | str | None = None, edition: str | None = None,
                  progress: Progress | None = None) -> Path:
    """Execute the report notebook for one territory and export it to HTML, Word and PDF.

    Inputs are validated first: an unknown territory or invalid data raise before
    anything is written. Outputs go to ``out_dir/<territory>/report.ipynb`` and
    ``report.html``, replacing the previous ones only when both are complete. If the
    notebook fails, the executed notebook (with the error cell) is kept as
    ``report.failed.ipynb`` and :class:`~evaluation.report.context.ReportError` is raised.

    Parameters
    ----------
    timeout
        Seconds allowed to each cell (papermill's ``execution_timeout``).
    kernel_name
        Jupyter kernel; default the project's ``evaluation`` kernel, installed into
        this environment if missing.
    parameters
        Other parameters of the notebook, e.g. ``{"disclosure_threshold": 11, "alpha": 0.1}``.
    formats
        Formats written beside the notebook (:data:`evaluation.report.formats.write.FORMATS`, default
        all: ``report.html``, ``report.docx``, ``report.pdf``; see
        :func:`evaluation.report.formats.write.render_documents`). The path returned is the first
        format's file.
    validate
        Check the territory and the data first (``False`` when the caller already did,
        as :func:`evaluation.report.runs.batch.render_batch` does once for all territories).
    warm
        Run on a warm kernel of this process's pool (:mod:`evaluation.report.runs.warm`) instead of
        starting one for the run; batches do.
    edition
        The edition's name, written on the Word and PDF documents' cover (``evaluation publish``).
    progress
        Says each step on the terminal (:class:`evaluation.report.runs.progress.Progress`): the data
        checked, each notebook cell as it starts, the documents, the search for names.
    """
    import papermill as pm  # papermill is slow to import: only when a report is rendered

    if not SLUG_PATTERN.match(territory):
        raise ConfigError(code="name_invalid", what="territory", what_fr="territoire", name=territory)
    formats = parse_formats(formats)
    paths = get_paths()
    terr = get_territory(territory, territories_file, reference_dir=reference_dir)
    as_of = (parameters or {}).get("as_of")
    stated = dt.date.fromisoformat(str(as_of)) if as_of and not validate else None  # the title's « état au »
    if validate:  # before writing anything (a batch validates once for all its runs)
        if progress is not None:
            progress.step("progress_validate", slug=territory)
        reference = load_reference(reference_dir)
        territory_communes(terr, reference)
        dataset = load_dataset(Path(data_dir) if data_dir else paths.sample, reference=reference,
                               reference_dir=reference_dir,
                               territories=load_territories(territories_file, reference_dir=reference_dir))
        stated = resolve_as_of(dataset.tables, as_of).date
        if as_of is not None:
            parameters = {**parameters, "as_of": stated.isoformat()}
        if (parameters or {}).get("baseline"):
            folder, _ = check_baseline(parameters["baseline"], territory, reference_dir=reference_dir,
                                       threshold=int(parameters.get("disclosure_threshold", DEFAULT_THRESHOLD)),
                                       out_dir=out_dir, before=stated)
            parameters = {**parameters, "baseline": str(folder.resolve())}
    # absolute: the notebook runs in the project root, not in the caller's folder (papermill#316)
    out_root = Path(out_dir).resolve() if out_dir is not None else paths.reports
    target = out_root / territory
    kernel = kernel_name or ensure_kernel()
    remove_orphans(out_root)  # working folders of runs that were killed
    work = work_dir(out_root, f"{territory}.run")
    # the editions already published with it: one publication set (a batch decided its own)
    parameters = _with_set(territory, parameters, out_root=out_root, target=work / SET_FILE, as_of=stated,
                           alone=validate, data_dir=data_dir, reference_dir=reference_dir,
                           territories_file=territories_file)
    params = {"territory": territory, "output_dir": str(work),
              "data_dir": str(Path(data_dir).resolve()) if data_dir else None,
              "reference_dir": str(Path(reference_dir).resolve()) if reference_dir else None,
              "territories_file": str(Path(territories_file).resolve()) if territories_file else None,
              **(parameters or {})}
    preload = _preload_pdf() if "pdf" in formats else None
    try:
        executed = work / "report.ipynb"
        with shared_run_key():  # one key for this run, even when none is configured
            try:
                with progress.kernel_stages(work) if progress is not None else contextlib.nullcontext():
                    pm.execute_notebook(str(paths.report_notebook), str(executed), parameters=params,
                                        kernel_name=kernel, execution_timeout=timeout, cwd=str(paths.root),
                                        progress_bar=False, log_output=False, report_mode=True,
                                        **progress_engine(_engine(warm), progress))
            except Exception as exc:
                target.mkdir(parents=True, exist_ok=True)
                if executed.exists():
                    shutil.move(executed, target / "report.failed.ipynb")
                # papermill's error carries the whole traceback: keep what went wrong, where
                what = (f"{exc.ename}: {exc.evalue} (cell {exc.exec_count})" if hasattr(exc, "ename") else str(exc))
                raise ReportError(code="report_failed", slug=territory, what=what,
                                  notebook=str(target / "report.failed.ipynb")) from exc
        # Defence in depth: no raw name in anything written, before anything is published. The
        # documents are started first (the PDF is laid out in a child process meanwhile), so they
        # carry the sentence saying so; if a name is found, nothing is published.
        source = Path(data_dir) if data_dir else paths.sample
        names, search = searched_for(source, reference_dir=reference_dir, territories_file=territories_file)
        cached = [p for folder in cache_folders(paths.processed, data_dir=source) for p in folder.glob("*.parquet")]
        written = [*output_files(work), *cached]  # listed before the documents are written into work
        _state_names_checked(executed, len(names), territory=territory)
        if preload is not None:
            preload.join()
        say = progress.step if progress is not None else (lambda code, /, **params: None)
        pending = start_documents(work, executed, formats=formats, edition=edition,
                                  step=lambda what: say(f"progress_{what}"))
        try:
            say("progress_names")
            _check_with_cache(written, names, cached=cached, root=work, search=search)
            if "html" in formats:
                say("progress_html")
                title = f"Rapport d'évaluation — {terr.label}" + (f" — état au {stated:%d/%m/%Y}" if stated else "")
                _export_html(executed, work / "report.html", title=title)
            written = [p for p in (work / "report.html", *pending.written) if p.exists()]  # the fiche too
            check_outputs(written, names, root=work, **search)
        finally:
            if pending.pdf is not None:
                say("progress_pdf_wait")
            documents = pending.wait()
        if [p for p in documents if p not in written]:
            say("progress_names_final")
        check_outputs([p for p in documents if p not in written], names, root=work, **search)
        with atomic_dir(target) as tmp:
            for name in ("report.ipynb", *WRITTEN_FILES, "indicators.csv", "indicators.xlsx", "secret.json", "reseau"):  # secret.json: for audits
                if (work / name).exists():
                    shutil.move(work / name, tmp / name)
            if (target / "editions").is_dir():  # published editions outlive the report (hard links: no copy)
                shutil.copytree(target / "editions", tmp / "editions", copy_function=os.link, symlinks=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    first = next((target / FORMAT_FILES[f] for f in formats if (target / FORMAT_FILES[f]).exists()), None)
    return first or target / "report.ipynb"
