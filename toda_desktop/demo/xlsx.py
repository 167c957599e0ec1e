"""Writing one sheet as .xlsx with byte-identical output for identical input.

openpyxl stamps the save time into ``docProps/core.xml`` and into the zip entries; the
file is re-packed with fixed stamps so that the same seed gives the same bytes.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

FIXED_STAMP = "2000-01-01T00:00:00Z"
_INVALID_TITLE = re.compile(r"[\[\]:*?/\\]")
_STAMP = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def write_sheet(
    path: Path,
    headers: Sequence[str],
    columns: Sequence[Sequence[object]],
    sheet_title: str,
    date_format: str = "yyyy/m/d",
) -> None:
    """Write columns (``None`` = empty cell; ``date`` values become date cells)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_INVALID_TITLE.sub("・", sheet_title)[:31])
    ws.append(list(headers))
    n = len(columns[0]) if columns else 0
    for i in range(n):
        row: list[object] = []
        for col in columns:
            value = col[i]
            if isinstance(value, date):
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = date_format
                row.append(cell)
            else:
                row.append(value)
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    _repack(buffer.getvalue(), path)


@dataclass(frozen=True)
class Sheet:
    """A worksheet laid out as a form: rows as given (title rows, headers, data, totals) and
    merged ranges (first row, first column, last row, last column; 1-based)."""

    title: str
    rows: Sequence[Sequence[object]]
    merges: Sequence[tuple[int, int, int, int]] = ()


def write_book(path: Path, sheets: Sequence[Sheet]) -> None:
    """Write a workbook of several form-like sheets, byte-identical for identical input."""
    wb = Workbook()
    first = wb.active
    assert first is not None
    wb.remove(first)
    for sheet in sheets:
        ws = wb.create_sheet(_INVALID_TITLE.sub("・", sheet.title)[:31])
        for row in sheet.rows:
            ws.append(list(row))
        for r1, c1, r2, c2 in sheet.merges:
            ws.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)
    buffer = io.BytesIO()
    wb.save(buffer)
    _repack(buffer.getvalue(), path)


def _repack(data: bytes, path: Path) -> None:
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _STAMP.sub(rb"\g<1>" + FIXED_STAMP.encode() + rb"\g<2>", content)
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, content)
