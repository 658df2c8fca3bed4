"""Reading and checking ``territories.yml`` (one problems table for every mistake), and the
territories it declares in bulk (one per EPCI of a département, from the commune reference).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
from pathlib import Path
from typing import Any

import yaml

from evaluation.config import SLUG_PATTERN, ascii_slug, get_paths
from evaluation.errors import ConfigError, TerritoriesError
from evaluation.geo.areas import load_departements, part_label, reference_epci_cuts, reference_epcis
from evaluation.geo.objectives import parse_objectives
from evaluation.geo.reference import COMMUNE_CODE_PATTERN
from evaluation.geo.territory import Site, Territory
from evaluation.messages import coded, render_message, yaml_problem_fr
from evaluation.problems import Lang, Problems

__all__ = ["load_territories", "get_territory", "territory_notes"]


#: libyaml's safe loader when PyYAML was built with it (ten times faster), else the pure-Python one.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_ALLOWED_KEYS = {"label", "split_date", "communes", "epcis", "departements", "regions", "qpv", "sites",
                 "venue", "network_roles", "description", "milestones", "partial_epci", "objectives"}



class _Report:
    """Problems of ``territories.yml``, located by the YAML line of the setting concerned."""

    def __init__(self, file: Path, lines: dict[tuple, int]) -> None:
        self.file, self.lines, self.problems, self._seen, self.found = file, lines, Problems(), set(), 0
        self.notes: list[dict] = []  # warnings for the command line (never printed into a report), coded

    def add(self, where: tuple, code: str, *, value: Any = None, **params: Any) -> None:
        self.found += 1
        if (where, code, str(value)) in self._seen:  # e.g. one generate rule's date, for each of its EPCI
            return
        self._seen.add((where, code, str(value)))
        line = next((self.lines[where[:k]] for k in range(len(where), 0, -1) if where[:k] in self.lines), None)
        self.problems.add(self.file.name, code, rows=[line], column=": ".join(map(str, where)) or None,
                          values=[None if value is None else str(value)], **params)

    def count(self) -> int:
        """Problems found so far (a problem repeated at the same place is shown once)."""
        return self.found



def _yaml_lines(node: Any, prefix: tuple = ()) -> dict[tuple, int]:
    """Line (1-based) of every mapping key and list item of a composed YAML document."""
    lines: dict[tuple, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            where = prefix + (key.value,)
            lines[where] = key.start_mark.line + 1
            lines.update(_yaml_lines(value, where))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[prefix + (i + 1,)] = item.start_mark.line + 1
            lines.update(_yaml_lines(item, prefix + (i + 1,)))
    return lines



def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None



def _parse_site(s: Any, where: tuple, report: _Report) -> Site | None:
    ok = isinstance(s, dict) and "label" in s and ("commune" in s or {"lat", "lon"} <= set(s))
    if ok and "lat" in s and (_number(s.get("lat")) is None or _number(s.get("lon")) is None):
        ok = False
    if not ok:
        report.add(where, "site_invalid", value=s)
        return None
    lat, lon = _number(s.get("lat")), _number(s.get("lon"))
    if lat is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        report.add(where, "coordinates_invalid", value=f"lat {lat}, lon {lon}")
        return None
    return Site(label=str(s["label"]), commune=str(s["commune"]) if s.get("commune") else None,
                lat=_number(s.get("lat")), lon=_number(s.get("lon")))



_CODE_PATTERNS = {"communes": (COMMUNE_CODE_PATTERN, "5-character INSEE codes such as '21166'",
                               "des codes INSEE à 5 caractères comme '21166'"),
                  "epcis": (r"\d{9}", "9-digit SIREN numbers such as '242100410'",
                            "des numéros SIREN à 9 chiffres comme '242100410'"),
                  "departements": (r"\d[\dAB]|\d{3}", "département codes such as '21'",
                                   "des codes de département comme '21'"),
                  "regions": (r"\d{2}", "région codes (INSEE) such as '27'", "des codes de région (INSEE) comme '27'")}



def _as_codes(value: Any, *, where: tuple, key: str, report: _Report) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        report.add(where + (key,), "list_expected", value=value, key=key)
        return ()
    pattern, expected, expected_fr = _CODE_PATTERNS[key]
    codes = tuple(str(v).strip() for v in value)
    bad = [c for c in codes if not re.fullmatch(pattern, c)]
    if bad:
        report.add(where + (key,), "codes_malformed", value=", ".join(bad), key=key, bad=bad,
                   expected=expected, expected_fr=expected_fr)
    return codes



def _region_departements(regions: tuple[str, ...], *, where: tuple, report: _Report,
                         reference_dir: Path | str | None) -> tuple[str, ...]:
    """The départements of INSEE régions (``departements.csv`` of the reference, else France's)."""
    if not regions:
        return ()
    table = load_departements(reference_dir)
    unknown = sorted(set(regions) - set(table["region"]))
    if unknown:
        report.add(where + ("regions",), "regions_unknown", value=", ".join(unknown), codes=", ".join(unknown),
                   known=", ".join(f"{c} {n}" for c, n in table.drop_duplicates("region")[["region", "region_name"]]
                                   .sort_values("region").itertuples(index=False)))
    return tuple(table.loc[table["region"].isin(regions), "departement"])


def _parse_territory(slug: Any, spec: Any, report: _Report, where: tuple, *,
                     reference_dir: Path | str | None = None) -> Territory | None:
    before = report.count()
    if not isinstance(slug, str) or not SLUG_PATTERN.match(slug):
        report.add(where, "slug_invalid", value=slug, suggestion=ascii_slug(str(slug)))
        return None
    if not isinstance(spec, dict):
        report.add(where, "territory_not_mapping", value=spec)
        return None
    unknown = set(spec) - _ALLOWED_KEYS
    if unknown:
        report.add(where, "unknown_keys", value=", ".join(sorted(unknown)), keys=sorted(unknown),
                   allowed=sorted(_ALLOWED_KEYS))
    label = _check_label(spec.get("label"), where, report)
    split = spec.get("split_date")
    if isinstance(split, str):
        try:
            split = dt.date.fromisoformat(split)
        except ValueError:
            report.add(where + ("split_date",), "split_date_invalid", value=split)
            split = None
    elif not isinstance(split, dt.date):
        report.add(where + ("split_date",), "split_date_missing", value=split)
        split = None
    communes = _as_codes(spec.get("communes"), where=where, key="communes", report=report)
    epcis = _as_codes(spec.get("epcis"), where=where, key="epcis", report=report)
    deps = _as_codes(spec.get("departements"), where=where, key="departements", report=report)
    regions = _as_codes(spec.get("regions"), where=where, key="regions", report=report)
    deps += tuple(d for d in _region_departements(regions, where=where, report=report, reference_dir=reference_dir)
                  if d not in deps)
    if not (communes or epcis or deps or regions):
        report.add(where, "no_area")
    sites = spec.get("sites") or []
    if not isinstance(sites, list):
        report.add(where + ("sites",), "list_expected", value=sites, key="sites")
        sites = []
    sites = [_parse_site(s, where + ("sites", i + 1), report) for i, s in enumerate(sites)]
    venue = _parse_site(spec["venue"], where + ("venue",), report) if spec.get("venue") else None
    if venue is not None and venue.commune is None:
        report.add(where + ("venue",), "venue_commune_missing", value=spec["venue"])
    roles = spec.get("network_roles") or {}
    if not isinstance(roles, dict):
        report.add(where + ("network_roles",), "roles_invalid", value=roles)
        roles = {}
    qpv = spec.get("qpv") or []
    if not isinstance(qpv, list) or not all(isinstance(q, dict) and "name" in q for q in qpv):
        report.add(where + ("qpv",), "qpv_invalid", value=qpv)
        qpv = []
    milestones = _parse_milestones(spec.get("milestones"), where + ("milestones",), report)
    objectives = parse_objectives(spec.get("objectives"), where + ("objectives",), report)
    partial = spec.get("partial_epci", False)
    if not isinstance(partial, bool):
        report.add(where + ("partial_epci",), "partial_epci_invalid", value=partial)
    if report.count() > before:
        return None
    label = _label_of_part(label.strip(), epcis, reference_dir) if partial else label.strip()
    return Territory(slug=slug, label=label, split_date=split, communes=communes, partial_epci=partial,
                     epcis=epcis, departements=deps,
                     qpv=tuple({k: str(v) for k, v in q.items()} for q in qpv),
                     sites=tuple(x for x in sites if x), venue=venue,
                     network_roles={str(k): str(v) for k, v in roles.items()},
                     description=str(spec.get("description", "")).strip(), milestones=milestones,
                     objectives=objectives)


def _check_label(label: Any, where: tuple, report: _Report) -> Any:
    if not isinstance(label, str) or not label.strip():
        report.add(where + ("label",), "label_missing", value=label)
    elif "<" in label or ">" in label:
        report.add(where + ("label",), "label_markup", value=label)
    return label


def _label_of_part(label: str, epcis: tuple[str, ...], reference_dir: Path | str | None) -> str:
    """The label of a territory with ``partial_epci: true``: it says which part of its cut EPCI it
    covers (``… (partie Rhône)``); unchanged when none of its EPCI is cut.
    """
    cut = reference_epci_cuts(reference_dir)
    cut = cut[cut.index.isin(epcis)]
    if not len(cut):
        return label
    return part_label(label, sorted({d for deps in cut["departements_in"] for d in deps}), reference_dir)


def _parse_milestones(value: Any, where: tuple, report: _Report) -> dict[str, dt.date]:
    """``milestones: {convention: 2020-12-31, point-etape-1: 2022-12-31}``: edition name → date."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        report.add(where, "milestones_invalid", value=value)
        return {}
    out = {}
    for name, date in value.items():
        if isinstance(date, str):
            try:
                date = dt.date.fromisoformat(date)
            except ValueError:
                date = None
        if not isinstance(name, str) or not SLUG_PATTERN.match(name) or not isinstance(date, dt.date):
            report.add(where + (name,), "milestones_invalid", value=f"{name}: {date}")
            continue
        out[name] = date
    return out



def load_territories(path: Path | str | None = None, *,
                     reference_dir: Path | str | None = None) -> dict[str, Territory]:
    """Read and check ``territories.yml``; every problem is reported in one error.

    Parameters
    ----------
    path
        The YAML file (default: ``data/raw/territories.yml`` of the project). Its top-level
        key ``territories`` maps a slug to ``label``, ``split_date`` and at least one of
        ``communes`` (INSEE codes), ``epcis`` (SIREN), ``departements`` or ``regions`` (INSEE
        région codes, e.g. ``["27"]``: their départements, from ``departements.csv``); optional
        ``qpv``, ``sites``, ``venue``, ``network_roles``, ``milestones``, ``objectives`` (the
        convention's targets, :mod:`evaluation.geo.objectives`). An optional top-level
        ``generate`` list declares territories in bulk, e.g. ``- {every_epci_of: "21",
        split_date: 2020-01-01}`` for one territory per EPCI of Côte-d'Or;
        ``every_epci_of`` also takes a list of départements or ``all`` (every EPCI of the
        commune reference, e.g. the 1,25x EPCI of France on the national reference).
        ``partial_epci: true`` lets a territory name an EPCI the reference holds only in
        part (its label then says ``(partie Rhône)``); without it such a territory is
        refused when its communes are resolved (:func:`evaluation.geo.reference.territory_communes`).
    reference_dir
        The commune reference the ``generate`` rules read (default: ``data/raw/reference``);
        its ``communes.csv`` (and ``departements.csv`` for ``regions``) is read once per file version.

    Raises
    ------
    TerritoriesError
        With a problems table (line, setting, value, what is wrong, how to fix it).
    """
    return dict(_parsed(path, reference_dir)[0])


def territory_notes(path: Path | str | None = None, *, reference_dir: Path | str | None = None,
                    lang: Lang = "en") -> list[str]:
    """What the command line warns about when it reads ``territories.yml``
    (:func:`load_territories`'s arguments), in ``lang`` (``"en"`` or ``"fr"``): the EPCI a
    ``generate`` rule found cut by the reference's border, labelled as their part or skipped.
    Kept out of logging so that a report's notebook, which reads the same file, never prints them.
    """
    return [render_message(n["code"], n["params"], lang=lang) for n in _parsed(path, reference_dir)[1]]


def _parsed(path: Path | str | None, reference_dir: Path | str | None) -> tuple[dict[str, Territory], tuple[dict, ...]]:
    path = Path(path) if path is not None else get_paths().territories
    reference = Path(reference_dir) if reference_dir is not None else get_paths().reference
    # Parsed once per process and content (the file's text, and the version of the reference
    # its rules read): a report asks several times, and every EPCI of France is 1,255 territories.
    read = [reference / "communes.csv", reference / "departements.csv"]
    versions = (hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None,
                *((f.stat().st_mtime_ns, f.stat().st_size) if f.is_file() else None for f in read))
    return _load_territories(str(path.resolve()), str(reference.resolve()), versions)


@functools.lru_cache(maxsize=8)
def _load_territories(file: str, reference_dir: str, versions: tuple) -> tuple[dict[str, Territory], tuple[dict, ...]]:
    path = Path(file)
    report = _Report(path, {})
    if not path.is_file():
        report.add((), "territories_missing", value=str(path))
        raise TerritoriesError(report.problems.frame())
    text = path.read_text(encoding="utf-8")
    try:
        report.lines = _yaml_lines(yaml.compose(text, Loader=_YAML_LOADER))
        doc = yaml.load(text, Loader=_YAML_LOADER)  # noqa: S506 - a safe loader
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: an impossible date such as 2020-13-01
        mark = getattr(exc, "problem_mark", None)
        error = str(getattr(exc, "problem", None) or exc)
        report.problems.add(path.name, "yaml_invalid", rows=[mark.line + 1 if mark else None],
                            error=error, error_fr=yaml_problem_fr(error))
        raise TerritoriesError(report.problems.frame()) from exc
    if (not isinstance(doc, dict) or not isinstance(doc.get("territories", {}), dict)
            or not (doc.get("territories") or doc.get("generate"))):
        report.add((), "yaml_top_level")
        raise TerritoriesError(report.problems.frame())
    territories = {}
    for slug, spec in (doc.get("territories") or {}).items():
        t = _parse_territory(slug, spec, report, ("territories", slug), reference_dir=reference_dir)
        if t is not None:
            territories[slug] = t
    rules = doc.get("generate") or []
    if not isinstance(rules, list):
        report.add(("generate",), "list_expected", value=rules, key="generate")
        rules = []
    for i, rule in enumerate(rules):
        for slug, spec in _generated(rule, where=("generate", i + 1), report=report, reference_dir=reference_dir):
            if slug in territories:
                continue  # a territory written by hand wins over a generated one
            t = _parse_territory(slug, spec, report, ("generate", i + 1), reference_dir=reference_dir)
            if t is not None:
                territories[slug] = t
    if report.count():
        raise TerritoriesError(report.problems.frame())
    return territories, tuple(report.notes)



def _generated(rule: Any, *, where: tuple, report: _Report,
               reference_dir: Path | str | None = None) -> list[tuple[str, dict]]:
    """Territories declared in bulk: ``{every_epci_of: "21", split_date: …}`` gives one
    territory per EPCI with communes in that département (from the commune reference);
    ``every_epci_of`` may also be a list of départements or ``all``. An EPCI across two
    listed départements is one territory; two EPCI whose names give the same slug are told
    apart by their SIREN.

    An EPCI cut by the reference's border (some of its communes in départements the
    reference lacks, :func:`evaluation.geo.reference.epci_cuts`) becomes a territory of its
    part inside the reference, labelled so (``… (partie Rhône)``, ``partial_epci: true``),
    or is skipped when the rule says ``partial_epci: false``; either way a warning lists them.
    """
    if not isinstance(rule, dict) or "every_epci_of" not in rule or "split_date" not in rule:
        report.add(where, "generate_invalid", value=rule)
        return []
    epci_table = reference_epcis(reference_dir)
    wanted = rule["every_epci_of"]
    if isinstance(wanted, str) and wanted.strip().lower() == "all":
        epcis = epci_table
    else:
        deps = [str(d).strip().zfill(2) for d in (wanted if isinstance(wanted, list) else [wanted])]
        epcis = epci_table[epci_table["departement"].isin(deps)]
        for dep in sorted(set(deps) - set(epcis["departement"])):
            report.add(where + ("every_epci_of",), "generate_no_epci", value=dep, dep=dep)
    epcis = epcis.drop_duplicates("epci_siren").sort_values("epci_siren")
    partial = rule.get("partial_epci", True)
    if not isinstance(partial, bool):
        report.add(where + ("partial_epci",), "partial_epci_invalid", value=partial)
        return []
    cut = reference_epci_cuts(reference_dir)
    cut = cut[cut.index.isin(epcis["epci_siren"])]
    if len(cut):
        report.notes.append(coded(
            "epci_cut_labelled" if partial else "epci_cut_skipped", where="/".join(map(str, where)), count=len(cut),
            missing=sorted({d for deps in cut["departements_out"] for d in deps}),
            epcis=[coded("epci_cut_item", siren=s, name=n, communes_in=int(a), communes_total=int(b))
                   for s, n, a, b in zip(cut.index, cut["epci_name"], cut["communes_in"], cut["communes_total"],
                                         strict=True)]))
        if not partial:
            epcis = epcis[~epcis["epci_siren"].isin(cut.index)]
    prefix = str(rule.get("prefix", "epci"))

    def short(name: str) -> str:
        slug = re.sub(r"^communaute-(de-communes|d-agglomeration|urbaine)-", "", ascii_slug(name, max_length=200))
        return re.sub(r"^(de-la|du|des|de|d)-", "", slug)[:40].strip("-")

    slugs = [f"{prefix}-{short(name)}" for name in epcis["epci_name"]]
    twice = {s for s in slugs if slugs.count(s) > 1} if len(set(slugs)) < len(slugs) else set()
    slugs = [f"{s}-{siren}" if s in twice else s for s, siren in zip(slugs, epcis["epci_siren"], strict=True)]
    return [(slug, {"label": name, "split_date": rule["split_date"], "epcis": [siren],
                    **({"partial_epci": True} if siren in cut.index else {}),
                    **({"sites": rule["sites"]} if "sites" in rule else {})})
            for slug, siren, name in zip(slugs, epcis["epci_siren"], epcis["epci_name"], strict=True)]


def get_territory(slug: str, path: Path | str | None = None, *,
                  reference_dir: Path | str | None = None) -> Territory:
    """Return one territory by slug, with the list of known slugs if it is unknown."""
    territories = load_territories(path, reference_dir=reference_dir)
    if slug not in territories:
        raise ConfigError(code="territory_unknown_many" if len(territories) > 30 else "territory_unknown",
                          slug=slug, slugs=list(territories)[:30], count=len(territories))
    return territories[slug]
