"""Rotating a key group's key (issue 12): the group's file is written anew under the new key,
the key file's save is the switch point, the open store goes on with the new file, and the
old key opens nothing any more."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.connection import Connection
from storage.errors import NotAHolder
from storage.group_files import SQLITE_SUFFIXES, group_file_path, group_files_beside
from storage.keys import KeyFile
from storage.store import Store
from tests.storage.raw_files import opens_with
from toda_desktop.store_setup import DEMO_LOGINS, DEMO_PASSWORD

LEAD = DEMO_LOGINS["project_lead"][0]
GROUP = "bullying"
TABLE = "ds_bullying_records"


def _count(store: Store) -> int:
    return int(store.db.call(
        lambda c: c.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]))


def _files(path: Path) -> set[str]:
    return {f.name for f in group_files_beside(path) if f".{GROUP}." in f.name
            and not f.name.endswith(SQLITE_SUFFIXES)}


def test_the_new_file_holds_every_row_under_the_new_key_and_the_old_key_opens_nothing(
    demo_store_path: Path,
) -> None:
    with Store.open(demo_store_path, LEAD, DEMO_PASSWORD) as store:
        before, old_key = _count(store), store.keys.groups[GROUP]
        assert before > 0
        generation = store.rotate_group_key(GROUP)
        new_file = group_file_path(demo_store_path, GROUP, generation)
        assert _count(store) == before  # the open store goes on, on the new file
        assert _files(demo_store_path) == {new_file.name}  # the old file is gone
        assert opens_with(new_file, store.keys.groups[GROUP])
        assert not opens_with(new_file, old_key)


def test_a_write_after_the_rotation_is_kept_in_the_new_file(demo_store_path: Path) -> None:
    with Store.open(demo_store_path, LEAD, DEMO_PASSWORD) as store:
        store.rotate_group_key(GROUP)

        def resolve_all(conn: Connection) -> int:
            return conn.execute(f"UPDATE {TABLE} SET status = '解消'").rowcount

        changed = store.db.call(resolve_all)
        # (readers were opened anew too: a long read sees the new file)
        read = store.db.read(lambda c: c.execute(
            f"SELECT count(*) FROM {TABLE} WHERE status = '解消'").fetchone()[0])
        assert read == changed
    with Store.open(demo_store_path, LEAD, DEMO_PASSWORD) as again:
        assert again.db.call(lambda c: c.execute(
            f"SELECT count(*) FROM {TABLE} WHERE status = '解消'").fetchone()[0]) == changed


def test_a_crash_before_the_key_file_switched_leaves_the_old_file_in_use(
    demo_store_path: Path,
) -> None:
    """The new generation was written, the key file was not saved: the next open uses the
    old file and removes the half-finished new one."""
    with Store.open(demo_store_path, LEAD, DEMO_PASSWORD) as store:
        before = _count(store)
        generation = KeyFile.load(demo_store_path).generations[GROUP] + 1
        leftover = store.rewrite_group_file(GROUP, b"\x01" * 32, generation)
    assert leftover.exists()
    with Store.open(demo_store_path, LEAD, DEMO_PASSWORD) as reopened:
        assert _count(reopened) == before
    assert not leftover.exists()


def test_only_a_holder_rotates(demo_store_path: Path) -> None:
    liaison = DEMO_LOGINS["liaison"][0]
    with Store.open(demo_store_path, liaison, DEMO_PASSWORD) as store, \
            pytest.raises(NotAHolder):
        store.rotate_group_key(GROUP)
