"""The command line: create, inspect and check stores, with Japanese output and exit codes."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TEST_SCRYPT_N
from toda_desktop.cli import main
from toda_desktop.store_setup import create_empty_store

PASSWORD = "a long enough password"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TODA_PASSWORD", PASSWORD)
    monkeypatch.setenv("TODA_USER", "lead")


def _test_store(path: Path) -> None:
    """A test store the test suite may sign in to with the simulator (the command line's
    test stores need a real scanner, like production ones)."""
    create_empty_store(path, "test", "lead", PASSWORD, scrypt_n=TEST_SCRYPT_N).store.close()


def _run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def test_init_test_store_then_info_and_check(tmp_path: Path, env: None) -> None:
    store = tmp_path / "t.tdb"
    code, text = _run("init", "--store", str(store), "--test")
    assert code == 0
    assert "テスト用データベースを作成しました" in text
    assert "回復キー" in text
    assert PASSWORD not in text
    store = tmp_path / "suite.tdb"
    _test_store(store)
    code, text = _run("info", "--store", str(store))
    assert code == 0 and "種類: テスト" in text and "児童生徒基本情報" in text
    code, text = _run("check", "--store", str(store))
    assert code == 0 and text.startswith("正常")


def test_init_refuses_to_overwrite(
    tmp_path: Path, env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "t.tdb"
    assert _run("init", "--store", str(store), "--test")[0] == 0
    before = store.read_bytes()
    code, _ = _run("init", "--store", str(store), "--test")
    assert code == 2
    assert "既にデータベースがあります" in capsys.readouterr().err
    assert store.read_bytes() == before


def test_wrong_password_is_a_clear_japanese_error(
    tmp_path: Path, env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "t.tdb"
    _test_store(store)
    monkeypatch.setenv("TODA_PASSWORD", "not the password")
    code, _ = _run("info", "--store", str(store))
    err = capsys.readouterr().err
    assert code == 2
    assert "ログインIDまたはパスワードが正しくありません" in err
    assert "Traceback" not in err


def test_short_password_is_refused(
    tmp_path: Path, env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TODA_PASSWORD", "short")
    code, _ = _run("init", "--store", str(tmp_path / "t.tdb"), "--test")
    assert code == 2 and "8文字以上" in capsys.readouterr().err
    assert not (tmp_path / "t.tdb").exists()


def test_missing_store_is_reported(
    env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = _run("info", "--store", str(tmp_path / "absent.tdb"))
    assert code == 2 and "見つかりません" in capsys.readouterr().err


def test_check_reports_damage_with_exit_code_1(tmp_path: Path, env: None) -> None:
    store = tmp_path / "t.tdb"
    _test_store(store)
    # Grow the file so that a page other than the first can be damaged.
    from storage.store import Store

    with Store.open(store, "lead", PASSWORD) as opened:
        opened.db.call(
            lambda c: c.executemany(
                "INSERT INTO ds_schools (school_code, school_name, school_type) VALUES (?, ?, ?)",
                [(f"{i:05d}", "学校" * 50, "小学校") for i in range(3000)],
            )
        )
    from storage.group_files import group_file_path

    damaged = group_file_path(store, "basic")  # where 学校 rows live (issue 12)
    size = damaged.stat().st_size
    with damaged.open("r+b") as fh:
        fh.seek(size - 4096 * 2 + 50)
        fh.write(b"\x00\xff\x00\xff")
    code, text = _run("check", "--store", str(store))
    assert code == 1 and text.startswith("異常")


def test_python_dash_m_entry_point_runs(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "toda_desktop", "--help"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0 and "init" in result.stdout


def test_help_and_argument_errors_are_in_japanese(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as ended:
        main(["risk", "score", "--help"])
    assert ended.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith("使い方: ") and "オプション:" in text and "この説明を表示" in text
    assert "usage" not in text and "show this help" not in text
    with pytest.raises(SystemExit) as ended:
        main(["risk", "score"])
    assert ended.value.code == 2
    err = capsys.readouterr().err
    assert "次の指定が必要です: --store, --month" in err and "required" not in err
    with pytest.raises(SystemExit):
        main(["audit", "list", "--store", "x", "--pupil", "abc"])
    err = capsys.readouterr().err
    assert "指定 --pupil: 整数ではありません" in err and "argument" not in err
    with pytest.raises(SystemExit):
        main([])
    assert "次の指定が必要です: コマンド" in capsys.readouterr().err


@pytest.mark.slow
def test_import_report_goes_through_the_export_path(tmp_path: Path, env: None) -> None:
    """The validation report holds cell values: it is written by the service, and logged."""
    store = tmp_path / "t.tdb"
    _test_store(store)
    assert _run("demo", "--out", str(tmp_path / "files"), "--small")[0] == 0
    report = tmp_path / "report.csv"
    files = str(tmp_path / "files" / "students.csv")
    # It can hold names, birth dates and IDs: an identifiable export, refused without a
    # purpose before anything is read.
    code, _ = _run("import", "--store", str(store), "--dry-run", "--report", str(report), files)
    assert code == 2 and not report.exists()
    code, text = _run("import", "--store", str(store), "--dry-run", "--report", str(report),
                      "--purpose", "学校への情報提供", files)
    assert code in (0, 1) and "検証結果を書き出しました" in text
    assert report.read_text(encoding="utf-8-sig").startswith("ファイル")
    code, text = _run("audit", "list", "--store", str(store))
    assert code == 0 and "出力\t成功\t検証結果" in text


def test_export_refuses_to_write_over_the_store_or_its_key_file(
    tmp_path: Path, env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "t.tdb"
    _test_store(store)
    keys = store.with_name(store.name + ".keys")
    before = keys.read_bytes()
    for target in (keys, store):
        code, _ = _run("export", "--store", str(store), "--dataset", "schools",
                       "--out", str(target))
        assert code == 2
        assert "上書きするとデータが失われるため" in capsys.readouterr().err
    assert keys.read_bytes() == before  # (the store itself changed only by its audit log)
    code, text = _run("check", "--store", str(store))
    assert code == 0 and text.startswith("正常")


def test_one_bad_file_does_not_stop_the_others_and_the_exit_code_tells(
    tmp_path: Path, env: None
) -> None:
    """Found by QA: an empty file in the middle aborted the run after the first file was
    committed, with no word about the rest; rows left out did not change the exit code."""
    store = tmp_path / "t.tdb"
    _test_store(store)
    _run("demo", "--out", str(tmp_path / "files"), "--small")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    commas = tmp_path / "commas.csv"
    commas.write_text(",,,\n,,,\n", encoding="utf-8")
    files = tmp_path / "files"
    code, text = _run("import", "--store", str(store), str(files / "students.csv"), str(empty),
                      str(commas), str(files / "schools.csv"))
    assert code == 2  # README: a file not imported at all is "refused or failed"
    assert "empty.csv: 取り込めませんでした — 「empty.csv」: ファイルに内容がありません。" in text
    assert "commas.csv: 取り込めませんでした" in text
    assert "取り込めなかったファイル 2件: empty.csv、commas.csv" in text
    assert text.count("行を追加") == 2  # students and schools both imported
    code, text = _run("import", "--store", str(store), "--dry-run", str(files / "schools.csv"))
    assert code == 0 and "取り込む新しい行はありません" in text


def test_unexpected_failures_are_one_japanese_line_without_a_traceback(
    tmp_path: Path, env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "t.tdb"
    _test_store(store)
    keys = store.with_name(store.name + ".keys")
    keys.write_bytes(bytes(range(256)) * 4)  # random bytes, not UTF-8
    code, _ = _run("info", "--store", str(store))
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("エラー: ") and "Traceback" not in err
    code, _ = _run("import", "--store", str(store), str(tmp_path))
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err


def test_export_says_when_the_file_name_and_options_do_not_fit(
    tmp_path: Path, env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found by QA: x.txt was written as CSV, and --cp932 was ignored for .xlsx, silently."""
    store = tmp_path / "t.tdb"
    _test_store(store)
    code, _ = _run("export", "--store", str(store), "--dataset", "schools",
                   "--out", str(tmp_path / "x.txt"))
    assert code == 2 and ".csv か .xlsx" in capsys.readouterr().err
    code, _ = _run("export", "--store", str(store), "--dataset", "schools", "--cp932",
                   "--out", str(tmp_path / "x.xlsx"))
    assert code == 2 and "Excel（.xlsx）には使えません" in capsys.readouterr().err
    assert not list(tmp_path.glob("x.*"))
