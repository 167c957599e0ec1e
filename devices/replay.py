"""Replaying a recorded session deterministically, without the device.

Each call must match the next recorded call (name and arguments, references by template
id), otherwise ``ReplayMismatch``. The recorded feedback is delivered in order and the
recorded outcome returned or raised. Enrolled templates come back with their recorded
header and a stand-in data block (a recording holds no template data), so they are only
good for this replay. A replay is never real hardware: ``is_simulator`` is True.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from devices.base import ScannerBase
from devices.clock import FakeClock
from devices.errors import ReplayMismatch, ScanCancelled
from devices.events import DeviceEvent
from devices.guidance import Guidance
from devices.operation import Operation
from devices.protocol import EnrollProgress, ScannerInfo, VerifyResult
from devices.session_format import (
    SESSION_FORMAT,
    SESSION_VERSION,
    JsonDict,
    error_from_json,
    header_from_json,
    info_from_json,
)
from devices.template import Template


class ReplayScanner(ScannerBase):
    def __init__(self, session: Mapping[str, Any]) -> None:
        if session.get("format") != SESSION_FORMAT or session.get("version") != SESSION_VERSION:
            raise ValueError("not a scanner session recording of a known version")
        recorded = info_from_json(session["info"])
        super().__init__(
            ScannerInfo(
                backend="replay",
                model_ja="記録の再生（実機ではありません）",
                is_simulator=True,
                template_format=recorded.template_format,
                enroll_stages=recorded.enroll_stages,
                supports_capture=recorded.supports_capture,
            ),
            clock=FakeClock(),
            connected=bool(session.get("connected_at_start", True)),
        )
        self.recorded_info = recorded
        self._steps: list[JsonDict] = list(session["steps"])

    @classmethod
    def from_file(cls, path: Path) -> ReplayScanner:
        return cls(json.loads(path.read_text(encoding="utf-8")))

    @property
    def remaining(self) -> int:
        return len(self._steps)

    def _sync(self) -> None:
        # An event recorded after n calls is delivered when call n + 1 begins.
        while (
            self._steps
            and self._steps[0]["call"] == "event"
            and int(self._steps[0].get("after", 0)) < self._calls
        ):
            self._emit_event(DeviceEvent(self._steps.pop(0)["event"]))

    def _open_device(self) -> None:
        self._play(None, self._next("open", {}))

    def _close_device(self) -> None:
        self._play(None, self._next("close", {}))

    def _enroll(self, op: Operation, gallery: list[Template], duplicate_max_fmr: float) -> Template:
        args = {
            "gallery": [t.template_id for t in gallery],
            "duplicate_max_fmr": duplicate_max_fmr,
        }
        return _template(self._play(op, self._next("enroll", args)))

    def _verify(self, op: Operation, reference: Template, max_fmr: float) -> VerifyResult:
        args = {"reference": reference.template_id, "max_fmr": max_fmr}
        outcome = self._play(op, self._next("verify", args))
        if outcome.get("kind") != "verify":
            raise ReplayMismatch()
        return VerifyResult(
            bool(outcome["matched"]), float(outcome["fmr_achieved"]), float(outcome["max_fmr"])
        )

    def _capture(self, op: Operation) -> Template:
        return _template(self._play(op, self._next("capture", {})))

    def _next(self, call: str, args: JsonDict) -> JsonDict:
        if not self._steps:
            raise ReplayMismatch("記録の終わりに達しました。記録より多くの操作が行われています。")
        step = self._steps[0]
        if step.get("call") != call or step.get("args", {}) != args:
            raise ReplayMismatch()
        return self._steps.pop(0)

    def _play(self, op: Operation | None, step: JsonDict) -> JsonDict:
        outcome: JsonDict = step["outcome"]
        ends_cancelled = outcome.get("kind") == "error" and outcome.get("code") == "cancelled"
        for kind, value in step["feedback"]:
            if kind == "event":
                self._emit_event(DeviceEvent(value))
            elif op is not None and kind == "guidance":
                op.guide(Guidance(value))
            elif op is not None and kind == "progress":
                op.progress(EnrollProgress(int(value[0]), int(value[1])))
            if op is not None and op.cancelled() and not ends_cancelled:
                raise ScanCancelled()  # the caller cancelled where the recording did not
        if outcome.get("kind") == "error":
            raise error_from_json(outcome)
        if outcome.get("kind") == "foreign":
            raise ReplayMismatch()
        return outcome


def _template(outcome: JsonDict) -> Template:
    if outcome.get("kind") != "template":
        raise ReplayMismatch()
    header = header_from_json(outcome["header"])
    stand_in = hashlib.sha256(b"toda-replay\0" + bytes.fromhex(header.template_id)).digest()
    return Template(header, stand_in)
