"""The restore drill (issue 13): create → change → back up → change → damage → restore.

Everything committed before the backup is in the restored store, nothing after it; the
damaged live store is never touched by the restore; and ``audit verify`` on the restored
store explains the gap by the signed restore entry (from which backup, when, by whom),
which an administrator acknowledges through the existing flow.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from storage import audit, backup
from storage.group_files import group_file_path
from storage.store import Store
from tests.services.test_sign_in import WallClock
from tests.storage.backup_world import (
    LEAD,
    damage,
    first_student,
    run_cli,
    sign_in,
    student_names,
)
from toda_desktop.formatting import format_phrase
from toda_desktop.store_setup import DEMO_PASSWORD


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TODA_PASSWORD", DEMO_PASSWORD)
    monkeypatch.setenv("TODA_USER", LEAD)


def test_the_restore_drill_keeps_what_was_backed_up_and_the_audit_log_explains_the_gap(
    demo_store_path: Path, tmp_path: Path, env: None
) -> None:
    outside = tmp_path / "it-server"
    outside.mkdir()
    backups = tmp_path / "backups"
    clock = WallClock()
    lead = sign_in(demo_store_path, clock=clock)
    lead.audit_view.set_outside_folder(outside)
    record, address = first_student(lead)
    lead.records.update("students", record, "name", "前川　一郎")  # before the backup
    done = lead.backup.create(backups)
    lead.records.update("students", record, "name", "後藤　二郎")  # after the backup
    clock.advance(days=1)
    lead.sign_out()  # copies the head (now beyond the backup) outside
    heads_after = audit_outside_heads(outside, demo_store_path)

    # The disk fails under the live store: pages of the pupils' file are overwritten.
    keyfile = Store.read_keyfile(demo_store_path)
    basic = group_file_path(demo_store_path, "basic", keyfile.generations.get("basic", 1))
    damage(basic, range(2, 6))
    with Store.open(demo_store_path, LEAD, DEMO_PASSWORD) as broken:
        assert not broken.integrity_check().ok
    live_bytes = basic.read_bytes()

    target = tmp_path / "restored" / "city.tdb"
    code, text = run_cli("backup", "restore", "--from", str(done.path), "--to", str(target))
    assert code == 0, text
    assert basic.read_bytes() == live_bytes  # the restore never writes the live store
    code, text = run_cli("audit", "verify", "--store", str(target))
    assert code == 1 and "復元" in text and done.path.name in text  # explained, not silent

    restored = sign_in(target)
    try:
        assert student_names(restored)[address] == "前川　一郎"  # before: kept
        assert "後藤　二郎" not in student_names(restored).values()  # after: not there
        entries = restored.store.db.call(lambda c: audit.query(c, action=audit.RESTORE_ACTION))
        assert len(entries) == 1 and entries[0].actor == LEAD
        assert done.path.name in str(entries[0].detail)
        check = restored.audit_view.verify()
        message = format_phrase(check.message)
        # Not a silent failure: the restore is named, with its backup, and awaits an admin.
        assert not check.ok and check.pending_breaks >= 1
        assert "復元" in message and done.path.name in message
        assert f"記録 {entries[0].id}" in message
        after = restored.audit_view.acknowledge_breaks("バックアップからの復元（訓練）")
        assert after.ok, format_phrase(after.message)
    finally:
        restored.sign_out()
    assert max(h[0] for h in heads_after) > backup.read_manifest(done.path).audit_head_id


def audit_outside_heads(folder: Path, store: Path) -> list[tuple[int, str]]:
    from storage import audit_outside

    return list(audit_outside.read_copies(folder, Store.read_keyfile(store).store_id).heads)


def test_a_restore_is_refused_over_the_live_store_or_any_existing_store(
    demo_store_path: Path, tmp_path: Path, env: None
) -> None:
    lead = sign_in(demo_store_path)
    try:
        done = lead.backup.create(tmp_path / "backups")
    finally:
        lead.sign_out()
    before = {p.name: p.stat().st_mtime_ns for p in demo_store_path.parent.iterdir()}
    code, _ = run_cli("backup", "restore", "--from", str(done.path),
                      "--to", str(demo_store_path))
    assert code == 2
    # A group file of a store is refused as a target too (it lies beside a store).
    group = next(demo_store_path.parent.glob(demo_store_path.name + ".basic.g*"))
    code, _ = run_cli("backup", "restore", "--from", str(done.path), "--to", str(group))
    assert code == 2
    with pytest.raises(Exception, match="既にデータベース"):
        backup.stage_restore(done.path, demo_store_path)
    assert {p.name: p.stat().st_mtime_ns for p in demo_store_path.parent.iterdir()} == before


def test_a_backup_changed_after_it_was_written_is_not_restored(
    demo_store_path: Path, tmp_path: Path, env: None
) -> None:
    lead = sign_in(demo_store_path)
    try:
        done = lead.backup.create(tmp_path / "backups")
    finally:
        lead.sign_out()
    copy = next(done.path.glob("store.basic.g*"))
    damage(copy, range(1, 2))
    target = tmp_path / "restored" / "city.tdb"
    code, _ = run_cli("backup", "restore", "--from", str(done.path), "--to", str(target))
    assert code == 2
    assert not target.parent.exists() or list(target.parent.iterdir()) == []  # nothing left


def test_only_an_administrator_can_restore_and_a_refusal_leaves_nothing(
    demo_store_path: Path, tmp_path: Path, env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    lead = sign_in(demo_store_path)
    try:
        done = lead.backup.create(tmp_path / "backups")
    finally:
        lead.sign_out()
    monkeypatch.setenv("TODA_USER", "demo-analyst")  # no 管理機能
    target = tmp_path / "restored" / "city.tdb"
    code, _ = run_cli("backup", "restore", "--from", str(done.path), "--to", str(target))
    assert code == 2
    assert list(target.parent.iterdir()) == []  # the staging folder went with the refusal
