"""No role but the audit reader learns from the audit log which pupil anyone looked at.

QA9 found that the audit log, in the store file every password opens, named the pupil of
each bullying case opened, the reason typed for opening a child-protection note and the
pupil of every karte read. After the same activity, an insider holding the password of each
role that does not hold the audit reader's key unlocks the key file with the product's API
and opens every file it can with sqlcipher3: no entry written since holds a pupil id, a case,
the reason, the note or the pupil's name, kana or 宛名番号; the reader's file does not open;
the product's own reading shows such entries sealed. The lead's audit screen still shows who
opened which pupil's case and why, and the chain verifies without any key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlcipher3

from storage import audit
from storage.audit_seal import reader_privates
from storage.group_files import SQLITE_SUFFIXES, group_file_path
from storage.key_groups import AUDIT_READER_GROUP
from storage.registry import default_registry
from tests.audit_seal.world import (
    BULLYING_REASON,
    NOTE_TEXT,
    REASON,
    Activity,
    keys_of,
    qa_activity,
    read,
)
from tests.conftest import copy_store
from tests.risk.conftest import sign_in
from toda_desktop.accounts.grants import role_groups
from toda_desktop.audit.service import AuditFilter
from toda_desktop.policy.model import default_policy
from toda_desktop.store_setup import DEMO_LOGINS

REGISTRY = default_registry()
POLICY = default_policy()
READERS = sorted(r for r in DEMO_LOGINS
                 if AUDIT_READER_GROUP in role_groups(POLICY.role(r), REGISTRY))
NON_READERS = sorted(r for r in DEMO_LOGINS if r not in READERS)
CASE_PREFIXES = ("truancy:", "bullying:", "consultation:")


@pytest.fixture(scope="module")
def city(_demo_store_template: Path, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[tuple[Path, Activity]]:
    path = copy_store(_demo_store_template, tmp_path_factory.mktemp("seal") / "city.tdb")
    yield path, qa_activity(path)


def _texts(path: Path, key: bytes) -> list[str] | None:
    """Every text and BLOB (decoded loosely) of every table of ``path`` (None: ``key`` does
    not open it)."""
    conn = sqlcipher3.connect(str(path))
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        tables = [str(r[0]) for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")]
        return [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
                for t in tables for row in conn.execute(f'SELECT * FROM "{t}"') for v in row]
    except sqlcipher3.DatabaseError:
        return None
    finally:
        conn.close()


def test_only_the_lead_reads_the_sealed_parts() -> None:
    assert READERS == ["project_lead"]
    assert {"it_admin", "liaison", "truancy_support", "bullying_support"} <= set(NON_READERS)


@pytest.mark.parametrize("role", NON_READERS)
def test_an_insider_of_a_role_without_the_reader_key_finds_no_pupil_in_the_audit_log(
    city: tuple[Path, Activity], role: str,
) -> None:
    path, done = city
    keys = keys_of(path, role)
    assert AUDIT_READER_GROUP not in keys
    rows = read(path, keys["system"], "SELECT action, target, pupil_id, detail FROM audit_log"
                " WHERE id > ? ORDER BY id", (done.before,))
    actions = {str(r[0]) for r in rows}
    assert {"case_view", "case_note_open", "view_karte", "view_records", "search"} <= actions
    for action, target, pupil_id, detail in rows:
        assert pupil_id is None, action
        assert not str(target or "").startswith(CASE_PREFIXES), action
        values = json.loads(str(detail)) if detail else {}
        assert not {"pupil_id", "pupil_ids", "reason", "word_digests"} & set(values), action
    secrets = (REASON, BULLYING_REASON, NOTE_TEXT, done.name, done.kana, done.address_code,
               done.case_key)
    texts = _texts(path, keys["system"])  # every table of the store file
    assert texts is not None
    joined = "\n".join(texts)
    assert not [s for s in secrets if s in joined], role
    reader_file = group_file_path(path, AUDIT_READER_GROUP, 1)
    assert all(_texts(reader_file, key) is None for key in keys.values())
    for suffix in SQLITE_SUFFIXES:  # nothing of the store file's log lies in plain beside it
        beside = path.with_name(path.name + suffix)
        if beside.exists():
            raw = beside.read_bytes()
            assert REASON.encode() not in raw and done.name.encode() not in raw


@pytest.mark.parametrize("role", ["it_admin", "liaison", "truancy_support"])
def test_the_products_reading_shows_a_non_reader_the_entries_sealed(
    city: tuple[Path, Activity], role: str,
) -> None:
    path, done = city
    signed = sign_in(path, role)
    try:
        assert signed.store.db.call(reader_privates, kind=AUDIT_READER_GROUP) == {}
        entries = signed.store.db.call(lambda c: audit.query(c, pupil_id=done.pupil_id))
        assert [e for e in entries if e.id > done.before] == []
        sealed = [e for e in signed.store.db.call(audit.query) if e.id > done.before
                  and e.action in ("case_view", "case_note_open", "view_karte")]
        assert sealed and all(e.seal == "sealed" and e.pupil_id is None and e.detail is None
                              and e.target is None for e in sealed)
        if signed.may("audit_view"):  # the IT administrator's screen: no pupil, no reason
            rows = [r for r in signed.audit_view.entries(AuditFilter()) if r.id > done.before]
            assert rows and all(r.pupil_id is None for r in rows)
            assert not [r for r in rows if REASON in r.detail_text or "いじめ" in r.target_text]
    finally:
        signed.sign_out()


def test_the_leads_audit_screen_shows_who_opened_which_pupils_case_and_why(
    city: tuple[Path, Activity],
) -> None:
    path, done = city
    lead = sign_in(path, "project_lead")
    try:
        rows = lead.audit_view.entries(AuditFilter(pupil_id=done.pupil_id))
        seen = {(r.actor, r.action) for r in rows if r.id > done.before}
        assert {("demo-bullying", "case_view"), ("demo-bullying", "view_karte"),
                ("demo-bullying", "case_note_open"), ("demo-lead", "case_note_open"),
                ("demo-lead", "case_note")} <= seen
        opened = [r for r in rows if r.action == "case_note_open"]
        assert {BULLYING_REASON, REASON} <= {
            reason for r in opened for reason in (REASON, BULLYING_REASON)
            if reason in r.detail_text}
        assert all(r.pupil_id == done.pupil_id for r in rows)
        assert any(r.target_text.startswith("支援ケース いじめ-") for r in opened)
        searches = lead.audit_view.entries(AuditFilter(action="search", actor="demo-truancy"))
        assert searches and "検索語の数" in searches[0].detail_text
        check = lead.audit_view.verify()
        assert check.ok, check.message
    finally:
        lead.sign_out()


def test_the_chain_verifies_for_a_role_that_opens_nothing(city: tuple[Path, Activity]) -> None:
    path, _ = city
    admin = sign_in(path, "it_admin")
    try:
        check = admin.audit_view.verify()
        assert check.ok, check.message
    finally:
        admin.sign_out()
