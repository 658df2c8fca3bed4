"""Each section's table of contents stays open to new pages.

The indexes of ``docs/guide/``, ``docs/methods/`` and ``docs/dev/`` list their pages in
reading order, then end with the glob pattern ``*`` (``:glob:``), so that a page added to the
folder appears at the end of its section without editing the index. Sphinx warns when that
``*`` matches nothing (every page of the folder already listed), which with ``-W`` would stop
the build exactly when the section is complete: this filter drops that one warning — an
empty ``*`` in a section index — and nothing else.
"""

from __future__ import annotations

import logging

SECTIONS = ("guide/index", "methods/index", "dev/index")


class _EmptySectionGlob(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "subtype", "") != "empty_glob" or tuple(record.args or ()) != ("*",):
            return True
        location = str(getattr(record, "location", "") or "")
        return not any(section in location.replace("\\", "/") for section in SECTIONS)


def setup(app):
    """Install the filter on the logger of Sphinx's toctree directive."""
    logging.getLogger("sphinx.sphinx.directives.other").addFilter(_EmptySectionGlob())
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
