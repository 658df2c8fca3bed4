"""The building blocks of the raw tables' schema: a column (``Column``) and a table (``Schema``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Kind", "Column", "Schema"]

Kind = Literal["id", "text", "commune", "bool", "qpv", "date", "int", "float", "choice"]


@dataclass(frozen=True)
class Column:
    """One column of a raw table.

    ``required`` columns must be present; ``nullable`` columns may have empty cells.
    A ``choice`` column holds one of ``choices`` (or a word of
    :data:`evaluation.io.schema.VALUE_ALIASES` for it), as a categorical (ordered when the
    choices are a scale) if ``categorical``, else as plain strings.
    """

    name: str
    kind: Kind
    required: bool = True
    nullable: bool = False
    choices: tuple[str, ...] = ()
    min_value: float | None = None
    categorical: bool = True


@dataclass(frozen=True)
class Schema:
    """A raw table: its columns and the columns whose values must be unique together."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    required_file: bool = False
