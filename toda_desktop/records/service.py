"""Editing records and exporting whole datasets — each within the map.

Every call checks the role's function (edit, export) and that the dataset's domain is within
the role's need to know, and is audit-logged with the pupil affected. Reading one pupil's
records is the karte's job (``services/karte.py``).
"""

from __future__ import annotations

from pathlib import Path

from storage.connection import Connection, transaction
from storage.registry import DatasetKind
from storage.repos import records
from toda_desktop.clock import today
from toda_desktop.context import ServiceContext
from toda_desktop.errors import UserFacingError
from toda_desktop.export_files import ExportResult, check_output_path, write_csv, write_xlsx
from toda_desktop.export_log import logged_export
from toda_desktop.export_purpose.catalog import DATASET, DATASET_NO_PUPILS
from toda_desktop.export_purpose.model import Purpose
from toda_desktop.withheld import ASK_FOR_KEYS


class RecordsService:
    def __init__(self, context: ServiceContext) -> None:
        self._ctx = context

    def _kind(self, function: str, kind_name: str) -> DatasetKind:
        return self._ctx.gate.require_kind(function, kind_name)

    def update(self, kind_name: str, record_id: int, column: str, value: object) -> None:
        kind = self._kind("edit", kind_name)
        spec = kind.column(column)
        if not spec.stored:
            raise UserFacingError(f"「{spec.label}」は編集できません。")
        if spec.required and (value is None or value == ""):
            raise UserFacingError(f"「{spec.label}」は空にできません。")
        if spec.values and value not in spec.values and value is not None:
            choices = "・".join(spec.values)
            raise UserFacingError(f"「{spec.label}」には {choices} のいずれかを入力してください。")
        ctx = self._ctx

        def write(conn: Connection) -> int | None:
            with transaction(conn):
                pupil = records.pupil_of(conn, kind, record_id)
                records.get_value(conn, kind, record_id, column)
                records.set_value(conn, kind, record_id, column, value)
                return pupil

        try:
            pupil_id = ctx.db.call(write, kind=kind.name)
        except KeyError:
            raise UserFacingError("その記録は見つかりません。") from None
        ctx.log("edit", target=f"{kind.name}.{column}", pupil_id=pupil_id,
                detail={"record_id": record_id})

    def export_dataset(
        self, kind_name: str, path: Path, encoding: str = "utf-8-sig", *,
        overwrite: bool = False, purpose: Purpose | None = None,
    ) -> ExportResult:
        """A whole dataset, with the linked pupil's 宛名番号 for pupil kinds; logged before
        the file is written, its outcome after (``export_log``). A pupil kind is an
        identifiable export (``purpose``; above the lead's number of pupils, an approval);
        a kind without pupils is aggregate (``export_aggregate`` suffices)."""
        ctx = self._ctx
        names = ctx.registry.names
        about_pupils = kind_name not in names or ctx.registry.kind(kind_name).pupil
        spec = DATASET if about_pupils else DATASET_NO_PUPILS
        aggregate_only = not spec.identifiable and not ctx.gate.may("export")
        kind = self._kind("export_aggregate" if aggregate_only else "export", kind_name)
        if kind.links_to_pupil and not ctx.gate.sees(ctx.registry.master.name):
            # The 宛名番号 comes from the basic group's file, not attached without its key.
            raise UserFacingError(f"「{kind.label}」は宛名番号を付けて出力するため、"
                                  "児童生徒基本情報の鍵が必要です。" + ASK_FOR_KEYS)
        hidden = ctx.gate.hidden_ids()
        columns = [c.key for c in kind.stored_columns if c.key not in hidden]
        headers = [kind.column(c).label for c in columns]
        if kind.links_to_pupil:
            headers = ["宛名番号", *headers]
        check_output_path(path, overwrite=overwrite)  # before reading a whole dataset
        rows = ctx.db.call(lambda c: list(records.export_rows(c, kind, columns)),
                           kind=kind.name)

        if kind.pupil and not ctx.gate.role.former_pupils:  # issue 13: not former pupils' rows
            from toda_desktop.search.former import without_former_rows

            at = 0 if kind.links_to_pupil else columns.index("address_code")
            rows = without_former_rows(ctx, rows, at)

        def write() -> ExportResult:
            if path.suffix.lower() == ".xlsx":
                return write_xlsx(path, headers, rows, sheet=kind.label, overwrite=overwrite)
            return write_csv(path, headers, rows, encoding=encoding, overwrite=overwrite)

        # Pupils, not rows: a linked kind's rows carry the pupil's 宛名番号 first.
        pupils = len({r[0] for r in rows}) if kind.links_to_pupil else len(rows)
        return logged_export(ctx, spec, target=kind.name, path=path, rows=len(rows),
                             write=write, overwrite=overwrite, purpose=purpose,
                             pupils=pupils if kind.pupil else 0, scope=kind.name,
                             detail={"date": today(ctx.clock).isoformat()})
