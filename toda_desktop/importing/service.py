"""The import use case, shared by the wizard and ``python -m toda_desktop import``.

inspect (read, recognize the kind, map headers with the source's saved mapping) → preview
(parse and validate every row, link rows to pupils, compare with what is stored) → commit
(one transaction: a batch with provenance, new rows, optional overwrites, the review queue).
A file already imported is recognized by its content hash; a row already stored identically
is skipped, so importing twice adds nothing. Cancel and crashes leave the store as it was.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pandas as pd

from analysis.common import Cancelled as AnalysisCancelled
from analysis.common import concat_issues, issues_frame
from analysis.headers import HeaderMapping, KindGuess, map_headers, recognize_kind
from analysis.linkage import LINKED_METHODS, Candidate, link_rows, row_fingerprints
from analysis.textio import FileReadError, RawTable, read_table
from analysis.values import ParsedTable, find_duplicates, parse_table
from storage.connection import Connection, transaction
from storage.errors import Cancelled as StoreCancelled
from storage.registry import DatasetKind
from storage.repos import batches, datasets, imports
from toda_desktop.errors import OperationCancelled, UserFacingError
from toda_desktop.export_files import ExportResult, write_csv, write_xlsx
from toda_desktop.importing.frames import (
    json_row,
    key_text,
    natural_key,
    source_key,
    storage_frame,
    text_frame,
)
from toda_desktop.importing.reference import linkage_reference, stored_keys
from toda_desktop.services.search import refresh_pending

if TYPE_CHECKING:
    from toda_desktop.composition import SignedIn

Progress = Callable[[float], None]
CancelFlag = Callable[[], bool]
MAX_FILE_BYTES = 512 * 1024 * 1024
ISSUE_HEADER = ["ファイル", "行", "列", "値", "理由", "重要度"]
SEVERITY_LABELS = {"error": "エラー", "warning": "注意", "note": "参考"}


@dataclass
class FileInspection:
    """A file read and recognized; the wizard lets the user change ``kind`` and mapping."""

    path: Path
    file_name: str
    sha256: str
    source_key: str
    raw: RawTable
    guess: KindGuess
    kind: DatasetKind | None
    mapping: HeaderMapping | None
    already_imported: batches.BatchRow | None

    @property
    def encoding_label(self) -> str:
        return {"utf-8": "UTF-8", "utf-8-sig": "UTF-8（BOM付き）", "utf-16": "UTF-16",
                "cp932": "Shift_JIS（CP932）"}.get(self.raw.encoding or "", self.raw.source_format)


@dataclass
class ImportPreview:
    inspection: FileInspection
    kind: DatasetKind
    rows: pd.DataFrame  # storage values, index = file row; only rows to insert or queue
    issues: pd.DataFrame  # analysis issue columns + "file"
    counts: dict[str, int] = field(default_factory=dict)
    to_insert: pd.DataFrame = field(default_factory=pd.DataFrame)
    to_overwrite: pd.DataFrame = field(default_factory=pd.DataFrame)  # with existing "id"
    to_review: list[tuple[int, str, dict[str, Any], list[dict[str, Any]], str]] = field(
        default_factory=list
    )

    @property
    def has_changes(self) -> bool:
        return bool(len(self.to_insert) or len(self.to_overwrite) or self.to_review)

    def changes_with(self, overwrite: bool) -> bool:
        """Whether committing would store anything (conflicts only count when overwriting)."""
        return bool(len(self.to_insert) or self.to_review
                    or (overwrite and len(self.to_overwrite)))

    @property
    def can_commit(self) -> bool:
        return self.has_changes and not self.blocking

    @property
    def blocking(self) -> bool:
        file_level = self.issues["row"].isna() & (self.issues["severity"] == "error")
        return bool(file_level.any())


@dataclass(frozen=True)
class ImportResult:
    batch_id: int
    kind_label: str
    inserted: int
    overwritten: int
    queued: int
    skipped_identical: int
    excluded: int


def _cancelled(message: str = "取込を中止しました。データベースは変更されていません。") -> None:
    raise OperationCancelled(message)


class ImportService:
    def __init__(self, signed: SignedIn) -> None:
        self._signed = signed

    # -- step 1: read and recognize ---------------------------------------------------------

    def _importable_kinds(self) -> list[DatasetKind]:
        return list(self._signed.visible_kinds())

    def inspect(
        self, path: Path, kind_name: str | None = None, *, progress: Progress | None = None,
        cancel: CancelFlag | None = None,
    ) -> FileInspection:
        signed = self._signed
        signed.require("import")
        try:
            size = path.stat().st_size
        except OSError:
            raise UserFacingError(f"ファイル「{path.name}」を開けません。") from None
        if size > MAX_FILE_BYTES:
            raise UserFacingError(f"ファイル「{path.name}」が大きすぎます（512MBまで）。")
        try:
            raw = read_table(path, filename=path.name, progress=progress, cancel=cancel)
        except FileReadError as exc:
            raise UserFacingError(f"「{path.name}」: {exc}") from None
        except AnalysisCancelled:
            _cancelled("読み込みを中止しました。")
        kinds = self._importable_kinds()
        key = source_key(path.name)
        saved_by_kind = signed.store.db.call(
            lambda c: {k.name: imports.saved_mapping(c, key, k.name) for k in kinds}
        )
        guess = recognize_kind(raw.headers, kinds)
        chosen = kind_name or guess.kind
        if chosen is not None and chosen not in signed.registry.names:
            names = "、".join(f"{k.name}（{k.label}）" for k in kinds)
            raise UserFacingError(f"データの種類「{chosen}」はありません。指定できるのは: {names}")
        kind = None if chosen is None else signed.registry.kind(chosen)
        if kind is not None and kind not in kinds:
            raise UserFacingError(f"「{kind.label}」を取り込む権限がありません。")
        mapping = None
        if kind is not None:
            saved = saved_by_kind.get(kind.name) or None
            mapping = map_headers(raw.headers, kind.columns, saved, pupil=kind.pupil)
        sha = _sha256_of(path)
        previous = signed.store.db.call(lambda c: _committed_with_hash(c, sha))
        return FileInspection(path, path.name, sha, key, raw, guess, kind, mapping, previous)

    def remap(
        self, inspection: FileInspection, kind_name: str, saved: dict[str, str | None]
    ) -> FileInspection:
        """Apply the user's kind and header choices (and remember them for this source)."""
        signed = self._signed
        signed.require("import")
        kind = signed.registry.kind(kind_name)
        if kind not in self._importable_kinds():
            raise UserFacingError(f"「{kind.label}」を取り込む権限がありません。")
        signed.store.db.call(
            lambda c: imports.save_mapping(c, inspection.source_key, kind.name, dict(saved),
                                           signed.session.login_id)
        )
        inspection.kind = kind
        inspection.mapping = map_headers(inspection.raw.headers, kind.columns, saved,
                                         pupil=kind.pupil)
        return inspection

    # -- step 2: parse, validate, link, compare ---------------------------------------------

    def preview(
        self, inspection: FileInspection, *, progress: Progress | None = None,
        cancel: CancelFlag | None = None,
    ) -> ImportPreview:
        signed = self._signed
        signed.require("import")
        kind, mapping = inspection.kind, inspection.mapping
        if kind is None or mapping is None:
            raise UserFacingError(
                f"「{inspection.file_name}」のデータの種類を判断できません。種類を選んでください。"
            )

        def part(a: float, b: float) -> Progress | None:
            return None if progress is None else (lambda f: progress(a + (b - a) * f))

        try:
            parsed = parse_table(inspection.raw, mapping, kind.columns,
                                 progress=part(0.0, 0.4), cancel=cancel)
            preview = self._link_and_compare(inspection, kind, parsed, part(0.4, 1.0), cancel)
        except AnalysisCancelled:
            _cancelled("取込の準備を中止しました。")
        if inspection.already_imported is not None:
            b = inspection.already_imported
            preview.issues = _add_issue(
                preview.issues, None,
                f"このファイルは既に取り込まれています（取込番号 {b.id}、{b.imported_at}）。"
                "同じ行は取り込まず、新しく照合できた行だけを取り込みます。",
                "note", "already_imported",
            )
        preview.issues.insert(0, "file", inspection.file_name)
        return preview

    def _link_and_compare(
        self, inspection: FileInspection, kind: DatasetKind, parsed: ParsedTable,
        progress: Progress | None, cancel: CancelFlag | None,
    ) -> ImportPreview:
        signed = self._signed
        issues = parsed.issues
        valid = parsed.valid
        frame = parsed.frame if valid.all() else parsed.frame.loc[valid]  # no copy if all valid
        stored_cols = [c.key for c in kind.stored_columns]
        counts = {"rows": len(parsed.frame), "error_rows": len(parsed.error_rows)}
        review: list[tuple[int, str, dict[str, Any], list[dict[str, Any]], str]] = []
        if kind.links_to_pupil:
            pupils, enrollments, decisions = signed.store.db.call(linkage_reference)
            links = link_rows(
                frame, pupils, enrollments, decisions=decisions, source=inspection.source_key,
                event_date=kind.event_date, progress=progress, cancel=cancel,
            )
            method = links["method"]
            linked = method.isin(LINKED_METHODS)
            counts["auto_linked"] = int(linked.sum())
            counts["review"] = int((method == "review").sum())
            counts["rejected"] = int((method == "rejected").sum())
            rejected = links.index[method == "rejected"]
            issues = concat_issues([issues, issues_frame(
                rejected, None, None, "", links.loc[rejected, "reason"].astype(str).to_numpy(),
                "error", "unlinked")])
            for row in links.index[method == "review"]:
                values = json_row(frame.loc[row].to_dict())
                found = cast(tuple[Candidate, ...], links.at[row, "candidates"])
                candidates = [
                    {"pupil_id": c.pupil_id, "score": round(float(c.score), 1),
                     "evidence": c.evidence}
                    for c in found
                ]
                review.append((int(row), str(links.at[row, "fingerprint"]), values, candidates,
                               str(links.at[row, "reason"])))
            already = signed.store.db.call(
                lambda c: imports.waiting(c, kind.name, inspection.file_name))
            counts["already_waiting"] = sum((r[0], r[1]) in already for r in review)
            review = [r for r in review if (r[0], r[1]) not in already]
            if not linked.all():
                frame, links = frame.loc[linked], links.loc[linked]
            frame = frame.assign(pupil_id=links["pupil_id"].astype(int))
        rows = storage_frame(frame, (["pupil_id"] if kind.links_to_pupil else []) + stored_cols)
        key = natural_key(kind)
        drop, dup_issues = find_duplicates(
            text_frame(rows), key,
            labels={c.key: c.label for c in kind.columns} | {"pupil_id": "児童生徒"},
        )
        issues = concat_issues([issues, dup_issues])
        conflicting = set(dup_issues.loc[dup_issues["severity"] == "error", "row"].dropna())
        rows = rows.loc[~drop.to_numpy() & ~rows.index.isin(list(conflicting))]
        counts["duplicates_in_file"] = int(drop.sum()) + len(conflicting)
        # Stored rows as hashes of their key and values (key_text), read in chunks.
        stored = signed.store.db.call(
            lambda c: stored_keys(c, kind, rows, key, stored_cols))
        new_keys = key_text(rows, key)
        old_by_key = pd.Series(stored.index, index=stored["key"].to_numpy())
        present = new_keys.isin(stored["key"])
        # All new or all stored: the rows themselves, not a copy of them.
        to_insert = rows if not present.any() else rows.loc[~present.to_numpy()]
        matched = rows if present.all() else rows.loc[present.to_numpy()]
        if len(matched):
            ids = old_by_key.loc[new_keys[present].to_numpy()].to_numpy()
            same = (key_text(matched, stored_cols).to_numpy()
                    == stored["values"].reindex(ids).to_numpy())
            to_overwrite = matched.loc[~same].assign(id=ids[~same])
            issues = concat_issues([issues, issues_frame(
                to_overwrite.index, None, None, "",
                "既に取り込まれた記録と値が異なります（上書きを選ぶと置き換えます）。",
                "warning", "conflict")])
            counts["identical"] = int(same.sum())
        else:
            to_overwrite = matched.assign(id=pd.Series(dtype=object))
            counts["identical"] = 0
        counts["new"] = len(to_insert)
        counts["conflicts"] = len(to_overwrite)
        return ImportPreview(
            inspection=inspection, kind=kind, rows=rows, issues=issues, counts=counts,
            to_insert=to_insert, to_overwrite=to_overwrite, to_review=review,
        )

    # -- step 3: commit -----------------------------------------------------------------------

    def commit(
        self, preview: ImportPreview, *, overwrite: bool = False,
        progress: Progress | None = None, cancel: CancelFlag | None = None,
    ) -> ImportResult:
        """All or nothing: the batch, its rows, overwrites and review items in one transaction."""
        signed = self._signed
        signed.require("import")
        if overwrite:
            signed.require("edit")
        if not preview.changes_with(overwrite):
            raise UserFacingError("取り込む新しい行がありません（すべて取込済みか、"
                                  "上書きを選ばなかった既存の記録です）。")
        if preview.blocking:
            raise UserFacingError("ファイル全体に関わるエラーがあるため取り込めません。"
                                  "検証結果を確認してください。")
        kind = preview.kind
        inspection = preview.inspection
        columns = list(preview.to_insert.columns)
        stored = [c.key for c in kind.stored_columns]
        total = max(1, len(preview.to_insert))

        def write(conn: Connection) -> ImportResult:
            with transaction(conn):
                batch_id = batches.create(conn, kind.name, inspection.file_name,
                                          inspection.sha256, signed.session.login_id)
                rows = preview.to_insert.assign(source_row=preview.to_insert.index)
                inserted = datasets.insert_rows(
                    conn, kind, [*columns, "source_row"],
                    rows.itertuples(index=False, name=None), batch_id=batch_id,
                    progress=None if progress is None else (lambda n: progress(n / total)),
                    cancel=cancel,
                )
                overwritten = 0
                if overwrite and len(preview.to_overwrite):
                    overwritten = _overwrite(conn, kind, preview.to_overwrite, stored, batch_id)
                queued = imports.enqueue(conn, batch_id, kind.name, inspection.file_name,
                                         preview.to_review)
                batches.set_row_count(conn, batch_id, inserted + overwritten)
                refresh_pending(conn)  # names and classes searchable at once
                return ImportResult(
                    batch_id=batch_id, kind_label=kind.label, inserted=inserted,
                    overwritten=overwritten, queued=queued,
                    skipped_identical=preview.counts.get("identical", 0),
                    excluded=preview.counts.get("error_rows", 0)
                    + preview.counts.get("rejected", 0),
                )

        try:
            result = signed.store.db.call(write)
        except StoreCancelled:
            _cancelled()
        signed.audit.record(
            signed.session.login_id, "import", target=kind.name,
            detail={"batch_id": result.batch_id, "file": inspection.file_name,
                    "sha256": inspection.sha256, "inserted": result.inserted,
                    "overwritten": result.overwritten, "queued": result.queued,
                    "excluded": result.excluded},
        )
        return result

    def export_issues(
        self, previews: ImportPreview | Sequence[ImportPreview], path: Path,
        encoding: str = "utf-8-sig",
    ) -> ExportResult:
        """The validation report for the school that sent the file(s) (CSV or .xlsx), logged:
        it holds cell values from the files, so it needs "export" like any other output."""
        signed = self._signed
        signed.require("export")
        chosen = [previews] if isinstance(previews, ImportPreview) else list(previews)
        rows = [row for preview in chosen for row in issue_rows(preview)]
        if path.suffix.lower() == ".xlsx":
            result = write_xlsx(path, ISSUE_HEADER, rows, sheet="検証結果")
        else:
            result = write_csv(path, ISSUE_HEADER, rows, encoding=encoding)
        signed.audit.record(signed.session.login_id, "export", target="validation_report",
                            detail={"rows": result.rows, "file": path.name})
        return result

    # -- batches ------------------------------------------------------------------------------

    def batches(self) -> list[batches.BatchRow]:
        self._signed.require("import")
        return self._signed.store.db.call(batches.all_batches)

    def rollback(self, batch_id: int) -> dict[str, int]:
        """Remove exactly one batch (its rows, its open review items) and restore what it
        overwrote. Refused while later data refers to pupils the batch created."""
        signed = self._signed
        signed.require("import")
        registry = signed.registry

        def undo(conn: Connection) -> dict[str, int]:
            with transaction(conn):
                row = conn.execute(
                    "SELECT kind, status FROM import_batches WHERE id = ?", (batch_id,)
                ).fetchone()
                if row is None or row[1] != "committed":
                    raise UserFacingError("その取込は見つからないか、既に取り消されています。")
                if registry.kind(str(row[0])).master:
                    _refuse_if_referenced(conn, registry.kinds, batch_id)
                removed = imports.rollback_batch(conn, registry, batch_id)
                refresh_pending(conn)  # removed pupils leave the search index at once
                return removed

        removed = signed.store.db.call(undo)
        signed.audit.record(signed.session.login_id, "import_rollback",
                            detail={"batch_id": batch_id, "removed": removed})
        return removed


def _sha256_of(path: Path) -> str:
    """The file's content hash, read in pieces (the file itself is never held whole)."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _committed_with_hash(conn: Connection, sha256: str) -> batches.BatchRow | None:
    for row in batches.all_batches(conn):
        if row.content_sha256 == sha256 and row.status == "committed":
            return row
    return None


def _overwrite(
    conn: Connection, kind: DatasetKind, rows: pd.DataFrame, stored: list[str], batch_id: int
) -> int:
    assignments = ", ".join(f"{c} = ?" for c in stored)
    for values in rows.to_dict("records"):
        record_id = int(values["id"])
        old = conn.execute(
            f"SELECT {', '.join(stored)}, batch_id FROM {kind.table} WHERE id = ?", (record_id,)
        ).fetchone()
        imports.remember_overwrite(conn, batch_id, kind.name, record_id,
                                   dict(zip([*stored, "batch_id"], old, strict=True)))
        conn.execute(f"UPDATE {kind.table} SET {assignments}, batch_id = ? WHERE id = ?",
                     (*[values[c] for c in stored], batch_id, record_id))
    return len(rows)


def _refuse_if_referenced(conn: Connection, kinds: tuple[DatasetKind, ...], batch_id: int) -> None:
    for kind in kinds:
        if not kind.links_to_pupil:
            continue
        hit = conn.execute(
            f"SELECT 1 FROM {kind.table} t JOIN ds_students p ON p.id = t.pupil_id"
            " WHERE p.batch_id = ? AND t.batch_id IS NOT ? LIMIT 1", (batch_id, batch_id)
        ).fetchone()
        if hit is not None:
            raise UserFacingError(
                "この取込で登録した児童生徒を、後の取込の記録が参照しているため取り消せません。"
                f"先に「{kind.label}」の取込を取り消してください。"
            )


def _add_issue(
    issues: pd.DataFrame, row: int | None, reason: str, severity: str, code: str
) -> pd.DataFrame:
    return concat_issues([issues, issues_frame([row], None, None, "", reason, severity, code)])


def issue_rows(preview: ImportPreview) -> list[list[object]]:
    """The validation report as rows (for the screen and for export)."""
    frame = preview.issues.sort_values(["row"], na_position="first", kind="stable")
    return [
        [r["file"], "" if pd.isna(r["row"]) else int(r["row"]), r["column"] or "", r["value"],
         r["reason"], SEVERITY_LABELS.get(str(r["severity"]), str(r["severity"]))]
        for r in frame.to_dict("records")
    ]


__all__ = ["ISSUE_HEADER", "FileInspection", "ImportPreview", "ImportResult", "ImportService",
           "issue_rows", "row_fingerprints"]
