"""The network chapter's mechanisms in French: two or three plain sentences for the body, the rest in the technical annex.

Reads :class:`evaluation.report.published.PublishedMechanisms` only (dose, timing, venues,
structure, equivalence, bridging, boundary); methods and references in
``docs/methods/reseau.md``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluation.report.published import Estimate, Publication, PublishedMechanisms
from evaluation.report.sections.base import Item, _plural
from evaluation.report.tables import (
    EFFECT_MODELS,
    MECHANISM_REASONS,
    NOT_ESTIMABLE,
    SECRET,
    SECRET_TEXT,
    ci_label,
    fr_number,
    fr_percent,
    fr_pvalue,
    fr_ratio_interval,
    secret_reason,
)

__all__ = ["mechanisms_body", "network_annex", "CONTROL_LABELS"]

#: The pair controls (``CONTROLS`` of :mod:`evaluation.measures.network.inference`) in words.
CONTROL_LABELS = {"same_kind": "même type d'acteur", "same_sector": "même secteur", "same_commune": "même commune",
                  "both_qpv": "toutes deux en QPV", "urban_rural_pair": "l'une urbaine, l'autre rurale",
                  "distance_km": "distance entre leurs communes"}
_BINS = {"lead": "Deux ans ou plus avant la première rencontre commune (anticipation)",
         "0": "Année de la première rencontre commune", "1": "Année suivante", "2+": "Deux ans ou plus après"}
_WORDS = {"qpv": ("QPV et hors QPV", "Paires QPV–hors QPV"), "urban_rural": ("urbain et rural", "Paires urbain–rural")}
_VERDICT = {"equivalent": "compatible avec l'absence d'effet", "inconclusive": "non concluant",
            "warning": "alerte"}


def _why(reason: str | None) -> str:
    return MECHANISM_REASONS.get(reason or "", NOT_ESTIMABLE.get(reason or "", "non estimable"))


def _span(e: Estimate | pd.Series) -> str:
    low, high = (e.low, e.high) if isinstance(e, Estimate) else (e["ci_low"], e["ci_high"])
    return f"de {fr_number(low, digits=2)} à {fr_number(high, digits=2)}"


def _ratio(e: Estimate, pub: Publication) -> str:
    return f"{fr_number(e.value, digits=2)} ({ci_label(pub.alpha)} {fr_number(e.low, digits=2)} à {fr_number(e.high, digits=2)})"


def _split(pub: Publication) -> str:
    return f"{pub.territory.split_date:%d/%m/%Y}"


# --------------------------------------------------------------------------- body
def mechanisms_body(pub: Publication) -> str:
    """Two or three plain sentences: more shared meetings or not, the tiers-lieu's own part, bridging."""
    net = pub.network
    m = net.mechanisms if net is not None else None
    if m is None:
        return ""
    out = []
    d = m.dose_per_event
    if d.shown:
        if d.low > 1 or d.high < 1:
            more = "plus" if d.low > 1 else "moins"
            out.append(f"Plus deux structures s'étaient croisées souvent aux rencontres avant le {_split(pub)}, {more} "
                       f"elles ont collaboré ensuite : chaque rencontre partagée de plus multiplie la chance d'une "
                       f"collaboration par {fr_number(d.value, digits=2)} ({_span(d)}).")
        else:
            out.append(f"Le nombre de rencontres partagées avant le {_split(pub)} ne fait pas de différence nette "
                       f"(chaque rencontre de plus : {fr_number(d.value, digits=2)}, {_span(d)}).")
    v = m.venue_effect
    if v is not None and v.shown:
        labels = [x for k, x in zip(m.venues["key"], m.venues["venue"], strict=True) if k[len("venue_new|"):].isdigit()]
        name = f"du tiers-lieu (« {labels[0]} »)" if len(labels) == 1 else "des tiers-lieux"
        if v.low > 1:
            out.append(f"Les rencontres {name} ont compté : deux structures qui s'y étaient croisées ont ensuite "
                       f"collaboré {fr_number(v.value, digits=1)} fois plus souvent ({_span(v)}).")
        else:
            elsewhere = m.venues.set_index("key").loc["venue_new|elsewhere"]
            tail = (" ; les autres rencontres sont, elles, suivies de davantage de collaborations"
                    if elsewhere["estimable"] and elsewhere["ci_low"] > 1 else "")
            out.append(f"Les données ne montrent pas d'effet propre des rencontres {name} "
                       f"({fr_number(v.value, digits=2)}, {_span(v)}){tail}.")
    q = _mix(m, "qpv", "after")
    if q is not None and q["ties"] > 0:
        share = (f"Après le {_split(pub)}, {fr_percent(q['share'])} des liens de collaboration relient une structure "
                 "du QPV à une structure hors QPV")
        if m.attributes_withheld:
            out.append(f"{share} (la part attendue si les liens se formaient au hasard {SECRET_TEXT}).")
        elif q["estimable"]:
            where = ("moins qu'au hasard : les structures du quartier restent entre elles" if q["share"] < q["low"]
                     else "davantage qu'au hasard" if q["share"] > q["high"] else "ni plus ni moins qu'au hasard")
            out.append(f"{share}, contre {fr_percent(q['expected'])} si les liens se formaient au hasard entre les "
                       f"structures présentes : {where}.")
    return " ".join(out)


def _mix(m: PublishedMechanisms, attribute: str, period: str) -> pd.Series | None:
    """The mixing row of ``attribute`` in ``period``, when the territory has actors of both groups (or withheld)."""
    t = m.mixing
    rows = t[(t["attribute"] == attribute) & (t["period"] == period)] if len(t) else t
    return rows.iloc[0] if len(rows) and not rows.iloc[0]["group_actors"] == 0 else None


# --------------------------------------------------------------------------- annex
def _cell_ratio(row: pd.Series) -> str:
    if row.get("withheld", False) or (pd.isna(row["ratio"]) and row.get("suppressed", False)):
        return SECRET
    return fr_number(row["ratio"], digits=2) if row["estimable"] else "non estimable"


def _rows_table(rows: list[tuple[str, pd.Series]], pub: Publication, *, first: str) -> pd.DataFrame:
    return pd.DataFrame({first: [label for label, _ in rows],
                         "Rapport": [_cell_ratio(r) for _, r in rows],
                         ci_label(pub.alpha): [fr_ratio_interval(r["ci_low"], r["ci_high"]) for _, r in rows],
                         "p": [fr_pvalue(r["p_value"]) for _, r in rows]})


def _dose(m: PublishedMechanisms, pub: Publication) -> list[Item]:
    d = m.dose.set_index(["model", "term"])
    thr = fr_number(m.small_threshold)
    labels = [(("count", "shared_events"), "Par rencontre partagée de plus"),
              (("classes", "shared_1"), "Une rencontre partagée (référence : aucune)"),
              (("classes", "shared_2-3"), "Deux ou trois rencontres partagées"),
              (("classes", "shared_4+"), "Quatre rencontres partagées ou plus"),
              (("size", "small_events"), f"Par petite rencontre partagée ({thr} participants au plus)"),
              (("size", "large_events"), f"Par grande rencontre partagée (plus de {thr} participants)"),
              (("newman", "newman"), "Exposition pondérée par la taille (Newman), par rencontre de 10 participants")]
    labels += [(("kinds", t), f"Par rencontre « {k} » partagée") for t, k in m.kind_labels.items()]
    rows = [(label, d.loc[key]) for key, label in labels if key in d.index]
    items: list[Item] = ["### Dose : nombre, taille et type des rencontres partagées",
                         _rows_table(rows, pub, first="Exposition avant la date charnière")]
    c = m.small_vs_large
    if c.shown:
        verdict = ("les petites rencontres comptent davantage que les grandes" if c.low > 1 else
                   "les grandes rencontres comptent davantage que les petites" if c.high < 1 else
                   "la taille des rencontres ne fait pas de différence nette")
        items.append(f"Une petite rencontre partagée multiplie la chance d'une collaboration {fr_number(c.value, digits=2)} "
                     f"fois plus qu'une grande ({ci_label(pub.alpha)} {fr_number(c.low, digits=2)} à "
                     f"{fr_number(c.high, digits=2)}) : {verdict}. La pondération de Newman compte chaque rencontre "
                     "partagée pour 1/(n − 1), n ses participants : une réunion de quatre pèse treize fois un forum de "
                     "quarante.")
    return items


def _timing(m: PublishedMechanisms, pub: Publication) -> list[Item]:
    items: list[Item] = ["### Temporalité : des périodes de même durée"]
    e = m.discrete_time
    span = f"{m.windows[0]} à {m.windows[-1]}" if m.windows else ""
    if e.shown:
        items.append(f"Modèle en temps discret : chaque paire d'acteurs est suivie année par année ({span}) jusqu'à sa "
                     f"première collaboration ({fr_number(m.panel_rows)} paires-années, {fr_number(m.panel_ties)} "
                     "premières collaborations), avec un effet par année (les années ont la même durée, les années de "
                     "crise sanitaire ont leur propre niveau) et un effet fixe par acteur. S'être croisé à une rencontre "
                     f"avant l'année multiplie la chance d'une première collaboration cette année-là par {_ratio(e, pub)}.")
    else:
        items.append(f"Modèle en temps discret ({span}) : non estimé ({_why(m.discrete_time_reason or e.reason)}).")
    if len(m.event_study):
        study = m.event_study.set_index("bin")
        rows = [(label, pd.Series({**study.loc[b].to_dict(), "estimable": bool(np.isfinite(study.loc[b, "ratio"]))}))
                for b, label in _BINS.items() if b in study.index]
        items += [_rows_table(rows, pub, first="Depuis la première rencontre commune (référence : l'année d'avant)"),
                  "Profil d'étude d'événement (Sun et Abraham 2021) : pour chaque cohorte de paires, selon l'année de "
                  "leur première rencontre commune, un rapport par année relative, puis la moyenne des cohortes "
                  "pondérée par leur poids ; les paires qui ne se sont jamais croisées servent de témoins. Un rapport "
                  "éloigné de 1 avant la rencontre signalerait que les paires sur le point de se croiser collaboraient "
                  "déjà davantage (sélection plutôt qu'effet)."]
        lead = study.loc["lead"] if "lead" in study.index else None
        if lead is not None and np.isfinite(lead["ratio"]) and (lead["ci_low"] > 1 or lead["ci_high"] < 1):
            items.append("**Ici, le rapport avant la première rencontre commune s'écarte de 1** : les paires qui allaient "
                         "se croiser collaboraient déjà davantage (ou moins) ; les rapports ci-dessus mêlent l'effet des "
                         "rencontres et cette différence de départ.")
    s = m.split
    table = pd.DataFrame({"Date charnière": [f"{d:%d/%m/%Y}" for d in s["split"]],
                          "Rapport": [SECRET if w else fr_number(r, digits=2) if ok else "non estimable"
                                      for r, ok, w in zip(s["ratio"], s["estimable"], s["withheld"], strict=True)],
                          ci_label(pub.alpha): [fr_ratio_interval(lo, hi) for lo, hi in zip(s["ci_low"], s["ci_high"],
                                                                                             strict=True)],
                          "Nouveaux liens après": [fr_number(v) for v in s["new_ties"]]})
    items += [table, "Sensibilité à la date charnière : l'estimation avant/après est refaite en avançant et en reculant "
                     "la date d'un an ; les fenêtres « avant » et « après » n'ont pas la même durée, ce que le modèle en "
                     "temps discret évite."]
    return items


def _venues(m: PublishedMechanisms, pub: Publication) -> list[Item]:
    v = m.venues
    if v is None:
        return []
    names = {"venue_new|all": "Tous les tiers-lieux", "venue_new|elsewhere": "Autres rencontres"}
    label = [names.get(k, f"« {x} »") for k, x in zip(v["key"], v["venue"], strict=True)]
    table = pd.DataFrame({
        "Lieu": label, "Rencontres": [fr_number(x) for x in v["events"]],
        "Participants": [fr_number(x) if pd.notna(x) else SECRET for x in v["participants"]],
        "Paires qui s'y sont croisées": [fr_number(x) for x in v["pairs_met"]],
        "Premières collaborations ensuite": [SECRET if s else fr_number(x) for x, s in zip(v["new_ties"], v["suppressed"],
                                                                                          strict=True)],
        "Rapport": [_cell_ratio(r) for _, r in v.iterrows()],
        ci_label(pub.alpha): [fr_ratio_interval(lo, hi) for lo, hi in zip(v["ci_low"], v["ci_high"], strict=True)]})
    text = ("Chaque exposition est datée de l'année précédente, dans le modèle en temps discret : s'être croisé à une "
            "rencontre du lieu, ou à une autre rencontre (une paire peut avoir les deux). Les rencontres d'un "
            "tiers-lieu sont celles qu'il organise quand le fichier des territoires nomme son organisateur, sinon "
            "celles tenues dans sa commune, à partir de la date charnière : les autres rencontres comprennent donc "
            "toutes celles d'avant son ouverture. Un effet n'est attribué au tiers-lieu que si son propre intervalle "
            "exclut 1.")
    if v["suppressed"].any():
        text += f" Certains effectifs {SECRET_TEXT} ({secret_reason(pub.threshold)}) : le rapport de la ligne aussi."
    return ["### Tiers-lieux : leurs rencontres et les autres", table, text]


def _structure(m: PublishedMechanisms, pub: Publication) -> list[Item]:
    s = m.structure.set_index("term")
    rows = [("S'être croisés avant (à partenaires communs égaux)", s.loc["met"]),
            ("Par partenaire commun avant la date charnière", s.loc["common_partners"])]
    controls = ", ".join(CONTROL_LABELS.get(c, c) for c in m.structure_controls) or "aucun (sans variation)"
    absorbed = ("l'effet fixe par acteur absorbe le nombre de liens de chaque acteur avant (son degré), comme "
                "tout ce qui le caractérise" if m.model == "actor_fixed_effects" else
                "le nombre de liens de chaque acteur avant (son degré) et ses rencontres suivies sont des variables "
                "du modèle")
    return ["### Structure : les partenaires de partenaires", _rows_table(rows, pub, first="Modèle de sensibilité"),
            "Deux structures qui ont des partenaires communs tendent à devenir partenaires (fermeture des triades) ; si "
            "elles se croisent aussi aux mêmes rencontres, les rencontres en recevraient le mérite. Le modèle de "
            f"sensibilité ajoute le nombre de partenaires communs avant la date charnière ; {absorbed}. Contrôles de "
            f"paire de tous les modèles : {controls}."]


def _equivalence(m: PublishedMechanisms, pub: Publication) -> list[Item]:
    e = m.equivalence
    head = "### Test de falsification lu comme un test d'équivalence"
    margin = fr_number(e["margin"], digits=1)
    if not e["shown"]:
        return [head, "Le test de falsification n'est pas publié ou n'a pas pu être mené : pas de test d'équivalence."]
    if e["verdict"] is None:
        return [head, "Le test de falsification n'est pas estimable : pas de test d'équivalence."]
    level = round(100 * (1 - 2 * pub.alpha))
    return [head, f"Les rencontres d'après la date charnière ne peuvent pas avoir causé les liens d'avant : leur "
                  f"rapport doit être proche de 1. Deux tests unilatéraux (Schuirmann 1987) éprouvent qu'il reste entre "
                  f"1/{margin} et {margin} (marge documentée : un rapport de {margin} serait moins de la moitié, en "
                  f"logarithme, de l'effet principal type) : intervalle à {level} % de {fr_number(e['low'], digits=2)} "
                  f"à {fr_number(e['high'], digits=2)}, p = {fr_pvalue(e['p_value'])}. Verdict : "
                  f"**{_VERDICT[e['verdict']]}** (compatible avec l'absence d'effet si l'intervalle tient dans la "
                  "marge ; alerte si l'intervalle à 95 % exclut 1 ; non concluant sinon : trop large pour distinguer "
                  "l'absence d'effet d'un effet aussi grand que la marge)."]


def _bridging(m: PublishedMechanisms, pub: Publication) -> list[Item]:
    t = m.mixing
    if not len(t):
        return []
    period = {"before": "avant", "after": "après"}
    shown = t[~(t["group_actors"] == 0)]
    table = pd.DataFrame({
        "Liens entre": [_WORDS[a][0] for a in shown["attribute"]], "Période": [period.get(p, p) for p in shown["period"]],
        "Acteurs présents": [fr_number(x) for x in shown["actors"]],
        "dont QPV / rural": [fr_number(x) if pd.notna(x) else SECRET for x in shown["group_actors"]],
        "Liens": [fr_number(x) for x in shown["ties"]], "Part observée": [fr_percent(x) for x in shown["share"]],
        "Part attendue au hasard": [fr_percent(x) if pd.notna(x) or not m.attributes_withheld else SECRET
                                    for x in shown["expected"]],
        "Intervalle de permutation": [SECRET if m.attributes_withheld else f"{fr_percent(lo)} à {fr_percent(hi)}"
                                      if ok else "–" for lo, hi, ok in zip(shown["low"], shown["high"],
                                                                          shown["estimable"], strict=True)],
        "p": [fr_pvalue(p) for p in shown["p_value"]]})
    items: list[Item] = ["### Passerelles : entre QPV et hors QPV, entre urbain et rural", table,
                         "Part attendue au hasard : celle des liens si chacun reliait deux acteurs présents tirés au "
                         "hasard, 2q(n − q)/(n(n − 1)) avec q acteurs du groupe parmi n ; l'intervalle de permutation "
                         "(95 %) redistribue au hasard les étiquettes entre les acteurs présents, liens inchangés."
                         + (f" Les nombres d'acteurs du QPV ou ruraux et les parts attendues {SECRET_TEXT} : ils "
                            "permettraient de retrouver des effectifs du tableau des participants du tiers-lieu."
                            if m.attributes_withheld else "")]
    b = m.bridging
    for attribute, (words, pairs) in _WORDS.items():
        rows = b[b["attribute"] == attribute].set_index("term") if len(b) else b
        if not len(rows):
            continue
        items.append(_rows_table([(f"{pairs}, s'être croisées avant", rows.loc["met_bridging"]),
                                  ("Autres paires, s'être croisées avant", rows.loc["met_within"])], pub,
                                 first=f"Effet ajusté des rencontres ({words})"))
    return items


def _boundary(m: PublishedMechanisms) -> list[Item]:
    b = m.boundary
    text = f"Le réseau compte {_plural(b['network'], 'acteur')} : les acteurs connus de la structure d'appui situés "
    if b["known_here"] is None:
        text += (f"dans le territoire et ceux venus à ses rencontres (leur détail {SECRET_TEXT} : il permettrait de "
                 "retrouver des effectifs du tableau des participants du tiers-lieu)")
    else:
        text += (f"dans le territoire ({fr_number(b['known_here'])}, dont {fr_number(b['never_attended'])} sans aucune "
                 f"rencontre) et ceux venus à ses rencontres ({fr_number(b['participants'])}, dont "
                 f"{fr_number(b['participants_from_outside'])} situés hors du territoire)")
    text += (f" ; {fr_number(b['with_ties'])} ont au moins un lien déclaré. Les structures que l'appui n'a jamais "
             "rencontrées n'y figurent pas, et les liens sont ceux qu'il a enregistrés : le réseau n'est pas tout le "
             "tissu économique du territoire. ")
    if b["dated"]:
        text += (f"« Acteurs partis » : {fr_number(b['left'])} actifs avant et plus après, dont "
                 f"{fr_number(b['left_dated'])} avec une date de fin (partis pour de bon) ; {fr_number(b['arrived'])} "
                 f"arrivés, dont {fr_number(b['arrived_dated'])} avec une date de début après la date charnière.")
    else:
        text += (f"« Acteurs partis » ({fr_number(b['left'])}) veut dire sans rencontre ni lien enregistré après la date "
                 "charnière : sans date de fin dans le fichier des acteurs, on ne peut pas dire s'ils ont cessé leur "
                 "activité, déménagé ou seulement cessé de venir. Des colonnes facultatives start_date et end_date "
                 "dans ce fichier permettraient de le dire, et de retirer ces acteurs des paires à risque.")
    return ["### Qui est dans le réseau", text]


def network_annex(pub: Publication) -> list[Item]:
    """The technical annex of the network chapter: dose, timing, venues, structure, equivalence, bridging, boundary."""
    net = pub.network
    m = net.mechanisms if net is not None else None
    if m is None:
        return []
    controls = ", ".join(CONTROL_LABELS.get(c, c) for c in m.structure_controls)
    intro = (f"Tous les modèles ci-dessous reprennent celui de l'estimation ajustée "
             f"({EFFECT_MODELS.get(m.model or '', 'aucun modèle estimable')}) et ses contrôles de paire "
             f"({controls or 'aucun'}) ; rapports de taux, intervalles robustes aux dépendances entre paires partageant "
             "un acteur.")
    if m.withheld:
        intro += (f" Les rapports calculés sur les paires avant/après ne sont pas publiés : ils reposent sur des "
                  f"effectifs qui relèvent du secret statistique ({secret_reason(pub.threshold)}).")
    if m.sampled:
        intro += (" Sur ce grand réseau, les paires sans collaboration ont été échantillonnées (toutes les paires "
                  "ayant collaboré gardées, les autres pondérées par l'inverse de leur probabilité de tirage).")
    return ["### Annexe technique : comment les rencontres agissent", intro, *_dose(m, pub), *_timing(m, pub),
            *_venues(m, pub), *_structure(m, pub), *_equivalence(m, pub), *_bridging(m, pub), *_boundary(m),
            "Ce que ces modèles ne font pas : modéliser ensemble la formation des liens et la participation aux "
            "rencontres (modèles orientés acteurs, RSiena, Snijders, van de Bunt et Steglich 2010 ; ERGM temporels, "
            "Leifeld, Cranmer et Desmarais 2018 ; modèles d'événements relationnels, Butts 2008). Méthodes et "
            "références : docs/methods/reseau.md."]
