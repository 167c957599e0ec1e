"""The store's SQL form of the school calendar agrees with the kernel, month by month, and
the store kind comes back as the enum with its stored word unchanged."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest

from kernel.school_calendar import SchoolMonth, school_year_of
from kernel.store_kind import StoreKind
from storage.errors import KeyFileDamaged
from storage.keys import KeyFile
from storage.school_calendar_sql import (
    calendar_month_text,
    month_from_order,
    month_order,
    school_year_of_date,
)
from storage.store import Store
from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD

DAYS = [date(2025, m, d) for m in range(1, 13) for d in (1, 28)] + [
    date(2026, 3, 31), date(2026, 4, 1), date(2024, 2, 29)]


def test_sql_school_year_of_a_date_matches_the_kernel_for_every_month(test_store: Store) -> None:
    sql = f"WITH d(v) AS (VALUES (?)) SELECT {school_year_of_date('v')} FROM d"
    for day in DAYS:
        got = test_store.db.call(lambda c, d=day: c.execute(sql, (d.isoformat(),)).fetchone()[0])
        assert got == school_year_of(day), day


def test_sql_month_order_runs_april_to_march_and_reads_back_as_the_same_month(
    test_store: Store,
) -> None:
    sql = f"WITH d(m) AS (VALUES (?)) SELECT {month_order('m')} FROM d"
    for month in range(1, 13):
        order = test_store.db.call(lambda c, m=month: c.execute(sql, (m,)).fetchone()[0])
        assert order == SchoolMonth(2025, month).offset + 1
        assert month_from_order(2025, order) == SchoolMonth.of(2025, order - 1)


def test_sql_month_text_of_a_school_year_and_month_is_the_calendar_month(
    test_store: Store,
) -> None:
    sql = f"WITH d(y, m) AS (VALUES (?, ?)) SELECT {calendar_month_text('y', 'm')} FROM d"
    for month in range(1, 13):
        text = test_store.db.call(lambda c, m=month: c.execute(sql, (2025, m)).fetchone()[0])
        assert SchoolMonth.parse(text) == SchoolMonth.of(2025, SchoolMonth(2000, month).offset)


def test_a_stores_kind_reads_back_as_the_enum_with_the_same_stored_word(
    test_store: Store, store_path: Path
) -> None:
    assert test_store.store_kind is StoreKind.TEST
    raw = json.loads(KeyFile.path_for(store_path).read_text(encoding="utf-8"))
    assert raw["store_kind"] == "test"
    stored = test_store.db.call(
        lambda c: c.execute("SELECT value FROM meta WHERE key = 'store_kind'").fetchone()[0])
    assert stored == "test"


def test_an_unknown_store_kind_is_refused_on_creation(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        Store.create(tmp_path / "x.tdb", "staging", LEAD_LOGIN, LEAD_PASSWORD,  # type: ignore[arg-type]
                     created_at=datetime(2026, 4, 1))


def test_a_key_file_with_an_unknown_store_kind_is_damaged() -> None:
    raw = KeyFile(store_id="s", store_kind=StoreKind.DEMO).to_json()
    raw["store_kind"] = "staging"
    with pytest.raises(KeyFileDamaged):
        KeyFile.from_json(raw)
