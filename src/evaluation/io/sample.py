"""Illustrative data: a deterministic, realistic generator on the real communes.

**The data this module writes are illustrative, not observed.** They are shaped after
the press article the project started from (``shared/seeds``): about 68 creation and
development projects in the latest year, 63 DLA structures of which about half in rural
communes (notably Châtillonnais and Auxois), the Chenôve accompaniment from 2018 on with
a tiers-lieu phase from the territory's split date, and collaborations that form more
often between actors who met at events. Every name is invented.

The files are written the way evaluators' exports look: ``;`` separators,
``dd/mm/yyyy`` dates, ``oui``/``non``, Windows-1252 or UTF-8 with BOM, and the actors
table as XLSX.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from evaluation._io import atomic_write
from evaluation.errors import ConfigError
from evaluation.geo.territory import Territory

__all__ = ["generate_sample", "generate_accompaniments", "sample_anchors", "Anchors", "write_sample", "SAMPLE_NOTE", "FIRST_YEAR", "LAST_YEAR"]

FIRST_YEAR, LAST_YEAR = 2018, 2024
SAMPLE_NOTE = (
    "Données illustratives générées par `evaluation sample` (graine {seed}) sur des communes "
    "réelles : elles ne sont pas observées et ne décrivent aucune structure réelle."
)

# Communes of Côte-d'Or with priority neighbourhoods (QPV), used to draw `in_qpv`.
QPV_SHARE = {"21166": 0.55, "21231": 0.2, "21617": 0.3, "21515": 0.25, "21355": 0.25,
             "21054": 0.15, "21425": 0.2}
CHENOVE, DIJON = "21166", "21231"
EPCI_CHATILLONNAIS = {"242101434"}
EPCI_AUXOIS = {"200071017", "242101491", "242101459", "200071207", "242101442", "200071173"}

CREATION_DEV_PER_YEAR = [40, 45, 49, 53, 58, 63, 68]
DLA_PER_YEAR = [47, 50, 52, 55, 57, 60, 63]
TIERS_LIEU_PER_YEAR = [0, 0, 4, 6, 7, 8, 9]

SECTORS_PROJECTS = ["services aux personnes", "commerce de proximité", "agriculture", "numérique",
                    "artisanat", "alimentation", "culture", "mobilité"]
SECTORS_DLA = ["insertion par l'activité économique", "action sociale", "culture", "sport",
               "environnement", "éducation populaire", "services aux personnes"]
ACTOR_KINDS = {"association": 0.34, "ess_enterprise": 0.14, "business": 0.2, "local_authority": 0.08,
               "social_landlord": 0.04, "residents_group": 0.08, "institution": 0.12}
NAME_HEADS = ["Atelier", "Ressourcerie", "Jardins", "Panier", "Maison", "Collectif", "Fabrique",
              "Comptoir", "Compagnie", "Réseau", "Cercle", "Épicerie", "Garage", "Pépinière"]
NAME_TAILS = ["des Tilleuls", "du Plateau", "de la Combe", "des Saules", "du Lavoir", "des Vergers",
              "de la Source", "du Coteau", "des Lilas", "de la Halle", "du Moulin", "des Prés"]

ANY = ("chenove", "dijon-metropole", "chatillonnais", "auxois")
# (themes, territories where the quote makes sense, text): invented, written after the press article.
TESTIMONIES = [
    ("lien social|coopération", ("chenove",),
     "Avant, on se croisait aux réunions de quartier sans jamais travailler ensemble ; depuis les ateliers, on "
     "monte un projet commun avec l'épicerie."),
    ("emploi|sens", ANY, "J'ai quitté un travail qui n'avait plus de sens ; l'accompagnement m'a aidée à créer mon "
                         "activité de services à domicile."),
    ("coopération|confiance", ("chenove",), "Le comité de pilotage nous a mis autour de la même table que le "
                                            "bailleur et {actor}. Aujourd'hui on se téléphone directement."),
    ("accès aux services", ("chenove",), "Les habitants du Mail n'avaient pas de lieu pour réparer un vélo ou "
                                         "imprimer un CV ; le tiers-lieu répond à ça."),
    ("rural|isolement", ("chatillonnais",), "Dans le Châtillonnais, on est loin de tout : que le DLA vienne jusqu'à "
                                            "nous a changé notre façon de voir l'association."),
    ("montée en compétences", ANY, "Le diagnostic DLA nous a permis de revoir notre modèle économique et de "
                                   "consolider deux postes."),
    ("emploi|rural", ("chatillonnais", "auxois"), "Sans l'appui du Pôle, l'épicerie du village aurait fermé ; elle "
                                                  "emploie maintenant trois personnes."),
    ("lien social", ("chenove", "dijon-metropole"), "Ce qui a changé, c'est qu'on connaît les autres structures du "
                                                    "quartier par leur prénom."),
    ("coopération", ("chenove", "dijon-metropole"), "On mutualise désormais un véhicule avec {actor}, rencontré "
                                                    "au forum."),
    ("sens|montée en compétences", ANY, "On m'a aidé à passer de l'idée au projet, sans jamais décider à ma place."),
    ("confiance|lien social", ("chenove", "dijon-metropole"), "Les réunions ont permis de lever des méfiances "
                                                              "anciennes entre commerçants et associations."),
    ("accès aux services|rural", ("auxois",), "Pour nous, en Auxois, l'accompagnement à distance puis sur place a "
                                              "été décisif."),
]


def _dates(rng: np.random.Generator, year: int, n: int) -> pd.DatetimeIndex:
    start = pd.Timestamp(year=year, month=1, day=1)
    return start + pd.to_timedelta(rng.integers(0, 365, n), unit="D")


def _pick(rng: np.random.Generator, pool: pd.DataFrame, weights: np.ndarray, n: int) -> np.ndarray:
    if n == 0 or pool.empty:
        return np.array([], dtype=object)
    w = np.asarray(weights, dtype=float)
    return pool["commune_code"].to_numpy()[rng.choice(len(pool), size=n, p=w / w.sum())]


def _names(rng: np.random.Generator, n: int, prefix: str) -> list[str]:
    heads = rng.choice(NAME_HEADS, n)
    tails = rng.choice(NAME_TAILS, n)
    return [f"{prefix}{h} {t} {i + 1:03d}" for i, (h, t) in enumerate(zip(heads, tails, strict=False))]


def _accompaniments(rng, reference: pd.DataFrame, *, scale: float, anchors: Anchors | None = None) -> pd.DataFrame:
    anchors = anchors or sample_anchors(reference, {})
    reference = reference[reference["population"].fillna(0) > 0]
    pop = reference["population"].astype(float).to_numpy()
    rural = (reference["urban_rural"] == "rural").to_numpy()
    focus = reference["epci_siren"].isin(EPCI_CHATILLONNAIS | EPCI_AUXOIS).to_numpy()
    urban_pool, rural_pool = reference[~rural], reference[rural]
    urban_w = pop[~rural] * np.where(urban_pool["commune_code"] == anchors.hub, 6.0, 1.0)
    rural_w = np.sqrt(pop[rural]) * np.where(focus[rural], 2.5, 1.0)
    if urban_pool.empty or rural_pool.empty:  # a département without rural (Paris) or urban communes
        urban_pool = rural_pool = reference
        urban_w = rural_w = pop * np.where(reference["commune_code"] == anchors.hub, 6.0, 1.0)
    rows = []
    for i, year in enumerate(range(FIRST_YEAR, LAST_YEAR + 1)):
        n_proj = int(round(CREATION_DEV_PER_YEAR[i] * scale))
        n_dla = int(round(DLA_PER_YEAR[i] * scale))
        n_tl = int(round(TIERS_LIEU_PER_YEAR[i] * scale))
        n_proj_rural = rng.binomial(n_proj, 0.27)
        n_dla_rural = n_dla // 2 + rng.integers(0, 2)
        share_creation = 0.6
        proj_codes = np.concatenate([_pick(rng, urban_pool, urban_w, n_proj - n_proj_rural),
                                     _pick(rng, rural_pool, rural_w, n_proj_rural)])
        proj_prog = np.where(rng.random(n_proj) < share_creation, "creation", "development")
        dla_codes = np.concatenate([_pick(rng, urban_pool, urban_w, n_dla - n_dla_rural),
                                    _pick(rng, rural_pool, rural_w, n_dla_rural)])
        tl_codes = np.full(n_tl, anchors.hub, dtype=object)
        codes = np.concatenate([proj_codes, dla_codes, tl_codes])
        prog = np.concatenate([proj_prog, np.full(n_dla, "dla"), np.full(n_tl, "tiers_lieu")])
        rows.append(pd.DataFrame({"year": year, "programme": prog, "commune_code": codes}))
    acc = pd.concat(rows, ignore_index=True)
    n = len(acc)
    acc["start"] = np.concatenate([_dates(rng, y, c) for y, c in acc.groupby("year", sort=True).size().items()])
    months = np.where(acc["programme"] == "dla", rng.integers(6, 19, n), rng.integers(3, 13, n))
    acc["end"] = acc["start"] + pd.to_timedelta(months * 30, unit="D")
    cutoff = pd.Timestamp(year=LAST_YEAR, month=12, day=31)
    qpv_p = acc["commune_code"].map(anchors.qpv_share).fillna(0.0).to_numpy()
    qpv_p = np.where(acc["programme"] == "tiers_lieu", 0.8, qpv_p)
    acc["in_qpv"] = rng.random(n) < qpv_p
    is_dla = (acc["programme"] == "dla").to_numpy()
    acc["sector"] = np.where(is_dla, rng.choice(SECTORS_DLA, n), rng.choice(SECTORS_PROJECTS, n))
    lam_created = acc["programme"].map({"creation": 1.3, "development": 1.8, "dla": 0.4, "tiers_lieu": 0.8})
    lam_kept = acc["programme"].map({"creation": 0.0, "development": 3.0, "dla": 6.0, "tiers_lieu": 1.0})
    acc["jobs_created"] = rng.poisson(lam_created.to_numpy())
    acc["jobs_maintained"] = rng.poisson(lam_kept.to_numpy()) + is_dla
    # Some development and DLA accompaniments concern a structure accompanied before in the
    # same commune: each such row points to a uniformly drawn earlier row of its commune.
    structure = np.arange(1, n + 1)
    reuse = (acc["programme"] != "creation").to_numpy() & (rng.random(n) < 0.15)
    order = np.lexsort((np.arange(n), acc["commune_code"].to_numpy()))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = acc["commune_code"].iloc[order].groupby(acc["commune_code"].iloc[order].to_numpy()).cumcount().to_numpy()
    draw = np.floor(rng.random(n) * rank).astype(np.int64)  # earlier rank in the commune
    earlier = np.flatnonzero(reuse & (rank > 0))
    pos_in_order = np.empty(n, dtype=np.int64)
    pos_in_order[order] = np.arange(n)
    target = order[pos_in_order[earlier] - rank[earlier] + draw[earlier]]
    structure[earlier] = structure[target]
    names = _names(rng, n, "")
    return pd.DataFrame({
        "accompaniment_id": [f"ACC-{k:05d}" for k in range(1, n + 1)],
        "structure_id": [f"S{s:05d}" for s in structure],
        "structure_name": [names[s - 1] for s in structure],
        "programme": acc["programme"],
        "commune_code": acc["commune_code"],
        "in_qpv": np.where(acc["in_qpv"], "oui", "non"),
        "start_date": acc["start"].dt.strftime("%d/%m/%Y"),
        "end_date": acc["end"].where(acc["end"] <= cutoff).dt.strftime("%d/%m/%Y").fillna(""),
        "sector": acc["sector"],
        "jobs_created": acc["jobs_created"],
        "jobs_maintained": acc["jobs_maintained"],
    })


def _network(rng, reference: pd.DataFrame, anchors: Anchors) -> dict[str, pd.DataFrame]:
    split = pd.Timestamp(anchors.split_date)
    peopled = reference[reference["population"].fillna(0) > 0]
    hub_epci = peopled.loc[peopled["commune_code"] == anchors.hub, "epci_siren"]
    metro = peopled[peopled["epci_siren"].isin(hub_epci.dropna())]
    metro = metro if len(metro) else peopled
    rural_pool = peopled[peopled["urban_rural"] == "rural"]
    rural_pool = rural_pool if len(rural_pool) else peopled
    CHENOVE, DIJON = anchors.hub, anchors.support  # noqa: N806 (the tiers-lieu's and the support organisation's communes)
    n = 90
    kinds = rng.choice(list(ACTOR_KINDS), n, p=list(ACTOR_KINDS.values()))
    place = rng.choice(["chenove", "metro", "rural"], n, p=[0.55, 0.3, 0.15])
    communes = np.where(place == "chenove", CHENOVE,
                        np.where(place == "metro", _pick(rng, metro, metro["population"].to_numpy(), n),
                                 _pick(rng, rural_pool, np.sqrt(rural_pool["population"].to_numpy()), n)))
    in_qpv = (communes == CHENOVE) & (rng.random(n) < 0.5)
    sectors = rng.choice(SECTORS_PROJECTS + SECTORS_DLA, n)
    actors = pd.DataFrame({"actor_id": [f"A{k:03d}" for k in range(1, n + 1)],
                           "name": _names(rng, n, ""), "kind": kinds, "sector": sectors,
                           "commune_code": communes, "in_qpv": in_qpv})
    # The support organisation and the tiers-lieu are actors too.
    actors.loc[0, ["name", "kind", "commune_code", "in_qpv", "sector"]] = [
        "Pôle d'économie solidaire (fictif)", "institution", DIJON, False, "accompagnement"]
    actors.loc[1, ["name", "kind", "commune_code", "in_qpv", "sector"]] = [
        anchors.venue_name, "ess_enterprise", CHENOVE, True, "accompagnement"]
    # Events: meeting work from 2018, denser with the tiers-lieu phase.
    ev_rows = []
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        count = 10 if pd.Timestamp(year=year, month=1, day=1) < split else 22
        dates = _dates(rng, year, count)
        kinds_ev = rng.choice(["rencontre d'acteurs", "atelier", "comité de pilotage", "forum",
                               "café des partenaires"], count, p=[0.35, 0.3, 0.15, 0.1, 0.1])
        organiser = np.where(dates < split, "A001", rng.choice(["A001", "A002"], count, p=[0.4, 0.6]))
        commune = np.where(rng.random(count) < 0.85, CHENOVE, DIJON)
        ev_rows.append(pd.DataFrame({"date": dates, "kind": kinds_ev, "organiser": organiser,
                                     "commune_code": commune}))
    events = pd.concat(ev_rows, ignore_index=True).sort_values("date", ignore_index=True)
    events.insert(0, "event_id", [f"E{k:04d}" for k in range(1, len(events) + 1)])
    # Attendance: actors with a propensity; those of Chenôve come more often.
    propensity = rng.beta(1.5, 4.0, n) * np.where(communes == CHENOVE, 1.6, 1.0)
    propensity[:2] = 1.0
    joins = np.where(rng.random(n) < 0.25, split + pd.to_timedelta(rng.integers(0, 900, n), unit="D"),
                     pd.Timestamp(FIRST_YEAR, 1, 1))
    present = (rng.random((len(events), n)) < np.clip(propensity * 0.45, 0, 0.95)) & (
        events["date"].to_numpy()[:, None] >= joins[None, :])
    ev_idx, act_idx = np.nonzero(present)
    attendance = pd.DataFrame({"event_id": events["event_id"].to_numpy()[ev_idx],
                               "actor_id": actors["actor_id"].to_numpy()[act_idx]})
    # Co-attendance before the split, as an actor × actor count matrix.
    before = events["date"].to_numpy() < split
    m = present[before].astype(float)
    co_before = m.T @ m
    iu = np.triu_indices(n, 1)
    shared = co_before[iu]
    same_kind = kinds[iu[0]] == kinds[iu[1]]
    # Before: few ties, barely related to co-presence ("rubbed shoulders but did not work together").
    p_before = 1 / (1 + np.exp(-(-5.0 + 0.05 * np.minimum(shared, 5))))
    # After: meeting turns into collaboration (true log-odds effect 0.5 per shared event, capped at 6).
    p_after = 1 / (1 + np.exp(-(-4.3 + 0.5 * np.minimum(shared, 6) + 0.4 * same_kind)))
    tie_before = rng.random(shared.size) < p_before
    tie_after = ~tie_before & (rng.random(shared.size) < p_after)
    collab = []
    for mask, start, days in [(tie_before, pd.Timestamp(FIRST_YEAR, 3, 1), (split - pd.Timestamp(FIRST_YEAR, 3, 1)).days),
                              (tie_after, split + pd.Timedelta(days=60), 1700)]:
        k = int(mask.sum())
        a, b = iu[0][mask], iu[1][mask]
        swap = rng.random(k) < 0.5
        collab.append(pd.DataFrame({
            "actor_a": actors["actor_id"].to_numpy()[np.where(swap, b, a)],
            "actor_b": actors["actor_id"].to_numpy()[np.where(swap, a, b)],
            "start_date": (start + pd.to_timedelta(rng.integers(0, days, k), unit="D")).strftime("%d/%m/%Y"),
            "kind": rng.choice(list(("joint_project", "partnership", "purchase", "pooling")), k, p=[0.35, 0.3, 0.15, 0.2]),
            "source": rng.choice(["enquête réseau", "entretien", "compte rendu de comité"], k),
            "intensity": rng.choice(["awareness", "cooperation", "coordination", "integration"], k,
                                    p=[0.2, 0.45, 0.25, 0.1]),
        }))
    collaborations = pd.concat(collab, ignore_index=True)
    # About a third of the early ties ended before the split (projects that closed).
    began = pd.to_datetime(collaborations["start_date"], format="%d/%m/%Y")
    ended = (began < split).to_numpy() & (rng.random(len(collaborations)) < 0.35)
    end = began + (split - began) * rng.uniform(0.2, 0.95, len(collaborations))
    collaborations.insert(3, "end_date", np.where(ended, end.dt.strftime("%d/%m/%Y"), ""))
    events["date"] = events["date"].dt.strftime("%d/%m/%Y")
    actors["in_qpv"] = np.where(actors["in_qpv"], "oui", "non")
    return {"actors": actors, "events": events, "attendance": attendance, "collaborations": collaborations}


def _testimonies(rng, actors: pd.DataFrame, n: int = 36, *, anchors: Anchors | None = None) -> pd.DataFrame:
    """Testimonies; some name an actor, as real ones do (names are pseudonymised at load).

    On the bundled reference each quote goes to a territory it makes sense for; on another
    reference only the quotes that name no place are used, spread over ``anchors.slugs``
    (the territories of ``territories.yml`` that lie in the reference; none: no territory).
    """
    if anchors is None or anchors.bundled:
        territory = rng.choice(list(ANY), n, p=[0.5, 0.2, 0.15, 0.15])
        picks = [int(rng.choice([k for k, (_, where, _) in enumerate(TESTIMONIES) if t in where])) for t in territory]
    else:
        generic = [k for k, (_, where, _) in enumerate(TESTIMONIES) if where == ANY]
        territory = rng.choice(list(anchors.slugs), n) if anchors.slugs else np.full(n, "", dtype=object)
        picks = [int(k) for k in rng.choice(generic, n)]
    years = rng.integers(2019, LAST_YEAR + 1, n)
    dates = [_dates(rng, int(y), 1)[0].strftime("%d/%m/%Y") for y in years]
    return pd.DataFrame({
        "testimony_id": [f"T{k:03d}" for k in range(1, n + 1)],
        "date": dates,
        "actor_kind": rng.choice(list(ACTOR_KINDS) + ["habitant", "porteur de projet"], n),
        "territory": territory,
        "themes": [TESTIMONIES[i][0] for i in picks],
        "text": [TESTIMONIES[i][2].format(actor=actors["name"].iloc[(7 * k) % len(actors)])
                 for k, i in enumerate(picks)],
    })


def generate_accompaniments(reference: pd.DataFrame, *, seed: int = 2024, scale: float = 1.0) -> pd.DataFrame:
    """Only the accompaniments table of :func:`generate_sample`, on any commune reference.

    Vectorised, so that ``scale`` can reach a million rows (benchmarks).
    """
    return _accompaniments(np.random.default_rng(seed), reference, scale=scale)


@dataclass(frozen=True)
class Anchors:
    """Where the illustrative story takes place on a commune reference.

    On the bundled Côte-d'Or reference (``bundled``): the tiers-lieu in Chenôve, the
    support organisation in Dijon, the ``chenove`` territory's split date. On any other
    reference: the tiers-lieu in the commune of the first territory whose ``venue`` lies in
    the reference (else the most populous commune), the support organisation at that
    territory's first other site (else the most populous other commune of the hub's EPCI).
    """

    hub: str
    support: str
    split_date: dt.date
    qpv_share: dict[str, float]
    slugs: tuple[str, ...] = ()
    bundled: bool = False
    venue_name: str = "Tiers-lieu (fictif)"


def sample_anchors(reference: pd.DataFrame, territories: dict[str, Territory]) -> Anchors:
    """The :class:`Anchors` of the illustrative data on ``reference`` (any département or France)."""
    codes = set(reference["commune_code"])
    epcis, deps = set(reference["epci_siren"].dropna()), set(reference["departement"])
    # The territories wholly in the reference (as evaluation.geo.reference.territory_communes resolves them).
    inside = [slug for slug, t in territories.items()
              if (t.communes or t.epcis or t.departements) and set(t.communes) <= codes
              and set(t.epcis) <= epcis and set(t.departements) <= deps]
    chenove = territories.get("chenove")
    if CHENOVE in codes and ("chenove" in inside or not territories):
        split = chenove.split_date if chenove is not None else dt.date(2020, 1, 1)
        return Anchors(CHENOVE, DIJON if DIJON in codes else CHENOVE, split,
                       {k: v for k, v in QPV_SHARE.items() if k in codes}, tuple(inside), bundled=True,
                       venue_name="Tiers-lieu du Mail (fictif)")
    peopled = reference[reference["population"].fillna(0) > 0].sort_values(
        ["population", "commune_code"], ascending=[False, True])
    if peopled.empty:
        raise ConfigError(code="sample_no_population")
    with_venue = [territories[s] for s in inside if territories[s].venue is not None
                  and territories[s].venue.commune in codes]
    anchor_t = with_venue[0] if with_venue else (territories[inside[0]] if inside else None)
    hub = with_venue[0].venue.commune if with_venue else str(peopled["commune_code"].iloc[0])
    others = [s.commune for s in (anchor_t.sites if anchor_t else ()) if s.commune in codes and s.commune != hub]
    if others:
        support = others[0]
    else:
        epci = peopled.loc[peopled["commune_code"] == hub, "epci_siren"]
        near = peopled[peopled["epci_siren"].isin(epci.dropna()) & (peopled["commune_code"] != hub)]
        support = str(near["commune_code"].iloc[0]) if len(near) else hub
    qpv = {q["commune"]: 0.3 for s in inside for q in territories[s].qpv if q.get("commune") in codes}
    qpv[hub] = 0.55
    split = anchor_t.split_date if anchor_t else dt.date(2020, 1, 1)
    return Anchors(hub, support, split, qpv, tuple(inside))


def generate_sample(reference: pd.DataFrame, territories: dict[str, Territory], *, seed: int = 2024,
                    scale: float = 1.0) -> dict[str, pd.DataFrame]:
    """Generate the illustrative raw tables (as text, the way exports look).

    Parameters
    ----------
    reference
        The commune reference; accompaniments are drawn on all its communes, urban ones in
        proportion to population, rural ones to its square root with extra weight on the
        Châtillonnais and Auxois EPCIs (half of DLA structures rural).
    territories
        The territories of ``territories.yml``. On the bundled reference, ``chenove``'s
        split date starts the tiers-lieu phase; on any other reference (another
        département, France) see :func:`sample_anchors`.
    seed
        Seed of :func:`numpy.random.default_rng`; the same seed gives the same tables.
    scale
        Multiplies the number of accompaniments per year (for benchmarks).
    """
    rng = np.random.default_rng(seed)
    anchors = sample_anchors(reference, territories)
    tables = {"accompaniments": _accompaniments(rng, reference, scale=scale, anchors=anchors)}
    roles = list(dict.fromkeys(a for t in territories.values() for a in t.network_roles))
    tables.update(_with_actor_ids(_network(rng, reference, anchors), roles))
    tables["testimonies"] = _testimonies(rng, tables["actors"], anchors=anchors)
    return tables


#: The columns of the network tables that hold actor ids.
_ACTOR_COLUMNS = {"actors": ("actor_id",), "events": ("organiser",), "attendance": ("actor_id",),
                  "collaborations": ("actor_a", "actor_b")}


def _with_actor_ids(network: dict[str, pd.DataFrame], ids: list[str]) -> dict[str, pd.DataFrame]:
    """The network tables with their first actors renamed ``ids``, in order (the support
    organisation first, then the tiers-lieu), so that the actors a ``territories.yml`` names
    in its ``network_roles`` exist; an actor already called by one of ``ids`` takes the name
    freed by the renaming, so that every id stays unique.
    """
    old = network["actors"]["actor_id"].astype(str).tolist()
    ids = ids[:len(old)]
    if old[:len(ids)] == ids:
        return network
    freed = iter(a for a in old[:len(ids)] if a not in ids)
    mapping = dict(zip(old[:len(ids)], ids, strict=True))
    mapping.update({a: next(freed) for a in old[len(ids):] if a in ids})
    return {name: table.assign(**{c: table[c].map(mapping).fillna(table[c]) for c in _ACTOR_COLUMNS[name]})
            for name, table in network.items()}


def write_sample(tables: dict[str, pd.DataFrame], out_dir: Path | str, *, seed: int,
                 overwrite: bool = False) -> Path:
    """Write the tables as evaluators' exports (each file written atomically).

    A folder that already holds exports is left alone unless ``overwrite`` is true, so
    that raw data are never replaced by accident.
    """
    out = Path(out_dir)
    existing = sorted(p.name for p in out.glob("*") if p.stem in tables) if out.is_dir() else []
    if existing and not overwrite:
        raise ConfigError(code="sample_exists", folder=str(out), files=existing)
    encodings = {"accompaniments": "cp1252"}
    for name, table in tables.items():
        if name == "actors":
            atomic_write(out / "actors.xlsx", lambda p, t=table: _write_xlsx(t, p))
            continue
        atomic_write(out / f"{name}.csv",
                     lambda p, t=table, e=encodings.get(name, "utf-8-sig"):  # noqa: B008 (binds this table's encoding)
                     t.to_csv(p, sep=";", index=False, encoding=e, lineterminator="\r\n"))
    note = SAMPLE_NOTE.format(seed=seed)
    atomic_write(out / "README.md", lambda p: p.write_text(
        f"# Illustrative sample data\n\n{note}\n\nRegenerate with `evaluation sample --seed {seed}`.\n",
        encoding="utf-8"))
    return out


def _write_xlsx(table: pd.DataFrame, path: Path) -> None:
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        table.to_excel(writer, index=False, sheet_name="export")
        writer.book.properties.created = dt.datetime(2024, 12, 31)
        writer.book.properties.modified = dt.datetime(2024, 12, 31)
