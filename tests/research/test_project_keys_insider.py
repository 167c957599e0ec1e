"""Research project keys are readable only by roles with ``research_export`` (issue 13).

A project key turns an extract's pseudonyms back into pupils. It lives in the ``research`` key
group's file, whose key is sealed only to roles that make research extracts (and the recovery
identity). An insider holding the password of a role that holds the basic key but not
``research_export`` unlocks the key file with the product's API and opens every file beside
the store with sqlcipher3 and every key the role holds: no file they open contains the
project key's bytes, and the research file does not open. The projects' names and purposes
stay in the master's file (the lead approves them without the key).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlcipher3

from storage.connection import key_pragma
from storage.group_files import SQLITE_SUFFIXES, group_file_path, group_files_beside
from storage.key_groups import RESEARCH_GROUP, group_of
from storage.keys import KeyFile
from storage.placement import schemas_with
from storage.registry import default_registry
from storage.repos import research as repo
from tests.research.helpers import PURPOSE, lead
from tests.risk.conftest import sign_in
from toda_desktop.errors import PermissionDenied
from toda_desktop.policy.model import default_policy
from toda_desktop.store_setup import DEMO_LOGINS, DEMO_PASSWORD

REGISTRY = default_registry()
BASIC = group_of(REGISTRY, REGISTRY.master.name).name
# Roles that hold the basic key without making research extracts (the bundled map).
WITHOUT_RESEARCH = sorted(
    r.key for r in default_policy().roles
    if not r.may("research_export") and r.sees(REGISTRY.master))


def _blobs(path: Path, key: bytes) -> list[bytes] | None:
    """Every BLOB and text value of every table sqlcipher3 reads in ``path`` with ``key``
    (None: the key does not open it)."""
    conn = sqlcipher3.connect(str(path))
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(key_pragma(key))
        tables = [str(r[0]) for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")]
        out: list[bytes] = []
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                out += [v if isinstance(v, bytes) else str(v).encode() for v in row
                        if isinstance(v, bytes | str)]
        return out
    except sqlcipher3.DatabaseError:
        return None
    finally:
        conn.close()


@pytest.fixture
def project(demo_store_path: Path) -> bytes:
    """A project registered by the lead; its key as the lead's session reads it."""
    signed = lead(demo_store_path)
    try:
        signed.research.register_project("鍵の場所", PURPOSE)
        key = signed.store.db.call(lambda c: repo.project_key(c, "鍵の場所"),
                                   kind=RESEARCH_GROUP)
        where = signed.store.db.read(lambda c: schemas_with(c, "research_projects"))
    finally:
        signed.sign_out()
    assert key is not None and len(key) == 32
    assert where == ["g_basic"]  # the name and purpose, for approval without the key
    return key


def test_the_bundled_map_has_basic_key_holders_without_research_export() -> None:
    assert {"liaison", "truancy_support", "bullying_support", "director"} <= set(
        WITHOUT_RESEARCH)


@pytest.mark.parametrize("role", WITHOUT_RESEARCH)
def test_a_basic_key_holder_without_research_export_cannot_read_a_project_key(
    demo_store_path: Path, project: bytes, role: str,
) -> None:
    held = KeyFile.load(demo_store_path).unlock(DEMO_LOGINS[role][0], DEMO_PASSWORD)
    assert BASIC in held.groups and RESEARCH_GROUP not in held.groups
    every_key = (held.system, *held.groups.values())
    opened = 0
    for file in [demo_store_path, *group_files_beside(demo_store_path)]:
        if file.name.endswith(SQLITE_SUFFIXES):
            continue
        for key in every_key:
            values = _blobs(file, key)
            if values is None:
                continue
            opened += 1
            assert not any(project in v for v in values), file.name
        raw = file.read_bytes()
        assert project not in raw  # (pages are encrypted anyway; nothing in the clear)
    assert opened >= 2  # the store file and the basic file at least
    research_file = group_file_path(demo_store_path, RESEARCH_GROUP)
    assert research_file.is_file()
    assert all(_blobs(research_file, key) is None for key in every_key)


def test_the_research_key_opens_the_project_key_for_the_analyst(
    demo_store_path: Path, project: bytes,
) -> None:
    held = KeyFile.load(demo_store_path).unlock(DEMO_LOGINS["data_analyst"][0], DEMO_PASSWORD)
    values = _blobs(group_file_path(demo_store_path, RESEARCH_GROUP),
                    held.groups[RESEARCH_GROUP])
    assert values is not None and project in values


def test_the_service_refuses_projects_to_an_account_without_the_research_key(
    demo_store_path: Path, project: bytes,
) -> None:
    """An analyst whose research key was withdrawn still lists the projects (names and
    purposes) but registers none (refused)."""
    path = demo_store_path
    analyst_login = DEMO_LOGINS["data_analyst"][0]
    first = lead(path)
    try:
        first.store.revoke_groups(analyst_login, [RESEARCH_GROUP])
    finally:
        first.sign_out()
    analyst = sign_in(path, "data_analyst")
    try:
        assert "鍵の場所" in {p.name for p in analyst.research.projects()}
        with pytest.raises(PermissionDenied, match="研究プロジェクトの鍵"):
            analyst.research.register_project("別の研究", PURPOSE)
    finally:
        analyst.sign_out()
