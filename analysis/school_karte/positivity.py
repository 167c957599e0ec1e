"""Survey positivity cells per school, grade and class against the city (issue 15).

Input: one row per class and (survey, round, domain, item) with the class's number of pupils,
the sum of their positive shares and how many pupils fall in each share bin — the storage
layer's aggregate, no pupil rows. Classes add up to grades, grades to schools, schools to the
city. The city value of a grade cell is the city's same grade; of a whole-school cell, the
city's pupils in the grades the school has (a primary school is not compared with junior-high
pupils). Groups under ``MIN_PUPILS`` are suppressed here, before anything leaves.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.school_karte.intervals import MIN_PUPILS, Interval, Tone, tone, wilson

BIN_EDGES = (0.0, 20.0, 40.0, 60.0, 80.0, 100.0)  # pupils' positive shares, percent
BINS = tuple(f"bin{i}" for i in range(len(BIN_EDGES) - 1))
KEYS = ("survey_code", "round", "domain", "item_code")  # item_code "" = the whole domain
GROUP_COLUMNS = ("school_code", "grade", "class_name", *KEYS, "n", "share_sum", *BINS)


@dataclass(frozen=True)
class Cell:
    """One cell: the share of positive answers in percent with its 95% interval (Wilson,
    pupils as n), the city value and the difference. Suppressed: every number None."""

    value: float | None
    n: int | None
    interval: Interval | None
    city: float | None
    difference: float | None
    tone: Tone

    @property
    def suppressed(self) -> bool:
        return self.tone == "suppressed"


SUPPRESSED = Cell(None, None, None, None, None, "suppressed")


@dataclass(frozen=True)
class Distribution:
    """Pupils' positive shares in the bins of ``BIN_EDGES`` (percent of pupils per bin), the
    group's (None when suppressed) and the city's for the same grades."""

    edges: tuple[float, ...]
    group: tuple[float, ...] | None
    city: tuple[float, ...] | None


@dataclass(frozen=True)
class PositivityRow:
    school_code: str
    grade: int | None  # None: the whole school
    class_name: str | None  # None: the whole grade (or school)
    survey_code: str
    round: int
    domain: str
    item_code: str | None  # None: the domain as a whole
    cell: Cell
    distribution: Distribution


def empty_groups() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in GROUP_COLUMNS})


def cell(share_sum: float, n: int, city_sum: float | None, city_n: int | None) -> Cell:
    """One cell from sums (suppressed under ``MIN_PUPILS``)."""
    if n < MIN_PUPILS:
        return SUPPRESSED
    share = share_sum / n
    interval = wilson(share, n)
    value = 100.0 * share
    city = None if not city_n else 100.0 * (city_sum or 0.0) / city_n
    return Cell(
        value=value, n=int(n), interval=interval, city=city,
        difference=None if city is None else value - city,
        tone=tone(value, interval, city),
    )


def _percentages(counts: Sequence[float]) -> tuple[float, ...] | None:
    total = float(sum(counts))
    if total <= 0:
        return None
    return tuple(100.0 * float(c) / total for c in counts)


def positivity_rows(
    groups: pd.DataFrame, schools: Iterable[str] | None = None, *, classes: bool = True,
) -> list[PositivityRow]:
    """Cells of ``schools`` (all when None) at school, grade and (``classes``) class level,
    ordered by school code, grade, class, survey, round, domain and item — never by a value."""
    if groups.empty:
        return []
    g = groups.copy()
    g["grade"] = g["grade"].astype(np.int64)
    g["class_name"] = g["class_name"].fillna("").astype(str)
    g["item_code"] = g["item_code"].fillna("").astype(str)
    g["round"] = g["round"].fillna(0).astype(np.int64)
    value_cols = ["n", "share_sum", *BINS]
    for c in value_cols:
        g[c] = g[c].astype(np.float64)
    keys = list(KEYS)
    by_grade = g.groupby(["school_code", "grade", *keys], sort=False)[value_cols].sum()
    city_grade = g.groupby(["grade", *keys], sort=False)[value_cols].sum()
    wanted = None if schools is None else set(schools)
    if wanted is not None:
        g = g[g["school_code"].isin(wanted)]
        by_grade = by_grade[by_grade.index.get_level_values("school_code").isin(wanted)]
    # The whole school against the city's pupils of the same grades.
    grade_rows = by_grade.reset_index()
    with_city = grade_rows.merge(
        city_grade.reset_index(), on=["grade", *keys], suffixes=("", "_city"), how="left")
    city_cols = [f"{c}_city" for c in value_cols]
    by_school = with_city.groupby(["school_code", *keys], sort=False)[
        value_cols + city_cols].sum().reset_index()
    city_of_grade = {k: tuple(float(x) for x in v) for k, v in zip(
        city_grade.index, city_grade.to_numpy(), strict=True)}

    out: list[PositivityRow] = []

    def add(school: str, grade: int | None, class_name: str | None, key: tuple[object, ...],
            own: Sequence[float], city: Sequence[float] | None) -> None:
        n = int(own[0])
        c = cell(float(own[1]), n, None if city is None else float(city[1]),
                 None if city is None else int(city[0]))
        dist = Distribution(
            BIN_EDGES,
            None if c.suppressed else _percentages(own[2:]),
            None if city is None else _percentages(city[2:]),
        )
        survey, rnd, domain, item = key
        out.append(PositivityRow(
            school_code=school, grade=grade, class_name=class_name, survey_code=str(survey),
            round=int(str(rnd)), domain=str(domain), item_code=str(item) or None, cell=c,
            distribution=dist))

    n_keys = len(keys)
    for row in by_school.itertuples(index=False):
        vals = tuple(row)
        own = vals[1 + n_keys:1 + n_keys + len(value_cols)]
        city = vals[1 + n_keys + len(value_cols):]
        add(str(vals[0]), None, None, vals[1:1 + n_keys], own, city)
    for idx, grade_vals in zip(by_grade.index, by_grade.to_numpy(), strict=True):
        school, grade, *key = idx
        add(str(school), int(grade), None, tuple(key), tuple(float(x) for x in grade_vals),
            city_of_grade.get((grade, *key)))
    if classes:
        cols = list(g.columns)
        for tup in g.itertuples(index=False, name=None):
            d = dict(zip(cols, tup, strict=True))
            key = tuple(d[k] for k in keys)
            grade = int(str(d["grade"]))
            add(str(d["school_code"]), grade, str(d["class_name"]), key,
                tuple(float(str(d[c])) for c in value_cols),
                city_of_grade.get((grade, *key)))
    out.sort(key=row_order)
    return out


def row_order(r: PositivityRow) -> tuple[object, ...]:
    """School code first, then grade and class (whole school and whole grade first)."""
    return (r.school_code, -1 if r.grade is None else r.grade, r.class_name or "",
            r.survey_code, r.round, r.domain, r.item_code or "")
