"""Former pupils and leave dates come from the enrolments: the rule retention and search share.

Registers arrive school by school, so a pupil is former only once the school of their last
enrolment has a newer register without them (``storage.repos.leavers``).
"""

from __future__ import annotations

from datetime import date

from storage.connection import Connection
from storage.registry import default_registry
from storage.repos import leavers
from storage.repos import retention as repo
from storage.store import Store

# (pupil id, school year, school code, grade) of a hand-made town; the store's latest year is
# 2025. J2 has not sent its 2025 register yet; C1 closed after 2023 (no register since).
ENROLMENTS = [
    (1, 2022, "J1", 2), (1, 2023, "J1", 3),  # graduated from 中3 in 2023
    (2, 2020, "E1", 3), (2, 2021, "E1", 4),  # left from 小4 in 2021
    (3, 2024, "J1", 2), (3, 2025, "J1", 3),  # 中3 of the latest year: still enrolled
    (4, 2024, "G1", 9),  # 義務教育学校 9年 in 2024; G1's 2025 register lists only pupil 5
    (5, 2025, "G1", 1),
    (6, 2024, "J2", 1),  # J2's 2025 register is not in yet
    (7, 2024, "J1", 1),  # J1's 2025 register is in, without pupil 7
    (8, 2024, "J1", 2), (8, 2024, "J2", 2),  # moved from J1 to J2 during 2024
    (9, 2023, "C1", 4),  # the school closed after 2023
]


def _town(store: Store) -> None:
    def fill(c: Connection) -> None:
        c.executemany(
            "INSERT INTO ds_schools (school_code, school_name, school_type) VALUES (?, ?, ?)",
            [("E1", "第一小学校", "小学校"), ("J1", "第一中学校", "中学校"),
             ("J2", "第二中学校", "中学校"), ("G1", "義務教育学校", "小学校"),
             ("C1", "旧第三小学校", "小学校")])
        c.executemany(
            "INSERT INTO ds_students (id, address_code, name, name_kana, birth_date, sex)"
            " VALUES (?, ?, ?, ?, '2010-05-01', '男')",
            [(i, f"100{i}", f"児童{i}", f"ジドウ{i}") for i in range(1, 11)])
        _enrol(c, ENROLMENTS)

    store.db.call(fill)


def _enrol(c: Connection, rows: list[tuple[int, int, str, int]]) -> None:
    c.executemany(
        "INSERT INTO ds_enrollments (pupil_id, school_year, school_code, grade, class_name,"
        " seat_number) VALUES (?, ?, ?, ?, '1', ?)", [(*r, r[0]) for r in rows])


def _former(store: Store) -> list[tuple[int, int, str]]:
    return [(f.pupil_id, f.last_year, f.reason) for f in store.db.call(leavers.leavers)]


def test_former_pupils_are_those_missing_from_their_own_schools_newer_register(
    test_store: Store,
) -> None:
    _town(test_store)
    assert _former(test_store) == [
        (1, 2023, leavers.GRADUATED), (2, 2021, leavers.TRANSFERRED),
        (4, 2024, leavers.GRADUATED), (7, 2024, leavers.TRANSFERRED),
        (9, 2023, leavers.TRANSFERRED)]
    assert test_store.db.call(leavers.latest_school_year) == 2025


def test_a_pupil_whose_school_has_not_sent_its_new_register_stays_current(
    test_store: Store,
) -> None:
    _town(test_store)
    for pupil in (6, 8):  # J2 (and, for 8, one of the two schools of 2024) waits
        assert test_store.db.call(lambda c, p=pupil: leavers.leaver(c, p)) is None
    # J2's 2025 register arrives with pupil 10 only: 6 and 8 have left.
    test_store.db.call(lambda c: _enrol(c, [(10, 2025, "J2", 1)]))
    assert test_store.db.call(lambda c: leavers.leaver(c, 6)) == leavers.Leaver(
        6, 2024, leavers.TRANSFERRED)
    assert test_store.db.call(lambda c: leavers.is_former(c, 8))


def test_one_schools_register_of_a_new_year_leaves_other_schools_pupils_current(
    test_store: Store,
) -> None:
    _town(test_store)
    test_store.db.call(lambda c: _enrol(c, [(5, 2026, "G1", 2)]))  # only G1 has sent 2026
    assert test_store.db.call(leavers.latest_school_year) == 2026
    assert not test_store.db.call(lambda c: leavers.is_former(c, 3))  # J1 has not sent 2026
    assert [p for p, _, _ in _former(test_store)] == [1, 2, 4, 6, 7, 8, 9]


def test_a_third_year_of_the_latest_year_is_current_until_the_next_register(
    test_store: Store,
) -> None:
    _town(test_store)
    assert test_store.db.call(lambda c: leavers.leaver(c, 3)) is None
    test_store.db.call(lambda c: _enrol(c, [(10, 2026, "J1", 1)]))
    assert test_store.db.call(lambda c: leavers.leaver(c, 3)) == leavers.Leaver(
        3, 2025, leavers.GRADUATED)


def test_a_closed_school_with_no_register_for_two_years_leaves_its_pupils_former(
    test_store: Store,
) -> None:
    _town(test_store)
    assert test_store.db.call(lambda c: leavers.leaver(c, 9)) == leavers.Leaver(
        9, 2023, leavers.TRANSFERRED)


def test_the_leave_date_is_the_last_day_of_the_last_enrolled_year(test_store: Store) -> None:
    _town(test_store)
    first = test_store.db.call(lambda c: leavers.leaver(c, 1))
    assert first is not None and first.left_on == date(2024, 3, 31)
    assert first.retention_ends(5) == date(2029, 3, 31)
    assert not first.is_due(5, date(2029, 3, 31)) and first.is_due(5, date(2029, 4, 1))


def test_retention_counts_only_the_pupils_the_rule_calls_former(test_store: Store) -> None:
    _town(test_store)
    registry = default_registry()
    enrollments = registry.kind("enrollments")  # 学籍: 20 years from the leave date

    def due_pupils(as_of: date) -> set[int]:
        dues = test_store.db.call(lambda c: repo.due(c, registry, [enrollments], as_of, 2025))
        return {p for d in dues for _, p, _ in d.rows}

    # The 2024 leavers' period ends on 2045-03-31; 6 and 8 are not due: J2 has not sent 2025.
    assert due_pupils(date(2045, 4, 1)) == {1, 2, 4, 7, 9}
    assert due_pupils(date(2045, 3, 31)) == {1, 2, 9}
    assert due_pupils(date(2044, 3, 31)) == {2}


def test_an_empty_store_has_no_leavers(test_store: Store) -> None:
    assert test_store.db.call(leavers.leavers) == []
    assert test_store.db.call(leavers.latest_school_year) is None
