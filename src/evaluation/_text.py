"""Folding names to plain ASCII words, to compare spellings (column headers, choices, names)."""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

__all__ = ["normalise_name", "normalise_names"]


#: Characters NFKD does not reduce to ASCII but a French writer uses for ASCII ones: typographic
#: apostrophes (``d’habitants`` is ``d'habitants``) and ligatures (``Œuvre`` is ``Oeuvre``).
_FOLD = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "´": "'", "`": "'", "œ": "oe", "Œ": "OE", "æ": "ae",
                       "Æ": "AE"})



def normalise_name(name: object) -> str:
    """``" Code INSEE "`` → ``"code_insee"``: lower case, no accents, ``_`` between words.

    Typographic apostrophes fold like ``'`` and ligatures to their letters
    (``"Collectif d’habitants"`` and ``"collectif d'habitants"`` are one name).
    """
    plain = unicodedata.normalize("NFKD", str(name).translate(_FOLD)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_")



def normalise_names(names: pd.Series) -> pd.Series:
    """:func:`normalise_name` on a whole Series at once (missing values stay missing)."""
    plain = (names.astype("string").str.translate(_FOLD).str.normalize("NFKD").str.encode("ascii", "ignore")
             .str.decode("ascii").astype("string").str.lower())
    return plain.str.replace(r"[^a-z0-9]+", "_", regex=True).str.strip("_")
