"""Former pupils and leave dates come from the enrolments: the rule retention and search share."""

from __future__ import annotations

from datetime import date

from storage.repos import leavers
from storage.store import Store


def _town(store: Store) -> None:
    """Four pupils; the store's latest year is 2025."""

    def fill(conn: object) -> None:
        c = conn  # sqlite connection
        c.executemany(  # type: ignore[attr-defined]
            "INSERT INTO ds_schools (school_code, school_name, school_type) VALUES (?, ?, ?)",
            [("E1", "第一小学校", "小学校"), ("J1", "第一中学校", "中学校"),
             ("G1", "義務教育学校", "小学校")])
        c.executemany(  # type: ignore[attr-defined]
            "INSERT INTO ds_students (id, address_code, name, name_kana, birth_date, sex)"
            " VALUES (?, ?, ?, ?, '2010-05-01', '男')",
            [(1, "1001", "山田太郎", "ヤマダタロウ"), (2, "1002", "鈴木花子", "スズキハナコ"),
             (3, "1003", "佐藤次郎", "サトウジロウ"), (4, "1004", "高橋三郎", "タカハシサブロウ")])
        rows = [
            # 1: graduates from 中3 in 2023
            (1, 2022, "J1", 2), (1, 2023, "J1", 3),
            # 2: leaves from 小4 in 2021 (transfer out)
            (2, 2020, "E1", 3), (2, 2021, "E1", 4),
            # 3: current (in the latest year)
            (3, 2024, "J1", 2), (3, 2025, "J1", 3),
            # 4: 義務教育学校 9年 in 2024
            (4, 2024, "G1", 9),
        ]
        c.executemany(  # type: ignore[attr-defined]
            "INSERT INTO ds_enrollments (pupil_id, school_year, school_code, grade, class_name,"
            " seat_number) VALUES (?, ?, ?, ?, '1', 1)", rows)

    store.db.call(fill)


def test_former_pupils_are_those_missing_from_the_latest_year(test_store: Store) -> None:
    _town(test_store)
    found = test_store.db.call(leavers.leavers)
    assert [(f.pupil_id, f.last_year, f.reason) for f in found] == [
        (1, 2023, leavers.GRADUATED), (2, 2021, leavers.TRANSFERRED),
        (4, 2024, leavers.GRADUATED)]
    assert test_store.db.call(leavers.latest_school_year) == 2025


def test_the_leave_date_is_the_last_day_of_the_last_enrolled_year(test_store: Store) -> None:
    _town(test_store)
    first = test_store.db.call(lambda c: leavers.leaver(c, 1))
    assert first is not None and first.left_on == date(2024, 3, 31)
    assert first.retention_ends(5) == date(2029, 3, 31)
    assert not first.is_due(5, date(2029, 3, 31)) and first.is_due(5, date(2029, 4, 1))


def test_a_pupil_in_the_latest_year_is_not_former(test_store: Store) -> None:
    _town(test_store)
    assert test_store.db.call(lambda c: leavers.leaver(c, 3)) is None
    assert not test_store.db.call(lambda c: leavers.is_former(c, 3))
    second = test_store.db.call(lambda c: leavers.leaver(c, 2))
    assert second is not None and second.reason == leavers.TRANSFERRED


def test_an_empty_store_has_no_leavers(test_store: Store) -> None:
    assert test_store.db.call(leavers.leavers) == []
    assert test_store.db.call(leavers.latest_school_year) is None
