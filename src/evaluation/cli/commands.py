"""The ``evaluation`` command's commands, one function each (``args`` → exit status).

Imported by :func:`evaluation.cli.main` once the command line is read, so that ``--help`` stays
fast; each command imports the modules it needs when it runs.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["COMMANDS", "say", "problem_text"]


def say(code: str, args: argparse.Namespace, /, **params: object) -> str:
    """Message ``code`` of :mod:`evaluation.messages` in the language of ``--lang``."""
    from evaluation.messages import render_message

    return render_message(code, params, lang=args.lang)


def _dossier_run(args: argparse.Namespace):
    """The formats of ``--formats`` that can be written here and the run's progress on the terminal
    (only there, and without ``--quiet``); the exit status instead when no format can be written.
    """
    from evaluation.errors import EvaluationError
    from evaluation.report.formats.pdf import pdf_unavailable
    from evaluation.report.formats.write import parse_formats
    from evaluation.report.runs.progress import Progress

    try:
        formats = parse_formats(args.formats)
    except EvaluationError as exc:
        print(say("report_formats", args, command=args.command, text=exc.text(lang=args.lang)), file=sys.stderr)
        return 2
    if "pdf" in formats and pdf_unavailable():  # said once, before the runs; HTML and Word are still written
        print(say("report_no_pdf", args, command=args.command, why=pdf_unavailable(lang=args.lang)), file=sys.stderr)
        formats = tuple(f for f in formats if f != "pdf")
    if not formats:
        print(say("report_no_format", args, command=args.command), file=sys.stderr)
        return 1
    return formats, Progress(lang=args.lang, stream=sys.stderr, enabled=not args.quiet and sys.stderr.isatty())


def _report(args: argparse.Namespace) -> int:
    if args.all == bool(args.territory):
        print(say("report_usage", args), file=sys.stderr)
        return 2
    _warn_territory_notes(args)  # and a mistyped territory said, before the report layer's imports
    from evaluation.report.runs.batch import render_batch
    from evaluation.report.runs.render import render_report

    run = _dossier_run(args)
    if isinstance(run, int):
        return run
    formats, progress = run
    kwargs = dict(data_dir=args.data, out_dir=args.out, reference_dir=args.reference,
                  territories_file=args.territories, timeout=args.timeout, formats=formats)
    chosen = {k: v for k, v in (("disclosure_threshold", args.threshold), ("alpha", args.alpha)) if v is not None}
    if args.territory:
        extra = {k: v for k, v in (("as_of", args.as_of), ("baseline", args.baseline)) if v}
        path = render_report(args.territory, **kwargs, parameters={**chosen, **extra} or None, progress=progress)
        progress.done(path)
        print(path)
        return 0
    if args.baseline:
        print(say("report_baseline_all", args), file=sys.stderr)
        return 2
    results = render_batch(workers=args.workers, scheduler=args.scheduler, warm=not args.fresh_kernels,
                           as_of=args.as_of, parameters=chosen or None, **kwargs)
    for r in results:
        detail = r.path if r.ok else (r.error.splitlines()[0] if r.error else "")
        print(f"{say('run_ok' if r.ok else 'run_failed', args):6} {r.territory:28} {detail}")
    failed = [r.territory for r in results if not r.ok]
    if failed:
        print(say("reports_failed", args, count=len(failed), slugs=failed), file=sys.stderr)
    return 1 if failed else 0


def _publish(args: argparse.Namespace) -> int:
    from evaluation.report.runs.publish import publish_edition, publish_milestones

    if args.all_milestones == bool(args.edition) or (args.all_milestones and args.as_of):
        print(say("publish_usage", args), file=sys.stderr)
        return 2
    run = _dossier_run(args)
    if isinstance(run, int):
        return run
    formats, progress = run
    options = dict(data_dir=args.data, out_dir=args.out, reference_dir=args.reference,
                   territories_file=args.territories, threshold=args.threshold or 5, replace=args.replace,
                   timeout=args.timeout, baseline=args.baseline, alpha=args.alpha or 0.05, formats=formats,
                   progress=progress)
    if args.all_milestones:
        if args.baseline:
            print(say("publish_chain", args), file=sys.stderr)
            return 2
        folders = publish_milestones(args.territory, chain=args.chain, **options)
    else:
        folders = [publish_edition(args.territory, edition=args.edition, as_of=args.as_of, **options)]
    progress.done(folders[-1])
    for folder in folders:
        print(folder)
    return 0


def _verify(args: argparse.Namespace) -> int:
    from evaluation.report.runs.publish import verify_edition

    result = verify_edition(args.edition)
    for name in result.absent_outputs:
        print(say("verify_absent", args, name=name))
    if result.ok:
        print(say("verify_ok", args, folder=args.edition))
        return 0
    for line in result.lines(lang=args.lang):
        print(line, file=sys.stderr)
    print(say("verify_failed", args, folder=args.edition, inputs=len(result.inputs),
               indicators=len(result.indicators)), file=sys.stderr)
    return 1


def _audit(args: argparse.Namespace) -> int:
    """Audit every report under a folder as one publication set (``evaluation audit``)."""
    from evaluation.report.runs.secrecy import audit_folder

    result = audit_folder(args.folder, reference_dir=args.reference)
    print("\n".join(result.lines(args.folder, lang=args.lang)), file=sys.stdout if result.ok else sys.stderr)
    return int(not result.ok)


def _validate(args: argparse.Namespace) -> int:
    """Check territories.yml and every table; one problems table for all of them."""
    import pandas as pd  # printing the tables

    from evaluation.config import get_paths
    from evaluation.errors import EpciCutError, ValidationError
    from evaluation.geo.areas import load_departements
    from evaluation.geo.reference import load_former_communes, load_reference, territory_members
    from evaluation.geo.territories import load_territories
    from evaluation.io.datasets import validate_tables
    from evaluation.io.privacy import public_place_names
    from evaluation.io.pseudonyms import resolve_key
    from evaluation.io.readers import ReadOptions
    from evaluation.io.survey.answers import read_survey, survey_files
    from evaluation.io.survey.questions import SURVEY_FOLDER
    from evaluation.problems import Problems
    from evaluation.report.secrecy.leaks import check_report_words

    problems = Problems()
    territories = None
    try:
        territories = load_territories(args.territories, reference_dir=args.reference)
    except ValidationError as exc:
        problems.extend(exc.recorded)
    reference = load_reference(args.reference)
    if territories is not None:
        _warn_territory_notes(args)
    territories_file = Path(args.territories or get_paths().territories)
    for slug, exc in territory_members(territories or {}, reference)[1].items():  # codes must be in the reference
        if isinstance(exc, EpciCutError):
            problems.add(str(territories_file), "territory_epci_cut", column=slug, rows=[territories[slug].line("epcis")],
                         epcis="; ".join(exc.epci_texts()), epcis_fr=" ; ".join(exc.epci_texts(lang="fr")),
                         departements=", ".join(exc.departements), command=exc.command)
        else:
            problems.add(str(territories_file), "territory_codes_unknown", column=slug, rows=[territories[slug].line()],
                         codes=exc.params.get("codes") or str(exc).split(": ", 1)[-1])
    data_dir = args.data or get_paths().sample
    overrides = {"sep": args.sep, "encoding": args.encoding, "header_row": args.header_row}
    read_options = ReadOptions(**overrides) if any(v is not None for v in overrides.values()) else None
    departements = load_departements(args.reference)
    key, answers = resolve_key(), None
    try:
        dataset = validate_tables(data_dir, commune_codes=reference["commune_code"],
                                  former_communes=load_former_communes(args.reference), territories=territories,
                                  territories_file=territories_file.name, read_options=read_options,
                                  place_names=public_place_names(reference, departements),
                                  commune_names=dict(zip(reference["commune_code"], reference["commune_name"],
                                                         strict=True)), pseudonym_key=key)
        if survey_files(Path(data_dir) / SURVEY_FOLDER):  # the partner survey's exports, with the same key
            answers = read_survey(Path(data_dir) / SURVEY_FOLDER, actors=dataset.actors, key=key,
                                  territories=list(territories or {}) or None, communes=reference)
    except ValidationError as exc:
        problems.extend(exc.recorded)
    # what the final search before publication would refuse (issue 24)
    check_report_words(data_dir, problems, reference=reference, territories=territories, departements=departements)
    if problems:
        raise ValidationError(problems.frame())
    fr = args.lang == "fr"
    print(f"{data_dir} : toutes les tables sont valides" if fr else f"{data_dir}: all tables valid")
    for name, table in dataset.tables.items():
        source = dataset.files[name]["file"] if name in dataset.files else ("(absente)" if fr else "(absent)")
        print(f"  {name:15} {len(table):6} {'lignes' if fr else 'rows'}  {source}")
    if answers is not None:
        print(say("survey_checked", args, folder=Path(data_dir) / SURVEY_FOLDER, waves=len(answers.waves)))
    if len(dataset.notices):
        print("\nCorrigé à la lecture :" if fr else "\nRepaired while reading:")
        print(problem_text(dataset.notices, args.lang).to_string(index=False))
    if len(dataset.ignored):
        print("\nColonnes ignorées (hors du modèle de données, non lues) :" if args.lang == "fr" else
              "\nIgnored columns (not in the data model, not read):")
        with pd.option_context("display.max_colwidth", 120, "display.width", 250):
            print(problem_text(dataset.ignored_columns(lang=args.lang), args.lang).to_string(index=False))
    return 0


def problem_text(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """A problems table with its headers in ``lang``."""
    headers = {"fr": {"file": "fichier", "row": "ligne", "column": "colonne", "value": "valeur",
                      "problem": "problème", "fix": "correction", "code": "code"}}
    frame = table.astype(object).where(table.notna(), "").astype(str)
    return frame.rename(columns=headers.get(lang, {}))


def _sample(args: argparse.Namespace) -> int:
    from evaluation.config import get_paths
    from evaluation.geo.reference import load_reference
    from evaluation.geo.territories import load_territories
    from evaluation.io.sample import generate_sample, write_sample

    reference = load_reference(args.reference)
    territories = load_territories(args.territories, reference_dir=args.reference)
    tables = generate_sample(reference, territories, seed=args.seed, scale=args.scale)
    out = write_sample(tables, args.out or get_paths().sample, seed=args.seed, overwrite=args.force)
    chenove = territories.get("chenove")
    if chenove is not None and set(chenove.communes) and set(chenove.communes) <= set(reference["commune_code"]):
        from evaluation.io.survey.questions import SURVEY_FOLDER
        from evaluation.io.survey.sample import write_bundled_survey

        names = dict(zip(reference["commune_code"].astype(str), reference["commune_name"].astype(str), strict=True))
        write_bundled_survey(tables, out / SURVEY_FOLDER, communes=tuple(chenove.communes), commune_names=names,
                             overwrite=args.force)
    print(say("sample_written", args, seed=args.seed, folder=out, tables=[f"{k} {len(v)}" for k, v in tables.items()]))
    return 0


def _warn_territory_notes(args: argparse.Namespace) -> None:
    """Warn of what territories.yml holds (cut EPCI); raise if it lacks ``args.territory``."""
    from evaluation.config import SLUG_PATTERN
    from evaluation.geo.territories import get_territory, territory_notes

    for note in territory_notes(args.territories, reference_dir=args.reference, lang=args.lang):
        print(say("warning", args, text=note), file=sys.stderr)
    if getattr(args, "territory", None) and SLUG_PATTERN.match(args.territory):  # else report's own error
        get_territory(args.territory, args.territories, reference_dir=args.reference)


def _reference(args: argparse.Namespace) -> int:
    from evaluation.config import get_paths
    from evaluation.geo.build import rebuild_reference
    from evaluation.geo.summary import reference_summary

    out = args.out or get_paths().processed / "reference"
    wanted = args.departements.strip()
    quiet = logging.getLogger("evaluation.geo.build")  # its warnings are in the summary below, in --lang
    level = quiet.level
    quiet.setLevel(logging.INFO if args.verbose else logging.ERROR)
    try:
        build = rebuild_reference("all" if wanted.lower() == "all" else wanted.split(","),
                                  density_file=args.density_file, communes_source=args.communes_source, out_dir=out,
                                  qpv_file=args.qpv_file, qpv_source=args.qpv_source)
    finally:
        quiet.setLevel(level)
    for line in reference_summary(build, lang=args.lang):
        print(line)
    print(say("ref_use", args, folder=out))
    return 0


def _territories(args: argparse.Namespace) -> int:
    import pandas as pd  # printing the table

    from evaluation.geo.reference import load_reference, territory_members
    from evaluation.geo.territories import load_territories

    reference = load_reference(args.reference)
    _warn_territory_notes(args)
    territories = load_territories(args.territories, reference_dir=args.reference)
    members, errors = territory_members(territories, reference)
    if errors:
        raise next(iter(errors.values()))
    rows = [{"slug": t.slug, "label": t.label, "communes": len(members[t.slug]),
             "split_date": t.split_date.isoformat()} for t in territories.values()]
    print(pd.DataFrame(rows).to_string(index=False))
    return 0


def _cache(args: argparse.Namespace) -> int:
    """List the cache folders of validated tables, or clear them (all, or those of ``--data``)."""
    from evaluation.config import get_paths
    from evaluation.io.cache import cache_folders, clear_cache

    processed = get_paths().processed
    if args.data is not None and not cache_folders(processed, data_dir=args.data):
        if not args.data.is_dir():  # a mistyped path: say so, not « 0 folders removed »
            print(say("cache_no_folder", args, folder=args.data), file=sys.stderr)
            return 1
        print(say("cache_none", args, folder=args.data, processed=processed, action=args.action,
                  action_fr="lister" if args.action == "list" else "vider"))
        return 0
    if args.data is not None and not args.data.is_dir():  # exports deleted since: their cache may still go
        print(say("cache_gone_folder", args, folder=args.data))
    folders = (clear_cache if args.action == "clear" else cache_folders)(processed, data_dir=args.data)
    print(*folders, say(f"cache_{args.action}ed", args, count=len(folders), folder=processed), sep="\n")
    return 0


def _survey(args: argparse.Namespace) -> int:
    """``evaluation survey form`` / ``check``."""
    import datetime as dt  # imports when the command runs: --help stays fast

    import pandas as pd  # the roster's names

    from evaluation.config import get_paths
    from evaluation.errors import ConfigError
    from evaluation.geo.reference import load_reference, territory_communes
    from evaluation.geo.territories import get_territory, load_territories
    from evaluation.io.datasets import load_dataset
    from evaluation.io.pseudonyms import resolve_key
    from evaluation.io.survey.answers import read_survey
    from evaluation.io.survey.questions import SURVEY_FOLDER

    reference = load_reference(args.reference)
    data = args.data or get_paths().sample
    territories = load_territories(args.territories, reference_dir=args.reference)
    key = resolve_key()
    dataset = load_dataset(data, reference=reference, reference_dir=args.reference, territories=territories,
                           pseudonym_key=key)
    if args.survey_command == "check":
        folder = args.folder or data / SURVEY_FOLDER
        answers = read_survey(folder, actors=dataset.actors, key=key, territories=list(territories),
                              communes=reference)
        print(say("survey_checked", args, folder=folder, waves=len(answers.waves)))
        for w in answers.waves.itertuples():
            ties = answers.ties[answers.ties["wave"] == w.wave]
            print(say("survey_wave_line", args, territory=w.territory, wave=w.wave, date=f"{w.wave_date:%d/%m/%Y}",
                      responses=int(w.responses), ties=len(ties)))
        if len(answers.notices):
            print(problem_text(answers.notices, args.lang).to_string(index=False))
        return 0
    from evaluation.io.survey.form import check_form, form_sheets, write_form, write_limesurvey_guide
    from evaluation.io.survey.roster import actor_names, roster_frame

    territory = get_territory(args.territory, args.territories, reference_dir=args.reference)
    date = dt.date.today()
    if args.date:
        formats = [f for f in ("%Y-%m-%d", "%d/%m/%Y") if _parses(args.date.strip(), f)]
        if not formats:
            raise ConfigError(code="survey_date_invalid", value=args.date)
        date = dt.datetime.strptime(args.date.strip(), formats[0]).date()
    communes = territory_communes(territory, reference)
    d = dataset.tables
    roster = roster_frame(d["actors"], d["events"], d["attendance"], communes=communes["commune_code"], until=date)
    names = actor_names(data).reindex(roster.index)
    listed = roster.assign(name=names.fillna(pd.Series(roster.index, index=roster.index))).reset_index()
    places = reference[reference["commune_code"].isin(set(listed["commune_code"]) | set(communes["commune_code"]))]
    sheets = form_sheets(listed, territory=territory.slug, label=territory.label, wave=args.wave, date=date,
                         communes=places[["commune_code", "commune_name"]].sort_values("commune_name"))
    out = args.out or Path(f"enquete-{territory.slug}-{args.wave}.xlsx")
    path = write_form(sheets, out, overwrite=args.force)
    warnings = check_form(path, odk_validate=args.odk_validate)
    guide = write_limesurvey_guide(listed, path.with_name(f"{path.stem}-limesurvey.txt"))
    print(say("survey_form_written", args, path=path, territory=territory.slug, wave=args.wave,
              date=f"{date:%d/%m/%Y}", actors=len(listed), warnings=len(warnings), guide=guide))
    return 0


def _parses(text: str, fmt: str) -> bool:
    """Whether ``text`` is a date written as ``fmt``."""
    import datetime as dt  # imports when the command runs: --help stays fast

    try:
        dt.datetime.strptime(text, fmt)
    except ValueError:
        return False
    return True


COMMANDS = {"report": _report, "publish": _publish, "verify": _verify, "audit": _audit, "validate": _validate,
            "sample": _sample, "reference": _reference, "territories": _territories, "cache": _cache, "survey": _survey}
