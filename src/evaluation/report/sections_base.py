"""What every section builder shares: the item types a cell shows and the sentences for withheld numbers."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from evaluation.report.published import Publication
from evaluation.report.tables import (
    SECRET_TEXT,
    fr_number,
)

__all__ = ["Item"]


Item = str | pd.DataFrame | Figure


def _secret(what: str, pub: Publication) -> str:
    return f"{what} {SECRET_TEXT} (effectifs de 1 à {pub.threshold - 1} non publiés)."


def _plural(n: int, word: str) -> str:
    return f"{fr_number(n)} {word}{'s' if n > 1 else ''}"
