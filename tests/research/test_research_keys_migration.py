"""A store made before the ``research`` key group keeps its projects (issue 13).

The fixture was made by the code before this change (``tests/fixtures/stores/
make_before_research_group.py``): two projects whose keys sit in the master's file, which
the 庁内他部局調整職員 (liaison) password opens. Signed in as the liaison nothing moves (the
role makes no extracts and holds no research key). The project lead's sign-in makes the
``research`` key, seals it to the lead, the データ整備・分析職員 and the recovery identity, moves
both keys byte for byte and drops the old column: afterwards no page or WAL frame of the
master's file, decrypted with the liaison's key, holds a key's bytes. The moved keys survive
a renewal of the research key.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest
import sqlcipher3

from storage.connection import key_pragma
from storage.group_files import group_file_path
from storage.key_groups import RESEARCH_GROUP
from storage.keys import RECOVERY_SLOT, KeyFile
from storage.repos import research as repo
from storage.research_keys import move_project_keys
from tests.research.helpers import audit_details
from tests.retention.pages import plaintext
from tests.risk.conftest import sign_in
from toda_desktop.store_setup import DEMO_LOGINS, DEMO_PASSWORD

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "stores" / \
    "before_research_group.zip"
PROJECTS = {"不登校の要因研究": "大学との共同研究", "学力の経年分析": "県との共同分析"}


@pytest.fixture
def old_store(tmp_path: Path) -> Path:
    folder = tmp_path / "old"
    with zipfile.ZipFile(FIXTURE) as archive:
        archive.extractall(folder)
    for file in folder.iterdir():
        os.chmod(file, 0o600)
    return folder / "old.tdb"


def _keys_of(role: str, path: Path) -> dict[str, bytes]:
    held = KeyFile.load(path).unlock(DEMO_LOGINS[role][0], DEMO_PASSWORD)
    return dict(held.groups)


def _read(path: Path, key: bytes, sql: str) -> list[tuple[object, ...]]:
    conn = sqlcipher3.connect(str(path))
    try:
        conn.execute(key_pragma(key))
        return list(conn.execute(sql))
    finally:
        conn.close()


def test_the_leads_sign_in_moves_every_project_key_and_leaves_none_in_the_basic_file(
    old_store: Path,
) -> None:
    basic_file = group_file_path(old_store, "basic")
    liaison_basic = _keys_of("liaison", old_store)["basic"]
    old_keys = {str(n): bytes(k) for n, k in _read(
        basic_file, liaison_basic, "SELECT name, project_key FROM research_projects")}
    assert set(old_keys) == set(PROJECTS)  # the gap: the liaison's key reads them today

    liaison = sign_in(old_store, "liaison")  # no research_export: nothing moves
    liaison.sign_out()
    assert not KeyFile.load(old_store).holder_slots(RESEARCH_GROUP)
    assert all(k in plaintext(basic_file, liaison_basic) for k in old_keys.values())

    lead = sign_in(old_store, "project_lead")
    try:
        listed = {p.name: p.purpose for p in lead.research.projects()}
        assert listed == PROJECTS
        moved = {n: lead.store.db.call(lambda c, n=n: repo.project_key(c, n),
                                       kind=RESEARCH_GROUP) for n in PROJECTS}
        assert moved == old_keys  # byte for byte: old extracts' pseudonyms stay joinable
        assert [d for o, _a, d in audit_details(lead, "research_keys_moved") if o == "ok"] \
            == [{"projects": 2}]
        assert audit_details(lead, "key_group_created")[0][2] == {"accounts": 2}
        assert move_project_keys(lead.store) is None  # once is enough
    finally:
        lead.sign_out()

    keyfile = KeyFile.load(old_store)
    holders = set(keyfile.holder_slots(RESEARCH_GROUP))
    assert holders == {keyfile.account_slot(DEMO_LOGINS[r][0])
                       for r in ("project_lead", "data_analyst")} | {RECOVERY_SLOT}
    assert RESEARCH_GROUP not in _keys_of("liaison", old_store)
    columns = [r[1] for r in _read(basic_file, liaison_basic,
                                   "PRAGMA table_info('research_projects')")]
    assert "project_key" not in columns and "purpose" in columns
    pages = plaintext(basic_file, liaison_basic)
    assert not any(k in pages for k in old_keys.values())
    analyst_research = _keys_of("data_analyst", old_store)[RESEARCH_GROUP]
    in_research = {str(n): bytes(k) for n, k in _read(
        group_file_path(old_store, RESEARCH_GROUP), analyst_research,
        "SELECT name, project_key FROM research_project_keys")}
    assert in_research == old_keys


def test_the_moved_keys_survive_a_renewal_of_the_research_key(old_store: Path) -> None:
    lead = sign_in(old_store, "project_lead")
    try:
        before = lead.store.db.call(lambda c: repo.project_key(c, "学力の経年分析"),
                                    kind=RESEARCH_GROUP)
        assert lead.store.rotate_group_key(RESEARCH_GROUP) == 2
    finally:
        lead.sign_out()
    analyst = sign_in(old_store, "data_analyst")
    try:
        after = analyst.store.db.call(lambda c: repo.project_key(c, "学力の経年分析"),
                                      kind=RESEARCH_GROUP)
        assert after == before and after is not None
        analyst.research.register_project("新しい研究", "市の施策評価")
    finally:
        analyst.sign_out()
    assert group_file_path(old_store, RESEARCH_GROUP, 2).is_file()
    assert not group_file_path(old_store, RESEARCH_GROUP, 1).exists()
