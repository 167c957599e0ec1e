"""A small demo city after the activity QA found in the audit log (QA9): who opened which
bullying case, the reason typed for opening a child-protection note, a name searched."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlcipher3

from storage.connection import key_pragma
from storage.group_files import group_file_path
from storage.keys import KeyFile
from tests.risk.conftest import sign_in
from toda_desktop.cases.model import CaseDomain, NoteKind
from toda_desktop.store_setup import DEMO_LOGINS, DEMO_PASSWORD

REASON = "要保護児童対策地域協議会の資料作成のため"
NOTE_TEXT = "児童相談所へ通告済み（架空の記録）"
BULLYING_REASON = "担任からの相談の確認のため"


@dataclass(frozen=True)
class Activity:
    before: int  # the last entry before the activity
    case_key: str
    pupil_id: int
    name: str
    kana: str
    address_code: str


def read(path: Path, key: bytes, sql: str, params: tuple[object, ...] = ()
         ) -> list[tuple[object, ...]]:
    conn = sqlcipher3.connect(str(path))
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(key_pragma(key))
        return list(conn.execute(sql, params))
    finally:
        conn.close()


def keys_of(path: Path, role: str) -> dict[str, bytes]:
    held = KeyFile.load(path).unlock(DEMO_LOGINS[role][0], DEMO_PASSWORD)
    return {"system": held.system, **held.groups}


def qa_activity(path: Path) -> Activity:
    """The bullying-support role reads a case, its pupil's karte and records and opens a
    child-protection note with a reason; the lead writes and opens one; the truancy role
    searches the pupil by name."""
    lead_keys = keys_of(path, "project_lead")
    before = read(path, lead_keys["system"], "SELECT max(id) FROM audit_log")[0][0]
    bullying = sign_in(path, "bullying_support")
    try:
        case = bullying.cases.list_cases(domain=CaseDomain.BULLYING)[0]
        bullying.cases.read_case(case.key)
        bullying.karte.open(case.pupil_id)
        bullying.karte.records(case.pupil_id, "bullying_records")
    finally:
        bullying.sign_out()
    lead = sign_in(path, "project_lead")
    try:
        note = lead.cases.add_note(case.key, NoteKind.CHILD_PROTECTION, NOTE_TEXT)
        assert lead.cases.open_note(case.key, note.id, REASON) == NOTE_TEXT
        lead.karte.records(case.pupil_id, "bullying_records")
        generation = lead.store.key_generations.get("basic", 1)
    finally:
        lead.sign_out()
    bullying = sign_in(path, "bullying_support")
    try:
        bullying.cases.open_note(case.key, note.id, BULLYING_REASON)
    finally:
        bullying.sign_out()
    name, kana, address = read(
        group_file_path(path, "basic", generation), lead_keys["basic"],
        "SELECT name, name_kana, address_code FROM ds_students WHERE id = ?",
        (case.pupil_id,))[0]
    truancy = sign_in(path, "truancy_support")
    try:
        assert truancy.search.search(str(kana)).hits
    finally:
        truancy.sign_out()
    assert isinstance(before, int)
    return Activity(before, case.key, case.pupil_id, str(name), str(kana), str(address))

