"""Import throughput: a city's five years of monthly attendance (~700,000 rows) in one file.

Printed beside two baselines measured in the same run: pandas reading the same file
(dtype=str), and a plain-SQLite executemany of the same rows.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.benchmarks.conftest import report
from toda_desktop.composition import Application
from toda_desktop.demo import DemoConfig, generate_city
from toda_desktop.demo.load import load_city
from toda_desktop.store_setup import create_empty_store

PASSWORD = "benchmark password"


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("bench-import")
    city = generate_city(DemoConfig(seed=1, first_year=2021, last_year=2025))
    attendance = city.frames["attendance_monthly"]
    header = {"address_code": "宛名番号", "school_year": "年度", "month": "月",
              "school_days": "授業日数", "absence_days": "欠席日数", "sick_days": "病気欠席",
              "accident_days": "事故欠席", "suspension_days": "出席停止忌引",
              "late_count": "遅刻", "early_leave_count": "早退"}
    path = folder / "出欠状況_2021-2025.csv"
    attendance[list(header)].rename(columns=header).to_csv(path, index=False, encoding="cp932")
    # The store holds the master, schools and enrollments, as before an attendance import.
    for name in list(city.frames):
        if name not in ("students", "schools", "enrollments"):
            city.frames[name] = city.frames[name].iloc[0:0]
    created = create_empty_store(folder / "city.tdb", "test", "lead", PASSWORD, scrypt_n=2**10)
    load_city(created.store, city, "lead")
    created.store.close()
    return folder / "city.tdb", path


def test_import_five_years_of_attendance(setup: tuple[Path, Path]) -> None:
    store, path = setup
    rows = sum(1 for _ in path.open(encoding="cp932")) - 1
    print(f"\n[benchmark] file: {rows:,} rows, {path.stat().st_size / 1e6:.1f} MB (CP932)")

    start = time.perf_counter()
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="cp932")
    pandas_read = time.perf_counter() - start

    plain = sqlite3.connect(store.parent / "plain.db", isolation_level=None)
    plain.execute("CREATE TABLE a (pupil TEXT, y INT, m INT, d INT, ab INT, s INT, acc INT,"
                  " sus INT, late INT, early INT)")
    values = list(frame.itertuples(index=False, name=None))
    start = time.perf_counter()
    plain.execute("BEGIN")
    plain.executemany("INSERT INTO a VALUES (?,?,?,?,?,?,?,?,?,?)", values)
    plain.execute("COMMIT")
    sqlite_insert = time.perf_counter() - start
    plain.close()

    app = Application(store)
    signed = app.sign_in("lead", PASSWORD)
    try:
        start = time.perf_counter()
        inspection = signed.importer.inspect(path)
        read = time.perf_counter() - start
        preview = signed.importer.preview(inspection)
        prepared = time.perf_counter() - start
        result = signed.importer.commit(preview)
        total = time.perf_counter() - start
    finally:
        app.close()
    assert result.inserted > 0.95 * rows
    print(f"[benchmark] ours: read {read:.1f} s, parse+validate+link+compare "
          f"{prepared - read:.1f} s, commit {total - prepared:.1f} s; total {total:.1f} s "
          f"= {rows / total:,.0f} rows/s")
    report("import (whole pipeline) vs pandas read_csv", total, pandas_read, "pandas read")
    report("import (whole pipeline) vs plain SQLite insert", total, sqlite_insert,
           "plain SQLite executemany")
