"""A research extract built in memory: the pupil-year table made k-anonymous, the chosen
kinds' rows of the published pupil-years, and the aggregate tables with cell suppression.

Nothing here reads the store or writes a file: the service hands in the rows it read, and
writes what comes back only after the user has seen the summary.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from analysis.research.anonymity import QUASI, Anonymised, anonymise
from analysis.research.cells import SuppressedTable, suppress
from analysis.research.pseudonyms import pseudonyms
from toda_desktop.errors import OperationCancelled
from toda_desktop.research.catalogue import Variable

PUPIL_COLUMNS = ("pupil_id", "school_year", "school_code", "school_type", "grade", "sex",
                 "birth_date")
PUPILS_TABLE = "pupils"


@dataclass(frozen=True)
class Aggregate:
    name: str  # table name in the files (table_pupils, table_<kind>)
    title: str  # Japanese title
    frame: pd.DataFrame  # long form: school_year, school, grade, pupils, suppressed
    primary: int
    complementary: int


@dataclass(frozen=True)
class BuiltExtract:
    pupils: pd.DataFrame  # pseudonym, school_year, school, grade, sex, birth
    kinds: dict[str, pd.DataFrame]  # kind → pseudonym, school_year, chosen columns
    aggregates: tuple[Aggregate, ...]
    anonymity: Anonymised
    population: int  # pupil-years before anything was withheld


def _check(cancel: Callable[[], bool] | None) -> None:
    if cancel is not None and cancel():
        raise OperationCancelled()


def _value(variable: Variable, series: pd.Series) -> pd.Series:
    if variable.type == "date":
        series = series.map(lambda d: None if d is None or pd.isna(d) else str(d)[:7])
    elif variable.dtype == "string":
        series = series.map(lambda v: None if v is None or pd.isna(v) else str(v))
    elif variable.dtype == "boolean":
        series = series.map(lambda v: None if v is None or pd.isna(v) else bool(v))
    return series.astype(pd.api.types.pandas_dtype(variable.dtype))


def _counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Pupils by school (rows) and grade (columns) of one year."""
    table = pd.crosstab(frame["school_code"].astype(str), frame["grade"].astype(int))
    table.columns = [str(c) for c in table.columns]
    return table


def _long(year: int, table: SuppressedTable) -> pd.DataFrame:
    published = table.published()
    rows = []
    for school in published.index:
        for grade in published.columns:
            value = published.loc[school, grade]
            rows.append((year, str(school), str(grade),
                         None if pd.isna(value) else int(value),
                         bool(table.suppressed.loc[school, grade])))
    return pd.DataFrame(rows, columns=["school_year", "school", "grade", "pupils",
                                       "suppressed"])


def _aggregate(name: str, title: str, frame: pd.DataFrame, years: Sequence[int]
               ) -> Aggregate:
    parts, primary, complementary = [], 0, 0
    for year in years:
        of_year = frame[frame["school_year"] == year]
        if of_year.empty:
            continue
        table = suppress(_counts(of_year))
        parts.append(_long(year, table))
        primary += table.primary
        complementary += table.complementary
    long = (pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["school_year", "school", "grade", "pupils", "suppressed"]))
    long = long.astype({"school_year": "Int64", "school": "string", "grade": "string",
                        "pupils": "Int64", "suppressed": "boolean"})
    return Aggregate(name, title, long, primary, complementary)


def build(
    key: bytes, years: Sequence[int], pupil_rows: Sequence[tuple[object, ...]],
    kind_rows: Mapping[str, tuple[tuple[Variable, ...], Sequence[tuple[object, ...]]]],
    kind_labels: Mapping[str, str], *, cancel: Callable[[], bool] | None = None,
) -> BuiltExtract:
    """``pupil_rows``: PUPIL_COLUMNS per pupil-year; ``kind_rows``: kind → (its chosen
    variables, rows of (pupil_id, school_year, *values))."""
    population = pd.DataFrame(list(pupil_rows), columns=list(PUPIL_COLUMNS))
    population["school_year"] = population["school_year"].astype("int64")
    _check(cancel)
    anonymised = anonymise(population)
    _check(cancel)
    kept = anonymised.frame
    names = pseudonyms(key, kept["pupil_id"].tolist())
    pupils = pd.DataFrame({
        "pseudonym": kept["pupil_id"].map(names).astype("string"),
        "school_year": kept["school_year"].astype("Int64"),
        **{c: kept[c].astype("string") for c in QUASI},
    })
    published = set(zip(kept["pupil_id"], kept["school_year"], strict=True))
    kinds: dict[str, pd.DataFrame] = {}
    aggregates = [_aggregate("table_pupils", "在籍者数（学校×学年）", population, years)]
    for kind, (chosen, rows) in kind_rows.items():
        _check(cancel)
        raw = pd.DataFrame(list(rows), columns=["pupil_id", "school_year",
                                                *(v.column for v in chosen)])
        raw["school_year"] = raw["school_year"].astype("int64")
        with_records = population.merge(
            raw[["pupil_id", "school_year"]].drop_duplicates(), on=["pupil_id", "school_year"])
        aggregates.append(_aggregate(
            f"table_{kind}", f"{kind_labels[kind]}の記録がある児童生徒数（学校×学年）",
            with_records, years))
        inside = [(p, y) in published for p, y in zip(raw["pupil_id"], raw["school_year"],
                                                      strict=True)]
        raw = raw.loc[inside].reset_index(drop=True)
        table = pd.DataFrame({
            "pseudonym": raw["pupil_id"].map(names).astype("string"),
            "school_year": raw["school_year"].astype("Int64"),
            **{v.column: _value(v, raw[v.column]) for v in chosen},
        })
        kinds[kind] = table
    return BuiltExtract(pupils=pupils, kinds=kinds, aggregates=tuple(aggregates),
                        anonymity=anonymised, population=len(population))

