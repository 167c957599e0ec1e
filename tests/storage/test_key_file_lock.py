"""Two changes of the key file at once (a rotation's switch and another session's grant) do
not undo each other: each is load → change → save under the key file's lock, and a session
whose key was renewed meanwhile is refused instead of saving its stale view (issue 13)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from storage.errors import KeysRenewed
from storage.group_files import group_file_path
from storage.keys import KeyFile
from storage.store import Store
from toda_desktop.store_setup import DEMO_LOGINS, DEMO_PASSWORD

LEAD = DEMO_LOGINS["project_lead"][0]
GROUP = "bullying"


def test_a_rotation_waits_for_a_key_file_change_in_progress_and_keeps_it(
    demo_store_path: Path,
) -> None:
    rotating = Store.open(demo_store_path, LEAD, DEMO_PASSWORD)
    other = Store.open(demo_store_path, LEAD, DEMO_PASSWORD)  # another session
    loaded, release = threading.Event(), threading.Event()

    def slow_change(keyfile: KeyFile) -> None:
        loaded.set()  # the other session has read the key file (generation 1)…
        assert release.wait(10)  # …and saves only after the rotation tried to switch
        keyfile.revoke("demo-liaison", "other_department")

    saving = threading.Thread(target=other._update_keyfile, args=(slow_change,))
    saving.start()
    try:
        assert loaded.wait(10)
        results: list[int] = []
        rotation = threading.Thread(target=lambda: results.append(
            rotating.rotate_group_key(GROUP)))
        rotation.start()
        rotation.join(0.5)
        assert rotation.is_alive()  # it waits for the key file's lock
        release.set()
        rotation.join(30)
        assert results == [2]
    finally:
        release.set()
        saving.join(30)
        rotating.close()
        other.close()
    keyfile = KeyFile.load(demo_store_path)
    assert keyfile.generations[GROUP] == 2  # the switch was not undone by the other save
    assert "other_department" not in keyfile.slot_groups(keyfile.account_slot("demo-liaison"))
    assert group_file_path(demo_store_path, GROUP, 2).is_file()
    for login in ("demo-lead", "demo-bullying"):
        with Store.open(demo_store_path, login, DEMO_PASSWORD) as store:
            assert GROUP in store.keys.groups


def test_a_session_whose_key_was_renewed_cannot_save_the_key_file(demo_store_path: Path) -> None:
    with Store.open(demo_store_path, LEAD, DEMO_PASSWORD) as stale, \
            Store.open(demo_store_path, LEAD, DEMO_PASSWORD) as renewing:
        renewing.rotate_group_key(GROUP)
        assert stale.keys_renewed_elsewhere() and not renewing.keys_renewed_elsewhere()
        with pytest.raises(KeysRenewed):
            stale.grant_groups("demo-bullying", [GROUP])  # would seal the old key
        with pytest.raises(KeysRenewed):
            stale.rotate_group_key(GROUP)
    assert KeyFile.load(demo_store_path).generations[GROUP] == 2


def test_a_write_by_a_session_still_on_the_old_file_fails_instead_of_being_lost(
    demo_store_path: Path,
) -> None:
    """Below the services' own check: the replaced file itself refuses writes."""
    with Store.open(demo_store_path, LEAD, DEMO_PASSWORD) as stale:
        with Store.open(demo_store_path, LEAD, DEMO_PASSWORD) as renewing:
            before = renewing.db.call(lambda c: c.execute(
                "SELECT count(*) FROM ds_bullying_records WHERE status = '解消'").fetchone()[0])
            renewing.rotate_group_key(GROUP)
        with pytest.raises(KeysRenewed):
            stale.db.call(lambda c: c.execute("UPDATE ds_bullying_records SET status = '解消'"))
    with Store.open(demo_store_path, LEAD, DEMO_PASSWORD) as store:
        after = store.db.call(lambda c: c.execute(
            "SELECT count(*) FROM ds_bullying_records WHERE status = '解消'").fetchone()[0])
        assert after == before
        assert not store.db.call(lambda c: c.execute(  # the new file has no such trigger
            "SELECT count(*) FROM g_bullying.sqlite_master WHERE name LIKE 'toda_renewed%'"
        ).fetchone()[0])
