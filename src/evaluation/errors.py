"""Error hierarchy of the package.

Every error raised on bad user input is an :class:`EvaluationError`; validation errors
carry the full table of problems so that a notebook or the command line can show them
all at once, in English or in French, each with how to fix it. Other errors carry a message
code and its parameters (:mod:`evaluation.messages`): ``str(error)`` is the English text,
:meth:`EvaluationError.text` gives it in French.
"""

from __future__ import annotations

import pandas as pd

from evaluation.messages import coded, render_message
from evaluation.problems import PROBLEM_COLUMNS, Lang, render_problems

__all__ = ["EvaluationError", "ConfigError", "EpciCutError", "ValidationError", "TerritoriesError",
           "PROBLEM_COLUMNS"]


class EvaluationError(Exception):
    """Base class of the errors this package raises on bad input.

    Raised as ``ConfigError(code="reference_missing", path=…)``: ``code`` names a message of
    :data:`evaluation.messages.MESSAGES` and the keywords are its parameters, so that the
    command line can say it in the evaluator's language (:meth:`text`). A plain message
    (``ConfigError("…")``) is said as it is written.
    """

    def __init__(self, *args: object, code: str | None = None, **params: object) -> None:
        self.code, self.params = code, params
        super().__init__(*(args or ((render_message(code, params),) if code else ())))

    def text(self, *, lang: Lang = "en") -> str:
        """The message in ``lang`` (``"en"`` or ``"fr"``)."""
        return render_message(self.code, self.params, lang=lang) if self.code else str(self)


class ConfigError(EvaluationError, ValueError):
    """A configuration file (``territories.yml``) or a path is wrong."""


class EpciCutError(ConfigError):
    """A territory names an EPCI that the commune reference holds only in part (some of its
    communes are in départements the reference was not built for).

    Parameters
    ----------
    slug
        The territory.
    cut
        The EPCI concerned (:func:`evaluation.geo.reference.epci_cuts`'s rows).
    reference_departements
        The départements of the reference.

    Attributes
    ----------
    epcis
        One text per EPCI: SIREN, name, communes in and out of the reference, the
        départements outside it.
    command
        The ``evaluation reference`` command that builds a reference holding them whole.
    """

    def __init__(self, slug: str, cut: pd.DataFrame, reference_departements: list[str]) -> None:
        self.slug = slug
        self.cut = cut
        out = sorted({d for deps in cut["departements_out"] for d in deps})
        deps = sorted(set(reference_departements) | set(out))
        self.departements = out
        self.command = f"evaluation reference --departements {','.join(deps)}"
        self.details = [
            coded("epci_cut_detail", siren=siren, name=r.epci_name, communes_in=int(r.communes_in),
                  communes_total=int(r.communes_total), communes_out=int(r.communes_total - r.communes_in),
                  departements_in=list(r.departements_in), departements_out=list(r.departements_out))
            for siren, r in zip(cut.index, cut.itertuples(), strict=True)]
        super().__init__(code="epci_cut", slug=slug, epcis=self.details, departements=out, command=self.command)

    @property
    def epcis(self) -> list[str]:
        """One English text per EPCI (:meth:`epci_texts`)."""
        return self.epci_texts()

    def epci_texts(self, *, lang: Lang = "en") -> list[str]:
        """One text per EPCI in ``lang``: SIREN, name, communes in and out of the reference."""
        return [render_message(d["code"], d["params"], lang=lang) for d in self.details]


class ValidationError(EvaluationError, ValueError):
    """One or more input files are invalid.

    Parameters
    ----------
    recorded
        The problems as recorded by :class:`evaluation.problems.Problems` (its
        :meth:`~evaluation.problems.Problems.frame`).

    Attributes
    ----------
    problems
        The problems table in English, columns ``PROBLEM_COLUMNS``: file, row as the
        user sees it in a spreadsheet (header = row 1; empty when the problem concerns a
        whole file or column), column, offending value, what is wrong, how to fix it, and
        the problem's code. :meth:`table` gives it in French.
    """

    def __init__(self, recorded: pd.DataFrame) -> None:
        self.recorded = recorded.reset_index(drop=True)
        self.problems = render_problems(self.recorded, lang="en")
        super().__init__(self._message())

    def table(self, *, lang: Lang = "en") -> pd.DataFrame:
        """The problems as text in ``lang`` (``"en"`` or ``"fr"``), empty cells blank."""
        frame = (self.problems if lang == "en" else render_problems(self.recorded, lang=lang)).astype(object)
        return frame.where(frame.notna(), "").astype(str)

    def _message(self) -> str:
        n = len(self.problems)
        lines = [f"{n} problem{'s' if n > 1 else ''} found in the input data:"]
        lines += [
            f"  {r.file}" + (f", row {r.row}" if r.row else "")
            + (f", column '{r.column}'" if r.column else "")
            + (f", value '{r.value}'" if r.value else "")
            + f": {r.problem} (fix: {r.fix})"
            for r in self.table().head(50).itertuples()
        ]
        if n > 50:
            lines.append(f"  … and {n - 50} more (see the .problems table)")
        return "\n".join(lines)


class TerritoriesError(ValidationError, ConfigError):
    """``territories.yml`` is malformed; its problems table names the lines."""
