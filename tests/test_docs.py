"""The documentation: a short README, a title on every page, the FAQ's table complete.

The site itself is built by ``make docs`` (in CI, warnings as errors); these checks are
quick and need none of the documentation's tools.
"""

from __future__ import annotations

import importlib.util
import re

import pytest

from evaluation.problems import CATALOGUE


def _docs(paths):
    return paths.root / "docs"


def _pages(paths):
    docs = _docs(paths)
    return sorted(p for p in docs.rglob("*.md")
                  if not {"_build", "generated"} & set(p.relative_to(docs).parts))


def _faq_module(paths):
    spec = importlib.util.spec_from_file_location("problems_faq", _docs(paths) / "_ext" / "problems_faq.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_readme_is_short_and_names_the_commands(paths):
    readme = (paths.root / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 200
    for command in ("make report", "make test", "make docs"):
        assert command in readme, command


def test_every_page_has_a_title(paths):
    pages = _pages(paths)
    assert len(pages) >= 20  # guide, methods, developer guide, API index
    untitled = []
    for page in pages:
        text = page.read_text(encoding="utf-8")
        text = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S)  # front matter
        first = next((line for line in text.splitlines() if line.strip()), "")
        if not re.match(r"# \S", first):
            untitled.append(str(page.relative_to(paths.root)))
    assert not untitled, f"pages without a '# Title' first line: {untitled}"


@pytest.mark.parametrize("section", ["guide", "methods", "dev"])
def test_each_section_picks_up_new_pages(paths, section):
    """A page added to docs/<section>/ appears without editing the index (:glob: and *)."""
    index = (_docs(paths) / section / "index.md").read_text(encoding="utf-8")
    toctree = re.search(r"```\{toctree\}\n(.*?)```", index, flags=re.S).group(1)
    lines = [line.strip() for line in toctree.splitlines()]
    assert ":glob:" in lines and [line for line in lines if line][-1] == "*"
    listed = {line for line in lines if line and not line.startswith(":")} - {"*"}
    present = {p.stem for p in (_docs(paths) / section).glob("*.md")} - {"index"}
    assert listed <= present, f"{section}/index.md lists missing pages: {listed - present}"


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_faq_lists_every_problem_code(paths, lang):
    rows = _faq_module(paths).problem_rows(lang)
    codes = [code for code, _, _ in rows]
    assert codes == list(CATALOGUE)
    for code, problem, fix in rows:
        message = CATALOGUE[code]
        assert problem and fix
        # the catalogue's own words, its fields shown as ‹name›
        template = message.fr if lang == "fr" else message.en
        assert problem.split("‹")[0] == template.split("{")[0], code
        assert "{" not in problem.replace("{{", "") or "{{" in template, code


def test_the_faq_page_uses_the_generated_table(paths):
    faq = (_docs(paths) / "guide" / "faq.md").read_text(encoding="utf-8")
    assert "```{problems-table}" in faq


def test_the_faq_table_has_one_row_per_code(paths):
    pytest.importorskip("docutils")
    table = _faq_module(paths).problems_table("fr")
    text = table.astext()
    for code in CATALOGUE:
        assert code in text, code
    from docutils import nodes

    assert len(list(table.findall(nodes.row))) == len(CATALOGUE) + 1  # and the header


def test_a_field_of_a_template_is_shown_by_name(paths):
    faq = _faq_module(paths)
    assert faq._template("fichier absent de {folder}") == "fichier absent de ‹folder›"
    assert faq._template("contient le nom {name!r} de {source_fr}") == "contient le nom ‹name› de ‹source_fr›"
    assert faq._template("écrire network_roles: {{A001: tiers-lieu}}") == "écrire network_roles: {A001: tiers-lieu}"


def test_command_line_options_in_the_faq_stay_as_typed(paths):
    """« --data » is shown as code, so that typography never turns its dashes into one."""
    pytest.importorskip("docutils")
    from docutils import nodes

    table = _faq_module(paths).problems_table("fr")
    literals = {n.astext() for n in table.findall(nodes.literal)}
    assert {"--data", "--reference", "--density-file", "--territories"} <= literals
