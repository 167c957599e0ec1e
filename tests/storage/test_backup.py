"""Backups: consistent while others write, verified or removed, generations kept, and no
wider than the store (issue 13)."""

from __future__ import annotations

import os
import stat
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlcipher3

from storage import backup
from storage.connection import key_pragma, open_connection, transaction
from storage.errors import StoreError
from storage.group_files import group_file_path
from storage.repos import meta
from storage.store import Store
from tests.services.test_sign_in import WallClock
from tests.storage.backup_world import IT_ADMIN, LEAD, damage, first_student, run_cli, sign_in
from toda_desktop.errors import OperationCancelled, UserFacingError
from toda_desktop.store_setup import DEMO_PASSWORD


def _read(path: Path, key: bytes, sql: str) -> list[tuple[object, ...]]:
    conn = sqlcipher3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        conn.execute(key_pragma(key))
        return list(conn.execute(sql).fetchall())
    finally:
        conn.close()


def test_a_backup_taken_while_another_connection_writes_is_one_point_in_time(
    demo_store_path: Path, tmp_path: Path
) -> None:
    """A writer commits to the pupils' file and the store file in one transaction, as
    fast as it can, while another connection runs PASSIVE checkpoints on both files; every
    backup holds both halves of the same commit."""
    lead = sign_in(demo_store_path)
    store = lead.store
    record, _ = first_student(lead)
    stop = threading.Event()
    written = [0]
    moved = [0]
    basic_file = group_file_path(
        demo_store_path, "basic", Store.read_keyfile(demo_store_path).generations.get("basic", 1))

    def write(n: int) -> None:
        def both(conn: object) -> None:
            with transaction(conn):  # type: ignore[arg-type]
                conn.execute("UPDATE ds_students SET name = ? WHERE id = ?",  # type: ignore[attr-defined]
                             (f"生徒{n}", record))
                meta.put(conn, "drill_counter", str(n))  # type: ignore[arg-type]

        store.db.call(both)

    def writer() -> None:
        while not stop.is_set():
            written[0] += 1
            write(written[0])

    def checkpointer() -> None:
        conns = [open_connection(demo_store_path, store.keys.system),
                 open_connection(basic_file, store.keys.groups["basic"])]
        try:
            while not stop.is_set():
                for conn in conns:
                    moved[0] += conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[2]
        finally:
            for conn in conns:
                conn.close()

    write(0)
    threads = [threading.Thread(target=writer), threading.Thread(target=checkpointer)]
    for thread in threads:
        thread.start()
    try:
        made = [lead.backup.create(tmp_path / "backups") for _ in range(4)]
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        keys = store.keys
        lead.sign_out()
    assert written[0] > 4  # the writer did commit during the backups
    assert moved[0] > 0  # and the checkpoints did copy pages into the files
    for done in made:
        counter = _read(done.path / "store", keys.system,
                        "SELECT value FROM meta WHERE key = 'drill_counter'")[0][0]
        name = _read(done.path / basic_file.name.replace(demo_store_path.name, "store", 1),
                     keys.groups["basic"], f"SELECT name FROM ds_students WHERE id = {record:d}")
        assert name[0][0] == f"生徒{counter}"


def test_a_copy_that_fails_verification_is_deleted_and_the_store_is_untouched(
    demo_store_path: Path, tmp_path: Path
) -> None:
    lead = sign_in(demo_store_path)
    destination = tmp_path / "backups"

    def group_files() -> dict[str, bytes]:  # (the store file takes the log entry)
        return {p.name: p.read_bytes() for p in demo_store_path.parent.iterdir()
                if ".g" in p.name and not p.name.endswith("-shm")}

    before = group_files()

    def damage_copy(fraction: float) -> None:
        # After the files were written, before verification: a page of a copy goes bad.
        if fraction == backup.COPIED:
            for copy in destination.glob(f"{backup.STAGING_PREFIX}*/store.basic.g*"):
                damage(copy, range(1, 2))

    try:
        with pytest.raises(StoreError, match="検証で異常"):
            lead.backup.create(destination, progress=damage_copy)
        assert list(destination.iterdir()) == []  # no partial folder is left
        entries = lead.audit_view.entries()
        assert any(e.action == "backup_created" and e.outcome_label == "失敗" for e in entries)
        assert group_files() == before
    finally:
        lead.sign_out()


def test_a_cancelled_backup_leaves_nothing_and_says_so(
    demo_store_path: Path, tmp_path: Path
) -> None:
    lead = sign_in(demo_store_path)
    destination = tmp_path / "backups"
    pressed = [False]

    def press(fraction: float) -> None:
        pressed[0] = pressed[0] or fraction > 0.1

    try:
        with pytest.raises(OperationCancelled, match="作りかけのものは削除"):
            lead.backup.create(destination, progress=press, cancel=lambda: pressed[0])
        assert list(destination.iterdir()) == []
        assert lead.backup.settings().last_at is None
    finally:
        lead.sign_out()


def test_only_the_newest_verified_generations_are_kept(
    demo_store_path: Path, tmp_path: Path
) -> None:
    clock = WallClock()
    lead = sign_in(demo_store_path, clock=clock)
    destination = tmp_path / "backups"
    destination.mkdir()
    stranger = destination / "toda-backup-20200101-000000-0123abcd"  # unreadable: not ours
    stranger.mkdir()
    try:
        lead.backup.set_settings(keep=2)
        lead.backup.set_settings(keep=2)  # unchanged: neither written nor logged again
        logged = [e for e in lead.audit_view.entries() if e.action == "backup_settings"]
        assert len(logged) == 1
        made = []
        for _ in range(4):
            made.append(lead.backup.create(destination).path)
            clock.advance(minutes=1)
        rows = lead.backup.generations(destination)
    finally:
        lead.sign_out()
    kept = sorted(p.name for p in destination.iterdir())
    assert kept == sorted([made[2].name, made[3].name, stranger.name])
    assert [r.name for r in rows if r.verified] == [made[3].name, made[2].name]
    code, text = run_cli("backup", "list", "--to", str(destination))
    assert code == 0 and made[3].name in text and "検証済み" in text and "未検証" in text


def test_a_backup_is_owner_only_and_named_without_anything_about_a_pupil(
    demo_store_path: Path, tmp_path: Path
) -> None:
    lead = sign_in(demo_store_path)
    try:
        done = lead.backup.create(tmp_path / "backups")
        names = set(lead.store.db.call(lambda c: [str(r[0]) for r in c.execute(
            "SELECT name FROM ds_students LIMIT 50")]))
    finally:
        lead.sign_out()
    assert backup._NAME.match(done.path.name)
    posix = os.name != "nt"  # (on Windows the destination folder's access list protects it)
    assert not posix or stat.S_IMODE(done.path.stat().st_mode) == 0o700
    for file in done.path.iterdir():
        assert not posix or stat.S_IMODE(file.stat().st_mode) == 0o600, file.name
        data = file.read_bytes()
        assert not any(n.encode() in data for n in names), file.name  # encrypted, every file


def test_an_account_without_every_key_cannot_make_a_backup_and_is_told_what_is_needed(
    demo_store_path: Path, tmp_path: Path
) -> None:
    admin = sign_in(demo_store_path, IT_ADMIN)
    try:
        assert admin.may("admin") and not admin.backup.may_create()
        with pytest.raises(UserFacingError, match="すべてのデータの鍵が必要") as refused:
            admin.backup.create(tmp_path / "backups")
        assert "児童生徒" in refused.value.message_ja or "基本" in refused.value.message_ja
    finally:
        admin.sign_out()
    assert not (tmp_path / "backups").exists() or not any((tmp_path / "backups").iterdir())


def test_a_backup_gives_an_insider_no_more_than_the_store_does(
    demo_store_path: Path, tmp_path: Path
) -> None:
    """The IT administrator's password opens the backup's key file, but each file stays
    under its own key: the pupils' file does not open with what that account holds."""
    lead = sign_in(demo_store_path)
    try:
        done = lead.backup.create(tmp_path / "backups")
    finally:
        lead.sign_out()
    info, staged = backup.stage_restore(done.path, tmp_path / "insider" / "copy.tdb")
    try:
        with Store.open(staged, IT_ADMIN, DEMO_PASSWORD) as copy:
            assert copy.held_groups == ()
            held = copy.keys
            assert "basic" not in held.groups
        basic = group_file_path(staged, "basic", 1)
        for key in (held.system, *held.groups.values()):
            with pytest.raises(sqlcipher3.DatabaseError):
                _read(basic, key, "SELECT count(*) FROM sqlite_master")
    finally:
        backup.abandon_restore(staged)
    assert info.verified


def test_the_command_line_makes_a_backup_and_refuses_an_account_without_the_keys(
    demo_store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("TODA_PASSWORD", DEMO_PASSWORD)
    destination = tmp_path / "backups"
    code, text = run_cli("backup", "create", "--store", str(demo_store_path), "--to",
                         str(destination), "--user", LEAD, "--keep", "3", "--offer-days", "2")
    assert code == 0 and "検証しました" in text
    lead = sign_in(demo_store_path)
    try:
        saved = lead.backup.settings()
    finally:
        lead.sign_out()
    assert (saved.keep, saved.offer_after.days, saved.last_at is not None) == (3, 2, True)
    code, _ = run_cli("backup", "create", "--store", str(demo_store_path), "--to",
                      str(destination), "--user", IT_ADMIN)
    assert code == 2 and "すべてのデータの鍵が必要" in capsys.readouterr().err
    assert len(backup.list_backups(destination)) == 1


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB file system (tmpfs) for a real ENOSPC; skipped where mounting is not allowed."""
    folder = tmp_path / "small-disk"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)],
                             capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip("mounting a small file system needs administrator rights")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def test_a_full_disk_leaves_nothing_behind_and_says_so_in_japanese(
    demo_store_path: Path, small_disk: Path
) -> None:
    lead = sign_in(demo_store_path)
    try:
        with pytest.raises(StoreError, match="空き容量が不足") as full:
            lead.backup.create(small_disk)
        assert "作りかけのものは削除" in full.value.message_ja
        assert list(small_disk.iterdir()) == []
        assert lead.backup.settings().last_at is None
        assert lead.store.integrity_check().ok  # the store itself is as it was
    finally:
        lead.sign_out()


def test_a_rotated_group_is_backed_up_in_the_generation_the_key_file_names(
    demo_store_path: Path, tmp_path: Path
) -> None:
    lead = sign_in(demo_store_path)
    try:
        generation = lead.store.rotate_group_key("basic")
        done = lead.backup.create(tmp_path / "backups")
    finally:
        lead.sign_out()
    names = {f.name for f in backup.read_manifest(done.path).files}
    assert f"store.basic.g{generation}" in names and "store.basic.g1" not in names
    info, staged = backup.stage_restore(done.path, tmp_path / "restored" / "city.tdb")
    try:
        with Store.open(staged, LEAD, DEMO_PASSWORD) as copy:
            assert copy.integrity_check().ok
            assert "basic" in {g.name for g in copy.held_groups}
    finally:
        backup.abandon_restore(staged)
    assert info.verified
