"""Editions (points d'étape): what a frozen report records and how a later one compares.

``manifest`` (hashes, versions, checksum), ``baseline`` (where editions live, checking a
baseline), ``evolution`` (the chapter « Évolution depuis le point d'étape », revisions) and
``trajectories`` (headline indicators across editions, for the index page). Publishing and
verifying an edition is a run: :mod:`evaluation.report.runs.publish`.

May import ``tables``, ``context``, ``published``, :mod:`evaluation.report.secrecy`, the
measures and the layers below.
"""
