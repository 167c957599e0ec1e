"""Reading the files schools send: bytes → text → a table of strings with Excel row numbers.

Encodings are decided by rule, never guessed: a BOM, else strict UTF-8, else strict CP932
(Shift_JIS as Windows and Excel write it), else a clear error. Encoding detectors are not
used: they guess ``shift_jis_2004`` for CP932 files, which silently turns 髙→郄, 﨑→粼 and
～→〜 (REFERENCE_NOTES, "Japanese files").

Every cell is kept as the text in the file, so "000123" keeps its zeros and "NA" stays "NA";
an empty cell is "". Typing is the job of :mod:`analysis.values`.

Excel workbooks are read with python-calamine directly (the engine pandas' ``read_excel``
uses) so that each cell's type is known: pandas' ``dtype=str`` would turn a cell "NA" into
missing and would hide which code cells were typed as numbers (and so lost leading zeros).
Dates arrive as ISO text, times as HH:MM, whole numbers without ".0".
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis.common import (
    CancelFn,
    ProgressFn,
    Steps,
    concat_issues,
    empty_issues,
    issues_frame,
    map_unique,
)

# Excel cannot hold more than this in a cell; a longer field in a CSV is a broken file
# (usually a quote that was never closed).
MAX_CELL_CHARS = 32_767
# Title rows above the header are looked for in this many first rows.
HEADER_SEARCH_ROWS = 20
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
# A cell holding only spaces (only then must blank rows be judged after stripping).
_BLANK_CELL = re.compile(r"(?:^|[,\t])[ \u3000]+(?:[,\t]|$)", re.MULTILINE)
_ZIP = b"PK\x03\x04"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class FileReadError(ValueError):
    """The file cannot be read as a table at all. ``str(error)`` is a Japanese message."""

    def __init__(self, message: str, row: int | None = None) -> None:
        super().__init__(message)
        self.row = row


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str  # "utf-8", "utf-8-sig", "utf-16", "cp932"

    @property
    def encoding_label(self) -> str:
        return {
            "utf-8": "UTF-8",
            "utf-8-sig": "UTF-8（BOM付き）",
            "utf-16": "UTF-16",
            "cp932": "Shift_JIS（CP932）",
        }[self.encoding]


@dataclass(frozen=True)
class RawTable:
    """A file's table as text.

    ``frame`` has one column per position (0, 1, …) holding str ("" = empty); its index is
    the row number in the file as Excel shows it (``row``). ``headers`` gives the header text
    of each position ("" where the header cell is empty). ``numeric`` (Excel only) is True
    where the cell held a number rather than text, so a code column can report lost zeros.
    ``issues`` lists what was found while reading (ragged rows, control characters, …).
    """

    headers: tuple[str, ...]
    frame: pd.DataFrame
    header_row: int
    source_format: str  # "csv", "tsv", "xlsx", "xls", "ods"
    encoding: str | None
    issues: pd.DataFrame = field(default_factory=empty_issues)
    numeric: pd.DataFrame | None = None
    sheet: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def row_count(self) -> int:
        return len(self.frame)


# --------------------------------------------------------------------------------------------
# Decoding


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _non_ascii(text: str) -> int:
    return len(text) - len(text.encode("ascii", "ignore"))


def _mostly_utf8(data: bytes, first_bad: int) -> bool:
    before = data[:first_bad].decode("utf-8")
    if _non_ascii(before) >= 10:
        return True
    after = data[first_bad : first_bad + 65_536].decode("utf-8", errors="replace")
    broken = after.count("\ufffd")
    valid = _non_ascii(after) - broken
    return valid >= 10 and broken * 20 <= valid


def decode_bytes(data: bytes) -> DecodedText:
    """Bytes of a text file → text, by rule: BOM → strict UTF-8 → strict CP932 → error."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return DecodedText(data[3:].decode("utf-8"), "utf-8-sig")
        except UnicodeDecodeError as exc:
            line = _line_of(data, exc.start)
            raise FileReadError(
                f"UTF-8（BOM付き）のファイルですが、{line}行目に UTF-8 として読めない文字が"
                "あります。ファイルが壊れているか、別の文字コードの内容が混ざっています。",
                row=line,
            ) from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return DecodedText(data.decode("utf-16"), "utf-16")
        except UnicodeDecodeError:
            raise FileReadError(
                "UTF-16 のファイルとして読めません。CSV（UTF-8）で保存し直してください。"
            ) from None
    head = data[:4096]
    if head and head.count(0) * 10 > len(head):
        raise FileReadError(
            "NUL 文字（0x00）が多数含まれています。BOMのない UTF-16 のテキストか、表形式では"
            "ないファイルの可能性があります。Excel で開き「CSV UTF-8」で保存し直してください。"
        )
    try:
        return DecodedText(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    # A UTF-8 file with a few broken bytes must not be read as CP932 mojibake: when the text
    # before the first bad byte, or most of the text after it, is valid multi-byte UTF-8,
    # the file is UTF-8 and damaged. (CP932 text almost never forms valid UTF-8 sequences.)
    if _mostly_utf8(data, first_bad):
        line = _line_of(data, first_bad)
        raise FileReadError(
            f"UTF-8 のファイルですが、{line}行目に UTF-8 として読めない文字があります。"
            "ファイルの一部が壊れているか、別の文字コードで書かれた内容が混ざっています。",
            row=line,
        )
    try:
        return DecodedText(data.decode("cp932"), "cp932")
    except UnicodeDecodeError as exc:
        line = _line_of(data, exc.start)
        raise FileReadError(
            f"文字コードを判別できません（{line}行目）。UTF-8 でも Shift_JIS（CP932）でもない"
            "文字が含まれています。Excel で開き「CSV UTF-8」で保存し直してください。",
            row=line,
        ) from None


# --------------------------------------------------------------------------------------------
# Delimited text


def _sniff_delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    return "\t" if "\t" in first and "," not in first else ","


def _records_unquoted(
    text: str, delimiter: str
) -> tuple[pd.DataFrame, npt.NDArray[np.int64], int]:
    """Fast path (no quote character anywhere): pandas' C parser plus exact field counts."""
    encoded = text.encode("utf-8")
    raw = np.frombuffer(encoded, dtype=np.uint8)
    newline = np.flatnonzero(raw == 10)
    ends = newline if len(raw) and raw[-1] == 10 else np.append(newline, len(raw))
    delims = np.flatnonzero(raw == ord(delimiter))
    counts = np.diff(np.searchsorted(delims, ends), prepend=0)
    widths = (counts + 1).astype(np.int64)
    starts = np.concatenate(([0], ends[:-1] + 1))
    longest = int((ends - starts).max()) if len(ends) else 0
    width = int(widths.max()) if len(widths) else 1
    frame = pd.read_csv(
        io.BytesIO(encoded),
        encoding="utf-8",
        sep=delimiter,
        header=None,
        names=list(range(width)),
        index_col=False,
        dtype=str,
        keep_default_na=False,
        na_filter=False,
        skip_blank_lines=False,
        quoting=csv.QUOTE_NONE,
        engine="c",
    )
    if len(frame) != len(widths):  # pragma: no cover - guards the two parsers agreeing
        raise FileReadError("ファイルの行の区切りを正しく読めませんでした。")
    return frame, widths, longest


def _records_quoted(
    text: str, delimiter: str
) -> tuple[pd.DataFrame, npt.NDArray[np.int64], int]:
    """Quoted fields: the csv module's state machine (quotes only open a field)."""
    if csv.field_size_limit() < 2**31 - 1:
        # Raising the module-wide limit is safe (it only removes a limit); huge fields are
        # reported below instead of stopping the read.
        csv.field_size_limit(2**31 - 1)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    rows: list[list[str]] = []
    start_lines: list[int] = []
    line = 0
    for record in reader:
        start_lines.append(line + 1)
        line = reader.line_num
        rows.append(record if record else [""])
    total_lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    if rows and text.count('"') % 2 == 1 and line - start_lines[-1] > 0 and line >= total_lines:
        last = rows[-1]
        if any("\n" in f for f in last):
            raise FileReadError(
                f"{len(rows)}行目で始まる引用符（\"）が閉じられていないため、それ以降を読めません。"
                "その行の引用符を確認してください。",
                row=len(rows),
            )
    widths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
    width = int(widths.max()) if len(widths) else 1
    columns: dict[int, list[str]] = {i: [] for i in range(width)}
    for r in rows:
        padded = r + [""] * (width - len(r))
        for i, v in enumerate(padded):
            columns[i].append(v)
    frame = pd.DataFrame({i: pd.array(v, dtype=object) for i, v in columns.items()})
    longest = max((len(v) for r in rows for v in r), default=0)
    return frame, widths, longest


def _choose_header(frame: pd.DataFrame, header_row: int | None) -> int:
    """0-based record index of the header: given, or the first well-filled row near the top."""
    if header_row is not None:
        if not 1 <= header_row <= max(1, len(frame)):
            raise FileReadError(f"見出し行 {header_row} 行目がファイルにありません。")
        return header_row - 1
    top = frame.iloc[:HEADER_SEARCH_ROWS]
    if top.empty:
        return 0
    filled = (top.astype(str).apply(lambda c: c.str.strip() != "")).sum(axis=1).to_numpy()
    best = int(filled.max())
    if best == 0:
        raise FileReadError("ファイルの先頭の行に値がありません（空の行や区切り文字だけです）。")
    need = max(1, math.ceil(best / 2))
    return int(np.flatnonzero(filled >= need)[0])


def _table_from_records(
    records: pd.DataFrame,
    widths: npt.NDArray[np.int64] | None,
    header_row: int | None,
    source_format: str,
    encoding: str | None,
    numeric: pd.DataFrame | None,
    sheet: str | None,
    notes: list[str],
    check_long: bool,
    has_control: bool,
    blank_cells: bool,
    steps: Steps,
) -> RawTable:
    if records.empty:
        raise FileReadError("ファイルに内容がありません。")
    h = _choose_header(records, header_row)
    if h > 0 and header_row is None:
        notes.append(f"1～{h}行目は表題として読み飛ばし、{h + 1}行目を見出しとして読みました。")
    header_cells = [str(v).strip() for v in records.iloc[h].tolist()]
    named = [i for i, v in enumerate(header_cells) if v]
    if not named:
        raise FileReadError("見出し行が空です。1行目に列の見出しを入れてください。")
    n_named = named[-1] + 1
    data = records.iloc[h + 1 :]
    data.index = pd.RangeIndex(h + 2, h + 2 + len(data), name="row")
    num = None
    if numeric is not None:
        num = numeric.iloc[h + 1 :]
        num.index = data.index
    steps.report(0.3)

    # Blank rows are skipped silently (they keep their numbers for the rows below them).
    nonblank = np.zeros(len(data), dtype=bool)
    last_filled = np.full(len(data), -1, dtype=np.int64)
    for pos in range(data.shape[1]):
        if blank_cells:
            codes, stripped = map_unique(data[pos], str.strip)
            filled = (np.array([v != "" for v in stripped], dtype=bool))[codes]
        else:
            filled = data[pos].to_numpy(dtype=object) != ""
        nonblank |= filled
        last_filled[filled] = pos
    issues = []
    if widths is not None:
        data_widths = widths[h + 1 :]
        # The usual field count, and the usual count up to the last filled field: a column
        # filled in most rows under an empty header is an unnamed column, not ragged rows.
        live = data_widths[nonblank]
        filled_width = last_filled[nonblank] + 1
        mode_raw = int(np.bincount(live).argmax()) if len(live) else n_named
        mode_filled = int(np.bincount(filled_width).argmax()) if len(live) else n_named
        expected = max(n_named, mode_filled)
        too_many = nonblank & (last_filled >= expected)
        too_few = nonblank & (data_widths < min(n_named, mode_raw))
        for mask, reason in (
            (too_many, "列の数が見出しより多い行です（値に区切り文字「,」が含まれている可能性）。"),
            (too_few, "列の数が足りない行です（値が抜けているか、行が途中で改行されています）。"),
        ):
            idx = np.flatnonzero(mask)
            if len(idx):
                issues.append(
                    issues_frame(
                        data.index[idx], None, None,
                        [f"{w}列（見出し{n_named}列）" for w in data_widths[idx]],
                        reason, "error", "ragged_row",
                    )
                )
        keep_width = expected
    else:
        keep_width = n_named
    used = int(last_filled.max()) + 1 if len(last_filled) else 0
    keep_width = max(n_named, min(keep_width, used) if widths is not None else used)
    data = data.loc[nonblank, list(range(keep_width))]
    if num is not None:
        num = num.loc[nonblank, list(range(min(keep_width, num.shape[1])))]
    headers = tuple(header_cells[i] if i < len(header_cells) else "" for i in range(keep_width))
    steps.report(0.6)

    # Control characters (NUL etc.) are removed from the values and reported per cell.
    cleaned: dict[int, pd.Series] = {}
    for pos in range(keep_width):
        col = data[pos]
        if check_long:
            lengths = col.str.len()
            long_idx = np.flatnonzero((lengths > MAX_CELL_CHARS).to_numpy())
            if len(long_idx):
                issues.append(
                    issues_frame(
                        col.index[long_idx], None, headers[pos] or f"{pos + 1}列目",
                        col.iloc[long_idx].tolist(),
                        f"値が長すぎます（{MAX_CELL_CHARS:,}文字を超えています）。引用符（\"）の"
                        "閉じ忘れなどでファイルが崩れている可能性があります。",
                        "error", "huge_field",
                    )
                )
        if not has_control:
            cleaned[pos] = col
            steps.report(0.6 + 0.4 * (pos + 1) / keep_width)
            continue
        codes, bad_u = map_unique(col, lambda v: _CONTROL.search(v) is not None)
        bad_idx = np.flatnonzero(np.array(bad_u, dtype=bool)[codes])
        if len(bad_idx):
            issues.append(
                issues_frame(
                    col.index[bad_idx], None, headers[pos] or f"{pos + 1}列目",
                    [_CONTROL.sub("", v) for v in col.iloc[bad_idx]],
                    "制御文字（NUL 文字など）が含まれていたため取り除きました。内容を確認して"
                    "ください。",
                    "warning", "control_char",
                )
            )
            col = col.str.replace(_CONTROL, "", regex=True)
        cleaned[pos] = col
        steps.report(0.6 + 0.4 * (pos + 1) / keep_width)
    frame = pd.DataFrame(cleaned, index=data.index)
    headers = tuple(_CONTROL.sub("", h_) for h_ in headers)
    return RawTable(
        headers=headers,
        frame=frame,
        header_row=h + 1,
        source_format=source_format,
        encoding=encoding,
        issues=concat_issues(issues),
        numeric=num,
        sheet=sheet,
        notes=tuple(notes),
    )


def read_text_table(
    text: str,
    *,
    encoding: str | None = None,
    header_row: int | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
) -> RawTable:
    """A CSV (or tab-separated) text → :class:`RawTable`."""
    steps = Steps(progress, cancel)
    steps.report(0.0)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise FileReadError("ファイルに内容がありません。")
    delimiter = _sniff_delimiter(text)
    if '"' in text:
        records, widths, longest = _records_quoted(text, delimiter)
    else:
        records, widths, longest = _records_unquoted(text, delimiter)
    steps.report(0.4)
    fmt = "tsv" if delimiter == "\t" else "csv"
    return _table_from_records(
        records, widths, header_row, fmt, encoding, None, None, [],
        longest > MAX_CELL_CHARS, _CONTROL.search(text) is not None,
        '"' in text or _BLANK_CELL.search(text) is not None, steps.part(0.4, 1.0),
    )


# --------------------------------------------------------------------------------------------
# Excel


def _cell_text(value: object) -> tuple[str, bool]:
    """An Excel cell as text, and whether it held a number."""
    if isinstance(value, str):
        return value, False
    if value is None:
        return "", False
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE"), False
    if isinstance(value, int):
        return str(value), True
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
            return str(int(value)), True
        return repr(value), True
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat(), False
        return value.isoformat(sep=" "), False
    if isinstance(value, date):
        return value.isoformat(), False
    if isinstance(value, time):
        return value.strftime("%H:%M" if value.second == 0 else "%H:%M:%S"), False
    if isinstance(value, timedelta):
        seconds = int(value.total_seconds())
        return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}", False
    return str(value), False


def list_sheets(data: bytes) -> list[str]:
    """Names of the visible worksheets of an Excel workbook."""
    import python_calamine

    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:
        raise FileReadError(_excel_error(data, exc)) from None
    return [
        m.name for m in book.sheets_metadata
        if str(m.visible).endswith("Visible") and str(m.typ).endswith("WorkSheet")
    ]


@dataclass(frozen=True)
class SheetEntry:
    """One sheet of a workbook as its metadata says: name and whether a person sees it."""

    name: str
    visible: bool
    worksheet: bool  # False for chart sheets and the like (no cells to read)


def workbook_sheets(data: bytes) -> list[SheetEntry]:
    """Every sheet of an Excel workbook in order, hidden ones and chart sheets included, so
    that a caller can say why a sheet was not read instead of leaving it out silently."""
    import python_calamine

    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:
        raise FileReadError(_excel_error(data, exc)) from None
    return [
        SheetEntry(m.name, str(m.visible).endswith("Visible"), str(m.typ).endswith("WorkSheet"))
        for m in book.sheets_metadata
    ]


def is_workbook(data: bytes, filename: str | None = None) -> bool:
    """Whether :func:`read_table` reads these bytes as an Excel/ODS workbook."""
    suffix = Path(filename or "").suffix.lower()
    return data.startswith((_OLE2, _ZIP)) or suffix in (".xlsx", ".xlsm", ".ods")


def _excel_error(data: bytes, exc: Exception) -> str:
    if data.startswith(_OLE2):
        return (
            "Excel ファイルを開けません。パスワードが設定されているか、古い形式で壊れている"
            "可能性があります。パスワードを解除して .xlsx で保存し直してください。"
        )
    return (
        "Excel ファイルとして読めません。ファイルが壊れている可能性があります。"
        "Excel で開いて .xlsx で保存し直してください。"
    )


def read_excel_table(
    data: bytes,
    *,
    sheet: str | int | None = None,
    header_row: int | None = None,
    source_format: str = "xlsx",
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
) -> RawTable:
    """One worksheet of an .xlsx/.xls/.ods workbook → :class:`RawTable`."""
    import python_calamine

    steps = Steps(progress, cancel)
    steps.report(0.0)
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        visible = [
            m.name for m in book.sheets_metadata
            if str(m.visible).endswith("Visible") and str(m.typ).endswith("WorkSheet")
        ]
        notes: list[str] = []
        if sheet is None:
            if not visible:
                raise FileReadError("読み込めるシートがありません。")
            name = visible[0]
            if len(visible) > 1:
                notes.append(f"シートが{len(visible)}枚あります。1枚目「{name}」だけを読み、"
                             "ほかのシートは読んでいません。")
        elif isinstance(sheet, int):
            name = book.sheet_names[sheet]
        else:
            name = sheet
        if name not in book.sheet_names:
            raise FileReadError(f"シート「{name}」がありません。")
        cells = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except FileReadError:
        raise
    except Exception as exc:
        raise FileReadError(_excel_error(data, exc)) from None
    steps.report(0.4)
    if not cells:
        raise FileReadError(f"シート「{name}」に内容がありません。")
    width = max(len(r) for r in cells)
    texts: dict[int, list[str]] = {i: [] for i in range(width)}
    numbers: dict[int, list[bool]] = {i: [] for i in range(width)}
    for r_i, row in enumerate(cells):
        if r_i % 20_000 == 0:
            steps.report(0.4 + 0.3 * r_i / len(cells))
        for i in range(width):
            text, is_num = _cell_text(row[i] if i < len(row) else None)
            texts[i].append(text)
            numbers[i].append(is_num)
    records = pd.DataFrame({i: pd.array(v, dtype=object) for i, v in texts.items()})
    numeric = pd.DataFrame({i: np.asarray(v, dtype=bool) for i, v in numbers.items()})
    return _table_from_records(
        records, None, header_row, source_format, None, numeric, name, notes, False, True,
        True, steps.part(0.7, 1.0),
    )


# --------------------------------------------------------------------------------------------
# Any file


def read_table(
    source: bytes | Path,
    *,
    filename: str | None = None,
    sheet: str | int | None = None,
    header_row: int | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
) -> RawTable:
    """Read a CSV/TSV (UTF-8, UTF-8 with BOM, UTF-16 with BOM, CP932) or Excel file.

    ``header_row`` (1-based) names the header row; by default it is the first row that is
    at least half as full as the fullest of the first rows, so title rows above the header
    are skipped (and said so in ``notes``). Raises :class:`FileReadError` when the file
    cannot be read as a table at all; row-level problems are in ``RawTable.issues``.
    """
    if isinstance(source, Path):
        filename = filename or source.name
        data = source.read_bytes()
    else:
        data = source
    suffix = Path(filename or "").suffix.lower()
    if data.startswith(_OLE2):
        return read_excel_table(
            data, sheet=sheet, header_row=header_row, source_format="xls",
            progress=progress, cancel=cancel,
        )
    if data.startswith(_ZIP) or suffix in (".xlsx", ".xlsm", ".ods"):
        if not data.startswith(_ZIP):
            raise FileReadError(
                "Excel ファイル（.xlsx）として読めません。拡張子を確認してください。"
            )
        fmt = "ods" if suffix == ".ods" else "xlsx"
        return read_excel_table(
            data, sheet=sheet, header_row=header_row, source_format=fmt,
            progress=progress, cancel=cancel,
        )
    if data.startswith(b"%PDF"):
        raise FileReadError(
            "PDF ファイルは読めません。CSV または Excel 形式のファイルを選んでください。"
        )
    decoded = decode_bytes(data)
    table = read_text_table(
        decoded.text, encoding=decoded.encoding, header_row=header_row,
        progress=progress, cancel=cancel,
    )
    note = f"文字コード: {decoded.encoding_label}"
    return RawTable(
        headers=table.headers, frame=table.frame, header_row=table.header_row,
        source_format=table.source_format, encoding=decoded.encoding, issues=table.issues,
        numeric=None, sheet=None, notes=(note, *table.notes),
    )
