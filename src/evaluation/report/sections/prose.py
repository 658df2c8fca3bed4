"""The report's French prose, from Jinja2 templates (report layer).

Sentences an evaluator may want to reword live in ``evaluation/report/templates/`` as
Jinja2 templates (``*.md.j2``: Markdown with ``{{ … }}`` slots), not in Python strings, as
pandas and nbconvert keep their output text. A builder passes every number **already
protected and formatted** (a string: « 151 », « 66,9 % », « moins de 5 »): a template never
computes, rounds or chooses what may be shown; it only words it. Templates are rendered with
:class:`jinja2.StrictUndefined` (a slot the builder did not fill raises) and without HTML
escaping (the output is Markdown, read by nbconvert, Word and the PDF alike).

A template holds one text (:func:`render`) or several small ones as macros
(:func:`phrase`: ``{% macro reach(count, rate) %}…{% endmacro %}``).
"""

from __future__ import annotations

import functools
import re

import jinja2

__all__ = ["render", "phrase", "phrase_lines", "block", "environment", "TEMPLATES"]

#: The package folder of the templates (``evaluation.report`` / ``templates``).
TEMPLATES = ("evaluation.report", "templates")


@functools.cache
def environment() -> jinja2.Environment:
    """The templates' environment: strict, no escaping, block tags trimmed."""
    return jinja2.Environment(loader=jinja2.PackageLoader(*TEMPLATES), undefined=jinja2.StrictUndefined,
                              autoescape=False, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False)


def _tidy(text: str) -> str:
    """Collapse the blank lines a template's conditions leave (two at most), strip the ends, and
    tie French quotation marks to their words (no line break inside « … »).
    """
    return re.sub(r"\n{3,}", "\n\n", text).strip().replace("« ", "«\u00a0").replace(" »", "\u00a0»")


def render(name: str, **values: object) -> str:
    """The text of template ``name`` (e.g. ``"essentiel.md.j2"``) with ``values``."""
    return _tidy(environment().get_template(name).render(**values))


def _macro(name: str, macro: str, values: dict) -> str:
    return str(getattr(environment().get_template(name).make_module(), macro)(**values))


def phrase(name: str, macro: str, **values: object) -> str:
    """The text of ``macro`` of template ``name``, with ``values`` (one line, spaces collapsed)."""
    return _tidy(re.sub(r"[ \t\n]+", " ", _macro(name, macro, values)))


def phrase_lines(name: str, macro: str, **values: object) -> list[str]:
    """The non-empty lines of ``macro`` of template ``name``, with ``values`` (one item each)."""
    return [_tidy(re.sub(r"[ \t]+", " ", line)) for line in _macro(name, macro, values).splitlines() if line.strip()]


def block(name: str, macro: str, **values: object) -> str:
    """The text of ``macro`` of template ``name``, with ``values``, its lines and paragraphs kept."""
    return _tidy(_macro(name, macro, values))
