"""An export is on record before its file exists, and its outcome after.

Every service that writes pupil data to a file goes through ``logged_export``: the path is
checked first (a refused path writes neither entry nor file), then the entry (出力, 開始, with
the target, the file's name and the row count) is written; if the log cannot take it (the
store busy, a full disk) no file is written and the user is told so. The outcome (成功 with
the rows written, or 失敗) follows the write. A 開始 entry without an outcome means the
process ended during the write: the file may exist.

Each call names its export from ``export_purpose.catalog`` (no default, so a new export
must choose): an identifiable one is refused without a purpose, and above the lead's number
of pupils without the lead's approval (``export_purpose.check.authorize``); the purpose, the
pupils and the approval go into both entries.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from storage.errors import StoreError
from toda_desktop.errors import UserFacingError
from toda_desktop.export_files import ExportResult, check_output_path
from toda_desktop.export_purpose.catalog import ExportSpec
from toda_desktop.export_purpose.check import Authorization, authorize, release
from toda_desktop.export_purpose.model import Purpose

if TYPE_CHECKING:
    from toda_desktop.context import ServiceContext

STARTED = "started"  # the outcome of the entry written before the file
NOT_LOGGED = ("出力を記録できなかったため、ファイルは作成していません（出力は監査ログに"
              "記録してから行います）。")


def _reason(exc: Exception) -> str:
    return exc.message_ja if isinstance(exc, StoreError) else "記録の書き込みに失敗しました。"


def log_before(ctx: ServiceContext, action: str, target: str | None,
               detail: Mapping[str, Any]) -> None:
    """The entry that must exist before the file does; refuses the export if it cannot."""
    try:
        ctx.log(action, outcome=STARTED, target=target, detail=dict(detail))
    except Exception as exc:  # any failure: without the entry there is no file
        raise UserFacingError(f"{NOT_LOGGED}{_reason(exc)}") from None


def log_after(ctx: ServiceContext, action: str, target: str | None, detail: Mapping[str, Any],
              *, ok: bool) -> None:
    """The outcome. If even this cannot be written, the 開始 entry stands for the export
    (the file, if written, is kept: the user asked for it and it is on record)."""
    with contextlib.suppress(Exception):
        ctx.log(action, outcome="ok" if ok else "failed", target=target, detail=dict(detail))


def logged_export(
    ctx: ServiceContext, export: ExportSpec, *, target: str | None, path: Path, rows: int,
    write: Callable[[], ExportResult], detail: Mapping[str, Any] | None = None,
    overwrite: bool = False, action: str = "export", purpose: Purpose | None = None,
    pupils: int = 0, scope: str = "", authorized: Authorization | None = None,
) -> ExportResult:
    """Check the path, the right, the purpose and the approval; log 出力 (開始), write, log
    the outcome; returns what was written. ``pupils``: different pupils in the file (what
    the lead's number counts); ``scope``: what an approval is bound to (``authorize``);
    ``authorized``: one of several files of an export its service authorized once as a
    whole (the service gives its approval back if none is written)."""
    check_output_path(path, overwrite=overwrite)
    if authorized is not None:
        allowed, owned = authorized, False
    else:
        allowed, owned = authorize(ctx, export, purpose=purpose, pupils=pupils, scope=scope,
                                   target=target), True
    before = {"rows": rows, "file": path.name, **(detail or {}), **allowed.detail}
    try:
        log_before(ctx, action, target, before)
    except BaseException:
        if owned:
            release(ctx, allowed)
        raise
    try:
        written = write()
    except BaseException:
        if owned:
            release(ctx, allowed)
        log_after(ctx, action, target, before, ok=False)
        raise
    log_after(ctx, action, target, {**before, "rows": written.rows}, ok=True)
    return written
