"""What every section builder shares: the item types a cell shows and the sentences for withheld numbers."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from evaluation.report.published import Publication
from evaluation.report.tables import (
    SECRET_TEXT,
    fr_number,
    secret_reason,
)

__all__ = ["Item", "before_split"]


Item = str | pd.DataFrame | Figure


def _secret(what: str, pub: Publication) -> str:
    return f"{what} {SECRET_TEXT} ({secret_reason(pub.threshold)})."


def _plural(n: int, word: str) -> str:
    return f"{fr_number(n)} {word}{'s' if n > 1 else ''}"


def before_split(pub: Publication) -> str | None:
    """The sentence saying the report's date is before the territory's « avant / après » date, if it is."""
    s, split = pub.snapshot, pub.territory.split_date
    if s is None or s.date >= split:
        return None
    return (f"Au {s.date:%d/%m/%Y}, la date qui sépare « avant » et « après » pour ce territoire ({split:%d/%m/%Y}) "
            f"n'est pas encore atteinte : il n'y a pas encore de période « après » à comparer.")
