"""Issue 12, finding 3: the sign-in lockout cannot be reset through its file.

Each test attacks ``STORE.signin`` the way someone with write access to the store's folder
would (delete it, fill it with garbage, put back an older copy, zero its counts, race it with
parallel attempts) and shows that the sign-in is refused, logged, and lifted only by an
administrator's unlock.
"""

from __future__ import annotations

import json
import multiprocessing
import shutil
import stat
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from devices import FakeClock, Scanner, Simulator, SimulatorConfig
from storage.repos import signin_counters
from storage.store import Store
from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD
from tests.services.test_sign_in import WallClock
from toda_desktop.composition import Application
from toda_desktop.errors import SignInError
from toda_desktop.signin import GENERIC_FAILURE
from toda_desktop.signin_record import BREAK_MESSAGE
from toda_desktop.store_setup import DEMO_PASSWORD, create_empty_store
from toda_desktop.throttle import ThrottleBook

WRONG = "not the password at all"
BREAK = "記録に不整合"
LOCKED = "ロック"


@pytest.fixture
def clock() -> WallClock:
    return WallClock()


def _app(path: Path, clock: Callable[[], datetime]) -> Application:
    sim = Simulator(SimulatorConfig(seed=5, timeout_s=5), clock=FakeClock())

    def factory(_kind: str) -> Scanner:
        return sim

    return Application(path, scanner_factory=factory, clock=clock)


def _fail(app: Application, login: str, times: int, clock: WallClock) -> None:
    for _ in range(times):
        with pytest.raises(SignInError):
            app.start_sign_in(login, WRONG)
        clock.advance(minutes=10)  # past any delay: only the count matters here


def _signin_file(path: Path) -> Path:
    return ThrottleBook.path_for(path)


def _logged(path: Path, action: str) -> list[dict[str, object]]:
    """The details of the log entries of one action, read from the store directly."""
    store = Store.open(path, "demo-lead", DEMO_PASSWORD)
    try:
        rows = store.db.call(lambda c: c.execute(
            "SELECT detail FROM audit_log WHERE action = ? ORDER BY id", (action,)).fetchall())
    finally:
        store.close()
    return [json.loads(r[0]) if r[0] else {} for r in rows]


def _break_entries(app: Application) -> list[dict[str, object]]:
    return _logged(app.store_path, "signin_record_break")


def _unlock(app: Application, login: str) -> None:
    signed = app.sign_in("demo-lead", DEMO_PASSWORD)
    try:
        assert signed.account_admin.unlock(login)
    finally:
        signed.sign_out()


def test_deleting_the_file_of_a_locked_account_does_not_let_it_in(
    demo_store_path: Path, clock: WallClock
) -> None:
    app = _app(demo_store_path, clock)
    _fail(app, "demo-analyst", 10, clock)
    with pytest.raises(SignInError, match=LOCKED):
        app.start_sign_in("demo-analyst", DEMO_PASSWORD)
    _signin_file(demo_store_path).unlink()
    with pytest.raises(SignInError, match=BREAK) as refused:
        app.start_sign_in("demo-analyst", DEMO_PASSWORD)
    assert "管理者" in refused.value.message_ja
    with pytest.raises(SignInError, match=LOCKED):  # locked now in both records
        app.start_sign_in("demo-analyst", DEMO_PASSWORD)
    assert [e["reason"] for e in _break_entries(app)] == ["missing"]
    _unlock(app, "demo-analyst")
    app.sign_in("demo-analyst", DEMO_PASSWORD).sign_out()


def test_the_break_says_how_many_known_failures_the_file_lost(
    demo_store_path: Path, clock: WallClock
) -> None:
    app = _app(demo_store_path, clock)
    _fail(app, "demo-chief", 3, clock)
    app.sign_in("demo-chief", DEMO_PASSWORD).sign_out()  # the store now knows of the 3
    _signin_file(demo_store_path).unlink()
    with pytest.raises(SignInError, match=BREAK):
        app.start_sign_in("demo-chief", DEMO_PASSWORD)
    (entry,) = _break_entries(app)
    assert entry["reason"] == "missing" and entry["failures_lost"] == 3


def test_garbage_in_the_file_is_a_break_never_an_unlock(
    demo_store_path: Path, clock: WallClock
) -> None:
    app = _app(demo_store_path, clock)
    _fail(app, "demo-analyst", 10, clock)
    _signin_file(demo_store_path).write_bytes(b"\x00garbage{{")
    with pytest.raises(SignInError, match=BREAK):
        app.start_sign_in("demo-analyst", DEMO_PASSWORD)
    with pytest.raises(SignInError, match=LOCKED):
        app.start_sign_in("demo-analyst", DEMO_PASSWORD)
    assert [e["reason"] for e in _break_entries(app)] == ["damaged"]


def test_a_file_of_valid_json_with_wrong_shapes_is_damaged_too(
    demo_store_path: Path, clock: WallClock
) -> None:
    app = _app(demo_store_path, clock)
    _signin_file(demo_store_path).write_text(json.dumps({"slots": {"x": {"failures": []}}}))
    with pytest.raises(SignInError, match=BREAK):
        app.start_sign_in("demo-analyst", DEMO_PASSWORD)


def test_putting_back_an_older_copy_is_a_break(
    demo_store_path: Path, clock: WallClock, tmp_path: Path
) -> None:
    app = _app(demo_store_path, clock)
    _fail(app, "demo-analyst", 2, clock)
    saved = shutil.copyfile(_signin_file(demo_store_path), tmp_path / "copy.signin")
    app.sign_in("demo-director", DEMO_PASSWORD).sign_out()  # the store moves past the copy
    shutil.copyfile(saved, _signin_file(demo_store_path))
    with pytest.raises(SignInError, match=BREAK):
        app.start_sign_in("demo-director", DEMO_PASSWORD)
    assert [e["reason"] for e in _break_entries(app)] == ["older"]


def test_zeroing_the_counts_in_place_is_a_break(demo_store_path: Path, clock: WallClock) -> None:
    app = _app(demo_store_path, clock)
    _fail(app, "demo-analyst", 4, clock)
    app.sign_in("demo-lead", DEMO_PASSWORD).sign_out()  # the store now knows of the 4
    _fail(app, "demo-analyst", 6, clock)
    path = _signin_file(demo_store_path)
    data = json.loads(path.read_text(encoding="utf-8"))
    for state in data["slots"].values():  # what an editor would do: no failures, no lock
        state.update(failures={"password": 0, "palm": 0}, totals={"password": 0, "palm": 0},
                     locked=False, locked_by=None, next_allowed=None)
    data["serial"] += 1
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(SignInError, match=BREAK):
        app.start_sign_in("demo-analyst", DEMO_PASSWORD)
    (entry,) = _break_entries(app)
    assert entry["reason"] == "reset" and entry["failures_lost"] == 4


def test_the_counters_are_kept_inside_the_store_too(
    demo_store_path: Path, clock: WallClock
) -> None:
    app = _app(demo_store_path, clock)
    _fail(app, "demo-analyst", 3, clock)
    app.sign_in("demo-lead", DEMO_PASSWORD).sign_out()
    store = Store.open(demo_store_path, "demo-lead", DEMO_PASSWORD)
    try:
        slot = store.keyfile.account_slot("demo-analyst")
        inside = store.db.call(signin_counters.all_slots)[slot]
        mark = store.db.call(signin_counters.file_mark)
    finally:
        store.close()
    assert inside.totals["password"] == 3 and inside.failures["password"] == 3
    book = ThrottleBook.load(demo_store_path, clock)
    assert mark is not None and (mark.file_id, mark.serial) == (book.file_id, book.serial)


def test_the_counter_file_is_owner_only_and_leaves_no_temporary_files(
    demo_store_path: Path, clock: WallClock
) -> None:
    app = _app(demo_store_path, clock)
    _fail(app, "demo-analyst", 2, clock)
    path = _signin_file(demo_store_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(ThrottleBook.lock_path_for(demo_store_path).stat().st_mode) == 0o600
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


class JumpingClock:
    """Every reading ten minutes after the last: no delay ever holds an attempt back, so
    every one of them tries its password."""

    def __init__(self) -> None:
        self.now = datetime(2026, 6, 1, 9, 0, 0)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            self.now += timedelta(minutes=10)
            return self.now


def _parallel_wrong_passwords(path: Path, app: Application, count: int) -> list[str]:
    start = threading.Barrier(count)
    refused: list[str] = []

    def attempt() -> None:
        start.wait()
        try:
            app.start_sign_in(LEAD_LOGIN, WRONG)
        except SignInError as exc:
            refused.append(exc.message_ja)

    threads = [threading.Thread(target=attempt) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return refused


@pytest.fixture
def slow_store(tmp_path: Path) -> Path:
    """A key derivation long enough (scrypt n = 2**14) for parallel attempts to overlap."""
    path = tmp_path / "store" / "city.tdb"
    create_empty_store(path, "test", LEAD_LOGIN, LEAD_PASSWORD, scrypt_n=2**14).store.close()
    return path


def _password_failures(path: Path) -> tuple[int, int]:
    """Counted failures of the lead, and failure entries waiting for the log."""
    book = ThrottleBook.load(path, WallClock())
    slot = Store.read_keyfile(path).account_slot(LEAD_LOGIN)
    return (book.slots[slot].totals["password"],
            len([e for e in book.pending if e.get("slot") == slot]))


def test_eight_parallel_wrong_passwords_count_as_eight(slow_store: Path) -> None:
    app = _app(slow_store, JumpingClock())
    refused = _parallel_wrong_passwords(slow_store, app, 8)
    assert len(refused) == 8
    assert _password_failures(slow_store) == (8, 8)


def test_parallel_attempts_past_the_free_ones_wait_instead_of_trying(
    slow_store: Path, clock: WallClock
) -> None:
    refused = _parallel_wrong_passwords(slow_store, _app(slow_store, clock), 8)
    assert _password_failures(slow_store) == (3, 3)  # three free attempts, then a delay
    assert sum("お待ちください" in m for m in refused) == 5


def test_the_break_message_asks_for_the_administrator() -> None:
    assert "管理者" in BREAK_MESSAGE and BREAK_MESSAGE.endswith("。")


def _wrong_password_in_a_process(path: str, start_at: float) -> str:
    """One attacker process: wait for the common start, then one wrong password."""
    while time.time() < start_at:
        time.sleep(0.005)
    try:
        Application(Path(path)).start_sign_in(LEAD_LOGIN, WRONG)
    except SignInError as exc:
        return exc.message_ja
    return "signed in"


@pytest.mark.slow
def test_every_password_tried_by_eight_processes_at_once_is_counted(slow_store: Path) -> None:
    context = multiprocessing.get_context("spawn")
    with context.Pool(8) as pool:
        start_at = time.time() + 8.0  # after every worker has started and imported
        results = pool.starmap(_wrong_password_in_a_process,
                               [(str(slow_store), start_at)] * 8)
    tried = [m for m in results if m == GENERIC_FAILURE]
    waited = [m for m in results if "お待ちください" in m]
    assert len(tried) + len(waited) == 8
    assert _password_failures(slow_store) == (len(tried), len(tried))  # every try counted
    assert len(tried) >= 3  # at least the free attempts were tried
