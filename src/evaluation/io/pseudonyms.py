"""Pseudonyms for the names of actors and supported structures.

Names are replaced, as soon as the raw tables are loaded, by a keyed hash::

    pseudonym(n) = "P-" + the first 10 hex digits of HMAC-SHA256(k, norm(n))

where ``norm`` folds case, accents and spacing, so that the same structure spelled
``"Régie de quartier"`` or ``"REGIE DE QUARTIER "`` gets the same pseudonym in every
table. Without the key nobody can recompute the pseudonym of a given name, unlike a plain
hash, which anyone can compute for a list of candidate names (Krawczyk, Bellare & Canetti,
RFC 2104, 1997; EDPB, *Guidelines 01/2025 on pseudonymisation*). Names quoted in
testimonies and event titles are replaced by the same pseudonyms.

The key is read, in this order, from the environment variable ``KEY_ENV``, from the
file named by ``KEY_FILE_ENV``, or from ``DEFAULT_KEY_FILE`` in the user's home.
A key file inside the project folder is refused (it could be committed). Without a key,
a random one is drawn for the run: pseudonyms are then not stable from one run to the
next, and reports say so. The key itself is never written anywhere; reports show only
its fingerprint (an HMAC of a constant), which tells whether two reports used the same key.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from evaluation._text import normalise_names
from evaluation.config import project_root
from evaluation.errors import ConfigError
from evaluation.io.redaction import known_names

__all__ = ["KEY_ENV", "KEY_FILE_ENV", "DEFAULT_KEY_FILE", "PseudonymKey", "resolve_key", "pseudonymise",
           "redact_names", "pseudonym_lookup", "shared_run_key"]

KEY_ENV = "EVALUATION_PSEUDONYM_KEY"
KEY_FILE_ENV = "EVALUATION_PSEUDONYM_KEY_FILE"
#: Set by :func:`shared_run_key` for child processes: the key in ``KEY_ENV`` is random.
EPHEMERAL_ENV = "EVALUATION_PSEUDONYM_KEY_EPHEMERAL"
DEFAULT_KEY_FILE = Path("~/.config/evaluation/pseudonym.key")
MIN_KEY_BYTES = 16


@dataclass(frozen=True)
class PseudonymKey:
    """A pseudonymisation key and where it came from (the secret is never shown)."""

    secret: bytes = field(repr=False)
    source: str
    stable: bool

    @property
    def fingerprint(self) -> str:
        """Twelve hex digits identifying the key without revealing it."""
        return hmac.new(self.secret, b"evaluation key fingerprint", hashlib.sha256).hexdigest()[:12]


def _inside_project(path: Path) -> bool:
    try:
        root = project_root()
    except Exception:  # no project (installed package): nothing to protect
        return False
    return path.resolve().is_relative_to(root)


def resolve_key(key: bytes | str | None = None) -> PseudonymKey:
    """The key to use: ``key`` if given, else from the environment or a key file, else random.

    Raises
    ------
    ConfigError
        If the key is shorter than 16 bytes, or its file is missing or inside the project.
    """
    if key is not None:
        secret, source, stable = (key.encode() if isinstance(key, str) else key), "argument", True
    elif os.environ.get(KEY_ENV):
        secret = os.environ[KEY_ENV].encode()
        stable = not os.environ.get(EPHEMERAL_ENV)
        source = f"environment variable {KEY_ENV}" if stable else "random key drawn for this run"
    else:
        path = Path(os.environ.get(KEY_FILE_ENV) or DEFAULT_KEY_FILE).expanduser()
        if os.environ.get(KEY_FILE_ENV) and not path.is_file():
            raise ConfigError(code="key_file_missing", env=KEY_FILE_ENV, path=str(path))
        if path.is_file():
            if _inside_project(path):
                raise ConfigError(code="key_file_in_project", path=str(path))
            secret, source, stable = path.read_bytes().strip(), f"file {path}", True
        else:
            return PseudonymKey(secrets.token_bytes(32), "random key drawn for this run", False)
    if len(secret) < MIN_KEY_BYTES:
        source_fr = {"argument": "argument"}.get(source) or (f"fichier {path}" if source.startswith("file ")
                                                               else f"variable d'environnement {KEY_ENV}")
        raise ConfigError(code="key_too_short", source=source, source_fr=source_fr, minimum=MIN_KEY_BYTES)
    return PseudonymKey(secret, source, stable)


@contextlib.contextmanager
def shared_run_key() -> Iterator[PseudonymKey]:
    """Make every child process of this run (notebook kernels, workers) use the same key.

    When no key is configured, a random one is drawn and put in the environment of the
    children for the duration of the block, marked as random so that reports still say
    pseudonyms are not stable across runs.
    """
    key = resolve_key()
    if key.stable or os.environ.get(KEY_ENV):
        yield key
        return
    os.environ[KEY_ENV], os.environ[EPHEMERAL_ENV] = key.secret.hex(), "1"
    try:
        yield resolve_key()
    finally:
        os.environ.pop(KEY_ENV, None)
        os.environ.pop(EPHEMERAL_ENV, None)


def pseudonymise(names: pd.Series, key: PseudonymKey) -> pd.Series:
    """Replace each name by its keyed pseudonym (``P-`` and 10 hex digits); missing stay missing.

    Names are normalised and hashed once per distinct spelling, then spread back to the rows.
    """
    codes, spellings = pd.factorize(names.astype("string"), use_na_sentinel=True)
    normalised = normalise_names(pd.Series(spellings, dtype="string")).tolist()
    hashed = np.array([None] + ["P-" + hmac.new(key.secret, n.encode(), hashlib.sha256).hexdigest()[:10]
                                for n in normalised], dtype=object)
    return pd.Series(hashed[codes + 1], index=names.index, name=names.name, dtype="string")


def redact_names(texts: pd.Series, names: pd.Series, key: PseudonymKey, *,
                 persons: pd.Series | None = None) -> pd.Series:
    """Replace, in free text, every whole-word occurrence of a known name by its pseudonym.

    Matching folds case, accents, punctuation and spacing (``"EPICERIE-DU-PONT"`` matches
    ``"Épicerie du Pont"``; :func:`evaluation.io.redaction_words.fold`); names are tried longest
    first so that ``"Régie de quartier Chenôve"`` wins over ``"Régie de quartier"``. Names
    shorter than 3 letters are left alone (they would match ordinary words). ``persons``
    are people's names, also matched in reverse order and by their surname alone
    (:func:`evaluation.io.redaction.known_names`). Only names all of whose words occur in the
    texts enter the pattern, so thousands of names cost little on short testimonies.
    This is the first pass of :func:`evaluation.io.redaction.redact_texts`.
    """
    known = pseudonym_lookup(names, key)
    people = pseudonym_lookup(persons, key) if persons is not None else {}
    if (not known and not people) or texts.empty:
        return texts
    matcher = known_names(known, people, texts=texts.dropna().astype(str))
    codes, distinct = pd.factorize(texts.astype("string"), use_na_sentinel=True)
    values = pd.array([pd.NA, *(matcher.sub(t) for t in distinct.astype(str))], dtype="string")
    return pd.Series(values[codes + 1], index=texts.index, name=texts.name, dtype="string")


def pseudonym_lookup(names: pd.Series | None, key: PseudonymKey) -> dict[str, str]:
    """Each distinct raw name (stripped, at least 3 characters) → its pseudonym."""
    if names is None:
        return {}
    known = names.dropna().astype(str).str.strip()
    known = known[known.str.len() >= 3].drop_duplicates().reset_index(drop=True)
    return dict(zip(known, pseudonymise(known, key), strict=False))
