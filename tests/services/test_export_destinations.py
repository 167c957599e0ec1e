"""Where an export may write (issue 12, findings 6 and 10): only a new file unless the user
confirmed the overwrite, never through a planted symlink, owner-only, and no pupil data in
the system temp folder — .xlsx included (openpyxl streams every worksheet through it)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook

from toda_desktop.errors import UserFacingError
from toda_desktop.export_files import (
    STALE_SECONDS,
    ExistingFile,
    write_csv,
    write_text_file,
    write_xlsx,
)

PUPIL = ["山田　花子", "ヤマダ　ハナコ", "2015-04-02"]
posix_only = pytest.mark.skipif(os.name != "posix", reason="symlinks and modes as on POSIX")


def _victim(tmp_path: Path) -> Path:
    victim = tmp_path / "elsewhere" / "settings.ini"
    victim.parent.mkdir()
    victim.write_bytes(b"precious")
    return victim


@posix_only
@pytest.mark.parametrize("writer", ["csv", "xlsx", "text"])
def test_a_symlink_planted_at_the_old_staging_name_is_never_followed(
    tmp_path: Path, writer: str
) -> None:
    """The review's attack: a link at NAME.partial made the export overwrite its target."""
    victim = _victim(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    target = out / f"一覧.{'txt' if writer == 'text' else writer}"
    trap = out / f".{target.name}.partial"
    trap.symlink_to(victim)
    if writer == "csv":
        write_csv(target, ["氏名"], [PUPIL])
    elif writer == "xlsx":
        write_xlsx(target, ["氏名"], [PUPIL])
    else:
        write_text_file(target, "card")
    assert victim.read_bytes() == b"precious"
    assert trap.is_symlink() and not target.is_symlink()
    assert sorted(p.name for p in out.iterdir()) == sorted([trap.name, target.name])


@posix_only
def test_a_symlink_at_the_file_name_is_refused_and_its_target_untouched(tmp_path: Path) -> None:
    victim = _victim(tmp_path)
    link = tmp_path / "一覧.csv"
    link.symlink_to(victim)
    with pytest.raises(ExistingFile, match="既にあります"):
        write_csv(link, ["氏名"], [PUPIL])
    assert victim.read_bytes() == b"precious" and link.is_symlink()
    dangling = tmp_path / "dangling.csv"
    dangling.symlink_to(tmp_path / "elsewhere" / "new.csv")  # creating through it would work
    with pytest.raises(ExistingFile):
        write_csv(dangling, ["氏名"], [PUPIL])
    assert not (tmp_path / "elsewhere" / "new.csv").exists()


@posix_only
def test_a_confirmed_overwrite_replaces_the_link_itself_not_its_target(tmp_path: Path) -> None:
    victim = _victim(tmp_path)
    link = tmp_path / "一覧.csv"
    link.symlink_to(victim)
    write_csv(link, ["氏名"], [PUPIL], overwrite=True)
    assert victim.read_bytes() == b"precious"
    assert not link.is_symlink() and "山田" in link.read_text(encoding="utf-8-sig")


def test_an_existing_file_is_kept_unless_the_overwrite_was_confirmed(tmp_path: Path) -> None:
    path = tmp_path / "一覧.csv"
    path.write_bytes(b"earlier export")
    for write in (lambda: write_csv(path, ["氏名"], [PUPIL]),
                  lambda: write_xlsx(path, ["氏名"], [PUPIL]),
                  lambda: write_text_file(path, "card")):
        with pytest.raises(UserFacingError, match=r"「一覧\.csv」は既にあります"):
            write()
        assert path.read_bytes() == b"earlier export"
    assert write_csv(path, ["氏名"], [PUPIL], overwrite=True).rows == 1
    assert "山田" in path.read_text(encoding="utf-8-sig")
    assert [p.name for p in tmp_path.iterdir()] == ["一覧.csv"]  # no staging file left


@posix_only
def test_a_replaced_file_is_owner_only_too(tmp_path: Path) -> None:
    path = tmp_path / "一覧.xlsx"
    path.write_bytes(b"old")
    path.chmod(0o644)
    write_xlsx(path, ["氏名"], [PUPIL], overwrite=True)
    assert path.stat().st_mode & 0o777 == 0o600


def _tmpdir_run(tmp_path: Path, code: str) -> tuple[Path, Path]:
    """Run an export in a fresh interpreter whose TMPDIR is an empty folder."""
    temp = tmp_path / "temp"
    temp.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    env = {**os.environ, "TMPDIR": str(temp), "TEMP": str(temp), "TMP": str(temp)}
    subprocess.run([sys.executable, "-c", code, str(out)], check=True, env=env,
                   cwd=Path(__file__).resolve().parents[2], timeout=120)
    return temp, out


def test_an_xlsx_export_writes_nothing_to_the_temp_folder(tmp_path: Path) -> None:
    code = (
        "import sys, tempfile; from pathlib import Path\n"
        "assert tempfile.gettempdir() == __import__('os').environ['TMPDIR']\n"
        "from toda_desktop.export_files import write_xlsx, write_csv\n"
        f"rows = [{PUPIL!r}] * 5000\n"
        "out = Path(sys.argv[1])\n"
        "write_xlsx(out / 'list.xlsx', ['氏名', 'カナ', '生年月日'], rows)\n"
        "write_csv(out / 'list.csv', ['氏名', 'カナ', '生年月日'], rows)\n"
    )
    temp, out = _tmpdir_run(tmp_path, code)
    assert list(temp.iterdir()) == []
    assert sorted(p.name for p in out.iterdir()) == ["list.csv", "list.xlsx"]
    sheet = load_workbook(out / "list.xlsx", read_only=True).active
    assert sheet is not None
    assert [c.value for c in next(sheet.iter_rows(min_row=2, max_row=2))] == PUPIL


def test_openpyxl_would_have_used_the_temp_folder(tmp_path: Path) -> None:
    """Why the .xlsx writer changed: the old way streamed the sheet through TMPDIR."""
    code = (
        "import sys, os, tempfile, io; from pathlib import Path\n"
        "from openpyxl import Workbook\n"
        "seen = []\n"
        "real = tempfile.NamedTemporaryFile\n"
        "def spy(*a, **k):\n"
        "    f = real(*a, **k); seen.append(f.name); return f\n"
        "tempfile.NamedTemporaryFile = spy\n"
        "import openpyxl.worksheet._writer as w; w.NamedTemporaryFile = spy\n"
        "book = Workbook(write_only=True); ws = book.create_sheet('x')\n"
        "ws.append(['山田　花子']); book.save(io.BytesIO())\n"
        "assert seen and all(s.startswith(os.environ['TMPDIR']) for s in seen), seen\n"
    )
    _tmpdir_run(tmp_path, code)


@posix_only  # file size limits (RLIMIT_FSIZE)
def test_a_write_that_fails_half_way_leaves_nothing_anywhere(tmp_path: Path) -> None:
    """The disk fills up during the write (a file size limit, for real, in a child process):
    no file, no staging file in the folder, nothing in the temp folder."""
    code = (
        "import resource, signal, sys; from pathlib import Path\n"
        "from toda_desktop.errors import UserFacingError\n"
        "from toda_desktop.export_files import write_xlsx, write_csv\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))\n"
        f"rows = [{PUPIL!r}] * 5000\n"
        "out = Path(sys.argv[1])\n"
        "for write, name in ((write_xlsx, '一覧.xlsx'), (write_csv, '一覧.csv')):\n"
        "    try:\n"
        "        write(out / name, ['氏名', 'カナ', '生年月日'], rows)\n"
        "    except UserFacingError as exc:\n"
        "        assert '書き込めません' in exc.message_ja, exc.message_ja\n"
        "    else:\n"
        "        raise SystemExit('the write did not fail')\n"
    )
    temp, out = _tmpdir_run(tmp_path, code)
    assert list(out.iterdir()) == [] and list(temp.iterdir()) == []


@posix_only
def test_a_staging_file_left_by_a_killed_export_is_removed_by_the_next(tmp_path: Path) -> None:
    stale = tmp_path / ".一覧.csv.0123456789ab.partial"
    stale.write_bytes(b"half of a list")
    old = time.time() - STALE_SECONDS - 60
    os.utime(stale, (old, old))
    fresh = tmp_path / ".一覧.csv.ba9876543210.partial"  # perhaps another export's, now
    fresh.write_bytes(b"in progress")
    write_csv(tmp_path / "一覧.csv", ["氏名"], [PUPIL])
    assert not stale.exists() and fresh.exists()


def test_a_name_near_the_file_systems_limit_can_still_be_staged(tmp_path: Path) -> None:
    name = "児" * 80 + ".csv"  # 244 bytes in UTF-8: the staging name must stay shorter
    assert write_csv(tmp_path / name, ["氏名"], [PUPIL]).rows == 1
    assert [p.name for p in tmp_path.iterdir()] == [name]
