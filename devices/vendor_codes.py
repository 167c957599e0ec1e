"""The one table from a vendor SDK's result codes to guidance, events and errors.

A vendor backend polls its SDK and hands every code to ``VendorCodeTable.apply``: success
codes return True, guidance goes to the guidance callback, events to the listeners, and
terminal codes raise the matching ``ScannerError``. A code missing from the table is a
``ScannerFailure`` naming the code, so an incomplete table shows up in support, not as a
hang or a silent retry. Changing how a vendor's code is handled means editing one entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from devices.errors import DuplicatePalm, ScannerError, ScannerFailure
from devices.events import DeviceEvent
from devices.guidance import Guidance
from devices.operation import Operation


class Success(Enum):
    """The capture, enrollment stage or comparison the code answers has succeeded."""

    OK = "ok"


Meaning = Success | Guidance | DeviceEvent | type[ScannerError]


@dataclass(frozen=True)
class VendorCodeTable:
    vendor: str
    codes: Mapping[int, Meaning]

    def __post_init__(self) -> None:
        for code, meaning in self.codes.items():
            valid = isinstance(meaning, Success | Guidance | DeviceEvent) or (
                isinstance(meaning, type) and issubclass(meaning, ScannerError)
            )
            if not valid:
                raise TypeError(f"code {code:#x}: {meaning!r} is not a guidance/event/error")

    def meaning(self, code: int) -> Meaning:
        meaning = self.codes.get(code)
        return ScannerFailure if meaning is None else meaning

    def error_for(self, code: int) -> ScannerError:
        """The terminal error of a code (``ScannerFailure`` with the code if unknown)."""
        meaning = self.codes.get(code)
        if not isinstance(meaning, type) or meaning is ScannerFailure:
            return ScannerFailure(code)
        if meaning is DuplicatePalm:
            return DuplicatePalm()
        return meaning()

    def apply(self, code: int, op: Operation) -> bool:
        """Act on one code; True when it reports success, False when the loop goes on."""
        meaning = self.codes.get(code)
        if meaning is Success.OK:
            return True
        if isinstance(meaning, Guidance):
            op.guide(meaning)
            return False
        if isinstance(meaning, DeviceEvent):
            op.event(meaning)
            return False
        raise self.error_for(code)


def _example_table() -> VendorCodeTable:
    # Imported here so the table reads as data, with the error names beside the codes.
    from devices.errors import (
        InvalidData,
        NotSupported,
        ScanCancelled,
        ScannerBusy,
        ScannerDisconnected,
        ScannerTimeout,
        SpoofSuspected,
    )

    return VendorCodeTable(
        vendor="example-bioapi-palm",
        codes={
            0x0000: Success.OK,  # OK / BioAPI_OK
            # Placement feedback while capturing (BioAPI 2.0 GUI feedback; PalmSecure-style).
            0x0101: Guidance.TOO_FAR,  # HAND_TOO_HIGH (too far above the sensor)
            0x0102: Guidance.TOO_CLOSE,  # HAND_TOO_LOW (too close to the sensor)
            0x0103: Guidance.TOO_LEFT,  # HAND_TOO_LEFT
            0x0104: Guidance.TOO_RIGHT,  # HAND_TOO_RIGHT
            0x0105: Guidance.LIFT_HAND,  # HAND_TOO_FORWARD / OUT_OF_FRAME: place it again
            0x0106: Guidance.LIFT_HAND,  # HAND_TOO_BACKWARD
            0x0107: Guidance.TILTED,  # PITCH_OUT_OF_RANGE
            0x0108: Guidance.TILTED,  # ROLL_OUT_OF_RANGE
            0x0109: Guidance.TILTED,  # YAW_OUT_OF_RANGE
            0x010A: Guidance.MOVING,  # HAND_MOVING
            0x010B: Guidance.LOW_QUALITY,  # FINGERS_CLOSED
            0x010C: Guidance.LOW_QUALITY,  # LOW_QUALITY / QUALITY_FAILURE
            0x010D: Guidance.LIFT_HAND,  # HAND_ALREADY_PRESENT (remove, then present)
            # Events.
            0x0201: DeviceEvent.HAND_PRESENT,  # HAND_DETECTED
            0x0202: DeviceEvent.HAND_REMOVED,  # HAND_LEFT
            0x0203: DeviceEvent.CONNECTED,  # UNIT_INSERTED (BioAPI unit event)
            0x0204: DeviceEvent.REMOVED,  # UNIT_REMOVED
            # Terminal errors.
            0x8001: ScannerDisconnected,  # UNIT_NOT_PRESENT / DEVICE_REMOVED
            0x8002: ScannerTimeout,  # TIMEOUT_EXPIRED
            0x8003: ScannerBusy,  # UNIT_IN_USE
            0x8004: ScanCancelled,  # USER_CANCELLED
            0x8005: NotSupported,  # FUNCTION_NOT_SUPPORTED
            0x8006: InvalidData,  # INVALID_BIR / BIR_SIGNATURE_FAILURE
            0x8007: NotSupported,  # UNSUPPORTED_BIR_FORMAT
            0x8008: DuplicatePalm,  # ENROLL_DUPLICATE (identify-before-enroll hit)
            0x8009: SpoofSuspected,  # LIVENESS_FAILURE / PRESENTATION_ATTACK
            0x800A: ScannerFailure,  # INTERNAL_ERROR (hardware fault)
        },
    )


# Illustrative only: the numbers are invented in the layout of a BioAPI-conformant palm
# vein SDK. A real backend copies the codes from its SDK manual into its own table.
EXAMPLE_VENDOR_CODES = _example_table()
