"""Property-based tests: malformed tables thrown at every loader.

Whatever an export contains, a loader either returns typed tables or raises our
:class:`~evaluation.errors.ValidationError` with a located, fixable problems table, and
writes nothing when it raises.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evaluation.errors import ValidationError
from evaluation.geo.territories import load_territories
from evaluation.io.datasets import load_dataset
from evaluation.io.pseudonyms import resolve_key
from evaluation.io.schema import COLUMN_ALIASES, SCHEMAS
from evaluation.problems import PROBLEM_COLUMNS

from .fixtures.make_messy import _accompaniments

KEY = resolve_key("property-tests-key-0123456789")
# PROPERTY_EXAMPLES=1000 make test searches longer than the default run.
SETTINGS = settings(max_examples=int(os.environ.get("PROPERTY_EXAMPLES", "40")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

# Cells an export may hold: plausible values, near misses and garbage.
CELLS = st.one_of(
    st.sampled_from(["", " ", "21166", "1001", "2A004", "2b033", "99999", "Dijon", "oui", "non", "peut-être",
                     "03/02/2022", "31/02/2022", "2022-02-03", "3.2.22", "01/01/1850", "dla", "creation",
                     "partnership", "amitié", "-2", "1 200", "2,5", "1.234,5", "A1", "A2", "E1", "chenove",
                     "nan", "NULL", "#N/A", "=SUM(A1)", "\"", "a;b", "x,y", "l'été", "Œuvre", "\t"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=12),
)


def _column_name(table: str):
    names = [c.name for c in SCHEMAS[table].columns]
    aliases = [a for v in COLUMN_ALIASES.get(table, {}).values() for a in v]
    spelled = st.sampled_from(names + aliases).map(lambda n: n.replace("_", " "))
    messy = st.tuples(spelled, st.sampled_from([str.upper, str.title, str.lower, lambda s: f" {s} "]))
    return st.one_of(st.sampled_from(names), messy.map(lambda t: t[1](t[0])), st.text(max_size=8))


@st.composite
def tables(draw, table: str):
    columns = draw(st.lists(_column_name(table), min_size=0, max_size=len(SCHEMAS[table].columns) + 2))
    n = draw(st.integers(0, 6))
    rows = [[draw(CELLS) for _ in columns] for _ in range(n)]
    return pd.DataFrame(rows, columns=pd.Index(columns, dtype=object), dtype=object)


def _write(frame: pd.DataFrame, path: Path, fmt: str) -> None:
    if fmt == "xlsx":  # a workbook cannot hold control characters: a spreadsheet never has them
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        def clean(v):
            return ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v

        frame = frame.map(clean).rename(columns=clean)
        frame.to_excel(path.with_suffix(".xlsx"), index=False)
        return
    sep, encoding = {"semicolon-cp1252": (";", "cp1252"), "comma-utf8": (",", "utf-8"),
                     "tab-bom": ("\t", "utf-8-sig")}[fmt]
    text = frame.to_csv(sep=sep, index=False)
    path.with_suffix(".csv").write_bytes(text.encode(encoding, errors="replace"))


def _check(data: Path, processed: Path, reference) -> None:
    try:
        dataset = load_dataset(data, reference=reference, processed_dir=processed, pseudonym_key=KEY,
                               territories=["chenove"])
    except ValidationError as exc:
        problems = exc.problems
        assert list(problems.columns) == PROBLEM_COLUMNS and len(problems) > 0
        assert problems["problem"].str.len().gt(0).all() and problems["fix"].str.len().gt(0).all()
        assert problems["row"].dropna().ge(2).all()
        assert exc.table(lang="fr")["problem"].str.len().gt(0).all()
        assert not processed.exists() or not any(processed.rglob("*")), "written despite invalid input"
    else:
        assert set(dataset.tables) == set(SCHEMAS)


@pytest.mark.parametrize("table", list(SCHEMAS))
def test_malformed_tables_give_our_error_or_tables(table, reference):
    formats = st.sampled_from(["semicolon-cp1252", "comma-utf8", "tab-bom", "xlsx"])

    @SETTINGS
    @given(frame=tables(table), fmt=formats)
    def check(frame, fmt):
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp) / "exports"
            data.mkdir()
            if table != "accompaniments":  # the one required table, valid, beside the broken one
                _accompaniments().to_csv(data / "accompaniments.csv", sep=";", index=False)
            _write(frame, data / table, fmt)
            _check(data, Path(tmp) / "processed", reference)

    check()


@SETTINGS
@given(content=st.binary(max_size=300), suffix=st.sampled_from([".csv", ".xlsx"]))
def test_any_bytes_give_our_error_or_tables(content, suffix, reference):
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "exports"
        data.mkdir()
        (data / f"accompaniments{suffix}").write_bytes(content)
        _check(data, Path(tmp) / "processed", reference)


YAML_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 99999), st.floats(allow_nan=False),
                         st.text(max_size=10), st.sampled_from(["2020-01-01", "21166", "200071017", "21"]))
YAML_VALUES = st.recursive(YAML_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3),
    st.dictionaries(st.sampled_from(["label", "split_date", "communes", "epcis", "departements", "sites", "venue",
                                     "qpv", "network_roles", "name", "commune", "lat", "lon", "every_epci_of",
                                     "prefix", "x"]), inner, max_size=5)), max_leaves=12)


@SETTINGS
@given(doc=st.dictionaries(st.sampled_from(["territories", "generate", "other"]),
                           st.one_of(YAML_VALUES, st.dictionaries(st.text(max_size=8), YAML_VALUES, max_size=3)),
                           max_size=2),
       garbage=st.sampled_from(["", "\n  - [", "\n\t: x", "\nterritories: {a: 1"]))
def test_malformed_territories_give_our_error(doc, garbage):
    import yaml

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "territories.yml"
        path.write_text(yaml.safe_dump(doc, allow_unicode=True) + garbage, encoding="utf-8")
        try:
            territories = load_territories(path)
        except ValidationError as exc:
            assert len(exc.problems) > 0 and exc.problems["fix"].str.len().gt(0).all()
        else:
            assert all(t.label and t.split_date for t in territories.values())


@settings(max_examples=200, deadline=None)
@given(names=st.lists(st.one_of(st.none(), st.text(max_size=20)), max_size=20))
def test_vectorised_name_normalisation_matches_the_scalar_one(names):
    from evaluation._text import normalise_name, normalise_names

    got = normalise_names(pd.Series(names, dtype="string")).tolist()
    expected = [pd.NA if n is None else normalise_name(n) for n in names]
    assert len(got) == len(expected)
    assert all((g is pd.NA and e is pd.NA) or g == e for g, e in zip(got, expected, strict=False))


@SETTINGS
@given(rows=st.lists(st.lists(CELLS, min_size=3, max_size=5), max_size=6),
       header=st.sampled_from([["CODGEO", "LIBGEO", "DENS"], ["codgeo", "libgeo", "dens", "PMUN21"], ["a", "b"]]),
       title=st.sampled_from(["", "Grille communale de densité\n\n"]), suffix=st.sampled_from([".csv", ".xlsx"]))
def test_malformed_density_grids_give_our_error(rows, header, title, suffix):
    from evaluation.geo.density_grid import read_density_grid

    with tempfile.TemporaryDirectory() as tmp:
        frame = pd.DataFrame([(r + [""] * len(header))[:len(header)] for r in rows], columns=header, dtype=object)
        path = Path(tmp) / f"grille{suffix}"
        if suffix == ".csv":
            path.write_text(title + frame.to_csv(sep=";", index=False), encoding="utf-8")
        else:
            _write(frame, path, "xlsx")
        try:
            grid = read_density_grid(path)
        except ValidationError as exc:
            assert len(exc.problems) > 0 and exc.problems["fix"].str.len().gt(0).all()
        else:
            assert grid["density_level"].between(1, 7).all() and grid["commune_code"].is_unique
