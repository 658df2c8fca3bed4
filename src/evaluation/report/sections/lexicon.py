"""The report's glossary: technical terms and their plain French definitions (report layer).

(The module is ``lexicon`` so that the builder :func:`glossary`, re-exported by
:mod:`evaluation.report.sections`, keeps its name.)

The glossary is data, ``evaluation/report/templates/glossaire.yml`` (term, other forms,
definition), that an evaluator may reword. Its terms belong to the technical annex:
L'essentiel and the body of the report say the same things without them
(:func:`terms_in` finds them in a text; ``tests/test_essentiel.py`` checks the body and
L'essentiel of the bundled reports). :func:`glossary` is the annex's last section.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

import yaml

from evaluation.report.sections.base import Item

__all__ = ["Term", "GLOSSARY_FILE", "load_glossary", "terms_in", "glossary"]

#: The glossary's file, in the templates' folder of the package.
GLOSSARY_FILE = "glossaire.yml"


@dataclass(frozen=True)
class Term:
    """A glossary entry: the term, its other forms (plural, abbreviation), its definition."""

    term: str
    definition: str
    forms: tuple[str, ...] = ()

    @property
    def pattern(self) -> re.Pattern:
        """The term or any of its forms as a whole word, case ignored (« IC » but not « ICI »)."""
        words = sorted({self.term, *self.forms}, key=len, reverse=True)
        return re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(w) for w in words) + r")(?![\w-])", re.IGNORECASE)


@functools.cache
def load_glossary() -> tuple[Term, ...]:
    """The glossary's entries, in the file's order."""
    text = resources.files("evaluation.report").joinpath("templates", GLOSSARY_FILE).read_text(encoding="utf-8")
    return tuple(Term(str(e["terme"]), " ".join(str(e["definition"]).split()), tuple(map(str, e.get("aussi", ()))))
                 for e in yaml.safe_load(text))


def terms_in(text: str) -> list[str]:
    """The glossary's terms found in ``text`` (each once, in the glossary's order)."""
    return [t.term for t in load_glossary() if t.pattern.search(text)]


def glossary(pub: object = None) -> list[Item]:
    """The annex's glossary: every term with its definition, in alphabetical order."""
    entries = sorted(load_glossary(), key=lambda t: t.term.casefold())
    lines = [f"- **{t.term}**" + (f" ({', '.join(t.forms)})" if t.forms else "") + f" : {t.definition}"
             for t in entries]
    return ["### Glossaire", "Les termes techniques de l'annexe, en français courant.", "\n".join(lines)]
