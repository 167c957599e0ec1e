"""Records of one pupil per dataset kind, edits, and dataset export — each within the map.

Every call checks the role's function (view, edit, export) and that the dataset's domain is
within the role's need to know, and is audit-logged with the pupil affected. A kind the role
may not see is not listed at all (not even as a count).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from storage.connection import Connection, transaction
from storage.registry import DatasetKind
from storage.repos import records
from toda_desktop.errors import PermissionDenied, UserFacingError
from toda_desktop.export_files import ExportResult, write_csv, write_xlsx
from toda_desktop.services.search import hidden_id_columns

if TYPE_CHECKING:
    from toda_desktop.composition import SignedIn


@dataclass(frozen=True)
class LinkedDataset:
    kind: str
    label: str
    section: str
    count: int


@dataclass(frozen=True)
class RecordTable:
    kind: str
    label: str
    headers: tuple[str, ...]
    keys: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]
    record_ids: tuple[int, ...]
    sources: tuple[str, ...]  # "file (imported at)" per row


class RecordsService:
    def __init__(self, signed: SignedIn) -> None:
        self._signed = signed

    def _kind(self, function: str, kind_name: str) -> DatasetKind:
        signed = self._signed
        signed.require(function)
        kind = signed.registry.kind(kind_name)
        if not signed.policy.role(signed.session.role).sees(kind):
            signed.audit.record(signed.session.login_id, "permission_denied", outcome="denied",
                                target=f"{function}:{kind_name}")
            raise PermissionDenied(f"「{kind.label}」を扱う権限がありません。")
        return kind

    def visible_kinds(self) -> tuple[DatasetKind, ...]:
        signed = self._signed
        return signed.policy.visible_kinds(signed.session.role, signed.registry)

    def linked_datasets(self, pupil_id: int) -> list[LinkedDataset]:
        """The 連携情報 list: every pupil dataset the role may see, with counts."""
        signed = self._signed
        signed.require("view")
        kinds = [k for k in self.visible_kinds() if k.pupil]
        counts = signed.store.db.call(
            lambda c: [records.count_for_pupil(c, k, pupil_id) for k in kinds]
        )
        signed.audit.record(signed.session.login_id, "view_karte", pupil_id=pupil_id)
        return [
            LinkedDataset(k.name, k.label, k.karte_section, n)
            for k, n in zip(kinds, counts, strict=True)
        ]

    def records(self, kind_name: str, pupil_id: int) -> RecordTable:
        kind = self._kind("view", kind_name)
        signed = self._signed
        raw = signed.store.db.call(lambda c: records.for_pupil(c, kind, pupil_id))
        signed.audit.record(signed.session.login_id, "view_records", target=kind.name,
                            pupil_id=pupil_id, detail={"rows": len(raw.rows)})
        hidden = hidden_id_columns(signed.policy.role(signed.session.role), signed.registry)
        keep = [i for i, c in enumerate(raw.columns) if c not in hidden]
        return RecordTable(
            kind=kind.name,
            label=kind.label,
            headers=tuple(kind.column(raw.columns[i]).label for i in keep),
            keys=tuple(raw.columns[i] for i in keep),
            rows=tuple(tuple(row[i] for i in keep) for row in raw.rows),
            record_ids=raw.ids,
            sources=tuple(f"{src}（{at.replace('T', ' ')}）" for src, at in raw.provenance),
        )

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
        signed = self._signed

        def write(conn: Connection) -> int | None:
            with transaction(conn):
                pupil = records.pupil_of(conn, kind, record_id)
                records.get_value(conn, kind, record_id, column)
                records.set_value(conn, kind, record_id, column, value)
                return pupil

        try:
            pupil_id = signed.store.db.call(write)
        except KeyError:
            raise UserFacingError("その記録は見つかりません。") from None
        signed.audit.record(signed.session.login_id, "edit", target=f"{kind.name}.{column}",
                            pupil_id=pupil_id, detail={"record_id": record_id})

    def export_dataset(
        self, kind_name: str, path: Path, encoding: str = "utf-8-sig"
    ) -> ExportResult:
        """A whole dataset, with the linked pupil's 宛名番号 for pupil kinds."""
        kind = self._kind("export", kind_name)
        signed = self._signed
        hidden = hidden_id_columns(signed.policy.role(signed.session.role), signed.registry)
        columns = [c.key for c in kind.stored_columns if c.key not in hidden]
        headers = [kind.column(c).label for c in columns]
        if kind.links_to_pupil:
            headers = ["宛名番号", *headers]
        rows = signed.store.db.call(lambda c: list(records.export_rows(c, kind, columns)))
        if path.suffix.lower() == ".xlsx":
            result = write_xlsx(path, headers, rows, sheet=kind.label)
        else:
            result = write_csv(path, headers, rows, encoding=encoding)
        signed.audit.record(signed.session.login_id, "export", target=kind.name,
                            detail={"rows": result.rows, "file": path.name,
                                    "date": date.today().isoformat()})
        return result
