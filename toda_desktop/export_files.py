"""Writing tables to CSV (UTF-8 with BOM, or CP932) and .xlsx safely.

Safe means: a cell that a spreadsheet would run as a formula (starting with = + - @, a tab or a
carriage return, or their full-width forms) is neutralized with a leading apostrophe; file
names are cleaned and the file stays in the chosen folder; CP932 cannot hold every character,
so those are replaced with 〓 and counted rather than failing half-way. Files are written to a
temporary name and renamed, so a failed export leaves no half file.
"""

from __future__ import annotations

import csv
import errno
import io
import os
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from storage.store import is_store_file
from toda_desktop.errors import UserFacingError

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
ENCODINGS = {"utf-8-sig": "UTF-8（BOM付き・Excel向け）", "cp932": "Shift_JIS（CP932）"}
_WINDOWS_RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|COM[1-9]|LPT[1-9])(\..*)?$", re.IGNORECASE)
_BAD_CHARS = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
NO_SPACE = "ディスクの空き容量が不足しているため出力できませんでした。"
CANNOT_WRITE = "ファイルを書き込めませんでした。保存先を確認してください。"
STORE_FILE = ("そのファイルはデータベース（またはその鍵・記録のファイル）です。"
              "上書きするとデータが失われるため、出力できません。別の名前を指定してください。")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


@dataclass(frozen=True)
class ExportResult:
    path: Path
    rows: int
    replaced_characters: int


def neutralize(value: object) -> object:
    """Plain numbers stay numbers; text that could start a formula gets a leading '."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not NUMBER.match(text):
        return "'" + text
    return text


def safe_filename(name: str, default: str = "export") -> str:
    cleaned = _BAD_CHARS.sub("_", unicodedata.normalize("NFC", name)).strip().strip(".")
    cleaned = cleaned.replace("..", "_")
    if not cleaned or _WINDOWS_RESERVED.match(cleaned):
        cleaned = f"{default}_{cleaned}" if cleaned else default
    return cleaned[:150]


def target_path(folder: Path, file_name: str, suffix: str) -> Path:
    """A path inside ``folder`` (never outside, whatever the name contains)."""
    base = safe_filename(Path(file_name).stem if file_name.endswith(suffix) else file_name)
    folder = folder.resolve()
    path = (folder / f"{base}{suffix}").resolve()
    if path.parent != folder:
        raise UserFacingError("保存先のファイル名が正しくありません。")
    return path


def check_output_path(path: Path) -> None:
    """Refuse, in Japanese, a file that cannot or must not be written: a missing folder, a
    folder given as the file, or the store's own files. Callers with long work first check
    here, so that the work is not lost at the end."""
    if path.is_dir():
        raise UserFacingError(f"「{path.name}」はフォルダです。ファイルの名前を指定してください。")
    if not path.parent.is_dir():
        raise UserFacingError("保存先のフォルダが見つかりません。"
                              "今あるフォルダを指定してください。")
    if is_store_file(path):
        raise UserFacingError(STORE_FILE)


def _atomic_write(path: Path, data: bytes) -> None:
    check_output_path(path)
    tmp = path.with_name(f".{path.name}.partial")
    try:
        # Readable by the user who exported it only (on Windows the folder's rights apply).
        descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        if hasattr(os, "fchmod"):
            os.fchmod(descriptor, 0o600)  # also when a crash left an older .partial behind
        with os.fdopen(descriptor, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if exc.errno == errno.ENOSPC:
            raise UserFacingError(NO_SPACE) from None
        raise UserFacingError(CANNOT_WRITE) from None


def write_text_file(path: Path, text: str) -> Path:
    """A text file (a model card, the data dictionary) written as safely as an export."""
    _atomic_write(path, text.encode("utf-8"))
    return path


def write_csv(
    path: Path, header: Sequence[str], rows: Iterable[Sequence[object]], encoding: str = "utf-8-sig"
) -> ExportResult:
    if encoding not in ENCODINGS:
        raise ValueError(f"unsupported encoding {encoding}")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralize(h) for h in header])
    count = 0
    for row in rows:
        writer.writerow([neutralize(v) for v in row])
        count += 1
    text = buffer.getvalue()
    replaced = 0
    if encoding == "cp932":
        out = bytearray()
        for ch in text:
            try:
                out += ch.encode("cp932")
            except UnicodeEncodeError:
                out += "〓".encode("cp932")
                replaced += 1
        data = bytes(out)
    else:
        data = text.encode("utf-8-sig")
    _atomic_write(path, data)
    return ExportResult(path, count, replaced)


def write_xlsx(
    path: Path, header: Sequence[str], rows: Iterable[Sequence[object]], sheet: str = "データ"
) -> ExportResult:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    ws = book.create_sheet(title=safe_filename(sheet)[:31])
    ws.append([neutralize(h) for h in header])
    count = 0
    for row in rows:
        ws.append([neutralize(v) for v in row])
        count += 1
    buffer = io.BytesIO()
    book.save(buffer)
    _atomic_write(path, buffer.getvalue())
    return ExportResult(path, count, 0)
