"""Main windows with one role's risk pages, each on a fresh copy of a prepared store: the one
set-up behind the risk page, wording and safeguard tests."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import copy_store
from tests.risk.conftest import sign_in
from toda_desktop.composition import SignedIn
from ui.background import BackgroundRunner
from ui.error_reporting import ErrorReporter
from ui.main_window import MainWindow
from ui.risk.pages import add_risk_pages


class RiskWindows:
    """Call with a role (and optionally another store) to get a window and its session;
    ``close`` signs everyone out. Karte requests from the pages are kept in
    ``karte_requests`` (also on each window)."""

    def __init__(self, runner: BackgroundRunner, folder: Path, store: Path,
                 size: tuple[int, int]) -> None:
        self._runner, self._folder, self._store, self._size = runner, folder, store, size
        self.opened: list[tuple[MainWindow, SignedIn]] = []
        self.karte_requests: list[int] = []

    def __call__(self, role: str, source: Path | None = None) -> tuple[MainWindow, SignedIn]:
        path = copy_store(source or self._store,
                          self._folder / f"store{len(self.opened)}" / "demo.tdb")
        signed = sign_in(path, role)
        window = MainWindow(signed.user, signed.app.header)
        window.karte_requests = self.karte_requests  # type: ignore[attr-defined]
        add_risk_pages(window, signed, self._runner, "wareki",
                       open_karte=self.karte_requests.append)
        window.resize(*self._size)
        self.opened.append((window, signed))
        return window, signed

    def close(self, reporter: ErrorReporter) -> None:
        self._runner.shutdown()
        for window, signed in self.opened:
            window.close_from_shell()
            window.deleteLater()
            signed.sign_out()
        assert not reporter.report_count, "an unexpected error was reported"
