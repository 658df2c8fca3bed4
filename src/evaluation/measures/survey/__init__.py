"""The partner survey: the quality of relationships between the territory's actors, as they rate them.

``matrices`` (one wave's answers as actor × actor arrays), ``scores``
(trust, value, intensity, density per kind of tie, reciprocity, received scores per actor,
all vectorised over bootstrap weights), ``bootstrap`` (weights and intervals),
``nonresponse`` (response rate, ties kept by a rule, bounds, respondents against
non-respondents), ``waves`` (change between two waves, attendees against non-attendees),
``agreement`` (Cohen's κ against the declared collaborations), ``analysis``
(:func:`~evaluation.measures.survey.analysis.analyse_survey`). The roster of a wave (the actors
its form lists, with what is known of respondents and non-respondents alike) is
:mod:`evaluation.io.survey.roster`'s, shared with the form.

May import the shared measures, :mod:`evaluation.measures.network`, ``io``, ``geo`` and the base
modules; nothing above.
"""
