"""Editions: reports frozen at a date (points d'étape), and their verification (report layer).

``evaluation publish TERRITORY --as-of DATE --edition NAME`` renders the report of that
date (:func:`evaluation.report.runs.render.render_report` with the notebook parameter ``as_of``) and
freezes it in ``reports/<territory>/editions/<name>/``: the outputs plus ``manifest.json``
(:mod:`evaluation.report.editions.manifest`). ``evaluation verify <edition folder>`` recomputes the
edition's indicators from its inputs with its parameters and compares them with the
manifest, naming every input whose SHA-256 changed and every indicator that differs.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from evaluation import __version__
from evaluation._io import atomic_dir, sha256_file
from evaluation.config import get_paths
from evaluation.errors import ConfigError, EvaluationError, ValidationError
from evaluation.geo.reference import load_reference, territory_communes
from evaluation.geo.territories import get_territory, load_territories
from evaluation.io.datasets import load_dataset
from evaluation.io.survey.answers import survey_files
from evaluation.io.survey.questions import SURVEY_FOLDER
from evaluation.measures.snapshot import resolve_as_of
from evaluation.messages import MESSAGES, render_message
from evaluation.problems import Lang
from evaluation.report.editions.baseline import check_baseline, edition_dir
from evaluation.report.editions.manifest import (
    FORMAT,
    IndicatorChange,
    InputChange,
    ManifestError,
    changed_indicators,
    changed_inputs,
    changed_objectives,
    hash_inputs,
    indicator_records,
    input_files,
    library_versions,
    objective_records,
    read_manifest,
    resolve_path,
    stored_path,
    write_manifest,
)
from evaluation.report.publication import report_publication
from evaluation.report.runs.progress import Progress
from evaluation.report.runs.render import render_report, searched_for
from evaluation.report.runs.secrecy import SET_FILE, decide_set, earlier_members
from evaluation.report.secrecy.disclosure import DEFAULT_THRESHOLD
from evaluation.report.secrecy.leaks import check_outputs
from evaluation.report.secrecy.sets import member_key

__all__ = ["publish_edition", "publish_milestones",
           "Verification", "verify_edition", "recompute_indicators"]

#: Outputs of a report kept in an edition (those present: the formats asked for, as ``evaluation report``,
#: and the register of what it published, ``secret.json``).
EDITION_OUTPUTS = ("report.html", "report.docx", "report.pdf", "report.ipynb", "indicators.csv", "indicators.xlsx",
                   "secret.json")


def _inputs(territory: str, *, data_dir, reference_dir, territories_file) -> tuple[list[tuple[str, Path]], object]:
    """The input files a report of ``territory`` reads (validated first)."""
    paths = get_paths()
    data = Path(data_dir) if data_dir else paths.sample
    ref = Path(reference_dir) if reference_dir else paths.reference
    terr_file = Path(territories_file) if territories_file else paths.territories
    reference = load_reference(ref)
    territory_communes(get_territory(territory, terr_file, reference_dir=ref), reference)
    dataset = load_dataset(data, reference=reference, reference_dir=ref,
                           territories=load_territories(terr_file, reference_dir=ref))
    exports = [*dataset.paths.values(), *survey_files(data / SURVEY_FOLDER)]  # the partner survey's too
    return input_files(exports=exports, reference_dir=ref, territories_file=terr_file,
                       read_options=data / "read_options.yml"), dataset


def publish_edition(territory: str, *, edition: str, as_of: object = None, data_dir: str | Path | None = None,
                    out_dir: str | Path | None = None, reference_dir: str | Path | None = None,
                    territories_file: str | Path | None = None, threshold: int = DEFAULT_THRESHOLD,
                    alpha: float = 0.05, baseline: str | Path | None = None, replace: bool = False,
                    timeout: int = 900, warm: bool = False, formats: Sequence[str] | str | None = None,
                    progress: Progress | None = None) -> Path:
    """Render the report of ``territory`` at ``as_of`` and freeze it as an edition.

    Writes ``<out_dir>/<territory>/editions/<edition>/`` (the report in ``formats`` — as
    ``evaluation report``: ``report.html``, ``report.docx``, ``report.pdf``, by default all three
    or ``EVALUATION_FORMATS`` —, ``report.ipynb``, ``indicators.csv``/``.xlsx``, ``reseau/`` when
    published, ``manifest.json``), atomically. The manifest records the indicators and the
    status of each objective of the territory at the edition's date
    (:func:`evaluation.report.editions.manifest.objective_records`). Everything is checked
    before anything is written: the territory, the data, the date, the baseline
    (:func:`~evaluation.report.editions.baseline.check_baseline`), and that the edition does not exist yet (an edition is frozen:
    ``replace=True`` to publish it again). ``progress`` says each step on the terminal.
    """
    target = edition_dir(territory, edition, out_dir=out_dir)
    if target.exists() and not replace:
        raise ManifestError(code="edition_exists", edition=edition, slug=territory, folder=str(target))
    if progress is not None:
        progress.step("progress_validate", slug=territory)
    inputs, dataset = _inputs(territory, data_dir=data_dir, reference_dir=reference_dir,
                              territories_file=territories_file)
    snapshot = resolve_as_of(dataset.tables, as_of)
    parameters = {"as_of": snapshot.date.isoformat(), "disclosure_threshold": int(threshold), "alpha": float(alpha)}
    if baseline is not None:
        folder, _ = check_baseline(baseline, territory, threshold=threshold, reference_dir=reference_dir,
                                   out_dir=out_dir, before=snapshot.date)
        parameters["baseline"] = str(folder.resolve())
    hashes = hash_inputs(inputs)
    root = target.parent
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{edition}.render.", dir=root))
    try:
        # The editions published before this one, with it, form one publication set.
        withheld = None
        if earlier_members(out_dir, [territory], before=snapshot.date, reference_dir=reference_dir):
            decision = decide_set([territory], threshold=int(threshold), alpha=float(alpha), out_dir=out_dir,
                                  target=work / SET_FILE, data_dir=data_dir, reference_dir=reference_dir,
                                  territories_file=territories_file, as_of=snapshot.date)
            parameters["secrecy_set"] = str(decision)
            withheld = json.loads(decision.read_text(encoding="utf-8")).get(member_key(territory, snapshot.date), [])
        render_report(territory, data_dir=data_dir, out_dir=work, reference_dir=reference_dir,
                      territories_file=territories_file, timeout=timeout, validate=False, warm=warm,
                      parameters=parameters, formats=formats, edition=edition, progress=progress)
        if progress is not None:
            progress.step("progress_edition", edition=edition)
        rendered = work / territory
        indicators = pd.read_csv(rendered / "indicators.csv", sep=";", decimal=",", encoding="utf-8-sig",
                                 keep_default_na=False, na_values=[""])
        paths = get_paths()
        terr = get_territory(territory, territories_file, reference_dir=reference_dir)
        records = indicator_records(indicators)
        content = {
            "format": FORMAT, "territory": territory, "label": terr.label,
            "edition": edition, "as_of": snapshot.date.isoformat(), "as_of_default": snapshot.default,
            "published": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            "parameters": {
                "territory": territory, "as_of": snapshot.date.isoformat(), "disclosure_threshold": int(threshold),
                "alpha": float(alpha),
                "data_dir": stored_path(Path(data_dir) if data_dir else paths.sample),
                "reference_dir": stored_path(Path(reference_dir) if reference_dir else paths.reference),
                "territories_file": stored_path(Path(territories_file) if territories_file else paths.territories),
                "baseline": stored_path(parameters["baseline"]) if baseline is not None else None,
                **({"withheld_for_set": withheld} if withheld is not None else {})},
            "inputs": hashes,
            "package": {"evaluation": __version__, "python": platform.python_version()},
            "libraries": library_versions(),
            "outputs": [{"path": name, "sha256": sha256_file(rendered / name)}
                        for name in EDITION_OUTPUTS if (rendered / name).is_file()],
            "indicators": records,
            "objectives": objective_records(records, terr.objectives, on=snapshot.date),
        }
        # the manifest is published too: searched like the outputs, for names and identifiers
        names, search = searched_for(Path(data_dir) if data_dir else paths.sample, reference_dir=reference_dir,
                                     territories_file=territories_file)
        check_outputs([], names, texts={"manifest.json": json.dumps(content, ensure_ascii=False, indent=1)}, **search)
        with atomic_dir(target) as tmp:
            for name in (*EDITION_OUTPUTS, "reseau"):
                if (rendered / name).exists():
                    shutil.move(rendered / name, tmp / name)
            write_manifest(content, tmp)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def publish_milestones(territory: str, *, chain: bool = False, **options) -> list[Path]:
    """One edition per milestone of the territory (``milestones`` in ``territories.yml``),
    named after it, in date order; ``options`` are those of :func:`publish_edition`. Every
    date is checked before the first edition is written. ``chain``: each edition after the
    first is compared with the one before (its baseline).
    """
    terr = get_territory(territory, options.get("territories_file"), reference_dir=options.get("reference_dir"))
    if not terr.milestones:
        raise ConfigError(code="milestones_none", slug=territory)
    _, dataset = _inputs(territory, data_dir=options.get("data_dir"), reference_dir=options.get("reference_dir"),
                         territories_file=options.get("territories_file"))
    for date in terr.milestones.values():  # every date refused before any edition is written
        resolve_as_of(dataset.tables, date)
    folders: list[Path] = []
    for name, date in sorted(terr.milestones.items(), key=lambda kv: kv[1]):
        if chain:
            options["baseline"] = folders[-1] if folders else None
        folders.append(publish_edition(territory, edition=name, as_of=date, **options))
    return folders


@dataclass
class Verification:
    """The result of :func:`verify_edition`: ``ok`` when every input has its recorded SHA-256
    and every indicator recomputes to its recorded value.
    """

    folder: Path
    inputs: list[InputChange] = field(default_factory=list)
    indicators: list[IndicatorChange] = field(default_factory=list)
    objectives: list[IndicatorChange] = field(default_factory=list)  # statuses that differ (code: indicator@date)
    outputs: list[str] = field(default_factory=list)  # outputs whose SHA-256 changed
    absent_outputs: list[str] = field(default_factory=list)  # recorded but not kept (not an error)
    error: str | None = None  # why the indicators could not be recomputed
    error_fr: str | None = None  # the same, in French

    @property
    def ok(self) -> bool:
        """True when no input, indicator, objective's status or output differs and nothing failed."""
        return not (self.inputs or self.indicators or self.objectives or self.outputs or self.error)

    def lines(self, *, lang: Lang = "en") -> list[str]:
        """What a person reads, in ``lang`` (``"en"`` or ``"fr"``): every changed input and indicator, one per line."""
        def say(code: str, /, **params: object) -> str:
            return render_message(code, params, lang=lang)

        def role(name: str) -> str:
            return say(f"role_{name}") if f"role_{name}" in MESSAGES else name

        out = [say("verify_input_missing", role=role(c.role), path=c.path) if c.current is None else
               say("verify_input_changed", role=role(c.role), path=c.path, recorded=c.recorded[:16],
                   current=c.current[:16])
               for c in self.inputs]
        out += [say("verify_output_changed", name=name) for name in self.outputs]
        out += [say("verify_indicator", code=c.code, field=c.field, recorded=repr(c.recorded), current=repr(c.current))
                for c in self.indicators]
        out += [say("verify_objective", code=c.code, field=c.field, recorded=repr(c.recorded), current=repr(c.current))
                for c in self.objectives]
        if self.error:
            out.append(say("verify_not_recomputed", error=self.error_fr if lang == "fr" and self.error_fr
                           else self.error))
        return out


def recompute_indicators(manifest: dict, *, root: Path | None = None) -> list[dict]:
    """The indicators of an edition recomputed from its inputs with its parameters (the same
    publication the report notebook builds, :func:`evaluation.report.publication.report_publication`).
    """
    p = manifest["parameters"]
    pub = report_publication(p["territory"], data_dir=resolve_path(p["data_dir"], root=root),
                             reference_dir=resolve_path(p["reference_dir"], root=root),
                             territories_file=resolve_path(p["territories_file"], root=root),
                             threshold=int(p["disclosure_threshold"]), alpha=float(p["alpha"]), as_of=p["as_of"],
                             secrecy_set={member_key(p["territory"], p["as_of"]): p["withheld_for_set"]}
                             if p.get("withheld_for_set") is not None else None)
    return indicator_records(pub.indicators)


def verify_edition(folder: str | Path, *, root: Path | None = None) -> Verification:
    """Check an edition against its inputs: recompute it and compare.

    Raises :class:`~evaluation.report.editions.manifest.ManifestError` when the manifest is missing or was
    edited. Otherwise returns a :class:`Verification` naming every input whose SHA-256
    changed (or that is missing), every kept output whose SHA-256 changed, and every
    indicator whose recomputed value differs. Indicators are recomputed even when inputs
    changed, so that the consequences of a change are listed too; when an input is
    missing they cannot be, and only the inputs are listed.
    """
    folder = Path(folder)
    manifest = read_manifest(folder)
    result = Verification(folder, inputs=changed_inputs(manifest, root=root))
    for item in manifest.get("outputs", []):
        path = folder / item["path"]
        if not path.is_file():
            result.absent_outputs.append(item["path"])
        elif sha256_file(path) != item["sha256"]:
            result.outputs.append(item["path"])
    if any(c.current is None for c in result.inputs):
        result.error, result.error_fr = "an input is missing", "une entrée est absente"
        return result
    try:
        current = recompute_indicators(manifest, root=root)
    except EvaluationError as exc:  # a changed input may no longer be valid
        result.error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        result.error_fr = (f"{type(exc).__name__} : {len(exc.problems)} problème(s) dans les données d'entrée"
                           if isinstance(exc, ValidationError) else
                           f"{type(exc).__name__} : {exc.text(lang='fr').splitlines()[0] if str(exc) else ''}")
        return result
    result.indicators = changed_indicators(manifest["indicators"], current)
    if "objectives" in manifest:  # editions published before objectives were recorded have none
        p = manifest["parameters"]
        terr = get_territory(p["territory"], resolve_path(p["territories_file"], root=root),
                             reference_dir=resolve_path(p["reference_dir"], root=root))
        result.objectives = changed_objectives(
            manifest["objectives"], objective_records(current, terr.objectives, on=dt.date.fromisoformat(p["as_of"])))
    return result
