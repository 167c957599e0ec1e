"""Signing demo roles in with a clock the test moves (return dates, overdue sheets)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from devices import FakeClock, Scanner, Simulator, SimulatorConfig, require_real_scanner_for
from toda_desktop.composition import Application, SignedIn
from toda_desktop.printing.document import DocumentKind, Heading, PrintDocument, Table
from toda_desktop.store_setup import DEMO_LOGINS, DEMO_PASSWORD


class MovingClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def sign_in(path: Path, role: str, clock: MovingClock) -> SignedIn:
    sim = Simulator(SimulatorConfig(seed=1), clock=FakeClock())

    def factory(kind: str) -> Scanner:
        require_real_scanner_for(kind, sim)
        return sim

    app = Application(path, scanner_factory=factory, clock=clock,
                      idle_limit=timedelta(days=400), max_session=timedelta(days=400))
    return app.sign_in(DEMO_LOGINS[role][0], DEMO_PASSWORD)


def sheet(pupils: tuple[int, ...] = (), text: str = "表") -> PrintDocument:
    return PrintDocument(kind=DocumentKind.ALERT_LIST, title="テスト", subject="1校・1人",
                         blocks=(Heading("見出し"), Table(("列",), ((text,),))), pupils=pupils)
