"""One SQLCipher file per key group (issue 12): placement, keys, modes, subsets of keys."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import sqlcipher3

from storage.connection import key_pragma
from storage.errors import (
    CannotOpen,
    GroupFileMissing,
    OldStoreFormat,
    OperationDenied,
    StoreError,
)
from storage.group_files import file_groups, group_file_path
from storage.keyring import StoreKeys
from storage.registry import default_registry
from storage.store import Store
from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD

REGISTRY = default_registry()
def _all_keys(store: Store) -> StoreKeys:
    return store.keys  # (a test store opened by its lead, who holds every key)


def _raw(path: Path, key: bytes) -> sqlcipher3.Connection:
    conn = sqlcipher3.connect(str(path))
    conn.execute("PRAGMA cipher_log_level = NONE")
    conn.execute(key_pragma(key))
    return conn


def _tables(conn: sqlcipher3.Connection) -> set[str]:
    return {str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _subset(store: Store, *groups: str) -> StoreKeys:
    keys = _all_keys(store)
    return StoreKeys(system=keys.system, groups={g: keys.groups[g] for g in groups})


def _reopen(store: Store, keys: StoreKeys) -> Store:
    store.close()
    return Store(store.path, store.keyfile, keys, REGISTRY)


def test_every_group_has_a_file_readable_only_with_its_key(
    test_store: Store,
) -> None:
    keys = _all_keys(test_store)
    test_store.close()
    for group in file_groups(REGISTRY):
        path = group_file_path(test_store.path, group.name)
        own = _raw(path, keys.groups[group.name])
        assert {REGISTRY.kind(k).table for k in group.kinds} <= _tables(own)
        own.close()
        for other in (keys.system, *(k for g, k in keys.groups.items() if g != group.name)):
            wrong = _raw(path, other)
            with pytest.raises(sqlcipher3.DatabaseError, match="not a database"):
                wrong.execute("SELECT count(*) FROM sqlite_master").fetchone()
            wrong.close()


def test_the_store_file_holds_no_dataset_table(test_store: Store) -> None:
    keys = _all_keys(test_store)
    test_store.close()
    conn = _raw(test_store.path, keys.system)
    tables = {t for t in _tables(conn) if not t.startswith("sqlite_")}
    conn.close()
    pupil_tables = {k.table for k in REGISTRY.kinds if k.pupil}
    assert not tables & pupil_tables
    assert not {t for t in tables if t.startswith("search_") or t.startswith("risk_")}
    assert tables == {
        "meta", "accounts", "import_batches", "audit_log", "palm_templates", "recovery_grants",
        "import_mappings", "review_items", "saved_extractions", "import_value_maps",
        "batch_confirmations",
        "signin_file", "signin_counters", "scanner_backends",  # (sign-in records, issue 12)
        "export_purposes", "export_approvals",  # (counts and descriptions only, issue 13)
        "retention_plans", "retention_plan_rows",  # (purge plans: counts only, issue 13)
        "print_log", "print_log_events",  # (serials, counts and digests only, issue 14)
        "audit_readers", "audit_seal_keys"}  # (public keys; content keys sealed to them)


def test_a_subset_of_keys_attaches_only_those_groups(test_store: Store) -> None:
    store = _reopen(test_store, _subset(test_store, "basic", "other_department"))
    try:
        assert [g.name for g in store.held_groups] == ["basic", "other_department"]
        assert "bullying_records" not in store.held_kinds
        assert {"students", "preschool"} <= store.held_kinds
        assert "school_context" not in store.held_kinds  # (its own file and key)
        schemas = store.db.call(lambda c: [str(r[1]) for r in c.execute("PRAGMA database_list")])
        assert schemas == ["main", "g_basic", "g_other_department"]
        with pytest.raises(StoreError):
            store.db.call(lambda c: c.execute("SELECT * FROM ds_bullying_records").fetchall())
        with pytest.raises(StoreError):
            store.db.read(lambda c: c.execute("SELECT * FROM ds_bullying_records").fetchall())
        assert store.db.read(lambda c: c.execute("SELECT count(*) FROM ds_students")
                             .fetchone()[0]) == 0
    finally:
        store.close()


def test_an_app_connection_cannot_attach_a_group_file_afterwards(test_store: Store) -> None:
    keys = _all_keys(test_store)
    bullying = group_file_path(test_store.path, "bullying")
    store = _reopen(test_store, _subset(test_store, "basic"))
    hexkey = keys.groups["bullying"].hex()
    try:
        for run in (store.db.call, store.db.read):
            with pytest.raises(OperationDenied):
                run(lambda c: c.execute("ATTACH DATABASE ? AS g_x KEY ?",
                                        (str(bullying), f"x'{hexkey}'")))
        with pytest.raises(OperationDenied):
            store.db.call(lambda c: c.execute("DETACH DATABASE g_basic"))
    finally:
        store.close()


def test_a_wrong_group_key_does_not_open_the_store(test_store: Store) -> None:
    keys = _all_keys(test_store)
    wrong = StoreKeys(system=keys.system, groups={**keys.groups, "bullying": bytes(32)})
    test_store.close()
    with pytest.raises(CannotOpen):
        Store(test_store.path, test_store.keyfile, wrong, REGISTRY)


def test_a_missing_group_file_is_refused_and_says_so(test_store: Store) -> None:
    keys = _all_keys(test_store)
    test_store.close()
    group_file_path(test_store.path, "health").unlink()
    with pytest.raises(GroupFileMissing) as caught:
        Store(test_store.path, test_store.keyfile, keys, REGISTRY)
    assert "バックアップから復元" in caught.value.message_ja
    # The account that does not hold that key opens the store as before.
    without = StoreKeys(system=keys.system,
                        groups={g: k for g, k in keys.groups.items() if g != "health"})
    Store(test_store.path, test_store.keyfile, without, REGISTRY).close()


def test_a_format_1_store_is_refused_with_how_to_proceed(test_store: Store) -> None:
    keys = _all_keys(test_store)
    test_store.db.call(lambda c: c.execute("DELETE FROM meta WHERE key = 'store_format'"))
    test_store.close()
    for group in file_groups(REGISTRY):
        group_file_path(test_store.path, group.name).unlink()
    with pytest.raises(OldStoreFormat) as caught:
        Store(test_store.path, test_store.keyfile, keys, REGISTRY)
    assert "新しいデータベースを作成" in caught.value.message_ja


def test_a_format_1_store_is_refused_before_any_migration_even_without_group_keys(
    test_store: Store,
) -> None:
    from storage.schema import SCHEMA_VERSION

    keys = _all_keys(test_store)
    test_store.db.call(lambda c: c.execute("DELETE FROM meta WHERE key = 'store_format'"))
    test_store.db.call(lambda c: c.execute(f"PRAGMA user_version = {SCHEMA_VERSION - 1:d}"))
    test_store.close()
    with pytest.raises(OldStoreFormat):
        Store(test_store.path, test_store.keyfile, StoreKeys(system=keys.system), REGISTRY)
    conn = _raw(test_store.path, keys.system)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION - 1
    conn.close()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_every_file_of_a_new_store_is_owner_only(test_store: Store) -> None:
    test_store.db.call(lambda c: c.execute(
        "INSERT INTO ds_students (address_code, name, name_kana, birth_date, sex)"
        " VALUES ('0000000001', '山田 太郎', 'ヤマダ タロウ', '2013-04-10', '男')"))
    # (the audit anchor and the sign-in book are their own modules' files)
    files = [f for f in sorted(test_store.path.parent.iterdir())
             if not f.name.endswith((".audit-head", ".signin", ".signin.lock"))]
    assert any(f.name.endswith("-wal") for f in files)
    assert len(files) == 3 + 3 * len(file_groups(REGISTRY)) + 1  # + the key file
    assert {f.name: _mode(f) for f in files} == {f.name: 0o600 for f in files}


def test_a_store_file_left_world_readable_is_narrowed_at_open(test_store: Store) -> None:
    keys = _all_keys(test_store)
    test_store.close()
    basic = group_file_path(test_store.path, "basic")
    for path in (test_store.path, basic):
        path.chmod(0o644)
    Store(test_store.path, test_store.keyfile, keys, REGISTRY).close()
    assert _mode(test_store.path) == 0o600
    assert _mode(basic) == 0o600


def test_an_account_without_basic_keeps_its_own_groups_review_items_apart(
    test_store: Store,
) -> None:
    from storage.repos import imports

    def enqueue(conn: sqlcipher3.Connection) -> None:
        conn.execute("INSERT INTO import_batches (kind, source_name, content_sha256,"
                     " imported_by, imported_at, row_count) VALUES"
                     " ('bullying_records', 'x.csv', 'h', 'lead', '2025-01-01', 1)")
        imports.enqueue(conn, 1, "bullying_records", "x.csv",
                        [(2, "fp", {"概要": "秘密"}, [], "候補なし")])
        imports.enqueue(conn, 1, "preschool", "x.csv", [(3, "fp2", {"園": "a"}, [], "候補なし")])

    test_store.db.call(enqueue)
    assert [i.kind for i in test_store.db.call(imports.open_items)] == [
        "bullying_records", "preschool"]
    store = _reopen(test_store, _subset(test_store, "basic", "other_department"))
    try:
        items = store.db.call(imports.open_items)
        assert [i.kind for i in items] == ["preschool"]
        assert store.db.call(imports.count_open) == 1
        assert store.db.call(lambda c: imports.item(c, 1)) is None  # the bullying item
    finally:
        store.close()


def test_a_rewritten_group_file_opens_with_the_new_key_only(test_store: Store) -> None:
    test_store.db.call(lambda c: c.execute(
        "INSERT INTO ds_students (id, address_code, name, name_kana, birth_date, sex)"
        " VALUES (1, '0000000001', '山田 太郎', 'ヤマダ タロウ', '2013-04-10', '男')"))
    new_key = bytes(range(32))
    old_keys = _all_keys(test_store)
    target = test_store.rewrite_group_file("basic", new_key, 2)
    assert target == group_file_path(test_store.path, "basic", 2)
    assert _mode(target) == 0o600
    test_store.close()
    conn = _raw(target, new_key)
    assert conn.execute("SELECT name FROM ds_students").fetchall() == [("山田 太郎",)]
    conn.close()
    conn = _raw(target, old_keys.groups["basic"])
    with pytest.raises(sqlcipher3.DatabaseError):
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    conn.close()


def test_the_lead_still_opens_the_store_with_a_password(test_store: Store) -> None:
    test_store.close()
    with Store.open(test_store.path, LEAD_LOGIN, LEAD_PASSWORD) as store:
        assert len(store.held_groups) == len(file_groups(REGISTRY))
        assert store.integrity_check().ok


def test_a_group_file_and_its_companions_count_as_store_files(test_store: Store) -> None:
    from storage.store import is_store_file

    basic = group_file_path(test_store.path, "basic")
    assert is_store_file(basic)
    assert is_store_file(basic.with_name(basic.name + "-wal"))
    assert not is_store_file(test_store.path.with_name("export.basic.g1"))


def test_a_leftover_generation_is_removed_at_the_next_open(test_store: Store) -> None:
    keys = _all_keys(test_store)
    test_store.close()
    stale = group_file_path(test_store.path, "health", 2)
    stale.write_bytes(b"an earlier rotation's file")
    Store(test_store.path, test_store.keyfile, keys, REGISTRY).close()
    assert not stale.exists()
    assert group_file_path(test_store.path, "health").exists()


def test_the_integrity_check_finds_a_damaged_page_in_a_group_file(test_store: Store) -> None:
    test_store.db.call(lambda c: c.executemany(
        "INSERT INTO ds_students (address_code, name, name_kana, birth_date, sex)"
        " VALUES (?, '山田 太郎', 'ヤマダ タロウ', '2013-04-10', '男')",
        [(f"{i:010d}",) for i in range(3000)]))
    size_before = test_store.size_bytes()
    keys = _all_keys(test_store)
    test_store.close()
    basic = group_file_path(test_store.path, "basic")
    assert size_before >= basic.stat().st_size > 100_000  # the group files count in the size
    damaged = bytearray(basic.read_bytes())
    damaged[4096 * 5 + 100] ^= 0xFF
    basic.write_bytes(bytes(damaged))
    with Store(test_store.path, test_store.keyfile, keys, REGISTRY) as store:
        report = store.integrity_check()
    assert not report.ok
    assert report.problems[0].startswith("g_basic: cipher_integrity_check:")


def test_without_the_basic_key_no_search_index_change_is_pending(test_store: Store) -> None:
    from storage.repos import search

    store = _reopen(test_store, _subset(test_store, "bullying"))
    try:
        assert store.db.call(search.any_pending) is False
    finally:
        store.close()


def test_a_group_step_runs_when_someone_holding_that_key_opens_the_store(
    test_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storage import schema

    def step_2(conn: sqlcipher3.Connection, schema_name: str, group: object,
               registry: object) -> None:
        conn.execute(f"CREATE TABLE {schema_name}.later_step (x INTEGER)")

    later = schema.GROUP_SCHEMA_VERSION + 1  # a step after every real one
    monkeypatch.setattr(schema, "GROUP_MIGRATIONS", (*schema.GROUP_MIGRATIONS, step_2))
    monkeypatch.setattr(schema, "GROUP_SCHEMA_VERSION", later)
    keys = _all_keys(test_store)
    test_store.close()

    def version(group: str) -> int:
        conn = _raw(group_file_path(test_store.path, group), keys.groups[group])
        try:
            return int(conn.execute("PRAGMA user_version").fetchone()[0])
        finally:
            conn.close()

    without = StoreKeys(system=keys.system, groups={"basic": keys.groups["basic"]})
    Store(test_store.path, test_store.keyfile, without, REGISTRY).close()
    assert (version("basic"), version("health")) == (later, later - 1)  # health waits
    Store(test_store.path, test_store.keyfile, keys, REGISTRY).close()
    assert version("health") == later
    conn = _raw(group_file_path(test_store.path, "health"), keys.groups["health"])
    assert "later_step" in _tables(conn)
    conn.close()
