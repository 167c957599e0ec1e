"""The JSON form of a recorded scanner session (written by recording, read by replay).

A session is a list of steps: each call (open, close, enroll, verify, capture) with its
arguments, the feedback it produced in order (guidance, progress, device events) and its
outcome; events that arrived between calls are steps of their own. Templates appear only
as headers (format, quality, created, id) and references by template id: a recording
never holds template data, so recording a real scanner does not copy biometric data.
"""

from __future__ import annotations

from typing import Any

from devices.errors import ScannerError, error_from_code
from devices.protocol import ScannerInfo
from devices.template import TemplateHeader

SESSION_FORMAT = "toda.scanner-session"
SESSION_VERSION = 1

JsonDict = dict[str, Any]


def info_to_json(info: ScannerInfo) -> JsonDict:
    return {
        "backend": info.backend,
        "model_ja": info.model_ja,
        "is_simulator": info.is_simulator,
        "template_format": info.template_format,
        "enroll_stages": info.enroll_stages,
        "supports_capture": info.supports_capture,
    }


def info_from_json(data: JsonDict) -> ScannerInfo:
    return ScannerInfo(
        backend=str(data["backend"]),
        model_ja=str(data["model_ja"]),
        is_simulator=bool(data["is_simulator"]),
        template_format=str(data["template_format"]),
        enroll_stages=int(data["enroll_stages"]),
        supports_capture=bool(data["supports_capture"]),
    )


def header_to_json(header: TemplateHeader) -> JsonDict:
    return {
        "format_id": header.format_id,
        "format_version": header.format_version,
        "quality": header.quality,
        "created": header.created,
        "template_id": header.template_id,
    }


def header_from_json(data: JsonDict) -> TemplateHeader:
    return TemplateHeader(
        format_id=str(data["format_id"]),
        format_version=int(data["format_version"]),
        quality=int(data["quality"]),
        created=int(data["created"]),
        template_id=str(data["template_id"]),
    )


def error_to_json(error: ScannerError) -> JsonDict:
    return {"kind": "error", "code": error.code, "detail": error.detail()}


def error_from_json(data: JsonDict) -> ScannerError:
    return error_from_code(str(data["code"]), dict(data.get("detail") or {}))
