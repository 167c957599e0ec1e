"""Crafted Excel files are refused before the reader allocates for them (issue 12, finding 7).

Each file is built here by hand (zipfile and XML text), as an attacker would. The import runs
in a child process whose address space is capped (RLIMIT_AS), so that a regression fails the
test (the child aborts or raises MemoryError) instead of taking the test runner down; the
refusal must be a clear Japanese message, and the store must hold no import afterwards.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from analysis.textio import FileReadError, read_table
from analysis.workbook_limits import WorkbookLimitError, check_workbook
from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD, TEST_SCRYPT_N
from toda_desktop.composition import Application
from toda_desktop.store_setup import create_empty_store

ROOT = Path(__file__).resolve().parents[2]
CAP_BYTES = 3 * 2**30  # the child's address space: a 549 GB or multi-GB allocation fails

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
    'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
    f'{REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook {NS} xmlns:r="{REL_NS}"><sheets>'
    '<sheet name="出欠" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
    'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
    f'{REL_NS}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)


def _sheet(rows: str, dimension: str | None = None) -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f'<?xml version="1.0" encoding="UTF-8"?><worksheet {NS}>{dim}<sheetData>{rows}' \
           "</sheetData></worksheet>"


def _cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _workbook(path: Path, sheet: str) -> Path:
    """A minimal .xlsx written as Excel lays it out: one sheet 「出欠」 with this XML."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", ROOT_RELS)
        z.writestr("xl/workbook.xml", WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        z.writestr("xl/worksheets/sheet1.xml", sheet)
    return path


def _bomb(path: Path, repeats: int) -> Path:
    """A sheet of ``repeats`` × 64 KiB of one-cell rows in column A, streamed into the zip
    (deflate packs it about 1000:1, so the file is a few MB)."""
    block = "".join("<row><c><v>1</v></c></row>" for _ in range(64 * 1024 // 26)).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", ROOT_RELS)
        z.writestr("xl/workbook.xml", WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            member.write(f"<worksheet {NS}><sheetData>".encode())
            for _ in range(repeats):
                member.write(block)
            member.write(b"</sheetData></worksheet>")
    return path


def _declare_size(path: Path, member: str, size: int) -> None:
    """Rewrite the central directory's uncompressed size of ``member`` (a lying header)."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(member)
    name = member.encode()
    at = data.find(b"PK\x01\x02")
    while data[at + 46:at + 46 + len(name)] != name:
        at = data.find(b"PK\x01\x02", at + 4)
    assert struct.unpack_from("<I", data, at + 24)[0] == info.file_size
    struct.pack_into("<I", data, at + 24, size)
    path.write_bytes(bytes(data))


WORKER = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({cap}, {cap}))
from pathlib import Path
from toda_desktop.composition import Application
from toda_desktop.errors import UserFacingError
app = Application(Path(sys.argv[1]))
try:
    signed = app.sign_in(sys.argv[2], sys.argv[3])
    try:
        for inspection in signed.importing.inspect_sheets(Path(sys.argv[4])):
            preview = signed.importing.preview(inspection)
            if preview.can_commit:
                signed.importing.commit(preview)
        print(json.dumps({{"refused": None}}))
    except UserFacingError as exc:
        print(json.dumps({{"refused": str(exc)}}))
finally:
    app.close()
"""


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "store.tdb"
    create_empty_store(path, "test", LEAD_LOGIN, LEAD_PASSWORD,
                       scrypt_n=TEST_SCRYPT_N).store.close()
    return path


def _import_in_capped_child(store: Path, workbook: Path) -> str | None:
    """The import as the command line runs it, in a child with a 3 GiB address space: the
    refusal's message, or None if the file was imported. Fails if the child dies."""
    done = subprocess.run(
        [sys.executable, "-c", WORKER.format(cap=CAP_BYTES), str(store), LEAD_LOGIN,
         LEAD_PASSWORD, str(workbook)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )
    assert done.returncode == 0, f"the import process died ({done.returncode}): " \
                                 f"{done.stderr[-2000:]}"
    refused: str | None = json.loads(done.stdout.splitlines()[-1])["refused"]
    return refused


def _batches(store: Path) -> int:
    app = Application(store)
    try:
        signed = app.sign_in(LEAD_LOGIN, LEAD_PASSWORD)
        return int(signed.store.db.call(
            lambda c: c.execute("SELECT count(*) FROM import_batches").fetchone()[0]))
    finally:
        app.close()


def test_the_hand_built_workbook_is_read_when_it_is_within_the_limits(tmp_path: Path) -> None:
    rows = "".join(f'<row r="{i}">{_cell(f"A{i}", "宛名番号" if i == 1 else str(i))}'
                   f'{_cell(f"B{i}", "欠席日数" if i == 1 else "0")}</row>' for i in range(1, 6))
    path = _workbook(tmp_path / "ok.xlsx", _sheet(rows, "A1:B5"))
    table = read_table(path)
    assert list(table.headers) == ["宛名番号", "欠席日数"] and table.row_count == 4


@pytest.mark.slow
def test_cells_at_a1_and_xfd1048576_are_refused_naming_the_sheet_and_the_cell_limit(
    store: Path, tmp_path: Path
) -> None:
    rows = f'<row r="1">{_cell("A1", "宛名番号")}</row>' \
           f'<row r="1048576">{_cell("XFD1048576", "x")}</row>'
    path = _workbook(tmp_path / "corners.xlsx", _sheet(rows, "A1:XFD1048576"))
    assert path.stat().st_size < 5_000
    message = _import_in_capped_child(store, path)
    assert message is not None
    assert "シート「出欠」" in message and "1,048,576 行 × 16,384 列" in message
    assert "20,000,000 セル" in message
    assert _batches(store) == 0


@pytest.mark.slow
def test_a_dimension_that_lies_does_not_hide_the_far_cell(store: Path, tmp_path: Path) -> None:
    rows = f'<row r="1">{_cell("A1", "宛名番号")}</row>' \
           f'<row r="1048576">{_cell("XFD1048576", "x")}</row>'
    path = _workbook(tmp_path / "lying.xlsx", _sheet(rows, "A1:B2"))
    message = _import_in_capped_child(store, path)
    assert message is not None and "使われている範囲が 1,048,576 行 × 16,384 列" in message
    assert _batches(store) == 0


@pytest.mark.slow
def test_a_sheet_with_no_dimension_and_no_references_is_placed_as_the_reader_would(
    store: Path, tmp_path: Path
) -> None:
    # One row 16,384 cells wide (no r attributes: the running column), then a row at the
    # last row number: the reader's rectangle is the whole grid.
    wide = "<row>" + "<c><v>1</v></c>" * 16_384 + "</row>"
    path = _workbook(tmp_path / "implicit.xlsx",
                     _sheet(wide + '<row r="1048576"><c><v>1</v></c></row>'))
    message = _import_in_capped_child(store, path)
    assert message is not None and "1,048,576 行 × 16,384 列" in message
    assert _batches(store) == 0


@pytest.mark.slow
def test_a_zip_bomb_of_a_few_mb_is_refused_by_its_compression_ratio(
    store: Path, tmp_path: Path
) -> None:
    path = _bomb(tmp_path / "bomb.xlsx", repeats=6 * 1024)  # 384 MiB of XML
    assert path.stat().st_size < 8 * 2**20
    message = _import_in_capped_child(store, path)
    assert message is not None
    assert "xl/worksheets/sheet1.xml" in message and "圧縮率" in message
    assert "zip 爆弾" in message
    assert _batches(store) == 0


@pytest.mark.slow
def test_a_member_that_inflates_beyond_its_declared_size_is_refused(
    store: Path, tmp_path: Path
) -> None:
    # Declared as 1 MiB, so no ratio or total limit applies; the inflated bytes are counted.
    path = _bomb(tmp_path / "liar.xlsx", repeats=4 * 1024)
    _declare_size(path, "xl/worksheets/sheet1.xml", 2**20)
    message = _import_in_capped_child(store, path)
    assert message is not None and "申告された大きさ" in message
    assert _batches(store) == 0


def test_a_declared_total_beyond_two_gib_is_refused_before_anything_is_inflated(
    tmp_path: Path
) -> None:
    path = _bomb(tmp_path / "big.xlsx", repeats=64)
    _declare_size(path, "xl/worksheets/sheet1.xml", 3 * 2**30)
    with pytest.raises(FileReadError, match="合計 3,072 MB になり、上限の 2,048 MB"):
        read_table(path)


def test_rows_that_go_back_are_refused_as_a_damaged_file(tmp_path: Path) -> None:
    # The reader takes the first and last cell's rows as the range's bounds.
    rows = f'<row r="5">{_cell("A5", "x")}</row><row r="2">{_cell("A2", "y")}</row>'
    path = _workbook(tmp_path / "back.xlsx", _sheet(rows))
    with pytest.raises(WorkbookLimitError, match="行の順序が逆"):
        check_workbook(path.read_bytes())


ODS_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:'
    'tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry '
    'manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.'
    'spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type='
    '"text/xml"/></manifest:manifest>'
)


def _ods(path: Path, rows: str) -> Path:
    """A minimal .ods (mimetype first and stored, as the format asks) with one table."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="出欠">'
        f"{rows}</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("META-INF/manifest.xml", ODS_MANIFEST)
        z.writestr("content.xml", content)
    return path


def _ods_cell(text: str, repeated: int = 1) -> str:
    times = f' table:number-columns-repeated="{repeated}"' if repeated > 1 else ""
    return (f'<table:table-cell office:value-type="string"{times}><text:p>{text}</text:p>'
            "</table:table-cell>")


def test_the_hand_built_ods_is_read_when_it_is_within_the_limits(tmp_path: Path) -> None:
    rows = (f"<table:table-row>{_ods_cell('宛名番号')}{_ods_cell('欠席日数')}</table:table-row>"
            f"<table:table-row>{_ods_cell('100001')}{_ods_cell('0')}</table:table-row>"
            '<table:table-row table:number-rows-repeated="1048574"><table:table-cell '
            'table:number-columns-repeated="1024"/></table:table-row>')
    table = read_table(_ods(tmp_path / "ok.ods", rows))
    assert list(table.headers) == ["宛名番号", "欠席日数"] and table.row_count == 1


@pytest.mark.slow
def test_an_ods_whose_repeats_expand_to_95_million_cells_is_refused(
    store: Path, tmp_path: Path
) -> None:
    # Under calamine's own ceiling (100 million cells, 3.2 GB at 32 bytes a cell).
    rows = (f"<table:table-row>{_ods_cell('宛名番号')}</table:table-row>"
            '<table:table-row table:number-rows-repeated="49999">'
            f"{_ods_cell('x', repeated=1_900)}</table:table-row>")
    path = _ods(tmp_path / "repeats.ods", rows)
    assert path.stat().st_size < 2_000
    message = _import_in_capped_child(store, path)
    assert message is not None and "繰り返しの指定を展開すると" in message
    assert "50,000 行 × 1,900 列" in message
    assert _batches(store) == 0


def test_a_binary_workbook_is_refused_as_its_sheets_cannot_be_bounded(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsb"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", ROOT_RELS)
        z.writestr("xl/workbook.bin", b"\x83\x01\x00")
        z.writestr("xl/worksheets/sheet1.bin", b"\x81\x01\x00")
    with pytest.raises(FileReadError, match=r"\.xlsb.*\.xlsx で保存し直して"):
        read_table(path)
