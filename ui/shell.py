"""The running application: which window is shown and the sign-in / sign-out flow.

Built once by :func:`ui.app.main` (or by a test) with everything it needs; it owns the
windows and hands each page the service callables it uses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from ui.background import BackgroundRunner
from ui.login_window import LoginWindow
from ui.main_window import MainWindow
from ui.pages.overview_page import OverviewPage

if TYPE_CHECKING:
    from toda_desktop.composition import Application, SignedIn


class Shell(QObject):
    """Switches between the login window and the main window; ends the application."""

    main_window_shown = Signal(object)  # MainWindow
    signed_out = Signal()

    def __init__(
        self,
        app_ctx: Application,
        runner: BackgroundRunner,
        date_style: str,
        on_quit: Callable[[], None],
    ) -> None:
        super().__init__()
        self._app_ctx = app_ctx
        self._runner = runner
        self._date_style = date_style
        self._on_quit = on_quit
        self._signed: SignedIn | None = None
        self._closed = False
        self.login_window: LoginWindow | None = None
        self.main_window: MainWindow | None = None

    @property
    def signed(self) -> SignedIn | None:
        return self._signed

    def show_login(self) -> LoginWindow:
        window = LoginWindow(self._app_ctx.header, self._app_ctx.sign_in, self._runner)
        window.signed_in.connect(self._on_signed_in)
        window.show()
        self.login_window = window
        return window

    def _on_signed_in(self, signed: SignedIn) -> None:
        self._signed = signed
        window = MainWindow(signed.session, self._app_ctx.header)
        window.sign_out_requested.connect(self.sign_out)
        window.quit_requested.connect(self.quit)
        # Pages get only the service calls they use. Later pages are added here.
        window.add_page(
            "データ概要",
            OverviewPage(signed.overview, signed.check_integrity, self._runner, self._date_style),
        )
        window.show()  # before closing the login window, or Qt sees no window left and quits
        self.main_window = window
        if self.login_window is not None:
            self.login_window.close()
            self.login_window.deleteLater()
            self.login_window = None
        self.main_window_shown.emit(window)

    def sign_out(self) -> None:
        """End the session on the worker, then go back to the login window."""
        signed, window = self._signed, self.main_window
        if signed is None or window is None:
            return
        self._runner.cancel_all()
        window.setEnabled(False)
        op = self._runner.run(
            lambda _ctx: signed.sign_out(),
            on_success=lambda _result: None,
            parent=window,
            label="サインアウトしています…",
        )
        # Back to the login window even if sign-out failed (the error dialog says so).
        op.finished.connect(self._back_to_login)

    def _back_to_login(self) -> None:
        window = self.main_window
        self._signed = None
        if window is None:
            return
        self.show_login()
        window.close_from_shell()
        window.deleteLater()
        self.main_window = None
        self.signed_out.emit()

    def quit(self) -> None:
        """Sign out and close the store on the worker, then end the event loop."""
        self._runner.cancel_all()
        for window in (self.main_window, self.login_window):
            if window is not None:
                window.hide()
        app_ctx = self._app_ctx

        def close(_ctx: object) -> None:
            app_ctx.close()

        op = self._runner.run(
            close, on_success=self._store_closed, parent=None, progress_dialog=False
        )
        op.finished.connect(self._on_quit)  # quit even if closing failed (error was shown)

    def _store_closed(self, _result: None) -> None:
        self._closed = True

    def active_window(self) -> QWidget | None:
        """The window dialogs should belong to."""
        return self.main_window or self.login_window

    def shutdown(self) -> None:
        """Final clean-up after the event loop (or a test) ends: close windows and the store,
        join the worker thread. Idempotent."""
        for window in (self.main_window, self.login_window):
            if window is not None:
                if isinstance(window, MainWindow):
                    window.close_from_shell()
                else:
                    window.close()
                window.deleteLater()
        self.main_window = self.login_window = None
        if not self._closed:
            self._closed = True
            self._runner.cancel_all()
            try:
                self._runner.call_blocking(self._app_ctx.close)
            except RuntimeError:
                self._app_ctx.close()  # the worker is already gone
        self._runner.shutdown()
