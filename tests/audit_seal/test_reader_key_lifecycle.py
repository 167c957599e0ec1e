"""The audit reader's key: made for an older store at the lead's sign-in, kept through a key
renewal and a backup and restore, and sealed to the recovery identity.

The old store was made by the code before the ``research`` group (so also before sealing):
its entries stay in clear (re-encrypting them would break their signatures). The liaison's
sign-in makes nothing (its role does not read the audit log); the lead's makes the group,
sealed to the lead and the recovery identity only (not to the データ整備・分析職員); from
then on every session's pupil-linked entries are sealed, and the lead reads them.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from storage import audit
from storage.audit_seal import Opener, reader_privates
from storage.group_files import group_file_path
from storage.key_groups import AUDIT_READER_GROUP
from storage.keys import RECOVERY_SLOT, KeyFile
from storage.store import Store
from tests.audit_seal.world import keys_of, read
from tests.conftest import TEST_SCRYPT_N
from tests.risk.conftest import sign_in
from tests.storage.backup_world import run_cli
from toda_desktop.audit.service import AuditFilter
from toda_desktop.store_setup import DEMO_PASSWORD, create_demo_store

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "stores" / \
    "before_research_group.zip"


@pytest.fixture
def old_store(tmp_path: Path) -> Path:
    folder = tmp_path / "old"
    with zipfile.ZipFile(FIXTURE) as archive:
        archive.extractall(folder)
    for file in folder.iterdir():
        os.chmod(file, 0o600)
    return folder / "old.tdb"


def _a_pupil(path: Path) -> int:
    """A pupil of the register (read with the lead's basic key, as an insider would)."""
    key = keys_of(path, "project_lead")["basic"]
    return int(str(read(group_file_path(path, "basic", 1), key,
                        "SELECT min(id) FROM ds_students")[0][0]))


def _rows(path: Path, action: str) -> list[tuple[object, ...]]:
    return read(path, keys_of(path, "liaison")["system"],
                "SELECT id, actor, pupil_id, detail FROM audit_log WHERE action = ? ORDER BY id",
                (action,))


def test_an_older_store_gets_the_reader_key_at_the_leads_sign_in_and_seals_from_then_on(
    old_store: Path,
) -> None:
    liaison = sign_in(old_store, "liaison")
    liaison.sign_out()
    assert not KeyFile.load(old_store).holder_slots(AUDIT_READER_GROUP)

    lead = sign_in(old_store, "project_lead")
    try:
        keyfile = KeyFile.load(old_store)
        holders = set(keyfile.holder_slots(AUDIT_READER_GROUP))
        assert len(holders) == 2 and RECOVERY_SLOT in holders
        assert AUDIT_READER_GROUP in keyfile.granted_groups("demo-lead")
    finally:
        lead.sign_out()
    created = _rows(old_store, "key_group_created")
    assert created and created[-1][1] == "demo-lead"

    analyst = sign_in(old_store, "data_analyst")
    try:
        analyst.search.search("ヤマダ タロウ")  # (this old store has no pupils yet)
    finally:
        analyst.sign_out()
    searches = _rows(old_store, "search")
    assert searches and str(searches[-1][3]).startswith('{"sealed"')

    lead = sign_in(old_store, "project_lead")
    try:
        shown = lead.audit_view.entries(AuditFilter(action="search", actor="demo-analyst"))
        assert shown and "検索語の数: 2" in shown[0].detail_text
        # (This fixture's own chain does not verify: its accounts were made without the
        # key-registering entries. The chain with sealed entries verifies in
        # test_insider_reads_no_pupil_in_the_audit_log.)
    finally:
        lead.sign_out()


def test_a_renewed_reader_key_and_a_restored_backup_still_open_the_sealed_entries(
    demo_store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    truancy = sign_in(demo_store_path, "truancy_support")
    try:
        pupil = _a_pupil(demo_store_path)
        truancy.karte.open(pupil)
    finally:
        truancy.sign_out()

    lead = sign_in(demo_store_path, "project_lead")
    try:
        assert lead.store.rotate_group_key(AUDIT_READER_GROUP) == 2
    finally:
        lead.sign_out()
    lead = sign_in(demo_store_path, "project_lead")
    try:
        shown = lead.audit_view.entries(AuditFilter(pupil_id=pupil))
        assert ("demo-truancy", "view_karte") in {(r.actor, r.action) for r in shown}
        done = lead.backup.create(tmp_path / "backups")
    finally:
        lead.sign_out()

    monkeypatch.setenv("TODA_PASSWORD", DEMO_PASSWORD)
    monkeypatch.setenv("TODA_USER", "demo-lead")
    target = tmp_path / "restored" / "city.tdb"
    code, text = run_cli("backup", "restore", "--from", str(done.path), "--to", str(target))
    assert code == 0, text
    restored = sign_in(target, "project_lead")
    try:
        shown = restored.audit_view.entries(AuditFilter(pupil_id=pupil))
        assert ("demo-truancy", "view_karte") in {(r.actor, r.action) for r in shown}
        entries = restored.store.db.call(lambda c: audit.query(c, action=audit.RESTORE_ACTION))
        assert entries and entries[0].seal == ""  # the restore entry stays in clear
    finally:
        restored.sign_out()


def test_the_recovery_identity_opens_the_sealed_entries(tmp_path: Path) -> None:
    """The recovery key reads what the lead reads (the reader key is sealed to it from the
    store's creation), e.g. after the lead's account is lost."""
    path = tmp_path / "city" / "city.tdb"
    created = create_demo_store(path, seed=7, small=True, scrypt_n=TEST_SCRYPT_N)
    created.store.close()
    pupil = _a_pupil(path)
    truancy = sign_in(path, "truancy_support")
    try:
        truancy.karte.open(pupil)
    finally:
        truancy.sign_out()
    with Store.open_with_recovery_key(path, created.recovery_key) as store:
        privates = store.db.call(reader_privates, kind=AUDIT_READER_GROUP)
        opener = Opener(privates, store.db.call(audit.store_id))
        found = store.db.call(lambda c: audit.query(c, pupil_id=pupil, opener=opener))
    assert [(e.actor, e.action, e.seal) for e in found] == [
        ("demo-truancy", "view_karte", "opened")]
