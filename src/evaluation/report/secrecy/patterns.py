"""Defence in depth, second search: direct identifiers in every output and in the cache.

The search for the exports' raw names (:mod:`evaluation.report.secrecy.leaks`) finds only
names that a table lists. This one looks for identifier *patterns* — e-mail addresses,
French phone numbers, IBAN, NIR, postal addresses, personal URLs — wherever they come from,
with the recognisers that redact free text at load (:func:`evaluation.io.identifiers.find_identifiers`),
in every output of a run (HTML, notebook, Word, PDF text, XLSX, CSV, GraphML, manifests)
and in the cached tables. It does not depend on the redaction having run: an identifier
planted in an output after rendering is found all the same.

Each identifier found is traced back to where it was read: every text of ``territories.yml``
(:func:`territory_texts`: the labels and the description a report prints as written) first,
with its key and line, then every cell of the exports, in every column (:func:`identifier_sources`,
kept in memory while the files are unchanged); the identifier's normalised form
(:func:`evaluation.io.identifiers.normalise`: ``+33 6 71…`` and ``06.71…`` are one number) gives
the file, key or column, and line or row. The error names them, never the identifier.

Two classes are narrowed to avoid false alarms on what reports legitimately carry: a URL is
refused when it was read in the exports or points to a person's page on a social network
(the HTML template and GraphML files cite standards' URLs); an address is allowed when it is
one of the published labels of ``territories.yml`` (a public place).
"""

from __future__ import annotations

import ast
import functools
import json
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from evaluation.config import get_paths
from evaluation.io.identifiers import MAY_HOLD, find_identifiers
from evaluation.io.privacy import KIND_WORDS
from evaluation.io.readers import _folder_read_options, _read_options, read_raw
from evaluation.io.schema import TABLES
from evaluation.problems import Problems

__all__ = ["Origin", "raw_exports", "identifier_sources", "territory_texts", "territory_sources", "scan_text", "allowed_addresses",
           "where_fr", "SOCIAL_HOSTS", "report_words"]

#: Sites whose pages are people's (a path after the host is a person's page).
SOCIAL_HOSTS = ("facebook.com", "fb.com", "instagram.com", "linkedin.com", "twitter.com", "x.com", "tiktok.com",
                "youtube.com", "threads.net", "snapchat.com", "pinterest.com", "wixsite.com", "over-blog.com",
                "blogspot.com", "jimdofree.com", "helloasso.com")


@dataclass(frozen=True)
class Origin:
    """Where an identifier or a name was read: in the exports, file, column, row (as a spreadsheet
    shows it); in ``territories.yml`` (``setting``), the file, the setting's key and its line.
    """

    file: str
    column: str
    row: int
    setting: bool = False

    def text(self, lang: str = "en") -> str:
        """``"testimonies.csv, column 'text', row 4"``, ``"territories.yml, key 'territories: chenove:
        description', line 25"`` (or in French).
        """
        if self.setting:
            return (f"{self.file}, clé {self.column!r}, ligne {self.row}" if lang == "fr"
                    else f"{self.file}, key {self.column!r}, line {self.row}")
        return (f"{self.file}, colonne {self.column!r}, ligne {self.row}" if lang == "fr"
                else f"{self.file}, column {self.column!r}, row {self.row}")


def _stamp(paths) -> tuple:
    return tuple((str(p.resolve()), (st := p.stat()).st_mtime_ns, st.st_size) for p in sorted(paths))


_SOURCES: dict[tuple, dict[tuple[str, str], Origin]] = {}


def _short(kind: str, value: str) -> str | None:
    """A second key for an address: its number, street type and first word (an output may cut it)."""
    return " ".join(value.split()[:4]) if kind == "address" else None


def identifier_sources(data_dir: Path | str) -> dict[tuple[str, str], Origin]:
    """``(class, normalised value)`` → where it was first read, for every identifier of every
    cell of the exports of ``data_dir`` (all columns, in or out of the data model).

    Kept in memory while no file of ``data_dir`` changes (modification time and size).
    """
    data_dir = Path(data_dir)
    key = _stamp(p for p in data_dir.iterdir() if p.is_file()) if data_dir.is_dir() else ()
    if key not in _SOURCES:
        _SOURCES.clear()
        _SOURCES[key] = _read_sources(data_dir)
    return _SOURCES[key]


def raw_exports(data_dir: Path) -> Iterator[tuple[str, Path, pd.DataFrame]]:
    """``(table, path, raw cells as text)`` of every export of ``data_dir`` as written, with the
    folder's read options; a file that cannot be read is left out (validation reports it).
    """
    options = _folder_read_options(data_dir, Problems())
    for table in TABLES:
        for path in (data_dir / f"{table}.{ext}" for ext in ("csv", "xlsx")):
            if not path.is_file():
                continue
            try:
                raw = read_raw(path, table=table, options=_read_options(options, table))
            except Exception:  # noqa: BLE001 - unreadable files are reported by validation
                continue
            yield table, path, raw


def _read_sources(data_dir: Path) -> dict[tuple[str, str], Origin]:
    out: dict[tuple[str, str], Origin] = {}
    for _, path, raw in raw_exports(data_dir):
        for i, col in enumerate(raw.columns):
            cells = raw.iloc[:, i]
            cells = cells[cells.str.contains(MAY_HOLD, regex=True)]
            for row, cell in cells.items():  # only cells with a digit, "@", "www"…
                for f in find_identifiers(cell):
                    origin = Origin(path.name, str(col), int(row))
                    out.setdefault((f.kind, f.value), origin)
                    if _short(f.kind, f.value):
                        out.setdefault((f.kind, _short(f.kind, f.value)), origin)
    return out


_TEXTS: dict[tuple, tuple[tuple[Origin, str], ...]] = {}


def territory_texts(path: Path | str | None = None) -> tuple[tuple[Origin, str], ...]:
    """Every text of ``territories.yml`` (default: the project's) with its key and line
    (:class:`Origin` with ``setting``), in the file's order: what a report may print of it as
    written (labels, description, roles, objectives) is among them. Kept in memory while the
    file is unchanged; ``()`` when it cannot be read (its own check says why).
    """
    path = Path(path) if path is not None else get_paths().territories
    if not path.is_file():
        return ()
    key = _stamp([path])
    if key not in _TEXTS:
        out: list[tuple[Origin, str]] = []

        def walk(node: yaml.Node, where: tuple[str, ...]) -> None:
            if isinstance(node, yaml.ScalarNode) and any(ch.isalnum() for ch in node.value):
                out.append((Origin(path.name, ": ".join(where), node.start_mark.line + 1, setting=True), node.value))
            elif isinstance(node, yaml.MappingNode):
                for k, v in node.value:
                    walk(v, (*where, str(k.value)))
            elif isinstance(node, yaml.SequenceNode):
                for i, item in enumerate(node.value, start=1):
                    walk(item, (*where, str(i)))

        try:
            root = yaml.compose(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except (yaml.YAMLError, UnicodeDecodeError):
            root = None
        if root is not None:
            walk(root, ())
        _TEXTS.clear()
        _TEXTS[key] = tuple(out)
    return _TEXTS[key]


def territory_sources(texts: tuple[tuple[Origin, str], ...]) -> dict[tuple[str, str], Origin]:
    """``(class, normalised value)`` → its first key of ``territories.yml`` (:func:`territory_texts`),
    like :func:`identifier_sources` for the exports.
    """
    out: dict[tuple[str, str], Origin] = {}
    for origin, text in texts:
        for f in find_identifiers(text):
            out.setdefault((f.kind, f.value), origin)
            if _short(f.kind, f.value):
                out.setdefault((f.kind, _short(f.kind, f.value)), origin)
    return out


def _personal_url(value: str) -> bool:
    host, _, path = value.partition("/")
    return bool(path.strip("/")) and any(host == h or host.endswith("." + h) for h in SOCIAL_HOSTS)


def allowed_addresses(texts: Collection[str]) -> frozenset[str]:
    """Normalised addresses written in ``texts`` (the published labels of ``territories.yml``)."""
    return frozenset(f.value for t in texts for f in find_identifiers(t, kinds=("address",)))


def scan_text(text: str, sources: Mapping[tuple[str, str], Origin], *,
              allowed: Collection[str] = ()) -> Iterator[tuple[str, Origin | None]]:
    """The identifiers of ``text`` an output must not hold, each with where it was read
    (``None``: in no export).
    """
    for f in find_identifiers(text):
        origin = sources.get((f.kind, f.value)) or sources.get((f.kind, _short(f.kind, f.value) or ""))
        if f.kind == "url" and origin is None and not _personal_url(f.value):
            continue
        if f.kind == "address" and f.value in allowed:
            continue
        yield f.kind, origin


_WHERE_FR = ((r"\bline (\d+)", r"ligne \1"), (r", key '", ", clé '"), (r"\bcell (\d+)$", r"cellule \1"), (r"\bsheet ", "feuille "),
             (r", cell ", ", cellule "), (r"\bcolumn ", "colonne "), (r"\brow ", "ligne "),
             (r"\bparagraph ", "paragraphe "), (r"\btable (\d+)", r"tableau \1"), (r"^page ", "page "),
             (r"first-page header", "en-tête de première page"), (r"first-page footer", "pied de première page"),
             (r"^header$", "en-tête"), (r"^footer$", "pied de page"), (r"alternative text", "texte alternatif"),
             (r"document properties", "propriétés du document"), (r"document information", "informations du document"),
             (r"^bookmarks$", "signets"), (r"notebook metadata", "métadonnées du carnet"))


def where_fr(where: str) -> str:
    """A place in an output or an export, said in French: ``"sheet 'X', cell B3"`` → ``"feuille 'X', cellule B3"``."""
    for pattern, repl in _WHERE_FR:
        where = re.sub(pattern, repl, where)
    return where


def kind_words(kind: str, lang: str = "en") -> str:
    """A class of identifiers in words (:data:`evaluation.io.privacy.KIND_WORDS`)."""
    return KIND_WORDS[kind][1 if lang == "fr" else 0]


@functools.cache
def report_words() -> tuple[str, ...]:
    """Every text a report may print whatever the data: the string literals of the report layer
    (its sentences, labels and headings) and the Markdown of the report notebook.

    ``evaluation validate`` searches them for the exports' raw names: a name that is also one of
    these words or phrases (a contact column holding « Emploi ») would be found by the final
    search of every report, which would then refuse to publish.
    """
    texts = []
    for path in sorted(Path(__file__).resolve().parents[1].rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        texts += [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    notebook = get_paths().report_notebook
    if notebook.is_file():
        cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
        texts += ["".join(c.get("source", "")) for c in cells if c.get("cell_type") == "markdown"]
    return tuple(t for t in texts if any(ch.isalpha() for ch in t))
