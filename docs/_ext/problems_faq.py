"""The FAQ's table of problems, generated from :data:`evaluation.problems.CATALOGUE` at build time.

The directive ``problems-table`` (``{problems-table}`` in a MyST page, option ``:lang:`` ``fr``
or ``en``, default ``fr``) writes one row per problem code: the code, what is wrong and how
to fix it, in the order of the catalogue. The texts are the catalogue's templates, the fields
filled in for each case (``{folder}``, ``{value}``…) shown as ‹folder›, ‹value›: the page can
never drift from what ``evaluation validate`` says.
"""

from __future__ import annotations

import re

# docutils comes with Sphinx (the `docs` extra); problem_rows needs neither, so that the test
# suite can check the FAQ against the catalogue without the documentation's tools.
try:
    from docutils import nodes
    from docutils.parsers.rst import Directive, directives
except ImportError:  # pragma: no cover - without the docs extra
    nodes = directives = None
    Directive = object

_FIELD = re.compile(r"\{\{|\}\}|\{([a-z_]+)(?:![rsa])?(?::[^}]*)?\}")


def _template(text: str) -> str:
    """A catalogue template as shown in the FAQ: fields as ‹name›, doubled braces as one."""
    return _FIELD.sub(lambda m: {"{{": "{", "}}": "}"}.get(m.group(0)) or f"‹{m.group(1)}›", text)


def problem_rows(lang: str = "fr") -> list[tuple[str, str, str]]:
    """(code, problem, fix) for every problem of the catalogue, in its order, in ``lang``."""
    from evaluation.problems import CATALOGUE

    if lang not in ("fr", "en"):
        raise ValueError(f"lang must be 'fr' or 'en', not {lang!r}")
    rows = []
    for code, message in CATALOGUE.items():
        problem, fix = (message.fr, message.fix_fr) if lang == "fr" else (message.en, message.fix_en)
        rows.append((code, _template(problem), _template(fix)))
    return rows


HEADERS = {"fr": ("code", "problème", "correction"), "en": ("code", "problem", "fix")}


_OPTION = re.compile(r"(--[a-z][a-z-]*)")


def _inline(text: str) -> list:
    """Text with its `back-quoted` parts and command-line options (``--data``) as literals."""
    out: list = []
    for k, part in enumerate(text.split("`")):
        if k % 2:
            out.append(nodes.literal(part, part))
            continue
        for j, piece in enumerate(_OPTION.split(part)):
            if piece:
                out.append(nodes.literal(piece, piece) if j % 2 else nodes.Text(piece))
    return out


def problems_table(lang: str = "fr"):
    """The docutils table of :func:`problem_rows`."""
    table = nodes.table(classes=["problems-table"])
    group = nodes.tgroup(cols=3)
    table += group
    for width in (18, 41, 41):
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    group += head
    row = nodes.row()
    for title in HEADERS[lang]:
        row += nodes.entry("", nodes.paragraph("", title))
    head += row
    body = nodes.tbody()
    group += body
    for code, problem, fix in problem_rows(lang):
        row = nodes.row(ids=[f"probleme-{code.replace('_', '-')}"])
        row += nodes.entry("", nodes.paragraph("", "", nodes.literal(code, code)))
        row += nodes.entry("", nodes.paragraph("", "", *_inline(problem)))
        row += nodes.entry("", nodes.paragraph("", "", *_inline(fix)))
        body += row
    return table


class ProblemsTable(Directive):
    """``.. problems-table::`` with ``:lang: fr`` (default) or ``en``."""

    has_content = False
    option_spec = {"lang": lambda arg: directives.choice(arg, ("fr", "en"))}

    def run(self) -> list:
        """The table, in the language asked for."""
        from evaluation import problems

        # The page is read again whenever the catalogue changes (incremental builds).
        self.state.document.settings.env.note_dependency(problems.__file__)
        return [problems_table(self.options.get("lang", "fr"))]


def setup(app):
    """Register the directive."""
    app.add_directive("problems-table", ProblemsTable)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
