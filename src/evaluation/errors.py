"""Error hierarchy of the package.

Every error raised on bad user input is an :class:`EvaluationError`; validation errors
carry the full table of problems so that a notebook or the command line can show them
all at once.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["EvaluationError", "ConfigError", "ValidationError", "PROBLEM_COLUMNS"]

#: Columns of a problems table: one row per problem found in the user's files.
PROBLEM_COLUMNS = ["file", "row", "column", "value", "problem"]


class EvaluationError(Exception):
    """Base class of the errors this package raises on bad input."""


class ConfigError(EvaluationError, ValueError):
    """A configuration file (``territories.yml``) or a path is wrong."""


class ValidationError(EvaluationError, ValueError):
    """One or more raw tables are invalid.

    Parameters
    ----------
    problems
        One row per problem with the columns of :data:`PROBLEM_COLUMNS`: the file, the
        row number as the user sees it in a spreadsheet (header = row 1; empty when the
        problem concerns the whole file or a column), the column, the offending value and
        what is wrong.
    """

    def __init__(self, problems: pd.DataFrame) -> None:
        self.problems = problems.reset_index(drop=True)[PROBLEM_COLUMNS]
        super().__init__(self._message())

    def table(self) -> pd.DataFrame:
        """The problems as text, empty cells blank (for printing)."""
        frame = self.problems.astype(object)
        return frame.where(frame.notna(), "").astype(str)

    def _message(self) -> str:
        n = len(self.problems)
        shown = self.table().head(50)
        lines = [f"{n} problem{'s' if n > 1 else ''} found in the input data:"]
        lines += [
            f"  {r.file}" + (f", row {r.row}" if r.row else "")
            + (f", column '{r.column}'" if r.column else "")
            + (f", value '{r.value}'" if r.value else "")
            + f": {r.problem}"
            for r in shown.itertuples()
        ]
        if n > 50:
            lines.append(f"  … and {n - 50} more (see the .problems table)")
        return "\n".join(lines)
