"""The insider test of issue 12, for each of the nine roles: with the role's own password,
the product's key file API, and sqlcipher3 on the raw files beside the store, exactly the data
files of the role's domains open — every other file stays closed to every key the role holds,
and the store file that every role opens holds no dataset table at all (the 学校 group too has
its own file since the school lane)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlcipher3

from storage.connection import key_pragma
from storage.group_files import SQLITE_SUFFIXES, group_files_beside
from storage.key_groups import key_groups
from storage.keys import KeyFile
from storage.registry import default_registry
from toda_desktop.policy.model import default_policy
from toda_desktop.store_setup import DEMO_LOGINS, DEMO_PASSWORD

REGISTRY = default_registry()


def _tables(path: Path, key: bytes) -> set[str] | None:
    """The tables sqlcipher3 lists in ``path`` with ``key``, or None when the key does not
    open the file."""
    conn = sqlcipher3.connect(str(path))
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(key_pragma(key))
        return {str(r[0]) for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlcipher3.DatabaseError:
        return None
    finally:
        conn.close()


def _group_of_file(store: Path, file: Path) -> str:
    return file.name[len(store.name) + 1:].rsplit(".g", 1)[0]


@pytest.mark.parametrize("role", sorted(DEMO_LOGINS))
def test_a_roles_password_and_sqlcipher3_open_exactly_the_files_of_its_domains(
    demo_store_path: Path, role: str
) -> None:
    login = DEMO_LOGINS[role][0]
    held = KeyFile.load(demo_store_path).unlock(login, DEMO_PASSWORD)
    every_key = (held.system, *held.groups.values())
    policy_role = default_policy().role(role)
    expected = {g.name for g in key_groups(REGISTRY)
                if any(policy_role.sees(REGISTRY.kind(k)) for k in g.kinds)
                or (g.name == "research" and policy_role.may("research_export"))
                or (g.name == "audit_reader" and policy_role.may("audit_view")
                    and policy_role.sees(REGISTRY.master))}

    opened = set()
    for file in group_files_beside(demo_store_path):
        if file.name.endswith(SQLITE_SUFFIXES):
            continue
        if any(_tables(file, key) is not None for key in every_key):
            opened.add(_group_of_file(demo_store_path, file))
    assert opened == expected

    in_store_file = _tables(demo_store_path, held.system)
    assert in_store_file is not None
    assert {t for t in in_store_file if t.startswith("ds_")} == set()
    assert not {"search_pupils", "review_queue", "risk_alerts"} & in_store_file


def test_the_it_administrators_password_opens_no_data_file(demo_store_path: Path) -> None:
    held = KeyFile.load(demo_store_path).unlock(DEMO_LOGINS["it_admin"][0], DEMO_PASSWORD)
    assert held.groups == {}
    files = [f for f in group_files_beside(demo_store_path)
             if not f.name.endswith(SQLITE_SUFFIXES)]
    assert files and all(_tables(f, held.system) is None for f in files)
