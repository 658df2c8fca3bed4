"""Survey answers drawn from a model with known true scores: for tests, and the illustrative data.

**These answers are illustrative, not observed.** :func:`simulate_wave` draws, for a roster of
actors, the relationships of every pair (a tie with probability ``tie``, more when both
attended the events; its intensity from ``levels``), what each side reports of them (each
side reports a relationship with probability ``recall``, its intensity one level off with
probability ``blur``) and the six PARTNER items (a latent score by tie — higher for stronger
ties and for actors who attended — plus noise, rounded to the 4-point scale). Every listed actor
answers; :func:`drop_respondents` then removes non-respondents, at random or related to
attendance. :func:`true_scores` computes, with plain pandas and independently of
:mod:`evaluation.measures.survey`, the scores the network would have if every listed actor had
answered: the *true scores* the estimates are checked against.

:func:`bundled_survey` draws the two waves of the illustrative data of the ``chenove``
territory from the bundled sample's tables, with its own seeded generator, so that the
sample's other tables never change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from evaluation._io import atomic_write
from evaluation.errors import ConfigError
from evaluation.io.schema import INTENSITY_LEVELS
from evaluation.io.survey.answers import RESPONDENT_COLUMNS, TIE_COLUMNS, survey_files
from evaluation.io.survey.questions import TRUST_ITEMS, VALUE_ITEMS
from evaluation.io.survey.roster import declared_pairs, roster_frame
from evaluation.io.survey.writers import write_kobo_xlsx, write_odk_zip

__all__ = ["SurveyModel", "simulate_wave", "drop_respondents", "true_scores", "bundled_survey", "write_bundled_survey",
           "SURVEY_SEED", "BUNDLED_WAVES", "OUTSIDE_NAMES"]

#: Seed of the illustrative survey's own generator (the sample's tables use theirs).
SURVEY_SEED = 31
#: The illustrative waves of ``chenove`` (name and date; see :func:`bundled_survey` for the rest).
BUNDLED_WAVES = (("vague-1", dt.date(2019, 11, 15)), ("vague-2", dt.date(2024, 10, 15)))


@dataclass(frozen=True)
class SurveyModel:
    """The parameters answers are drawn from (see the module docstring)."""

    tie: float = 0.12
    tie_attended: float = 0.10
    levels: tuple[float, float, float, float] = (0.35, 0.35, 0.2, 0.1)
    recall: float = 0.9
    blur: float = 0.2
    trust: float = 2.6
    value: float = 2.4
    per_level: float = 0.3
    attended_bonus: float = 0.3
    noise: float = 0.8
    others: float = 0.15  # probability that a respondent rates a structure not in the list
    tie_declared: float = 0.7  # probability of a working relationship for a pair with a declared collaboration


def _items(rng: np.random.Generator, centre: np.ndarray, noise: float) -> np.ndarray:
    draws = centre[:, None] + rng.normal(0.0, noise, size=(centre.size, 3))
    return np.clip(np.rint(draws), 1, 4).astype(int)


def simulate_wave(roster: pd.DataFrame, *, rng: np.random.Generator, model: SurveyModel = SurveyModel(),
                  territory: str = "t", wave: str = "vague-1", date: dt.date = dt.date(2020, 1, 1),
                  outside: tuple[str, ...] = (), declared: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every listed actor's answers (respondents and ties tables, as
    :func:`~evaluation.io.survey.answers.read_survey` gives them) drawn from ``model``.

    ``roster``: indexed by ``actor_id``, with ``attended`` (bool), ``kind`` and ``commune_code``.
    ``outside``: pseudonyms of structures not in the list that respondents may rate. ``declared``:
    pairs (``actor_a``, ``actor_b``) with a declared collaboration, which have a working relationship
    (cooperation or more) with probability ``tie_declared``.
    """
    ids = roster.index.astype(str).to_numpy()
    came = roster["attended"].fillna(False).astype(bool).to_numpy()
    n = len(ids)
    iu, ju = np.triu_indices(n, 1)
    related = rng.random(iu.size) < model.tie + model.tie_attended * (came[iu] & came[ju])
    level = rng.choice(np.arange(1, 5), size=iu.size, p=list(model.levels))
    if declared is not None and len(declared):
        pos = pd.Index(ids)
        a_, b_ = pos.get_indexer(declared["actor_a"].astype(str)), pos.get_indexer(declared["actor_b"].astype(str))
        ok = (a_ >= 0) & (b_ >= 0) & (a_ != b_)
        lo, hi = np.minimum(a_[ok], b_[ok]), np.maximum(a_[ok], b_[ok])
        pair = lo * n + hi - (lo + 1) * (lo + 2) // 2  # position of (lo, hi) in the upper triangle's order
        working = rng.random(pair.size) < model.tie_declared
        related[pair[working]] = True
        level[pair[working]] = rng.choice(np.arange(2, 5), size=int(working.sum()), p=[0.55, 0.3, 0.15])
    a, b = iu[related], ju[related]
    true_level = level[related]
    side_i = np.concatenate([a, b])  # each relationship seen from both sides
    side_j = np.concatenate([b, a])
    seen = np.concatenate([true_level, true_level])
    said = rng.random(side_i.size) < model.recall
    off = rng.random(side_i.size) < model.blur
    shift = np.where(rng.random(side_i.size) < 0.5, -1, 1)
    reported = np.clip(seen + np.where(off, shift, 0), 1, 4)[said]
    i, j = side_i[said], side_j[said]
    if outside:
        extra = np.flatnonzero(rng.random(n) < model.others)
        i = np.concatenate([i, extra])
        j = np.concatenate([j, np.full(extra.size, -1)])
        reported = np.concatenate([reported, rng.choice(np.arange(1, 5), size=extra.size, p=list(model.levels))])
    centre_t = model.trust + model.per_level * (reported - 2) + model.attended_bonus * came[i]
    centre_v = model.value + model.per_level * (reported - 2) + model.attended_bonus * came[i]
    trust, value = _items(rng, centre_t, model.noise), _items(rng, centre_v, model.noise)
    names = np.array(list(ids) + [""], dtype=object)
    partner = names[j]
    if outside:
        partner[j < 0] = np.asarray(outside, dtype=object)[rng.integers(0, len(outside), int((j < 0).sum()))]
    response = np.array([f"{wave}#{k + 1}" for k in range(n)], dtype=object)
    respondents = pd.DataFrame({
        "response": response, "territory": territory, "wave": wave, "wave_date": pd.Timestamp(date),
        "respondent": ids, "listed": True, "kind": roster["kind"].astype(object).to_numpy(),
        "commune_code": roster["commune_code"].astype("string").to_numpy(),
        "attended": pd.array(came, dtype="boolean"), "layout": "simulation", "file": "simulation",
        "row": np.arange(2, n + 2)})
    ties = pd.DataFrame({
        "response": response[i], "territory": territory, "wave": wave, "respondent": ids[i], "partner": partner,
        "listed": j >= 0, "from_list": j >= 0, "partner_kind": None,
        "intensity": pd.Categorical.from_codes(reported - 1, categories=INTENSITY_LEVELS, ordered=True),
        **{item: pd.array(trust[:, k], dtype="Int64") for k, item in enumerate(TRUST_ITEMS)},
        **{item: pd.array(value[:, k], dtype="Int64") for k, item in enumerate(VALUE_ITEMS)},
        "file": "simulation", "row": np.arange(2, i.size + 2)})
    order = np.lexsort((ties["partner"].astype(str).to_numpy(), i))
    return respondents[RESPONDENT_COLUMNS], ties.iloc[order].reset_index(drop=True)[TIE_COLUMNS]


def drop_respondents(respondents: pd.DataFrame, ties: pd.DataFrame, probability: np.ndarray, *,
                     rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep each respondent with its ``probability`` of answering (one per row of ``respondents``)."""
    kept = rng.random(len(respondents)) < np.asarray(probability, dtype=float)
    chosen = respondents[kept]
    return chosen.reset_index(drop=True), ties[ties["response"].isin(chosen["response"])].reset_index(drop=True)


def true_scores(ties: pd.DataFrame, listed: int) -> dict[str, float]:
    """The network's scores when every one of the ``listed`` actors answered, from the complete
    answers' ties, in plain pandas (the listed partners' ties only).
    """
    t = ties[ties["listed"].astype(bool)]
    trust = t[list(TRUST_ITEMS)].astype(float).mean(axis=1)
    value = t[list(VALUE_ITEMS)].astype(float).mean(axis=1)
    level = t["intensity"].cat.codes + 1
    pairs = t[["respondent", "partner"]].astype(str).drop_duplicates()
    back = pairs.merge(pairs.rename(columns={"respondent": "partner", "partner": "respondent"}), how="inner")
    out = {"trust": trust.mean(), "value": value.mean(), "intensity": level.mean(),
           "reciprocity": len(back) / len(pairs) if len(pairs) else float("nan")}
    for k, name in enumerate(INTENSITY_LEVELS, start=1):
        out[f"density_{name}"] = (level >= k).sum() / (listed * (listed - 1))
    return {k: float(v) for k, v in out.items()}


def _tables(raw: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The sample's text tables typed as far as the roster needs (dates of events)."""
    events = raw["events"].assign(date=pd.to_datetime(raw["events"]["date"], format="%d/%m/%Y"))
    c = raw["collaborations"]
    collab = c.assign(start_date=pd.to_datetime(c["start_date"], format="%d/%m/%Y"),
                      end_date=pd.to_datetime(c["end_date"].replace("", None), format="%d/%m/%Y"))
    return {"actors": raw["actors"], "events": events, "attendance": raw["attendance"], "collaborations": collab}


def bundled_survey(raw: dict[str, pd.DataFrame], *, communes: tuple[str, ...], territory: str = "chenove",
                   seed: int = SURVEY_SEED) -> dict[str, tuple[pd.DataFrame, pd.DataFrame, dict[str, float]]]:
    """The illustrative survey of ``territory`` from the sample's text tables ``raw``: per wave of
    :data:`BUNDLED_WAVES`, the respondents and ties left after non-response, and the true scores.

    Wave 1: the model's defaults, about 35 % of the listed actors not answering at random.
    Wave 2: more ties and more trust for the actors who attended the events between the waves, and
    non-response related to attendance in the year before the wave (85 % of attendees answer, 45 %
    of the others). Pairs with a collaboration declared in the year before a wave mostly have a
    working relationship.
    """
    rng = np.random.default_rng(seed)
    t = _tables(raw)
    outside = tuple(f"P-hors-liste-{k}" for k in range(1, 5))  # replaced by written names when exported
    out = {}
    first = BUNDLED_WAVES[0][1]
    for k, (wave, date) in enumerate(BUNDLED_WAVES):
        since = date - dt.timedelta(days=365) if k == 0 else first
        roster = roster_frame(t["actors"], t["events"], t["attendance"], communes=communes, until=date, since=since)
        recent = roster_frame(t["actors"], t["events"], t["attendance"], communes=communes, until=date,
                              since=date - dt.timedelta(days=365))["attended"].to_numpy()
        model = SurveyModel() if k == 0 else replace(SurveyModel(), tie=0.10, tie_attended=0.10, trust=2.8,
                                                     attended_bonus=0.5)
        declared = declared_pairs(t["collaborations"], start=date - dt.timedelta(days=365), end=date)
        respondents, ties = simulate_wave(roster, rng=rng, model=model, territory=territory, wave=wave, date=date,
                                          outside=outside, declared=declared)
        truth = true_scores(ties, len(roster))
        chance = np.full(len(roster), 0.65) if k == 0 else np.where(recent, 0.85, 0.45)
        respondents, ties = drop_respondents(respondents, ties, chance, rng=rng)
        out[wave] = (respondents, ties, truth)
    return out




#: Names of the structures not in the list that the illustrative respondents write in.
OUTSIDE_NAMES = {"P-hors-liste-1": "Collectif des Lilas (hors liste)", "P-hors-liste-2": "Amicale du Plateau",
                 "P-hors-liste-3": "Ferme de la Combe", "P-hors-liste-4": "Épicerie de la Source"}


def write_bundled_survey(raw: dict[str, pd.DataFrame], out_dir: Path | str, *, communes: tuple[str, ...],
                         commune_names: dict[str, str], territory: str = "chenove", seed: int = SURVEY_SEED,
                         overwrite: bool = False) -> list[Path]:
    """Write the illustrative survey (:func:`bundled_survey`) into ``out_dir`` as the tools export it:
    wave 1 as KoboToolbox's XLSX with French labels, wave 2 as ODK Central's zip of CSV files, and a
    ``README.md`` giving the true scores (every listed actor answering) they were drawn with. A folder
    that already holds exports is left alone unless ``overwrite`` (like the sample's tables).
    """
    out = Path(out_dir)
    existing = sorted(p.name for p in survey_files(out))
    if existing and not overwrite:
        raise ConfigError(code="sample_exists", folder=str(out), files=existing)
    waves = bundled_survey(raw, communes=communes, territory=territory, seed=seed)
    names = dict(zip(raw["actors"]["actor_id"].astype(str), raw["actors"]["name"].astype(str), strict=True))
    names.update(OUTSIDE_NAMES)
    written = []
    for k, (wave, (respondents, ties, _)) in enumerate(waves.items()):
        form_id = f"enquete_{territory}_{wave}".replace("-", "_")
        if k == 0:
            written.append(write_kobo_xlsx(respondents, ties, out / f"{form_id}.xlsx", names=names,
                                           communes=commune_names, title=f"Enquête partenaires {territory}"))
        else:
            written.append(write_odk_zip(respondents, ties, out / f"{form_id}.zip", form_id=form_id, names=names))
    columns = list(next(iter(waves.values()))[2])
    lines = ["# Enquête partenaires : réponses illustratives", "",
             f"Réponses **générées** (graine {seed}) à partir des tables illustratives : elles ne sont pas observées. "
             "La vague 1 est un export KoboToolbox (XLSX, libellés en français), la vague 2 un export ODK Central "
             "(zip de CSV). Les « vraies » valeurs ci-dessous sont celles du réseau si toutes les structures de la "
             "liste avaient répondu ; les estimations du rapport doivent les approcher, avec leurs intervalles.", "",
             "| vague | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    lines += [f"| {wave} | " + " | ".join(f"{truth[c]:.4f}" for c in columns) + " |"
              for wave, (_, _, truth) in waves.items()]
    written.append(atomic_write(out / "README.md", lambda p: p.write_text("\n".join(lines) + "\n", encoding="utf-8")))
    return written
