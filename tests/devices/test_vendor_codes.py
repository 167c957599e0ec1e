"""The vendor-code table: one place that says what each SDK code means."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devices import (
    DeviceEvent,
    DuplicatePalm,
    FakeClock,
    Guidance,
    ScannerBusy,
    ScannerDisconnected,
    ScannerError,
    ScannerFailure,
    ScannerInfo,
    Template,
    VerifyResult,
)
from devices.base import ScannerBase
from devices.errors import SCRIPTABLE_ERROR_CODES
from devices.operation import Operation
from devices.vendor_codes import EXAMPLE_VENDOR_CODES, Success, VendorCodeTable


class CodeScanner(ScannerBase):
    """A minimal vendor backend: its 'SDK' is a list of result codes polled in a loop."""

    def __init__(self, codes: list[int]) -> None:
        super().__init__(
            ScannerInfo("acme", "テスト機", False, "acme.palm", 3), clock=FakeClock()
        )
        self._codes: Iterator[int] = iter(codes)

    def _open_device(self) -> None:
        pass

    def _close_device(self) -> None:
        pass

    def _capture(self, op: Operation) -> Template:
        while not EXAMPLE_VENDOR_CODES.apply(next(self._codes), op):
            op.check()
        raise AssertionError("capture succeeded: not part of these tests")

    def _enroll(self, op: Operation, gallery: list[Template], duplicate_max_fmr: float) -> Template:
        return self._capture(op)

    def _verify(self, op: Operation, reference: Template, max_fmr: float) -> VerifyResult:
        self._capture(op)
        raise AssertionError


def test_example_table_covers_all_guidance_events_and_terminal_errors() -> None:
    meanings = set(EXAMPLE_VENDOR_CODES.codes.values())
    assert set(Guidance) <= meanings
    assert set(DeviceEvent) <= meanings
    assert Success.OK in meanings
    error_codes = {m.code for m in meanings if isinstance(m, type)}
    assert set(SCRIPTABLE_ERROR_CODES) <= error_codes


def test_codes_drive_guidance_events_and_end_in_an_error() -> None:
    scanner = CodeScanner([0x0201, 0x0101, 0x0107, 0x0204])
    seen: list[object] = []
    scanner.add_listener(seen.append)
    scanner.open()
    with pytest.raises(ScannerDisconnected):
        scanner.capture(on_guidance=seen.append)
    assert seen == [
        DeviceEvent.HAND_PRESENT, Guidance.TOO_FAR, Guidance.TILTED, DeviceEvent.REMOVED
    ]
    assert not scanner.is_connected


@pytest.mark.parametrize(("code", "error"), [(0x8003, ScannerBusy), (0x8008, DuplicatePalm)])
def test_terminal_codes_raise_their_error(code: int, error: type[ScannerError]) -> None:
    scanner = CodeScanner([0x0201, code])
    scanner.open()
    with pytest.raises(error):
        scanner.capture()


def test_unknown_code_is_a_failure_that_names_the_code() -> None:
    scanner = CodeScanner([0x7777])
    scanner.open()
    with pytest.raises(ScannerFailure) as raised:
        scanner.capture()
    assert raised.value.vendor_code == 0x7777
    assert "0x7777" in raised.value.message_ja
    assert EXAMPLE_VENDOR_CODES.meaning(0x7777) is ScannerFailure
    assert EXAMPLE_VENDOR_CODES.error_for(0x800A).vendor_code == 0x800A  # type: ignore[attr-defined]


def test_ok_code_ends_the_loop() -> None:
    assert EXAMPLE_VENDOR_CODES.meaning(0x0000) is Success.OK


def test_a_table_rejects_meanings_it_cannot_act_on() -> None:
    with pytest.raises(TypeError):
        VendorCodeTable("bad", {1: "too_far"})  # type: ignore[dict-item]
    with pytest.raises(TypeError):
        VendorCodeTable("bad", {1: ValueError})  # type: ignore[dict-item]
