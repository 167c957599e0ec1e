"""Issue 12, finding 12: weak test-store settings exist only inside the test suite.

The attack: a test store, which may be loaded with real data to train a model, made through
the command line with ``TODA_DEMO_SCRYPT_N`` set (cheap key wraps) and signed in to with the
simulator (no palm). Now the command line makes every store at the full scrypt cost whatever
the environment says, and a test store it makes accepts only a real scanner, like production.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devices import FakeClock, Scanner, Simulator, SimulatorConfig
from storage import keys
from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD, TEST_SCRYPT_N
from toda_desktop.cli import main
from toda_desktop.composition import Application
from toda_desktop.errors import SignInError
from toda_desktop.scanner_admission import SIMULATOR_REFUSED
from toda_desktop.store_setup import create_empty_store

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "a long enough password"


class PretendingScanner(Simulator):
    """A simulator subclass that says it is real hardware."""

    @property
    def is_simulator(self) -> bool:
        return False


def _scrypt_costs(value: Any) -> Iterator[int]:
    """Every password wrap's ``n`` in the key file, whatever its layout (the recovery wrap has
    0: its key is random and needs no slow derivation)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "n" and isinstance(item, int) and item != 0:
                yield item
            else:
                yield from _scrypt_costs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _scrypt_costs(item)


@pytest.fixture
def cli_test_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A test store made as an office would, with the old cheap-cost variable set."""
    monkeypatch.setenv("TODA_DEMO_SCRYPT_N", "1024")
    monkeypatch.setenv("TODA_PASSWORD", PASSWORD)
    monkeypatch.setenv("TODA_USER", "lead")
    path = tmp_path / "training.tdb"
    assert main(["init", "--store", str(path), "--test"], out=io.StringIO()) == 0
    return path


def _app_with(path: Path, scanner: Scanner) -> Application:
    return Application(path, scanner_factory=lambda _kind: scanner)


def test_the_environment_cannot_make_a_test_stores_key_wraps_cheaper(
    cli_test_store: Path,
) -> None:
    key_file = json.loads(cli_test_store.with_name(cli_test_store.name + ".keys").read_text())
    costs = list(_scrypt_costs(key_file))
    assert costs and set(costs) == {keys.DEFAULT_SCRYPT_N}


@pytest.mark.parametrize("scanner", [
    Simulator(SimulatorConfig(seed=1, default_subject=LEAD_LOGIN), clock=FakeClock()),
    PretendingScanner(SimulatorConfig(seed=1, default_subject=LEAD_LOGIN), clock=FakeClock()),
], ids=["simulator", "simulator_saying_it_is_real"])
def test_a_test_store_made_by_the_command_line_refuses_the_simulator(
    cli_test_store: Path, scanner: Simulator
) -> None:
    pending = _app_with(cli_test_store, scanner).start_sign_in("lead", PASSWORD)
    assert pending.needs_enrollment and pending.may_self_enroll
    with pytest.raises(SignInError) as refused:
        pending.enroll_own_palm()
    assert refused.value.message_ja == SIMULATOR_REFUSED
    pending.cancel()


def test_the_command_line_signs_in_to_its_test_store_only_with_a_real_scanner(
    cli_test_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["info", "--store", str(cli_test_store)], out=io.StringIO()) == 2
    assert "スキャナ" in capsys.readouterr().err


def test_a_test_store_at_full_cost_accepts_no_simulator_even_from_the_python_api(
    tmp_path: Path,
) -> None:
    path = tmp_path / "full.tdb"
    create_empty_store(path, "test", LEAD_LOGIN, LEAD_PASSWORD).store.close()
    sim = Simulator(SimulatorConfig(seed=1, default_subject=LEAD_LOGIN), clock=FakeClock())
    pending = _app_with(path, sim).start_sign_in(LEAD_LOGIN, LEAD_PASSWORD)
    with pytest.raises(SignInError, match="シミュレータ"):
        pending.enroll_own_palm()
    pending.cancel()


def test_the_test_suites_own_cheap_test_stores_still_take_the_simulator(tmp_path: Path) -> None:
    path = tmp_path / "suite.tdb"
    create_empty_store(path, "test", LEAD_LOGIN, LEAD_PASSWORD,
                       scrypt_n=TEST_SCRYPT_N).store.close()
    sim = Simulator(SimulatorConfig(seed=1, default_subject=LEAD_LOGIN), clock=FakeClock())
    _app_with(path, sim).sign_in(LEAD_LOGIN, LEAD_PASSWORD).sign_out()


def test_no_product_file_reads_the_old_cheap_cost_variable() -> None:
    readers = [p.relative_to(REPO) for folder in ("toda_desktop", "storage", "ui", "installer")
               for p in (REPO / folder).rglob("*") if p.is_file() and p.suffix in
               (".py", ".sh", ".spec", ".iss")
               and "TODA_DEMO_SCRYPT_N" in p.read_text(encoding="utf-8")]
    assert readers == []
    assert "TODA_DEMO_SCRYPT_N" not in (REPO / "README.md").read_text(encoding="utf-8")
