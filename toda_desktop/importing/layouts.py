"""Form layouts in the import: recognize a form, reshape it, and report against the file.

``apply_layout`` runs once in ``ImportingService.inspect`` (the wizard and the command line both
go through it): a months-as-columns or per-term attendance form, an instrument's export
(AiGROW, RST, Q-U: one column per item) or a wide 学校質問紙 becomes a table in interchange
shape, and the preview says so in a note with counts. ``layout_columns`` and
``file_rows`` keep the preview honest: a column the form has no place for is left unknown (not
an error on every row), and every finding and stored record points at the file's own row.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from analysis.headers import normalize_header
from analysis.layouts import (
    MONTHS,
    TERMS,
    ItemForm,
    ReshapedTable,
    WideForm,
    detect_wide,
    merge_header_rows,
    needs_upper_row,
    read_number_months,
    reshape_items,
    reshape_wide,
    round_in_text,
    source_frame,
    source_issues,
    source_row_of,
    year_in_text,
)
from analysis.textio import FileReadError, RawTable, read_table
from storage.registry import ColumnSpec, DatasetKind, Registry
from toda_desktop.importing.compare import IdenticalRows
from toda_desktop.instruments import Instrument, instruments

if TYPE_CHECKING:
    from toda_desktop.importing.service import ImportPreview

WIDE_KINDS = {MONTHS: "attendance_monthly", TERMS: "attendance_term"}
# A months-as-columns sheet with 不登校 or 主たる要因 is the 長期欠席調査, not attendance.
LONG_ABSENCE_KEYS = ("truancy", "main_factor")
ITEM_KINDS = ("survey_responses", "school_questionnaire")
# Columns of a wide export that are neither person references nor items.
NOT_ITEMS = ("学校名", "学校", "備考", "受検番号", "No", "№", "連番", "通し番号")
QUESTIONNAIRE_WORDS = ("学校質問紙", "教員質問紙", "学校調査", "学校用質問紙")
_VALUE_KEYS = ("school_days", "absence_days", "sick_days", "accident_days", "suspension_days",
               "late_count", "early_leave_count")


def _words(column: ColumnSpec) -> list[str]:
    return [normalize_header(h) for h in column.headers]


def wide_form(kind: DatasetKind, key_label: str) -> WideForm:
    measures = {w: c.label for c in kind.columns if c.key in _VALUE_KEYS for w in _words(c)}
    return WideForm(
        kind=kind.name, measures=measures, default_measure=kind.column("absence_days").label,
        required=tuple(c.label for c in kind.columns if c.required), key_label=key_label,
    )


def _title_text(raw: RawTable, data: bytes | Path, file_name: str) -> str:
    """The rows above the header (a form's title), as one text; "" when there are none."""
    if raw.header_row <= 1:
        return ""
    try:
        top = read_table(data, filename=file_name, sheet=raw.sheet, header_row=1)
    except FileReadError:
        return ""
    lines = [" ".join(top.headers)]
    for _, values in top.frame.loc[top.frame.index < raw.header_row].iterrows():
        lines.append(" ".join(str(v) for v in values))
    return "\n".join(lines)


def _year(raw: RawTable, data: bytes | Path, file_name: str) -> tuple[int | None, str]:
    title = _title_text(raw, data, file_name)
    year = year_in_text(title) if title else None
    if year is not None:
        return year, "表題"
    year = year_in_text(file_name)
    return (year, "ファイル名") if year is not None else (None, "")


def _round(raw: RawTable, data: bytes | Path, file_name: str) -> tuple[int | None, str]:
    """The round (第2回, 2回目) from the title, else the file name, like the year."""
    title = _title_text(raw, data, file_name)
    found = round_in_text(title) if title else None
    if found is not None:
        return found, "表題"
    found = round_in_text(file_name)
    return (found, "ファイル名") if found is not None else (None, "")


def _wide(raw: RawTable, data: bytes | Path, file_name: str, registry: Registry,
          kind_name: str | None) -> RawTable | None:
    forms = {MONTHS: wide_form(registry.kind("attendance_monthly"), "月"),
             TERMS: wide_form(registry.kind("attendance_term"), "学期")}
    table = read_number_months(raw) or raw
    layout = detect_wide(table.headers)
    if layout is None and needs_upper_row(table, forms[MONTHS]):
        try:
            table = read_table(data, filename=file_name, sheet=raw.sheet,
                               header_row=raw.header_row - 1)
        except FileReadError:
            return None
        layout = detect_wide(table.headers)
    if layout is None:
        return None
    form = forms[layout]
    if layout == MONTHS:
        long_absence = registry.kind("long_absence")
        words = {w for key in LONG_ABSENCE_KEYS for w in _words(long_absence.column(key))}
        if {normalize_header(h) for h in table.headers} & words:
            form = wide_form(long_absence, "月")
    if kind_name is not None and kind_name != form.kind:
        return None
    merged = merge_header_rows(table, form, layout)
    if merged is not None:
        table = merged
    year, where = _year(raw, data, file_name)
    return reshape_wide(table, form, layout, year=year, year_source=where)


def _keep_words(kind: DatasetKind) -> frozenset[str]:
    words = {w for c in kind.columns for w in _words(c)}
    return frozenset(words | {normalize_header(w) for w in NOT_ITEMS})


def instrument_form(inst: Instrument, kind: DatasetKind) -> ItemForm:
    """Only the items the instrument declares become answers: an export's other columns
    (受検者ID, 学級担任 …) are left unread with a note, never read as scores."""
    items = {normalize_header(h): i.code for i in inst.items for h in (*i.headers, i.code)}
    keep = _keep_words(kind) - set(items)
    round_column = kind.column("round")
    return ItemForm(kind=kind.name, name=inst.name, items=items, keep=keep,
                    constants={"調査コード": inst.code}, low=inst.min, high=inst.max,
                    categories={c: inst.categories for c in inst.category_items},
                    unknown_items=False, round_label=round_column.label,
                    round_words=frozenset(_words(round_column)), rounds=inst.rounds)


def _mentions(text: str, words: Sequence[str]) -> bool:
    """Whether a file name or title names the instrument; a Latin word (QU, RST) only as a
    word of its own, so that 「unique.csv」 does not name Q-U."""
    norm = normalize_header(text)
    for word in words:
        w = normalize_header(word)
        if w.isascii():
            if re.search(rf"(?<![a-z]){re.escape(w)}(?![a-z])", norm):
                return True
        elif w in norm:
            return True
    return False


def _items(raw: RawTable, data: bytes | Path, file_name: str, registry: Registry,
           kind_name: str | None) -> RawTable | None:
    norms = {normalize_header(h) for h in raw.headers if h.strip()}
    if norms & {normalize_header(w) for w in ("設問コード", "設問番号", "設問ID", "調査コード")}:
        return None  # already one row per item
    titles: list[str] = []

    def named_by() -> str:  # the title is read again only when it can decide
        if not titles:
            titles.append(f"{file_name}\n{_title_text(raw, data, file_name)}")
        return titles[0]

    responses = registry.kind("survey_responses")
    if kind_name in (None, "survey_responses"):
        best: tuple[int, Instrument] | None = None
        for inst in instruments():
            form = instrument_form(inst, responses)
            hits = len(norms & set(form.items))
            enough = hits >= 2 or (hits >= 1 and _mentions(named_by(), inst.words))
            if enough and (best is None or hits > best[0]):
                best = (hits, inst)
        if best is not None:
            year, where = _year(raw, data, file_name)
            found, round_where = _round(raw, data, file_name)
            return reshape_items(raw, instrument_form(best[1], responses), year=year,
                                 year_source=where, round_=found, round_source=round_where)
    if kind_name not in (None, "school_questionnaire"):
        return None
    kind = registry.kind("school_questionnaire")
    pupil_words = {w for c in responses.person_ref_columns if c.key != "school_code"
                   for w in _words(c)}
    if norms & pupil_words or not norms & set(_words(kind.column("school_code"))):
        return None
    if len(norms) < 3 or not _mentions(named_by(), QUESTIONNAIRE_WORDS):
        return None
    form = ItemForm(kind=kind.name, name="学校質問紙", items={}, keep=_keep_words(kind),
                    constants={}, text_label="設問文", unit="校")
    year, where = _year(raw, data, file_name)
    return reshape_items(raw, form, year=year, year_source=where)


def apply_layout(raw: RawTable, data: bytes | Path, file_name: str, registry: Registry,
                 kind_name: str | None = None) -> RawTable:
    """The table in interchange shape when it is a recognized form; else unchanged."""
    if kind_name is not None and kind_name not in (*WIDE_KINDS.values(), "long_absence",
                                                    *ITEM_KINDS):
        return raw
    return (_wide(raw, data, file_name, registry, kind_name)
            or _items(raw, data, file_name, registry, kind_name) or raw)


def layout_columns(raw: RawTable, columns: Sequence[ColumnSpec]) -> Sequence[ColumnSpec]:
    """The kind's columns, with required columns the form has no place for made optional
    (their values stay unknown; the preview says so once instead of erring on every row)."""
    if not isinstance(raw, ReshapedTable) or not raw.absent:
        return columns
    absent = set(raw.absent)
    return [dataclasses.replace(c, required=False) if c.label in absent else c
            for c in columns]


def file_rows(preview: ImportPreview) -> ImportPreview:
    """Findings, rows to store and review items of a reshaped form, at the file's rows."""
    raw = preview.inspection.raw
    if not isinstance(raw, ReshapedTable):
        return preview
    # A form is read whole and small: its findings are mapped as plain texts, all at once
    # (repeats collapse to one).
    preview.findings = preview.findings.mapped(lambda found: source_issues(
        raw, found.astype(object)))
    preview.rows = source_frame(raw, preview.rows)
    preview.to_insert = source_frame(raw, preview.to_insert)
    preview.to_overwrite = source_frame(raw, preview.to_overwrite)
    preview.repeat_rows = source_frame(raw, preview.repeat_rows)
    preview.to_review = [(source_row_of(raw, r[0]), *r[1:]) for r in preview.to_review]
    preview.changes = [dataclasses.replace(c, row=source_row_of(raw, c.row))
                       for c in preview.changes]
    preview.identical = IdenticalRows.of_pairs(
        (record, None if row is None else source_row_of(raw, row))
        for record, row in preview.identical)
    return preview


def layout_notes(preview: ImportPreview) -> list[str]:
    """What the reshaping did, for the command line's summary (the wizard lists all findings)."""
    findings = preview.findings
    issues = findings.block(0, findings.file_level)  # the file-level findings come first
    mine = issues["code"].astype(str).str.startswith("layout").to_numpy()
    return [str(r) for r in issues.loc[mine, "reason"]]


__all__ = ["apply_layout", "file_rows", "instrument_form", "layout_columns", "layout_notes",
           "wide_form"]
