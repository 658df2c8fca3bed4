"""Render every territory at once: a local pool of processes or an existing Dask cluster.

One failing territory never stops the others: its executed notebook (with the error
cell) is kept as ``reports/<slug>/report.failed.ipynb`` and the summary lists it. A run
that hits papermill's port collision (``ZMQError: Address already in use``,
papermill#511) or a dead kernel is retried once. ``reports/index.html`` then lists every
territory with its headline figures, read from the executed notebooks (scrapbook).
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import html
import logging
import multiprocessing
import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from evaluation._io import atomic_write
from evaluation.config import get_paths
from evaluation.errors import ConfigError
from evaluation.geo.areas import load_departements, territory_departement
from evaluation.geo.reference import load_reference, territory_communes
from evaluation.geo.territories import load_territories
from evaluation.io.datasets import load_dataset
from evaluation.io.pseudonyms import shared_run_key
from evaluation.measures.snapshot import resolve_as_of
from evaluation.report.editions.trajectories import trajectories_html
from evaluation.report.formats.write import FORMAT_FILES, parse_formats
from evaluation.report.runs.index_page import departement_cell, departement_filter, sort_and_filter_script
from evaluation.report.runs.render import render_report
from evaluation.report.runs.secrecy import decide_set
from evaluation.report.secrecy.disclosure import DEFAULT_THRESHOLD
from evaluation.report.secrecy.leaks import check_outputs, raw_names
from evaluation.report.secrecy.patterns import identifier_sources
from evaluation.report.tables import fr_interval, fr_number, fr_percent, fr_rate, fr_ratio_interval

__all__ = ["RunResult", "render_batch", "render_one", "write_index", "is_transient", "error_message"]

log = logging.getLogger(__name__)

TRANSIENT_MARKERS = ("Address already in use", "DeadKernelError", "Kernel died", "kernel died")


@dataclass(frozen=True)
class RunResult:
    """Outcome of one territory's run."""

    territory: str
    ok: bool
    path: str  # the HTML report, or the failed notebook
    error: str = ""
    attempts: int = 1
    seconds: float = 0.0
    headline: dict | None = None  # figures glued in the executed notebook (scrapbook)


def is_transient(exc: BaseException) -> bool:
    """Whether a failure is papermill's port collision or a dead kernel (worth one retry)."""
    seen = []
    while exc is not None and exc not in seen:
        seen.append(exc)
        text = f"{type(exc).__name__}: {exc}"
        if any(m in text for m in TRANSIENT_MARKERS):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


#: Longest error message kept for the summary and the index page.
MAX_ERROR_CHARS = 2000
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def error_message(exc: BaseException, *, limit: int = MAX_ERROR_CHARS) -> str:
    """What a failed run says, for a person: the exception's own message, not its traceback.

    When the failure happened in a notebook cell (papermill's ``PapermillExecutionError``,
    anywhere in the cause chain), that is ``ename: evalue`` of the cell's exception, cut at
    its end if longer than ``limit``. Otherwise it is ``Type: message`` of ``exc``, keeping
    its last ``limit`` characters: the end of a traceback is where the error is said, and
    the start holds file paths whose length depends on where the project lives.
    """
    seen: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and cause not in seen:
        if getattr(cause, "ename", None) and hasattr(cause, "evalue"):
            text = _ANSI.sub("", f"{cause.ename}: {cause.evalue}").strip()
            return text if len(text) <= limit else text[:limit - 1] + "…"
        seen.append(cause)
        cause = cause.__cause__ or cause.__context__
    text = _ANSI.sub("", f"{type(exc).__name__}: {exc}").strip()
    return text if len(text) <= limit else "…" + text[-(limit - 1):]


def render_one(territory: str, options: dict) -> RunResult:
    """Render one territory, retrying once on a transient kernel failure; never raises.

    Runs in a worker process (local pool or Dask worker), so it takes and returns plain,
    picklable values; the headline figures are read there too, so that the index page
    costs the parent nothing.
    """
    start = time.perf_counter()
    for attempt in (1, 2):
        try:
            path = render_report(territory, **options)
            return RunResult(territory, True, str(path), attempts=attempt, seconds=time.perf_counter() - start,
                             headline=_headline(Path(path).parent / "report.ipynb"))
        except Exception as exc:  # noqa: BLE001 - one territory's failure is reported, not raised
            if attempt == 1 and is_transient(exc):
                log.warning("%s: transient kernel failure, retrying once (%s)", territory, exc)
                continue
            out = Path(options.get("out_dir") or get_paths().reports) / territory / "report.failed.ipynb"
            return RunResult(territory, False, str(out) if out.exists() else "", error=error_message(exc),
                             attempts=attempt, seconds=time.perf_counter() - start)
    raise AssertionError("unreachable")  # pragma: no cover


def _single_threaded() -> None:
    """Pool initializer: several kernels share the cores, so one BLAS/OpenMP thread each
    avoids oversubscription (kernels inherit the worker's environment).
    """
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")


def _progress(total: int, *, enabled: bool):
    return tqdm(total=total, unit="territoire", desc="Rapports", disable=not enabled)


def render_batch(territories: list[str] | None = None, *, data_dir: str | Path | None = None,
                 out_dir: str | Path | None = None, reference_dir: str | Path | None = None,
                 territories_file: str | Path | None = None, timeout: int = 900, workers: int | None = None,
                 scheduler: str | None = None, batch_timeout: float | None = None,
                 progress: bool = True, warm: bool = True,
                 formats: Sequence[str] | str | None = None, as_of: str | None = None,
                 parameters: dict | None = None) -> list[RunResult]:
    """Render territories in parallel and write ``index.html``; returns one result each.

    The territories file, the territories' communes and the data are validated once,
    before any run: an error there raises and nothing is written.

    Parameters
    ----------
    territories
        Slugs to render (default: every territory of the territories file).
    workers
        Processes of the local pool (default: the number of cores). Processes are
        spawned, not forked, so that kernels do not inherit sockets.
    scheduler
        Address of an existing Dask cluster (``tcp://host:8786``) to send the runs to
        instead; its workers must see the same project folder and data.
    timeout
        Seconds allowed to each notebook cell.
    batch_timeout
        Wall-clock limit of the whole batch (default: 30 minutes per territory per
        worker); territories not finished by then are reported as failed.
    warm
        Run the notebooks on warm kernels (:mod:`evaluation.report.runs.warm`): each worker process,
        local or Dask, keeps kernels that have imported the libraries and resets them to
        a clean namespace between territories. ``False`` starts a kernel per territory.
    formats
        Formats of each report (:func:`evaluation.report.formats.write.parse_formats`; default all three).
    as_of
        Evaluate every territory at this date (:func:`evaluation.measures.snapshot.resolve_as_of`,
        checked once against the data before any run; default: the latest date of the data).
    parameters
        Other parameters of every territory's notebook, e.g. ``{"disclosure_threshold": 11}``.
    """
    configured = load_territories(territories_file, reference_dir=reference_dir)
    slugs = list(territories) if territories else list(configured)
    # Validate once for every run: the territories' communes and the data.
    reference = load_reference(reference_dir)
    members = {s: territory_communes(configured[s], reference) for s in slugs if s in configured}
    sizes = {s: len(m) for s, m in members.items()}
    departements = {s: territory_departement(m) for s, m in members.items()}
    dataset = load_dataset(data_dir, reference=reference, reference_dir=reference_dir, territories=configured)
    stated = resolve_as_of(dataset.tables, as_of).date.isoformat() if as_of is not None else None
    options = {"data_dir": str(data_dir) if data_dir else None, "out_dir": str(out_dir) if out_dir else None,
               "reference_dir": str(reference_dir) if reference_dir else None,
               "territories_file": str(territories_file) if territories_file else None, "timeout": timeout,
               "validate": False, "warm": warm, "formats": parse_formats(formats),
               "parameters": {**(parameters or {}), **({"as_of": stated} if stated else {})} or None}
    # One publication set: the reports of the batch and the editions already published, decided together.
    params = options["parameters"] or {}
    if slugs and not params.get("secrecy_set"):
        decision = decide_set(slugs, threshold=int(params.get("disclosure_threshold", DEFAULT_THRESHOLD)),
                              alpha=float(params.get("alpha", 0.05)), out_dir=out_dir, data_dir=data_dir,
                              reference_dir=reference_dir, territories_file=territories_file,
                              as_of=stated or resolve_as_of(dataset.tables, None).date.isoformat(), skip_failed=True)
        options["parameters"] = {**params, "secrecy_set": str(Path(decision).resolve())}
    workers = max(1, workers or os.cpu_count() or 1)
    limit = batch_timeout or 1800 * max(1, -(-len(slugs) // workers))
    # Every kernel of the batch uses the same pseudonym key, random if none is configured.
    with shared_run_key():
        results: dict[str, RunResult] = {}
        bar = _progress(len(slugs), enabled=progress)
        if scheduler:
            # dask.distributed is slow to import: only for parallel batches
            from dask.distributed import Client, as_completed

            with Client(scheduler) as client:
                futures = {client.submit(render_one, s, options, key=f"evaluation-report-{s}", pure=False): s
                           for s in slugs}
                try:
                    for future in as_completed(futures, timeout=limit):
                        results[futures[future]] = future.result()
                        bar.update()
                except Exception as exc:  # noqa: BLE001 - time limit or lost cluster: report what is missing
                    log.error("batch stopped: %s", exc)
        else:
            context = multiprocessing.get_context("spawn")
            queue = sorted(slugs, key=lambda s: -sizes.get(s, 0))  # largest first: short runs fill the end
            with cf.ProcessPoolExecutor(max_workers=min(workers, len(slugs)), mp_context=context,
                                        initializer=_single_threaded) as pool:
                futures = {pool.submit(render_one, s, options): s for s in queue}
                try:
                    for future in cf.as_completed(futures, timeout=limit):
                        results[futures[future]] = future.result()
                        bar.update()
                except cf.TimeoutError:
                    log.error("batch time limit of %.0f s reached", limit)
                    for f in futures:
                        f.cancel()
        bar.close()
    ordered = [results.get(s, RunResult(s, False, "", error="not finished within the batch time limit"))
               for s in slugs]
    write_index(ordered, out_dir=out_dir, territories_file=territories_file, data_dir=data_dir,
                reference_dir=reference_dir, departements=departements)
    return ordered


def _departement_names(reference_dir: str | Path | None) -> dict[str, str]:
    try:
        table = load_departements(reference_dir)
    except ConfigError:
        return {}
    return dict(zip(table["departement"], table["departement_name"], strict=True))


def _headline(notebook: Path) -> dict | None:
    import scrapbook as sb  # scrapbook (and papermill behind it) only to read executed notebooks

    try:
        return sb.read_notebook(str(notebook)).scraps["headline"].data
    except Exception:  # noqa: BLE001 - a report without glued figures still gets a row
        return None


def _cell(figure: dict | None, *, percent: bool = False, ratio: bool = False, rate: bool = False,
          digits: int = 0) -> str:
    if not figure:
        return ""
    if figure.get("secret"):
        return "s"
    if figure.get("estimable") is False:
        return "n.e."
    value = figure.get("value")
    if value is None:
        return "–"
    text = fr_percent(value) if percent else fr_rate(value) if rate else fr_number(value, digits=digits)
    if percent and figure.get("low") is not None:
        text += f"<br><small>{fr_interval(figure['low'], figure['high'])}</small>"
    if ratio and figure.get("low") is not None:
        text += f"<br><small>{fr_ratio_interval(figure['low'], figure['high'])}</small>"
    return text


#: Link text of each format of a report on the index page.
FORMAT_LINKS = {"html": "rapport (HTML)", "docx": "Word", "pdf": "PDF", "fiche": "fiche"}


def _document_links(root: Path, territory: str) -> list[str]:
    """Links to the formats a territory's report was written in (those present in its folder)."""
    return [f'<a href="{territory}/{FORMAT_FILES[f]}">{text}</a>' for f, text in FORMAT_LINKS.items()
            if (root / territory / FORMAT_FILES[f]).is_file()]


def write_index(results: list[RunResult], *, out_dir: str | Path | None = None,
                territories_file: str | Path | None = None, data_dir: str | Path | None = None,
                reference_dir: str | Path | None = None, departements: dict[str, str | None] | None = None) -> Path:
    """Write ``index.html``: one row per territory, headline figures and links; failures listed.

    With ``departements`` (slug → code of the département holding most of its population,
    :func:`evaluation.geo.areas.territory_departement`) each row shows its département, and the
    page can be filtered by département and by name; every column sorts on a click
    (:mod:`evaluation.report.runs.index_page`), so that a batch of every EPCI of France stays usable.

    The page is first searched for every raw name of the exports of ``data_dir`` (default
    the sample; :func:`evaluation.report.secrecy.leaks.check_outputs`): a hit raises and nothing is written.
    """
    root = Path(out_dir) if out_dir else get_paths().reports
    labels = {slug: t.label for slug, t in load_territories(territories_file, reference_dir=reference_dir).items()}
    dep_names = _departement_names(reference_dir) if departements else {}
    rows, illustrative = [], False
    for r in results:
        name = f"<td>{html.escape(labels.get(r.territory, r.territory))}</td>"
        if departements:
            name += departement_cell(departements.get(r.territory), dep_names)
        if r.ok:
            head = r.headline or {}
            illustrative |= bool(head.get("illustrative"))
            f = head.get("figures", {})
            cells = [_cell(f.get("acc_total")), _cell(f.get("part_rural"), percent=True),
                     _cell(f.get("part_qpv"), percent=True), _cell(f.get("taux_10k"), rate=True),
                     _cell(f.get("liens_nouveaux")), _cell(f.get("effet_reseau"), ratio=True, digits=2),
                     _cell(f.get("taux_conversion"), percent=True)]
            links = " · ".join([*_document_links(root, r.territory),
                                f'<a href="{r.territory}/indicators.xlsx">indicateurs</a>'])
            rows.append(f"<tr>{name}" + "".join(f"<td>{c}</td>" for c in cells) + f"<td>{links}</td></tr>")
        else:
            link = (f'<a href="{r.territory}/report.failed.ipynb">carnet en erreur</a>' if r.path else "")
            first, *rest = (r.error or "").splitlines() or [""]
            more = (f"<details><summary>suite du message</summary><pre>{html.escape(chr(10).join(rest))}</pre>"
                    "</details>" if any(line.strip() for line in rest) else "")
            rows.append(f'<tr class="failed">{name}<td colspan="7">Échec : '
                        f"{html.escape(first)}{more}</td><td>{link}</td></tr>")
    failed = sum(not r.ok for r in results)
    # The interval label the reports used (they follow their alpha), e.g. "IC 95 %".
    ci = html.escape(next((r.headline["interval"] for r in results if r.ok and r.headline
                           and r.headline.get("interval")), "IC 95 %"))
    note = ('<p class="note"><strong>Données illustratives</strong> : générées, non observées.</p>'
            if illustrative else "")
    page = f"""<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>Rapports d'évaluation par territoire</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:75em}}table{{border-collapse:collapse}}
td,th{{border-bottom:1px solid #ccc;padding:.4em .8em;text-align:right;vertical-align:top}}
td:first-child,th:first-child{{text-align:left}}tr.failed td{{color:#a00}}.note{{background:#f4f4f4;padding:.6em}}
</style></head><body>
<h1>Rapports d'évaluation par territoire</h1>
{note}<p>{len(results)} territoires, {failed} en échec. Généré le {dt.date.today():%d/%m/%Y}.</p>
{departement_filter(departements, dep_names) if departements else ""}
<table id="territoires"><thead><tr><th>Territoire</th>{"<th>Département</th>" if departements else ""}<th>Accompagnements</th><th>Part rurale ({ci})</th>
<th>Part en QPV ({ci})</th><th>Pour 10 000 hab.</th><th>Nouveaux liens</th>
<th>Effet des rencontres, ajusté ({ci})</th><th>Conversion brute ({ci})</th><th>Documents</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table>
<p>« s » : secret statistique (petits effectifs, et ceux qui permettraient de les retrouver) ; « n.e. » : non estimable sur ces données.
Cliquer sur un en-tête de colonne trie le tableau.</p>
{sort_and_filter_script()}
{trajectories_html(root, labels)}
</body></html>
"""
    source = Path(data_dir) if data_dir else get_paths().sample
    check_outputs([], raw_names(source), texts={"index.html": page}, identifiers=identifier_sources(source))
    return atomic_write(root / "index.html", lambda p: p.write_text(page, encoding="utf-8"))
