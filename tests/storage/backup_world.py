"""Shared by the backup tests: sign in to a demo city with the simulator, run the CLI."""

from __future__ import annotations

import io
from pathlib import Path

from devices import FakeClock, Scanner, Simulator, SimulatorConfig, require_real_scanner_for
from tests.services.test_sign_in import WallClock
from toda_desktop.cli import main
from toda_desktop.composition import Application, SignedIn
from toda_desktop.store_setup import DEMO_PASSWORD

LEAD = "demo-lead"
IT_ADMIN = "demo-it"


def sign_in(path: Path, login: str = LEAD, clock: WallClock | None = None) -> SignedIn:
    sim = Simulator(SimulatorConfig(seed=3, timeout_s=5), clock=FakeClock())

    def factory(store_kind: str) -> Scanner:
        require_real_scanner_for(store_kind, sim)
        return sim

    return Application(path, scanner_factory=factory, clock=clock or WallClock()).sign_in(
        login, DEMO_PASSWORD)


def run_cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def student_names(signed: SignedIn) -> dict[str, str]:
    """address_code → name, read through the store (the basic group's file)."""
    rows = signed.store.db.call(lambda c: c.execute(
        "SELECT address_code, name FROM ds_students").fetchall())
    return {str(a): str(n) for a, n in rows}


def first_student(signed: SignedIn) -> tuple[int, str]:
    row = signed.store.db.call(lambda c: c.execute(
        "SELECT id, address_code FROM ds_students ORDER BY id LIMIT 1").fetchone())
    return int(row[0]), str(row[1])


def damage(path: Path, pages: range, page_size: int = 4096) -> None:
    """Overwrite whole pages with bytes that are no page (what a failing disk leaves)."""
    with path.open("r+b") as f:
        for page in pages:
            f.seek(page * page_size)
            f.write(b"\xa5" * page_size)
