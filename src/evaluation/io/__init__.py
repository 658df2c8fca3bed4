"""Reading the evaluators' exports: the schema and its French aliases, readers (CSV/XLSX),
typing and cross-table checks, pseudonyms and the redaction of names, the parquet cache, the
generated sample.

Imports the base modules (``config``, ``errors``, ``problems``, ``_io``, ``_text``) and ``geo``.
"""
