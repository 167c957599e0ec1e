"""An insider cannot rewrite another person's audit entries, even with the store's key.

The insider signs in with their own password through the product's Python API, keeps what
that gives them (the store file's key and their own signing key), closes the product and
edits the store file directly with sqlcipher3, recomputing every hash and re-signing every
entry they can (their own). ``audit verify`` must name the first entry that no longer
holds. (Until key file format 2 is merged every account's seed is still derived from the
store key; the insider here takes only their own seed, which is all the merged product gives.)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
import sqlcipher3

from devices import FakeClock, Scanner, Simulator, SimulatorConfig, require_real_scanner_for
from storage import audit
from storage.store import Store
from tests.services.test_sign_in import WallClock
from toda_desktop.audit.signer import account_signer
from toda_desktop.composition import Application
from toda_desktop.formatting import format_phrase
from toda_desktop.store_setup import DEMO_PASSWORD

LEAD, INSIDER = "demo-lead", "demo-liaison"
Raw = sqlcipher3.Connection


@pytest.fixture
def sim() -> Simulator:
    return Simulator(SimulatorConfig(seed=3, timeout_s=5), clock=FakeClock())


def _app(path: Path, sim: Simulator, clock: WallClock) -> Application:
    def factory(store_kind: str) -> Scanner:
        require_real_scanner_for(store_kind, sim)
        return sim

    return Application(path, scanner_factory=factory, clock=clock)


@pytest.fixture
def worked(demo_store_path: Path, sim: Simulator, tmp_path: Path) -> tuple[Path, int]:
    """The lead exports, the insider works, the lead works again; returns the store and
    the id of the lead's export entry (the one the insider wants gone)."""
    clock = WallClock()
    lead = _app(demo_store_path, sim, clock).sign_in(LEAD, DEMO_PASSWORD)
    lead.records.export_dataset("schools", tmp_path / "schools.csv")
    lead.sign_out()
    clock.advance(minutes=5)
    _app(demo_store_path, sim, clock).sign_in(INSIDER, DEMO_PASSWORD).sign_out()
    clock.advance(minutes=5)
    lead = _app(demo_store_path, sim, clock).sign_in(LEAD, DEMO_PASSWORD)
    lead.overview()
    lead.sign_out()
    export_id = max(i for i, action, actor in _rows(demo_store_path)
                    if action == "export" and actor == LEAD)
    return demo_store_path, export_id


def _insider_holds(path: Path) -> tuple[bytes, audit.Signer]:
    """What the insider's own password gives: the store file's key, their signing key."""
    with Store.open(path, INSIDER, DEMO_PASSWORD) as store:
        return store.keys.system, account_signer(store, INSIDER)


def _raw(path: Path, key: bytes) -> Raw:
    conn = sqlcipher3.connect(str(path), isolation_level=None)
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    return conn


def _rows(path: Path) -> list[tuple[int, str, str]]:
    key, _ = _insider_holds(path)
    conn = _raw(path, key)
    try:
        return [(int(i), str(a), str(b)) for i, a, b in conn.execute(
            "SELECT id, action, actor FROM audit_log ORDER BY id")]
    finally:
        conn.close()


def _rechain(conn: Raw, insider: audit.Signer, path: Path) -> None:
    """Recompute every hash from the start, re-sign the insider's own entries, and move
    the anchor beside the store to the new head: all the insider can do."""
    the_store = str(conn.execute("SELECT value FROM meta WHERE key = 'store_id'").fetchone()[0])
    prev = audit.GENESIS_HASH
    rows = conn.execute("SELECT id, at, actor, action, outcome, target, pupil_id, detail,"
                        " signer, signature FROM audit_log ORDER BY id").fetchall()
    for row in rows:
        digest = audit.entry_hash(prev, row[:9])
        signature = row[9]
        if row[8] == insider.name:
            signature = insider.sign(audit.signed_message(the_store, digest)).hex()
        conn.execute("UPDATE audit_log SET prev_hash = ?, hash = ?, signature = ? WHERE id = ?",
                     (prev, digest, signature, row[0]))
        prev = digest
    audit.write_anchor(path, int(rows[-1][0]), prev)


def _attack(path: Path, change: Callable[[Raw, audit.Signer, int], None], target: int) -> None:
    key, insider = _insider_holds(path)
    conn = _raw(path, key)
    try:
        conn.execute("BEGIN")
        change(conn, insider, target)
        conn.execute("COMMIT")
        _rechain(conn, insider, path)
    finally:
        conn.close()


def _verify(path: Path, sim: Simulator, login: str = LEAD) -> tuple[bool, int | None, str]:
    """``audit verify`` as ``login`` (a role with 監査ログ), a day later."""
    clock = WallClock()
    clock.advance(days=1)
    lead = _app(path, sim, clock).sign_in(login, DEMO_PASSWORD)
    try:
        check = lead.audit_view.verify()
        return check.ok, check.first_bad_id, format_phrase(check.message)
    finally:
        lead.sign_out()


def _edit(conn: Raw, _insider: audit.Signer, target: int) -> None:
    conn.execute("UPDATE audit_log SET detail = ? WHERE id = ?",
                 (json.dumps({"rows": 0, "file": "nothing.csv"}), target))


def _delete_and_renumber(conn: Raw, _insider: audit.Signer, target: int) -> None:
    conn.execute("DELETE FROM audit_log WHERE id = ?", (target,))
    conn.execute("UPDATE audit_log SET id = -id WHERE id > ?", (target,))
    conn.execute("UPDATE audit_log SET id = -id - 1 WHERE id < 0")


def _reorder(conn: Raw, _insider: audit.Signer, target: int) -> None:
    """The export moved before the entry that preceded it (the lead's sign-in)."""
    conn.execute("UPDATE audit_log SET id = 0 WHERE id = ?", (target,))
    conn.execute("UPDATE audit_log SET id = ? WHERE id = ?", (target, target - 1))
    conn.execute("UPDATE audit_log SET id = ? WHERE id = 0", (target - 1,))


def _reattribute(conn: Raw, insider: audit.Signer, target: int) -> None:
    """The insider's own sign-out is relabelled as the lead's export, now signed by them."""
    conn.execute("UPDATE audit_log SET signer = ? WHERE id = ?", (insider.name, target))


@pytest.mark.parametrize(("change", "named"), [
    (_edit, 0), (_delete_and_renumber, 0), (_reorder, -1), (_reattribute, 0),
], ids=["edited", "deleted", "reordered", "re-signed-as-insider"])
def test_an_insider_rewriting_anothers_entry_with_the_store_key_is_named_by_verify(
    worked: tuple[Path, int], sim: Simulator,
    change: Callable[[Raw, audit.Signer, int], None], named: int,
) -> None:
    path, export_id = worked
    assert _verify(path, sim)[0]
    _attack(path, change, export_id)
    ok, first_bad, message = _verify(path, sim)
    assert not ok
    assert first_bad == export_id + named
    assert f"記録 {export_id + named} " in message


def test_deleting_anothers_entry_without_renumbering_is_a_gap(
    worked: tuple[Path, int], sim: Simulator
) -> None:
    path, export_id = worked
    _attack(path, lambda c, _s, t: c.execute("DELETE FROM audit_log WHERE id = ?", (t,)),
            export_id)
    ok, first_bad, message = _verify(path, sim)
    assert not ok and first_bad == export_id
    assert f"記録 {export_id} が欠落しています" in message


def _append(conn: Raw, signer: audit.Signer, actor: str, action: str,
            detail: dict[str, object] | None = None, key: audit.Signer | None = None) -> int:
    """A new last entry, signed by ``key`` (default: ``signer``) and recorded as ``signer``'s."""
    the_store = str(conn.execute("SELECT value FROM meta WHERE key = 'store_id'").fetchone()[0])
    last_id, prev = conn.execute(
        "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    fields = (last_id + 1, datetime(2026, 6, 2, 3).isoformat(), actor, action, "ok",
              None if not detail else f"account:{LEAD}", None,
              None if detail is None else json.dumps(detail, sort_keys=True), signer.name)
    digest = audit.entry_hash(prev, fields)
    signature = (key or signer).sign(audit.signed_message(the_store, digest)).hex()
    conn.execute("INSERT INTO audit_log (id, at, actor, action, outcome, target, pupil_id,"
                 " detail, signer, prev_hash, hash, signature)"
                 " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 (*fields, prev, digest, signature))
    return int(last_id) + 1


def test_an_entry_appended_by_one_account_cannot_pass_as_anothers(
    worked: tuple[Path, int], sim: Simulator
) -> None:
    """Written as the lead's (signer and actor) but signed with the insider's key: the
    lead's registered key does not verify it. Signed honestly but naming the lead as the
    actor: refused too (only failures may be written on another's behalf)."""
    path, _ = worked
    key, insider = _insider_holds(path)
    as_lead = audit.Signer(LEAD, insider.seed)
    conn = _raw(path, key)
    try:
        forged = _append(conn, as_lead, LEAD, "export")
        audit.write_anchor(path, forged, str(conn.execute(
            "SELECT hash FROM audit_log WHERE id = ?", (forged,)).fetchone()[0]))
    finally:
        conn.close()
    ok, first_bad, message = _verify(path, sim)
    assert not ok and first_bad == forged and "署名が「demo-lead」の署名鍵と一致しません" in message

    conn = _raw(path, key)
    try:
        conn.execute("DELETE FROM audit_log WHERE id >= ?", (forged,))
        named = _append(conn, insider, LEAD, "export")
        audit.write_anchor(path, named, str(conn.execute(
            "SELECT hash FROM audit_log WHERE id = ?", (named,)).fetchone()[0]))
    finally:
        conn.close()
    ok, first_bad, message = _verify(path, sim)
    assert not ok and first_bad == named and "別の利用者「demo-lead」" in message


def test_a_key_registration_forged_by_an_insider_is_caught_even_when_undone(
    worked: tuple[Path, int], sim: Simulator
) -> None:
    """The insider writes a password reset for the lead that registers a key of their own,
    signs entries as the lead with it, and either leaves it (it differs from the key file)
    or registers the lead's real key back afterwards (a key brought back). Checked by the
    IT administrator: the lead's own next entry would also fail against the forged key."""
    path, _ = worked
    key, insider = _insider_holds(path)
    with Store.open(path, LEAD, DEMO_PASSWORD) as store:
        real = account_signer(store, LEAD).public_key().hex()
    fake = audit.Signer(LEAD, bytes(range(32)))
    conn = _raw(path, key)
    try:
        reset = _append(conn, insider, INSIDER, "password_reset",
                        {audit.KEY_FIELD: fake.public_key().hex()})
        _append(conn, fake, LEAD, "export")
        last = _append(conn, fake, LEAD, "sign_out")
        audit.write_anchor(path, last, str(conn.execute(
            "SELECT hash FROM audit_log WHERE id = ?", (last,)).fetchone()[0]))
    finally:
        conn.close()
    ok, first_bad, message = _verify(path, sim, "demo-it")
    assert not ok and first_bad == reset and "鍵ファイルの鍵と一致しません" in message

    conn = _raw(path, key)
    try:
        conn.execute("DELETE FROM audit_log WHERE id > ?", (last,))  # the verify session's
        undo = _append(conn, insider, INSIDER, "password_reset", {audit.KEY_FIELD: real})
        audit.write_anchor(path, undo, str(conn.execute(
            "SELECT hash FROM audit_log WHERE id = ?", (undo,)).fetchone()[0]))
    finally:
        conn.close()
    ok, first_bad, message = _verify(path, sim, "demo-it")
    assert not ok and first_bad == undo and "以前の署名鍵が登録し直されています" in message
