"""How the suite is spread over workers (``pytest -n auto --dist loadgroup``), kept apart from
``conftest.py`` so that ``tests/test_packaging.py`` can check it on a tiny suite of its own.

Every test gets an ``xdist_group``: its module's, so that a module runs whole on one worker and
its module-scoped fixtures are built once; modules that share a session-scoped render are put
in one group (``shared``); a notebook's cells (nbval) are one group, since they run in order on
one kernel.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest


def assign_groups(items: list[pytest.Item], shared: Mapping[str, str]) -> None:
    """Mark each item without an ``xdist_group`` with its module's group (or ``shared[module]``)."""
    for item in items:
        if item.get_closest_marker("xdist_group"):
            continue
        path = Path(str(item.fspath))
        group = "nbval-" + path.stem if path.suffix == ".ipynb" else shared.get(path.stem, path.stem)
        item.add_marker(pytest.mark.xdist_group(name=group))
