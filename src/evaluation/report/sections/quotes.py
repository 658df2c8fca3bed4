"""Quotes as a reader sees them: a generic speaker, no code, beside the numbers they illustrate.

:func:`readable_quotes` turns the quotes chosen by
:func:`evaluation.measures.qualitative.quotes_by_theme` into what the report prints: the
speaker as a generic role (« une association », :func:`evaluation.report.tables.speaker_role`),
and inside the text every pseudonym code (« P-a5fd56fe94 ») and every redaction tag
(« [personne] », « [structure] ») as « [une structure] » / « [une personne] ». The
publication keeps only these (:func:`evaluation.report.publication.publish`), so no builder
can print a code.

:data:`THEME_CHAPTERS` places each theme's quote in the chapter whose numbers it
illustrates (:func:`quotes_for`): reach (access, jobs, skills…) or networks (cooperation,
trust, social ties); the others stay in « Ce que les chiffres ne disent pas ».
"""

from __future__ import annotations

import re

import pandas as pd

from evaluation.io.redaction import PERSON_TAG, STRUCTURE_TAG
from evaluation.report.sections.base import Item
from evaluation.report.tables import speaker_role

__all__ = ["PSEUDONYM", "readable_text", "readable_quotes", "THEME_CHAPTERS", "PER_CHAPTER", "placement",
           "quotes_for", "quote_items"]

#: A pseudonym code of :mod:`evaluation.io.pseudonyms` (« P- » and hexadecimal digits).
PSEUDONYM = re.compile(r"\bP-[0-9a-f]{6,}\b")
#: What replaces a pseudonym code or a redaction tag inside a quote.
SOMEONE, SOMETHING = "[une personne]", "[une structure]"

#: The chapter whose numbers each theme illustrates (themes as coded by evaluators, lower case).
THEME_CHAPTERS = {
    "coopération": "network", "cooperation": "network", "confiance": "network", "lien social": "network",
    "réseau": "network", "partenariat": "network",
    "accès aux services": "reach", "emploi": "reach", "montée en compétences": "reach", "rural": "reach",
    "isolement": "reach", "sens": "reach", "création": "reach",
}


def readable_text(text: str) -> str:
    """A quote's text with pseudonym codes and redaction tags in words (« [une structure] »)."""
    out = PSEUDONYM.sub(SOMETHING, str(text))
    return out.replace(PERSON_TAG, SOMEONE).replace(STRUCTURE_TAG, SOMETHING)


def readable_quotes(quotes: pd.DataFrame) -> pd.DataFrame:
    """The quotes with their text readable and a ``speaker`` column (the generic role)."""
    return quotes.assign(text=[readable_text(t) for t in quotes["text"]],
                         speaker=[speaker_role(k) for k in quotes["actor_kind"]])


#: At most this many quotes beside the numbers of a chapter; the others go to « voices ».
PER_CHAPTER = 2


def placement(quotes: pd.DataFrame, *, per_chapter: int = PER_CHAPTER) -> pd.Series:
    """The chapter of each quote: its theme's (:data:`THEME_CHAPTERS`), the first ``per_chapter``
    of each chapter in the quotes' order; the others, and unplaced themes, ``"voices"``.
    """
    placed = quotes["theme"].astype(str).str.lower().map(THEME_CHAPTERS).fillna("voices")
    rank = placed.groupby(placed).cumcount()
    return placed.where((placed == "voices") | (rank < per_chapter), "voices")


def quotes_for(quotes: pd.DataFrame, chapter: str) -> pd.DataFrame:
    """The quotes placed in ``chapter`` (``"reach"``, ``"network"`` or ``"voices"``: :func:`placement`)."""
    return quotes[placement(quotes).to_numpy() == chapter]


def quote_items(quotes: pd.DataFrame, *, theme: bool = True) -> list[Item]:
    """Each quote as a Markdown quotation, its speaker and year below (and its theme above)."""
    return [(f"**{str(q.theme).capitalize()}**\n\n" if theme else "")
            + f"> « {q.text} »\n>\n> — {q.speaker[:1].upper()}{q.speaker[1:]}, {q.year}"
            for q in quotes.itertuples()]
