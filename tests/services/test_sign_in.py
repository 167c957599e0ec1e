"""Sign-in end to end: password, then palm, on real stores with a scripted simulator."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from devices import FakeClock, Scanner, Simulator, SimulatorConfig, require_real_scanner_for
from storage.store import Store
from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD, TEST_SCRYPT_N
from toda_desktop.audit.service import AuditFilter
from toda_desktop.composition import Application
from toda_desktop.errors import SignInError, UserFacingError
from toda_desktop.formatting import format_phrase
from toda_desktop.idle_lock import LockState
from toda_desktop.recovery import grant_recovery_sign_in
from toda_desktop.store_setup import DEMO_PASSWORD, create_empty_store


class WallClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 6, 1, 9, 0, 0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def sim() -> Simulator:
    return Simulator(SimulatorConfig(seed=3, timeout_s=5), clock=FakeClock())


@pytest.fixture
def clock() -> WallClock:
    return WallClock()


def _app(path: Path, sim: Simulator, clock: WallClock) -> Application:
    def factory(store_kind: str) -> Scanner:
        require_real_scanner_for(store_kind, sim)
        return sim

    return Application(path, scanner_factory=factory, clock=clock)


def _actions(app: Application, login: str = "demo-lead") -> list[tuple[str, str, str]]:
    signed = app.sign_in(login, DEMO_PASSWORD)
    rows = signed.audit_view.entries(AuditFilter())
    signed.sign_out()
    return [(r.actor, r.action, r.outcome_label) for r in reversed(rows)]


def test_password_then_palm_opens_a_session(
    demo_store_path: Path, sim: Simulator, clock: WallClock
) -> None:
    app = _app(demo_store_path, sim, clock)
    pending = app.start_sign_in("demo-truancy", DEMO_PASSWORD)
    assert not pending.needs_enrollment
    assert pending.role_label == "不登校支援担当職員"
    signed = pending.verify_palm()
    assert signed.user.role == "truancy_support"
    signed.sign_out()
    assert ("demo-truancy", "sign_in", "成功") in _actions(app)


def test_someone_elses_palm_is_refused_and_counted(
    demo_store_path: Path, sim: Simulator, clock: WallClock
) -> None:
    app = _app(demo_store_path, sim, clock)
    pending = app.start_sign_in("demo-analyst", DEMO_PASSWORD)
    sim.push("SCAN demo-director")
    with pytest.raises(SignInError, match="手のひら静脈を確認できませんでした"):
        pending.verify_palm()
    sim.push("RETRY too_far; SCAN demo-analyst")
    seen = []
    signed = pending.verify_palm(on_guidance=seen.append)
    assert [g.hint_key for g in seen] == ["too_far"]
    assert signed.user.login_id == "demo-analyst"
    signed.sign_out()
    assert ("demo-analyst", "palm_verify_failed", "失敗") in _actions(app)


@pytest.mark.parametrize(
    ("script", "message"),
    [("UNPLUG", "接続"), ("STALL", "時間"), ("ERROR busy", "実行中")],
)
def test_device_problems_are_said_plainly_and_not_counted(
    demo_store_path: Path, sim: Simulator, clock: WallClock, script: str, message: str
) -> None:
    app = _app(demo_store_path, sim, clock)
    pending = app.start_sign_in("demo-chief", DEMO_PASSWORD)
    sim.push(script)
    with pytest.raises(SignInError, match=message):
        pending.verify_palm()
    pending.cancel()
    if script == "UNPLUG":
        sim.plug()
        events = [a for a in _actions(app) if a[1] == "device_event"]
        assert ("demo-chief", "device_event", "成功") in events


def test_cancel_during_palm_step(demo_store_path: Path, sim: Simulator, clock: WallClock) -> None:
    app = _app(demo_store_path, sim, clock)
    pending = app.start_sign_in("demo-chief", DEMO_PASSWORD)
    sim.push("STALL")
    with pytest.raises(SignInError, match="中止"):
        pending.verify_palm(cancel=lambda: True)
    pending.cancel()


def test_spoof_is_refused_and_counted(
    demo_store_path: Path, sim: Simulator, clock: WallClock
) -> None:
    app = _app(demo_store_path, sim, clock)
    pending = app.start_sign_in("demo-center", DEMO_PASSWORD)
    sim.push("SPOOF")
    with pytest.raises(SignInError):
        pending.verify_palm()
    pending.cancel()
    assert ("demo-center", "palm_verify_failed", "失敗") in _actions(app)


def test_password_failures_delay_then_lock_until_an_admin_unlocks(
    demo_store_path: Path, sim: Simulator, clock: WallClock
) -> None:
    app = _app(demo_store_path, sim, clock)
    for _ in range(10):
        with pytest.raises(SignInError):
            app.start_sign_in("demo-liaison", "wrong password")
        clock.advance(minutes=10)
    with pytest.raises(SignInError, match="ロック"):
        app.start_sign_in("demo-liaison", DEMO_PASSWORD)
    admin = app.sign_in("demo-it", DEMO_PASSWORD)
    listing = {a.login_id: a for a in admin.account_admin.list_accounts()}
    assert listing["demo-liaison"].locked
    assert admin.account_admin.unlock("demo-liaison")
    admin.sign_out()
    signed = app.sign_in("demo-liaison", DEMO_PASSWORD)
    signed.sign_out()
    actions = _actions(app)
    failed = [a for a in actions if a[0] == "demo-liaison" and a[1] == "sign_in_failed"]
    assert len(failed) == 9
    assert ("demo-liaison", "account_locked", "失敗") in actions
    assert ("demo-it", "account_unlocked", "成功") in actions


def test_wait_message_while_delayed(
    demo_store_path: Path, sim: Simulator, clock: WallClock
) -> None:
    app = _app(demo_store_path, sim, clock)
    for _ in range(3):
        with pytest.raises(SignInError, match="正しくありません"):
            app.start_sign_in("demo-chief", "wrong password")
    with pytest.raises(SignInError, match="5秒"):
        app.start_sign_in("demo-chief", DEMO_PASSWORD)
    clock.advance(seconds=5)
    app.start_sign_in("demo-chief", DEMO_PASSWORD).cancel()


def test_production_store_refuses_the_simulator(
    tmp_path: Path, sim: Simulator, clock: WallClock
) -> None:
    path = tmp_path / "prod.tdb"
    create_empty_store(path, "production", LEAD_LOGIN, LEAD_PASSWORD,
                       scrypt_n=TEST_SCRYPT_N).store.close()
    app = _app(path, sim, clock)
    pending = app.start_sign_in(LEAD_LOGIN, LEAD_PASSWORD)
    assert pending.needs_enrollment and pending.may_self_enroll
    with pytest.raises(SignInError, match="シミュレータは使用できません"):
        pending.enroll_own_palm()
    pending.cancel()
    default = Application(path, clock=clock)
    pending = default.start_sign_in(LEAD_LOGIN, LEAD_PASSWORD)
    with pytest.raises(SignInError, match="スキャナ"):
        pending.enroll_own_palm()
    pending.cancel()


def test_recovery_grant_lets_one_account_in_once(
    tmp_path: Path, clock: WallClock, sim: Simulator
) -> None:
    path = tmp_path / "prod.tdb"
    created = create_empty_store(path, "production", LEAD_LOGIN, LEAD_PASSWORD,
                                 scrypt_n=TEST_SCRYPT_N)
    created.store.close()
    with pytest.raises(UserFacingError, match="回復キー"):
        grant_recovery_sign_in(path, "0" * 64, LEAD_LOGIN, "故障", clock=clock)
    grant_recovery_sign_in(path, created.recovery_key, LEAD_LOGIN, "スキャナ故障のため",
                           hours=2, clock=clock)
    app = Application(path, clock=clock)
    pending = app.start_sign_in(LEAD_LOGIN, LEAD_PASSWORD)
    assert pending.recovery_available
    signed = pending.use_recovery_grant()
    entries = signed.audit_view.entries()
    assert {"recovery_granted", "recovery_sign_in"} <= {e.action for e in entries}
    signed.sign_out()
    pending = app.start_sign_in(LEAD_LOGIN, LEAD_PASSWORD)
    assert not pending.recovery_available
    with pytest.raises(SignInError, match="回復サインイン"):
        pending.use_recovery_grant()
    pending.cancel()


def test_recovery_grant_expires(tmp_path: Path, clock: WallClock) -> None:
    path = tmp_path / "prod.tdb"
    created = create_empty_store(path, "production", LEAD_LOGIN, LEAD_PASSWORD,
                                 scrypt_n=TEST_SCRYPT_N)
    created.store.close()
    grant_recovery_sign_in(path, created.recovery_key, LEAD_LOGIN, "故障", hours=1, clock=clock)
    clock.advance(hours=2)
    pending = Application(path, clock=clock).start_sign_in(LEAD_LOGIN, LEAD_PASSWORD)
    assert not pending.recovery_available
    pending.cancel()


def test_idle_lock_needs_the_palm_again(
    demo_store_path: Path, sim: Simulator, clock: WallClock
) -> None:
    app = _app(demo_store_path, sim, clock)
    signed = app.sign_in("demo-director", DEMO_PASSWORD)
    clock.advance(minutes=10)
    assert signed.lock_state() is LockState.LOCKED
    sim.push("SCAN demo-lead")
    with pytest.raises(SignInError):
        signed.resume_with_palm()
    assert signed.lock_state() is LockState.LOCKED
    signed.resume_with_palm()
    assert signed.lock_state() is LockState.ACTIVE
    clock.advance(hours=12)
    assert signed.lock_state() is LockState.EXPIRED
    with pytest.raises(SignInError, match="上限"):
        signed.resume_with_palm()
    signed.sign_out()


def test_admin_enrolls_and_duplicate_palm_is_refused(
    demo_store_path: Path, sim: Simulator, clock: WallClock
) -> None:
    app = _app(demo_store_path, sim, clock)
    admin = app.sign_in("demo-it", DEMO_PASSWORD)
    admin.account_admin.create("new-staff", "新任 職員", "data_analyst", "a fine new password")
    sim.push("SCAN demo-director; SCAN demo-director; SCAN demo-director")
    with pytest.raises(UserFacingError, match="既に別のアカウント"):
        admin.account_admin.enroll_palm("new-staff")
    progress = []
    admin.account_admin.enroll_palm("new-staff", on_progress=progress.append)
    assert [p.stage for p in progress] == [1, 2, 3]
    assert {a.login_id: a for a in admin.account_admin.list_accounts()}["new-staff"].palm_enrolled
    admin.sign_out()
    signed = app.sign_in("new-staff", "a fine new password")
    assert signed.user.role_label == "データ整備・分析職員"
    signed.sign_out()


def test_admin_creates_accounts_as_store_set_up_does(
    demo_store_path: Path, sim: Simulator, clock: WallClock
) -> None:
    """One rule for every new account: the login ID is normalized, must be new and not
    empty, the password must pass the checks, and the creation is logged."""
    app = _app(demo_store_path, sim, clock)
    admin = app.sign_in("demo-it", DEMO_PASSWORD)
    with pytest.raises(UserFacingError, match="ログインIDを入力"):
        admin.account_admin.create(" 　", "空 欄", "data_analyst", "a fine new password")
    with pytest.raises(UserFacingError, match="既に使われています"):
        admin.account_admin.create("ＤＥＭＯ-Lead", "重複 職員", "data_analyst",
                                   "a fine new password")
    with pytest.raises(UserFacingError):
        admin.account_admin.create("weak-staff", "弱い 職員", "data_analyst", "short")
    admin.account_admin.create(" Ｎｅｗ-Staff ", "新任 職員", "data_analyst", "a fine new password")
    listed = {a.login_id for a in admin.account_admin.list_accounts()}
    assert "new-staff" in listed and "weak-staff" not in listed
    entries = admin.audit_view.entries(None)
    targets = {(e.action, e.target_text) for e in entries}
    assert ("account_created", "アカウント new-staff") in targets
    admin.sign_out()


def test_disabled_account_cannot_sign_in(
    demo_store_path: Path, sim: Simulator, clock: WallClock
) -> None:
    app = _app(demo_store_path, sim, clock)
    admin = app.sign_in("demo-lead", DEMO_PASSWORD)
    admin.account_admin.set_enabled("demo-bullying", False)
    with pytest.raises(UserFacingError, match="自分自身"):
        admin.account_admin.set_enabled("demo-lead", False)
    admin.sign_out()
    # Disabling removed its key slot (issue 12, finding 8): the password opens nothing.
    with pytest.raises(SignInError, match="正しくありません"):
        app.start_sign_in("demo-bullying", DEMO_PASSWORD)


def test_password_reset_rewraps_the_key(
    demo_store_path: Path, sim: Simulator, clock: WallClock
) -> None:
    app = _app(demo_store_path, sim, clock)
    admin = app.sign_in("demo-lead", DEMO_PASSWORD)
    with pytest.raises(UserFacingError, match="よく使われる"):
        admin.account_admin.reset_password("demo-chief", "password123")
    admin.account_admin.reset_password("demo-chief", "the chief's new phrase")
    admin.sign_out()
    with pytest.raises(SignInError):
        app.start_sign_in("demo-chief", DEMO_PASSWORD)
    app.sign_in("demo-chief", "the chief's new phrase").sign_out()
    with Store.open(demo_store_path, "demo-chief", "the chief's new phrase") as store:
        assert store.store_kind == "demo"


def test_a_store_put_back_from_a_copy_is_reported_until_an_admin_says_why(
    demo_store_path: Path, sim: Simulator, clock: WallClock, tmp_path: Path
) -> None:
    """The whole path through the services: an older copy of the store file is put back
    (the exports made since vanish from its log); the next sign-in notices, 改ざん検査 and
    データ概要 say so, and only a role with 管理機能 and 監査ログ may acknowledge it."""
    copy = tmp_path / "older.tdb"
    app = _app(demo_store_path, sim, clock)
    app.sign_in("demo-lead", DEMO_PASSWORD).sign_out()
    copy.write_bytes(demo_store_path.read_bytes())  # (closed: no WAL left)
    signed = app.sign_in("demo-lead", DEMO_PASSWORD)
    signed.records.export_dataset("schools", tmp_path / "schools.csv")
    signed.sign_out()
    demo_store_path.write_bytes(copy.read_bytes())  # the export's entry is gone

    lead = app.sign_in("demo-lead", DEMO_PASSWORD)
    integrity = lead.overview().integrity  # said at once, before any check (found by QA)
    assert integrity.ok is False and "巻き戻し" in format_phrase(integrity.message)
    check = lead.audit_view.verify()
    assert not check.ok and check.pending_breaks == 1
    assert "戻されている" in format_phrase(check.message)
    assert not lead.check_integrity().ok
    it = _app(demo_store_path, sim, clock).sign_in("demo-it", DEMO_PASSWORD)
    found = it.audit_view.entries(AuditFilter(action="audit_anchor_mismatch"))
    assert found and "巻き戻し" in found[0].detail_text  # the IT administrator may read it (QA)
    it.sign_out()
    director = _app(demo_store_path, sim, clock).sign_in("demo-director", DEMO_PASSWORD)
    with pytest.raises(UserFacingError):  # PermissionDenied: no 監査ログ, no 管理機能
        director.audit_view.acknowledge_breaks("復元")
    director.sign_out()
    with pytest.raises(UserFacingError, match="入力してください"):
        lead.audit_view.acknowledge_breaks("  ")
    after = lead.audit_view.acknowledge_breaks("教育委員会のバックアップから復元（11月27日）")
    assert after.ok and "確認済みの不整合 1回" in format_phrase(after.message)
    entries = lead.audit_view.entries(AuditFilter(action="audit_breaks_acknowledged"))
    assert entries and "バックアップから復元" in entries[0].detail_text
    lead.sign_out()
