"""An insider cannot make a sealed entry say something else.

The chain's hash covers the ciphertext: changing a byte of another person's sealed entry is
found by ``audit verify`` at that entry. The associated data binds a ciphertext to its entry:
a sealed part copied into the insider's own, validly signed entry does not open, so it cannot
make the lead believe the insider (or anyone) opened that pupil's case. A reader key an
insider plants in the store file (to have entries sealed to themselves) is found at the
lead's next sign-in and replaced by a new pair.
"""

from __future__ import annotations

import base64
import json
import os
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from storage import audit, audit_seal
from storage.store import Store
from tests.risk.conftest import sign_in
from toda_desktop.audit.service import AuditFilter
from toda_desktop.audit.signer import account_signer
from toda_desktop.store_setup import DEMO_LOGINS, DEMO_PASSWORD

LIAISON = DEMO_LOGINS["liaison"][0]


def _a_sealed_karte_entry(path: Path) -> tuple[int, str, int]:
    """(entry id, its stored detail, the pupil) of a karte the truancy role opened."""
    truancy = sign_in(path, "truancy_support")
    try:
        pupil = truancy.store.db.call(lambda c: int(c.execute(
            "SELECT min(id) FROM ds_students").fetchone()[0]))
        truancy.karte.open(pupil)
    finally:
        truancy.sign_out()
    with Store.open(path, LIAISON, DEMO_PASSWORD) as store:
        row = store.db.call(lambda c: c.execute(
            "SELECT id, detail FROM audit_log WHERE action = 'view_karte'"
            " ORDER BY id DESC LIMIT 1").fetchone())
    assert str(row[1]).startswith('{"sealed"')
    return int(row[0]), str(row[1]), pupil


def test_a_changed_ciphertext_is_found_by_the_chain_check(demo_store_path: Path) -> None:
    entry_id, detail, _ = _a_sealed_karte_entry(demo_store_path)
    values = json.loads(detail)
    data = bytearray(base64.b64decode(values["sealed"]["data"]))
    data[-1] ^= 1
    values["sealed"]["data"] = base64.b64encode(bytes(data)).decode()
    with Store.open(demo_store_path, LIAISON, DEMO_PASSWORD) as store:
        store.db.call(lambda c: c.execute("UPDATE audit_log SET detail = ? WHERE id = ?",
                                          (json.dumps(values), entry_id)))
    lead = sign_in(demo_store_path, "project_lead")
    try:
        check = lead.audit_view.verify()
        assert not check.ok and check.first_bad_id == entry_id
    finally:
        lead.sign_out()


def test_a_deleted_content_key_is_found_by_the_chain_check(demo_store_path: Path) -> None:
    """The content keys sit beside the chain, not in it: an insider deleting one would hide a
    session's entries from the reader without changing a hash, so the check looks for them."""
    entry_id, detail, _ = _a_sealed_karte_entry(demo_store_path)
    key_id = json.loads(detail)["sealed"]["key"]
    with Store.open(demo_store_path, LIAISON, DEMO_PASSWORD) as store:
        first = store.db.call(lambda c: int(c.execute(
            "SELECT min(id) FROM audit_log WHERE detail LIKE ?",
            (f'%"key": "{key_id}"%',)).fetchone()[0]))
        store.db.call(lambda c: c.execute("DELETE FROM audit_seal_keys WHERE key_id = ?",
                                          (key_id,)))
    assert first <= entry_id
    lead = sign_in(demo_store_path, "project_lead")
    try:
        check = lead.audit_view.verify()
        assert not check.ok and check.first_bad_id == first
        assert "鍵" in str(check.message)
    finally:
        lead.sign_out()


def test_a_content_key_rewrapped_by_an_insider_is_found_by_the_chain_check(
    demo_store_path: Path,
) -> None:
    """Every writer has the reader's public key, so an insider can wrap a random key for a
    session's key id; the entries then no longer open. Each entry carries its key row's digest
    inside the chain, so the check finds the swap without any key."""
    entry_id, detail, _ = _a_sealed_karte_entry(demo_store_path)
    key_id = json.loads(detail)["sealed"]["key"]
    with Store.open(demo_store_path, LIAISON, DEMO_PASSWORD) as store:
        reader_id, public = store.db.call(lambda c: c.execute(
            "SELECT reader_id, r.public_key FROM audit_seal_keys k"
            " JOIN audit_readers r ON r.id = k.reader_id WHERE key_id = ?",
            (key_id,)).fetchone())
        store_id = store.db.call(lambda c: str(c.execute(
            "SELECT value FROM meta WHERE key = 'store_id'").fetchone()[0]))
        ephemeral = X25519PrivateKey.generate()
        ephemeral_public = ephemeral.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(bytes(public)))
        nonce = os.urandom(12)
        wrapped = AESGCM(audit_seal._kek(shared, ephemeral_public, bytes(public))).encrypt(
            nonce, os.urandom(32), audit_seal._wrap_aad(store_id, key_id, int(reader_id)))
        store.db.call(lambda c: c.execute(
            "UPDATE audit_seal_keys SET ephemeral = ?, nonce = ?, wrapped = ? WHERE key_id = ?",
            (ephemeral_public, nonce, wrapped, key_id)))
        first = store.db.call(lambda c: int(c.execute(
            "SELECT min(id) FROM audit_log WHERE detail LIKE ?",
            (f'%"key": "{key_id}"%',)).fetchone()[0]))
    assert first <= entry_id
    lead = sign_in(demo_store_path, "project_lead")
    try:
        check = lead.audit_view.verify()
        assert not check.ok and check.first_bad_id == first
    finally:
        lead.sign_out()


def test_a_sealed_part_copied_into_an_insiders_own_entry_does_not_open(
    demo_store_path: Path,
) -> None:
    _, detail, pupil = _a_sealed_karte_entry(demo_store_path)
    with Store.open(demo_store_path, LIAISON, DEMO_PASSWORD) as store:
        signer = account_signer(store, LIAISON)
        clock_now = store.db.call(lambda c: str(c.execute(
            "SELECT max(at) FROM audit_log").fetchone()[0]))
        copied = store.db.call(lambda c: audit.append(
            c, signer, actor=LIAISON, action="view_karte", detail=json.loads(detail),
            at=datetime.fromisoformat(clock_now)))
    lead = sign_in(demo_store_path, "project_lead")
    try:
        rows = {r.id: r for r in lead.audit_view.entries(AuditFilter())}
        assert rows[copied.id].pupil_id is None
        assert "暗号化" in rows[copied.id].detail_text  # shown sealed, not as the truancy's
        by_pupil = lead.audit_view.entries(AuditFilter(pupil_id=pupil))
        assert [r.actor for r in by_pupil if r.action == "view_karte"] == ["demo-truancy"]
    finally:
        lead.sign_out()


def test_a_reader_key_planted_by_an_insider_is_found_and_replaced_at_the_leads_sign_in(
    demo_store_path: Path,
) -> None:
    planted = X25519PrivateKey.generate().public_key().public_bytes(
        Encoding.Raw, PublicFormat.Raw)
    with Store.open(demo_store_path, LIAISON, DEMO_PASSWORD) as store:
        store.db.call(lambda c: c.execute(
            "INSERT INTO audit_readers (id, public_key) VALUES (99, ?)", (planted,)))
    first, _, pupil = _a_sealed_karte_entry(demo_store_path)  # sealed to the planted key
    lead = sign_in(demo_store_path, "project_lead")
    try:
        found = lead.audit_view.entries(AuditFilter(action="audit_reader_key_mismatch"))
        assert [(r.outcome_label, r.actor) for r in found] == [("異常あり", "demo-lead")]
        rows = {r.id: r for r in lead.audit_view.entries(AuditFilter(action="view_karte"))}
        assert rows[first].pupil_id is None  # lost to the lead: written for the insider
    finally:
        lead.sign_out()
    second, _, _ = _a_sealed_karte_entry(demo_store_path)
    lead = sign_in(demo_store_path, "project_lead")
    try:
        by_pupil = lead.audit_view.entries(AuditFilter(pupil_id=pupil))
        assert second in {r.id for r in by_pupil}
        assert lead.audit_view.entries(AuditFilter(action="audit_reader_key_mismatch"))[0].id \
            == found[0].id  # found once: the renewed pair is the newest now
    finally:
        lead.sign_out()
