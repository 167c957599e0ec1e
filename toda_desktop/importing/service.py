"""The import use case, shared by the wizard and ``python -m toda_desktop import``.

inspect (read, recognize the kind, map headers with the source's saved mapping) → preview
(parse and validate every row, link rows to pupils, compare with what is stored) → commit
(one transaction: a batch with provenance, new rows, optional overwrites, the review queue).
A file already imported is recognized by its content hash; a row already stored identically
is skipped, so importing twice adds nothing. Cancel and crashes leave the store as it was.
Rows are linked, compared and stored ``chunk_rows`` at a time (one code path for any size):
the preview keeps counts, findings and one flag per row, not the converted rows.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis.common import Cancelled as AnalysisCancelled
from analysis.common import empty_issues, issues_frame
from analysis.headers import HeaderMapping, KindGuess, map_headers, recognize_kind
from analysis.layouts import source_frame
from analysis.linkage import LINKED_METHODS, Candidate, link_rows, row_fingerprints
from analysis.textio import (
    FileReadError,
    RawTable,
    is_workbook,
    read_table,
    read_text_chunked,
    workbook_sheets,
)
from analysis.values import (
    ParsedTable,
    blank_equal_key,
    compact_column,
    find_duplicates,
    occurrence_numbers,
    parse_table,
    value_key,
)
from kernel.date_style import DateStyle
from kernel.progress import CancelFlag, Progress
from storage import findings_spill, placement, statistics
from storage.connection import Connection, transaction
from storage.errors import Cancelled as StoreCancelled
from storage.errors import StoreError
from storage.registry import OCCURRENCE, DatasetKind
from storage.repos import batches, datasets, imports, stored_rows
from toda_desktop import heap
from toda_desktop.audit.trail import PendingEntry
from toda_desktop.context import ServiceContext
from toda_desktop.errors import OperationCancelled, UserFacingError
from toda_desktop.export_files import ExportResult, write_csv, write_xlsx
from toda_desktop.export_log import logged_export
from toda_desktop.export_purpose.catalog import VALIDATION_REPORT
from toda_desktop.export_purpose.model import Purpose
from toda_desktop.export_purpose.pupils import rows_cited_in
from toda_desktop.importing.changes import KeyPart, pupil_text, record_text
from toda_desktop.importing.chunks import HeldRows, RowSource, StreamedRows
from toda_desktop.importing.compare import IdenticalRows
from toda_desktop.importing.findings import SEVERITY_LABELS, report_lines
from toda_desktop.importing.findings_held import Findings, Step
from toda_desktop.importing.frames import (
    json_row,
    key_text,
    natural_key,
    source_key,
    storage_frame,
)
from toda_desktop.importing.layouts import apply_layout, file_rows, layout_columns
from toda_desktop.importing.reference import (
    linkage_reference,
    rows_by_id,
    stored_keys,
    stored_occasions,
)
from toda_desktop.search.keys import refresh_pending

MAX_FILE_BYTES = 512 * 1024 * 1024
ISSUE_HEADER = ["ファイル", "行", "列", "値", "理由", "重要度"]
# Below this confidence a recognized kind is only a suggestion: the command line refuses it
# unless --kind is given, the wizard asks the user to check it.
CLEAR_CONFIDENCE = 0.6

CITED_BLOCK = 65_536  # findings read at a time to count the rows a report cites


@dataclass(frozen=True)
class SheetInfo:
    """One sheet of a workbook: whether it is read, and why not (Japanese) when it is not."""

    name: str
    read: bool
    reason: str = ""


@dataclass(frozen=True)
class FieldChange:
    """One value an overwrite would replace: the file row, the stored record (its natural
    key in words), the column's label, and the old and new values as text."""

    row: int
    record_id: int
    record: str
    column: str
    old: str
    new: str
    # The pupil as the role may see them (氏名・宛名番号, or "") and the record's key parts
    # without the store's pupil id: ``text`` puts them in the user's DateStyle.
    who: str = ""
    key: tuple[KeyPart, ...] = ()

    def text(self, style: DateStyle) -> str:
        """The record in words (「山田　太郎（宛名番号 …）・令和7年度・5月」)."""
        return record_text(self.who, self.key, style)


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
    # The workbook's sheets (empty for CSV), and the notes about sheets not read, carried by
    # the first inspection of a file only (so a report says them once).
    sheets: tuple[SheetInfo, ...] = ()
    sheet_notes: tuple[str, ...] = ()

    @property
    def sheet(self) -> str | None:
        return self.raw.sheet
    # The source's own spellings of listed values: column key → {as written → listed value}.
    value_maps: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def encoding_label(self) -> str:
        if self.raw.encoding is None:  # a workbook has no character code of its own
            return {"xlsx": "Excel（.xlsx）", "xls": "Excel（.xls）",
                    "ods": "OpenDocument（.ods）"}.get(self.raw.source_format,
                                                       self.raw.source_format)
        return {"utf-8": "UTF-8", "utf-8-sig": "UTF-8（BOM付き）", "utf-16": "UTF-16",
                "cp932": "Shift_JIS（CP932）"}.get(self.raw.encoding, self.raw.source_format)


# Rows of a file linked, converted and compared at a time: the preview and the commit hold
# one chunk's rows, never the whole file's (a file of any size stays within a bounded memory
# beside its compact text table and typed values).
CHUNK_ROWS = 100_000
# Rows to insert kept in the preview to show (all of them are counted).
SAMPLE_ROWS = 1_000


@dataclass(frozen=True)
class _CommitPlan:
    """What commit needs to convert the rows to insert again, chunk by chunk: the valid typed
    rows, and per row whether it was linked, its pupil, its occurrence number, and whether it
    is to be inserted (new) or is a repeat that may be kept."""

    source: RowSource
    columns: list[str]
    linked: npt.NDArray[np.bool_]
    pupil: npt.NDArray[np.int64]
    occurrences: npt.NDArray[np.int64]
    insert: npt.NDArray[np.bool_]
    repeat: npt.NDArray[np.bool_]


@dataclass
class ImportPreview:
    inspection: FileInspection
    kind: DatasetKind
    rows: pd.DataFrame  # storage values, index = file row; only rows to insert or queue
    # What the checks found (``importing.findings_held``): compact, at most a bounded number
    # in memory and the rest in an encrypted spill file; read block by block.
    findings: Findings
    counts: dict[str, int] = field(default_factory=dict)
    to_insert: pd.DataFrame = field(default_factory=pd.DataFrame)
    to_overwrite: pd.DataFrame = field(default_factory=pd.DataFrame)  # with existing "id"
    to_review: list[tuple[int, str, dict[str, Any], list[dict[str, Any]], str]] = field(
        default_factory=list
    )
    # Every value an overwrite would replace (shown before committing with overwrite).
    changes: list[FieldChange] = field(default_factory=list)
    # Rows identical to an earlier row of the file, not yet stored, for a kind whose identical
    # rows may be real repeats (health-room visits): stored only with keep_repeats.
    repeat_rows: pd.DataFrame = field(default_factory=pd.DataFrame)
    unknown_values: list[UnknownValue] = field(default_factory=list)
    # How commit rebuilds the rows to insert, chunk by chunk (``to_insert`` and ``rows`` are
    # only the first SAMPLE_ROWS of them; ``counts["new"]`` is how many there are).
    plan: _CommitPlan | None = field(default=None, repr=False)
    # Stored records the file holds identically (record id, file row): noted with the batch,
    # so that rolling back the batch that stored them keeps them (see imports.confirm_rows).
    identical: IdenticalRows = field(default_factory=IdenticalRows)

    @property
    def issues(self) -> pd.DataFrame:
        """Every finding in one compact table (analysis issue columns + "file"), in the
        report's order: for tests and small files; the product reads ``findings``."""
        return self.findings.whole()

    def close(self) -> None:
        """The preview is done with: its findings are let go (a spill file deleted)."""
        self.findings.close()

    @property
    def has_changes(self) -> bool:
        return bool(self._new or len(self.to_overwrite) or self.to_review)

    @property
    def _new(self) -> int:
        return self.counts.get("new", len(self.to_insert))

    def changes_with(self, overwrite: bool, keep_repeats: bool = False) -> bool:
        """Whether committing would store anything (conflicts only count when overwriting,
        repeated rows when keeping them)."""
        return bool(self._new or self.to_review
                    or (overwrite and len(self.to_overwrite))
                    or (keep_repeats and len(self.repeat_rows)))

    @property
    def can_commit(self) -> bool:
        return self.has_changes and not self.blocking

    @property
    def blocking(self) -> bool:
        return self.findings.blocking


@dataclass(frozen=True)
class UnknownValue:
    """A value outside a listed column's values, as the wizard offers it for mapping."""

    column_key: str
    column_label: str
    value: str
    count: int
    known: tuple[str, ...]
    required: bool  # required column: its rows are refused until the value is mapped


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


class ImportingService:
    def __init__(self, context: ServiceContext) -> None:
        self._ctx = context
        self.chunk_rows = CHUNK_ROWS
        # Findings a preview keeps in memory (None: findings_held.HELD_FINDINGS); beyond,
        # they go to an encrypted spill file beside the store.
        self.held_findings: int | None = None

    # -- step 1: read and recognize ---------------------------------------------------------

    def _importable_kinds(self) -> list[DatasetKind]:
        return list(self._ctx.gate.visible_kinds())

    def inspect(
        self, path: Path, kind_name: str | None = None, *, sheet: str | None = None,
        progress: Progress | None = None, cancel: CancelFlag | None = None,
    ) -> FileInspection:
        """The file (or its first fitting sheet, or ``sheet``) read and recognized. Other
        fitting sheets are named in its notes: :meth:`inspect_sheets` reads them all."""
        found = self.inspect_sheets(path, kind_name, sheet=sheet, progress=progress,
                                    cancel=cancel)
        first = found[0]
        first.sheet_notes += tuple(
            f"シート「{other.sheet}」も読めますが、この取込には含まれません。"
            "シートを選んで別に取り込んでください。" for other in found[1:])
        return first

    def inspect_sheets(
        self, path: Path, kind_name: str | None = None, *, sheet: str | None = None,
        progress: Progress | None = None, cancel: CancelFlag | None = None,
    ) -> list[FileInspection]:
        """One inspection per sheet to read: for a CSV the file; for a workbook every visible
        sheet whose header fits a kind (or only ``sheet``). Each inspection lists all the
        workbook's sheets; the first carries a note for each sheet not read and why. When no
        sheet fits, the first readable one is returned so the user can map it by hand."""
        ctx = self._ctx
        ctx.gate.require("import")
        try:
            size = path.stat().st_size
        except OSError:
            raise UserFacingError(f"ファイル「{path.name}」を開けません。") from None
        if size > MAX_FILE_BYTES:
            raise UserFacingError(f"ファイル「{path.name}」が大きすぎます（512MBまで）。")
        kinds = self._importable_kinds()
        if kind_name is not None:
            self._chosen_kind(kind_name, kinds)  # refuse an unknown kind before reading
        key = source_key(path.name)
        saved_by_kind = ctx.db.call(
            lambda c: {k.name: imports.saved_mapping(c, key, k.name) for k in kinds}
        )
        maps_by_kind = ctx.db.call(
            lambda c: {k.name: imports.saved_value_maps(c, key, k.name) for k in kinds}
        )
        sha = _sha256_of(path)
        # Large arrays mapped only while they live, not kept in the heap after they are freed
        # (glibc raises its mmap threshold after each large free): a big file's reading and
        # checking would otherwise leave hundreds of MB of dead pieces in the process.
        heap.fix_mmap_threshold()

        def read(name: str | None, a: float, b: float) -> RawTable:
            part = None if progress is None else (lambda f: progress(a + (b - a) * f))
            try:
                if isinstance(source, Path):
                    # A CSV is scanned and read again in chunks by the preview and the
                    # commit; a form to reshape (recognized by its header) is read whole.
                    head = read_text_chunked(source, progress=part, cancel=cancel)
                    shaped = apply_layout(head, source, path.name, ctx.registry,
                                          kind_name)
                    if shaped is head:
                        return head
                raw = read_table(source, filename=path.name, sheet=name, progress=part,
                                 cancel=cancel)
                heap.trim()  # the pieces read, freed
                return apply_layout(raw, source, path.name, ctx.registry, kind_name)
            except AnalysisCancelled:
                _cancelled("読み込みを中止しました。")
                raise  # unreachable: _cancelled raises

        def inspection(raw: RawTable, file_name: str) -> FileInspection:
            guess = recognize_kind(raw.headers, kinds)
            kind = self._chosen_kind(kind_name or guess.kind, kinds)
            mapping = None
            value_maps: dict[str, dict[str, str]] = {}
            if kind is not None:
                saved = saved_by_kind.get(kind.name) or None
                mapping = map_headers(raw.headers, kind.columns, saved, pupil=kind.pupil,
                                      derived=self._derived_headers(kind))
                value_maps = maps_by_kind.get(kind.name, {})
            previous = ctx.db.call(
                lambda c: _committed_with_hash(c, sha, None if file_name == path.name
                                               else file_name))
            return FileInspection(path, file_name, sha, key, raw, guess, kind, mapping,
                                  previous, value_maps=value_maps)

        with path.open("rb") as f:
            head = f.read(8)
        # A CSV is read from the file in pieces; a workbook is opened whole.
        workbook = is_workbook(head, path.name)
        source: bytes | Path = path.read_bytes() if workbook else path
        if not workbook:
            if sheet is not None:
                raise UserFacingError(f"「{path.name}」は Excel のファイルではないため、シートを"
                                      "指定できません。")
            try:
                return [inspection(read(None, 0.0, 1.0), path.name)]
            except FileReadError as exc:
                raise UserFacingError(f"「{path.name}」: {exc}") from None
        try:
            entries = workbook_sheets(cast(bytes, source))
        except FileReadError as exc:
            raise UserFacingError(f"「{path.name}」: {exc}") from None
        if sheet is not None and sheet not in [e.name for e in entries]:
            names = "、".join(f"「{e.name}」" for e in entries)
            raise UserFacingError(f"「{path.name}」にシート「{sheet}」はありません"
                                  f"（シート: {names}）。")
        # With more than one sheet, each batch is named with its sheet (they share a hash).
        several = sum(e.worksheet for e in entries) > 1
        infos: list[SheetInfo] = []
        found: list[FileInspection] = []
        fallback: FileInspection | None = None
        for number, entry in enumerate(entries):
            if sheet is not None and entry.name != sheet:
                infos.append(SheetInfo(entry.name, False, "ほかのシートを指定したため読みません。"))
                continue
            if not entry.worksheet:
                infos.append(SheetInfo(entry.name, False, "表ではないシート（グラフなど）です。"))
                continue
            if not entry.visible and sheet is None:
                infos.append(SheetInfo(entry.name, False, "非表示のシートです（読むときはシート名を"
                                                          "指定してください）。"))
                continue
            share = 1.0 / max(1, len(entries))
            try:
                raw = read(entry.name, number * share, (number + 1) * share)
            except FileReadError as exc:
                infos.append(SheetInfo(entry.name, False, str(exc)))
                continue
            name = f"{path.name}（シート「{entry.name}」）" if several else path.name
            found_one = inspection(raw, name)
            misfit = None if sheet is not None else _misfit(found_one)
            if misfit is None:
                found.append(found_one)
                infos.append(SheetInfo(entry.name, True))
            else:
                infos.append(SheetInfo(entry.name, False, misfit))
                fallback = fallback or found_one
        if not found:
            if fallback is None:
                reasons = "".join(f" シート「{i.name}」: {i.reason}" for i in infos)
                raise UserFacingError(f"「{path.name}」に読めるシートがありません。{reasons}")
            found = [fallback]
            infos = [SheetInfo(i.name, True) if i.name == fallback.sheet else i for i in infos]
        sheets = tuple(infos)
        for one in found:
            one.sheets = sheets
        found[0].sheet_notes = tuple(
            f"シート「{i.name}」は読みませんでした: {i.reason}" for i in sheets if not i.read)
        return found

    def _chosen_kind(self, name: str | None, kinds: list[DatasetKind]) -> DatasetKind | None:
        ctx = self._ctx
        if name is None:
            return None
        if name not in ctx.registry.names:
            names = "、".join(f"{k.name}（{k.label}）" for k in kinds)
            raise UserFacingError(f"データの種類「{name}」はありません。指定できるのは: {names}")
        kind = ctx.registry.kind(name)
        if kind not in kinds:
            raise UserFacingError(f"「{kind.label}」を取り込む権限がありません。")
        return kind

    def _derived_headers(self, kind: DatasetKind) -> dict[str, str]:
        """Headers of the 年度 a kind without a 年度 column takes from its event date."""
        if kind.event_date is None or kind.has_column("school_year"):
            return {}
        source = next(c.label for c in kind.columns if c.key == kind.event_date)
        names = {c.label for k in self._ctx.registry.kinds for c in k.columns
                 if c.key == "school_year"}
        names |= {s for k in self._ctx.registry.kinds for c in k.columns
                  if c.key == "school_year" for s in c.synonyms}
        return dict.fromkeys(names, source)

    def remap(
        self, inspection: FileInspection, kind_name: str, saved: dict[str, str | None]
    ) -> FileInspection:
        """Apply the user's kind and header choices (and remember them for this source)."""
        ctx = self._ctx
        ctx.gate.require("import")
        kind = ctx.registry.kind(kind_name)
        if kind not in self._importable_kinds():
            raise UserFacingError(f"「{kind.label}」を取り込む権限がありません。")
        ctx.db.call(
            lambda c: imports.save_mapping(c, inspection.source_key, kind.name, dict(saved),
                                           ctx.actor.login_id, at=ctx.clock())
        )
        inspection.kind = kind
        inspection.mapping = map_headers(inspection.raw.headers, kind.columns, saved,
                                         pupil=kind.pupil, derived=self._derived_headers(kind))
        inspection.value_maps = ctx.db.call(
            lambda c: imports.saved_value_maps(c, inspection.source_key, kind.name))
        return inspection

    def save_value_map(
        self, inspection: FileInspection, column_key: str, values: dict[str, str | None]
    ) -> FileInspection:
        """Remember how this source writes a listed column's values (頭痛 → 内科), for this
        file and the source's later files; preview again to apply it. None forgets one."""
        ctx = self._ctx
        ctx.gate.require("import")
        kind = inspection.kind
        if kind is None:
            raise UserFacingError("先にデータの種類を選んでください。")
        col = kind.column(column_key)
        wrong = [v for v in values.values() if v is not None and v not in col.values]
        if col.type != "enum" or wrong:
            raise UserFacingError(f"「{col.label}」の値は {'、'.join(col.values) or '（なし）'} "
                                  "のいずれかに対応付けてください。")
        cleaned = {unicodedata.normalize("NFKC", k).strip(): v for k, v in values.items()
                   if k.strip()}
        ctx.db.call(lambda c: imports.save_value_map(
            c, inspection.source_key, kind.name, column_key, cleaned, ctx.actor.login_id,
            at=ctx.clock()))
        inspection.value_maps = ctx.db.call(
            lambda c: imports.saved_value_maps(c, inspection.source_key, kind.name))
        ctx.log("import_value_map", target=kind.name,
                detail={"column": column_key, "values": len(cleaned)})
        return inspection

    # -- step 2: parse, validate, link, compare ---------------------------------------------

    def preview(
        self, inspection: FileInspection, *, keep_repeats: bool = False,
        progress: Progress | None = None, cancel: CancelFlag | None = None,
    ) -> ImportPreview:
        """Parse, validate, link and compare. ``keep_repeats``: rows identical in every column
        are repeated records (health-room visits), all to be stored (numbered), not duplicates.
        """
        ctx = self._ctx
        ctx.gate.require("import")
        kind, mapping = inspection.kind, inspection.mapping
        if kind is None or mapping is None:
            raise UserFacingError(
                f"「{inspection.file_name}」のデータの種類を判断できません。種類を選んでください。"
            )

        def part(a: float, b: float) -> Progress | None:
            return None if progress is None else (lambda f: progress(a + (b - a) * f))

        heap.fix_mmap_threshold()
        store = Path(ctx.db.path)
        findings_spill.sweep(store)  # what a crashed import left (ciphertext, no key)
        findings = Findings(store, held=self.held_findings)
        try:
            preview = self._checked(inspection, kind, mapping, findings, part, cancel,
                                    keep_repeats)
        except BaseException:
            findings.close()  # cancelled or failed: a spill goes now
            raise
        return preview

    def _checked(
        self, inspection: FileInspection, kind: DatasetKind, mapping: HeaderMapping,
        findings: Findings, part: Callable[[float, float], Progress | None],
        cancel: CancelFlag | None, keep_repeats: bool,
    ) -> ImportPreview:
        """The preview, its findings gathered into ``findings`` (held or spilled), the notes
        about the whole file added last, sealed in the report's order."""
        try:
            if inspection.raw.streamed:
                # Read again chunk by chunk: it must still be the file inspected.
                _refuse_if_changed(inspection)
                source: RowSource = StreamedRows(
                    inspection.raw, mapping, kind.columns, inspection.value_maps,
                    max(1, int(self.chunk_rows)), findings, counted=_counted_columns(kind),
                    cancel=cancel, keep_text=kind.repeats)
                facts: _FileFacts | None = None
            else:
                # Passed on, not kept here: the typed table is made compact once checked.
                source, facts = self._held(inspection, kind, mapping, findings,
                                           part(0.0, 0.4), cancel)
            preview = self._link_and_compare(inspection, kind, source, facts, findings,
                                             part(0.0 if facts is None else 0.4, 1.0), cancel,
                                             keep_repeats=keep_repeats)
        except AnalysisCancelled:
            _cancelled("取込の準備を中止しました。")
        if inspection.already_imported is not None:
            b = inspection.already_imported
            _add_note(
                preview.findings,
                f"このファイルは既に取り込まれています（取込番号 {b.id}、{b.imported_at}）。"
                "同じ行は取り込まず、新しく照合できた行だけを取り込みます。",
                "note", "already_imported",
            )
        preview = file_rows(preview)  # (a reshaped form's findings: new, these closed)
        try:
            for note in mapping.derived.values():
                _add_note(preview.findings, note, "note", "derived_column")
            for note in inspection.sheet_notes:
                _add_note(preview.findings, note, "warning", "sheet_not_read")
            preview.findings.file = inspection.file_name
            preview.findings.seal()
        except BaseException:
            preview.findings.close()
            raise
        return preview

    def _held(
        self, inspection: FileInspection, kind: DatasetKind, mapping: HeaderMapping,
        findings: Findings, progress: Progress | None, cancel: CancelFlag | None,
    ) -> tuple[HeldRows, _FileFacts]:
        """A table read whole, typed and checked: its valid rows held compact, its findings
        added, and what the preview reports about the whole file."""
        parsed = _parsed(inspection, kind, mapping, progress, cancel)
        counted = _counted_columns(kind)
        findings.add(parsed.issues, Step.CHECKS)
        facts = _FileFacts(
            len(parsed.frame), len(parsed.error_rows),
            {key: parsed.frame[key].dropna().astype(str).value_counts()
             for key in counted if key in parsed.frame.columns})
        valid = parsed.valid
        frame = _compact(parsed.frame if valid.all() else parsed.frame.loc[valid])
        return HeldRows(frame, inspection.raw, max(1, int(self.chunk_rows))), facts

    def _link_and_compare(
        self, inspection: FileInspection, kind: DatasetKind, source: RowSource,
        facts: _FileFacts | None, findings: Findings, progress: Progress | None,
        cancel: CancelFlag | None, *, keep_repeats: bool = False,
    ) -> ImportPreview:
        """Link, de-duplicate and compare the valid rows, ``chunk_rows`` at a time.

        Pass 1 links each chunk and keeps, per row, only its pupil and two 64-bit hashes (its
        key and its values); the in-file duplicates are then found on those hashes for the
        whole file at once (the same rule and messages as on whole rows). Pass 2 converts each
        chunk again and compares it with the store. The preview keeps counts, findings, the
        review items, the overwrites and which rows to insert (one flag per row), never the
        converted rows themselves: :meth:`commit` converts them again, chunk by chunk."""
        ctx = self._ctx
        stored_cols = [c.key for c in kind.stored_columns]
        columns = (["pupil_id"] if kind.links_to_pupil else []) + stored_cols
        key = natural_key(kind)
        expected_rows = max(1, len(source.frame) if isinstance(source, HeldRows)
                            else inspection.raw.row_count)
        review: list[tuple[int, str, dict[str, Any], list[dict[str, Any]], str]] = []
        # One value per valid row, filled chunk by chunk into room for the file's rows.
        linked_rows = _PerRow(expected_rows, np.bool_)
        pupil_rows = _PerRow(expected_rows if kind.links_to_pupil else 0, np.int32)
        key_rows = _PerRow(expected_rows, np.uint64)
        year_parts: list[pd.DataFrame] = []
        plain_key = [k for k in key if k != OCCURRENCE]
        counts: dict[str, int] = {}
        n = 0

        # -- pass 1: link, and hash each linked row -------------------------------------------
        if kind.links_to_pupil:
            pupils, enrollments, decisions = ctx.db.call(linkage_reference)
            already = ctx.db.call(lambda c: imports.waiting_row_keys(c, kind.name))
        link_counts = dict.fromkeys(("auto_linked", "review", "rejected", "already_waiting"), 0)
        for piece in source.chunks():
            if cancel is not None and cancel():
                raise AnalysisCancelled()
            a, b = piece.start, piece.end
            # Each column as codes into its distinct values (a month takes one byte, not
            # nine); linkage gets each chunk back in its own types.
            ok = np.ones(b - a, dtype=bool)
            got = np.zeros(b - a if kind.links_to_pupil else 0, dtype=np.int64)
            if progress is not None:
                progress(0.6 * min(1.0, a / expected_rows))
            year_parts.append(_years_of(kind, piece.frame))
            if kind.links_to_pupil:
                chunk = piece.frame.astype({col: _own_type(dtype)
                                            for col, dtype in piece.frame.dtypes.items()})
                links = link_rows(
                    chunk, pupils, enrollments, decisions=decisions,
                    source=inspection.source_key, event_date=kind.event_date,
                    cancel=cancel,
                )
                method = links["method"]
                ok = method.isin(LINKED_METHODS).to_numpy()
                link_counts["auto_linked"] += int(ok.sum())
                link_counts["review"] += int((method == "review").sum())
                link_counts["rejected"] += int((method == "rejected").sum())
                rejected = links.index[method == "rejected"]
                findings.add(issues_frame(
                    rejected, None, None, "",
                    links.loc[rejected, "reason"].astype(str).to_numpy(), "error",
                    "unlinked"), Step.LINKS)
                # A row already waiting, from this file or an earlier one (a corrected file
                # under a new name), is not queued twice: the key is the row's content.
                for row in links.index[method == "review"]:
                    values = json_row(chunk.loc[row].to_dict())
                    if imports.row_key(values) in already:
                        link_counts["already_waiting"] += 1
                        continue
                    candidates = [
                        {"pupil_id": c.pupil_id, "score": round(float(c.score), 1),
                         "evidence": c.evidence}
                        for c in cast(tuple[Candidate, ...], links.at[row, "candidates"])
                    ]
                    review.append((int(row), str(links.at[row, "fingerprint"]), values,
                                   candidates, str(links.at[row, "reason"])))
                got[ok] = links["pupil_id"].to_numpy()[ok].astype(np.int64)
            rows = self._chunk_rows(kind, piece.frame, ok, got, columns)
            hashes = np.zeros(b - a, dtype=np.uint64)
            # Only the key's hash for every row (8 bytes): rows identical in every column share
            # their key, so only rows sharing a key hash can be duplicates of any kind.
            hashes[ok] = blank_equal_key(rows, plain_key).to_numpy()
            linked_rows.put(a, ok)
            if kind.links_to_pupil:
                pupil_rows.put(a, got)
            key_rows.put(a, hashes)
            n = b
            del rows, piece
        if facts is None:
            assert isinstance(source, StreamedRows)
            seen = source.first
            facts = _FileFacts(seen.rows, seen.error_rows, seen.value_counts)
        counts.update({"rows": facts.rows, "error_rows": facts.error_rows})
        if kind.links_to_pupil:
            counts.update({name: link_counts.get(name, 0) for name in
                           ("auto_linked", "review", "rejected", "already_waiting")})
        unknown_values = _unknown_values(kind, findings, facts.value_counts)
        linked = linked_rows.first(n)
        pupil = pupil_rows.first(n if kind.links_to_pupil else 0)
        key_hash = key_rows.first(n)
        del linked_rows, pupil_rows, key_rows
        totals = findings.count("totals_row")
        if totals:  # 合計・小計 rows, left out with a note each (still rows of the file)
            counts["totals_rows"] = totals
            counts["rows"] += totals

        # -- the whole file's duplicates, on the hashes ---------------------------------------
        occurrences = np.ones(n if kind.repeats else 0, dtype=np.int64)
        some = np.flatnonzero(_repeated(key_hash, linked) & linked)
        row_hash, written_hash, some_rows = self._candidate_hashes(kind, source, linked, pupil,
                                                                   columns, some)
        dropped, conflicting, dup_issues = _hash_duplicates(
            kind, some_rows, n, some, row_hash, key_hash[some], occurrences, written_hash,
            keep_repeats=keep_repeats)
        # The file's keys, sorted (8 bytes a row): only stored rows sharing one are compared.
        file_keys = np.unique(key_hash[linked])
        del row_hash, key_hash, written_hash, some
        counts["duplicates_in_file"] = int(dropped.sum()) + int(conflicting.sum())
        findings.add(dup_issues, Step.DUPLICATES)
        compared = linked & ~dropped & ~conflicting
        del conflicting

        # -- pass 2: compare with the store ---------------------------------------------------
        years = (pd.concat(year_parts).drop_duplicates() if year_parts
                 else pd.DataFrame(columns=[kind.year_column or "school_year"]))
        stored = ctx.db.call(functools.partial(
            stored_keys, kind=kind, rows=years, key=key, values=stored_cols, among=file_keys,
            among_key=plain_key), kind=kind.name)
        del file_keys
        insert = np.zeros(n, dtype=bool)
        repeat = np.zeros(n, dtype=bool)
        samples: list[pd.DataFrame] = []
        repeat_parts: list[pd.DataFrame] = []
        overwrite_parts: list[pd.DataFrame] = []
        changes: list[FieldChange] = []
        identical = 0
        identical_ids = IdenticalRows()  # (stored record, file row) held identically
        for piece in source.chunks(late_checks=True):
            if cancel is not None and cancel():
                raise AnalysisCancelled()
            a, b = piece.start, piece.end
            if progress is not None:
                progress(0.6 + 0.4 * min(1.0, a / max(1, n)))
            rows = self._chunk_rows(kind, piece.frame, linked[a:b], pupil[a:b], columns,
                                    occurrences[a:b] if kind.repeats else None)
            where = np.flatnonzero(linked[a:b]) + a  # frame positions of ``rows``
            if kind.repeats:
                again = rows.loc[dropped[where]]
                at = stored.find(blank_equal_key(again, key).to_numpy())
                new_repeat = at < 0
                repeat[where[dropped[where]][new_repeat]] = True
                repeat_parts.append(again.loc[new_repeat])
                identical += int((~new_repeat).sum())  # kept as repeats by an earlier import
                identical_ids.add(stored.ids[at[~new_repeat]],
                                  again.index.to_numpy(dtype=np.int64)[~new_repeat])
            mask = compared[where]
            rows, where = rows.loc[mask], where[mask]
            at = stored.find(blank_equal_key(rows, key).to_numpy())
            present = at >= 0
            insert[where[~present]] = True
            findings.add(self._possible_corrections(kind, rows.loc[~present]), Step.STORE)
            if len(samples) < 1 or sum(len(s) for s in samples) < SAMPLE_ROWS:
                samples.append(rows.loc[~present].iloc[:SAMPLE_ROWS])
            matched = rows.loc[present]
            if not len(matched):
                continue
            ids = stored.ids[at[present]]
            same_text = (key_text(matched, stored_cols).to_numpy(dtype=np.uint64)
                         == stored.values[at[present]])
            differ, differ_ids = matched.loc[~same_text], ids[~same_text]
            old_values = self._stored_rows(kind, differ_ids)[stored_cols]
            differ = _keep_known(differ, old_values, stored_cols)
            same = (blank_equal_key(differ, stored_cols).to_numpy()
                    == blank_equal_key(old_values, stored_cols).to_numpy())
            overwrite = differ.loc[~same].assign(id=differ_ids[~same])
            overwrite_parts.append(overwrite)
            findings.add(issues_frame(
                overwrite.index, None, None, "",
                "既に取り込まれた記録と値が異なります（上書きを選ぶと置き換えます）。",
                "warning", "conflict"), Step.STORE)
            identical += int(same_text.sum() + same.sum())
            identical_ids.add(ids[same_text], matched.index.to_numpy(dtype=np.int64)[same_text])
            identical_ids.add(differ_ids[same], differ.index.to_numpy(dtype=np.int64)[same])
            changes += overwrite_changes(kind, overwrite, old_values.iloc[np.flatnonzero(~same)],
                                         stored_cols, self._pupils_shown(overwrite),
                                         self._school_names(overwrite))
        empty = pd.DataFrame(columns=columns + ([OCCURRENCE] if kind.repeats else []),
                             dtype=object)
        to_insert = pd.concat(samples).iloc[:SAMPLE_ROWS] if samples else empty
        to_overwrite = (pd.concat(overwrite_parts) if overwrite_parts
                        else empty.assign(id=pd.Series(dtype=object)))
        repeat_rows = pd.concat(repeat_parts) if repeat_parts else empty
        counts["repeats"] = int(repeat.sum())
        if kind.repeats:  # rows kept as repeats by an earlier import are identical, not new
            counts["duplicates_in_file"] -= int(dropped.sum()) - counts["repeats"]
        counts["identical"] = identical
        counts["new"] = int(insert.sum())
        counts["conflicts"] = len(to_overwrite)
        plan = _CommitPlan(source, columns, linked, pupil, occurrences, insert, repeat)
        return ImportPreview(
            inspection=inspection, kind=kind, rows=to_insert, findings=findings,
            counts=counts, to_insert=to_insert, to_overwrite=to_overwrite, to_review=review,
            changes=changes, repeat_rows=repeat_rows,
            unknown_values=unknown_values, plan=plan, identical=identical_ids,
        )

    def _possible_corrections(self, kind: DatasetKind, new: pd.DataFrame) -> pd.DataFrame:
        """A new row on an occasion already stored with other values (the same pupil, day and
        入室時刻, another 退室時刻): a separate visit by the rule, but more likely a corrected
        file, which would count the visit twice (found by QA). Said, not decided."""
        occasion = ["pupil_id", *kind.occasion]
        if not kind.occasion or not len(new):
            return empty_issues()
        named = new.loc[new[occasion].notna().all(axis=1).to_numpy()]
        pupils = sorted({int(p) for p in named["pupil_id"]})
        stored = self._ctx.db.call(lambda c: stored_occasions(c, kind, pupils), kind=kind.name)
        hit = blank_equal_key(named, occasion).isin(blank_equal_key(stored, occasion))
        labels = "・".join(kind.column(k).label for k in kind.occasion)
        return issues_frame(
            named.index[hit.to_numpy()], None, None, "",
            f"同じ児童生徒・{labels}の記録が既にあり、ほかの列が異なります。別の記録として加わり"
            "ます。修正したファイルなら、前の取込を取り消してから取り込んでください。",
            "warning", "possible_correction")

    def _pupils_shown(self, rows: pd.DataFrame) -> dict[int, str]:
        """The pupils of ``rows`` as the importing role may see them: 氏名（宛名番号）
        for a role that sees the master, else nothing (the record is named by its key)."""
        ctx = self._ctx
        master = ctx.registry.master
        if "pupil_id" not in rows.columns or not ctx.gate.sees(master.name):
            return {}
        ids = sorted({int(p) for p in rows["pupil_id"].dropna()})
        if not ids:
            return {}
        found = self._stored_rows(master, np.asarray(ids))
        return {int(i): pupil_text(_plain(r.get("name")), _plain(r.get("address_code")))
                for i, r in zip(found.index, found.to_dict("records"), strict=True)}

    def _school_names(self, rows: pd.DataFrame) -> dict[str, str]:
        """学校コード → 学校名 for the records an overwrite names (none without a school)."""
        if "school_code" not in rows.columns or not len(rows):
            return {}
        return dict(self._ctx.db.call(datasets.school_names))

    def _stored_rows(self, kind: DatasetKind, ids: npt.NDArray[Any]) -> pd.DataFrame:
        wanted = [int(i) for i in ids]
        return self._ctx.db.call(lambda c: rows_by_id(c, kind, wanted), kind=kind.name)

    def _candidate_hashes(
        self, kind: DatasetKind, source: RowSource, linked: npt.NDArray[np.bool_],
        pupil: npt.NDArray[np.int64], columns: list[str], some: npt.NDArray[np.intp],
    ) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64] | None, pd.Index]:
        """For the rows at ``some`` (sorted positions of linked rows sharing a key hash), the
        hash of their storage values (as find_duplicates hashes rows: each value's text, the
        same in any chunk) and, for a repeating kind, of their cells as the file writes them
        (so that a 頭痛 and a 腹痛 both mapped to 内科 stay two visits, not one repeated),
        and their file rows. Only chunks holding such rows are converted again (a file
        without them is not read again)."""
        row_hash = np.zeros(len(some), dtype=np.uint64)
        written = np.zeros(len(some), dtype=np.uint64) if kind.repeats else None
        labels = np.zeros(len(some), dtype=np.int64)
        if not len(some):
            return row_hash, written, pd.Index(labels)
        for piece in source.chunks():
            a, b = piece.start, piece.end
            lo, hi = np.searchsorted(some, [a, b])
            if lo == hi:
                continue
            rows = self._chunk_rows(kind, piece.frame, linked[a:b], pupil[a:b], columns)
            where = np.flatnonzero(linked[a:b]) + a  # frame positions of ``rows``
            chosen = rows.iloc[np.searchsorted(where, some[lo:hi])]
            row_hash[lo:hi] = pd.util.hash_pandas_object(chosen, index=False).to_numpy()
            labels[lo:hi] = chosen.index.to_numpy()
            if written is not None:
                written[lo:hi] = _written_hashes(piece.raw, chosen.index)
        return row_hash, written, pd.Index(labels)

    @staticmethod
    def _chunk_rows(
        kind: DatasetKind, chunk: pd.DataFrame, ok: npt.NDArray[np.bool_],
        pupil: npt.NDArray[np.int64], columns: list[str],
        occurrences: npt.NDArray[np.int64] | None = None,
    ) -> pd.DataFrame:
        """The linked rows (``ok``) of a chunk of valid rows as storage values (index: file
        row) with their pupil and, when given, their occurrence number (both per row of the
        chunk)."""
        if not ok.all():
            chunk = chunk.loc[ok]
        if kind.links_to_pupil:
            chunk = chunk.assign(pupil_id=pupil[ok].astype(np.int64))
        rows = storage_frame(chunk, columns)
        if kind.repeats and occurrences is not None and len(occurrences):
            rows[OCCURRENCE] = occurrences[ok]
        return rows

    # -- step 3: commit -----------------------------------------------------------------------

    def commit(
        self, preview: ImportPreview, *, overwrite: bool = False, keep_repeats: bool = False,
        progress: Progress | None = None, cancel: CancelFlag | None = None,
    ) -> ImportResult:
        """All or nothing: the batch, its rows, overwrites and review items in one transaction.

        ``keep_repeats``: also store the rows identical to an earlier row of the file, as
        repeated records (health-room visits), numbered so that a re-import adds nothing."""
        ctx = self._ctx
        ctx.gate.require("import")
        if overwrite:
            ctx.gate.require("edit")
        if not preview.changes_with(overwrite, keep_repeats):
            raise UserFacingError("取り込む新しい行がありません（すべて取込済みか、"
                                  "上書きを選ばなかった既存の記録です）。")
        if preview.blocking:
            raise UserFacingError("ファイル全体に関わるエラーがあるため取り込めません。"
                                  "検証結果を確認してください。")
        kind = preview.kind
        inspection = preview.inspection
        plan = preview.plan
        if plan is None:
            raise UserFacingError("取込の確認をやり直してください。")
        _refuse_if_changed(inspection)
        expected = preview.counts.get("new", 0) + (
            preview.counts.get("repeats", 0) if keep_repeats else 0)
        columns = plan.columns + ([OCCURRENCE] if kind.repeats else [])
        stored = [c.key for c in kind.stored_columns]
        total = max(1, expected)

        def insert_rows() -> Iterator[tuple[object, ...]]:
            """The previewed rows to insert, converted again one chunk at a time."""
            chosen = (plan.insert | plan.repeat) if keep_repeats else plan.insert
            for piece in plan.source.chunks():
                a, b = piece.start, piece.end
                if not chosen[a:b].any():
                    continue
                ok = plan.linked[a:b]
                rows = self._chunk_rows(kind, piece.frame, ok, plan.pupil[a:b], plan.columns,
                                        plan.occurrences[a:b] if kind.repeats else None)
                rows = source_frame(piece.raw, rows.loc[chosen[a:b][ok]])
                yield from rows.assign(source_row=rows.index).itertuples(index=False,
                                                                         name=None)

        now = ctx.clock()
        logged: list[PendingEntry] = []

        def write(conn: Connection) -> ImportResult:
            with transaction(conn):
                batch_id = batches.create(conn, kind.name, inspection.file_name,
                                          inspection.sha256, ctx.actor.login_id, at=now)
                inserted = datasets.insert_rows(
                    conn, kind, [*columns, "source_row"], insert_rows(), batch_id=batch_id,
                    progress=None if progress is None else (lambda n: progress(n / total)),
                    cancel=cancel,
                )
                if inserted != expected:  # the preview's count is what the user agreed to
                    raise UserFacingError("取り込む行の数が確認したときと合わないため、取込を"
                                          "中止しました。データベースは変更されていません。")
                overwritten = 0
                if overwrite and len(preview.to_overwrite):
                    overwritten = _overwrite(conn, kind, preview.to_overwrite, stored, batch_id)
                imports.confirm_rows(conn, batch_id, kind.name, preview.identical)
                queued = imports.enqueue(conn, batch_id, kind.name, inspection.file_name,
                                         preview.to_review)
                batches.set_row_count(conn, batch_id, inserted + overwritten)
                refresh_pending(conn)  # names and classes searchable at once
                result = ImportResult(
                    batch_id=batch_id, kind_label=kind.label, inserted=inserted,
                    overwritten=overwritten, queued=queued,
                    skipped_identical=preview.counts.get("identical", 0),
                    excluded=preview.counts.get("error_rows", 0)
                    + preview.counts.get("rejected", 0),
                )
                # The entry commits with the batch: no batch without its 取込 entry.
                logged.append(ctx.trail.record_within(
                    conn, ctx.actor.login_id, "import", target=kind.name,
                    detail={"batch_id": batch_id, "file": inspection.file_name,
                            "sha256": inspection.sha256, "inserted": result.inserted,
                            "overwritten": result.overwritten, "queued": result.queued,
                            "excluded": result.excluded}))
                return result

        if isinstance(plan.source, StreamedRows):
            plan.source.cancel = cancel  # a file read again stops at the commit's cancel
        try:
            result = ctx.db.call(write, kind=kind.name)  # the kind's lane (issue 12)
        except (StoreCancelled, AnalysisCancelled):
            _cancelled()
        ctx.trail.settle(logged[-1])
        _refresh_statistics(ctx, [kind.table], kind.name)
        return result

    def export_issues(
        self, previews: ImportPreview | Sequence[ImportPreview], path: Path,
        encoding: str = "utf-8-sig", *, overwrite: bool = False, purpose: Purpose | None = None,
    ) -> ExportResult:
        """The validation report for the school that sent the file(s) (CSV or .xlsx), logged:
        it holds cell values from the files (names, birth dates, IDs among them), so it is
        an identifiable export: "export", a purpose, and above the lead's number of pupils
        (each file row cited counts as one) an approval."""
        ctx = self._ctx
        ctx.gate.require("export")
        chosen = [previews] if isinstance(previews, ImportPreview) else list(previews)
        # The lines are built while the file is written, never all held at once.
        rows = (row for preview in chosen for row in report_lines(preview.findings))
        count = sum(len(preview.findings) for preview in chosen)

        def write() -> ExportResult:
            if path.suffix.lower() == ".xlsx":
                return write_xlsx(path, ISSUE_HEADER, rows, sheet="検証結果", overwrite=overwrite)
            return write_csv(path, ISSUE_HEADER, rows, encoding=encoding, overwrite=overwrite)

        # Logged before the file is written, its outcome after (``export_log``).
        return logged_export(ctx, VALIDATION_REPORT, target="validation_report", path=path,
                             rows=count, write=write, overwrite=overwrite, purpose=purpose,
                             pupils=sum(rows_cited_in(p.findings.blocks(CITED_BLOCK))
                                        for p in chosen))

    # -- batches ------------------------------------------------------------------------------

    def batches(self) -> list[batches.BatchRow]:
        self._ctx.gate.require("import")
        return self._ctx.db.call(batches.all_batches)

    def rollback(self, batch_id: int) -> imports.RollbackResult:
        """Remove exactly one batch (its rows, its open review items) and restore what it
        overwrote; a record a later import in force also held stays, handed over to it.
        Refused while later data refers to pupils the batch created."""
        ctx = self._ctx
        ctx.gate.require("import")
        registry = ctx.registry

        touched: list[str] = []

        def undo(conn: Connection) -> imports.RollbackResult:
            with transaction(conn):
                row = batches.kind_and_status(conn, batch_id)
                if row is None or row[1] != "committed":
                    raise UserFacingError("その取込は見つからないか、既に取り消されています。")
                touched.append(registry.kind(row[0]).table)
                _require_keys_for_rollback(conn, registry.kinds, registry.kind(row[0]))
                if registry.kind(row[0]).master:
                    _refuse_if_referenced(conn, registry.kinds, batch_id)
                removed = imports.rollback_batch(conn, registry, batch_id)
                refresh_pending(conn)  # removed pupils leave the search index at once
                # The entry commits with the rollback, as the import's did.
                logged.append(ctx.trail.record_within(
                    conn, ctx.actor.login_id, "import_rollback",
                    detail={"batch_id": batch_id, "removed": removed.removed,
                            "kept": removed.kept, "restored": removed.restored}))
                return removed

        logged: list[PendingEntry] = []
        found = ctx.db.call(lambda c: batches.kind_and_status(c, batch_id))
        # On the lane of the batch's kind (issue 12); ``undo`` reads it again in its transaction.
        result = ctx.db.call(undo, kind=None if found is None else str(found[0]))
        ctx.trail.settle(logged[-1])
        _refresh_statistics(ctx, touched, None if found is None else str(found[0]))
        return result


def _refresh_statistics(ctx: ServiceContext, tables: list[str], kind: str | None) -> None:
    """Keep the planner's statistics true after a write changed a table's size (the survey
    join behind the karte and training depends on them). Only an optimisation: the data is
    already committed and logged, so a busy or read-only store does not fail the import."""
    with contextlib.suppress(StoreError):
        ctx.db.call(lambda c: statistics.refresh_after_import(c, tables), kind=kind)


REPEAT_HINT = ("繰り返しの記録として残すこともできます（取込画面の「同じ内容の行も残す」、"
               "コマンドでは --keep-repeats）。")


def _parsed(
    inspection: FileInspection, kind: DatasetKind, mapping: HeaderMapping,
    progress: Progress | None, cancel: CancelFlag | None,
) -> ParsedTable:
    """The inspection's rows typed and checked, each column compact; the heap the checking
    freed (each column's texts and codes) is given back before linking begins."""
    parsed = parse_table(inspection.raw, mapping, layout_columns(inspection.raw, kind.columns),
                         value_maps=inspection.value_maps, progress=progress, cancel=cancel,
                         compact=True)
    heap.trim()
    return parsed


def _hash_duplicates(
    kind: DatasetKind, some_rows: pd.Index, n: int, some: npt.NDArray[np.intp],
    row_hash: npt.NDArray[np.uint64], key_hash: npt.NDArray[np.uint64],
    occurrences: npt.NDArray[np.int64], written_hash: npt.NDArray[np.uint64] | None = None, *,
    keep_repeats: bool = False,
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_], pd.DataFrame]:
    """The file's duplicates among the linked rows at ``some`` (positions among the ``n``
    valid rows; ``some_rows`` are their file rows, the hashes theirs): (rows dropped as
    identical repeats, rows in conflict, findings);
    for a kind whose identical rows may be real repeats, each row's number among its
    identical rows is set in ``occurrences``.

    The rows' hashes stand for the rows themselves: :func:`find_duplicates` and
    :func:`occurrence_numbers` find rows equal when their hashes are, so given a hash per row
    they judge as on the whole rows, with the same messages (the key is named by its labels).
    The key is the store's unique key under the store's rule (a blank part equals another
    blank part), so a preview without conflicts commits."""
    drop = np.zeros(n, dtype=bool)
    conflicting = np.zeros(n, dtype=bool)
    # Only rows sharing their key with another row can be duplicates (identical rows share
    # their key too); the judgement on them alone is the judgement on the whole file (their
    # groups are whole).
    if not len(some):
        return drop, conflicting, empty_issues()
    hashes = pd.DataFrame({"row": row_hash, "key": key_hash}, index=some_rows)
    compare = ["row"]
    if kind.repeats:
        # Numbered among the rows with the same values (the store's key); a repeat is a row
        # the file writes identically (``written_hash``), not one that only maps alike.
        number = occurrence_numbers(hashes, ["row"]).to_numpy(dtype=np.int64)
        occurrences[some] = number
        if written_hash is not None and len(written_hash):
            hashes["written"] = written_hash
            compare = ["row", "written"]
        # The store's key holds the occurrence number: (key, number) as one 64-bit key.
        hashes["key"] = (hashes["key"].to_numpy() * np.uint64(1_000_003)
                         ^ pd.util.hash_array(number).astype(np.uint64))
    labels = {c.key: c.label for c in kind.columns} | {"pupil_id": "児童生徒"}
    dropped, found = find_duplicates(
        hashes, ["key"], compare=compare,
        labels={"key": "・".join(labels.get(k, k) for k in natural_key(kind))},
        repeat_hint=REPEAT_HINT if kind.repeats else "", keep_repeats=keep_repeats and kind.repeats,
    )
    drop[some] = dropped.to_numpy(dtype=bool)
    conflicting[some] = hashes.index.isin(found.loc[found["severity"] == "error", "row"].dropna())
    return drop, conflicting, found


def _written_hashes(raw: RawTable, rows: pd.Index) -> npt.NDArray[np.uint64]:
    """Per row, a hash of its cells as the file writes them."""
    cells = raw.frame.loc[rows]
    return np.asarray(pd.util.hash_pandas_object(cells.astype(str), index=False),
                      dtype=np.uint64)


def _compact(frame: pd.DataFrame) -> pd.DataFrame:
    """Each column as a categorical of its distinct values (same values, same storage values:
    :func:`storage_frame` converts each distinct value once)."""
    return pd.DataFrame({col: compact_column(frame[col]) for col in frame.columns},
                        index=frame.index, columns=frame.columns, copy=False)


def _own_type(dtype: Any) -> Any:
    """The type of a compact column's values (what linkage is given)."""
    return dtype.categories.dtype if isinstance(dtype, pd.CategoricalDtype) else dtype


def _repeated(
    values: npt.NDArray[np.uint64], among: npt.NDArray[np.bool_]
) -> npt.NDArray[np.bool_]:
    """Where a value of the rows ``among`` occurs more than once among them (True may also
    mark other rows holding it). The values are sorted a sixteenth at a time (by their top
    four bits: a copy of 0.5 bytes a row, not 8) and looked up in slices, so the search
    adds little to the 8 bytes a row the values take."""
    twice: list[npt.NDArray[np.uint64]] = []
    step = 1 << 20
    for bucket in range(16):
        parts = []
        for a in range(0, len(values), step):
            part = values[a:a + step][among[a:a + step]]
            parts.append(part[(part >> np.uint64(60)) == np.uint64(bucket)])
        ordered = np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint64)
        del parts
        ordered.sort()
        twice.append(np.unique(ordered[1:][ordered[1:] == ordered[:-1]]))
        del ordered
    repeated = np.concatenate(twice)  # sorted: the buckets are in order
    out = np.zeros(len(values), dtype=bool)
    if not len(repeated):
        return out
    for a in range(0, len(values), step):
        part = values[a:a + step]
        at = np.minimum(np.searchsorted(repeated, part), len(repeated) - 1)
        out[a:a + step] = repeated[at] == part
    return out


def _years_of(kind: DatasetKind, frame: pd.DataFrame) -> pd.DataFrame:
    """The school years the file's rows hold (one row each): the stored rows to compare with
    are those of these years."""
    year = kind.year_column
    if year is None or year not in frame.columns:
        return frame.iloc[:0]
    return pd.DataFrame({year: pd.unique(frame[year].dropna())})


@dataclass(frozen=True)
class _FileFacts:
    """What checking the whole file found (its findings went to the preview's): rows
    (without totals rows), rows with an error, and the counts of the values of its optional
    listed columns."""

    rows: int
    error_rows: int
    value_counts: dict[str, pd.Series]


def _counted_columns(kind: DatasetKind) -> list[str]:
    """The optional listed columns, whose values outside the list are offered for mapping."""
    return [c.key for c in kind.columns if c.type == "enum" and not c.required]


class _PerRow:
    """One value per valid row of a file, filled chunk by chunk into room reserved for the
    file's rows (joining the chunks' arrays would hold every value twice). Integers are kept
    in 32 bits while they fit (a pupil id: 4 bytes a row)."""

    def __init__(self, capacity: int, dtype: Any) -> None:
        self.data: npt.NDArray[Any] = np.zeros(capacity, dtype=dtype)

    def put(self, at: int, values: npt.NDArray[Any]) -> None:
        end = at + len(values)
        if end > len(self.data):  # more rows than reserved: room for twice as many
            grown = np.zeros(max(end, 2 * len(self.data)), dtype=self.data.dtype)
            grown[: len(self.data)] = self.data
            self.data = grown
        if (self.data.dtype == np.int32 and len(values)
                and int(values.max()) > np.iinfo(np.int32).max):
            self.data = self.data.astype(np.int64)
        self.data[at:end] = values

    def first(self, n: int) -> npt.NDArray[Any]:
        return self.data[:n]


def _unknown_values(
    kind: DatasetKind, findings: Findings, value_counts: dict[str, pd.Series]
) -> list[UnknownValue]:
    """Values outside the list of each listed column, most frequent first: kept as written in
    an optional column, refused in a required one."""
    out: list[UnknownValue] = []
    for col in kind.columns:
        if col.type != "enum":
            continue
        if col.required:
            refused = findings.refused_values(col.key)  # counted as findings came
            if not refused:
                continue
            written: dict[str, int] = {}
            for said, n in refused.items():
                shown = unicodedata.normalize("NFKC", said).strip()
                written[shown] = written.get(shown, 0) + n
            counts = pd.Series(written, dtype=np.int64)
        else:  # per distinct value: a log of 144,000 visits has a few dozen
            if col.key not in value_counts:
                continue
            counts = value_counts[col.key]
            known = {value_key(v) for v in col.values}
            counts = counts[[value_key(str(v)) not in known for v in counts.index]]
        for value, count in counts.items():
            out.append(UnknownValue(col.key, col.label, str(value), int(count), col.values,
                                    col.required))
    return sorted(out, key=lambda u: (u.column_key, -u.count, u.value))


def _sha256_of(path: Path) -> str:
    """The file's content hash, read in pieces (the file itself is never held whole)."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _refuse_if_changed(inspection: FileInspection) -> None:
    """Refuse to commit when the file on disk is no longer the one previewed: the batch
    records the file's name and SHA-256 as its provenance, and what the user checked must be
    what that provenance names (a file saved again after the preview is previewed again)."""
    try:
        same = _sha256_of(inspection.path) == inspection.sha256
    except OSError:
        same = False
    if not same:
        raise UserFacingError(
            f"ファイル「{inspection.path.name}」は確認したあとに変更されたか、移動・削除されて"
            "います。もう一度ファイルを読み込んで確認してから取り込んでください。"
            "データベースは変更されていません。")


def _committed_with_hash(
    conn: Connection, sha256: str, source_name: str | None = None
) -> batches.BatchRow | None:
    """The committed batch of this content; for one sheet of a workbook (``source_name``
    names the sheet) only a batch of that sheet, since the sheets share the file's hash."""
    for row in batches.all_batches(conn):
        if row.content_sha256 == sha256 and row.status == "committed" and (
                source_name is None or row.source_name == source_name):
            return row
    return None


def _misfit(inspection: FileInspection) -> str | None:
    """Why a sheet's header fits no kind (Japanese), or None when it fits."""
    kind, mapping = inspection.kind, inspection.mapping
    if kind is None or mapping is None:
        return "見出しがどのデータの種類にも合いません。"
    if mapping.missing_required:
        labels = "、".join(f"「{mapping.labels.get(k, k)}」" for k in mapping.missing_required)
        return f"「{kind.label}」の必須の列 {labels} がありません。"
    if mapping.missing_person_ref:
        return f"「{kind.label}」として読むには、児童生徒を特定する列がありません。"
    return None


def _is_blank(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, float) and value != value)


def _blank(series: pd.Series) -> npt.NDArray[np.bool_]:
    """Vectorised :func:`_is_blank` (it runs over every matched row of a large file)."""
    values = series.to_numpy(dtype=object)
    return np.asarray(series.isna().to_numpy() | (values == ""), dtype=bool)


def _keep_known(rows: pd.DataFrame, old: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """An empty cell never replaces a stored value: where the file is blank, the stored value
    stands (so a row that only lacks values the store has is identical, not a conflict)."""
    out = rows.copy()
    for col in columns:
        blank = _blank(out[col])
        if blank.any():
            merged = out[col].to_numpy(dtype=object).copy()
            merged[blank] = old[col].to_numpy(dtype=object)[blank]
            out[col] = pd.Series(merged, index=out.index, dtype=object)
    return out


def _plain(value: object) -> str | None:
    return None if value is None or value is pd.NA or value != value else str(value)


def _as_text(series: pd.Series) -> npt.NDArray[np.object_]:
    return series.astype(object).where(series.notna(), "").astype(str).to_numpy(dtype=object)


def overwrite_changes(
    kind: DatasetKind, rows: pd.DataFrame, old: pd.DataFrame, columns: list[str],
    pupils: Mapping[int, str] | None = None, schools: Mapping[str, str] | None = None,
) -> list[FieldChange]:
    """Every value an overwrite replaces: ``rows`` (index = file row, with the record "id")
    against ``old`` (the stored values, in the same order). ``pupils``: how each pupil id
    may be shown to the importing role (氏名・宛名番号); the store's id itself never is.
    ``schools``: 学校コード → 学校名, so that a record names its school."""
    if not len(rows):
        return []
    labels = {c.key: c.label for c in kind.columns}
    types = {c.key: c.type for c in kind.columns}
    key = [k for k in natural_key(kind) if k in rows.columns and k != "pupil_id"]
    key_values = [rows[k].astype(object).tolist() for k in key]
    pupil_ids = (rows["pupil_id"].tolist() if "pupil_id" in rows.columns
                 else [None] * len(rows))
    whos = [(pupils or {}).get(int(p), "") if p is not None and p == p else ""
            for p in pupil_ids]
    def part(k: str, value: Any) -> KeyPart:
        if k == "school_code" and schools and str(value) in schools:
            return (k, schools[str(value)], "text", value)
        return (k, labels.get(k, k), types.get(k, "text"), value)

    keys = [tuple(part(k, v[i]) for k, v in zip(key, key_values, strict=True))
            for i in range(len(rows))]
    records = [record_text(w, k) for w, k in zip(whos, keys, strict=True)]
    file_rows = rows.index.to_numpy()
    ids = rows["id"].to_numpy()
    changes: list[tuple[int, int, FieldChange]] = []
    for order, col in enumerate(columns):
        new, before = _as_text(rows[col]), _as_text(old[col])
        for i in np.flatnonzero(new != before):
            changes.append((int(i), order, FieldChange(
                int(file_rows[i]), int(ids[i]), records[i], labels.get(col, col),
                str(before[i]), str(new[i]), whos[i], keys[i])))
    changes.sort(key=lambda c: (c[0], c[1]))
    return [c[2] for c in changes]


def _overwrite(
    conn: Connection, kind: DatasetKind, rows: pd.DataFrame, stored: list[str], batch_id: int
) -> int:
    """Replace stored values with the file's; an empty cell never blanks a stored value.
    The whole old row is remembered so that a rollback restores it."""
    for values in rows.to_dict("records"):
        record_id = int(values["id"])
        given = {c: values[c] for c in stored if not _is_blank(values[c])}
        old = stored_rows.overwrite(conn, kind, record_id, given, batch_id)
        imports.remember_overwrite(conn, batch_id, kind.name, record_id, old)
    return len(rows)


def _require_keys_for_rollback(
    conn: Connection, kinds: tuple[DatasetKind, ...], kind: DatasetKind
) -> None:
    """The batch's kind must be reachable (its group's key held, issue 12); removing pupils
    (the master) needs every pupil kind's group: a later record in a group not attached
    would be left pointing at no one, unseen by the check below."""
    needed = [k for k in kinds if k.name == kind.name or (kind.master and k.links_to_pupil)]
    withheld = [k for k in needed if not placement.has_table(conn, k.table)]
    if withheld:
        labels = "、".join(dict.fromkeys(k.label for k in withheld))
        raise UserFacingError(f"この取込を取り消すには、{labels}の鍵が必要です。"
                              "鍵をお持ちの方に取り消しを依頼してください。")


def _refuse_if_referenced(conn: Connection, kinds: tuple[DatasetKind, ...], batch_id: int) -> None:
    kind = stored_rows.referencing_kind(conn, kinds, batch_id)
    if kind is not None:
        raise UserFacingError(
            "この取込で登録した児童生徒を、後の取込の記録が参照しているため取り消せません。"
            f"先に「{kind.label}」の取込を取り消してください。"
        )


def _add_note(findings: Findings, reason: str, severity: str, code: str) -> None:
    """A finding about the whole file, after all others of the kind."""
    findings.add(issues_frame([None], None, None, "", reason, severity, code), Step.NOTES)


def issue_rows(preview: ImportPreview) -> list[list[object]]:
    """The validation report as rows (the export writes them as it builds them:
    :func:`importing.findings.report_lines`)."""
    return list(report_lines(preview.findings))


__all__ = ["CLEAR_CONFIDENCE", "ISSUE_HEADER", "SEVERITY_LABELS", "FieldChange", "FileInspection",
           "ImportPreview", "ImportResult", "ImportingService", "SheetInfo", "UnknownValue",
           "issue_rows",
           "overwrite_changes", "row_fingerprints"]
