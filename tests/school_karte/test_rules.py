"""The cell rules against hand-computed examples: Wilson's interval, the city's ±7-point rule,
grey 「差は不確か」 whenever the interval includes the city value, and suppression under 10."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.school_karte.intervals import wilson
from analysis.school_karte.positivity import GROUP_COLUMNS, cell, positivity_rows


def test_wilson_interval_matches_the_hand_computed_values() -> None:
    # 30 of 40, z = 1.96: z²/n = .09604, centre (.75 + .04802) / 1.09604 = .72810,
    # half 1.96 / 1.09604 * sqrt(.0046875 + .00060025) = .13004 → [59.81, 85.81]
    got = wilson(0.75, 40)
    assert got.low == pytest.approx(59.81, abs=0.01)
    assert got.high == pytest.approx(85.81, abs=0.01)
    # 0 of 12 stays inside 0–100
    zero = wilson(0.0, 12)
    assert zero.low == 0.0 and zero.high == pytest.approx(24.25, abs=0.01)


@pytest.mark.parametrize(("share", "n", "city", "tone", "difference"), [
    (0.75, 40, 58.0, "above", 17.0),  # 75 % [59.8, 85.8] excludes 58, +17 ≥ 7: green
    (0.75, 40, 60.0, "uncertain", 15.0),  # +15 but 60 is inside [59.8, 85.8]: grey
    (0.75, 40, 70.0, "uncertain", 5.0),  # interval includes 70: grey 差は不確か
    (0.75, 40, 66.0, "uncertain", 9.0),  # +9 points but the interval includes 66: still grey
    (0.60, 400, 70.0, "below", -10.0),  # 60 % [55.1, 64.7] excludes 70, -10 ≤ -7: red
    (0.75, 400, 69.0, "within", 6.0),  # [70.5, 79.1] excludes 69 but +6 < 7: no colour
    (0.60, 400, 67.0, "below", -7.0),  # exactly -7 and the interval excludes 67: red
])
def test_the_seven_point_rule_colours_a_cell_unless_its_interval_includes_the_city(
    share: float, n: int, city: float, tone: str, difference: float,
) -> None:
    c = cell(share * n, n, city / 100 * 1000, 1000)
    assert c.tone == tone
    assert c.difference == pytest.approx(difference)
    assert c.n == n and c.value == pytest.approx(100 * share)


def test_a_group_under_ten_pupils_is_suppressed_whole() -> None:
    c = cell(9.0, 9, 500.0, 1000)
    assert c.suppressed and c.tone == "suppressed"
    assert (c.value, c.n, c.interval, c.city, c.difference) == (None,) * 5
    assert not cell(10.0, 10, 500.0, 1000).suppressed


def _group(school: str, grade: int, cls: str, n: int, positive: int) -> tuple[object, ...]:
    return (school, grade, cls, "HAPPY", 1, "友人関係", "", n, float(positive),
            n - positive, 0, 0, 0, positive)


def test_classes_add_up_to_grades_and_schools_and_the_city_is_the_same_grade() -> None:
    groups = pd.DataFrame([
        _group("B02", 4, "1", 30, 24),
        _group("B02", 4, "2", 9, 9),  # suppressed as a class, counted in the grade
        _group("A01", 4, "1", 40, 20),
        _group("A01", 5, "1", 20, 10),
        _group("C03", 7, "1", 50, 10),  # another school's grade 7: not B02's comparison
    ], columns=list(GROUP_COLUMNS))
    rows = {(r.school_code, r.grade, r.class_name): r.cell for r in positivity_rows(groups)}
    assert rows[("B02", 4, "2")].suppressed
    # … and so is class 1, else grade 4 minus class 1 would give class 2 away
    assert rows[("B02", 4, "1")].suppressed
    grade = rows[("B02", 4, None)]
    assert grade.n == 39 and grade.value == pytest.approx(100 * 33 / 39)
    assert grade.city == pytest.approx(100 * 53 / 79)  # grade 4 of the city: 33 + 20 of 79
    school = rows[("B02", None, None)]
    assert school.city == pytest.approx(100 * 53 / 79)  # B02 has grade 4 only
    a01 = rows[("A01", None, None)]
    assert a01.city == pytest.approx(100 * (53 + 10) / (79 + 20))  # grades 4 and 5


def test_cells_come_in_school_code_order_whatever_their_values() -> None:
    groups = pd.DataFrame([
        _group("C03", 4, "1", 40, 40),
        _group("A01", 4, "1", 40, 4),
        _group("B02", 4, "1", 40, 20),
    ], columns=list(GROUP_COLUMNS))
    order = [r.school_code for r in positivity_rows(groups) if r.grade is None]
    assert order == ["A01", "B02", "C03"]


def test_one_suppressed_class_takes_the_smallest_other_class_of_its_grade_with_it() -> None:
    groups = pd.DataFrame([
        _group("A01", 4, "1", 30, 20), _group("A01", 4, "2", 25, 20),
        _group("A01", 4, "3", 3, 1), _group("A01", 5, "1", 30, 20),
    ], columns=list(GROUP_COLUMNS))
    rows = {(r.grade, r.class_name): r.cell for r in positivity_rows(groups)}
    assert rows[(4, "3")].suppressed and rows[(4, "2")].suppressed
    assert not rows[(4, "1")].suppressed and not rows[(4, None)].suppressed
    assert not rows[(5, "1")].suppressed  # alone in its grade: the grade shows it anyway


def test_the_column_wise_cells_equal_the_one_cell_rule() -> None:
    rng = np.random.default_rng(4)
    rows = []
    for school in ("A01", "B02", "C03", "D04"):
        for cls in ("1", "2", "3"):
            n = int(rng.integers(10, 40))
            rows.append(_group(school, 4, cls, n, int(rng.integers(0, n + 1))))
    groups = pd.DataFrame(rows, columns=list(GROUP_COLUMNS))
    city_n = float(groups["n"].sum())
    city_sum = float(groups["share_sum"].sum())
    for r in positivity_rows(groups):
        if r.class_name is None or r.cell.suppressed:
            continue
        own = groups[(groups["school_code"] == r.school_code)
                     & (groups["class_name"] == r.class_name)].iloc[0]
        expected = cell(float(own["share_sum"]), int(own["n"]), city_sum, int(city_n))
        assert r.cell.tone == expected.tone
        assert r.cell.value == pytest.approx(expected.value)
        assert r.cell.interval == pytest.approx(expected.interval)
        assert r.cell.city == pytest.approx(expected.city)
