"""Signing in to a demo city on a chosen day, for the retention tests."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from devices import FakeClock, Scanner, Simulator, SimulatorConfig, require_real_scanner_for
from toda_desktop.composition import Application, SignedIn
from toda_desktop.policy.model import Policy
from toda_desktop.store_setup import DEMO_LOGINS, DEMO_PASSWORD

# The small demo city has enrolments for 2023–2025: its leavers left in March 2024 or 2025.
FIVE_YEARS_ON = datetime(2030, 4, 2, 9, 0)  # 5-year classes ended for every leaver
TWENTY_YEARS_ON = datetime(2045, 4, 2, 9, 0)  # and 学籍 (20 years) too


def sign_in(path: Path, role: str, when: datetime, policy: Policy | None = None) -> SignedIn:
    sim = Simulator(SimulatorConfig(seed=1), clock=FakeClock())

    def factory(kind: str) -> Scanner:
        require_real_scanner_for(kind, sim)
        return sim

    login, _ = DEMO_LOGINS[role]
    app = Application(path, scanner_factory=factory, clock=lambda: when, policy=policy)
    return app.sign_in(login, DEMO_PASSWORD)
