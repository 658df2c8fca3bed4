"""Error hierarchy of the package.

Every error raised on bad user input is an :class:`EvaluationError`; validation errors
carry the full table of problems so that a notebook or the command line can show them
all at once, in English or in French, each with how to fix it.
"""

from __future__ import annotations

import pandas as pd

from evaluation.problems import PROBLEM_COLUMNS, Lang, render_problems

__all__ = ["EvaluationError", "ConfigError", "ValidationError", "TerritoriesError", "PROBLEM_COLUMNS"]


class EvaluationError(Exception):
    """Base class of the errors this package raises on bad input."""


class ConfigError(EvaluationError, ValueError):
    """A configuration file (``territories.yml``) or a path is wrong."""


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
        The problems table in English, columns :data:`PROBLEM_COLUMNS`: file, row as the
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
