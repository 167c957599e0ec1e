"""Copies of table cells to the clipboard (Ctrl+C, issue 16), treated as small exports.

A copy leaves the product as a file does, so it is checked and logged the same way, but
without a purpose (copies are small and frequent): cells that belong to pupils (or whose
table cannot tell) need 出力 (``export``); cells of a table without pupils (totals) need
集計の出力 (``export_aggregate``, which ``export`` includes). At most ``MAX_COPY_ROWS`` rows
go at once; more is a file export with its purpose and approval. Every copy is logged
(``copy_cells``) with the page, how many rows, columns and pupils, and the pupils' internal
ids, before the cells reach the clipboard; the cells themselves are never logged.
"""

from __future__ import annotations

from collections.abc import Sequence

from toda_desktop.context import ServiceContext
from toda_desktop.errors import UserFacingError

MAX_COPY_ROWS = 100
TOO_MANY = (
    f"一度にコピーできるのは{MAX_COPY_ROWS}行までです。それより多いときは、"
    "画面の「出力」から目的を記入してファイルに保存してください。"
)


class ClipboardService:
    def __init__(self, context: ServiceContext) -> None:
        self._ctx = context

    def record_copy(self, page: str, rows: int, columns: int,
                    pupils: Sequence[int] | None) -> None:
        """Check and log one copy (call before the cells are put on the clipboard).
        ``pupils``: the pupils of the copied rows; None when the table cannot tell (then the
        copy counts as pupil data)."""
        ctx = self._ctx
        ctx.gate.require_session("copy_cells")  # (a locked session is refused first)
        holds_pupils = pupils is None or len(pupils) > 0
        if holds_pupils or not ctx.gate.may("export"):
            ctx.gate.require("export" if holds_pupils else "export_aggregate")
        if rows > MAX_COPY_ROWS:
            raise UserFacingError(TOO_MANY)
        ids = sorted(set(pupils or ()))
        detail: dict[str, object] = {"rows": rows, "columns": columns}
        if pupils is None:
            detail["pupils_unknown"] = True
        else:
            detail.update(pupils=len(ids), pupil_ids=ids)
        ctx.log("copy_cells", target=f"page:{page}" if page else None,
                pupil_id=ids[0] if len(ids) == 1 else None, detail=detail)
