"""Migration 11: a store whose audit log was HMAC-chained keeps its entries and goes on signed."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest

from storage import audit
from storage.connection import Connection
from storage.store import Store
from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD, TEST_SCRYPT_N
from tests.storage.test_migration_signin_counters import undo_migration_10
from toda_desktop.accounts.creation import create_account
from toda_desktop.audit.signer import account_signer
from toda_desktop.audit.trail import AuditTrail
from toda_desktop.clock import system_clock
from toda_desktop.policy.model import default_policy
from toda_desktop.store_setup import create_empty_store

OLD_KEY = b"\x07" * 32
LEGACY = [("lead", "store_created"), ("lead", "sign_in"), ("lead", "export"),
          ("clerk", "sign_in"), ("clerk", "view_karte")]


def _make_version_9(conn: Connection) -> tuple[int, str]:
    """The audit log as migration 1 made it, with HMAC-chained entries; returns the head."""
    undo_migration_10(conn)
    conn.execute("DROP TABLE audit_log")
    conn.execute("""
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL,
            action TEXT NOT NULL, outcome TEXT NOT NULL, target TEXT, pupil_id INTEGER,
            detail TEXT, prev_mac TEXT NOT NULL, mac TEXT NOT NULL)""")
    conn.execute("CREATE INDEX audit_log_pupil ON audit_log (pupil_id)")
    prev = "0" * 64
    for i, (actor, action) in enumerate(LEGACY, 1):
        fields = (i, f"2026-04-01T09:00:{i:02d}", actor, action, "ok", None, None, None)
        payload = json.dumps([prev, *fields], ensure_ascii=False, separators=(",", ":"))
        mac = hmac.new(OLD_KEY, payload.encode(), hashlib.sha256).hexdigest()
        conn.execute("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     (*fields, prev, mac))
        prev = mac
    conn.execute("PRAGMA user_version = 9")
    return len(LEGACY), prev


@pytest.fixture
def migrated(store_path: Path) -> Path:
    created = create_empty_store(store_path, "test", LEAD_LOGIN, LEAD_PASSWORD,
                                 scrypt_n=TEST_SCRYPT_N)
    create_account(created.store, default_policy(), "clerk", "窓口", "liaison",
                   "a long clerk passphrase", set_by="clerk", scrypt_n=TEST_SCRYPT_N,
                   at=system_clock())
    head = created.store.db.call(_make_version_9)
    created.store.close()
    (store_path.parent / (store_path.name + ".audit-head")).write_text(
        json.dumps({"last_id": head[0], "last_mac": head[1]}), encoding="utf-8")
    return store_path


def _trail(store: Store, login: str) -> AuditTrail:
    return AuditTrail(store, signer=account_signer(store, login))


def test_old_entries_are_kept_and_each_account_registers_its_key_at_its_first_signed_entry(
    migrated: Path,
) -> None:
    with Store.open(migrated, LEAD_LOGIN, LEAD_PASSWORD) as store:
        trail = _trail(store, LEAD_LOGIN)
        trail.record(LEAD_LOGIN, "sign_in")  # the old anchor (a MAC) still matches
        trail.record(LEAD_LOGIN, "export")
        rows = store.db.call(lambda c: c.execute(
            "SELECT actor, action, signer, legacy_mac IS NOT NULL FROM audit_log ORDER BY id"
        ).fetchall())
        assert [(r[0], r[1]) for r in rows[:5]] == LEGACY
        assert all(r[2] is None and r[3] for r in rows[:5])
        assert [(r[1], r[2]) for r in rows[5:]] == [
            ("audit_key_registered", LEAD_LOGIN), ("sign_in", LEAD_LOGIN),
            ("export", LEAD_LOGIN)]
        assert audit.read_anchor_file(migrated).breaks == ()
        report = trail.verify()
        assert report.ok and report.entries == 8


def test_an_old_entry_changed_after_the_first_signature_is_caught(migrated: Path) -> None:
    """The insider recomputes every hash: the first signed entry no longer verifies."""
    with Store.open(migrated, LEAD_LOGIN, LEAD_PASSWORD) as store:
        trail = _trail(store, LEAD_LOGIN)
        trail.record(LEAD_LOGIN, "sign_in")

        def rewrite(conn: Connection) -> None:
            conn.execute("DELETE FROM audit_log WHERE id = 3")  # the old export
            conn.execute("UPDATE audit_log SET id = id - 1 WHERE id > 3")
            prev = audit.GENESIS_HASH
            for row in conn.execute("SELECT id, at, actor, action, outcome, target, pupil_id,"
                                    " detail, signer FROM audit_log ORDER BY id").fetchall():
                digest = audit.entry_hash(prev, row)
                conn.execute("UPDATE audit_log SET prev_hash = ?, hash = ? WHERE id = ?",
                             (prev, digest, row[0]))
                prev = digest
            audit.write_anchor(migrated, int(row[0]), prev)

        store.db.call(rewrite)
        report = trail.verify()
        assert not report.ok and report.first_bad_id == 5
        assert "記録 5 の署名" in report.reason


def test_a_self_registration_with_a_key_other_than_the_key_files_is_caught(
    migrated: Path,
) -> None:
    """In a migrated log an account vouches for its own key once; an insider who does it in
    another account's name (before that account signed anything) uses a key of their own,
    which is not the one in the key file."""
    with Store.open(migrated, LEAD_LOGIN, LEAD_PASSWORD) as store:
        _trail(store, LEAD_LOGIN).record(LEAD_LOGIN, "sign_in")
        forged = AuditTrail(store, signer=audit.Signer("clerk", b"\x01" * 32))
        forged.record("clerk", "export")
        report = _trail(store, LEAD_LOGIN).verify()
        assert not report.ok
        assert "「clerk」の署名鍵が、鍵ファイルの鍵と一致しません" in report.reason
