"""Start-up: the one place that builds the Qt application, fonts, error handling, services
and the first window, then runs the event loop (after Vorta's ``__main__``).

    toda-desktop [--store PATH] [--date-style wareki|seireki] [--smoke [--screenshots DIR]]

The login window comes first (issue 16): it needs only Qt, the store's public header and the
worker, so this module imports nothing more. The services, the pages and what they bring
(pandas, pyarrow, pyqtgraph; scikit-learn stays lazy beyond that) are imported on the worker
thread while the user types (:class:`DeferredStart`); then the shell is built and takes the
window over. A sign-in submitted before that waits on the worker, never on the GUI thread.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QApplication, QMessageBox

from kernel.date_style import DateStyle
from resources import resource_path
from toda_desktop.errors import UserFacingError, user_message
from toda_desktop.formatting import DATE_STYLES
from toda_desktop.header import read_header
from toda_desktop.models import StoreHeader
from ui.background import BackgroundRunner, TaskContext
from ui.branding import PRODUCT_NAME
from ui.error_reporting import ErrorReporter
from ui.fonts import configure_pyqtgraph, load_qt_font, register_matplotlib_font
from ui.garbage import GuiThreadGarbageCollector
from ui.login_window import LoginWindow

if TYPE_CHECKING:
    from toda_desktop.composition import Application, PendingSignIn
    from ui.shell import Shell

EXIT_OK, EXIT_ERROR, EXIT_NO_STORE, EXIT_SMOKE_TIMEOUT = 0, 1, 2, 3
STORE_ENV = "TODA_STORE"
DEFAULT_STORE = Path("var", "demo", "store.tdb")
FONT_FILE = ("fonts", "ipaexg.ttf")
SMOKE_TIMEOUT_S = 120.0
LOGIN_SHOWN = "smoke: login window shown"
SERVICES_LOADED = "smoke: services loaded"


@dataclass(frozen=True)
class Options:
    store: Path
    date_style: DateStyle
    smoke: bool
    screenshots: Path | None


def parse_args(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="toda-desktop", description=PRODUCT_NAME)
    parser.add_argument(
        "--store",
        type=Path,
        help=(
            f"データベースファイル（既定: 環境変数 {STORE_ENV}、"
            f"なければ ./{DEFAULT_STORE.as_posix()}）"
        ),
    )
    parser.add_argument(
        "--date-style", type=DateStyle, choices=DATE_STYLES, default=DateStyle.WAREKI,
        help="年度・日付の表記",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="動作確認: 画面なしで起動し、デモ用データベースならサインインまで試して終了する",
    )
    parser.add_argument("--screenshots", type=Path, help="--smoke 時に画面の画像を保存する場所")
    args = parser.parse_args(argv)
    store = args.store or Path(os.environ.get(STORE_ENV) or Path.cwd() / DEFAULT_STORE)
    return Options(
        store=store.expanduser().absolute(),
        date_style=args.date_style,
        smoke=args.smoke,
        screenshots=args.screenshots,
    )


def error_log_file(store: Path) -> Path | None:
    """Errors are logged next to the store (the office's data folder), else to stderr."""
    return store.parent / "logs" / "toda-desktop-errors.log" if store.parent.is_dir() else None


def create_qt_application(argv0: str) -> QApplication:
    qt_app = QApplication([argv0])
    qt_app.setApplicationName("toda-desktop")
    qt_app.setOrganizationName("Toda City Board of Education")
    qt_app.setStyle("Fusion")
    return qt_app


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    if options.smoke:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    qt_app = create_qt_application(sys.argv[0] if sys.argv else "toda-desktop")
    reporter = ErrorReporter(error_log_file(options.store))
    reporter.install()
    try:
        return _run(qt_app, options, reporter)
    except Exception as exc:  # start-up failed before the event loop could show anything
        error_id = reporter.report(exc, show=False)
        if options.smoke:
            _say(f"smoke: start-up failed ({error_id})", error=True)
        else:
            reporter.show_blocking(error_id)
        return EXIT_ERROR
    finally:
        reporter.uninstall()


class DeferredStart:
    """The rest of the application, loaded on the worker after the login window shows.

    ``load`` imports the services and the pages there (``import_rest``), then builds the
    application and the shell on the GUI thread (``build``) and hands them the login window.
    The window's sign-in runs on the same worker; it waits for ``ready`` before it asks the
    application, so a user quicker than the import is not refused.
    """

    WAIT_S = 300.0

    def __init__(self, qt_app: QApplication, options: Options, reporter: ErrorReporter,
                 runner: BackgroundRunner) -> None:
        self._qt_app = qt_app
        self._options = options
        self._reporter = reporter
        self._runner = runner
        self.ready = threading.Event()
        self.app_ctx: Application | None = None
        self.shell: Shell | None = None
        self.failure: str | None = None
        self.login: LoginWindow | None = None

    def start_sign_in(self, login_id: str, password: str) -> PendingSignIn:
        """The login window's step one (on the worker): waits until the application is built."""
        if not self.ready.wait(self.WAIT_S) or self.app_ctx is None:
            raise UserFacingError(self.failure or "起動の準備ができませんでした。")
        return self.app_ctx.start_sign_in(login_id, password)

    def load(self, login: LoginWindow) -> None:
        self.login = login
        op = self._runner.run(import_rest, on_success=self._build, parent=None,
                              progress_dialog=False, on_user_error=self._failed)
        # A failed import was reported (error dialog); a sign-in waiting must not wait on.
        op.finished.connect(lambda: self._failed("起動の準備ができませんでした。"))

    def _failed(self, message: str) -> None:
        if not self.ready.is_set():
            self.failure = message
            self.ready.set()

    def _build(self, _loaded: object) -> None:
        """GUI thread: the application and the shell; the shell takes the login window."""
        from toda_desktop.composition import open_application
        from ui.shell import Shell

        configure_pyqtgraph()  # its options are the GUI thread's (imported by now)
        try:
            try:
                self.app_ctx = open_application(self._options.store)
            except Exception as exc:
                message = user_message(exc)
                if message is None:
                    raise
                self.failure = message
                if self.login is not None:
                    self.login.show_notice(message)
                return
            shell = Shell(
                self.app_ctx, self._runner, self._options.date_style, on_quit=self._qt_app.quit,
                activity_source=self._qt_app, analysis_runner=BackgroundRunner(self._reporter),
            )
            self._reporter.set_dialog_parent(shell.active_window)
            assert self.login is not None
            shell.show_login(window=self.login)
            self.shell = shell
        finally:
            self.ready.set()


def import_rest(_ctx: TaskContext | None = None) -> None:
    """On the worker: the modules the signed-in window needs (services, pages, charts) and
    the bundled font registered for matplotlib (printed charts)."""
    import toda_desktop.composition  # noqa: F401
    import ui.shell  # noqa: F401

    register_matplotlib_font(resource_path(*FONT_FILE))


def show_login_window(qt_app: QApplication, header: StoreHeader, options: Options,
                      reporter: ErrorReporter, runner: BackgroundRunner
                      ) -> tuple[LoginWindow, DeferredStart]:
    """The login window on screen, with the Qt font only: the charts' fonts (matplotlib,
    pyqtgraph) are set once the rest has loaded (``DeferredStart``)."""
    qt_app.setFont(load_qt_font(resource_path(*FONT_FILE)))
    start = DeferredStart(qt_app, options, reporter, runner)
    login = LoginWindow(header, start.start_sign_in, runner)
    reporter.set_dialog_parent(lambda: login)
    login.show()
    return login, start


def _run(qt_app: QApplication, options: Options, reporter: ErrorReporter) -> int:
    try:
        header: StoreHeader = read_header(options.store)
    except Exception as exc:
        message = user_message(exc)
        if message is None:
            raise
        return _cannot_open(message, options)
    collector = GuiThreadGarbageCollector(qt_app)  # before any worker thread exists
    runner = BackgroundRunner(reporter)
    login, start = show_login_window(qt_app, header, options, reporter, runner)
    start.load(login)
    try:
        if options.smoke:
            deadline = time.monotonic() + SMOKE_TIMEOUT_S
            if _wait(qt_app, login.isVisible, deadline):
                _say(LOGIN_SHOWN)  # the start-up benchmark times this line
            if not _wait(qt_app, start.ready.is_set, deadline) or start.shell is None:
                _say(f"smoke: start-up failed ({start.failure})", error=True)
                return EXIT_ERROR
            _say(SERVICES_LOADED)
            return run_smoke(qt_app, start.shell, reporter, options.screenshots)
        return qt_app.exec()
    finally:
        if start.shell is not None:
            start.shell.shutdown()  # the workers have ended: Python may collect anywhere again
        else:
            login.close()
            runner.shutdown()
        collector.stop()


def _say(message: str, *, error: bool = False) -> None:
    """Print if there is a console: a windowed Windows exe has no stdout/stderr."""
    stream = sys.stderr if error else sys.stdout
    if stream is not None:
        print(message, file=stream, flush=True)


def _cannot_open(message_ja: str, options: Options) -> int:
    message = f"{message_ja}\n\nデータベース: {options.store}"
    if options.smoke:
        _say(message, error=True)
    else:
        QMessageBox.critical(None, PRODUCT_NAME, message)
    return EXIT_NO_STORE


def _wait(qt_app: QApplication, condition: object, deadline: float) -> bool:
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        qt_app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.01)
    return False


def run_smoke(
    qt_app: QApplication, shell: Shell, reporter: ErrorReporter, screenshots: Path | None
) -> int:
    """Check the (frozen) application works end to end without a display.

    Shows the login window; for a demo store also signs in with the first demo account and
    waits for the データ概要 page to be filled, which exercises SQLCipher, key derivation,
    the worker thread and the fonts in the built bundle.
    """
    deadline = time.monotonic() + SMOKE_TIMEOUT_S
    login = shell.login_window
    assert login is not None
    _wait(qt_app, lambda: login.isVisible(), deadline)
    if screenshots is not None:
        screenshots.mkdir(parents=True, exist_ok=True)
        login.grab().save(str(screenshots / "smoke-login.png"))
    if login.demo_panel is not None:
        login.demo_panel.choose(0)
        login.submit()
        from ui.overview.page import OverviewPage

        def overview_shown() -> bool:
            window = shell.main_window
            page = window.pages.currentWidget() if window is not None else None
            return isinstance(page, OverviewPage) and page.overview is not None

        ok = _wait(qt_app, lambda: overview_shown() or bool(reporter.report_count), deadline)
        if not ok:
            _say("smoke: timed out waiting for the overview", error=True)
            return EXIT_SMOKE_TIMEOUT
        if screenshots is not None and shell.main_window is not None:
            shell.main_window.grab().save(str(screenshots / "smoke-main.png"))
    qt_app.processEvents()
    if reporter.report_count:
        _say(f"smoke: {reporter.report_count} error(s) reported", error=True)
        return EXIT_ERROR
    _say("smoke: ok")
    return EXIT_OK
