"""The measures: shared statistics, reach (classification, shares and rates, distances, the
count model, trends, the tiers-lieu's reach), networks (build, describe, inference, the
adjusted network effect) and testimonies. Functions over DataFrames returning typed results.

Imports ``io``, ``geo`` and the base modules; never ``report`` or ``cli``.
"""
