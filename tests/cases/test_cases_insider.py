"""The insider test for cases: with the truancy-support role's own password and sqlcipher3 on
the raw files, the 不登校 cases' file opens and the いじめ cases' file stays closed; a case's
text is in its own domain's file only, never in the store file."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlcipher3

from storage.connection import key_pragma
from storage.group_files import SQLITE_SUFFIXES, group_files_beside
from storage.key_groups import group_of
from storage.keys import KeyFile
from storage.registry import default_registry
from tests.search.helpers import demo_sessions
from tests.storage.raw_files import opens_with
from toda_desktop.cases.model import CaseDomain, CommonSheet
from toda_desktop.store_setup import DEMO_LOGINS, DEMO_PASSWORD

REGISTRY = default_registry()


def _file_of(store: Path, domain: CaseDomain) -> Path:
    group = group_of(REGISTRY, domain.home_kind).name
    return next(f for f in group_files_beside(store)
                if not f.name.endswith(SQLITE_SUFFIXES)
                and f.name[len(store.name) + 1:].rsplit(".g", 1)[0] == group)


def _profiles(path: Path, key: bytes) -> list[str]:
    conn = sqlcipher3.connect(str(path))
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(key_pragma(key))
        return [str(r[0]) for r in conn.execute("SELECT profile FROM case_files")]
    finally:
        conn.close()


@pytest.mark.slow
def test_the_truancy_roles_password_opens_its_cases_file_but_never_the_bullying_one(
    demo_store_path: Path
) -> None:
    with demo_sessions(demo_store_path, ("project_lead",)) as signed:
        pupil = int(signed["project_lead"].store.db.call(lambda c: c.execute(
            "SELECT min(id) FROM ds_students").fetchone()[0]))
        cases = signed["project_lead"].cases
        cases.open_case(pupil, CaseDomain.TRUANCY, common=CommonSheet(profile="不登校の見立て"))
        cases.open_case(pupil, CaseDomain.BULLYING, common=CommonSheet(profile="いじめの見立て"))

    held = KeyFile.load(demo_store_path).unlock(DEMO_LOGINS["truancy_support"][0],
                                                 DEMO_PASSWORD)
    keys = (held.system, *held.groups.values())
    truancy_file = _file_of(demo_store_path, CaseDomain.TRUANCY)
    bullying_file = _file_of(demo_store_path, CaseDomain.BULLYING)
    assert not any(opens_with(bullying_file, k) for k in keys)
    opener = next(k for k in keys if opens_with(truancy_file, k))
    truancy = _profiles(truancy_file, opener)
    assert "不登校の見立て" in truancy and "いじめの見立て" not in truancy
    # The bullying role's password opens the bullying file, and only its own cases are there.
    other = KeyFile.load(demo_store_path).unlock(DEMO_LOGINS["bullying_support"][0],
                                                  DEMO_PASSWORD)
    other_key = next(k for k in (other.system, *other.groups.values())
                     if opens_with(bullying_file, k))
    bullying = _profiles(bullying_file, other_key)
    assert "いじめの見立て" in bullying and "不登校の見立て" not in bullying
    assert not any(opens_with(truancy_file, k) for k in (other.system, *other.groups.values()))
    # The store file, which every role opens, holds no case table.
    store_tables = sqlcipher3.connect(str(demo_store_path))
    try:
        store_tables.execute("PRAGMA cipher_log_level = NONE")
        store_tables.execute(key_pragma(held.system))
        names = {str(r[0]) for r in store_tables.execute("SELECT name FROM sqlite_master")}
    finally:
        store_tables.close()
    assert not {n for n in names if n.startswith("case_")}


@pytest.fixture(scope="module")
def demo_copy(_demo_store_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.conftest import copy_store

    return copy_store(_demo_store_template, tmp_path_factory.mktemp("insider") / "demo.tdb")


@pytest.mark.parametrize("role", sorted(DEMO_LOGINS))
def test_each_roles_password_opens_exactly_the_case_files_of_the_domains_it_sees(
    demo_copy: Path, role: str
) -> None:
    from toda_desktop.policy.model import default_policy

    held = KeyFile.load(demo_copy).unlock(DEMO_LOGINS[role][0], DEMO_PASSWORD)
    keys = (held.system, *held.groups.values())
    seen = default_policy().role(role)
    expected = {d for d in CaseDomain if seen.sees(REGISTRY.kind(d.home_kind))}
    opened = {d for d in CaseDomain
              if any(opens_with(_file_of(demo_copy, d), k) for k in keys)}
    assert opened == expected
    for d in opened:  # and what opens there are that domain's cases (the demo city's)
        key = next(k for k in keys if opens_with(_file_of(demo_copy, d), k))
        assert _profiles(_file_of(demo_copy, d), key)
