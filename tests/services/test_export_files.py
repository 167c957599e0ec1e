"""Safe files: formulas neutralized, names cleaned, CP932 limits handled, no half files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from openpyxl import load_workbook

from storage.store import COMPANION_SUFFIXES, is_store_file
from toda_desktop.errors import UserFacingError
from toda_desktop.export_files import (
    neutralize,
    safe_filename,
    target_path,
    write_csv,
    write_text_file,
    write_xlsx,
)


@pytest.mark.parametrize(
    "cell", ["=1+1", "+81", "-cmd", "@SUM(A1)", "\tx", "\rx", "＝HYPERLINK()", "＋1", "－1", "＠x"]
)
def test_formula_like_cells_are_neutralized(cell: str) -> None:
    assert neutralize(cell) == "'" + cell


@pytest.mark.parametrize("cell", [-5, 3.5, "-12", "12.5", "髙橋", "", None])
def test_ordinary_values_are_kept(cell: object) -> None:
    assert neutralize(cell) == ("" if cell is None else cell)


def test_file_names_stay_in_the_folder(tmp_path: Path) -> None:
    assert "/" not in safe_filename("../../etc/passwd")
    assert ".." not in safe_filename("../../etc/passwd")
    path = target_path(tmp_path, "../../evil", ".csv")
    assert path.parent == tmp_path.resolve()
    assert safe_filename("CON") == "export_CON"
    assert "/" not in safe_filename("a/b\\c:d*e?f")


def test_csv_utf8_bom_and_cp932(tmp_path: Path) -> None:
    rows = [["髙橋 美咲", "=danger"], ["①番", "普通"]]
    utf8 = write_csv(tmp_path / "a.csv", ["氏名", "メモ"], rows)
    data = (tmp_path / "a.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and utf8.rows == 2
    assert "'=danger" in data.decode("utf-8-sig")
    cp = write_csv(tmp_path / "b.csv", ["氏名", "メモ"], [["髙橋", "🙂"]], encoding="cp932")
    text = (tmp_path / "b.csv").read_bytes().decode("cp932")
    assert "髙橋" in text and "〓" in text and cp.replaced_characters == 1


def test_xlsx(tmp_path: Path) -> None:
    write_xlsx(tmp_path / "a.xlsx", ["氏名", "式"], [["山﨑", "=1+1"]])
    ws = load_workbook(tmp_path / "a.xlsx").active
    assert ws is not None
    assert [c.value for c in ws[2]] == ["山﨑", "'=1+1"]


def test_failed_write_leaves_no_file(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "x.csv"
    with pytest.raises(UserFacingError, match="保存先のフォルダが見つかりません"):
        write_csv(missing, ["a"], [["b"]])
    with pytest.raises(UserFacingError, match="フォルダです"):
        write_csv(tmp_path, ["a"], [["b"]])
    read_only = tmp_path / "read-only"
    read_only.mkdir()
    read_only.chmod(0o500)
    try:
        if not os.access(read_only, os.W_OK):  # root may write anywhere
            with pytest.raises(UserFacingError, match="書き込めません"):
                write_csv(read_only / "x.csv", ["a"], [["b"]])
    finally:
        read_only.chmod(0o700)
    assert not list(tmp_path.rglob("*.partial"))


def test_an_export_never_overwrites_the_store_or_its_companions(tmp_path: Path) -> None:
    """A typo in the output name must not destroy the database or its keys."""
    store = tmp_path / "office.tdb"
    companions = {s: store.with_name(store.name + s) for s in COMPANION_SUFFIXES}
    for path in (store, *companions.values()):
        path.write_bytes(b"precious")
    for path in (store, *companions.values()):
        with pytest.raises(UserFacingError, match="データベース"):
            write_csv(path, ["a"], [["b"]])
        with pytest.raises(UserFacingError, match="データベース"):
            write_text_file(path, "card")
        assert path.read_bytes() == b"precious"
    with pytest.raises(UserFacingError, match="データベース"):  # any case (Windows, macOS)
        write_csv(tmp_path / "OFFICE.tdb.KEYS".replace("OFFICE", "office"), ["a"], [["b"]])
    # Files that merely look alike may be replaced (once confirmed) when no store is beside them.
    companions[".keys"].unlink()
    assert write_csv(tmp_path / "office.tdb-wal", ["a"], [["b"]], overwrite=True).rows == 1
    assert is_store_file(companions[".keys"]) is False


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_exports_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    """They hold personal data (found by QA: 0644 while the key file is 0600)."""
    result = write_csv(tmp_path / "一覧.csv", ["氏名"], [["山田"]])
    assert result.path.stat().st_mode & 0o777 == 0o600
