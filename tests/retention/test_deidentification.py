"""Once 学籍 (20 years) has ended, a former pupil keeps only a random pseudonym: names, kana,
birth date and IDs are gone, search no longer finds the pupil, and school-level statistics
still add up."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from storage.connection import Connection
from tests.retention.helpers import FIVE_YEARS_ON, TWENTY_YEARS_ON, sign_in
from toda_desktop.composition import SignedIn
from toda_desktop.retention.pseudonyms import is_pseudonym

FORMER = ("SELECT pupil_id FROM ds_enrollments GROUP BY pupil_id"
          " HAVING max(school_year) < (SELECT max(school_year) FROM ds_enrollments)")


def _statistics(conn: Connection) -> Counter[tuple[object, ...]]:
    """Enrolments per school year, school, grade, class and sex: what school reports count."""
    return Counter({tuple(r[:-1]): int(r[-1]) for r in conn.execute(
        "SELECT e.school_year, e.school_code, e.grade, e.class_name, s.sex, count(*)"
        " FROM ds_enrollments e JOIN ds_students s ON s.id = e.pupil_id GROUP BY 1, 2, 3, 4, 5")})


def _purge(lead: SignedIn) -> None:
    plan = lead.retention.approve(lead.retention.make_plan().id)
    lead.retention.run(plan.id)


def test_statistics_add_up_after_pseudonymisation(demo_store_path: Path) -> None:
    lead = sign_in(demo_store_path, "project_lead", TWENTY_YEARS_ON)
    try:
        before = lead.store.db.call(_statistics)
        former = lead.store.db.call(lambda c: [int(r[0]) for r in c.execute(FORMER)])
        _purge(lead)
        assert lead.store.db.call(_statistics) == before
        rows = lead.store.db.call(lambda c: c.execute(
            f"SELECT name, name_kana, birth_date, address_code FROM ds_students"
            f" WHERE id IN ({FORMER})").fetchall())
        assert len(rows) == len(former) > 0
        assert all(is_pseudonym(name) and kana is None and born is None and code is None
                   for name, kana, born, code in rows)
        assert len({name for name, *_ in rows}) == len(rows)  # one pseudonym per pupil
        ids = lead.store.db.call(lambda c: c.execute(
            f"SELECT count(*) FROM ds_enrollments WHERE pupil_id IN ({FORMER})"
            " AND (pref_id IS NOT NULL OR google_account IS NOT NULL)").fetchone()[0])
        assert ids == 0
        assert lead.retention.make_plan().records == 0  # nothing is done twice
    finally:
        lead.sign_out()


def test_pseudonyms_are_random_not_derived_from_ids(demo_store_path: Path,
                                                    tmp_path: Path) -> None:
    from tests.conftest import copy_store

    other = copy_store(demo_store_path, tmp_path / "again" / "demo.tdb")
    names = []
    for path in (demo_store_path, other):
        lead = sign_in(path, "project_lead", TWENTY_YEARS_ON)
        try:
            _purge(lead)
            names.append(lead.store.db.call(lambda c: dict(c.execute(
                "SELECT pupil_id, pseudonym FROM pupil_pseudonyms").fetchall())))
        finally:
            lead.sign_out()
    first, second = names
    assert first.keys() == second.keys()
    assert all(first[p] != second[p] for p in first)  # the same pupil, another token


def test_search_no_longer_finds_a_purged_or_deidentified_pupil(demo_store_path: Path) -> None:
    lead = sign_in(demo_store_path, "project_lead", TWENTY_YEARS_ON)
    try:
        pupil, name, kana, code = lead.store.db.call(lambda c: c.execute(
            f"SELECT id, name, name_kana, address_code FROM ds_students WHERE id IN ({FORMER})"
            " ORDER BY id LIMIT 1").fetchone())
        current = lead.store.db.call(lambda c: c.execute(
            f"SELECT id, name FROM ds_students WHERE id NOT IN ({FORMER}) LIMIT 1").fetchone())
        assert pupil in {h.pupil_id for h in lead.search.search(code).hits}
        _purge(lead)
        for query in (name, kana, code):
            assert pupil not in {h.pupil_id for h in lead.search.search(query).hits}
        assert current[0] in {h.pupil_id for h in lead.search.search(current[1]).hits}
    finally:
        lead.sign_out()


def test_five_years_on_the_records_go_but_the_register_stays(demo_store_path: Path) -> None:
    lead = sign_in(demo_store_path, "project_lead", FIVE_YEARS_ON)
    try:
        _purge(lead)
        left = lead.store.db.call(lambda c: c.execute(
            f"SELECT count(*) FROM ds_attendance_monthly WHERE pupil_id IN ({FORMER})"
        ).fetchone()[0])
        names = lead.store.db.call(lambda c: c.execute(
            f"SELECT count(*) FROM ds_students WHERE id IN ({FORMER}) AND address_code"
            " IS NOT NULL").fetchone()[0])
        assert left == 0 and names > 0  # 学籍 is kept for 20 years
    finally:
        lead.sign_out()
