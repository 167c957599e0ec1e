"""Limits a workbook must meet before the Excel reader opens it (issue 12, finding 7).

The reader (python-calamine) builds each sheet as one dense rectangle from its first to its
last used cell, 32 bytes a cell, after keeping every cell element in a list (40 bytes each),
and it parses the shared strings whole when the workbook is opened. So a 4.7 KB file with
cells A1 and XFD1048576 asks for 549 GB, and a zip whose members inflate to gigabytes fills
memory before any row is seen. Everything here is checked from the zip container without
extracting a file: the central directory's size and entry count, each member's declared and
real inflated size (inflated in pieces and counted, so a member that lies about its size is
found), the compression ratio of large members, the number of shared strings, and for each
worksheet its declared ``<dimension>`` and then the range its cells really use, found the way
the reader will place them (explicit ``r`` references, else the running row and column).

Refusals raise :class:`~analysis.textio.FileReadError` subclasses with a Japanese message that
names the limit. Legacy .xls (OLE2) is not a zip and is bounded by its format (65,536 rows ×
256 columns in the files Excel writes); it is not checked here.
"""

from __future__ import annotations

import hashlib
import html
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator

import numpy as np

# The largest sheet a real file needs: Excel's own grid is 1,048,576 rows × 16,384 columns,
# and the largest files the office sends (five years of monthly attendance, ~700,000 rows ×
# 10 columns) use 7 million cells. 20 million cells keep the reader under about 1.4 GB.
MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384
MAX_SHEET_CELLS = 20_000_000
# Everything inside the zip together, inflated (the import takes files up to 512 MB).
MAX_UNCOMPRESSED_BYTES = 2 * 2**30
# A member inflating more than this many times its stored size is a zip bomb once it is large.
MAX_RATIO = 100
RATIO_FROM_BYTES = 16 * 2**20
# The central directory itself (Python's zipfile keeps one object per entry).
MAX_ENTRIES = 10_000
MAX_DIRECTORY_BYTES = 4 * 2**20
# Shared strings the reader keeps as one object each; a sheet cannot use more than its cells.
MAX_SHARED_STRINGS = MAX_SHEET_CELLS
# No tag or text in a worksheet is this long without a "<" (a cell holds 32,767 characters).
MAX_RUN_WITHOUT_TAG = 2**20

_PIECE = 4 * 2**20
_PREFIX = rb"(?:[A-Za-z_][\w.\-]*:)?"
_ATTRS = rb"(?:[^>\"']|\"[^\"]*\"|'[^']*')*"
# The fast path takes cells written as Excel and the common libraries write them: ``r`` first,
# then plain attributes. Cells with content give their rows; every cell gives its column (a
# styled empty cell may widen the range counted, never narrow it).
_SIMPLE_ATTRS = rb"(?: [A-Za-z_:]+=\"[^\"<>]*\")*\s*"
_CELL_ROW = re.compile(rb'<c r="[A-Z]{1,3}([0-9]{1,7})"' + _SIMPLE_ATTRS + rb">")
_CELL_EMPTY = re.compile(rb'<c r="[A-Z]{1,3}[0-9]{1,7}"' + _SIMPLE_ATTRS + rb"/>")
_CELL_COLUMN = re.compile(rb'<c r="([A-Z]{1,3})[0-9]')
_PREFIXED_CELL = re.compile(rb"<[A-Za-z_][\w.\-]*:c[\s/>]")
# In document order: row start (attributes), row end, cell start (attributes).
_EVENT = re.compile(
    rb"<(?:" + _PREFIX + rb"row(?=[\s/>])(" + _ATTRS + rb")(?<!/)>"
    rb"|/" + _PREFIX + rb"row\s*>"
    rb"|" + _PREFIX + rb"c(?=[\s/>])(" + _ATTRS + rb")(?<!/)>)"
)
_R_ATTR = re.compile(rb"(?<=\s)r\s*=\s*[\"']([^\"']*)[\"']")
_REF = re.compile(rb"([A-Z]{1,3})([0-9]{1,7})")
_DIMENSION = re.compile(rb"<" + _PREFIX + rb"dimension\s" + _ATTRS + rb"(?<=\s)ref\s*=\s*"
                        rb"[\"']([^\"']*)[\"']")
_SHARED_STRING = re.compile(rb"<" + _PREFIX + rb"si(?=[\s/>])")
_TAG = re.compile(rb"<" + _PREFIX + rb"(Relationship|sheet)(\s" + _ATTRS + rb")>")
_ATTR = re.compile(rb"(?<=\s)(?:[A-Za-z_][\w.\-]*:)?(Type|Target|Id|id|name)\s*=\s*"
                   rb"[\"']([^\"']*)[\"']")


class WorkbookLimitError(ValueError):
    """A workbook beyond a limit, or one whose container is not what it says it is.
    ``str(error)`` is a Japanese message naming what exceeded which limit."""


def _mb(n: int) -> str:
    return f"{n / 2**20:,.0f} MB" if n >= 2**20 else f"{n / 2**10:,.0f} KB"


def _column_number(letters: bytes) -> int:
    """Column letters → 1-based number (A=1, XFD=16,384)."""
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _column_name(number: int) -> str:
    """1-based number → column letters."""
    name = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        name = chr(65 + rest) + name
    return name


def _damaged(member: str, what: str) -> WorkbookLimitError:
    return WorkbookLimitError(
        f"Excel ファイルの中身（{member}）が壊れているか、作為的に作られています（{what}）。"
        "Excel で開いて .xlsx で保存し直してください。"
    )


def _directory_counts(data: bytes) -> tuple[int, int]:
    """Entries and bytes of the central directory, from the end record (zip64 if flagged),
    read before Python's zipfile builds one object per entry."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 65_535))
    if end < 0 or end + 22 > len(data):
        raise zipfile.BadZipFile
    entries, size = struct.unpack_from("<HI", data, end + 10)
    locator = end - 20
    if (entries == 0xFFFF or size == 0xFFFFFFFF) and locator >= 0 \
            and data[locator:locator + 4] == b"PK\x06\x07":
        (record,) = struct.unpack_from("<Q", data, locator + 8)
        if data[record:record + 4] != b"PK\x06\x06":
            raise zipfile.BadZipFile
        entries, size = struct.unpack_from("<QQ", data, record + 32)
    return entries, size


def _pieces(data: bytes, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """A member inflated in pieces of at most 4 MiB, from the bytes that follow its local
    header. More output than the directory declares is a refusal, never more memory."""
    start = info.header_offset
    if data[start:start + 4] != b"PK\x03\x04":
        raise _damaged(info.filename, "見出しの位置が違います")
    name_len, extra_len = struct.unpack_from("<HH", data, start + 26)
    begin = start + 30 + name_len + extra_len
    stored = memoryview(data)[begin:begin + info.compress_size]
    if len(stored) != info.compress_size:
        raise _damaged(info.filename, "途中で切れています")
    declared = info.file_size
    seen = 0
    if info.compress_type == zipfile.ZIP_STORED:
        for at in range(0, len(stored), _PIECE):
            yield bytes(stored[at:at + _PIECE])
        seen = len(stored)
    else:
        inflater = zlib.decompressobj(-15)
        rest: bytes | memoryview = stored
        while True:
            try:
                piece = inflater.decompress(rest, _PIECE)
            except zlib.error:
                raise _damaged(info.filename, "圧縮データが壊れています") from None
            rest = inflater.unconsumed_tail
            seen += len(piece)
            if seen > declared:
                raise _damaged(info.filename,
                               f"申告された大きさ {_mb(declared)} を超えて展開されます")
            if piece:
                yield piece
            if inflater.eof or (not rest and not piece):
                break
    if seen != declared:
        raise _damaged(info.filename, "展開した大きさが申告と違います")


def _runs(data: bytes, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The member's text in pieces that each end before a tag that is cut (the rest is carried
    into the next piece), so a regular expression never sees half a tag."""
    carry = b""
    for piece in _pieces(data, info):
        text = carry + piece
        cut = text.rfind(b"<")
        if len(text) - max(cut, 0) > MAX_RUN_WITHOUT_TAG:
            raise _damaged(info.filename, "タグのない長い並びがあります")
        if cut <= 0:
            carry = text
            continue
        carry = text[cut:]
        yield text[:cut]
    if carry:
        yield carry


def _check_container(data: bytes) -> zipfile.ZipFile:
    try:
        entries, size = _directory_counts(data)
    except (zipfile.BadZipFile, struct.error):
        raise WorkbookLimitError(
            "Excel ファイルとして読めません。ファイルが壊れている可能性があります。"
            "Excel で開いて .xlsx で保存し直してください。") from None
    if entries > MAX_ENTRIES or size > MAX_DIRECTORY_BYTES:
        raise WorkbookLimitError(
            f"Excel ファイルの中のファイル数が {entries:,} 個あり、上限の {MAX_ENTRIES:,} 個を"
            "超えているため読みません。")
    try:
        book = zipfile.ZipFile(_Reader(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise WorkbookLimitError(
            "Excel ファイルとして読めません。ファイルが壊れている可能性があります。"
            "Excel で開いて .xlsx で保存し直してください。") from None
    total = 0
    for info in book.infolist():
        if info.flag_bits & 0x1:
            raise WorkbookLimitError(
                "Excel ファイルの中身が暗号化されているため読めません。パスワードを解除して"
                ".xlsx で保存し直してください。")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _damaged(info.filename, "Excel が使わない圧縮方式です")
        total += info.file_size
    if total > MAX_UNCOMPRESSED_BYTES:
        raise WorkbookLimitError(
            f"Excel ファイルの中身は展開すると合計 {_mb(total)} になり、上限の "
            f"{_mb(MAX_UNCOMPRESSED_BYTES)} を超えているため読みません。")
    for info in book.infolist():
        if info.file_size >= RATIO_FROM_BYTES \
                and info.file_size > MAX_RATIO * max(1, info.compress_size):
            ratio = info.file_size / max(1, info.compress_size)
            raise WorkbookLimitError(
                f"Excel ファイルの中の「{info.filename}」は {_mb(info.compress_size)} が "
                f"{_mb(info.file_size)} に展開されます（圧縮率 {ratio:,.0f} 倍）。上限の"
                f" {MAX_RATIO} 倍を超えているため、展開で多量のメモリを使うファイル"
                "（zip 爆弾）とみなして読みません。")
    return book


class _Reader:
    """A seekable read-only view of the bytes for zipfile (no copy, unlike BytesIO of a
    memoryview on some versions)."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._at = 0

    def seek(self, offset: int, whence: int = 0) -> int:
        base = (0, self._at, len(self._data))[whence]
        self._at = max(0, base + offset)
        return self._at

    def tell(self) -> int:
        return self._at

    def read(self, n: int = -1) -> bytes:
        end = len(self._data) if n is None or n < 0 else self._at + n
        out = self._data[self._at:end]
        self._at += len(out)
        return out

    def seekable(self) -> bool:
        return True


def _small_text(data: bytes, book: zipfile.ZipFile, name: str) -> bytes:
    """A small member's whole text (workbook and relationships), or nothing if it is large."""
    try:
        info = book.getinfo(name)
    except KeyError:
        return b""
    return b"".join(_runs(data, info)) if info.file_size <= 16 * 2**20 else b""


def _workbook_parts(data: bytes, book: zipfile.ZipFile) -> tuple[dict[str, str], set[str]]:
    """Members the reader may open as worksheets → how a message names them (the
    workbook's worksheet relationships, with their sheet names, and anything under a
    ``worksheets/`` folder), and the members that may hold the shared strings."""
    names = {i.filename for i in book.infolist()}
    labels = {n: f"シート（{n.rsplit('/', 1)[-1]}）" for n in names
              if "worksheets/" in n and not n.endswith(".rels")}
    strings = {n for n in names if n.lower().endswith("sharedstrings.xml")}
    targets: dict[bytes, str] = {}
    for match in _TAG.finditer(_small_text(data, book, "xl/_rels/workbook.xml.rels")):
        if match.group(1) != b"Relationship":
            continue
        attrs = dict(_ATTR.findall(match.group(2)))
        if b"Target" not in attrs:
            continue
        target = attrs[b"Target"].decode("utf-8", "replace")
        member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        if attrs.get(b"Type", b"").endswith(b"/sharedStrings"):
            strings.add(member)
        elif attrs.get(b"Type", b"").endswith(b"/worksheet"):
            targets[attrs.get(b"Id", b"")] = member
            labels.setdefault(member, f"シート（{member.rsplit('/', 1)[-1]}）")
    for match in _TAG.finditer(_small_text(data, book, "xl/workbook.xml")):
        if match.group(1) != b"sheet":
            continue
        attrs = dict(_ATTR.findall(match.group(2)))
        member = targets.get(attrs.get(b"id", b""))
        if member is not None and b"name" in attrs:
            name = html.unescape(attrs[b"name"].decode("utf-8", "replace"))
            labels[member] = f"シート「{name}」"
    return {m: label for m, label in labels.items() if m in names}, strings & names


def _dimension_limit(sheet_label: str, rows: int, columns: int, declared: bool) -> None:
    cells = rows * columns
    if rows <= MAX_ROWS and columns <= MAX_COLUMNS and cells <= MAX_SHEET_CELLS:
        return
    what = "申告されている範囲" if declared else "使われている範囲"
    example = MAX_SHEET_CELLS // MAX_ROWS
    raise WorkbookLimitError(
        f"{sheet_label}の{what}が {rows:,} 行 × {columns:,} 列（{cells:,} セル）あり、"
        f"読める上限の {MAX_SHEET_CELLS:,} セル（{MAX_ROWS:,} 行なら {example} 列まで）を"
        "超えているため読みません。データのある範囲だけを新しいブックに貼り付けて保存し直して"
        "ください。")


def _parse_ref(member: str, ref: bytes) -> tuple[int, int]:
    """A reference like ``XFD1048576`` → (0-based row, 0-based column)."""
    match = _REF.fullmatch(ref)
    if match is None:
        raise _damaged(member, "セルの位置の書き方が正しくありません")
    row = int(match.group(2))
    column = _column_number(match.group(1))
    if not 1 <= row <= MAX_ROWS or not 1 <= column <= MAX_COLUMNS:
        raise WorkbookLimitError(
            f"Excel ファイルの中身（{member}）に、Excel の表の外の位置 {ref.decode()} の"
            f"セルがあります（Excel は {MAX_ROWS:,} 行 × {_column_name(MAX_COLUMNS)} 列まで）。"
            "作為的に作られたファイルとみなして読みません。")
    return row - 1, column - 1


class _SheetScan:
    """The range a worksheet's cells occupy, placed as the reader places them."""

    def __init__(self, member: str, label: str) -> None:
        self.member = member
        self.label = label
        self.cells = 0  # cell elements with content
        self.first_row = 0  # 0-based, as the reader counts
        self.last_row = -1
        self.min_col = MAX_COLUMNS
        self.max_col = -1
        self.row_index = 0
        self.col_index = 0

    def _add(self, first_row: int, last_row: int, min_col: int, max_col: int, n: int) -> None:
        """Cells in document order from ``first_row`` to ``last_row`` (rows never go back:
        the reader takes the first and the last cell's rows as the range's bounds)."""
        if self.cells and first_row < self.last_row:
            raise _damaged(self.member, "セルの行の順序が逆になっています")
        if not self.cells:
            self.first_row = first_row
        self.cells += n
        self.last_row = last_row
        self.min_col = min(self.min_col, min_col)
        self.max_col = max(self.max_col, max_col)
        if self.cells > MAX_SHEET_CELLS:
            raise WorkbookLimitError(
                f"{self.label}にセルが {MAX_SHEET_CELLS:,} 個を超えてあり、読める上限を超えて"
                "いるため読みません。")
        _dimension_limit(self.label, self.last_row - self.first_row + 1,
                         self.max_col - self.min_col + 1, declared=False)

    def fast(self, run: bytes) -> bool:
        """Add a run in which every cell is written the simple way (as Excel writes them);
        False if one is not, so that the caller places every cell with :meth:`exact`."""
        tags = sum(run.count(b"<c" + end) for end in (b" ", b">", b"/", b"\t", b"\n", b"\r"))
        if not tags:
            return True
        if _PREFIXED_CELL.search(run) is not None:
            return False
        found = _CELL_ROW.findall(run)
        if len(found) + len(_CELL_EMPTY.findall(run)) != tags:
            return False
        columns = [_column_number(c) for c in set(_CELL_COLUMN.findall(run))]
        if max(columns) > MAX_COLUMNS:
            return False
        if not found:
            return True
        rows = np.array(found).astype(np.int64)
        if rows.min() < 1 or rows.max() > MAX_ROWS:
            return False
        if len(rows) > 1 and bool((np.diff(rows) < 0).any()):
            raise _damaged(self.member, "セルの行の順序が逆になっています")
        self._add(int(rows[0]) - 1, int(rows[-1]) - 1, min(columns) - 1, max(columns) - 1,
                  len(found))
        return True

    def exact(self, run: bytes) -> None:
        """Add a run event by event: rows and cells without a reference take the running
        row (set by ``<row r>``, +1 at each ``</row>``) and column, as the reader does."""
        for match in _EVENT.finditer(run):
            row_attrs, cell_attrs = match.group(1), match.group(2)
            if cell_attrs is not None:
                ref = _R_ATTR.search(cell_attrs)
                if ref is not None:
                    row, col = _parse_ref(self.member, ref.group(1))
                else:
                    row, col = self.row_index, self.col_index
                    if col >= MAX_COLUMNS or row >= MAX_ROWS:
                        raise _damaged(self.member, "Excel の表の外の位置にセルがあります")
                self._add(row, row, col, col, 1)
                self.col_index = col + 1
            elif row_attrs is not None:
                ref = _R_ATTR.search(row_attrs)
                if ref is not None:
                    if not ref.group(1).isdigit() or not 1 <= int(ref.group(1)) <= MAX_ROWS:
                        raise _damaged(self.member, "行の番号が正しくありません")
                    self.row_index = int(ref.group(1)) - 1
            else:
                self.row_index += 1
                self.col_index = 0


def _check_sheet(data: bytes, info: zipfile.ZipInfo, label: str) -> None:
    scan = _SheetScan(info.filename, label)
    first = True
    exact = False
    for run in _runs(data, info):
        if first:
            first = False
            declared = _DIMENSION.search(run)
            if declared is not None:
                _check_declared(info.filename, label, declared.group(1))
        if not exact and not scan.fast(run):
            exact = True
            break
    if exact:  # some cell has no reference: place every cell again, in document order
        scan = _SheetScan(info.filename, label)
        for run in _runs(data, info):
            scan.exact(run)


def _check_declared(member: str, label: str, ref: bytes) -> None:
    parts = ref.split(b":")
    if len(parts) > 2 or not all(_REF.fullmatch(p) for p in parts):
        return  # the reader refuses or ignores what it cannot parse; the cells decide
    (r1, c1), (r2, c2) = _parse_ref(member, parts[0]), _parse_ref(member, parts[-1])
    _dimension_limit(label, abs(r2 - r1) + 1, abs(c2 - c1) + 1, declared=True)


# OpenDocument (.ods): calamine reads every table of content.xml when the file is opened and
# copies a cell once per ``number-columns-repeated`` and a row once per ``number-rows-repeated``
# (a 1 KB file can ask for billions of cells). Names as calamine matches them (fixed prefix).
_ODS_EVENT = re.compile(
    rb"<(?:table:table(?=[\s>])"
    rb"|table:table-row(?=[\s/>])(" + _ATTRS + rb")"
    rb"|table:(?:covered-)?table-cell(?=[\s/>])(" + _ATTRS + rb")"
    rb"|(/)table:table-row\s*>)"
)
_ODS_REPEAT = re.compile(rb"(?<=\s)table:number-(?:rows|columns)-repeated\s*=\s*"
                         rb"[\"']([^\"']*)[\"']")
_ODS_VALUE = re.compile(rb"(?<=\s)(?:office:[a-z-]*value[a-z-]*|table:formula)\s*=")


def _ods_repeats(member: str, attrs: bytes) -> int:
    found = _ODS_REPEAT.search(attrs)
    if found is None:
        return 1
    text = found.group(1)
    if not text.isdigit() or len(text) > 10:
        raise _damaged(member, "繰り返しの数が正しくありません")
    return max(1, int(text))


class _OdsScan:
    """The cells each table of an .ods will hold once calamine has copied the repeats."""

    def __init__(self, member: str) -> None:
        self.member = member
        self.total = 0  # cells of every table (all are read at once)
        self._table()

    def _table(self) -> None:
        self.row = 0  # rows so far, repeats counted
        self.first = -1  # first and last row with a value
        self.last = -1
        self.width = 0  # widest row, up to its last value
        self._row_start(b"")

    def _row_start(self, attrs: bytes) -> None:
        self.row_repeats = _ods_repeats(self.member, attrs) if attrs else 1
        self.at = 0  # columns so far in this row
        self.filled = 0  # columns up to the last value

    def _row_end(self) -> None:
        if self.filled:
            self.first = self.row if self.first < 0 else self.first
            self.last = self.row + self.row_repeats - 1
            self.width = max(self.width, self.filled)
            self.total += self.filled * self.row_repeats
        self.row += self.row_repeats
        rows = self.last - self.first + 1 if self.first >= 0 else 0
        if self.total > MAX_SHEET_CELLS or self.width > MAX_COLUMNS or rows > MAX_ROWS \
                or rows * self.width > MAX_SHEET_CELLS:
            raise WorkbookLimitError(
                f"ODS ファイルの表が、繰り返しの指定を展開すると {rows:,} 行 × "
                f"{self.width:,} 列（全体で {max(self.total, rows * self.width):,} セル）になり、"
                f"読める上限の {MAX_SHEET_CELLS:,} セルを超えているため読みません。")

    def add(self, run: bytes) -> None:
        for match in _ODS_EVENT.finditer(run):
            row_attrs, cell_attrs, row_end = match.groups()
            if cell_attrs is not None:
                self.at += _ods_repeats(self.member, cell_attrs)
                if not cell_attrs.endswith(b"/") or _ODS_VALUE.search(cell_attrs):
                    self.filled = self.at  # a value: the empty cells before it are copied too
                    if self.at > MAX_COLUMNS:
                        self._row_end()
            elif row_attrs is not None:
                self._row_start(row_attrs)
                if row_attrs.endswith(b"/"):
                    self._row_end()
            elif row_end is not None:
                self._row_end()
            else:
                self._table()


def _check_ods_content(data: bytes, info: zipfile.ZipInfo) -> None:
    scan = _OdsScan(info.filename)
    for run in _runs(data, info):
        scan.add(run)


def _check_shared_strings(data: bytes, info: zipfile.ZipInfo) -> None:
    count = 0
    for run in _runs(data, info):
        count += len(_SHARED_STRING.findall(run))
        if count > MAX_SHARED_STRINGS:
            raise WorkbookLimitError(
                f"Excel ファイルの共有文字列が {MAX_SHARED_STRINGS:,} 個を超えてあり、読める上限を"
                "超えているため読みません。")


def _exhaust(data: bytes, info: zipfile.ZipInfo) -> None:
    for _ in _pieces(data, info):
        pass


# Digests of workbooks already checked in this process: the import checks a workbook when it
# lists the sheets and again before each sheet is read; the bytes are not kept.
_checked: list[bytes] = []


def check_workbook(data: bytes) -> None:
    """Refuse a zip workbook (.xlsx/.xlsm/.ods) beyond the limits, before any reader opens it.

    Every member is inflated once in pieces (nothing is extracted or kept), so the cost is
    one pass over the inflated bytes, bounded by :data:`MAX_UNCOMPRESSED_BYTES`.
    """
    digest = hashlib.sha256(data).digest()
    if digest in _checked:
        return
    book = _check_container(data)
    if any((i.filename.lower().endswith(".bin") and "worksheets/" in i.filename)
           or i.filename.lower() == "xl/workbook.bin" for i in book.infolist()):
        # Binary sheets (.xlsb) would need a reader of their own records to be bounded.
        raise WorkbookLimitError(
            "バイナリ形式（.xlsb）の Excel ファイルは読めません。Excel で開いて .xlsx で"
            "保存し直してください。")
    sheets, strings = _workbook_parts(data, book)
    for info in book.infolist():
        name = info.filename
        if name in sheets:
            _check_sheet(data, info, sheets[name])
        elif name == "content.xml":
            _check_ods_content(data, info)
        elif name in strings:
            _check_shared_strings(data, info)
        else:
            _exhaust(data, info)
    _checked.append(digest)
    del _checked[:-4]
