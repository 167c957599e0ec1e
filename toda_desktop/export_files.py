"""Writing tables to CSV (UTF-8 with BOM, or CP932) and .xlsx safely.

Safe means: a cell that a spreadsheet would run as a formula (starting with = + - @, a tab or a
carriage return, or their full-width forms) is neutralized with a leading apostrophe; file
names are cleaned and the file stays in the chosen folder; CP932 cannot hold every character,
so those are replaced with 〓 and counted rather than failing half-way.

Where it is written: the file is built in memory (never in the system temp folder) — a CSV
a block of lines at a time, so a report of millions of lines never lies whole in memory —
and written in the destination folder under a random name created exclusively, and given
its name only when complete — as a new file (a hard link
refuses an existing name), or in place of an existing one only when the user confirmed it.
No symlink is followed at any step; files are owner-only (0600) where the system allows.
"""

from __future__ import annotations

import csv
import errno
import io
import os
import re
import secrets
import stat
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

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
FORCE_HELP = "同じ名前のファイルがあれば上書きする（指定しなければ既存のファイルには書きません）"
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
# A new name only: fails on any existing entry, a symlink included (O_EXCL never follows one).
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NEW_FLAGS = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
              | getattr(os, "O_BINARY", 0) | _CLOEXEC)
_STAGING_ATTEMPTS = 8
STAGING_NAME_CHARS = 60
STALE_SECONDS = 3600  # a staging file this old belongs to a killed export
CSV_BLOCK_LINES = 10_000  # CSV lines built in memory before they are written
BOM = "\ufeff".encode()  # UTF-8's byte order mark, which Excel needs to read UTF-8
# A file's content: its bytes, or a function writing them to the open file (a CSV written
# block by block).
Content = bytes | Callable[[BinaryIO], object]


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


def check_output_path(path: Path, *, overwrite: bool = False) -> None:
    """Refuse, in Japanese, a file that cannot or must not be written: a missing folder, a
    folder given as the file, the store's own files, or (unless the user confirmed the
    overwrite) any existing name, a symlink included. Callers with long work first check
    here, so that the work is not lost at the end."""
    if path.is_dir():
        raise UserFacingError(f"「{path.name}」はフォルダです。ファイルの名前を指定してください。")
    if not path.parent.is_dir():
        raise UserFacingError("保存先のフォルダが見つかりません。"
                              "今あるフォルダを指定してください。")
    if is_store_file(path):
        raise UserFacingError(STORE_FILE)
    if not overwrite and os.path.lexists(path):
        raise ExistingFile(path)


class ExistingFile(UserFacingError):
    """The chosen name is taken: an export only replaces a file the user confirmed."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"「{path.name}」は既にあります。上書きはしていません。"
                         "別の名前を指定してください。")
        self.path = path


def _write_error(exc: OSError) -> UserFacingError:
    if exc.errno == errno.ENOSPC:
        return UserFacingError(NO_SPACE)
    return UserFacingError(CANNOT_WRITE)


def _write_all(descriptor: int, data: Content) -> None:
    """Write, flush to the disk and close; owner-only whatever the umask (POSIX)."""
    with os.fdopen(descriptor, "wb") as fh:
        if hasattr(os, "fchmod"):
            os.fchmod(fh.fileno(), 0o600)
        if isinstance(data, bytes):
            fh.write(data)
        else:
            data(fh)
        fh.flush()
        os.fsync(fh.fileno())


def _exclusive(path: Path) -> int:
    """Create ``path`` only if no file, directory or symlink has the name (never follows)."""
    return os.open(path, _NEW_FLAGS, 0o600)


def _staging_prefix(name: str) -> str:
    """Hidden, recognisably this export's, and short enough for any name the folder takes."""
    return f".{name[:STAGING_NAME_CHARS]}."


def _sweep_stale(folder: Path, name: str) -> None:
    """Remove this name's staging files that a killed export left (older than an hour, so
    that a concurrent export's is spared; only plain files of this user, never a link)."""
    pattern = re.compile(re.escape(_staging_prefix(name)) + r"[0-9a-f]{12}\.partial")
    limit = time.time() - STALE_SECONDS
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if not pattern.fullmatch(entry.name):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            mine = not hasattr(os, "getuid") or info.st_uid == os.getuid()
            if stat.S_ISREG(info.st_mode) and mine and info.st_mtime < limit:
                os.unlink(entry.path)
        except OSError:
            continue


def _staged(folder: Path, name: str, data: Content) -> Path:
    """The whole content under a fresh random name in the destination folder: the name is
    created exclusively, so a file or symlink planted there is never opened."""
    for _ in range(_STAGING_ATTEMPTS):
        staging = folder / f"{_staging_prefix(name)}{secrets.token_hex(6)}.partial"
        try:
            descriptor = _exclusive(staging)
        except FileExistsError:
            continue
        try:
            _write_all(descriptor, data)
        except BaseException:
            staging.unlink(missing_ok=True)
            raise
        return staging
    raise FileExistsError(errno.EEXIST, "no free staging name")


def _publish_new(staging: Path, path: Path, data: Content) -> None:
    """Move the staged file to a name that must not exist yet: a hard link is an exclusive
    create; where the file system has none, the content is written to ``path`` created
    exclusively."""
    try:
        os.link(staging, path)  # the staging file is ours and never a symlink
    except FileExistsError:
        raise
    except OSError:  # FAT drives and some network shares have no hard links
        descriptor = _exclusive(path)
        try:
            # Content written as it was built is copied from the staged file.
            _write_all(descriptor, data if isinstance(data, bytes) else _copy_of(staging))
        except BaseException:
            path.unlink(missing_ok=True)
            raise
    staging.unlink(missing_ok=True)


def _copy_of(staging: Path) -> Callable[[BinaryIO], object]:
    def copy(out: BinaryIO) -> None:
        with staging.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                out.write(block)
    return copy


def _safe_write(path: Path, data: Content, *, overwrite: bool = False) -> None:
    """The file appears whole or not at all, as a new file (or, when the user confirmed, in
    place of the old one); a symlink at the name or at a staging name is never followed —
    a confirmed overwrite replaces the link itself, not what it points to."""
    check_output_path(path, overwrite=overwrite)
    folder = path.parent
    _sweep_stale(folder, path.name)
    try:
        staging = _staged(folder, path.name, data)
        try:
            if overwrite:
                os.replace(staging, path)
            else:
                _publish_new(staging, path, data)
        finally:
            staging.unlink(missing_ok=True)
    except FileExistsError:
        raise ExistingFile(path) from None
    except OSError as exc:
        raise _write_error(exc) from None


def write_text_file(path: Path, text: str, *, overwrite: bool = False) -> Path:
    """A text file (a model card, the data dictionary) written as safely as an export."""
    _safe_write(path, text.encode("utf-8"), overwrite=overwrite)
    return path


def write_binary_file(path: Path, data: bytes, *, overwrite: bool = False) -> Path:
    """A file built whole in memory (a Parquet table) written as safely as an export."""
    _safe_write(path, data, overwrite=overwrite)
    return path


def csv_bytes(
    header: Sequence[str], rows: Iterable[Sequence[object]], encoding: str = "utf-8-sig"
) -> tuple[bytes, int, int]:
    """The file's bytes, its row count and how many characters CP932 could not hold."""
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
    if encoding != "cp932":
        return text.encode("utf-8-sig"), count, 0
    data, replaced = _encoded(text, encoding)
    return data, count, replaced


def write_csv(
    path: Path, header: Sequence[str], rows: Iterable[Sequence[object]],
    encoding: str = "utf-8-sig", *, overwrite: bool = False,
) -> ExportResult:
    if encoding not in ENCODINGS:
        raise ValueError(f"unsupported encoding {encoding}")
    written = [0, 0]  # lines, characters CP932 could not hold

    def content(out: BinaryIO) -> None:
        written[:] = _write_csv_blocks(out, header, rows, encoding)

    _safe_write(path, content, overwrite=overwrite)
    return ExportResult(path, written[0], written[1])


def _write_csv_blocks(
    out: BinaryIO, header: Sequence[str], rows: Iterable[Sequence[object]], encoding: str
) -> tuple[int, int]:
    """The same bytes as :func:`csv_bytes`, written ``CSV_BLOCK_LINES`` lines at a time:
    (lines, characters CP932 could not hold)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralize(h) for h in header])
    if encoding == "utf-8-sig":
        out.write(BOM)
    count = replaced = 0

    def flush() -> None:
        nonlocal replaced
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        data, lost = _encoded(text, encoding)
        out.write(data)
        replaced += lost

    for row in rows:
        writer.writerow([neutralize(v) for v in row])
        count += 1
        if count % CSV_BLOCK_LINES == 0:
            flush()
    flush()
    return count, replaced


def _encoded(text: str, encoding: str) -> tuple[bytes, int]:
    """``text`` in ``encoding`` (UTF-8 without BOM for utf-8-sig), CP932's missing
    characters as 〓, and how many were replaced."""
    if encoding != "cp932":
        return text.encode("utf-8"), 0
    try:
        return text.encode("cp932"), 0
    except UnicodeEncodeError:
        pass
    replaced = 0
    out = bytearray()
    for ch in text:
        try:
            out += ch.encode("cp932")
        except UnicodeEncodeError:
            out += "〓".encode("cp932")
            replaced += 1
    return bytes(out), replaced


def sheet_title(name: str) -> str:
    """A worksheet name Excel accepts (no []:*?/\\, at most 31 characters)."""
    return _BAD_SHEET_CHARS.sub("_", safe_filename(name))[:31]


def xlsx_bytes(
    header: Sequence[str], rows: Iterable[Sequence[object]], sheet: str = "データ"
) -> tuple[bytes, int]:
    """The workbook built wholly in memory: openpyxl writes every worksheet through a file
    in the system temp folder (pupil data left there by a crash), XlsxWriter's in_memory
    mode writes nothing outside the buffer."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {
        "in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
        "strings_to_urls": False})
    ws = book.add_worksheet(sheet_title(sheet))

    def put(r: int, values: Sequence[object]) -> None:
        for c, raw in enumerate(values):
            value = neutralize(raw)
            if isinstance(value, bool):
                ws.write_boolean(r, c, value)
            elif isinstance(value, int | float):
                ws.write_number(r, c, value)
            elif value != "":
                ws.write_string(r, c, str(value))

    put(0, header)
    count = 0
    for row in rows:
        count += 1
        put(count, row)
    book.close()
    return buffer.getvalue(), count


def write_xlsx(
    path: Path, header: Sequence[str], rows: Iterable[Sequence[object]], sheet: str = "データ",
    *, overwrite: bool = False,
) -> ExportResult:
    data, count = xlsx_bytes(header, rows, sheet)
    _safe_write(path, data, overwrite=overwrite)
    return ExportResult(path, count, 0)
