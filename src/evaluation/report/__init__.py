"""The reports, in French: from the measures to a protected publication, then to HTML, Word and PDF.

Rooms, from the bottom (each may import the rooms and modules above it in this list, the
``measures``, ``io``, ``geo`` and base layers, never one below it):

- ``tables``, ``figures``: French formatting, labels and figures;
- ``context``: a report's inputs and the measures run on them;
- :mod:`evaluation.report.secrecy`: disclosure control, the linked cells, the audit, the
  search of outputs for names;
- ``published``: the publication's types (what a report may show);
- ``outcomes``: what became of the structures after the accompaniment, and the cost ratios,
  protected for the publication;
- ``survey``: the partner survey as published (protected), its labels and its figure;
- :mod:`evaluation.report.editions`: manifests, baselines, the comparison with an edition;
- :mod:`evaluation.report.sections`: the builders the notebook calls, one per cell;
- :mod:`evaluation.report.formats`: the report as a document, Word and PDF;
- ``indicators``, ``network_export``, ``mechanisms``, ``publication``: the indicator table,
  network files, the network chapter's mechanisms as published, and
  :func:`~evaluation.report.publication.publish` (measures → publication);
- :mod:`evaluation.report.runs`: rendering one report, a batch, a dated edition.

``tests/test_imports.py`` checks this order. Only ``cli`` imports this layer.
"""
