"""The reports, in French: the publication with disclosure control and its secrecy audit,
French labels and tables, figures, the section builders the notebook calls, rendering
(papermill, nbconvert), the batch over territories and the search of outputs for names.

Imports ``measures``, ``io``, ``geo`` and the base modules; only ``cli`` imports it.
"""
