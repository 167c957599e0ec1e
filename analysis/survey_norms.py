"""Survey domains of one pupil against the grade: the grade norms and the judgment.

A pupil's value in a domain is the mean share of positive answers over the rows of that school
year (one row per survey, round and domain). The grade norm is the mean and the standard
deviation of those values over the pupils of the same grade that year. The norms of a year
need the whole year's answers, so they are computed once (:func:`grade_norms`) and kept by
the caller; judging one pupil (:func:`judge`) then needs only that pupil's own rows.

Pure functions on DataFrames and plain values (no database, no scikit-learn).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

DOMAIN_FACTORS: dict[str, str] = {
    "家庭": "家庭",
    "学習": "学習",
    "教師関係": "教師との関係",
    "友人関係": "友人との関係",
    "生活": "生活",
    "自己肯定感": "自己肯定感",
}
JUDGMENT_DOMAINS = ("家庭", "学習", "教師関係", "友人関係", "生活", "自己肯定感")
WEAK_Z = -1.0
WEAK_POINTS = 0.10


@dataclass(frozen=True)
class DomainJudgment:
    domain: str
    pupil_share: float
    grade_mean: float
    z: float
    weak: bool
    text: str


@dataclass(frozen=True)
class Norm:
    """One domain of one grade in one school year."""

    mean: float
    sd: float  # 0.0 when fewer than two pupils
    pupils: int


def year_grades(enrollments: pd.DataFrame, school_year: int) -> pd.Series:
    """Each pupil's grade in ``school_year`` (the last enrollment row of the year counts)."""
    enr = enrollments[enrollments["school_year"] == school_year]
    grades: pd.Series = enr.drop_duplicates("pupil_id", keep="last").set_index(
        "pupil_id")["grade"]
    return grades


def grade_norms(survey: pd.DataFrame, enrollments: pd.DataFrame,
                school_year: int) -> dict[tuple[int, str], Norm]:
    """Per (grade, domain) of ``school_year``: mean and standard deviation (ddof 1) of the
    pupils' values, and how many pupils."""
    grades = year_grades(enrollments, school_year)
    rows = survey[survey["school_year"] == school_year]
    grade = rows["pupil_id"].map(grades)
    rows = rows.assign(grade=grade)[grade.notna().to_numpy()]
    if rows.empty:
        return {}
    per_pupil = rows.groupby(["grade", "domain", "pupil_id"], observed=True)[
        "positive_share"].mean().dropna()
    by_grade = per_pupil.groupby(level=["grade", "domain"], observed=True)
    means, sds, sizes = by_grade.mean(), by_grade.std(ddof=1).fillna(0.0), by_grade.size()
    return {(int(g), str(d)): Norm(float(m), float(sd), int(n))
            for (g, d), m, sd, n in zip(means.index.tolist(), means.tolist(), sds.tolist(),
                                        sizes.tolist(), strict=True)}


def pupil_values(rows: pd.DataFrame) -> dict[str, float]:
    """One pupil's value per domain from their rows of one year (``domain``,
    ``positive_share``); domains without a value are left out."""
    if rows.empty:
        return {}
    means = rows.groupby("domain", observed=True)["positive_share"].mean().dropna()
    return {str(d): float(v) for d, v in means.items()}


def judge(values: Mapping[str, float], norms: Mapping[str, Norm]) -> list[DomainJudgment]:
    """The judgments of one pupil: weak when at least one standard deviation and 10 points
    below the grade mean, in the order of ``JUDGMENT_DOMAINS``."""
    out = []
    for domain in JUDGMENT_DOMAINS:
        value = values.get(domain)
        norm = norms.get(domain)
        if value is None or norm is None or not np.isfinite(value):
            continue
        z = (value - norm.mean) / norm.sd if norm.sd > 0 else 0.0
        weak = bool(z <= WEAK_Z and value <= norm.mean - WEAK_POINTS)
        label = DOMAIN_FACTORS.get(domain, domain)
        text = (f"{label}: 肯定的回答 {value * 100:.0f}%（学年平均 {norm.mean * 100:.0f}%）"
                + ("— 学年と比べて低めです" if weak else ""))
        out.append(DomainJudgment(domain, value, norm.mean, float(z), weak, text))
    return out


def norms_of_grade(norms: Mapping[tuple[int, str], Norm], grade: int) -> dict[str, Norm]:
    """The norms of one grade, by domain."""
    return {d: n for (g, d), n in norms.items() if g == grade}


def domain_judgments(
    survey: pd.DataFrame,
    enrollments: pd.DataFrame,
    pupil_id: int,
    school_year: int | None = None,
) -> list[DomainJudgment]:
    """For one pupil, straight from the year's tables (the latest year with answers by
    default): each survey domain's value against the same grade that school year."""
    mine = survey[survey["pupil_id"] == pupil_id]
    if mine.empty:
        return []
    year = int(mine["school_year"].max()) if school_year is None else int(school_year)
    mine = mine[mine["school_year"] == year]
    grades = year_grades(enrollments, year)
    if mine.empty or pupil_id not in grades.index or pd.isna(grades.loc[pupil_id]):
        return []
    norms = grade_norms(survey, enrollments, year)
    return judge(pupil_values(mine), norms_of_grade(norms, int(grades.loc[pupil_id])))
