"""The audit chain catches an edited, deleted, reordered, inserted or truncated entry."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from storage import audit
from storage.connection import Connection, open_connection
from storage.store import Store
from toda_desktop.audit.signer import account_signer
from toda_desktop.audit.trail import AuditTrail

Tamper = Callable[[Connection], None]


def _fill(store: Store, n: int = 6) -> None:
    """Entries 2 … n + 1 (entry 1 is the store's creation), signed by the lead."""
    signer = account_signer(store, "lead")
    for i in range(n):
        entry = store.db.call(
            lambda c, i=i: audit.append(
                c, signer, actor="lead", action="view_karte", pupil_id=100 + i,
                detail={"i": i}, at=datetime(2026, 4, 1, 9, i),
            )
        )
        audit.write_anchor(store.path, entry.id, entry.hash)


def _verify(store_path: Path, data_key: bytes) -> audit.ChainReport:
    conn = open_connection(store_path, data_key, privileged=True)
    try:
        return audit.verify(conn, audit.read_anchor_file(store_path).head)
    finally:
        conn.close()


def _tamper(store_path: Path, data_key: bytes, change: Tamper) -> None:
    conn = open_connection(store_path, data_key, privileged=True)
    try:
        change(conn)
    finally:
        conn.close()


def _swap(conn: Connection, a: int, b: int) -> None:
    conn.execute("UPDATE audit_log SET id = -1 WHERE id = ?", (a,))
    conn.execute("UPDATE audit_log SET id = ? WHERE id = ?", (a, b))
    conn.execute("UPDATE audit_log SET id = ? WHERE id = -1", (b,))


@pytest.mark.parametrize(
    ("change", "first_bad"),
    [
        (lambda c: c.execute("UPDATE audit_log SET pupil_id = 999 WHERE id = 4"), 4),
        (lambda c: c.execute("UPDATE audit_log SET actor = 'someone' WHERE id = 6"), 6),
        (lambda c: c.execute("DELETE FROM audit_log WHERE id = 5"), 5),
        (lambda c: _swap(c, 3, 4), 3),
        (
            lambda c: c.execute(
                "INSERT INTO audit_log (id, at, actor, action, outcome, prev_hash, hash)"
                " VALUES (8, '2026-01-01T00:00:00', 'x', 'export', 'ok', 'a', 'b')"
            ),
            8,
        ),
        (lambda c: c.execute("DELETE FROM audit_log WHERE id >= 6"), 6),
    ],
    ids=["edited", "edited-actor", "deleted", "reordered", "inserted", "truncated"],
)
def test_tampering_is_detected_and_located(
    test_store: Store, store_path: Path, change: Tamper, first_bad: int
) -> None:
    data_key = test_store.keys.system
    _fill(test_store)
    test_store.close()
    assert _verify(store_path, data_key).ok
    _tamper(store_path, data_key, change)
    report = _verify(store_path, data_key)
    assert not report.ok
    assert report.first_bad_id == first_bad
    assert str(first_bad) in report.reason


def test_missing_anchor_is_reported(test_store: Store, store_path: Path) -> None:
    data_key = test_store.keys.system
    _fill(test_store, 2)
    test_store.close()
    audit.anchor_path(store_path).unlink()
    report = _verify(store_path, data_key)
    assert not report.ok and "控え" in report.reason


def _trail_with_entries(store: Store, n: int) -> AuditTrail:
    trail = AuditTrail(store, signer=account_signer(store, "lead"))
    for i in range(n):
        trail.record("lead", "view_karte", pupil_id=100 + i)
    return trail


def _rows(store: Store) -> list[tuple[str, str]]:
    return store.db.call(lambda c: [(str(r[0]), str(r[1])) for r in c.execute(
        "SELECT action, outcome FROM audit_log ORDER BY id")])


@pytest.mark.parametrize("undo", ["rolled_back", "replaced", "anchor_missing"])
def test_a_store_rolled_back_or_swapped_is_caught_at_the_next_entry(
    test_store: Store, store_path: Path, undo: str
) -> None:
    """Restoring an older copy of the store (to hide, say, three exports) and working on is
    caught: the next entry finds the chain no longer continuing the anchor, says so in the
    chain and beside the store, and every later check reports it."""
    trail = _trail_with_entries(test_store, 4)
    if undo == "rolled_back":  # the older copy: the last entries are gone
        test_store.db.call(lambda c: c.execute(
            "DELETE FROM audit_log WHERE id > (SELECT max(id) - 3 FROM audit_log)"))
    elif undo == "replaced":  # a different store with as many entries
        test_store.db.call(lambda c: c.execute(
            "UPDATE audit_log SET hash = 'other' WHERE id = (SELECT max(id) FROM audit_log)"))
    else:
        audit.anchor_path(store_path).unlink()
    trail.record("lead", "export", detail={"rows": 3})
    trail.record("lead", "sign_out")
    assert ("audit_anchor_mismatch", "problem") in _rows(test_store)
    assert [b["reason"] for b in list(audit.read_anchor_file(store_path).breaks)] == [undo]
    report = trail.verify()
    assert not report.ok
    if undo != "replaced":  # (the swapped-in entry also fails its own check first)
        assert "戻されているか、別のデータベースに差し替えられている" in report.reason


def test_an_anchor_left_behind_by_a_crash_is_not_a_break(
    test_store: Store, store_path: Path
) -> None:
    """The process may stop between committing an entry and moving the anchor."""
    trail = _trail_with_entries(test_store, 3)
    first = test_store.db.call(
        lambda c: c.execute("SELECT id, hash FROM audit_log ORDER BY id LIMIT 1").fetchone())
    audit.write_anchor(store_path, int(first[0]), str(first[1]))  # one entry behind, or more
    trail.record("lead", "sign_in")
    assert list(audit.read_anchor_file(store_path).breaks) == []
    assert trail.verify().ok


def test_a_new_store_where_an_old_one_was_deleted_starts_without_a_break(
    tmp_path: Path,
) -> None:
    """Deleting a store's .tdb and .keys by hand leaves its anchor; a new store there must
    not read that as its own log rolled back."""
    from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD, TEST_SCRYPT_N

    path = tmp_path / "office.tdb"
    audit.write_anchor(path, 500, "stale")
    store, _ = Store.create(path, "test", LEAD_LOGIN, LEAD_PASSWORD,
                            created_at=datetime(2026, 4, 1, 9), scrypt_n=TEST_SCRYPT_N)
    try:
        trail = AuditTrail(store, signer=account_signer(store, "lead"))
        trail.record("lead", "store_created")
        trail.record("lead", "sign_in")
        assert list(audit.read_anchor_file(path).breaks) == [] and trail.verify().ok
    finally:
        store.close()


@pytest.mark.parametrize(("anchor_text", "reason"), [
    ('{"last_id": 0, "last_mac": ""}', "replaced"),
    ('{"last_id": 1e400, "last_mac": "x"}', "anchor_damaged"),
    ('{"last_id": 2, "last_mac": "番号"}', "anchor_damaged"),
    ("not json", "anchor_damaged"),
])
def test_a_forged_or_damaged_anchor_is_a_break_and_never_stops_the_log(
    test_store: Store, store_path: Path, anchor_text: str, reason: str
) -> None:
    """Found in review: a 0 anchor switched detection off, and odd values made every
    append (so every action) fail."""
    trail = _trail_with_entries(test_store, 3)
    audit.anchor_path(store_path).write_text(anchor_text, encoding="utf-8")
    trail.record("lead", "export")  # still written
    assert [b["reason"] for b in list(audit.read_anchor_file(store_path).breaks)] == [reason]
    assert not trail.verify().ok


def test_removing_the_break_note_beside_the_store_does_not_hide_it(
    test_store: Store, store_path: Path
) -> None:
    """The note in the anchor file is unsigned; the chain's own signed entry still counts."""
    trail = _trail_with_entries(test_store, 3)
    audit.anchor_path(store_path).unlink()
    trail.record("lead", "export")
    entry = test_store.db.call(lambda c: c.execute(
        "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone())
    audit.anchor_path(store_path).write_text(
        json.dumps({"last_id": entry[0], "last_hash": entry[1]}), encoding="utf-8")
    report = trail.verify()
    assert not report.ok and "差し替えられている" in report.reason


def test_an_administrator_acknowledges_known_breaks_and_later_ones_show_again(
    test_store: Store, store_path: Path
) -> None:
    """After a restore from a backup the break is real but known: acknowledging it (a signed
    entry with the reason) clears the alarm; a rollback after that is reported again."""
    trail = _trail_with_entries(test_store, 4)
    test_store.db.call(lambda c: c.execute(
        "DELETE FROM audit_log WHERE id > (SELECT max(id) - 2 FROM audit_log)"))
    trail.record("lead", "sign_in")
    report = trail.verify()
    assert not report.ok and report.pending_breaks == 1
    trail.acknowledge_breaks("lead", "バックアップから復元した")
    report = trail.verify()
    assert report.ok and "確認済みの不整合 1回" in report.reason
    assert ("audit_breaks_acknowledged", "ok") in _rows(test_store)
    trail.record("lead", "view_karte")
    trail.record("lead", "export")
    test_store.db.call(lambda c: c.execute(  # the export is made to vanish
        "DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)"))
    trail.record("lead", "sign_out")
    report = trail.verify()
    assert not report.ok and report.pending_breaks == 1


def test_editing_the_note_file_cannot_acknowledge_a_break(
    test_store: Store, store_path: Path
) -> None:
    """The count of acknowledged notes is unsigned; the chain's break entry still needs a
    signed acknowledgment."""
    trail = _trail_with_entries(test_store, 3)
    audit.anchor_path(store_path).unlink()
    trail.record("lead", "export")
    raw = json.loads(audit.anchor_path(store_path).read_text(encoding="utf-8"))
    raw["acknowledged"] = 99
    audit.anchor_path(store_path).write_text(json.dumps(raw), encoding="utf-8")
    assert not trail.verify().ok
