"""Import throughput and memory: a city's five years of monthly attendance (~700,000 rows).

The whole pipeline (read, validate, link, compare, commit) is timed beside baselines measured
in the same run on the same rows:

- the bar (issue 10: within 3×): a plain ``executemany`` of the same rows into the same table
  with the same indexes, in one transaction, in a copy of the same encrypted store;
- for reference, the same into an unencrypted file of the same SQLite build with the store's
  schema, and pandas reading the file (dtype=str).

Wall and CPU time are both printed: the machine may be shared, and CPU time (all threads of
the process) is the steadier of the two. Each import runs in a fresh process that reports its
peak resident memory (VmHWM), for the 700,000-row file and for files four and eight times as
large (2.8M rows, ~94 MB; 5.6M rows, ~187 MB; generated into tmp): each must stay under
500 MiB (issue 10, point 10) and take at most 3x the CPU time of an insert of its own rows
into the same table (CPU, because helpers and virus scans share the machine; wall time is
printed beside it). A CSV is read in chunks; its checked rows are kept between the passes
while they fit ``importing.chunks.HOLD_BYTES``, and a larger file is read again on each pass.
So that the memory of such a file is measured too, the 4x and 8x files are also imported
reading again (``--read-again``): what still grows with the file is then a few bytes a row
(the key hashes, pupils and flags of the preview); the benchmark prints that growth and
asserts that a file at the 512 MB size limit, at the same bytes a row, stays under 500 MiB.
"""

from __future__ import annotations

import functools
import json
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlcipher3

from storage.registry import default_registry
from storage.schema import migrate
from tests.benchmarks.conftest import report
from toda_desktop.composition import Application
from toda_desktop.demo import DemoConfig, generate_city
from toda_desktop.demo.load import load_city
from toda_desktop.store_setup import create_empty_store

PASSWORD = "benchmark password"
ROOT = Path(__file__).resolve().parents[2]
HEADER = {"address_code": "宛名番号", "school_year": "年度", "month": "月",
          "school_days": "授業日数", "absence_days": "欠席日数", "sick_days": "病気欠席",
          "accident_days": "事故欠席", "suspension_days": "出席停止忌引",
          "late_count": "遅刻", "early_leave_count": "早退"}
COLUMNS = ["pupil_id", "source_row", *list(HEADER)[1:], "batch_id"]
INSERT = (f"INSERT INTO ds_attendance_monthly ({', '.join(COLUMNS)})"
          f" VALUES ({', '.join('?' for _ in COLUMNS)})")
MEMORY_LIMIT_MIB = 500
LARGER = (4, 8)  # the larger files: the same pupils in this many five-year spans
SIZE_LIMIT = 512 * 2**20  # the import's file size limit (importing.service.MAX_FILE_BYTES)
BATCH_ROWS = 500_000  # rows of the baseline insert converted at a time (not timed)
RATIO_LIMIT = 3.0  # the whole import against the same rows' insert into the same table


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[Path]]:
    folder = tmp_path_factory.mktemp("bench-import")
    city = generate_city(DemoConfig(seed=1, first_year=2021, last_year=2025))
    attendance = city.frames["attendance_monthly"][list(HEADER)].rename(columns=HEADER)
    path = folder / "出欠状況_2021-2025.csv"
    attendance.to_csv(path, index=False, encoding="cp932")
    # Four and eight times as large: the same pupils in other five-year spans too (unique
    # keys; 年度 stays within 1989-2100): 2006-2025, and 2006-2045.
    larger = []
    for times in LARGER:
        shifts = [5 * k for k in range(-3, times - 3)]
        years = f"{2021 + shifts[0]}-{2025 + shifts[-1]}"
        large = folder / f"出欠状況_{years}.csv"
        pd.concat([attendance.assign(年度=attendance["年度"] + k) for k in shifts]).to_csv(
            large, index=False, encoding="cp932")
        larger.append(large)
    # The store holds the master, schools and enrollments, as before an attendance import.
    for name in list(city.frames):
        if name not in ("students", "schools", "enrollments"):
            city.frames[name] = city.frames[name].iloc[0:0]
    created = create_empty_store(folder / "city.tdb", "test", "lead", PASSWORD, scrypt_n=2**10)
    load_city(created.store, city, "lead")
    created.store.close()
    return folder / "city.tdb", path, larger


def damage_every_row(attendance: pd.DataFrame) -> pd.DataFrame:
    """The file as a school might send it back wrong on every row: half the rows name a pupil
    the city does not know (a 宛名番号 with two digits too many, as when a column of another
    system's numbers is pasted in), and the other half carry a bad value in turn: 欠席日数
    written as words, 授業日数 above the month's days, 病気欠席 negative, 遅刻 as a date."""
    out = attendance.astype(str)
    n = len(out)
    turn = np.arange(n) % 8
    unknown = turn % 2 == 0
    out.loc[unknown, "宛名番号"] = "99" + out.loc[unknown, "宛名番号"]
    for at, column, value in ((1, "欠席日数", "不明"), (3, "授業日数", "45"),
                              (5, "病気欠席", "-2"), (7, "遅刻", "2024/05/01")):
        out.loc[turn == at, column] = value
    return out


def _copy_store(store: Path, folder: Path) -> Path:
    folder.mkdir()
    for f in store.parent.glob(store.name + "*"):
        shutil.copy(f, folder / f.name)
    return folder / store.name


def _pupil_ids(store: Path) -> dict[str, int]:
    app = Application(store)
    try:
        signed = app.sign_in("lead", PASSWORD)
        return dict(signed.store.db.call(lambda c: c.execute(
            "SELECT address_code, id FROM ds_students").fetchall()))
    finally:
        app.close()


def _row_batches(ids: dict[str, int], path: Path) -> Iterator[list[tuple[object, ...]]]:
    """The file's rows as the table stores them (pupil_id looked up by 宛名番号), a batch of
    BATCH_ROWS at a time (an 8x file's rows as Python tuples would take gigabytes)."""
    done = 0
    for frame in pd.read_csv(path, dtype=str, keep_default_na=False, encoding="cp932",
                             chunksize=BATCH_ROWS):
        yield [
            (ids[r[0]], done + n + 2, *[int(v) if v else None for v in r[1:]], None)
            for n, r in enumerate(frame.itertuples(index=False, name=None))
        ]
        done += len(frame)


def _timed(action: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def _same_table_insert(store: Path, path: Path) -> tuple[float, float, int]:
    """(wall, CPU, rows) of executemany of the file's rows into the same table in one
    transaction; only the inserts are timed (the rows are converted batch by batch)."""
    ids = _pupil_ids(store)
    app = Application(store)
    wall = cpu = 0.0
    count = 0
    try:
        signed = app.sign_in("lead", PASSWORD)

        def insert(conn: sqlite3.Connection) -> None:
            nonlocal wall, cpu, count
            conn.execute("BEGIN IMMEDIATE")
            for rows in _row_batches(ids, path):
                w, c = _timed(functools.partial(conn.executemany, INSERT, rows))
                wall, cpu, count = wall + w, cpu + c, count + len(rows)
            w, c = _timed(lambda: conn.execute("COMMIT"))
            wall, cpu = wall + w, cpu + c

        signed.store.db.call(insert)
        return wall, cpu, count
    finally:
        app.close()


def _plain_sqlite_insert(path: Path, rows: list[tuple[object, ...]]) -> tuple[float, float]:
    conn = sqlcipher3.connect(str(path), isolation_level=None)  # same build, no key
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        migrate(conn, default_registry())

        def insert() -> None:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(INSERT, rows)
            conn.execute("COMMIT")

        return _timed(insert)
    finally:
        conn.close()


def _import_in_subprocess(store: Path, path: Path, *options: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.import_worker", str(store), str(path),
         PASSWORD, *options],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=1800,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _print_import(name: str, rows: int, size: int, ours: dict[str, float]) -> None:
    print(f"\n[benchmark] {name}: {rows:,} rows, {size / 1e6:.1f} MB (CP932)")
    print(f"[benchmark]   wall: read {ours['read_wall']:.1f} s, parse+validate+link+compare "
          f"{ours['prepare_wall']:.1f} s, commit {ours['commit_wall']:.1f} s; total "
          f"{ours['total_wall']:.1f} s = {rows / ours['total_wall']:,.0f} rows/s")
    print(f"[benchmark]   CPU:  read {ours['read_cpu']:.1f} s, parse+validate+link+compare "
          f"{ours['prepare_cpu']:.1f} s, commit {ours['commit_cpu']:.1f} s; total "
          f"{ours['total_cpu']:.1f} s")
    print(f"[benchmark]   peak memory {ours['peak_rss_mib']:.0f} MiB (process after sign-in "
          f"{ours['rss_before_mib']:.0f} MiB) = {ours['peak_rss_mib'] * 2**20 / size:.0f}× "
          "the file")


@pytest.mark.timeout(3600)  # seven imports and three inserts, up to 5.6M rows each
def test_import_five_years_of_attendance(setup: tuple[Path, Path, list[Path]]) -> None:
    store, path, larger = setup
    work = store.parent
    rows = [r for batch in _row_batches(_pupil_ids(store), path) for r in batch]

    start = time.perf_counter()
    pd.read_csv(path, dtype=str, keep_default_na=False, encoding="cp932")
    pandas_read = time.perf_counter() - start
    same_wall, same_cpu, _ = _same_table_insert(_copy_store(store, work / "baseline"), path)
    plain_wall, plain_cpu = _plain_sqlite_insert(work / "plain.db", rows)
    ours = _import_in_subprocess(_copy_store(store, work / "ours"), path)

    assert ours["inserted"] == len(rows)
    _print_import("file", len(rows), path.stat().st_size, ours)
    print(f"[benchmark]   same rows into the same table, same indexes (encrypted store): "
          f"wall {same_wall:.1f} s, CPU {same_cpu:.1f} s; plain SQLite, same schema: wall "
          f"{plain_wall:.1f} s, CPU {plain_cpu:.1f} s")
    report("import (whole pipeline) vs pandas read_csv", ours["total_wall"], pandas_read,
           "pandas read")
    report("import (whole pipeline) vs executemany into the same table", ours["total_wall"],
           same_wall, "same-table executemany (wall)")
    report("import (whole pipeline) vs executemany into the same table, CPU",
           ours["total_cpu"], same_cpu, "same-table executemany (CPU)")
    report("import (whole pipeline) vs plain SQLite insert", ours["total_wall"], plain_wall,
           "plain SQLite executemany, same schema")
    del rows

    peaks = {"1x": ours["peak_rss_mib"]}
    ratios = {"1x": ours["total_cpu"] / same_cpu}
    walls = {"1x": ours["total_wall"] / same_wall}
    counts = {"1x": ours["inserted"]}
    sizes = {"1x": path.stat().st_size}
    for times, large in zip(LARGER, larger, strict=True):
        name = f"{times}x"
        bigger = _import_in_subprocess(_copy_store(store, work / f"large-{name}"), large)
        _print_import(f"{times} times as large", int(bigger["inserted"]),
                      large.stat().st_size, bigger)
        large_wall, large_cpu, large_rows = _same_table_insert(
            _copy_store(store, work / f"large-{name}-baseline"), large)
        report(f"import of the {name} file vs executemany into the same table",
               bigger["total_wall"], large_wall, "same-table executemany (wall)")
        report(f"import of the {name} file vs executemany into the same table, CPU",
               bigger["total_cpu"], large_cpu, "same-table executemany (CPU)")
        assert bigger["inserted"] == large_rows
        peaks[name], counts[name] = bigger["peak_rss_mib"], bigger["inserted"]
        ratios[name] = bigger["total_cpu"] / large_cpu
        walls[name] = bigger["total_wall"] / large_wall
        sizes[name] = large.stat().st_size
    print("[benchmark]   peak memory " + ", ".join(
        f"{peaks[name]:.0f} MiB ({name} file)" for name in peaks)
        + f"; goal: under {MEMORY_LIMIT_MIB} MiB")
    # Read again on every pass (as a file too large to keep is): what still grows with the
    # file, in bytes a row between the two largest files, carried on to a file at the size
    # limit with as many bytes a row as these.
    again = {}
    for times, large in zip(LARGER, larger, strict=True):
        name = f"{times}x"
        again[name] = _import_in_subprocess(_copy_store(store, work / f"again-{name}"), large,
                                            "--read-again")
        assert again[name]["inserted"] == counts[name]
    small, big = f"{LARGER[0]}x", f"{LARGER[-1]}x"
    per_row = ((again[big]["peak_rss_mib"] - again[small]["peak_rss_mib"]) * 2**20
               / (counts[big] - counts[small]))
    limit_rows = SIZE_LIMIT / (sizes[big] / counts[big])
    at_limit = again[big]["peak_rss_mib"] + max(0.0, per_row) * (
        limit_rows - counts[big]) / 2**20
    print("[benchmark]   read again on every pass: peak memory " + ", ".join(
        f"{again[name]['peak_rss_mib']:.0f} MiB ({name} file, CPU "
        f"{again[name]['total_cpu']:.1f} s)" for name in again))
    print(f"[benchmark]   growth {per_row:.1f} bytes a row ({small} -> {big}); a "
          f"{SIZE_LIMIT // 2**20} MB file ({limit_rows / 1e6:.1f}M rows) would peak near "
          f"{at_limit:.0f} MiB; goal: under {MEMORY_LIMIT_MIB} MiB")
    print("[benchmark]   import / same-table insert: " + ", ".join(
        f"{name} file CPU {ratios[name]:.2f}x (wall {walls[name]:.2f}x)" for name in ratios)
        + f"; goal: at most {RATIO_LIMIT:.0f}x")
    assert max(peaks.values()) < MEMORY_LIMIT_MIB
    assert max(a["peak_rss_mib"] for a in again.values()) < MEMORY_LIMIT_MIB
    assert at_limit < MEMORY_LIMIT_MIB
    assert max(ratios.values()) <= RATIO_LIMIT


@pytest.mark.timeout(3600)
def test_reimport_of_a_file_whose_years_are_stored(setup: tuple[Path, Path, list[Path]]) -> None:
    """Files whose years are already stored, so that every row of those years is compared
    with the store: the 700,000-row file imported again (all identical: the preview finds
    nothing to commit), and the 4x file (2006-2025) after the 1x file (2021-2025): 0.7M rows
    identical, noted with the batch at commit, and 2.1M new. Peak memory of the second
    import, each after a first import of the 1x file into a copy of the store."""
    store, path, larger = setup
    work = store.parent
    peaks = {}
    for name, file in (("1x again", path), (f"{LARGER[0]}x after 1x", larger[0])):
        copy = _copy_store(store, work / f"reimport-{name.replace(' ', '-')}")
        first = _import_in_subprocess(copy, path)
        again = _import_in_subprocess(copy, file)
        assert again["identical"] == first["inserted"]
        _print_import(f"{name} (years stored: {first['inserted']:,.0f} rows identical)",
                      int(again["inserted"] + again["identical"]), file.stat().st_size, again)
        peaks[name] = again["peak_rss_mib"]
    print("[benchmark]   years stored, peak memory " + ", ".join(
        f"{peaks[n]:.0f} MiB ({n})" for n in peaks) + f"; goal: under {MEMORY_LIMIT_MIB} MiB")
    assert max(peaks.values()) < MEMORY_LIMIT_MIB


ERROR_HEAVY = (2, 4)  # the damaged files: twice and four times the 1x file's rows (~46, ~92 MB)
NO_SPILL = 10**12  # a findings bound no file reaches: spilling disabled (the baseline)


def _write_damaged(attendance: pd.DataFrame, path: Path, times: int) -> None:
    """The 1x file's rows ``times`` over (other five-year spans), every row damaged, written
    a span at a time (the damaged text of a 4x file whole would take gigabytes here)."""
    for k in range(times):
        span = attendance.assign(年度=(attendance["年度"].astype(int) - 5 * k).astype(str))
        damage_every_row(span).to_csv(path, index=False, encoding="cp932",
                                      mode="w" if k == 0 else "a", header=k == 0)


@pytest.mark.timeout(3600)
def test_import_of_a_file_with_a_finding_on_every_row(
        setup: tuple[Path, Path, list[Path]]) -> None:
    """A file where every row carries a finding (:func:`damage_every_row`: half the rows name
    an unknown pupil, half carry a bad value), two and four times as large as the 1x file
    (1.4M and 2.8M findings; the larger ~92 MB): nothing can be imported, and the user writes
    the validation report for the school. Each is imported reading it again on every pass
    (as a file too large to keep is, which a file at the size limit is), once with the
    default bound on findings in memory (beyond it they spill to the encrypted file) and
    once with spilling disabled (the baseline, in the same run); the larger also keeping its
    checked rows. Asserted: every peak with spilling under 500 MiB, and a file at the size
    limit with a finding on every row, at the growth measured between the two sizes, under
    500 MiB; printed: the bytes a finding and the projections, with and without spilling."""
    store, path, _ = setup
    work = store.parent
    attendance = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="cp932")
    results: dict[str, dict[str, float]] = {}
    sizes: dict[int, int] = {}
    runs = [(times, how, options) for times in ERROR_HEAVY for how, options in (
        ("spilled, read again", ("--read-again",)),
        ("spilling disabled, read again", ("--read-again", "--held", str(NO_SPILL))))]
    runs.append((ERROR_HEAVY[-1], "spilled, kept", ()))
    for times in ERROR_HEAVY:
        damaged = work / f"出欠状況_誤り_{times}x.csv"
        _write_damaged(attendance, damaged, times)
        sizes[times] = damaged.stat().st_size
    for times, how, options in runs:
        damaged = work / f"出欠状況_誤り_{times}x.csv"
        rows = times * len(attendance)
        name = f"{times}x damaged, {how}"
        folder = work / f"damaged-{times}x-{how.replace(' ', '-').replace(',', '')}"
        report_path = work / f"検証結果_{times}x.csv"
        got = _import_in_subprocess(_copy_store(store, folder), damaged, *options,
                                    "--report", str(report_path))
        assert got["inserted"] == 0
        assert got["findings"] == got["reported"] == rows  # a finding a row, all reported
        assert got["spilled"] == (0.0 if "disabled" in how else 1.0)
        with report_path.open(encoding="utf-8-sig") as f:
            assert sum(1 for _ in f) == rows + 1  # the header and a line a finding
        report_path.unlink()
        assert not [p for p in folder.iterdir() if ".findings-" in p.name]  # spill deleted
        _print_import(name, rows, sizes[times], got)
        print(f"[benchmark]   {got['findings']:,.0f} findings; peak after the preview "
              f"{got['preview_peak_mib']:.0f} MiB; the report written in "
              f"{got['report_wall']:.1f} s (CPU {got['report_cpu']:.1f} s)")
        results[name] = got
    small, big = ERROR_HEAVY
    at_limit = {}
    for how in ("spilled, read again", "spilling disabled, read again"):
        low, high = results[f"{small}x damaged, {how}"], results[f"{big}x damaged, {how}"]
        added = high["findings"] - low["findings"]
        per_finding = (high["peak_rss_mib"] - low["peak_rss_mib"]) * 2**20 / added
        limit_rows = SIZE_LIMIT / (sizes[big] / high["findings"])
        at_limit[how] = high["peak_rss_mib"] + max(0.0, per_finding) * (
            limit_rows - high["findings"]) / 2**20
        print(f"[benchmark]   error-heavy, {how}: growth {per_finding:.1f} bytes a finding "
              f"({small}x -> {big}x); a {SIZE_LIMIT // 2**20} MB file with a finding on every "
              f"row ({limit_rows / 1e6:.1f}M findings) would peak near {at_limit[how]:.0f} MiB")
    print("[benchmark]   error-heavy: peak memory " + ", ".join(
        f"{r['peak_rss_mib']:.0f} MiB ({n})" for n, r in results.items())
        + f"; goal: under {MEMORY_LIMIT_MIB} MiB")
    assert max(r["peak_rss_mib"] for n, r in results.items()
               if "disabled" not in n) < MEMORY_LIMIT_MIB
    assert at_limit["spilled, read again"] < MEMORY_LIMIT_MIB
