"""The audit chain's head copied to a folder outside the store, and what it catches.

Signatures cannot show that the newest entries were cut off (or the whole log swapped for
another), and the anchor beside the store is rewritten as easily as the store. The copies
in the office's outside folder (set by an administrator; written at sign-out and daily)
are what ``audit verify`` compares with.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from devices import FakeClock, Scanner, Simulator, SimulatorConfig, require_real_scanner_for
from storage import audit, audit_outside
from storage.store import Store
from tests.services.test_sign_in import WallClock
from toda_desktop.composition import Application, SignedIn
from toda_desktop.errors import PermissionDenied, UserFacingError
from toda_desktop.formatting import format_phrase
from toda_desktop.store_setup import DEMO_PASSWORD

LEAD = "demo-lead"


@pytest.fixture
def sim() -> Simulator:
    return Simulator(SimulatorConfig(seed=3, timeout_s=5), clock=FakeClock())


@pytest.fixture
def clock() -> WallClock:
    return WallClock()


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "it-server" / "audit"
    folder.mkdir(parents=True)
    return folder


def _sign_in(path: Path, sim: Simulator, clock: WallClock, login: str = LEAD) -> SignedIn:
    def factory(store_kind: str) -> Scanner:
        require_real_scanner_for(store_kind, sim)
        return sim

    return Application(path, scanner_factory=factory, clock=clock).sign_in(login,
                                                                          DEMO_PASSWORD)


def _copies(folder: Path, path: Path) -> list[Path]:
    store_id = Store.read_keyfile(path).store_id
    return sorted(audit_outside.copies_dir(folder, store_id).glob("head-*.json"))


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _truncate(path: Path, keep_through: int) -> None:
    """An insider with the store key cuts the log's tail and rewrites the anchor beside the
    store to match (what the product itself would have written)."""
    with Store.open(path, "demo-liaison", DEMO_PASSWORD) as store:
        store.db.call(lambda c: c.execute("DELETE FROM audit_log WHERE id > ?", (keep_through,)))
        last = store.db.call(lambda c: c.execute(
            "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone())
    audit.write_anchor(path, int(last[0]), str(last[1]))


def test_a_truncated_tail_is_caught_by_the_outside_copy_even_with_the_anchor_rewritten(
    demo_store_path: Path, sim: Simulator, clock: WallClock, outside: Path, tmp_path: Path
) -> None:
    lead = _sign_in(demo_store_path, sim, clock)
    assert "控えを書き込みました" in lead.audit_view.set_outside_folder(outside)
    before_export = lead.audit_view.entries()[0].id
    lead.records.export_dataset("schools", tmp_path / "schools.csv")
    lead.sign_out()  # the head (with the export) is copied outside
    assert len(_copies(outside, demo_store_path)) == 2
    copied = max(int(p.name.split("-")[1]) for p in _copies(outside, demo_store_path))
    _truncate(demo_store_path, before_export)

    lead = _sign_in(demo_store_path, sim, clock)  # (its sign-in entry continues the chain)
    check = lead.audit_view.verify()
    lead.sign_out()
    assert not check.ok and check.first_bad_id == check.entries + 1
    assert "末尾の切り詰め" in format_phrase(check.message)
    assert f"外部の控えには記録 {copied} まで" in format_phrase(check.message)


def test_a_log_replaced_by_another_is_caught_by_the_outside_copy(
    demo_store_path: Path, sim: Simulator, clock: WallClock, outside: Path
) -> None:
    """The tail is cut and as many entries written again by the insider's own sessions:
    the ids go on, but the entry the copy names is another one."""
    lead = _sign_in(demo_store_path, sim, clock)
    lead.audit_view.set_outside_folder(outside)
    lead.overview()
    lead.sign_out()
    copied = max(int(p.name.split("-")[1]) for p in _copies(outside, demo_store_path))
    _truncate(demo_store_path, copied - 3)
    insider = _sign_in(demo_store_path, sim, clock, "demo-liaison")
    insider.overview()
    insider.sign_out()
    it = _sign_in(demo_store_path, sim, clock, "demo-it")
    check = it.audit_view.verify()
    it.sign_out()
    assert not check.ok and check.first_bad_id == copied
    assert "外部の控えと一致しません" in format_phrase(check.message)


def test_changing_the_folder_in_the_store_does_not_hide_the_copies_of_the_old_one(
    demo_store_path: Path, sim: Simulator, clock: WallClock, outside: Path, tmp_path: Path
) -> None:
    """The setting is a signed entry: verify reads every folder the log has named (and one
    the auditor gives), not only the one the store holds now."""
    lead = _sign_in(demo_store_path, sim, clock)
    lead.audit_view.set_outside_folder(outside)
    lead.sign_out()
    copied = max(int(p.name.split("-")[1]) for p in _copies(outside, demo_store_path))
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    with Store.open(demo_store_path, "demo-liaison", DEMO_PASSWORD) as store:
        store.db.call(lambda c: c.execute("UPDATE meta SET value = ? WHERE key = ?",
                                          (str(empty), audit_outside.ANCHOR_DIR_KEY)))
    _truncate(demo_store_path, copied - 1)
    it = _sign_in(demo_store_path, sim, clock, "demo-it")
    assert not it.audit_view.verify().ok
    assert not it.audit_view.verify(outside).ok  # and as the auditor names it
    it.sign_out()


def test_copies_and_the_anchor_beside_the_store_are_owner_only(
    demo_store_path: Path, sim: Simulator, clock: WallClock, outside: Path
) -> None:
    lead = _sign_in(demo_store_path, sim, clock)
    lead.audit_view.set_outside_folder(outside)
    lead.sign_out()
    assert _mode(audit.anchor_path(demo_store_path)) == 0o600
    copies = _copies(outside, demo_store_path)
    assert copies and {_mode(p) for p in copies} == {0o600}
    assert _mode(copies[0].parent) == 0o700


def test_a_folder_out_of_reach_at_sign_out_is_logged_and_shown_never_raised(
    demo_store_path: Path, sim: Simulator, clock: WallClock, outside: Path
) -> None:
    lead = _sign_in(demo_store_path, sim, clock)
    lead.audit_view.set_outside_folder(outside)
    outside.rename(outside.with_name("unplugged"))  # the server is down
    lead.sign_out()  # no error
    lead = _sign_in(demo_store_path, sim, clock)
    failed = [r for r in lead.audit_view.entries() if r.action == "audit_anchor_unreachable"]
    assert failed and failed[0].outcome_label == "失敗"
    notice = format_phrase(lead.overview().integrity.notice)
    assert "書き込めませんでした" in notice and str(outside) in notice
    check = lead.audit_view.verify()
    assert not check.ok and "確かめられませんでした" in format_phrase(check.message)
    outside.with_name("unplugged").rename(outside)  # back: the next sign-out copies again
    lead.sign_out()
    lead = _sign_in(demo_store_path, sim, clock)
    assert lead.overview().integrity.notice == ()
    assert lead.audit_view.verify().ok
    lead.sign_out()


def test_the_head_is_copied_at_the_first_entry_of_each_day(
    demo_store_path: Path, sim: Simulator, clock: WallClock, outside: Path
) -> None:
    """Also for a session that is not signed out when the date changes (a window left open
    past midnight; within the idle limit, so the session is still open)."""
    clock.now = clock.now.replace(hour=23, minute=55)
    lead = _sign_in(demo_store_path, sim, clock)
    lead.audit_view.set_outside_folder(outside)
    lead.overview()
    assert len(_copies(outside, demo_store_path)) == 1
    clock.advance(minutes=6)
    lead.overview()
    lead.overview()
    assert len(_copies(outside, demo_store_path)) == 2
    lead.sign_out()


def test_only_an_administrator_sets_the_folder_and_never_beside_the_store(
    demo_store_path: Path, sim: Simulator, clock: WallClock, outside: Path
) -> None:
    director = _sign_in(demo_store_path, sim, clock, "demo-director")
    with pytest.raises(PermissionDenied):
        director.audit_view.set_outside_folder(outside)
    director.sign_out()
    lead = _sign_in(demo_store_path, sim, clock)
    with pytest.raises(UserFacingError, match="同じフォルダー"):
        lead.audit_view.set_outside_folder(demo_store_path.parent)
    with pytest.raises(UserFacingError, match="見つかりません"):
        lead.audit_view.set_outside_folder(outside / "missing")
    lead.audit_view.set_outside_folder(outside)
    assert lead.audit_view.outside_folder() == outside
    entry = next(r for r in lead.audit_view.entries() if r.action == "audit_anchor_set")
    assert entry.actor == LEAD and str(outside) in entry.detail_text
    lead.sign_out()
