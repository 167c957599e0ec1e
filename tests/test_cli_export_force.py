"""The command line writes only new files (issue 12, finding 10: it replaced existing files
without asking): an existing file, or a symlink at the name, is refused with exit code 2 and
a Japanese line unless --force is given; --force replaces the name, never a link's target."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from tests.conftest import TEST_SCRYPT_N
from toda_desktop.cli import main
from toda_desktop.store_setup import create_empty_store

PASSWORD = "a long enough password"


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TODA_PASSWORD", PASSWORD)
    monkeypatch.setenv("TODA_USER", "lead")
    path = tmp_path / "t.tdb"
    # (the test suite\'s test store: the command line\'s would need a real scanner)
    create_empty_store(path, "test", "lead", PASSWORD, scrypt_n=TEST_SCRYPT_N).store.close()
    return path


def _run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def _export(store: Path, target: Path, *extra: str) -> int:
    return _run("export", "--store", str(store), "--dataset", "schools", "--out", str(target),
                *extra)[0]


def test_export_refuses_an_existing_file_without_force(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "schools.csv"
    target.write_bytes(b"last month's list")
    assert _export(store, target) == 2
    err = capsys.readouterr().err
    assert err == ("エラー: 「schools.csv」は既にあります。上書きはしていません。"
                   "上書きする場合は --force を付けてください。\n")
    assert target.read_bytes() == b"last month's list"
    assert _export(store, target, "--force") == 0
    assert target.read_text(encoding="utf-8-sig").startswith("学校コード")


@pytest.mark.skipif(os.name != "posix", reason="symlinks as on POSIX")
def test_export_never_writes_through_a_symlink(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    victim = tmp_path / "elsewhere.txt"
    victim.write_bytes(b"precious")
    link = tmp_path / "schools.csv"
    link.symlink_to(victim)
    assert _export(store, link) == 2 and "既にあります" in capsys.readouterr().err
    assert _export(store, link, "--force") == 0
    assert victim.read_bytes() == b"precious" and not link.is_symlink()


def test_audit_csv_and_import_report_refuse_an_existing_file_too(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    existing = tmp_path / "taken.csv"
    existing.write_bytes(b"kept")
    code, _ = _run("audit", "list", "--store", str(store), "--csv", str(existing))
    assert code == 2 and "--force" in capsys.readouterr().err
    assert _run("demo", "--out", str(tmp_path / "files"), "--small")[0] == 0
    code, text = _run("import", "--store", str(store), "--dry-run", "--report", str(existing),
                      str(tmp_path / "files" / "schools.csv"))
    assert code == 2 and text == "" and "--force" in capsys.readouterr().err  # before any import
    assert existing.read_bytes() == b"kept"
    code, _ = _run("audit", "list", "--store", str(store), "--csv", str(existing), "--force")
    assert code == 0 and existing.read_text(encoding="utf-8-sig").startswith("番号")


def test_the_data_dictionary_is_rewritten_in_place(tmp_path: Path) -> None:
    """It holds no personal data and is regenerated into the repository's docs."""
    target = tmp_path / "DATA_DICTIONARY.md"
    target.write_text("old", encoding="utf-8")
    assert _run("dictionary", "--out", str(target))[0] == 0
    assert target.read_text(encoding="utf-8") != "old"
