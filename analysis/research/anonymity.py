"""k-anonymity of the quasi-identifiers by a fixed ladder of generalisations.

The quasi-identifiers are the ones a reader could know of a pupil from outside: school,
grade, sex and birth month. The ladder is global (one step for the whole extract, so every
row means the same thing) and deterministic; each step coarsens one of them:

0. none (学校コード, 学年, 性別, 生年月)
1. birth month → birth year
2. birth year dropped
3. school → school type (小学校／中学校)
4. grade → band (1〜3年, 4〜6年, 7〜9年)
5. sex dropped

The first step at which at most ``max_withheld`` of the rows lie in classes smaller than k is
taken (the last step if none is), and the rows of the classes still smaller than k are
withheld. A class is the rows sharing the fixed columns (the school year) and every
quasi-identifier; a missing value is a value of its own (不明), never a wildcard.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

K = 10
MAX_WITHHELD = 0.05  # a step that withholds at most this share of rows is fine enough
QUASI = ("school", "grade", "sex", "birth")  # the output's quasi-identifier columns
UNKNOWN = "不明"
GRADE_BANDS = ((1, 3, "1〜3年"), (4, 6, "4〜6年"), (7, 9, "7〜9年"))


@dataclass(frozen=True)
class Step:
    """One rung: how each quasi-identifier is published (None: not published)."""

    number: int
    label: str  # what this step changes, in Japanese (for the data dictionary)
    school: str  # "code" | "type"
    grade: str  # "grade" | "band"
    sex: bool
    birth: str | None  # "month" | "year" | None


LADDER = (
    Step(0, "一般化なし（学校・学年・性別・生年月）", "code", "grade", True, "month"),
    Step(1, "生年月を生まれ年に", "code", "grade", True, "year"),
    Step(2, "生まれ年を削除", "code", "grade", True, None),
    Step(3, "学校を校種（小学校・中学校）に", "type", "grade", True, None),
    Step(4, "学年を学年帯（1〜3年・4〜6年・7〜9年）に", "type", "band", True, None),
    Step(5, "性別を削除", "type", "band", False, None),
)


@dataclass(frozen=True)
class Anonymised:
    """The published rows and what it took."""

    frame: pd.DataFrame  # the input's other columns + QUASI, small classes' rows removed
    step: Step
    withheld: int  # rows removed because their class stayed smaller than k
    classes: int  # classes published
    smallest: int  # the smallest published class (0 when nothing is published)
    k: int


def _band(grade: object) -> str:
    if grade is None or pd.isna(grade):  # type: ignore[call-overload]
        return UNKNOWN
    value = int(grade)  # type: ignore[call-overload]
    for low, high, label in GRADE_BANDS:
        if low <= value <= high:
            return label
    return UNKNOWN


def _text(series: pd.Series) -> pd.Series:
    return series.map(lambda v: UNKNOWN if v is None or pd.isna(v) or str(v) == "" else str(v))


def apply_step(frame: pd.DataFrame, step: Step) -> pd.DataFrame:
    """``frame`` (columns school_code, school_type, grade, sex, birth_date 'YYYY-MM-DD')
    with the published QUASI columns for this step in place of those five."""
    out = frame.drop(columns=["school_code", "school_type", "grade", "sex", "birth_date"])
    out["school"] = _text(frame["school_code"] if step.school == "code"
                          else frame["school_type"])
    if step.grade == "grade":
        out["grade"] = _text(frame["grade"].map(
            lambda g: None if g is None or pd.isna(g) else str(int(g))))
    else:
        out["grade"] = frame["grade"].map(_band)
    out["sex"] = _text(frame["sex"]) if step.sex else None
    birth = frame["birth_date"].map(lambda d: None if d is None or pd.isna(d) else str(d))
    if step.birth == "month":
        out["birth"] = _text(birth.map(lambda d: None if d is None else d[:7]))
    elif step.birth == "year":
        out["birth"] = _text(birth.map(lambda d: None if d is None else d[:4]))
    else:
        out["birth"] = None
    for column in QUASI:
        out[column] = out[column].astype("object")
    return out


def class_sizes(frame: pd.DataFrame, by: tuple[str, ...]) -> pd.Series:
    """For each row, the number of rows sharing its ``by`` and quasi-identifier values."""
    if frame.empty:
        return pd.Series([], dtype="int64", index=frame.index)
    keys = [frame[c].astype("object").where(frame[c].notna(), "\0") for c in (*by, *QUASI)]
    return frame.groupby(keys, sort=False)[QUASI[0]].transform("size").astype("int64")


def anonymise(
    frame: pd.DataFrame, *, k: int = K, by: tuple[str, ...] = ("school_year",),
    max_withheld: float = MAX_WITHHELD,
) -> Anonymised:
    """Climb the ladder to the first step that is fine enough, then withhold the rows of the
    classes still under k (see the module's docstring)."""
    if k < 1:
        raise ValueError("k must be at least 1")
    chosen: tuple[Step, pd.DataFrame, pd.Series] | None = None
    for step in LADDER:
        published = apply_step(frame, step)
        small = class_sizes(published, by) < k
        chosen = (step, published, small)
        if int(small.sum()) <= max_withheld * len(published):
            break
    assert chosen is not None
    step, published, small = chosen
    kept = published.loc[~small].reset_index(drop=True)
    sizes = class_sizes(kept, by)
    return Anonymised(
        frame=kept, step=step, withheld=int(small.sum()),
        classes=0 if kept.empty else int(
            kept.groupby([kept[c].astype("object").where(kept[c].notna(), "\0")
                          for c in (*by, *QUASI)], sort=False).ngroups),
        smallest=int(sizes.min()) if len(sizes) else 0, k=k)
