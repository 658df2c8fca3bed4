"""Direct identifiers in free text: e-mail addresses, French phone numbers, postal addresses,
URLs, IBAN and social security numbers (NIR).

Each class is a compiled pattern written for the way French associations write them, with a
check where the identifier has one:

- **e-mail** — ``local@domain.tld``, also ``local [at] domain.tld``, ``local (at) …``,
  ``local arobase …``; a domain ending like a file (``image@2x.png``) is not an address.
- **phone** — French numbers, ten digits in pairs with any of space, dot, dash, slash or
  no-break space between them, or none (``06 71 45 32 18``, ``06.71.45.32.18``,
  ``0671453218``, ``06-71-45-32-18``), and international forms (``+33 6 71 45 32 18``,
  ``+33 (0)6 …``, ``0033 6 …``, ``(0)6 …``). Never inside a longer run of digits or hex
  digits, nor in a pseudonym (``P-0671453218``), nor a date followed by a number
  (``01/02/2024 12``).
- **address** — a number (``12``, ``3 bis``, ``7ter``), a street type (``rue``, ``avenue``,
  ``bd``, ``chemin``, ``impasse``, ``allée``, ``route``, ``place``…), its name (particles and
  words up to the first function word: ``12 rue de Dole``, ``3 bis avenue Jean Jaurès``,
  ``12 rue victor hugo``), and the postal code and commune that may follow; and
  ``lieu-dit`` and its name. Street types that are also common words (``cours``, ``place``,
  ``parc``, ``domaine``…) need a capitalised name (``3 cours de cuisine`` is no address).
- **URL** — ``http(s)://…``, ``www.…`` and bare domains (``saveursdeplanoise.fr/…``):
  a structure's site names the structure. Public bodies' sites (``*.gouv.fr``,
  ``europa.eu``, ``insee.fr``…) are kept.
- **IBAN** — country, check digits and 11–30 characters, kept only when the ISO 13616
  MOD 97-10 check and the country's length pass (``python-stdnum``, ``stdnum.iban``).
- **NIR** — sex, year, month, département (``2A``/``2B``), commune, order and key; kept when
  the key ``97 − (n mod 97)`` checks (``stdnum.fr.nir``), or when written in its groups
  (``1 85 05 78 006 084``, with or without a key).

Found identifiers are replaced by French tags (:data:`TAGS`): « [courriel] »,
« [téléphone] », « [adresse] », « [lien] », « [coordonnées bancaires] »,
« [numéro de sécurité sociale] ». The name parts of an e-mail's local part
(``mehmet.yilmaz25@…`` → ``mehmet``, ``yilmaz``) are persons' names: they are replaced by
« [personne] » wherever they occur in the same text.

Patterns are Python regular expressions run by the C engine over each distinct text; texts
without a digit, ``@``, ``www``, ``://``, a domain or ``lieu-dit`` are not scanned at all.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from evaluation.io.redaction_words import fold, fold_key

__all__ = ["KINDS", "TAGS", "Identifier", "find_identifiers", "identifier_spans", "redact_identifiers",
           "email_names", "normalise", "TAG_PATTERN", "MAY_HOLD"]

#: Classes of identifiers, in the order they are looked for (an e-mail's domain is no URL).
KINDS = ("email", "url", "iban", "nir", "phone", "address")

#: What replaces each class in free text.
TAGS = {"email": "[courriel]", "url": "[lien]", "iban": "[coordonnées bancaires]",
        "nir": "[numéro de sécurité sociale]", "phone": "[téléphone]", "address": "[adresse]"}

PERSON_TAG = "[personne]"

#: Any tag this module writes (never scanned again).
TAG_PATTERN = re.compile("|".join(re.escape(t) for t in (*TAGS.values(), PERSON_TAG)))

_SEP = r"[ \t.\-/\u00a0\u202f]{0,3}"
_PHONE = re.compile(
    r"(?<![\dA-Za-z+])(?<!P-)(?!\d{2}[/.]\d{2}[/.]\d{4})"  # not a date and a count: "01/02/2024 12"
    r"(?:(?:\+|00)\s?33\s?(?:\(0\)\s?)?|\(0\)\s?|0)[1-9]"
    rf"(?:{_SEP}\d{{2}}){{4}}"
    r"(?![\dA-Za-z])")

_FILE_ENDINGS = "png|jpe?g|gif|svg|webp|css|js|pdf|docx?|xlsx?|csv|ipynb|html?|json|txt"
_EMAIL = re.compile(
    r"(?<![\w.+-])[\w][\w.+'-]*"
    r"(?:\s?@\s?|\s?[\[(](?:at|arobase)[\])]\s?|\s+arobase\s+)"
    rf"(?:[\w-]+\.)+(?!(?:{_FILE_ENDINGS})(?![A-Za-z]))[A-Za-z]{{2,24}}(?![\w-])", re.IGNORECASE)

_TLDS = "fr|com|org|net|eu|info|io|coop|asso|bzh|be|ch|re|site|online|bio|alsace|paris|corsica"
_URL = re.compile(
    r"(?<![\w@/.-])(?:(?:https?://|www\.)[^\s<>\"'()\[\]{}|]+"
    rf"|(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:{_TLDS})(?:/[^\s<>\"'()\[\]{{}}|]*)?(?![\w@-]|\.\w))",
    re.IGNORECASE)

#: Hosts of public bodies, kept in text (their pages name no private person).
PUBLIC_HOSTS = ("gouv.fr", "europa.eu", "insee.fr", "service-public.fr", "anru.fr", "francetravail.fr",
                "france-travail.fr", "urssaf.fr", "bpifrance.fr", "caf.fr", "ameli.fr", "avise.org",
                "ess-france.org", "data.gouv.fr", "legifrance.gouv.fr")

_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:[ \u00a0]?[A-Z0-9]){11,30}(?![A-Za-z0-9])", re.IGNORECASE)
_NIR = re.compile(
    r"(?<![\dA-Za-z])[1-478][ .]?\d{2}[ .]?(?:0[1-9]|1[0-2]|[2-9]\d)[ .]?(?:\d{2}|2[ABab])[ .]?\d{3}[ .]?\d{3}"
    r"(?:[ .]?\d{2})?(?![\dA-Za-z])")

_STOP = ("et|ou|où|a|à|au|aux|en|pour|avec|depuis|chez|qui|que|qu|nous|on|il|elle|je|j|vous|ils|elles|"
         "le|la|les|des|du|de|dans|sur|par|est|sont|était|sera|mais|donc|car|puis|ni|se|sa|son|ses|ce|"
         "cette|ces|mon|ma|mes|notre|nos|leur|leurs|y|ne|pas|plus|tous|tout|toute|toutes|très|aussi|"
         "ensuite|alors|pendant|avant|après|jusqu|entre|sans|sous|vers|tél|tel|mail|courriel|contact|"
         "tous|chaque|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche")
_PARTICLE = r"(?:de|du|des|la|le|les|d['’]|l['’]|saint|sainte|st|ste)"
_UNAMBIGUOUS = (r"rue|ruelle|avenue|av\.?|boulevard|bd|bld|bvd|chemin|ch\.|impasse|imp\.?|all[ée]e|route|rte|"
                r"quai|faubourg|fbg|rond[- ]point|sentier|lotissement|lot\.|esplanade|parvis|venelle|"
                r"mont[ée]e|traverse|grande?[- ]rue|chauss[ée]e|square|sq\.")
_AMBIGUOUS = (r"place|pl\.|cours|parc|port|domaine|zone|za|zi|zac|cit[ée]|clos|cour|passage|voie|carrefour|"
              r"promenade|villa|r[ée]sidence|hameau|mail")
_CAP = r"[A-ZÀ-ÖØ-Þ][\w'’-]*"
_NAMEWORD = rf"(?!(?:{_STOP})\b)[^\W\d_][\w'’-]*"
_TAIL = (rf"(?:(?:[ \t]*-[ \t]*|[ \t]+)(?:{_PARTICLE}[ \t]*)*(?:{_CAP}|(?i:{_NAMEWORD}))){{0,4}}"
         rf"(?:,?[ \t]*\d{{5}}[ \t]+{_CAP}(?:[ \t-]+(?:{_PARTICLE}[ \t-]*)*{_CAP}){{0,3}})?")
_NUMBER = r"(?<![\w,.])\d{1,4}(?:[ \t]?(?i:bis|ter|quater|[a-d])\b)?,?[ \t]+"
_ADDRESS = re.compile(
    rf"{_NUMBER}(?i:{_UNAMBIGUOUS})\b\.?[ \t]+(?:(?i:{_PARTICLE})[ \t]*)*(?i:{_NAMEWORD}){_TAIL}"
    rf"|{_NUMBER}(?i:{_AMBIGUOUS})\b\.?[ \t]+(?:(?i:{_PARTICLE})[ \t]*)*{_CAP}{_TAIL}"
    rf"|(?i:lieu[- ]dit)[ \t:]+(?:(?i:{_PARTICLE})[ \t]*)*{_CAP}{_TAIL}")

_PATTERNS = {"email": _EMAIL, "url": _URL, "iban": _IBAN, "nir": _NIR, "phone": _PHONE, "address": _ADDRESS}

#: Texts without any of these hold no identifier and are not scanned — an e-mail's ``@`` (or
#: ``[at]``…), a URL's ``www.``, ``://`` or domain ending, ten digits close together (phone,
#: IBAN, NIR), a Corsican département in a NIR, a number before a street type, ``lieu-dit``.
MAY_HOLD = re.compile(
    rf"@|\[at\]|\(at\)|arobase|www\.|://|\.(?:{_TLDS})\b|(?:\d[\s.\-/()+]{{0,3}}){{9}}\d"
    rf"|\d\s?2[ab]\s?\d{{3}}|\d(?:\s?(?:bis|ter|quater|[a-d]))?,?\s+(?:{_UNAMBIGUOUS}|{_AMBIGUOUS})\b|lieu[- ]dit",
    re.IGNORECASE)

#: Local parts of e-mail addresses that are no one's name.
GENERIC_LOCAL_PARTS = frozenset(
    "contact contacts info infos information accueil direction admin administration secretariat secretaire "
    "bonjour hello mairie asso association compta comptabilite rh noreply no reply service services "
    "president presidente tresorier tresoriere communication com presse projet projets equipe team "
    "bureau adherents adhesion benevoles benevolat atelier ateliers boutique magasin commande commandes "
    "reservation reservations inscription inscriptions gestion coordination animation postmaster webmaster "
    "mail email courriel pole tiers lieu cafe epicerie ferme jardin jardins recyclerie ressourcerie "
    "solidaire solidarite emploi insertion developpement formation facturation factures dla ess".split())


@dataclass(frozen=True)
class Identifier:
    """A direct identifier found in a text: ``text[start:end]``, its class and its normalised value."""

    start: int
    end: int
    kind: str
    value: str


def normalise(kind: str, raw: str) -> str:
    """The comparable form of an identifier, the same however it is written.

    A phone number becomes its ten national digits (``+33 (0)6 71…`` → ``0671…``); an
    e-mail lower case without spaces, ``[at]`` read ``@``; a URL lower case without scheme,
    ``www.`` or closing slash; an IBAN or NIR upper case without spaces; an address folded
    (:func:`evaluation.io.redaction_words.fold_key`).
    """
    if kind == "phone":
        digits = re.sub(r"\D", "", raw.replace("(0)", ""))
        if digits.startswith("0033"):
            digits = digits[4:]
        elif digits.startswith("33") and raw.lstrip().startswith("+"):
            digits = digits[2:]
        return "0" + digits[-9:]
    if kind == "email":
        text = re.sub(r"\s*(?:[\[(](?:at|arobase)[\])]|\barobase\b)\s*", "@", raw, flags=re.IGNORECASE)
        return re.sub(r"\s+", "", text).lower()
    if kind == "url":
        return re.sub(r"^(?:https?://)?(?:www\.)?", "", raw.lower()).rstrip("/")
    if kind in ("iban", "nir"):
        return re.sub(r"[\s.\u00a0]", "", raw).upper()
    return fold_key(raw)


def _host(url: str) -> str:
    return re.sub(r"^(?:https?://)?", "", url.lower()).split("/", 1)[0].split(":", 1)[0]


@functools.cache
def _stdnum():
    # python-stdnum's IBAN and NIR checks (20 ms to import): only when a candidate is found
    from stdnum import iban
    from stdnum.fr import nir  # the same, for the NIR

    return iban, nir


def _iban_end(raw: str) -> int:
    """Length of the longest valid IBAN at the start of ``raw`` (0 if none): the pattern may
    run on into the numbers after it (``FR76 … 189 12 personnes``).
    """
    iban, _ = _stdnum()
    ends = [m.start() for m in re.finditer(r"[ \u00a0]", raw)] + [len(raw)]
    for end in sorted(ends, reverse=True):
        if iban.is_valid(raw[:end]):
            return end
    return 0


def _nir_ok(raw: str) -> bool:
    _, nir = _stdnum()
    compact = normalise("nir", raw)
    grouped = len(re.split(r"[ .]", raw.strip())) >= 5  # written in the NIR's groups: 1 85 05 78 006 084
    return (len(compact) == 15 and nir.is_valid(compact)) or grouped


def _clean_url(raw: str) -> str:
    return raw.rstrip(".,;:!?»")


def find_identifiers(text: str, *, kinds: Iterable[str] = KINDS) -> list[Identifier]:
    """Every direct identifier of ``text`` (see the module's docstring), in order, not overlapping.

    Classes are looked for in :data:`KINDS` order; a span already taken by an earlier class
    is not taken again (``karim@saveurs.fr`` is an e-mail, not a URL).
    """
    if not text or not MAY_HOLD.search(text):
        return []
    taken: list[Identifier] = []

    def free(s: int, e: int) -> bool:
        return not any(s < t.end and t.start < e for t in taken)

    for kind in (k for k in KINDS if k in set(kinds)):
        for m in _PATTERNS[kind].finditer(text):
            start, raw = m.start(), m.group(0)
            if kind == "url":
                raw = _clean_url(raw)
                if any(_host(raw) == h or _host(raw).endswith("." + h) for h in PUBLIC_HOSTS):
                    continue
            elif kind == "iban":
                raw = raw[:_iban_end(raw)]
            elif kind == "nir" and not _nir_ok(raw):
                continue
            elif kind == "address":
                raw = raw.rstrip(" ,-")
            if raw and free(start, start + len(raw)) and not TAG_PATTERN.search(raw):
                taken.append(Identifier(start, start + len(raw), kind, normalise(kind, raw)))
    return sorted(taken, key=lambda t: t.start)


def email_names(address: str) -> list[str]:
    """Name parts of an e-mail's local part: ``mehmet.yilmaz25@…`` → ``["mehmet", "yilmaz"]``.

    Parts of three letters or more, split at dots, dashes, underscores, plus signs and
    digits; generic words (``contact``, ``accueil``…) are not names.
    """
    local = re.split(r"\s*(?:@|[\[(](?:at|arobase)[\])]|\barobase\b)", address, maxsplit=1, flags=re.IGNORECASE)[0]
    parts = [fold_key(p) for p in re.split(r"[\W\d_]+", local) if p]
    return [p for p in dict.fromkeys(parts) if len(p) >= 3 and p not in GENERIC_LOCAL_PARTS]


def identifier_spans(text: str) -> list[Identifier]:
    """What :func:`redact_identifiers` replaces in ``text``: its identifiers
    (:func:`find_identifiers`) and, elsewhere in it, the name parts of its e-mails' local parts
    (kind ``"person"``, value the folded name), in order.
    """
    found = find_identifiers(text)
    names = [n for f in found if f.kind == "email" for n in email_names(text[f.start:f.end])]
    if names:  # the local part names its owner: the same words elsewhere in the text are that person
        pattern = re.compile(r"(?<![a-z0-9])(?:" + "|".join(map(re.escape, names)) + r")(?![a-z0-9])")
        found += [Identifier(m.start(), m.end(), "person", m.group(0)) for m in pattern.finditer(fold(text))
                  if not any(m.start() < f.end and f.start < m.end() for f in found)]
    return sorted(found, key=lambda f: f.start)


def _redact_one(text: str) -> str:
    out, last = [], 0
    for f in identifier_spans(text):
        out += [text[last:f.start], PERSON_TAG if f.kind == "person" else TAGS[f.kind]]
        last = f.end
    return "".join(out) + text[last:]


def redact_identifiers(texts: pd.Series) -> pd.Series:
    """Replace every direct identifier of each text by its tag (:data:`TAGS`).

    Each distinct text is scanned once, and only texts that may hold one (a digit, ``@``,
    ``www``…); missing values stay missing; the index and name are kept.
    """
    codes, distinct = pd.factorize(texts.astype("string"), use_na_sentinel=True)
    if len(distinct) == 0:
        return texts.astype("string")
    values = pd.Series(distinct, dtype="string")
    maybe = values.str.contains(MAY_HOLD, regex=True).fillna(False).to_numpy(dtype=bool)
    out = values.astype(object).to_numpy().copy()
    out[maybe] = [_redact_one(t) for t in out[maybe]]
    array = pd.array([pd.NA, *out], dtype="string")
    return pd.Series(array[codes + 1], index=texts.index, name=texts.name, dtype="string")
