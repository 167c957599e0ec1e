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
import itertools
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis.common import (
    CancelFn,
    Cancelled,
    ProgressFn,
    Steps,
    concat_issues,
    empty_issues,
    issues_frame,
    map_unique,
)
from analysis.workbook_limits import WorkbookLimitError, check_workbook

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

    ``frame`` has one column per position (0, 1, …) holding str ("" = empty), stored as a
    categorical (one string per distinct value, not per cell: files repeat their values);
    its index is the row number in the file as Excel shows it (``row``). ``headers`` gives
    the header text of each position ("" where the header cell is empty). ``numeric``
    (Excel only) is True where the cell held a number rather than text, so a code column can
    report lost zeros.
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
    # A file read in chunks (see :func:`read_text_chunked`): ``frame`` holds only its first
    # rows, ``total_rows`` counts them all, and ``chunks(rows)`` reads the file again, giving
    # its rows ``rows`` records at a time as tables of their own (with their own issues).
    total_rows: int | None = None
    chunks: Callable[[int], Iterator[RawTable]] | None = field(default=None, repr=False,
                                                                compare=False)

    @property
    def row_count(self) -> int:
        return len(self.frame) if self.total_rows is None else self.total_rows

    @property
    def streamed(self) -> bool:
        """Whether the table's rows are read from the file chunk by chunk (not all held)."""
        return self.chunks is not None


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
    return _mostly_utf8_after(data[first_bad : first_bad + 65_536])


def _bom_utf8_error(line: int) -> FileReadError:
    return FileReadError(
        f"UTF-8（BOM付き）のファイルですが、{line}行目に UTF-8 として読めない文字が"
        "あります。ファイルが壊れているか、別の文字コードの内容が混ざっています。",
        row=line,
    )


def _utf16_error() -> FileReadError:
    return FileReadError(
        "UTF-16 のファイルとして読めません。CSV（UTF-8）で保存し直してください。"
    )


def _nul_error() -> FileReadError:
    return FileReadError(
        "NUL 文字（0x00）が多数含まれています。BOMのない UTF-16 のテキストか、表形式では"
        "ないファイルの可能性があります。Excel で開き「CSV UTF-8」で保存し直してください。"
    )


def _broken_utf8_error(line: int) -> FileReadError:
    return FileReadError(
        f"UTF-8 のファイルですが、{line}行目に UTF-8 として読めない文字があります。"
        "ファイルの一部が壊れているか、別の文字コードで書かれた内容が混ざっています。",
        row=line,
    )


def _unknown_encoding_error(line: int) -> FileReadError:
    return FileReadError(
        f"文字コードを判別できません（{line}行目）。UTF-8 でも Shift_JIS（CP932）でもない"
        "文字が含まれています。Excel で開き「CSV UTF-8」で保存し直してください。",
        row=line,
    )


def _too_many_nuls(head: bytes) -> bool:
    return bool(head) and head.count(0) * 10 > len(head)


def decode_bytes(data: bytes) -> DecodedText:
    """Bytes of a text file → text, by rule: BOM → strict UTF-8 → strict CP932 → error."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return DecodedText(data[3:].decode("utf-8"), "utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _bom_utf8_error(_line_of(data, exc.start)) from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return DecodedText(data.decode("utf-16"), "utf-16")
        except UnicodeDecodeError:
            raise _utf16_error() from None
    if _too_many_nuls(data[:4096]):
        raise _nul_error()
    try:
        return DecodedText(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    # A UTF-8 file with a few broken bytes must not be read as CP932 mojibake: when the text
    # before the first bad byte, or most of the text after it, is valid multi-byte UTF-8,
    # the file is UTF-8 and damaged. (CP932 text almost never forms valid UTF-8 sequences.)
    if _mostly_utf8(data, first_bad):
        raise _broken_utf8_error(_line_of(data, first_bad))
    try:
        return DecodedText(data.decode("cp932"), "cp932")
    except UnicodeDecodeError as exc:
        raise _unknown_encoding_error(_line_of(data, exc.start)) from None


# --------------------------------------------------------------------------------------------
# Reading a text file in pieces
#
# A file is read in pieces of about CHUNK_BYTES, each cut just after a line end (b"\n" is
# never part of a UTF-8 or CP932 multi-byte character, so each piece decodes on its own).
# The encoding is decided by the same rule as decode_bytes in a first pass that keeps no text;
# the second pass decodes and parses piece by piece into compact columns. Neither the whole
# text nor a table of Python strings is ever held.

CHUNK_BYTES = 1 << 20
_UTF8_LEAD = np.zeros(256, dtype=bool)
_UTF8_LEAD[0xC0:] = True  # one lead byte per non-ASCII character


class _Source:
    """The bytes of a text file, in memory or on disk, read in line-aligned pieces."""

    def __init__(self, source: bytes | Path) -> None:
        self.source = source
        self.size = len(source) if isinstance(source, bytes) else source.stat().st_size

    def read(self, start: int, length: int) -> bytes:
        if isinstance(self.source, bytes):
            return self.source[start : start + length]
        with self.source.open("rb") as f:
            f.seek(start)
            return f.read(length)

    def pieces(self, skip: int = 0) -> Iterator[tuple[int, bytes]]:
        """(offset, piece) from ``skip`` on; each piece ends after b"\n" except the last."""
        size = CHUNK_BYTES
        if isinstance(self.source, bytes):
            data, start, n = self.source, skip, len(self.source)
            while start < n:
                end = data.find(b"\n", min(start + size, n) - 1)
                end = n if end < 0 else end + 1
                yield start, data[start:end]
                start = end
            return
        with self.source.open("rb") as f:
            f.seek(skip)
            start = skip
            while True:
                piece = f.read(size)
                if not piece:
                    return
                if not piece.endswith(b"\n"):
                    piece += f.readline()
                yield start, piece
                start += len(piece)


def _first_undecodable(source: _Source, encoding: str, skip: int) -> tuple[int, int, int] | None:
    """(offset, line, non-ASCII characters before it) of the first byte that ``encoding``
    cannot decode strictly, or None when the whole file decodes."""
    lines = 0
    non_ascii = 0
    for start, piece in source.pieces(skip):
        try:
            piece.decode(encoding)
        except UnicodeDecodeError as exc:
            before = np.frombuffer(piece, dtype=np.uint8, count=exc.start)
            return (start + exc.start, lines + piece.count(b"\n", 0, exc.start) + 1,
                    non_ascii + int(_UTF8_LEAD[before].sum()))
        lines += piece.count(b"\n")
        if encoding == "utf-8":
            non_ascii += int(_UTF8_LEAD[np.frombuffer(piece, dtype=np.uint8)].sum())
    return None


def detect_encoding(source: bytes | Path) -> str:
    """The encoding :func:`decode_bytes` would choose, found without holding the text:
    "utf-8-sig", "utf-16" (decoded whole: rare), "utf-8" or "cp932"; the same errors."""
    src = _Source(source)
    head = src.read(0, 4096)
    if head.startswith(b"\xef\xbb\xbf"):
        bad = _first_undecodable(src, "utf-8", 3)
        if bad is not None:
            raise _bom_utf8_error(bad[1])
        return "utf-8-sig"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if _too_many_nuls(head):
        raise _nul_error()
    bad = _first_undecodable(src, "utf-8", 0)
    if bad is None:
        return "utf-8"
    first_bad, line, non_ascii_before = bad
    if non_ascii_before >= 10 or _mostly_utf8_after(src.read(first_bad, 65_536)):
        raise _broken_utf8_error(line)
    bad = _first_undecodable(src, "cp932", 0)
    if bad is not None:
        raise _unknown_encoding_error(bad[1])
    return "cp932"


def _mostly_utf8_after(after_bytes: bytes) -> bool:
    after = after_bytes.decode("utf-8", errors="replace")
    broken = after.count("\ufffd")
    valid = _non_ascii(after) - broken
    return valid >= 10 and broken * 20 <= valid


def _text_pieces(source: _Source, encoding: str) -> Iterator[tuple[float, str]]:
    """(fraction read, text) pieces with line ends made "\n" (as in read_text_table)."""
    skip = 3 if encoding == "utf-8-sig" else 0
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    total = max(1, source.size)
    for start, piece in source.pieces(skip):
        text = piece.decode(codec)
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        yield (start + len(piece)) / total, text


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


def _quoted_batches(
    pieces: Iterable[str], delimiter: str
) -> Iterator[tuple[pd.DataFrame, npt.NDArray[np.int32], int]]:
    """Quoted fields: the csv module's state machine (quotes only open a field), over text
    given piece by piece (a quoted field may span pieces); records come in batches of
    20,000 as (text columns by position, field counts, longest field)."""
    if csv.field_size_limit() < 2**31 - 1:
        # Raising the module-wide limit is safe (it only removes a limit); huge fields are
        # reported below instead of stopping the read.
        csv.field_size_limit(2**31 - 1)
    seen = {"quotes": 0, "lines": 0, "newline_at_end": 1}

    def lines() -> Iterator[str]:
        for text in pieces:
            if not text:
                continue
            seen["quotes"] += text.count('"')
            seen["lines"] += text.count("\n")
            seen["newline_at_end"] = int(text.endswith("\n"))
            parts = text.split("\n")
            for part in parts[:-1]:
                yield part + "\n"
            if parts[-1]:
                yield parts[-1]

    reader = csv.reader(lines(), delimiter=delimiter, strict=False)
    batch: list[list[str]] = []
    last: list[str] | None = None
    start_line = line = count = 0

    def stored() -> tuple[pd.DataFrame, npt.NDArray[np.int32], int]:
        w = np.fromiter((len(r) for r in batch), dtype=np.int64, count=len(batch))
        width = int(w.max())
        cols: dict[int, list[str]] = {i: [] for i in range(width)}
        for r in batch:
            padded = r + [""] * (width - len(r))
            for i, v in enumerate(padded):
                cols[i].append(v)
        frame = pd.DataFrame({i: np.asarray(v, dtype=object) for i, v in cols.items()},
                             columns=list(range(width)))
        longest = max((len(v) for r in batch for v in r), default=0)
        batch.clear()
        return frame, w.astype(np.int32), longest

    for record in reader:
        start_line = line + 1
        line = reader.line_num
        last = record if record else [""]
        batch.append(last)
        count += 1
        if len(batch) >= 20_000:
            yield stored()
    if batch:
        yield stored()
    total_lines = seen["lines"] + (0 if seen["newline_at_end"] else 1)
    if (last is not None and seen["quotes"] % 2 == 1 and line - start_line > 0
            and line >= total_lines and any("\n" in f for f in last)):
        raise FileReadError(
            f"{count}行目で始まる引用符（\"）が閉じられていないため、それ以降を読めません。"
            "その行の引用符を確認してください。",
            row=count,
        )


def _records_quoted(
    pieces: Iterable[str], delimiter: str
) -> tuple[pd.DataFrame, npt.NDArray[np.int32], int]:
    """Quoted fields of a whole text as compact columns (see :func:`_quoted_batches`)."""
    columns = _Columns()
    widths: list[npt.NDArray[np.int32]] = []
    longest = 0
    for frame, w, batch_longest in _quoted_batches(pieces, delimiter):
        columns.add({int(pos): frame[pos] for pos in frame.columns}, len(frame))
        widths.append(w)
        longest = max(longest, batch_longest)
    all_widths = np.concatenate(widths) if widths else np.zeros(0, dtype=np.int32)
    return columns.frame(), all_widths, longest


class _Columns:
    """Columns of text gathered piece by piece as categorical codes: a file repeats few
    distinct values per column, and one string per distinct value is kept instead of one
    per cell (a 700,000-row file: ~30 MB instead of ~400 MB). Position 0 of every column's
    categories is "" (rows of a narrower piece are padded with it)."""

    def __init__(self) -> None:
        self.lookup: list[dict[str, int]] = []
        self.codes: list[list[npt.NDArray[np.signedinteger[Any]]]] = []
        self.rows = 0

    def add(self, columns: Mapping[int, npt.NDArray[Any] | pd.Series], n: int) -> None:
        for pos, values in columns.items():
            while pos >= len(self.lookup):
                self.lookup.append({"": 0})
                self.codes.append([np.zeros(self.rows, dtype=np.int8)])
            codes, uniques = pd.factorize(np.asarray(values, dtype=object))
            lookup = self.lookup[pos]
            table = np.fromiter((lookup.setdefault(str(u), len(lookup)) for u in uniques),
                                dtype=np.int32, count=len(uniques))
            # Each piece's codes in the fewest bytes its column needs so far (a month: one).
            self.codes[pos].append(table[codes].astype(_code_type(len(lookup))))
        for pos in range(len(self.lookup)):
            if pos not in columns:
                self.codes[pos].append(np.zeros(n, dtype=np.int8))
        self.rows += n

    def frame(self) -> pd.DataFrame:
        """The columns; each column's pieces are let go as soon as it is built."""
        if not self.lookup:
            return pd.DataFrame(index=pd.RangeIndex(self.rows))
        out = {}
        for pos, lookup in enumerate(self.lookup):
            codes = np.concatenate(self.codes[pos])
            self.codes[pos] = []
            out[pos] = pd.Categorical.from_codes(codes,
                                                 categories=pd.Index(list(lookup), dtype=object))
        return pd.DataFrame(out, copy=False)  # no second copy of every column's codes


def _code_type(distinct: int) -> type[np.signedinteger[Any]]:
    """The smallest signed integer type for codes below ``distinct``."""
    if distinct <= np.iinfo(np.int8).max:
        return np.int8
    if distinct <= np.iinfo(np.int16).max:
        return np.int16
    return np.int32


def _categorical(values: pd.Series) -> pd.Series:
    """A column of text as a categorical (unchanged when it already is one)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values
    codes, uniques = pd.factorize(values.to_numpy(dtype=object))
    return pd.Series(pd.Categorical.from_codes(codes, categories=pd.Index(uniques,
                                                                            dtype=object)),
                     index=values.index, name=values.name)


def _mapped(values: pd.Series, fn: Callable[[str], str]) -> pd.Series:
    """``fn`` applied to each distinct value of a text column, as a categorical."""
    codes, results = map_unique(values, fn)
    new_codes, uniques = pd.factorize(np.asarray(results, dtype=object))
    return pd.Series(
        pd.Categorical.from_codes(new_codes[codes], categories=pd.Index(uniques, dtype=object)),
        index=values.index, name=values.name,
    )


def _filled_cells(values: pd.Series, strip: bool) -> npt.NDArray[np.bool_]:
    """Whether each cell holds something (spaces stripped first when ``strip``), judged once
    per distinct value; a compact column's own codes index the answer (one byte a row, no
    second array of codes)."""
    fn: Callable[[str], str] = str.strip if strip else str
    if isinstance(values.dtype, pd.CategoricalDtype):
        table = np.array([fn(str(v)) != "" for v in values.cat.categories] + [False],
                         dtype=bool)
        return table[values.cat.codes.to_numpy()]  # code -1 (missing): the last, empty
    codes, stripped = map_unique(values, fn)
    return np.array([v != "" for v in stripped], dtype=bool)[codes]


def title_rows_note(header_index: int) -> str:
    """The note that rows above the header were read as a title (one row or a range)."""
    skipped = "1行目" if header_index == 1 else f"1～{header_index}行目"
    return f"{skipped}は表題として読み飛ばし、{header_index + 1}行目を見出しとして読みました。"


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


def _ragged_issues(
    index: pd.Index, data_widths: npt.NDArray[np.int32], nonblank: npt.NDArray[np.bool_],
    last_filled: npt.NDArray[np.int32], n_named: int, expected: int, mode_raw: int,
) -> list[pd.DataFrame]:
    """Rows with more filled fields than the table has, or fewer fields than the header and
    most rows (``expected`` and ``mode_raw`` are the whole file's)."""
    issues = []
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
                    index[idx], None, None,
                    [f"{w}列（見出し{n_named}列）" for w in data_widths[idx]],
                    reason, "error", "ragged_row",
                )
            )
    return issues


def _clean_columns(
    data: pd.DataFrame, keep_width: int, headers: tuple[str, ...], check_long: bool,
    has_control: bool, issues: list[pd.DataFrame], steps: Steps,
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Each kept column as a categorical; fields too long for a cell reported (when the file
    has one) and control characters (NUL etc.) removed and reported per cell."""
    cleaned: dict[int, pd.Series] = {}
    for pos in range(keep_width):
        col = _categorical(data[pos])
        if check_long:
            codes, lengths = map_unique(col, len)
            long_idx = np.flatnonzero((np.asarray(lengths) > MAX_CELL_CHARS)[codes])
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
            col = _mapped(col, lambda v: _CONTROL.sub("", v))
        cleaned[pos] = col
        steps.report(0.6 + 0.4 * (pos + 1) / keep_width)
    frame = pd.DataFrame(cleaned, index=data.index, copy=False)
    headers = tuple(_CONTROL.sub("", h_) for h_ in headers)
    return frame, headers


# A merged range of a worksheet: ((first row, first column), (last row, last column)), 0-based
# positions in the sheet as python-calamine gives them.
MergedRange = tuple[tuple[int, int], tuple[int, int]]


def _fill_merged(
    data: pd.DataFrame, num: pd.DataFrame | None, merges: Sequence[MergedRange], h: int,
    header_cells: Sequence[str], nonblank: npt.NDArray[np.bool_],
) -> tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame]:
    """The cells of a real merged range below the header read as the range's first cell,
    as Excel shows them (a 年度 merged down a class holds its value in the first row only).
    Only rows with something else in them are filled: a range reaching past the table adds
    no rows. One note per column says which rows were filled."""
    # column → (start, stop, source row, source column), positions in ``data``
    fills: dict[int, list[tuple[int, int, int, int]]] = {}
    for (r0, c0), (r1, c1) in merges:
        if r0 <= h or c0 >= data.shape[1] or (r1 == r0 and c1 == c0):
            continue
        first = r0 - h - 1  # position of the range's first row in ``data``
        for c in range(c0, min(c1, data.shape[1] - 1) + 1):
            fills.setdefault(c, []).append((first + (1 if c == c0 else 0), r1 - h, first, c0))
    if not fills:
        return data, num, empty_issues()
    data = data.copy()
    if num is not None:
        num = num.copy()
    # The first cells' values and number flags, read before any column is filled.
    sources = {c0 for spans in fills.values() for *_, c0 in spans}
    first_codes = {c0: data[c0].cat.codes.to_numpy() for c0 in sources}
    first_texts = {c0: [str(v) for v in data[c0].cat.categories] for c0 in sources}
    first_flags = {c0: num[c0].to_numpy(dtype=bool) for c0 in sources
                   if num is not None and c0 in num.columns}
    issues = []
    for c, spans in sorted(fills.items()):
        column = data[c]
        categories = list(column.cat.categories)
        codes = column.cat.codes.to_numpy().astype(np.int32)
        lookup = {v: i for i, v in enumerate(categories)}
        filled = np.zeros(len(data), dtype=bool)
        flags = (num[c].to_numpy(dtype=bool).copy()
                 if num is not None and c in num.columns else None)
        for start, stop, source, c0 in spans:
            code = int(first_codes[c0][source])
            value = "" if code < 0 else first_texts[c0][code]
            if not value.strip():
                continue
            at = lookup.setdefault(value, len(categories))
            if at == len(categories):
                categories.append(value)
            rows = np.arange(start, min(stop, len(data)))
            rows = rows[nonblank[rows]]
            codes[rows] = at
            filled[rows] = True
            if flags is not None and c0 in first_flags:
                flags[rows] = first_flags[c0][source]
        if not filled.any():
            continue
        if flags is not None and num is not None:
            num[c] = flags
        data[c] = pd.Categorical.from_codes(codes, categories=pd.Index(categories, dtype=object))
        where = data.index[filled]
        shown = header_cells[c] if c < len(header_cells) and header_cells[c] else f"{c + 1}列目"
        listed = "、".join(str(r) for r in where[:10]) + ("行目ほか" if len(where) > 10
                                                          else "行目")
        issues.append(issues_frame(
            [None], None, shown, "",
            f"「{shown}」の{listed}（{len(where)}行）は結合されたセルのため、結合範囲の先頭の"
            "セルの値で読みました。", "note", "merged_cells"))
    return data, num, concat_issues(issues)


def _table_from_records(
    records: pd.DataFrame,
    widths: npt.NDArray[np.int32] | None,
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
    merges: Sequence[MergedRange] = (),
) -> RawTable:
    if records.empty:
        raise FileReadError("ファイルに内容がありません。")
    h = _choose_header(records, header_row)
    if h > 0 and header_row is None:
        notes.append(title_rows_note(h))
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
    last_filled = np.full(len(data), -1, dtype=np.int32)  # a position: 4 bytes a row
    for pos in range(data.shape[1]):
        filled = _filled_cells(data[pos], blank_cells)
        nonblank |= filled
        last_filled[filled] = pos
    issues = []
    if merges:
        data, num, filled_issues = _fill_merged(data, num, merges, h, header_cells, nonblank)
        issues.append(filled_issues)
    if widths is not None:
        data_widths = widths[h + 1 :]
        # The usual field count, and the usual count up to the last filled field: a column
        # filled in most rows under an empty header is an unnamed column, not ragged rows.
        every = bool(nonblank.all())  # then no copies of the per-row arrays
        live = data_widths if every else data_widths[nonblank]
        last_live = last_filled if every else last_filled[nonblank]
        mode_raw = int(np.bincount(live).argmax()) if len(live) else n_named
        mode_filled = int(np.bincount(last_live).argmax()) + 1 if len(live) else n_named
        del live, last_live
        expected = max(n_named, mode_filled)
        issues += _ragged_issues(data.index, data_widths, nonblank, last_filled, n_named,
                                 expected, mode_raw)
        keep_width = expected
    else:
        keep_width = n_named
    used = int(last_filled.max()) + 1 if len(last_filled) else 0
    keep_width = max(n_named, min(keep_width, used) if widths is not None else used)
    if not nonblank.all():
        data = data.loc[nonblank]
    if data.shape[1] != keep_width:
        data = data[list(range(keep_width))]
    if num is not None:
        num = num.loc[nonblank, list(range(min(keep_width, num.shape[1])))]
    headers = tuple(header_cells[i] if i < len(header_cells) else "" for i in range(keep_width))
    steps.report(0.6)

    frame, headers = _clean_columns(data, keep_width, headers, check_long, has_control,
                                    issues, steps)
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
    return _read_pieces(_split_text(text), '"' in text, encoding, header_row, steps)


def _split_text(text: str) -> Iterator[tuple[float, str]]:
    """(fraction, piece) of a text, each piece ending after a "\n" (except the last)."""
    start, n, size = 0, len(text), CHUNK_BYTES
    while start < n:
        end = text.find("\n", min(start + size, n) - 1)
        end = n if end < 0 else end + 1
        yield end / n, text[start:end]
        start = end


def _record_batches(
    pieces: Iterable[tuple[float, str]], has_quote: bool, found: dict[str, Any],
    reading: Steps,
) -> Iterator[tuple[pd.DataFrame, npt.NDArray[np.int32], int]]:
    """Line-aligned pieces of a delimited text → batches of records (text columns by
    position, field counts, longest field). What reading must know about the whole text (a
    control character anywhere, a cell of spaces only, whether there is content at all, the
    delimiter) is gathered into ``found`` piece by piece."""
    found.update(content=False, control=False, blank_cells=has_quote, delimiter=",")

    def texts() -> Iterator[str]:
        first = True
        for fraction, text in pieces:
            if first:
                found["delimiter"] = _sniff_delimiter(text)
                first = False
            found["content"] = found["content"] or not text.isspace()
            found["control"] = found["control"] or _CONTROL.search(text) is not None
            found["blank_cells"] = found["blank_cells"] or (
                ("　" in text or " " in text) and _BLANK_CELL.search(text) is not None)
            yield text
            reading.report(fraction)

    stream = texts()
    if has_quote:
        first = next(stream, "")
        yield from _quoted_batches(itertools.chain([first], stream), found["delimiter"])
        return
    for text in stream:
        frame, w, piece_longest = _records_unquoted(text, found["delimiter"])
        yield frame, w.astype(np.int32), piece_longest  # a field count: 4 bytes a row


def _read_pieces(
    pieces: Iterator[tuple[float, str]],
    has_quote: bool,
    encoding: str | None,
    header_row: int | None,
    steps: Steps,
) -> RawTable:
    """Parse line-aligned pieces of a delimited text into compact columns, then the table."""
    found: dict[str, Any] = {}
    columns = _Columns()
    parts: list[npt.NDArray[np.int32]] = []
    longest = 0
    for frame, w, batch_longest in _record_batches(pieces, has_quote, found,
                                                   steps.part(0.0, 0.4)):
        columns.add({int(pos): frame[pos] for pos in frame.columns}, len(frame))
        parts.append(w)
        longest = max(longest, batch_longest)
    records = columns.frame()
    widths = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)
    if not found["content"]:
        raise FileReadError("ファイルに内容がありません。")
    steps.report(0.4)
    fmt = "tsv" if found["delimiter"] == "\t" else "csv"
    return _table_from_records(
        records, widths, header_row, fmt, encoding, None, None, [],
        longest > MAX_CELL_CHARS, found["control"], found["blank_cells"], steps.part(0.4, 1.0),
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


# Rows of a worksheet turned into text at a time: the sheet's cells become compact columns
# batch by batch, never one Python object per cell of the whole sheet.
EXCEL_BATCH_ROWS = 20_000


def _add_cells(
    columns: _Columns, numbers: list[list[npt.NDArray[np.bool_]]], batch: Sequence[Sequence[object]]
) -> None:
    """One batch of worksheet rows added to ``columns`` (text) and ``numbers`` (per column,
    whether each cell held a number); narrower rows and earlier batches are padded."""
    width = max(len(r) for r in batch)
    before = columns.rows
    while len(numbers) < width:
        numbers.append([np.zeros(before, dtype=bool)])
    texts: dict[int, list[str]] = {i: [] for i in range(width)}
    flags: dict[int, list[bool]] = {i: [] for i in range(width)}
    for row in batch:
        for i in range(width):
            text, is_num = _cell_text(row[i] if i < len(row) else None)
            texts[i].append(text)
            flags[i].append(is_num)
    columns.add({i: np.asarray(v, dtype=object) for i, v in texts.items()}, len(batch))
    for i, parts in enumerate(numbers):
        parts.append(np.asarray(flags[i], dtype=bool) if i < width
                     else np.zeros(len(batch), dtype=bool))


def list_sheets(data: bytes) -> list[str]:
    """Names of the visible worksheets of an Excel workbook."""
    import python_calamine

    _check_limits(data)
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

    _check_limits(data)
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


def _check_limits(data: bytes) -> None:
    """Refuse a crafted or oversized zip workbook before the reader allocates for it
    (:mod:`analysis.workbook_limits`); a legacy .xls is bounded by its format."""
    if data.startswith(_ZIP):
        try:
            check_workbook(data)
        except WorkbookLimitError as exc:
            raise FileReadError(str(exc)) from None


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


def _merged_ranges(sheet_data: Any) -> list[MergedRange]:
    """The sheet's merged ranges (none where the format or reader gives none)."""
    try:
        found = sheet_data.merged_cell_ranges
    except Exception:  # a reader without merge information (.xls/.ods): read as it was
        return []
    return [((int(a[0]), int(a[1])), (int(b[0]), int(b[1]))) for a, b in (found or [])]


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
    _check_limits(data)
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
        sheet_data = book.get_sheet_by_name(name)
        merges = _merged_ranges(sheet_data)
        rows = sheet_data.iter_rows()
        total = max(1, int(sheet_data.height or 0))
        # iter_rows starts at the first used column; to_python(skip_empty_area=False) did
        # not: empty leading columns keep their positions (the header's columns stay put).
        lead = [""] * int((sheet_data.start or (0, 0))[1])
        columns = _Columns()
        numbers: list[list[npt.NDArray[np.bool_]]] = []
        while True:
            batch = list(itertools.islice(rows, EXCEL_BATCH_ROWS))
            if not batch:
                break
            steps.report(0.7 * min(1.0, columns.rows / total))
            _add_cells(columns, numbers, [lead + list(r) for r in batch] if lead else batch)
    except (FileReadError, Cancelled):
        raise
    except Exception as exc:
        raise FileReadError(_excel_error(data, exc)) from None
    steps.report(0.7)
    if not columns.rows:
        raise FileReadError(f"シート「{name}」に内容がありません。")
    records = columns.frame()
    numeric = pd.DataFrame({i: np.concatenate(parts) for i, parts in enumerate(numbers)},
                           index=records.index)
    return _table_from_records(
        records, None, header_row, source_format, None, numeric, name, notes, False, True,
        True, steps.part(0.7, 1.0), merges,
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
        with source.open("rb") as f:
            head = f.read(8)
        suffix = Path(filename or "").suffix.lower()
        if head.startswith((_OLE2, _ZIP, b"%PDF")) or suffix in (".xlsx", ".xlsm", ".ods"):
            data = source.read_bytes()
        else:
            return _read_text_file(source, header_row, progress, cancel)
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
    return _read_text_file(data, header_row, progress, cancel)


def _read_text_file(
    data: bytes | Path, header_row: int | None, progress: ProgressFn | None,
    cancel: CancelFn | None,
) -> RawTable:
    """A CSV/TSV file read in pieces (the encoding decided first, by rule)."""
    encoding = detect_encoding(data)
    if encoding == "utf-16":
        decoded = decode_bytes(data if isinstance(data, bytes) else data.read_bytes())
        table = read_text_table(
            decoded.text, encoding=decoded.encoding, header_row=header_row,
            progress=progress, cancel=cancel,
        )
    else:
        steps = Steps(progress, cancel)
        steps.report(0.0)
        source = _Source(data)
        has_quote = any(b'"' in piece for _, piece in source.pieces())
        table = _read_pieces(_text_pieces(source, encoding), has_quote, encoding, header_row,
                             steps)
    note = f"文字コード: {DecodedText('', encoding).encoding_label}"
    return RawTable(
        headers=table.headers, frame=table.frame, header_row=table.header_row,
        source_format=table.source_format, encoding=encoding, issues=table.issues,
        numeric=None, sheet=None, notes=(note, *table.notes),
    )


# --------------------------------------------------------------------------------------------
# A CSV read in chunks
#
# A scanning pass reads the whole file once and keeps only what reading a chunk must know
# about the whole file: the header (from the first rows, as above), the usual field counts
# (histograms), whether a field is too long, a control character or a cell of spaces occurs.
# Each later pass reads the file again and gives its rows a chunk at a time, judged with
# those facts exactly as the whole table would be: memory follows the chunk, not the file.

# Data rows of a file read in chunks kept in its ``frame`` (the mapping screen's sample).
HEAD_ROWS = 1_000


@dataclass(frozen=True)
class _TextFacts:
    """What the scanning pass found, for reading any chunk of the file."""

    source: Path
    encoding: str
    has_quote: bool
    source_format: str
    header: int  # record index (0-based) of the header row
    headers: tuple[str, ...]  # the kept positions' header text
    n_named: int
    expected: int
    mode_raw: int
    keep_width: int
    check_long: bool
    has_control: bool
    blank_cells: bool


def _filled_both(frame: pd.DataFrame) -> tuple[tuple[npt.NDArray[np.bool_],
                                                      npt.NDArray[np.int32]], ...]:
    """(nonblank, last filled position) of each record, judged as written and with spaces
    stripped: which judgement applies is known only once the whole file is read. Each
    column's distinct values are found once for both (the same rows unless a cell holds
    only spaces)."""
    n = len(frame)
    out = [(np.zeros(n, dtype=bool), np.full(n, -1, dtype=np.int32)) for _ in range(2)]
    for pos in frame.columns:
        codes, uniques = pd.factorize(frame[pos].to_numpy(dtype=object), use_na_sentinel=True)
        texts = [str(u) for u in uniques]
        plain = np.array([t != "" for t in texts] + [False], dtype=bool)
        stripped = np.array([t.strip() != "" for t in texts] + [False], dtype=bool)
        filled_plain = plain[codes]
        same = bool((plain == stripped).all())
        for j, table in enumerate((plain, stripped)):
            filled = filled_plain if j == 0 or same else table[codes]
            out[j][0][:] |= filled
            out[j][1][filled] = int(pos)
    return tuple(out)


def _add_counts(total: npt.NDArray[np.int64], values: npt.NDArray[Any]) -> npt.NDArray[np.int64]:
    counts = np.bincount(values.astype(np.int64))
    if len(counts) > len(total):
        total = np.concatenate([total, np.zeros(len(counts) - len(total), dtype=np.int64)])
    total[: len(counts)] += counts
    return total


def _compact_records(parts: list[tuple[pd.DataFrame, npt.NDArray[np.int32]]]
                     ) -> tuple[pd.DataFrame, npt.NDArray[np.int32]]:
    """Record batches as one table of compact columns (narrower batches padded with "")."""
    columns = _Columns()
    for frame, _ in parts:
        columns.add({int(pos): frame[pos] for pos in frame.columns}, len(frame))
    widths = (np.concatenate([w for _, w in parts]) if parts
              else np.zeros(0, dtype=np.int32))
    return columns.frame(), widths


def _record_slices(
    source: _Source, encoding: str, has_quote: bool, found: dict[str, Any], reading: Steps,
) -> Iterator[tuple[int, pd.DataFrame, npt.NDArray[np.int32], int]]:
    """(record index of the first, text columns, field counts, longest field) per batch."""
    done = 0
    for frame, widths, longest in _record_batches(_text_pieces(source, encoding), has_quote,
                                                  found, reading):
        yield done, frame, widths, longest
        done += len(frame)


def read_text_chunked(
    path: Path, *, header_row: int | None = None, progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
) -> RawTable:
    """A CSV/TSV file read in chunks: the scanning pass gives its header, notes, row count
    and first :data:`HEAD_ROWS` rows; ``chunks(rows)`` then reads its rows again a chunk at
    a time, each judged as :func:`read_table` judges the whole file (same rows, values and
    issues). UTF-16 files (rare, decoded whole) are read whole."""
    encoding = detect_encoding(path)
    if encoding == "utf-16":
        return read_table(path, header_row=header_row, progress=progress, cancel=cancel)
    steps = Steps(progress, cancel)
    steps.report(0.0)
    source = _Source(path)
    has_quote = any(b'"' in piece for _, piece in source.pieces())
    found: dict[str, Any] = {}
    head: list[tuple[pd.DataFrame, npt.NDArray[np.int32]]] = []
    need = max(HEADER_SEARCH_ROWS, header_row or 0) + 1
    h: int | None = None
    header_cells: list[str] = []
    n_named = 0
    records = 0
    longest = 0
    # Per judgement (as written, spaces stripped): field counts and last filled positions
    # of the nonblank data rows, the widest filled position, the nonblank rows.
    raw_counts = [np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)]
    last_counts = [np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)]
    used = [0, 0]
    nonblank_rows = [0, 0]

    def choose(parts: list[tuple[pd.DataFrame, npt.NDArray[np.int32]]]) -> None:
        nonlocal h, header_cells, n_named
        top, _ = _compact_records(parts)
        if top.empty:
            raise FileReadError("ファイルに内容がありません。")
        h = _choose_header(top, header_row)
        header_cells = [str(v).strip() for v in top.iloc[h].tolist()]
        named = [i for i, v in enumerate(header_cells) if v]
        if not named:
            raise FileReadError("見出し行が空です。1行目に列の見出しを入れてください。")
        n_named = named[-1] + 1

    def tally(frame: pd.DataFrame, widths: npt.NDArray[np.int32]) -> None:
        for j, (nonblank, last) in enumerate(_filled_both(frame)):
            raw_counts[j] = _add_counts(raw_counts[j], widths[nonblank])
            last_counts[j] = _add_counts(last_counts[j], last[nonblank])
            used[j] = max(used[j], int(last.max()) + 1 if len(last) else 0)
            nonblank_rows[j] += int(nonblank.sum())

    for first, frame, widths, batch_longest in _record_slices(
            source, encoding, has_quote, found, steps.part(0.0, 0.9)):
        records = first + len(frame)
        longest = max(longest, batch_longest)
        if h is None:
            head.append((frame, widths))
            if records < need:
                continue
            choose(head)
            frame, widths = _compact_records(head)
            head = []
            first = 0
        assert h is not None
        skip = max(0, h + 1 - first)
        if skip < len(frame):
            tally(frame.iloc[skip:], widths[skip:])
    if not found.get("content"):
        raise FileReadError("ファイルに内容がありません。")
    if h is None:
        choose(head)
        frame, widths = _compact_records(head)
        tally(frame.iloc[h + 1:], widths[h + 1:])  # type: ignore[operator]
    assert h is not None
    j = int(bool(found["blank_cells"]))
    if nonblank_rows[j]:
        mode_raw = int(raw_counts[j].argmax())
        mode_filled = int(last_counts[j].argmax()) + 1
    else:
        mode_raw = mode_filled = n_named
    expected = max(n_named, mode_filled)
    keep_width = max(n_named, min(expected, used[j]))
    headers = tuple(header_cells[i] if i < len(header_cells) else "" for i in range(keep_width))
    facts = _TextFacts(
        source=path, encoding=encoding, has_quote=has_quote,
        source_format="tsv" if found["delimiter"] == "\t" else "csv", header=h,
        headers=headers, n_named=n_named, expected=expected, mode_raw=mode_raw,
        keep_width=keep_width, check_long=longest > MAX_CELL_CHARS,
        has_control=bool(found["control"]), blank_cells=bool(found["blank_cells"]),
    )
    notes = [f"文字コード: {DecodedText('', encoding).encoding_label}"]
    if h > 0 and header_row is None:
        notes.append(title_rows_note(h))
    first_rows = next(_chunks(facts, HEAD_ROWS, None), None)
    steps.report(1.0)
    return RawTable(
        headers=tuple(_CONTROL.sub("", h_) for h_ in headers),
        frame=(first_rows.frame if first_rows is not None
               else pd.DataFrame({i: pd.Series([], dtype=object) for i in range(keep_width)},
                                 index=pd.RangeIndex(h + 2, h + 2, name="row"))),
        header_row=h + 1, source_format=facts.source_format, encoding=encoding,
        notes=tuple(notes), total_rows=nonblank_rows[j],
        chunks=lambda rows: _chunks(facts, rows, None),
    )


def _chunks(facts: _TextFacts, rows: int, cancel: CancelFn | None) -> Iterator[RawTable]:
    """The file's data records read again, ``rows`` at a time, each as its own table."""
    steps = Steps(None, cancel)
    rows = max(1, int(rows))
    parts: list[tuple[pd.DataFrame, npt.NDArray[np.int32]]] = []
    held = 0
    start = facts.header + 1  # record index of the first record in ``parts``
    for first, frame, widths, _ in _record_slices(_Source(facts.source), facts.encoding,
                                                  facts.has_quote, {}, steps):
        skip = max(0, facts.header + 1 - first)
        if skip >= len(frame):
            continue
        if skip:
            frame, widths = frame.iloc[skip:], widths[skip:]
        at = 0
        while at < len(frame):
            take = min(rows - held, len(frame) - at)
            parts.append((frame.iloc[at:at + take], widths[at:at + take]))
            held += take
            at += take
            if held == rows:
                yield _chunk_table(facts, parts, start)
                start += held
                parts, held = [], 0
    if parts:
        yield _chunk_table(facts, parts, start)


def _chunk_table(facts: _TextFacts, parts: list[tuple[pd.DataFrame, npt.NDArray[np.int32]]],
                 start: int) -> RawTable:
    """Data records from record index ``start`` as a table judged with the file's facts."""
    records, widths = _compact_records(parts)
    data = records.set_axis(pd.RangeIndex(start + 1, start + 1 + len(records), name="row"))
    nonblank = np.zeros(len(data), dtype=bool)
    last_filled = np.full(len(data), -1, dtype=np.int32)
    for pos in range(data.shape[1]):
        filled = _filled_cells(data[pos], facts.blank_cells)
        nonblank |= filled
        last_filled[filled] = pos
    issues = _ragged_issues(data.index, widths, nonblank, last_filled, facts.n_named,
                            facts.expected, facts.mode_raw)
    if not nonblank.all():
        data = data.loc[nonblank]
    empty = pd.Series(pd.Categorical.from_codes(np.zeros(len(data), dtype=np.int8),
                                                categories=pd.Index([""], dtype=object)),
                      index=data.index)
    data = pd.DataFrame({pos: data[pos] if pos in data.columns else empty
                         for pos in range(facts.keep_width)}, index=data.index, copy=False)
    frame, headers = _clean_columns(data, facts.keep_width, facts.headers, facts.check_long,
                                    facts.has_control, issues, Steps())
    return RawTable(headers=headers, frame=frame, header_row=facts.header + 1,
                    source_format=facts.source_format, encoding=facts.encoding,
                    issues=concat_issues(issues))
