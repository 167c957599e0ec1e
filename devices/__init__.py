"""The palm-vein scanner layer: protocol, simulator, record/replay and vendor plugins.

No Qt, no storage: the services pass templates in and out as bytes and choose a scanner
for a store with ``scanner_for_store`` (a production store refuses simulators).
"""

from devices.cancel import CancelToken
from devices.clock import Clock, FakeClock, SystemClock
from devices.errors import (
    DuplicatePalm,
    InvalidData,
    NoScannerBackend,
    NotSupported,
    ReplayMismatch,
    ScanCancelled,
    ScannerBusy,
    ScannerDisconnected,
    ScannerError,
    ScannerFailure,
    ScannerNotOpen,
    ScannerTimeout,
    SimulatorNotAllowed,
    SpoofSuspected,
)
from devices.events import DeviceEvent, EventListener
from devices.guidance import Guidance
from devices.protocol import (
    DEFAULT_DUPLICATE_MAX_FMR,
    EnrollProgress,
    GuidanceCallback,
    ProgressCallback,
    Scanner,
    ScannerInfo,
    VerifyResult,
)
from devices.recording import RecordingScanner
from devices.registry import ENTRY_POINT_GROUP, ScannerBackend, available_backends, create_scanner
from devices.replay import ReplayScanner
from devices.scoring import OperatingPoint
from devices.selection import SIMULATOR_STORE_KINDS, require_real_scanner_for, scanner_for_store
from devices.simulator import Simulator, SimulatorConfig
from devices.template import Template, TemplateHeader
from kernel.progress import CancelFlag

__all__ = [
    "DEFAULT_DUPLICATE_MAX_FMR",
    "ENTRY_POINT_GROUP",
    "SIMULATOR_STORE_KINDS",
    "CancelFlag",
    "CancelToken",
    "Clock",
    "DeviceEvent",
    "DuplicatePalm",
    "EnrollProgress",
    "EventListener",
    "FakeClock",
    "Guidance",
    "GuidanceCallback",
    "InvalidData",
    "NoScannerBackend",
    "NotSupported",
    "OperatingPoint",
    "ProgressCallback",
    "RecordingScanner",
    "ReplayMismatch",
    "ReplayScanner",
    "ScanCancelled",
    "Scanner",
    "ScannerBackend",
    "ScannerBusy",
    "ScannerDisconnected",
    "ScannerError",
    "ScannerFailure",
    "ScannerInfo",
    "ScannerNotOpen",
    "ScannerTimeout",
    "Simulator",
    "SimulatorConfig",
    "SimulatorNotAllowed",
    "SpoofSuspected",
    "SystemClock",
    "Template",
    "TemplateHeader",
    "VerifyResult",
    "available_backends",
    "create_scanner",
    "require_real_scanner_for",
    "scanner_for_store",
]
