"""Running reports: one territory, a batch, a dated edition.

``render`` (papermill runs the notebook, nbconvert exports HTML, the outputs are searched
for names before they replace the previous report), ``warm`` (kernels that have already
imported the package), ``batch`` (every territory, a local pool or a Dask cluster, and the
index page), ``index_page`` (its département filter and sorting), ``publish`` (publishing
and verifying editions).

The top of the report layer: may import any part of it.
"""
