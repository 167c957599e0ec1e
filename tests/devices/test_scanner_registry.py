"""The plugin point: built-in backends, vendor plugins by entry point, creation by name."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from devices import (
    ENTRY_POINT_GROUP,
    FakeClock,
    NoScannerBackend,
    RecordingScanner,
    ReplayScanner,
    Scanner,
    Simulator,
    SimulatorConfig,
    available_backends,
    create_scanner,
)


@dataclass(frozen=True)
class FakeVendorBackend:
    is_simulator: bool = False
    display_name_ja: str = "テスト用ベンダー"

    def create(self, **options: Any) -> Scanner:
        return Simulator(SimulatorConfig(**options), clock=FakeClock())


@dataclass
class FakeEntryPoint:
    name: str
    target: object
    group: str = ENTRY_POINT_GROUP

    def load(self) -> object:
        if isinstance(self.target, Exception):
            raise self.target
        return self.target


def test_builtins_are_simulators() -> None:
    backends = available_backends([])
    assert set(backends) == {"simulator", "replay"}
    assert all(b.is_simulator for b in backends.values())
    assert all(b.display_name_ja for b in backends.values())


def test_installed_plugins_are_read_from_the_entry_point_group() -> None:
    assert {"simulator", "replay"} <= set(available_backends())


def test_create_simulator_by_name_with_options() -> None:
    clock = FakeClock()
    scanner = create_scanner("simulator", seed=3, default_subject="lead", clock=clock)
    assert isinstance(scanner, Simulator)
    assert scanner.default_subject == "lead"
    assert scanner.clock is clock


def test_create_replay_by_name_from_a_saved_recording(tmp_path: Path) -> None:
    recorder = RecordingScanner(
        Simulator(SimulatorConfig(script="SCAN a"), clock=FakeClock()),
        path=tmp_path / "session.json",
    )
    with recorder:
        recorder.capture()
    assert json.loads((tmp_path / "session.json").read_text(encoding="utf-8"))["steps"]
    scanner = create_scanner("replay", path=tmp_path / "session.json")
    assert isinstance(scanner, ReplayScanner)
    with scanner:
        assert scanner.capture().quality == 80


def test_a_vendor_plugin_is_discovered_and_declares_itself_real() -> None:
    backends = available_backends([FakeEntryPoint("acme", FakeVendorBackend())])
    assert backends["acme"].is_simulator is False
    scanner = create_scanner("acme", backends=backends, script="SCAN x")
    with scanner:
        assert scanner.capture().quality == 80


def test_broken_or_wrong_plugins_are_skipped_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="devices.registry")
    backends = available_backends([
        FakeEntryPoint("broken", ImportError("PalmSDK.dll not found")),
        FakeEntryPoint("notabackend", object()),
        FakeEntryPoint("vague", FakeVendorBackend(is_simulator="no")),  # type: ignore[arg-type]
        FakeEntryPoint("simulator", FakeVendorBackend()),  # cannot replace a built-in
    ])
    assert set(backends) == {"simulator", "replay"}
    assert backends["simulator"].is_simulator
    assert len(caplog.records) == 4


def test_unknown_backend_is_a_japanese_error() -> None:
    with pytest.raises(NoScannerBackend) as raised:
        create_scanner("nonexistent", backends=available_backends([]))
    assert "ドライバが見つかりません" in raised.value.message_ja
