"""Push-support counts: a withheld count cannot be recovered from the total above it."""

from __future__ import annotations

from toda_desktop.school_karte.models import SupportCount
from toda_desktop.school_karte.service import complementary_counts


def _c(grade: int | None, cls: str | None, count: int | None) -> SupportCount:
    return SupportCount("A01", grade, cls, "consultation", "2025-06", "SC", count)


def test_one_withheld_grade_takes_the_smallest_shown_grade_with_it() -> None:
    got = complementary_counts([_c(None, None, 9), _c(2, None, 2), _c(3, None, 5),
                                _c(5, None, None)])
    counts = {c.grade: c.count for c in got}
    assert counts == {None: 9, 2: None, 3: 5, 5: None}


def test_a_withheld_grade_alone_under_its_total_withholds_the_total() -> None:
    got = complementary_counts([_c(None, None, 4), _c(5, None, None)])
    assert all(c.count is None for c in got)


def test_a_withheld_class_opens_its_grade_and_then_the_school_line() -> None:
    got = complementary_counts([
        _c(None, None, 7), _c(1, None, 3), _c(4, None, 4),
        _c(4, "1", None),  # the grade's only class row: the grade total would give it away
    ])
    counts = {(c.grade, c.class_name): c.count for c in got}
    assert counts[(4, "1")] is None and counts[(4, None)] is None
    assert counts[(1, None)] is None  # … and then grade 4 alone in the school's line
    assert counts[(None, None)] == 7
