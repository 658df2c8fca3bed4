"""The partner survey: the questionnaire (an XLSForm), the exports of KoboToolbox, ODK Central
and LimeSurvey read into one table of answers, and illustrative answers.

- ``questions``: the questionnaire as data (fields, French and English wording, choices,
  LimeSurvey codes), shared by the form and the readers;
- ``roster``: the territory's actors at a wave's date (the form's list) and what is known of each;
- ``form``: the XLSForm of a territory's roster of actors (and its check by pyxform);
- ``layouts``: each tool's export layout (sheets, files, headers) read into the form's fields;
- ``answers``: the values read, checked and pseudonymised into respondents and ties;
- ``sample``: answers drawn with known true scores (tests, the illustrative data);
- ``writers``: answers written as KoboToolbox and ODK Central export them (the illustrative data).

The form lists the names of actors as the respondents know them: it is personal data, written
outside ``reports/`` and never into a report or a cache. Answers are pseudonymised as soon as
they are read: structures are their ``actor_id`` when they are in the actors table, else the
keyed pseudonym of their name (the same ``P-…`` as a name of the actors table would get).
"""
