"""Publishing the network chapter: ``publish_network`` (the crude comparisons, the models, the
network files and the adjusted effect) and its mechanisms (dose, timing, venues, structure,
bridging): what may be shown.

:func:`mechanism_counts` lists the counts the annex prints that no other table holds (new
ties after meeting at each venue, at all of them, elsewhere), for the secrecy audit
(:func:`evaluation.report.secrecy.links.linked_cells`); :func:`publish_mechanisms` builds
:class:`evaluation.report.published.PublishedMechanisms` once the audit has decided:

* the ratios of the two-period pair table (dose, structure, bridging, split date moved) rest
  on the conversion counts: withheld with them, as the headline estimate;
* a venue's row (its count of new ties and its ratio) is withheld with its count; its
  participants below the threshold, and the first venue's when the reach chapter withholds
  them (the same actors);
* the equivalence test is published with the falsification test it reads;
* the discrete-time model, the event study, the mixing of ties and the boundary rest on
  counts of ties and actors, which describe the network and are published — except, as for
  the network files, the counts of actors by QPV, rural commune, or origin (and the shares
  expected under random mixing, which give them back) when a cell of the tiers-lieu's tables
  is withheld: the same actors' attributes would give it back (the indicator
  ``liens_passerelles`` then keeps its value and drops those numbers from its definition).
"""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pandas as pd

from evaluation.config import ascii_slug
from evaluation.io.pseudonyms import resolve_key
from evaluation.measures.network.analysis import NetworkAnalysis
from evaluation.measures.network.models import AdjustedModel, combination
from evaluation.report.network_export import actor_numbers, published_network
from evaluation.report.published import (
    Estimate,
    NetworkPublication,
    PublishedMechanisms,
    VenuePublication,
    _blank,
    _estimate,
    _publish_effect,
    _publish_model,
)
from evaluation.report.secrecy.disclosure import Disclosure
from evaluation.report.tables import period_label

__all__ = ["mechanism_counts", "publish_mechanisms", "publish_network"]

_NUMBERS = ["ratio", "ci_low", "ci_high", "p_value"]


def mechanism_counts(net: NetworkAnalysis | None) -> pd.DataFrame | None:
    """The annex's own counts (``key``, ``count``): new ties after meeting at each venue
    (``venue_new|<k>``), at any (``venue_new|all``), elsewhere (``venue_new|elsewhere``).
    """
    m = net.mechanisms if net is not None else None
    if m is None or m.venues is None:
        return None
    keys = [f"venue_new|{k}" for k in range(len(m.venues.labels))] + ["venue_new|all", "venue_new|elsewhere"]
    return pd.DataFrame({"key": keys, "count": m.venues.reach["new_ties_after"].to_numpy(dtype=float)})


def _table(model: AdjustedModel, *, withheld: bool, name: str = "") -> pd.DataFrame:
    """A model's terms with ``reason`` (the model's when a term is not estimable), blanked when withheld."""
    t = model.table.copy()
    t.insert(0, "model", name or model.name)
    t["reason"] = np.where(t["estimable"], None, model.reason or "not_identified")
    if withheld:
        t[_NUMBERS] = np.nan
        t["reason"] = None
    t["withheld"] = withheld
    return t[["model", "term", *_NUMBERS, "estimable", "reason", "withheld"]]


def _one(model: AdjustedModel, term: str, *, withheld: bool) -> Estimate:
    row = model.term(term)
    return _estimate(row["ratio"], row["ci_low"], row["ci_high"], row["p_value"],
                     reason=None if row["estimable"] else (model.reason or "not_identified"), withheld=withheld)


def publish_mechanisms(net: NetworkAnalysis, published: NetworkPublication, *, counts: pd.DataFrame | None,
                       venue: VenuePublication | None, threshold: int,
                       indicators: pd.DataFrame | None = None) -> PublishedMechanisms | None:
    """The mechanisms of ``net`` for publication (see the module), beside the chapter's
    ``published`` numbers (conversion counts, falsification) and the reach chapter's ``venue``;
    ``counts`` are :func:`mechanism_counts` with the audit's ``suppressed`` column;
    ``indicators`` (the publication's, changed in place) get ``liens_passerelles``'s
    definition without its counts when those are withheld.
    """
    m = net.mechanisms
    if m is None:
        return None
    hidden = bool(published.conversion["suppressed"].any())
    f = published.effect.falsification if published.effect is not None else None
    placebo_shown = bool(f is not None and f.shown)
    first_participants_shown = venue is None or venue.participants is not None
    attributes_withheld = venue is not None and any(bool(t["suppressed"].any()) for t in (venue.origins,
                                                                                        venue.participations))
    d = m.dose
    dose = pd.concat([_table(x, withheld=hidden, name=k) for k, x in
                      (("count", d.count), ("classes", d.classes), ("size", d.size), ("newman", d.newman),
                       ("kinds", d.kinds))], ignore_index=True)
    eq = m.equivalence
    equivalence = {"verdict": eq.verdict if placebo_shown else None, "margin": eq.margin,
                   "p_value": eq.p_value if placebo_shown else np.nan, "low": eq.low if placebo_shown else np.nan,
                   "high": eq.high if placebo_shown else np.nan, "estimable": eq.estimable, "shown": placebo_shown}
    mixing = pd.DataFrame([{k: getattr(x, k) for k in ("attribute", "period", "actors", "group_actors", "ties",
                                                       "bridging", "share", "expected", "low", "high", "p_value",
                                                       "estimable")} for x in m.mixing])
    bound = dict(vars(m.boundary))
    if attributes_withheld:
        mixing[["group_actors", "expected", "low", "high", "p_value"]] = np.nan
        bound.update(known_here=None, participants=None, participants_from_outside=None, never_attended=None)
        if indicators is not None and "liens_passerelles" in set(indicators["code"]):
            indicators.loc[indicators["code"] == "liens_passerelles", "definition"] = _PASSERELLES
    bridging = pd.concat([_table(x, withheld=hidden, name=k).assign(attribute=k) for k, x in m.bridging.items()],
                         ignore_index=True) if m.bridging else pd.DataFrame()
    split = m.split_sensitivity.copy()
    if hidden:
        split[["ratio", "ci_low", "ci_high"]] = np.nan
    split["withheld"] = hidden
    dt = m.discrete_time
    study = m.event_study.profile.copy() if m.event_study is not None else pd.DataFrame()
    venues, venue_effect = _venues(m, counts, threshold=threshold, first_participants_shown=first_participants_shown)
    return PublishedMechanisms(
        model=net.effect.model if net.effect is not None else None, withheld=hidden, dose=dose,
        dose_per_event=_one(d.count, "shared_events", withheld=hidden), small_threshold=d.small_threshold,
        small_vs_large=_contrast(d.size, {"small_events": 1.0, "large_events": -1.0}, withheld=hidden),
        kind_labels=dict(d.kind_labels), structure=_table(m.structure, withheld=hidden),
        structure_controls=[c for c in m.dose.count.controls], equivalence=equivalence, mixing=mixing,
        bridging=bridging, discrete_time=_one(dt, "met", withheld=False), discrete_time_model=dt.model,
        discrete_time_reason=dt.reason, windows=list(m.windows), panel_rows=int(m.panel_rows),
        panel_ties=int(dt.n_new_ties), event_study=study, split=split, venues=venues, venue_effect=venue_effect,
        boundary=bound, sampled=bool(m.sampled), attributes_withheld=attributes_withheld)


#: The definition of ``liens_passerelles`` without the counts of actors (see the module).
_PASSERELLES = ("Part des liens de collaboration actifs après la date charnière qui relient une structure située en QPV "
                "et une structure hors QPV ; la part attendue si les liens se formaient au hasard entre les acteurs "
                "présents n'est pas publiée ici : avec leur nombre, elle donnerait celui des acteurs du QPV, qui "
                "permettrait de retrouver des effectifs couverts par le secret statistique.")


def _contrast(model: AdjustedModel, weights: dict[str, float], *, withheld: bool) -> Estimate:
    c = combination(model, weights)
    return _estimate(c["ratio"], c["ci_low"], c["ci_high"], c["p_value"], withheld=withheld)


def _venues(m, counts: pd.DataFrame | None, *, threshold: int,
            first_participants_shown: bool) -> tuple[pd.DataFrame | None, Estimate | None]:
    """The venues' table (each venue, all of them when several, elsewhere) and the ratio for all."""
    v = m.venues
    if v is None:
        return None, None
    r = v.reach.copy()
    n = len(v.labels)
    flags = (counts.set_index("key")["suppressed"].astype(bool) if counts is not None and "suppressed" in counts
             else pd.Series(False, index=[f"venue_new|{k}" for k in range(n)] + ["venue_new|all",
                                                                                   "venue_new|elsewhere"]))
    keys = [f"venue_new|{k}" for k in range(n)] + ["venue_new|all", "venue_new|elsewhere"]
    r["key"] = keys
    r["suppressed"] = [bool(flags.get(k, False)) for k in keys]
    terms = ([f"met_venue_{k}" for k in range(n)] if v.each is not None else ["met_venues"]) + \
        ["met_venues", "met_elsewhere"]
    models = ([v.each] * n if v.each is not None else [v.together]) + [v.together, v.together]
    rows = []
    for (_, row), term, model in zip(r.iterrows(), terms, models, strict=True):
        est = _one(model, term, withheld=bool(row["suppressed"]))
        rows.append({"ratio": est.value, "ci_low": est.low, "ci_high": est.high, "p_value": est.p_value,
                     "estimable": est.estimable, "reason": est.reason})
    out = pd.concat([r.reset_index(drop=True), pd.DataFrame(rows)], axis=1)
    out["new_ties"] = out["new_ties_after"].astype(float).where(~out["suppressed"])
    small = (out["participants"] > 0) & (out["participants"] < threshold)
    out["participants"] = out["participants"].astype(float).where(~small)
    if not first_participants_shown:
        out.loc[0, "participants"] = np.nan
    if n == 1:
        out = out[out["key"] != "venue_new|all"].reset_index(drop=True)
    all_row = r.set_index("key").loc["venue_new|all"]
    effect = _one(v.together, "met_venues", withheld=bool(all_row["suppressed"]))
    return out.drop(columns=["new_ties_after"]), effect


def publish_network(ctx, net: NetworkAnalysis, conversion_table: pd.DataFrame,
                     protect: Disclosure, *, warnings: list[str], venue_withheld: bool = False) -> NetworkPublication:
    """The network chapter's publication (``ctx``: the report's
    :class:`evaluation.report.context.ReportContext`). The network files are withheld when a
    conversion count or a tiers-lieu origin is: their ties and actors' communes would give them back.
    """
    c, ch = net.conversion, net.change
    hidden = bool(conversion_table["suppressed"].any())
    reason = ("zero_cell" if min(c.met_new, c.unmet_new) == 0 else None) if c.met_total and c.unmet_total \
        else "no_variation"
    risk = _estimate(c.risk_ratio, c.ci_low, c.ci_high, c.p_value, result=c, reason=reason, withheld=hidden)
    model = _publish_model(net.model, "odds_ratio", withheld=False, units=net.model.n_dyads,
                           not_converged="convergence" in warnings, events=net.model.new_ties)
    q = net.qap
    qap = _estimate(q.statistic, p_value=q.p_value, result=q, need_interval=False,
                    reason=None if np.isfinite(q.statistic) else "no_variation")
    roles = dict(ctx.territory.network_roles)
    rows = [{"period": period_label(label), "role": roles.get(r.actor_id, r.actor_id), "degree": r.degree,
             "betweenness": r.betweenness, "constraint": r.constraint, "effective_size": r.effective_size}
            for label, b in net.brokerage.items() for r in b.itertuples(index=False)]
    exports = None
    if not hidden and not venue_withheld:
        node_columns = ["kind", "sector", "commune_code", "urban_rural", "qpv"]
        # One opaque number per actor for every file of the report: the exports' ids are never published.
        numbers = actor_numbers(net.actors.index, resolve_key())
        exports = {f"{kind}_{ascii_slug(period_label(p.label))}": published_network(
                       edges[p.label], net.actors.loc[net.active[p.label], node_columns], numbers=numbers, roles=roles)
                   for p in net.periods for kind, edges in (("collaboration", net.collaboration),
                                                            ("copresence", net.copresence))}
    change = {k: (len(v) if isinstance(v, list) else v) for k, v in asdict(ch).items()}  # counts, not actors
    return NetworkPublication(
        periods=[period_label(p.label) for p in net.periods],
        active={period_label(k): len(v) for k, v in net.active.items()}, change=change,
        description=net.description, graphs={period_label(p.label): net.graph(p.label) for p in net.periods},
        roles=roles,
        conversion=_blank(conversion_table), risk_ratio=risk, model=model, qap=qap,
        qap_permutations=q.permutations, qap_seed=q.seed, brokerage=pd.DataFrame(rows), exports=exports,
        effect=_publish_effect(net, hidden=hidden, protect=protect))
