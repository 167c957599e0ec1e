"""A small demo city with a quickly trained risk model, shared by a module's tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devices import FakeClock, Scanner, Simulator, SimulatorConfig, require_real_scanner_for
from tests.conftest import copy_store
from toda_desktop.composition import Application, SignedIn
from toda_desktop.policy.model import Policy
from toda_desktop.store_setup import DEMO_LOGINS, DEMO_PASSWORD

SignIn = Callable[[str], SignedIn]


def sign_in(path: Path, role: str, policy: Policy | None = None) -> SignedIn:
    login = DEMO_LOGINS[role][0]
    sim = Simulator(SimulatorConfig(seed=1), clock=FakeClock())

    def factory(kind: str, sim: Simulator = sim) -> Scanner:
        require_real_scanner_for(kind, sim)
        return sim

    app = Application(path, scanner_factory=factory, policy=policy)
    return app.sign_in(login, DEMO_PASSWORD)


@pytest.fixture(scope="module")
def risk_store(
    _demo_store_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """A copy of the small demo city with one quickly trained model (by the project lead)."""
    from toda_desktop.risk import RiskService

    path = copy_store(_demo_store_template, tmp_path_factory.mktemp("risk") / "demo.tdb")
    lead = sign_in(path, "project_lead")
    try:
        RiskService(lead.context).train(quick=True)
    finally:
        lead.sign_out()
    yield path


@pytest.fixture(scope="module")
def sessions(risk_store: Path) -> Iterator[dict[str, SignedIn]]:
    signed = {role: sign_in(risk_store, role) for role in DEMO_LOGINS}
    yield signed
    for s in signed.values():
        s.sign_out()


@pytest.fixture(autouse=True)
def _no_leaked_threads() -> None:
    """Sessions here live for the whole module (one store); the module fixture closes them."""
