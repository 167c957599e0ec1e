"""A production store requires a real scanner; demo and test stores get the simulator."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from devices import (
    FakeClock,
    NoScannerBackend,
    Scanner,
    ScannerBackend,
    Simulator,
    SimulatorConfig,
    SimulatorNotAllowed,
    available_backends,
    require_real_scanner_for,
    scanner_for_store,
)

FMR = 1e-4


class RealScanner(Simulator):
    """Stands in for a vendor scanner (a simulator inside, declared real for the test)."""

    @property
    def is_simulator(self) -> bool:
        return False


@dataclass(frozen=True)
class Vendor:
    is_simulator: bool = False
    display_name_ja: str = "実機"
    honest: bool = True

    def create(self, **options: Any) -> Scanner:
        if self.honest:
            return RealScanner(SimulatorConfig(**options), clock=FakeClock())
        return Simulator(SimulatorConfig(**options), clock=FakeClock())


def _with(**vendors: ScannerBackend) -> dict[str, ScannerBackend]:
    backends = available_backends([])
    backends.update(vendors)
    return backends


@pytest.mark.parametrize("kind", ["production", "staging", "", "PRODUCTION"])
def test_simulator_refused_outside_demo_and_test(kind: str) -> None:
    simulator = Simulator(clock=FakeClock())
    with pytest.raises(SimulatorNotAllowed) as raised:
        require_real_scanner_for(kind, simulator)
    assert raised.value.message_ja.startswith(
        "本番用データベースではシミュレータは使用できません。"
    )
    with pytest.raises(SimulatorNotAllowed):
        require_real_scanner_for(kind, available_backends([])["replay"])


@pytest.mark.parametrize("kind", ["demo", "test"])
def test_simulator_allowed_on_demo_and_test(kind: str) -> None:
    require_real_scanner_for(kind, Simulator(clock=FakeClock()))


def test_real_scanner_allowed_everywhere() -> None:
    for kind in ("production", "demo", "test"):
        require_real_scanner_for(kind, Vendor())


def test_demo_store_gets_an_unattended_simulator_presenting_the_user() -> None:
    scanner = scanner_for_store(
        "demo", default_subject="lead", clock=FakeClock(), backends=_with()
    )
    assert isinstance(scanner, Simulator) and scanner.is_simulator
    with scanner:
        reference = scanner.enroll()
        assert scanner.verify(reference, FMR).matched


def test_production_without_a_vendor_plugin_says_so() -> None:
    with pytest.raises(NoScannerBackend):
        scanner_for_store("production", backends=_with())


def test_production_uses_the_one_installed_vendor_backend() -> None:
    scanner = scanner_for_store("production", backends=_with(acme=Vendor()))
    assert isinstance(scanner, RealScanner) and not scanner.is_simulator


def test_production_with_two_vendors_asks_to_choose() -> None:
    backends = _with(acme=Vendor(), other=Vendor())
    with pytest.raises(NoScannerBackend) as raised:
        scanner_for_store("production", backends=backends)
    assert "複数" in raised.value.message_ja
    assert not scanner_for_store("production", backend="other", backends=backends).is_simulator


def test_production_refuses_a_named_simulator_before_creating_it() -> None:
    with pytest.raises(SimulatorNotAllowed):
        scanner_for_store("production", backend="simulator", backends=_with())


def test_a_plugin_that_misdeclares_itself_is_still_refused() -> None:
    with pytest.raises(SimulatorNotAllowed):
        scanner_for_store("production", backends=_with(liar=Vendor(honest=False)))
