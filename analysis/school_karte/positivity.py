"""Survey positivity cells per school, grade and class against the city (issue 15).

Input: one row per class and (survey, round, domain, item) with the class's number of pupils,
the sum of their positive shares and how many pupils fall in each share bin — the storage
layer's aggregate, no pupil rows. Classes add up to grades, grades to schools, schools to the
city. The city value of a grade cell is the city's same grade; of a whole-school cell, the
city's pupils in the grades the school has (a primary school is not compared with junior-high
pupils). Groups under ``MIN_PUPILS`` are suppressed here, before anything leaves, with the
cells that would give them away (``disclosure``: decided on the whole city, so every view
hides the same cells).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis.school_karte.disclosure import FIRST, Suppression, pairs_from_groups, suppression
from analysis.school_karte.intervals import (
    MIN_PUPILS,
    RULE_POINTS,
    Z95,
    Interval,
    Tone,
    tone,
    wilson,
)

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


def positivity_rows(
    groups: pd.DataFrame, schools: Iterable[str] | None = None, *, classes: bool = True,
    hidden: Suppression | None = None, side: str = FIRST,
) -> list[PositivityRow]:
    """Cells of ``schools`` (all when None) at school, grade and (``classes``) class level,
    ordered by school code, grade, class, survey, round, domain and item — never by a value.
    The numbers are computed column-wise (the city view has tens of thousands of cells).
    ``hidden``: the city's suppression for these answers (``side``: which of its groupings
    ``groups`` is); None: audited here from ``groups`` alone."""
    if groups.empty:
        return []
    if hidden is None:
        hidden, side = suppression(pairs_from_groups(groups)), FIRST
    g = groups.copy()
    g["grade"] = g["grade"].astype(np.int64)
    g["class_name"] = g["class_name"].fillna("").astype(str)
    g["item_code"] = g["item_code"].fillna("").astype(str)
    g["round"] = g["round"].fillna(0).astype(np.int64)
    value_cols = ["n", "share_sum", *BINS]
    for c in value_cols:
        g[c] = g[c].astype(np.float64)
    keys = list(KEYS)
    city_grade = g.groupby(["grade", *keys], sort=False)[value_cols].sum().reset_index()
    wanted = None if schools is None else set(schools)
    if wanted is not None:
        g = g[g["school_code"].isin(wanted)]
    by_grade = g.groupby(["school_code", "grade", *keys], sort=False)[
        value_cols].sum().reset_index()
    city_cols = [f"{c}_city" for c in value_cols]
    grade_rows = by_grade.merge(city_grade, on=["grade", *keys], suffixes=("", "_city"),
                                how="left")
    # The whole school against the city's pupils of the same grades.
    school_rows = grade_rows.groupby(["school_code", *keys], sort=False)[
        value_cols + city_cols].sum().reset_index()
    school_rows["grade"] = -1
    school_rows["class_name"] = None
    grade_rows["class_name"] = None
    parts = [school_rows, grade_rows]
    if classes:
        parts.append(g.merge(city_grade, on=["grade", *keys], suffixes=("", "_city"),
                             how="left"))
    table = pd.concat(parts, ignore_index=True)
    return _rows(table, hidden, side)


def _rows(t: pd.DataFrame, hidden: Suppression, side: str) -> list[PositivityRow]:
    n = t["n"].to_numpy(np.float64)
    share = np.divide(t["share_sum"].to_numpy(np.float64), n, out=np.zeros_like(n),
                      where=n > 0)
    city_n = t["n_city"].fillna(0).to_numpy(np.float64)
    city = np.where(city_n > 0, 100.0 * t["share_sum_city"].fillna(0).to_numpy(np.float64)
                    / np.maximum(city_n, 1), np.nan)
    low, high = wilson_arrays(share, n)
    value = 100.0 * share
    shown = n >= MIN_PUPILS
    inside = (low <= city) & (city <= high)
    diff = value - city
    tones = np.where(
        ~shown, "suppressed", np.where(
            np.isnan(city), "none", np.where(
                inside, "uncertain", np.where(
                    diff >= RULE_POINTS, "above", np.where(diff <= -RULE_POINTS, "below",
                                                           "within")))))
    own_bins = t[list(BINS)].to_numpy(np.float64)
    city_bins = t[[f"{b}_city" for b in BINS]].fillna(0).to_numpy(np.float64)
    own_pct = 100.0 * own_bins / np.maximum(own_bins.sum(axis=1, keepdims=True), 1)
    city_total = city_bins.sum(axis=1, keepdims=True)
    city_pct = 100.0 * city_bins / np.maximum(city_total, 1)
    out: list[PositivityRow] = []
    columns = zip(
        t["school_code"].astype(str).tolist(), t["grade"].tolist(),
        t["class_name"].tolist(), t["survey_code"].astype(str).tolist(),
        t["round"].tolist(), t["domain"].astype(str).tolist(),
        t["item_code"].astype(str).tolist(), n.tolist(), value.tolist(), low.tolist(),
        high.tolist(), city.tolist(), diff.tolist(), tones.tolist(), shown.tolist(),
        own_pct.tolist(), city_pct.tolist(), (city_total[:, 0] > 0).tolist(), strict=True)
    for (school, grade, cls, survey, rnd, domain, item, nn, v, lo, hi, c, d, tone_, ok,
         opct, cpct, has_city) in columns:
        key = (survey, int(rnd), domain, item)
        level_grade = None if grade < 0 else int(grade)
        level_class = None if cls is None else str(cls)
        if ok and hidden.is_hidden(key, side, school, level_grade, level_class):
            ok = False
        if c == c and hidden.city_hidden(key, side, level_grade):
            c = float("nan")  # the city value would give a hidden city grade away
        city_value = None if c != c else float(c)  # NaN: no city value
        if ok:
            if city_value is None:
                tone_ = "none"
            cell_ = Cell(float(v), int(nn), Interval(float(lo), float(hi)), city_value,
                         None if city_value is None else float(d), tone_)
        else:
            cell_ = SUPPRESSED
        out.append(PositivityRow(
            school_code=school, grade=level_grade, class_name=level_class,
            survey_code=survey, round=int(rnd), domain=domain, item_code=item or None,
            cell=cell_, distribution=Distribution(
                BIN_EDGES, tuple(opct) if ok else None,
                tuple(cpct) if has_city and city_value is not None else None)))
    out.sort(key=row_order)
    return out


def wilson_arrays(share: npt.NDArray[np.float64], n: npt.NDArray[np.float64],
                  z: float = Z95) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """``intervals.wilson`` column-wise (percent); rows with n = 0 give NaN."""
    with np.errstate(divide="ignore", invalid="ignore"):
        z2 = z * z
        centre = (share + z2 / (2 * n)) / (1 + z2 / n)
        half = z / (1 + z2 / n) * np.sqrt(share * (1 - share) / n + z2 / (4 * n * n))
        low = np.where(share <= 0, 0.0, np.maximum(0.0, centre - half))
        high = np.where(share >= 1, 1.0, np.minimum(1.0, centre + half))
    return 100.0 * low, 100.0 * high


def row_order(r: PositivityRow) -> tuple[object, ...]:
    """School code first, then grade and class (whole school and whole grade first)."""
    return (r.school_code, -1 if r.grade is None else r.grade, r.class_name or "",
            r.survey_code, r.round, r.domain, r.item_code or "")
