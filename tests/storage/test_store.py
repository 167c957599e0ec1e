"""The encrypted store: round trip, wrong keys, damage, no plaintext anywhere, no export path."""

from __future__ import annotations

import os
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest

from storage.connection import transaction
from storage.errors import (
    CannotOpen,
    KeyFileDamaged,
    KeyFileMissing,
    OperationDenied,
    StoreExists,
    StoreNotFound,
    WrongCredentials,
)
from storage.keys import KeyFile
from storage.registry import default_registry
from storage.repos import datasets
from storage.store import Store, is_plain_sqlite_readable
from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD, TEST_SCRYPT_N

NAMES = ["髙橋 美咲", "山﨑 大翔", "渡邉 結衣", "佐藤 花子"]
CREATED = datetime(2026, 4, 1, 9)


def _add_pupils(store: Store, count: int = 400) -> None:
    kind = default_registry().kind("students")
    rows = [
        (f"{i:010d}", NAMES[i % len(NAMES)], "タカハシ ミサキ", "2014-05-01", "女")
        for i in range(count)
    ]
    columns = ["address_code", "name", "name_kana", "birth_date", "sex"]

    def write(conn: object) -> None:
        with transaction(conn):  # type: ignore[arg-type]
            datasets.insert_rows(conn, kind, columns, rows)  # type: ignore[arg-type]

    store.db.call(write)


def _count_pupils(store: Store) -> int:
    return int(store.db.call(lambda c: c.execute("SELECT count(*) FROM ds_students").fetchone()[0]))


def test_round_trip_survives_close_and_reopen(test_store: Store, store_path: Path) -> None:
    _add_pupils(test_store)
    test_store.close()
    with Store.open(store_path, LEAD_LOGIN, LEAD_PASSWORD) as reopened:
        assert _count_pupils(reopened) == 400
        assert reopened.store_kind == "test"


def test_login_id_is_case_and_width_insensitive(test_store: Store, store_path: Path) -> None:
    test_store.close()
    with Store.open(store_path, "ＬＥＡＤ", LEAD_PASSWORD) as reopened:
        assert reopened.store_kind == "test"


def test_wrong_password_fails_before_touching_the_database(
    test_store: Store, store_path: Path
) -> None:
    test_store.close()
    before = store_path.stat().st_mtime_ns
    with pytest.raises(WrongCredentials) as info:
        Store.open(store_path, LEAD_LOGIN, "not the password")
    assert "正しくありません" in info.value.message_ja
    assert LEAD_PASSWORD not in str(info.value)
    assert store_path.stat().st_mtime_ns == before
    assert not store_path.with_name(store_path.name + "-wal").exists()


def test_unknown_login_is_indistinguishable_from_wrong_password(
    test_store: Store, store_path: Path
) -> None:
    test_store.close()
    with pytest.raises(WrongCredentials) as unknown:
        Store.open(store_path, "nobody", LEAD_PASSWORD)
    with pytest.raises(WrongCredentials) as wrong:
        Store.open(store_path, LEAD_LOGIN, "wrong password")
    assert unknown.value.message_ja == wrong.value.message_ja


def test_recovery_key_opens_the_store(store_path: Path) -> None:
    store, recovery = Store.create(
        store_path, "test", LEAD_LOGIN, LEAD_PASSWORD, created_at=CREATED, scrypt_n=TEST_SCRYPT_N
    )
    store.close()
    with Store.open_with_recovery_key(store_path, recovery.lower().replace("-", " ")) as s:
        assert s.store_kind == "test"
    with pytest.raises(WrongCredentials):
        Store.open_with_recovery_key(store_path, "0" * 64)


def test_create_never_overwrites(test_store: Store, store_path: Path) -> None:
    test_store.close()
    before = store_path.read_bytes()
    with pytest.raises(StoreExists):
        Store.create(store_path, "test", LEAD_LOGIN, LEAD_PASSWORD, created_at=CREATED,
                     scrypt_n=TEST_SCRYPT_N)
    assert store_path.read_bytes() == before


def test_store_file_holds_no_plaintext(test_store: Store, store_path: Path) -> None:
    _add_pupils(test_store)
    test_store.close()
    files = [p for p in store_path.parent.iterdir() if p.name.startswith(store_path.name)]
    for path in files:
        data = path.read_bytes()
        for name in NAMES:
            assert name.encode("utf-8") not in data, path.name
            assert name.encode("cp932", errors="ignore") not in data, path.name
            assert "タカハシ".encode("utf-16-le") not in data
        assert b"SQLite format 3" not in data
    assert not is_plain_sqlite_readable(store_path)
    stock = sqlite3.connect(store_path)
    with pytest.raises(sqlite3.DatabaseError):
        stock.execute("SELECT * FROM sqlite_master").fetchall()
    stock.close()


@pytest.mark.parametrize(
    "statement",
    [
        "ATTACH DATABASE 'plain.db' AS plain KEY ''",
        "SELECT sqlcipher_export('main')",
        "PRAGMA rekey = 'new secret'",
        "PRAGMA key = 'other'",
        "PRAGMA hexrekey = '00'",
        "PRAGMA cipher_plaintext_header_size = 32",
        "SELECT load_extension('x')",
        "DETACH DATABASE main",
    ],
)
def test_ordinary_connection_has_no_plaintext_export_path(
    test_store: Store, statement: str, tmp_path: Path
) -> None:
    os.chdir(tmp_path)
    with pytest.raises(OperationDenied):
        test_store.db.call(lambda c: c.execute(statement).fetchall())
    assert not (tmp_path / "plain.db").exists()


def test_integrity_pragmas_stay_allowed(test_store: Store) -> None:
    report = test_store.integrity_check()
    assert report.ok and report.problems == ()


def _flip_byte(path: Path, offset: int) -> None:
    with path.open("r+b") as fh:
        fh.seek(offset)
        value = fh.read(1)
        fh.seek(offset)
        fh.write(bytes([value[0] ^ 0xFF]))


def test_damaged_first_page_says_damage_or_another_stores_key_file(
    test_store: Store, store_path: Path
) -> None:
    _add_pupils(test_store)
    test_store.close()
    _flip_byte(store_path, 200)
    with pytest.raises(CannotOpen) as info:
        Store.open(store_path, LEAD_LOGIN, LEAD_PASSWORD)
    assert "バックアップから復元" in info.value.message_ja
    assert "鍵ファイル" in info.value.message_ja  # the password was right (issue 12, 14)


def test_flipped_byte_later_in_the_file_is_caught_by_the_integrity_check(
    test_store: Store, store_path: Path
) -> None:
    _add_pupils(test_store, 3000)
    test_store.close()
    size = store_path.stat().st_size
    assert size > 4096 * 8
    _flip_byte(store_path, size - 4096 * 3 + 100)
    with Store.open(store_path, LEAD_LOGIN, LEAD_PASSWORD) as damaged:
        report = damaged.integrity_check()
    assert not report.ok
    assert any("cipher_integrity_check" in p for p in report.problems)
    assert not any("髙橋" in p for p in report.problems)


def test_random_bytes_are_not_a_store(store_path: Path, test_store: Store) -> None:
    test_store.close()
    store_path.write_bytes(os.urandom(64 * 1024))
    with pytest.raises(CannotOpen):
        Store.open(store_path, LEAD_LOGIN, LEAD_PASSWORD)


def test_missing_and_damaged_key_file(test_store: Store, store_path: Path) -> None:
    test_store.close()
    keys_path = KeyFile.path_for(store_path)
    keys_path.write_text("{not json", encoding="utf-8")
    with pytest.raises(KeyFileDamaged):
        Store.open(store_path, LEAD_LOGIN, LEAD_PASSWORD)
    keys_path.unlink()
    with pytest.raises(KeyFileMissing):
        Store.open(store_path, LEAD_LOGIN, LEAD_PASSWORD)
    with pytest.raises(StoreNotFound):
        Store.open(store_path.with_name("absent.tdb"), LEAD_LOGIN, LEAD_PASSWORD)


def test_key_file_of_another_store_is_refused(tmp_path: Path) -> None:
    a, _ = Store.create(tmp_path / "a.tdb", "test", "lead", LEAD_PASSWORD, created_at=CREATED,
                        scrypt_n=TEST_SCRYPT_N)
    b, _ = Store.create(tmp_path / "b.tdb", "test", "lead", LEAD_PASSWORD, created_at=CREATED,
                        scrypt_n=TEST_SCRYPT_N)
    a.close()
    b.close()
    KeyFile.path_for(tmp_path / "a.tdb").write_bytes(
        KeyFile.path_for(tmp_path / "b.tdb").read_bytes()
    )
    with pytest.raises((CannotOpen, KeyFileDamaged)):
        Store.open(tmp_path / "a.tdb", "lead", LEAD_PASSWORD)


def test_key_file_holds_no_secret_in_the_clear(test_store: Store, store_path: Path) -> None:
    text = KeyFile.path_for(store_path).read_text(encoding="utf-8")
    assert LEAD_PASSWORD not in text
    assert LEAD_LOGIN not in text.split('"accounts"')[1].split("}")[0]
    assert test_store.derived_key("x").hex() not in text


def test_an_empty_store_file_is_said_plainly_and_left_alone(
    test_store: Store, store_path: Path
) -> None:
    test_store.close()
    store_path.write_bytes(b"")
    with pytest.raises(CannotOpen, match="空です"):
        Store.open(store_path, LEAD_LOGIN, LEAD_PASSWORD)
    assert store_path.stat().st_size == 0  # no empty schema written into it
