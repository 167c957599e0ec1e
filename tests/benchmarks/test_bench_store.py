"""The encrypted store beside the same SQLite build unencrypted: open, full scan, indexed lookups.

Full-size demo city (12 + 6 schools, four school years) loaded with the same insert code into
an encrypted store and into a file of the same SQLCipher build opened without a key (plain
SQLite, same version and compile options), with the same schema, statistics and connection
settings (WAL, page cache, temp store). The difference left is the encryption. The indexed
lookups are those the karte and the analyses make: one pupil's attendance and survey scores,
and the survey join of one school year (要因分析, training, domain judgments). The encrypted
store is also timed with SQLite's default page cache, to show what the cache size buys.

Run: ``.venv/bin/python -m pytest -m benchmark -s tests/benchmarks/test_bench_store.py``
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import cast

import pytest
import sqlcipher3

from storage import keys
from storage.connection import CACHE_KIB, Attachment, Connection, open_connection
from storage.group_files import group_file_path, lane_groups
from storage.key_groups import KeyGroup
from storage.keyring import StoreKeys
from storage.registry import default_registry
from storage.repos import karte, risk
from storage.schema import migrate, sync_group_tables
from tests.benchmarks.conftest import median_seconds, report
from toda_desktop.demo import DemoCity, DemoConfig, generate_city
from toda_desktop.demo.load import load_city, write_city
from toda_desktop.store_setup import create_empty_store

PASSWORD = "benchmark password"
GOAL_LOOKUP_RATIO = 1.5  # encrypted / unencrypted, same build, warm cache
SQLITE_DEFAULT_CACHE = 2000  # KiB: SQLite's own default (cache_size = -2000)
PUPILS = 200


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, StoreKeys, Path]]:
    folder = tmp_path_factory.mktemp("bench-store")
    city = generate_city(DemoConfig(seed=1))
    created = create_empty_store(folder / "city.tdb", "test", "lead", PASSWORD, scrypt_n=2**10)
    store = created.store
    start = time.perf_counter()
    load_city(store, city, "lead")
    encrypted_load = time.perf_counter() - start
    store.db.call(lambda c: c.execute("ANALYZE"))
    data_key = store.keys
    store.close()

    plain_path = folder / "plain.db"
    plain = _plain(plain_path)
    migrate(plain, default_registry(), [(g.schema, g) for g in _main_lane()])
    for group in _other_lanes():  # (plain: the school lane's tables in the main file)
        sync_group_tables(plain, default_registry(), group, "main")
    plain.execute("INSERT INTO meta VALUES ('store_id', 'x'), ('store_kind', 'test')")
    plain.close()
    start = time.perf_counter()
    _load_plain(plain_path, city)
    plain_load = time.perf_counter() - start
    report("load full demo city", encrypted_load, plain_load, "same build unencrypted")
    yield folder / "city.tdb", data_key, plain_path


def _main_lane() -> tuple[KeyGroup, ...]:
    """The pupil groups: the store's main lane (the school lane has its own connection)."""
    return lane_groups(default_registry())[0]


def _other_lanes() -> list[KeyGroup]:
    return [g for lane in lane_groups(default_registry())[1:] for g in lane]


def _plain(path: Path, cache_kib: int = CACHE_KIB) -> Connection:
    """The same SQLCipher build without a key, with the store connection's settings and the
    same files (one per key group, attached)."""
    conn = cast(Connection, sqlcipher3.connect(str(path), isolation_level=None))
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA cache_size = -{cache_kib:d}")
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    for group in _main_lane():
        conn.execute(f"ATTACH DATABASE ? AS {group.schema}",
                     (str(group_file_path(path, group.name)),))
        conn.execute(f"PRAGMA {group.schema}.cache_size = -{cache_kib:d}")
        conn.execute(f"PRAGMA {group.schema}.journal_mode = WAL")
        conn.execute(f"PRAGMA {group.schema}.synchronous = FULL")
    return conn


def _encrypted(path: Path, store_keys: StoreKeys) -> Connection:
    """A store connection of the main lane with every pupil group's file attached, as the
    project lead's."""
    return open_connection(path, store_keys.system, attach=[
        Attachment(g.schema, group_file_path(path, g.name), store_keys.groups[g.name])
        for g in _main_lane()])


def _load_plain(path: Path, city: DemoCity) -> None:
    """The same insert code as the store, on an unkeyed connection (no thread)."""
    conn = _plain(path)
    try:
        write_city(conn, default_registry(), city, "lead")
        conn.execute("ANALYZE")
        for group in _main_lane():
            conn.execute(f"ANALYZE {group.schema}")
    finally:
        conn.close()


def test_store_open(stores: tuple[Path, StoreKeys, Path]) -> None:
    encrypted, data_key, plain = stores

    def open_encrypted() -> None:
        _encrypted(encrypted, data_key).close()

    def open_plain() -> None:
        conn = _plain(plain)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        conn.close()

    report("open store (raw key)", median_seconds(open_encrypted), median_seconds(open_plain),
           "same build unencrypted")
    salt = b"\x00" * 16
    kdf = median_seconds(lambda: keys.derive_password_key(PASSWORD, salt, keys.DEFAULT_SCRYPT_N),
                         repeat=3)
    print(f"[benchmark] password key derivation (scrypt n=2**17): {kdf * 1000:.0f} ms")


def test_full_scan_of_largest_table(stores: tuple[Path, StoreKeys, Path]) -> None:
    encrypted, data_key, plain = stores
    enc = _encrypted(encrypted, data_key)
    raw = _plain(plain)
    sizes = {
        name: enc.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
        for (name,) in enc.execute("SELECT name FROM pragma_table_list WHERE type='table'"
                                   " AND name LIKE 'ds_%'").fetchall()
    }
    largest = max(sizes, key=lambda n: sizes[n])
    print(f"\n[benchmark] largest table {largest}: {sizes[largest]:,} rows")
    query = f"SELECT * FROM {largest}"
    ours = median_seconds(lambda: enc.execute(query).fetchall(), repeat=3)
    base = median_seconds(lambda: raw.execute(query).fetchall(), repeat=3)
    report(f"full scan of {largest}", ours, base, "same build unencrypted")
    enc.close()
    raw.close()


def _per_pupil(read: Callable[[Connection, int], object], pupils: list[int]
               ) -> Callable[[Connection], None]:
    def run(conn: Connection) -> None:
        for pupil in pupils:
            read(conn, pupil)

    return run


def _survey_year(year: int) -> Callable[[Connection], None]:
    def run(conn: Connection) -> None:
        for chunk in risk.read_panel(conn, ("survey",), (year, year))["survey"].chunks:
            del chunk

    return run


def test_indexed_lookups(stores: tuple[Path, StoreKeys, Path]) -> None:
    """Warm-cache lookups through the store's own repository code, on three connections."""
    encrypted, data_key, plain = stores
    enc = _encrypted(encrypted, data_key)
    small = _encrypted(encrypted, data_key)
    for (schema,) in small.execute("SELECT name FROM pragma_database_list").fetchall():
        small.execute(f"PRAGMA {schema}.cache_size = -{SQLITE_DEFAULT_CACHE:d}")
    raw = _plain(plain)
    try:
        ids = [int(r[0]) for r in enc.execute(
            "SELECT DISTINCT pupil_id FROM ds_survey_responses ORDER BY pupil_id").fetchall()]
        pupils = random.Random(7).sample(ids, PUPILS)
        year = int(enc.execute("SELECT max(school_year) FROM ds_survey_responses").fetchone()[0])
        lookups: list[tuple[str, Callable[[Connection], None], int]] = [
            (f"attendance of {PUPILS} pupils (karte)", _per_pupil(karte.attendance, pupils), 7),
            (f"survey scores of {PUPILS} pupils (karte)",
             _per_pupil(karte.survey_scores, pupils), 7),
            (f"survey join of school year {year} (analyses)", _survey_year(year), 3),
        ]
        print(f"\n[benchmark] indexed lookups, warm cache (goal: encrypted within"
              f" {GOAL_LOOKUP_RATIO:.1f}x of the same build unencrypted)")
        worst = 0.0
        for title, action, repeat in lookups:
            ours = median_seconds(partial(action, enc), repeat=repeat)
            base = median_seconds(partial(action, raw), repeat=repeat)
            before = median_seconds(partial(action, small), repeat=repeat)
            report(title, ours, base, "same build unencrypted")
            print(f"[benchmark]   encrypted with SQLite's default {SQLITE_DEFAULT_CACHE // 1000}"
                  f" MB cache: {before * 1000:.2f} ms ({before / base:.2f}x); with"
                  f" {CACHE_KIB // 1024} MiB: {ours * 1000:.2f} ms")
            worst = max(worst, ours / base)
        print(f"[benchmark] worst ratio {worst:.2f}x (goal ≤ {GOAL_LOOKUP_RATIO:.1f}x)")
        assert worst <= GOAL_LOOKUP_RATIO
    finally:
        enc.close()
        small.close()
        raw.close()
