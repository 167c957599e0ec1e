"""Two-step sign-in, idle lock and session end, on real stores with a scripted simulator."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from devices import Guidance, Simulator
from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD, TEST_SCRYPT_N
from tests.ui.conftest import ShellFactory, WallClock
from tests.ui.flows import (
    WAIT_MS,
    click,
    english_words,
    enter_password,
    sign_in,
    visible_texts,
)
from toda_desktop.audit.service import AuditFilter
from toda_desktop.composition import default_scanner_factory
from toda_desktop.recovery import grant_recovery_sign_in
from toda_desktop.store_setup import create_empty_store
from ui.accounts.page import AccountsPage
from ui.lock_screen import LOCK_REASON, LockScreen
from ui.overview.page import OverviewPage

pytestmark = pytest.mark.gui

MISMATCH = "手のひら静脈を確認できませんでした"
UNPLUGGED = "静脈認証スキャナが接続されていません"


def test_guidance_updates_the_prompt_then_signs_in(
    qtbot: QtBot, make_shell: ShellFactory, sim: Simulator
) -> None:
    shell = make_shell()
    sim.push("RETRY too_far; RETRY tilted; SCAN demo-lead")
    login = shell.show_login()
    history = login.palm_view.prompt_history
    window = sign_in(qtbot, shell, "demo-lead")
    assert Guidance.TOO_FAR.prompt_ja in history
    assert history.index(Guidance.TOO_FAR.prompt_ja) < history.index(Guidance.TILTED.prompt_ja)
    assert history[-1] == "本人確認ができました。"
    signed = shell.signed
    assert signed is not None and signed.user.login_id == "demo-lead"
    assert "データ概要" in window.page_titles()


def test_guidance_picture_then_cancel_and_back(
    qtbot: QtBot, make_shell: ShellFactory, slow_sim: Simulator, screenshot_dir: Path
) -> None:
    shell = make_shell(scanner=slow_sim)
    slow_sim.push("RETRY too_left; SLEEP 60000")
    login = enter_password(qtbot, shell, "demo-analyst")
    view = login.palm_view
    qtbot.waitUntil(
        lambda: view.prompt_label.text() == Guidance.TOO_LEFT.prompt_ja, timeout=WAIT_MS
    )
    assert login.user_label.text() == "デモ 分析 さん（データ整備・分析職員）"
    assert view.illustration.hint == "too_left" and view.illustration.animating
    assert view.illustration.caption() == "右へずらす"
    assert login.demo_panel is not None and not login.demo_panel.isVisible()
    texts = visible_texts(login)
    assert "手のひら静脈認証" in texts and "中止" in texts and "戻る" in texts
    assert not english_words(texts)
    qtbot.wait(300)  # let the hand move part of the way
    login.grab().save(str(screenshot_dir / "palm_step_guidance.png"))

    # 中止 stops waiting for the hand at once; the page offers to try again.
    op = login.palm_op
    assert op is not None
    with qtbot.waitSignal(op.finished, timeout=WAIT_MS):
        click(qtbot, login.palm_cancel_button)
    assert view.message_label.text() == "読み取りを中止しました。"
    assert login.retry_button.isVisible() and login.retry_button.isEnabled()

    # 戻る returns to the password page and locks the store again.
    pending = login.pending
    assert pending is not None
    click(qtbot, login.back_button)
    assert login.steps.currentIndex() == login.PASSWORD_PAGE
    assert login.pending is None and login.demo_panel.isVisible()
    assert login.password_edit.text() == ""
    qtbot.waitUntil(lambda: not shell._runner.busy, timeout=WAIT_MS)

    # And a new attempt goes through (nothing scripted: the user's own palm).
    sign_in(qtbot, shell, "demo-analyst")


def test_wrong_palm_says_so_and_allows_retry(
    qtbot: QtBot, make_shell: ShellFactory, sim: Simulator, screenshot_dir: Path
) -> None:
    shell = make_shell()
    sim.push("SCAN demo-director")
    login = enter_password(qtbot, shell, "demo-analyst")
    view = login.palm_view
    qtbot.waitUntil(lambda: login.palm_op is None and view.message_label.isVisible(),
                    timeout=WAIT_MS)
    assert MISMATCH in view.message_label.text()
    assert view.illustration.state == "error"
    assert login.retry_button.text() == "もう一度読み取る"
    login.grab().save(str(screenshot_dir / "palm_step_mismatch.png"))
    with qtbot.waitSignal(shell.main_window_shown, timeout=WAIT_MS):
        click(qtbot, login.retry_button)  # now the simulator presents the right palm
    assert shell.signed is not None and shell.signed.user.login_id == "demo-analyst"


def test_unplugged_scanner_is_said_plainly_and_window_stays_usable(
    qtbot: QtBot, make_shell: ShellFactory, sim: Simulator
) -> None:
    shell = make_shell()
    sim.push("UNPLUG")
    login = enter_password(qtbot, shell, "demo-chief")
    view = login.palm_view
    qtbot.waitUntil(lambda: login.palm_op is None and view.message_label.isVisible(),
                    timeout=WAIT_MS)
    assert UNPLUGGED in view.message_label.text()
    # Still unplugged: trying again says the same, promptly.
    click(qtbot, login.retry_button)
    qtbot.waitUntil(lambda: login.palm_op is None, timeout=WAIT_MS)
    assert UNPLUGGED in view.message_label.text()
    assert login.back_button.isEnabled()
    # Plugged in again: back to the password and sign in anew. (Retrying on the same palm
    # page would need the service to reopen its scanner after a replug; see the report.)
    sim.plug()
    click(qtbot, login.back_button)
    qtbot.waitUntil(lambda: not shell._runner.busy, timeout=WAIT_MS)
    sign_in(qtbot, shell, "demo-chief")


def test_first_sign_in_of_an_administrator_enrolls_the_palm(
    qtbot: QtBot, make_shell: ShellFactory, tmp_path: Path, sim: Simulator, screenshot_dir: Path
) -> None:
    path = tmp_path / "test-store" / "city.tdb"
    create_empty_store(path, "test", LEAD_LOGIN, LEAD_PASSWORD,
                       scrypt_n=TEST_SCRYPT_N).store.close()
    shell = make_shell(path)
    sim.push("RETRY moving")
    login = enter_password(qtbot, shell, LEAD_LOGIN, LEAD_PASSWORD)
    assert login.palm_heading.text() == "手のひら静脈の登録（初回）"
    assert login.retry_button.text() == "登録を始める"
    assert login.palm_op is None  # enrollment waits for the user to start it
    assert not login.recovery_box.isVisible()
    login.grab().save(str(screenshot_dir / "palm_step_first_enrollment.png"))
    history = login.palm_view.prompt_history
    stages: list[int] = []
    login.palm_view.stage_bar.valueChanged.connect(stages.append)
    with qtbot.waitSignal(shell.main_window_shown, timeout=WAIT_MS):
        click(qtbot, login.retry_button)
    assert Guidance.MOVING.prompt_ja in history
    assert stages[-3:] == [1, 2, 3]
    signed = shell.signed
    assert signed is not None
    assert signed.account_admin.list_accounts()[0].palm_enrolled


def test_recovery_sign_in_when_no_scanner_works(
    qtbot: QtBot,
    make_shell: ShellFactory,
    tmp_path: Path,
    wall_clock: WallClock,
    screenshot_dir: Path,
) -> None:
    path = tmp_path / "prod" / "city.tdb"
    created = create_empty_store(path, "production", LEAD_LOGIN, LEAD_PASSWORD,
                                 scrypt_n=TEST_SCRYPT_N)
    created.store.close()
    grant_recovery_sign_in(path, created.recovery_key, LEAD_LOGIN, "スキャナ故障のため",
                           hours=2, clock=wall_clock)
    shell = make_shell(path, scanner_factory=default_scanner_factory)
    login = enter_password(qtbot, shell, LEAD_LOGIN, LEAD_PASSWORD)
    assert login.recovery_box.isVisible()
    assert login.recovery_button.text() == "回復サインイン（手のひら静脈なし・1回限り）"
    assert "1回限り" in login.recovery_label.text()
    # No scanner driver on this PC: the enrollment says so plainly and returns.
    click(qtbot, login.retry_button)
    qtbot.waitUntil(lambda: login.palm_op is None and login.palm_view.message_label.isVisible(),
                    timeout=WAIT_MS)
    assert "スキャナ" in login.palm_view.message_label.text()
    assert not english_words(visible_texts(login))
    login.grab().save(str(screenshot_dir / "palm_step_recovery.png"))
    with qtbot.waitSignal(shell.main_window_shown, timeout=WAIT_MS):
        click(qtbot, login.recovery_button)
    signed = shell.signed
    assert signed is not None
    actions = {row.action for row in signed.audit_view.entries(AuditFilter())}
    assert "recovery_sign_in" in actions


def test_idle_lock_hides_all_data_and_the_palm_unlocks(
    qtbot: QtBot,
    make_shell: ShellFactory,
    wall_clock: WallClock,
    sim: Simulator,
    qapp: QApplication,
    screenshot_dir: Path,
) -> None:
    shell = make_shell(idle_limit=timedelta(seconds=60))
    window = sign_in(qtbot, shell, "demo-lead")
    page = window.pages.currentWidget()
    assert isinstance(page, OverviewPage)
    qtbot.waitUntil(lambda: page.overview is not None, timeout=WAIT_MS)
    pupils = page.pupil_count_label.text()

    # Activity (a key press anywhere) keeps the session open.
    wall_clock.advance(seconds=50)
    qtbot.keyClick(page.table, Qt.Key.Key_Down)
    wall_clock.advance(seconds=50)
    shell.check_session()
    assert not window.locked

    # Idle past the limit: the lock screen replaces all content.
    wall_clock.advance(seconds=61)
    with qtbot.waitSignal(shell.locked, timeout=WAIT_MS):
        shell.check_session()
    assert window.locked
    lock = window.centralWidget()
    assert isinstance(lock, LockScreen) and lock is shell.lock_screen
    assert not page.isVisible() and not window.navigation.isVisible()
    assert window.findChildren(OverviewPage) == []
    texts = visible_texts(window)
    assert pupils not in texts
    assert LOCK_REASON in texts and "デモ 総括 さん（事業全体総括職員）" in texts
    assert "手のひらをかざしてロックを解除" in texts and "サインアウト" in texts
    assert not english_words(texts)
    qtbot.wait(50)
    window.grab().save(str(screenshot_dir / "lock_screen.png"))

    # Another person's palm does not unlock.
    sim.push("SCAN demo-director")
    click(qtbot, lock.unlock_button)
    qtbot.waitUntil(lambda: lock.op is None, timeout=WAIT_MS)
    assert MISMATCH in lock.palm_view.message_label.text()
    assert window.locked
    # The user's own palm does.
    with qtbot.waitSignal(shell.unlocked, timeout=WAIT_MS):
        click(qtbot, lock.unlock_button)
    assert not window.locked and page.isVisible()
    assert window.findChildren(OverviewPage) == [page]
    signed = shell.signed
    assert signed is not None
    actions = [r.action for r in signed.audit_view.entries(AuditFilter())]
    assert "session_resumed" in actions


def test_session_end_signs_out_with_a_message(
    qtbot: QtBot, make_shell: ShellFactory, wall_clock: WallClock
) -> None:
    shell = make_shell()
    sign_in(qtbot, shell, "demo-director")
    wall_clock.advance(hours=12)
    with qtbot.waitSignal(shell.signed_out, timeout=WAIT_MS):
        shell.check_session()
    login = shell.login_window
    assert login is not None and shell.signed is None
    assert login.notice_label.isVisible()
    assert "利用時間の上限（12時間）に達したためサインアウトしました" in login.notice_label.text()


def test_lock_closes_open_dialogs_and_sign_out_from_the_lock_screen(
    qtbot: QtBot, make_shell: ShellFactory, wall_clock: WallClock
) -> None:
    shell = make_shell(idle_limit=timedelta(minutes=1))
    window = sign_in(qtbot, shell, "demo-it")
    page = window.show_page("アカウント管理")
    assert isinstance(page, AccountsPage)
    dialog = page.open_new_account()
    dialog.login_edit.setText("someone")
    assert dialog.isVisible()
    wall_clock.advance(minutes=2)
    shell.check_session()
    assert window.locked and page.dialog is None  # rejected (and deleted) at the lock
    lock = shell.lock_screen
    assert lock is not None
    destroyed: list[bool] = []
    page.destroyed.connect(lambda *_: destroyed.append(True))
    with qtbot.waitSignal(shell.signed_out, timeout=WAIT_MS):
        click(qtbot, lock.sign_out_button)
    assert shell.signed is None and shell.login_window is not None
    # The pages go with the window (found in review: they were kept for good after a sign-out
    # from the lock screen, pupil data in their models included).
    qtbot.waitUntil(lambda: bool(destroyed), timeout=WAIT_MS)
