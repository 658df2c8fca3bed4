"""Sphinx configuration of the documentation site (``make docs``).

The site is built offline (no intersphinx, notebooks never executed) with warnings as
errors: ``sphinx-build -W --keep-going -b html docs docs/_build/html``.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))
sys.path.insert(0, str(DOCS.parent / "src"))

project = "evaluation"
author = "Pôle d'économie solidaire"
copyright = "2024–2026, the evaluation contributors"
language = "fr"

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "problems_faq",
    "open_toctrees",
]

# Pages are Markdown (MyST); notebooks would be read by myst-nb but never executed.
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
nb_execution_mode = "off"
myst_enable_extensions = ["colon_fence", "deflist", "dollarmath", "fieldlist"]
myst_heading_anchors = 3
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**/.ipynb_checkpoints"]
templates_path = ["_templates"]

# The API reference: one page per module of the package, from its docstrings (numpy style).
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_preserve_defaults = True
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_ivar = True
napoleon_use_rtype = False

# Every cross-reference to the package must resolve (a module that moved fails the build).
# Other libraries' objects are not linked (no intersphinx: the build fetches nothing), so
# references to them are not checked.
nitpicky = True
_EXTERNAL = (
    "_thread", "argparse", "collections", "concurrent", "datetime", "geopandas", "jinja2", "jupyter_client",
    "matplotlib", "networkx", "np", "numpy", "pandas", "papermill", "pathlib", "pd", "re", "scipy",
    "shapely", "spacy", "str", "typing", "warnings",
)
nitpick_ignore_regex = [(r"py:.*", rf"({'|'.join(_EXTERNAL)})\..+")]
# spaCy's pipeline type, annotated under TYPE_CHECKING (spaCy is imported only to redact).
nitpick_ignore = [("py:class", "Language"), ("py:class", "Lang"),
                  ("py:class", "evaluation.report.secrecy.cells._Builder")]  # a private helper in a signature

html_theme = "pydata_sphinx_theme"
html_title = "evaluation"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
# The example report rendered by `make docs` (docs/_build/extra/exemple/chenove/…), copied as is.
html_extra_path = ["_build/extra"]
html_theme_options = {
    "navigation_depth": 3,
    "show_toc_level": 2,
    "navbar_align": "left",
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
    "secondary_sidebar_items": ["page-toc"],
}
html_sidebars = {"index": []}
