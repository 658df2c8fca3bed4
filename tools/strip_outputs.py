"""Strip notebook outputs before committing, keeping those of ``# NBVAL_CHECK_OUTPUT`` cells.

Usage: ``python tools/strip_outputs.py notebooks/*.ipynb``. A checked cell keeps only its
text (stream) outputs, which nbval compares a fresh run against, and an execution count
(nbval refuses stored outputs of a cell that was never run).
"""

import sys

import nbformat

for path in sys.argv[1:]:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.metadata.pop("execution", None)
        cell.metadata.pop("papermill", None)
        if "# NBVAL_CHECK_OUTPUT" in cell.source:
            cell.outputs = [o for o in cell.outputs if o.output_type == "stream"]
            cell.execution_count = 1
        else:
            cell.outputs = []
            cell.execution_count = None
    for key in ("papermill", "widgets"):
        nb.metadata.pop(key, None)
    nbformat.write(nb, path)
