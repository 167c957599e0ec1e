"""The generalisation ladder on hand-made pupil-years: each rule by name."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.research.anonymity import LADDER, QUASI, UNKNOWN, anonymise, apply_step


def pupils(*groups: tuple[int, str, str, int, str, str]) -> pd.DataFrame:
    """(count, school_code, school_type, grade, sex, birth_date) → that many rows."""
    rows = []
    for count, school, kind, grade, sex, birth in groups:
        rows += [(len(rows) + i, 2025, school, kind, grade, sex, birth) for i in range(count)]
    return pd.DataFrame(rows, columns=["pupil_id", "school_year", "school_code", "school_type",
                                       "grade", "sex", "birth_date"])


def sizes(frame: pd.DataFrame) -> pd.Series:
    return frame.groupby(["school_year", *QUASI], dropna=False).size()


def test_classes_already_of_k_are_published_without_generalising() -> None:
    frame = pupils((10, "101", "小学校", 3, "男", "2016-05-03"),
                   (12, "101", "小学校", 3, "女", "2016-05-20"))
    result = anonymise(frame)
    assert result.step.number == 0 and result.withheld == 0
    assert sorted(result.frame["birth"].unique()) == ["2016-05"]
    assert sizes(result.frame).min() == 10


def test_birth_month_becomes_birth_year_when_months_split_a_class_below_k() -> None:
    frame = pupils((6, "101", "小学校", 3, "男", "2016-05-03"),
                   (6, "101", "小学校", 3, "男", "2016-09-03"))
    result = anonymise(frame)
    assert result.step.number == 1
    assert result.frame["birth"].tolist() == ["2016"] * 12


def test_school_becomes_school_type_when_schools_are_too_small() -> None:
    frame = pupils((5, "101", "小学校", 3, "男", "2016-05-03"),
                   (5, "102", "小学校", 3, "男", "2016-05-03"))
    result = anonymise(frame)
    assert result.step.number == 3
    assert set(result.frame["school"]) == {"小学校"}
    assert result.frame["birth"].isna().all()


def test_grades_become_bands_of_three() -> None:
    frame = pupils((5, "101", "小学校", 4, "女", "2015-05-03"),
                   (5, "102", "小学校", 6, "女", "2013-05-03"))
    result = anonymise(frame)
    assert result.step.number == 4
    assert set(result.frame["grade"]) == {"4〜6年"}


def test_sex_is_dropped_last() -> None:
    frame = pupils((5, "101", "中学校", 7, "女", "2012-05-03"),
                   (5, "102", "中学校", 8, "男", "2011-05-03"))
    result = anonymise(frame)
    assert result.step.number == 5
    assert result.frame["sex"].isna().all() and result.withheld == 0


def test_rows_of_classes_still_under_k_at_the_top_of_the_ladder_are_withheld() -> None:
    frame = pupils((12, "101", "小学校", 2, "男", "2017-05-03"),
                   (3, "201", "中学校", 8, "女", "2011-05-03"))
    result = anonymise(frame)
    # 3 of 15 rows (20%) is more than the 5% allowed at every step: the last step is taken
    # and the three rows are withheld.
    assert result.step is LADDER[-1]
    assert result.withheld == 3 and len(result.frame) == 12


def test_a_few_rows_are_withheld_rather_than_generalising_everyone() -> None:
    frame = pupils((100, "101", "小学校", 2, "男", "2017-05-03"),
                   (2, "101", "小学校", 2, "男", "2017-06-03"))
    result = anonymise(frame)
    assert result.step.number == 0  # 2 of 102 rows (2%) is within the 5% allowed
    assert result.withheld == 2 and len(result.frame) == 100


def test_every_published_class_holds_at_least_k_rows() -> None:
    frame = pupils(*((n, f"1{n:02d}", "小学校", 1 + n % 6, "男女"[n % 2],
                      f"201{n % 7}-0{1 + n % 9}-01") for n in range(1, 40)))
    result = anonymise(frame)
    assert sizes(result.frame).min() >= 10
    assert result.smallest >= 10


def test_classes_are_counted_within_a_school_year() -> None:
    one = pupils((6, "101", "小学校", 3, "男", "2016-05-03"))
    frame = pd.concat([one.assign(school_year=2024), one.assign(school_year=2025)])
    result = anonymise(frame)
    assert result.step is LADDER[-1] and result.withheld == 12


def test_a_missing_value_is_its_own_value_never_a_wildcard() -> None:
    frame = pupils((30, "101", "小学校", 3, "男", "2016-05-03"),
                   (1, "101", "小学校", 3, None, "2016-05-03"))  # type: ignore[arg-type]
    published = apply_step(frame, LADDER[0])
    assert (published["sex"] == UNKNOWN).sum() == 1
    result = anonymise(frame)
    # The one pupil of unknown sex is a class of one (withheld), not counted among the 男.
    assert result.step.number == 0
    assert UNKNOWN not in set(result.frame["sex"]) and result.withheld == 1


def test_the_published_frame_keeps_the_other_columns_and_drops_the_raw_ones() -> None:
    result = anonymise(pupils((10, "101", "小学校", 3, "男", "2016-05-03")))
    assert list(result.frame.columns) == ["pupil_id", "school_year", *QUASI]


def test_k_below_one_is_refused() -> None:
    with pytest.raises(ValueError):
        anonymise(pupils((1, "101", "小学校", 3, "男", "2016-05-03")), k=0)


def test_an_empty_population_publishes_nothing_and_withholds_nothing() -> None:
    result = anonymise(pupils())
    assert result.frame.empty and result.withheld == 0 and result.smallest == 0
