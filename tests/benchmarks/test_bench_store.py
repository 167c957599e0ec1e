"""Store open and a full scan of the largest table, beside plain SQLite in the same process.

Full-size demo city (12 + 6 schools, four school years) loaded into an encrypted store and, with
the same schema and the same insert code, into a plain SQLite file.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage import keys
from storage.connection import open_connection
from storage.registry import default_registry
from storage.schema import migrate
from tests.benchmarks.conftest import median_seconds, report
from toda_desktop.demo import DemoCity, DemoConfig, generate_city
from toda_desktop.demo.load import load_city, write_city
from toda_desktop.store_setup import create_empty_store

PASSWORD = "benchmark password"


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, bytes, Path]]:
    folder = tmp_path_factory.mktemp("bench-store")
    city = generate_city(DemoConfig(seed=1))
    created = create_empty_store(folder / "city.tdb", "test", "lead", PASSWORD, scrypt_n=2**10)
    store = created.store
    start = time.perf_counter()
    load_city(store, city, "lead")
    encrypted_load = time.perf_counter() - start
    data_key = store._data_key
    store.close()

    plain_path = folder / "plain.db"
    plain = sqlite3.connect(plain_path, isolation_level=None)
    plain.execute("PRAGMA journal_mode = WAL")
    migrate(plain, default_registry())
    plain.execute("INSERT INTO meta VALUES ('store_id', 'x'), ('store_kind', 'test')")
    plain.close()
    start = time.perf_counter()
    _load_plain(plain_path, city)
    plain_load = time.perf_counter() - start
    report("load full demo city", encrypted_load, plain_load, "plain SQLite")
    yield folder / "city.tdb", data_key, plain_path


def _load_plain(path: Path, city: DemoCity) -> None:
    """The same insert code as the store, on a plain connection (no key, no thread)."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        write_city(conn, default_registry(), city, "lead")
    finally:
        conn.close()


def test_store_open(stores: tuple[Path, bytes, Path]) -> None:
    encrypted, data_key, plain = stores

    def open_encrypted() -> None:
        open_connection(encrypted, data_key).close()

    def open_plain() -> None:
        conn = sqlite3.connect(plain)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        conn.close()

    report("open store (raw key)", median_seconds(open_encrypted), median_seconds(open_plain),
           "plain SQLite open")
    salt = b"\x00" * 16
    kdf = median_seconds(lambda: keys.derive_password_key(PASSWORD, salt, keys.DEFAULT_SCRYPT_N),
                         repeat=3)
    print(f"[benchmark] password key derivation (scrypt n=2**17): {kdf * 1000:.0f} ms")


def test_full_scan_of_largest_table(stores: tuple[Path, bytes, Path]) -> None:
    encrypted, data_key, plain = stores
    enc = open_connection(encrypted, data_key)
    raw = sqlite3.connect(plain)
    sizes = {
        name: enc.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
        for (name,) in enc.execute("SELECT name FROM sqlite_master WHERE type='table'"
                                   " AND name LIKE 'ds_%'").fetchall()
    }
    largest = max(sizes, key=lambda n: sizes[n])
    print(f"\n[benchmark] largest table {largest}: {sizes[largest]:,} rows")
    query = f"SELECT * FROM {largest}"
    ours = median_seconds(lambda: enc.execute(query).fetchall(), repeat=3)
    base = median_seconds(lambda: raw.execute(query).fetchall(), repeat=3)
    report(f"full scan of {largest}", ours, base, "plain SQLite")
    enc.close()
    raw.close()
