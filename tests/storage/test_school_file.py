"""The 学校 key group's own file (issue 12's last gap): school-level tables are under the school
key on a second lane, not in the store file every account opens; a store made before moves
them out when a holder of the key opens it, leaving no byte of the rows in the store file."""

from __future__ import annotations

import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from storage.connection import Connection, open_connection, transaction
from storage.database import CrossLaneTransaction
from storage.errors import StoreError
from storage.group_files import SQLITE_SUFFIXES, group_file_path, group_files_beside
from storage.keyring import StoreKeys
from storage.keys import KeyFile
from storage.migrations.g001_groups import EVERY_GROUP
from storage.registry import default_registry
from storage.schema import dataset_table_ddl
from storage.store import Store
from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD
from tests.risk.conftest import sign_in
from tests.storage.raw_files import opens_with
from toda_desktop.composition import SignedIn
from toda_desktop.errors import UserFacingError
from toda_desktop.store_setup import DEMO_LOGINS, DEMO_PASSWORD

REGISTRY = default_registry()
SCHOOL_KINDS = ("school_context", "school_questionnaire")
MARKER = "移行確認の組ZQX"  # a value that appears nowhere else
PAGE = 4096  # SQLCipher 4: page size; each page ends in a 16-byte IV and a 64-byte HMAC
RESERVE = 80


def _plaintext(path: Path, key: bytes) -> bytes:
    """Every page of a SQLCipher file decrypted with its raw key, free pages included: what
    an insider holding the key could read from the file's bytes."""
    data = path.read_bytes()
    out = bytearray()
    for start in range(0, len(data), PAGE):
        page = data[start:start + PAGE]
        iv = page[PAGE - RESERVE:PAGE - RESERVE + 16]
        body = page[16 if start == 0 else 0:PAGE - RESERVE]  # page 1 begins with the salt
        decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
        out += decryptor.update(body) + decryptor.finalize()
    assert out[:2] == PAGE.to_bytes(2, "big")  # page 1's header: the key fits the file
    return bytes(out)


def _main_tables(path: Path, key: bytes) -> set[str]:
    conn = open_connection(path, key, privileged=True)
    try:
        return {str(r[0]) for r in conn.execute(
            "SELECT name FROM main.sqlite_master WHERE type = 'table'")}
    finally:
        conn.close()


def _school_rows(store: Store) -> list[tuple[object, ...]]:
    return store.db.call(lambda c: c.execute(
        "SELECT id, batch_id, school_code, class_name, welfare_rate FROM ds_school_context"
        " ORDER BY id").fetchall(), kind="school_context")


def _put_back_into_store_file(store: Store, rows: int = 3, class_name: str = MARKER) -> None:
    """Make ``store`` look as a store of the earlier layout: the 学校 tables in the store
    file (as that code made them: the registry's DDL in ``main`` and the store file's own
    ``batch_overwrites``), rows in them, and no school file."""
    keys = store.keys
    generation = store.keyfile.generations.get("school", 1)
    store.close()
    conn = open_connection(store.path, keys.system, privileged=True)
    try:
        with transaction(conn):
            for name in SCHOOL_KINDS:
                for statement in dataset_table_ddl(REGISTRY.kind(name), "main",
                                                   pupil_reference=False):
                    conn.execute(statement)
            for statement in EVERY_GROUP:
                if "batch_overwrites" in statement:
                    conn.execute(statement.format(s="main"))
            conn.execute("INSERT OR REPLACE INTO import_batches (id, kind, source_name,"
                         " content_sha256,"
                         " imported_by, imported_at, row_count, status) VALUES"
                         " (1, 'school_context', '学校基礎.csv', 'h', 'lead',"
                         " '2025-04-01T09:00:00', ?, 'committed')", (rows,))
            conn.executemany(
                "INSERT INTO ds_school_context (id, batch_id, source_row, school_year,"
                " school_code, grade, class_name, pupil_count, welfare_rate)"
                " VALUES (?, 1, ?, 2024, ?, 1, ?, 30, 12.5)",
                [(i, i + 1, f"0010{i}", f"{class_name}{i}") for i in range(1, rows + 1)])
            conn.execute("INSERT INTO batch_overwrites (batch_id, kind, record_id, old_json)"
                         " VALUES (1, 'school_context', 1, ?)", (f'{{"class_name": "{MARKER}"}}',))
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    school = group_file_path(store.path, "school", generation)
    for suffix in ("", *SQLITE_SUFFIXES):
        school.with_name(school.name + suffix).unlink(missing_ok=True)


def _without_school(keys: StoreKeys) -> StoreKeys:
    return StoreKeys(system=keys.system,
                     groups={g: k for g, k in keys.groups.items() if g != "school"})


@pytest.fixture
def old_store(test_store: Store) -> Iterator[tuple[Path, StoreKeys]]:
    keys = test_store.keys
    _put_back_into_store_file(test_store)
    yield test_store.path, keys


def test_a_new_store_keeps_school_tables_in_their_own_file_under_their_own_key(
    test_store: Store,
) -> None:
    keys = test_store.keys
    school = group_file_path(test_store.path, "school")
    assert school in test_store.group_files()
    test_store.close()
    assert opens_with(school, keys.groups["school"])
    assert not any(opens_with(school, k) for k in
                   (keys.system, *(v for g, v in keys.groups.items() if g != "school")))
    assert not {REGISTRY.kind(k).table for k in SCHOOL_KINDS} & _main_tables(
        test_store.path, keys.system)
    assert stat.S_IMODE(school.stat().st_mode) == 0o600


@pytest.mark.parametrize("role", ["liaison", "truancy_support", "bullying_support", "it_admin"])
def test_a_role_without_the_school_domain_cannot_read_school_tables_with_its_password(
    demo_store_path: Path, role: str
) -> None:
    held = KeyFile.load(demo_store_path).unlock(DEMO_LOGINS[role][0], DEMO_PASSWORD)
    assert "school" not in held.groups
    school = [f for f in group_files_beside(demo_store_path)
              if ".school.g" in f.name and not f.name.endswith(SQLITE_SUFFIXES)]
    assert len(school) == 1
    assert not any(opens_with(school[0], k) for k in (held.system, *held.groups.values()))
    store_file = _plaintext(demo_store_path, held.system)
    assert b"ds_school_context" not in store_file  # not even the table's definition


def test_a_store_made_before_moves_school_tables_out_when_a_key_holder_opens_it(
    old_store: tuple[Path, StoreKeys],
) -> None:
    path, keys = old_store
    assert MARKER.encode() in _plaintext(path, keys.system)  # (the fixture is the old layout)
    # An account without the school key opens it as before: nothing is moved.
    keyfile = KeyFile.load(path)
    Store(path, keyfile, _without_school(keys), REGISTRY).close()
    assert not group_file_path(path, "school").exists()
    assert "ds_school_context" in _main_tables(path, keys.system)

    with Store.open(path, LEAD_LOGIN, LEAD_PASSWORD) as store:
        assert _school_rows(store) == [(i, 1, f"0010{i}", f"{MARKER}{i}", 12.5)
                                       for i in (1, 2, 3)]
        assert store.db.call(lambda c: c.execute(
            "SELECT kind, record_id FROM g_school.batch_overwrites").fetchall(),
            kind="school_context") == [("school_context", 1)]
        assert store.integrity_check().ok
    main = _main_tables(path, keys.system)
    assert not main & {"ds_school_context", "ds_school_questionnaire", "batch_overwrites"}
    plain = _plaintext(path, keys.system)
    assert LEAD_LOGIN.encode() in plain  # (the decryption reads the store file's rows)
    assert MARKER.encode() not in plain
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    school = group_file_path(path, "school")
    assert stat.S_IMODE(school.stat().st_mode) == 0o600
    assert opens_with(school, keys.groups["school"]) and not opens_with(school, keys.system)


def test_a_move_that_stopped_before_the_store_file_let_go_is_done_again_from_it(
    old_store: tuple[Path, StoreKeys],
) -> None:
    path, keys = old_store
    with Store.open(path, LEAD_LOGIN, LEAD_PASSWORD) as store:
        # (a school file that a stopped move left with another copy of the rows)
        store.db.call(lambda c: c.execute("UPDATE ds_school_context SET class_name = 'stale'"),
                      kind="school_context")
    school = group_file_path(path, "school")
    kept = school.read_bytes()
    with Store.open(path, LEAD_LOGIN, LEAD_PASSWORD) as store:
        _put_back_into_store_file(store, rows=2, class_name="組")  # the store file's rows
    school.write_bytes(kept)
    with Store.open(path, LEAD_LOGIN, LEAD_PASSWORD) as store:
        assert [r[3] for r in _school_rows(store)] == ["組1", "組2"]
    assert "ds_school_context" not in _main_tables(path, keys.system)


def test_rotating_the_school_key_writes_its_file_anew_and_reattaches_it(
    test_store: Store,
) -> None:
    old_key = test_store.keys.groups["school"]
    test_store.db.call(lambda c: c.execute(
        "INSERT INTO ds_school_context (school_year, school_code, grade, class_name)"
        " VALUES (2024, '00101', 1, '1組')"), kind="school_context")
    assert test_store.rotate_group_key("school") == 2
    assert test_store.db.call(lambda c: c.execute(
        "SELECT class_name FROM ds_school_context").fetchall(),
        kind="school_context") == [("1組",)]
    assert test_store.db.read(lambda c: c.execute(
        "SELECT count(*) FROM ds_school_context").fetchone()[0], kind="school_context") == 1
    new = group_file_path(test_store.path, "school", 2)
    assert new in test_store.group_files()
    assert not group_file_path(test_store.path, "school", 1).exists()
    new_key = test_store.keys.groups["school"]
    test_store.close()
    assert opens_with(new, new_key) and not opens_with(new, old_key)
    assert stat.S_IMODE(new.stat().st_mode) == 0o600
    with Store.open(test_store.path, LEAD_LOGIN, LEAD_PASSWORD) as store:
        assert len(_school_rows(store)) == 1


def test_a_task_holding_a_transaction_cannot_use_the_other_lane(test_store: Store) -> None:
    def both(conn: Connection) -> None:
        with transaction(conn):
            conn.execute("INSERT INTO meta (key, value) VALUES ('x', 'y')")
            test_store.db.call(lambda c: c.execute("SELECT 1").fetchone(),
                               kind="school_context")

    with pytest.raises(CrossLaneTransaction):
        test_store.db.call(both)
    assert test_store.db.call(lambda c: c.execute(
        "SELECT count(*) FROM meta WHERE key = 'x'").fetchone()[0]) == 0
    with pytest.raises(StoreError):  # a school table is not on the main lane
        test_store.db.call(lambda c: c.execute("SELECT * FROM ds_school_context").fetchall())


SCHOOL_CSV = ("年度,学校コード,学年,組,児童生徒数,就学援助率\n"
              "2024,00101,1,1組,30,12.5\n2024,00102,1,1組,28,20.0\n")


def test_a_key_holder_imports_school_context_and_the_risk_frame_reads_it(
    demo_store_path: Path, tmp_path: Path
) -> None:
    from toda_desktop.risk.service import RiskService

    lead = sign_in(demo_store_path, "project_lead")
    try:
        before = _count(lead)
        source = tmp_path / "学校基礎情報_追加.csv"
        source.write_text(SCHOOL_CSV.replace("2024", "2031"), encoding="utf-8")
        preview = lead.importing.preview(lead.importing.inspect(source, "school_context"))
        result = lead.importing.commit(preview)
        assert result.inserted == 2 and _count(lead) == before + 2
        frame = RiskService(lead.context)._read(["attendance", "school_context"]).school_context
        assert frame is not None
        assert set(frame.loc[frame["school_year"] == 2031, "school_code"]) == {"00101", "00102"}
        assert lead.importing.rollback(result.batch_id).removed == {"school_context": 2}
        assert _count(lead) == before
    finally:
        lead.sign_out()


def _count(signed: SignedIn) -> int:
    counts = {d.kind: d.total for d in signed.overview().datasets}
    return counts["school_context"]


def test_an_account_whose_school_key_was_withdrawn_is_told_it_is_withheld(
    demo_store_path: Path, tmp_path: Path
) -> None:
    login = DEMO_LOGINS["data_analyst"][0]
    with Store.open(demo_store_path, DEMO_LOGINS["project_lead"][0], DEMO_PASSWORD) as store:
        store.revoke_groups(login, ["school"])
    analyst = sign_in(demo_store_path, "data_analyst")
    try:
        assert "school_context" in {k.name for k in analyst.gate.withheld_kinds()}
        overview = analyst.overview()
        assert "学校基礎情報" in overview.withheld
        assert "school_context" not in {d.kind for d in overview.datasets}
        source = tmp_path / "学校基礎情報.csv"
        source.write_text(SCHOOL_CSV, encoding="utf-8")
        with pytest.raises(UserFacingError):
            analyst.importing.inspect(source, "school_context")
        assert analyst.store.db.call(lambda c: c.execute(
            "SELECT count(*) FROM pragma_table_list WHERE name = 'ds_school_context'"
        ).fetchone()[0], kind="school_context") == 0
    finally:
        analyst.sign_out()


def test_two_holders_opening_an_old_store_at_once_both_open_and_keep_every_row(
    old_store: tuple[Path, StoreKeys],
) -> None:
    path, keys = old_store
    start = threading.Barrier(2)
    opened: list[Store] = []
    failed: list[BaseException] = []

    def open_it() -> None:
        start.wait()
        try:
            opened.append(Store(path, KeyFile.load(path), keys, REGISTRY))
        except BaseException as exc:  # (reported below)
            failed.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert failed == [] and len(opened) == 2
        for store in opened:
            assert [r[3] for r in _school_rows(store)] == [f"{MARKER}{i}" for i in (1, 2, 3)]
    finally:
        for store in opened:
            store.close()
    assert "ds_school_context" not in _main_tables(path, keys.system)
