"""The rules that find persons and organisations in French text beside the named-entity model
(:mod:`evaluation.io.redaction` explains what they find and why).

Each text is split into words (``_tokens``); :func:`rule_mentions` walks them once, with
the name lists of :mod:`evaluation.io.redaction_words`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from evaluation.io.identifiers import PERSON_TAG, TAGS
from evaluation.io.redaction_words import (
    COMMON_WORDS,
    HONORIFICS,
    KEEP_WORDS,
    ORG_JOINERS,
    ORG_WORDS,
    PARTICLES,
    all_surnames,
    common_surnames,
    first_names,
    fold,
    fold_key,
    word_first_names,
)

__all__ = ["Mention", "rule_mentions"]


@dataclass(frozen=True)
class Mention:
    """A span of a text to redact: ``text[start:end]`` is a ``"person"`` or a ``"structure"``."""

    start: int
    end: int
    kind: str


_WORD = re.compile(r"(?:[A-ZÀ-Ý][’'](?=[A-ZÀ-Ý]))?[^\W\d_]+(?:-[^\W\d_]+)*")


@dataclass(frozen=True)
class _Tok:
    start: int
    end: int
    text: str
    key: str
    cap: bool
    upper: bool
    lower: bool


def _tokens(text: str) -> list[_Tok]:
    out = []
    for m in _WORD.finditer(text):
        w = m.group(0)
        out.append(_Tok(m.start(), m.end(), w, fold_key(w), w[0].isupper(), w.isupper() and len(w) >= 2,
                        w.islower()))
    return out


def _adjacent(text: str, a: _Tok, b: _Tok, *, dot: bool = False) -> bool:
    """``b`` follows ``a`` with only a few spaces between (or ``"."`` after an abbreviation,
    or an apostrophe after a particle: ``d'Artagnan``).
    """
    gap = text[a.end:b.start]
    if dot and gap.startswith("."):
        gap = gap[1:]
    return (len(gap) <= 3 and gap.strip() == "") or (gap in ("'", "’") and a.key in PARTICLES)


def _is_first_name(tok: _Tok, firsts: frozenset[str], places: frozenset[str]) -> bool:
    if not tok.cap or tok.key in places or tok.key in KEEP_WORDS:
        return False
    return all(p in firsts for p in tok.key.split())


def _name_word(tok: _Tok, places: frozenset[str]) -> bool:
    """A capitalised word that may be part of a person's name: not a common word, unless it is
    also a common surname (``Petit``, ``Marchand`` after a first name or an honorific).
    """
    return (tok.cap and tok.key not in PARTICLES and tok.key not in places and tok.key not in KEEP_WORDS
            and tok.key not in HONORIFICS and (tok.key not in COMMON_WORDS or tok.key in all_surnames()))


def _surname_after(tok: _Tok, places: frozenset[str]) -> bool:
    """A capitalised surname after a first name that is also a word (``Rose Marchand``, ``Claire Petit``)."""
    return (tok.cap and tok.key in all_surnames() and tok.key not in places and tok.key not in PARTICLES
            and tok.key not in HONORIFICS and tok.key not in ORG_WORDS)


def _surname_before(tok: _Tok, places: frozenset[str]) -> bool:
    """A capitalised surname before a first name (``Dupont Jean``), or an upper-case word (``DUPONT Jean``)."""
    if tok.key in places or tok.key in KEEP_WORDS or tok.key in ORG_WORDS or tok.key in HONORIFICS:
        return False
    return tok.upper or (tok.cap and tok.key in common_surnames())


def _org_word(tok: _Tok, places: frozenset[str]) -> bool:
    """A capitalised word that may be part of an organisation's name."""
    return tok.cap and tok.key not in PARTICLES and tok.key not in places and tok.key not in KEEP_WORDS


def _extend_right(text: str, toks: list[_Tok], i: int, places: frozenset[str], *, org: bool = False) -> int:
    """Index of the last token of the name that starts at ``toks[i]``: following capitalised
    words, and up to two particles followed by one (``de La Fontaine``, ``Le Goff``); for an
    organisation also ``et`` (``Bois et Compagnie``).
    """
    word = _org_word if org else _name_word
    links = PARTICLES | ORG_JOINERS if org else PARTICLES
    j = i
    while j + 1 < len(toks) and _adjacent(text, toks[j], toks[j + 1]):
        if word(toks[j + 1], places):
            j += 1
            continue
        k = j + 1
        while k < len(toks) and k - j <= 2 and toks[k].key in links and _adjacent(text, toks[k - 1], toks[k]):
            k += 1
        if k > j + 1 and k < len(toks) and _adjacent(text, toks[k - 1], toks[k]) and word(toks[k], places):
            j = k
            continue
        break
    return j


def _start_after(text: str, toks: list[_Tok], i: int, places: frozenset[str], *, org: bool = False) -> int | None:
    """Where a name starts right after ``toks[i]`` (an honorific or organisation word), if any."""
    k = i + 1
    while k < len(toks) and k - i <= 2 and toks[k].key in PARTICLES and _adjacent(text, toks[k - 1], toks[k],
                                                                                   dot=k == i + 1):
        k += 1
    if k < len(toks) and _adjacent(text, toks[k - 1], toks[k], dot=k == i + 1) and (
            (_org_word if org else _name_word)(toks[k], places) or toks[k].upper and toks[k].key not in KEEP_WORDS):
        return k
    return None


def rule_mentions(text: str, firsts: frozenset[str], surnames: frozenset[str],
                   places: frozenset[str]) -> list[Mention]:
    """Persons and organisations found by the rules of the module's docstring."""
    toks = _tokens(text)
    out: list[Mention] = _lower_case_mentions(text, toks, firsts, surnames, places)
    out += _contact_mentions(text, toks, firsts, places) + _around_person_tags(text, toks, places)
    i = 0
    while i < len(toks):
        t = toks[i]
        if (t.cap and t.key in word_first_names() and i + 1 < len(toks) and _adjacent(text, t, toks[i + 1])
                and _surname_after(toks[i + 1], places)):  # "Rose Marchand", "Claire Petit"
            end = _extend_right(text, toks, i + 1, places)
            out.append(Mention(t.start, toks[end].end, "person"))
            i = end + 1
            continue
        if t.key in HONORIFICS and (t.cap or t.key == "madame" or t.key == "monsieur"):
            k = _start_after(text, toks, i, places)
            if k is not None:
                first = i + 1  # particles right after the honorific belong to the name
                end = _extend_right(text, toks, k, places)
                out.append(Mention(toks[first].start, toks[end].end, "person"))
                i = end + 1
                continue
        if _is_first_name(t, firsts, places):
            s = i
            while s > 0 and _adjacent(text, toks[s - 1], toks[s]) and _surname_before(toks[s - 1], places):
                s -= 1
            end = _extend_right(text, toks, i, places)
            out.append(Mention(toks[s].start, toks[end].end, "person"))
            i = end + 1
            continue
        if t.upper and len(t.key) >= 3 and t.key in surnames and t.key not in places and t.key not in KEEP_WORDS:
            out.append(Mention(t.start, t.end, "person"))
        elif t.key in ORG_WORDS:
            k = _start_after(text, toks, i, places, org=True)
            first = i + 1
            if k is None and t.cap and i > 0 and not text[:t.start].rstrip().endswith((".", "!", "?")):
                k = first = i  # "la Ressourcerie du Morvan": the capitalised word starts the name
            end = _extend_right(text, toks, k, places, org=True) if k is not None else i
            if end > i:
                out.append(Mention(toks[first].start, toks[end].end, "structure"))
                i = end + 1
                continue
        i += 1
    return out


#: Words between a name and the phone number or e-mail that follows it (« Rose au 06… »).
_CONTACT_FILLERS = frozenset("au a tel tél telephone mail email courriel mobile portable port fixe contact joignable "
                             "ou par sur e".split())
_CONTACT_TAGS = re.compile(re.escape(TAGS["phone"]) + "|" + re.escape(TAGS["email"]))
_LOWER_HONORIFICS = frozenset(("m", "mr", "mme", "mlle", "madame", "monsieur"))


def _lower_case_mentions(text: str, toks: list[_Tok], firsts: frozenset[str], surnames: frozenset[str],
                         places: frozenset[str]) -> list[Mention]:
    """Names written in lower case: an honorific and a surname or first name (``mme durand``,
    ``m. dupont``), a first name and a surname in either order (``jean dupont``, ``dupont jean``).
    Only words of the name lists count, never a common word or a place.
    """
    def name(tok: _Tok, names: frozenset[str]) -> bool:
        return tok.lower and tok.key in names and tok.key not in places and tok.key not in KEEP_WORDS

    out = []
    for a, b in zip(toks, toks[1:], strict=False):
        if not b.lower or not _adjacent(text, a, b, dot=True):
            continue
        if a.lower and a.key in _LOWER_HONORIFICS and (name(b, surnames) or name(b, firsts)):
            out.append(Mention(b.start, b.end, "person"))
        elif _adjacent(text, a, b) and ((name(a, firsts) and name(b, surnames)) or (name(a, surnames)
                                                                                 and name(b, firsts))):
            out.append(Mention(a.start, b.end, "person"))
    return out


def _around_person_tags(text: str, toks: list[_Tok], places: frozenset[str]) -> list[Mention]:
    """The rest of a name whose part became ``[personne]`` (an e-mail's local part named
    ``sophie``: ``[personne] Bonnet``, ``Karim [personne]``): a capitalised surname right after
    the tag, a first name or surname right before it.
    """
    out = []
    for tag in re.finditer(re.escape(PERSON_TAG), text):
        after = next((t for t in toks if t.start >= tag.end()), None)
        if after is not None and text[tag.end():after.start] == " " and (
                _name_word(after, places) or _surname_after(after, places)):
            out.append(Mention(after.start, after.end, "person"))
        before = next((t for t in reversed(toks) if t.end <= tag.start()), None)
        if before is not None and text[before.end:tag.start()] == " " and before.cap and (
                before.key in first_names() or before.key in word_first_names() or _surname_before(before, places)):
            out.append(Mention(before.start, before.end, "person"))
    return out


def _contact_mentions(text: str, toks: list[_Tok], firsts: frozenset[str], places: frozenset[str]) -> list[Mention]:
    """Names right before a phone number or an e-mail (``Rose au [téléphone]``, ``Marchand : [courriel]``):
    up to three words of the name lists (first names, common words among them, and surnames), or
    upper-case words, with only punctuation or a word such as ``au``, ``tél``, ``mail`` between.
    """
    def name(tok: _Tok) -> bool:
        return ((tok.key in firsts or tok.key in word_first_names() or tok.key in all_surnames() or tok.upper)
                and tok.key not in places and tok.key not in KEEP_WORDS and tok.key not in HONORIFICS
                and tok.key not in ORG_WORDS and tok.key not in _CONTACT_FILLERS)

    out = []
    for tag in _CONTACT_TAGS.finditer(text):
        j = next((k for k in range(len(toks) - 1, -1, -1) if toks[k].end <= tag.start()), -1)
        while j >= 0 and toks[j].key in _CONTACT_FILLERS and tag.start() - toks[j].end < 40:
            j -= 1
        if j < 0 or not set(fold(text[toks[j].end:tag.start()]).split()) <= _CONTACT_FILLERS:
            continue
        first = j
        while first >= 0 and j - first < 3 and name(toks[first]) and (
                first == j or _adjacent(text, toks[first], toks[first + 1])):
            first -= 1
        if first < j:
            out.append(Mention(toks[first + 1].start, toks[j].end, "person"))
    return out
