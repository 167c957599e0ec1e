"""Recording a session of any scanner to JSON, to replay it later without the device.

``RecordingScanner`` wraps a scanner, passes every call through unchanged and writes down
what happened (see ``devices.session_format``). It records headers and template ids only,
never template data.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from devices.base import ScannerBase
from devices.errors import ScannerError
from devices.events import DeviceEvent
from devices.guidance import Guidance
from devices.operation import Operation
from devices.protocol import EnrollProgress, Scanner, ScannerInfo, VerifyResult
from devices.session_format import (
    SESSION_FORMAT,
    SESSION_VERSION,
    JsonDict,
    error_to_json,
    header_to_json,
    info_to_json,
)
from devices.template import Template

T = TypeVar("T")


class RecordingScanner(ScannerBase):
    def __init__(self, inner: Scanner, path: Path | None = None) -> None:
        inner_info = inner.info
        super().__init__(
            ScannerInfo(
                backend=f"recording:{inner_info.backend}",
                model_ja=inner_info.model_ja,
                is_simulator=inner_info.is_simulator,
                template_format=inner_info.template_format,
                enroll_stages=inner_info.enroll_stages,
                supports_capture=inner_info.supports_capture,
            ),
            connected=inner.is_connected,
        )
        self.inner = inner
        self.path = path
        self._connected_at_start = inner.is_connected
        self._steps: list[JsonDict] = []
        self._feedback: list[list[object]] | None = None
        inner.add_listener(self._on_inner_event)

    def session(self) -> JsonDict:
        return {
            "format": SESSION_FORMAT,
            "version": SESSION_VERSION,
            "info": info_to_json(self.inner.info),
            "connected_at_start": self._connected_at_start,
            "steps": json.loads(json.dumps(self._steps)),
        }

    def save(self, path: Path | None = None) -> Path:
        target = path or self.path
        if target is None:
            raise ValueError("no path to save the recording to")
        target.write_text(
            json.dumps(self.session(), ensure_ascii=False, indent=1), encoding="utf-8"
        )
        return target

    def _close_device(self) -> None:
        self._record("close", {}, lambda: self.inner.close(), _ok)
        if self.path is not None:
            self.save()

    def _open_device(self) -> None:
        self._record("open", {}, lambda: self.inner.open(), _ok)

    def _enroll(self, op: Operation, gallery: list[Template], duplicate_max_fmr: float) -> Template:
        args = {
            "gallery": [t.template_id for t in gallery],
            "duplicate_max_fmr": duplicate_max_fmr,
        }
        return self._record(
            "enroll",
            args,
            lambda: self.inner.enroll(
                gallery=gallery,
                duplicate_max_fmr=duplicate_max_fmr,
                on_guidance=self._guidance_to(op),
                on_progress=self._progress_to(op),
                cancel=op.cancel_flag,
                timeout_s=op.timeout_requested,
            ),
            _template_outcome,
        )

    def _verify(self, op: Operation, reference: Template, max_fmr: float) -> VerifyResult:
        return self._record(
            "verify",
            {"reference": reference.template_id, "max_fmr": max_fmr},
            lambda: self.inner.verify(
                reference,
                max_fmr,
                on_guidance=self._guidance_to(op),
                cancel=op.cancel_flag,
                timeout_s=op.timeout_requested,
            ),
            _verify_outcome,
        )

    def _capture(self, op: Operation) -> Template:
        return self._record(
            "capture",
            {},
            lambda: self.inner.capture(
                on_guidance=self._guidance_to(op),
                cancel=op.cancel_flag,
                timeout_s=op.timeout_requested,
            ),
            _template_outcome,
        )

    def _record(
        self, call: str, args: JsonDict, run: Callable[[], T], outcome: Callable[[T], JsonDict]
    ) -> T:
        feedback: list[list[object]] = []
        step: JsonDict = {"call": call, "args": args, "feedback": feedback}
        self._feedback = feedback
        try:
            result = run()
        except ScannerError as error:
            step["outcome"] = error_to_json(error)
            raise
        except BaseException:
            step["outcome"] = {"kind": "foreign"}  # e.g. a callback's own exception
            raise
        else:
            step["outcome"] = outcome(result)
            return result
        finally:
            self._feedback = None
            self._steps.append(step)

    def _guidance_to(self, op: Operation) -> Callable[[Guidance], None]:
        def forward(guidance: Guidance) -> None:
            self._note(["guidance", guidance.value])
            op.guide(guidance)

        return forward

    def _progress_to(self, op: Operation) -> Callable[[EnrollProgress], None]:
        def forward(progress: EnrollProgress) -> None:
            self._note(["progress", [progress.stage, progress.stages]])
            op.progress(progress)

        return forward

    def _note(self, item: list[object]) -> None:
        if self._feedback is not None:
            self._feedback.append(item)

    def _on_inner_event(self, event: DeviceEvent) -> None:
        if self._feedback is not None:
            self._feedback.append(["event", event.value])
        else:
            self._steps.append({"call": "event", "event": event.value, "after": self._calls})
        self._emit_event(event)


def _ok(_result: None) -> JsonDict:
    return {"kind": "ok"}


def _template_outcome(template: Template) -> JsonDict:
    return {"kind": "template", "header": header_to_json(template.header)}


def _verify_outcome(result: VerifyResult) -> JsonDict:
    return {
        "kind": "verify",
        "matched": result.matched,
        "fmr_achieved": result.fmr_achieved,
        "max_fmr": result.max_fmr,
    }
