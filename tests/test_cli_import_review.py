"""The command line's import and review: the kind said with how sure, a doubtful guess
refused, every overwrite change shown, reasons printed, sheets accounted for, exit codes as
the README says, and 取込履歴 and 名寄せ確認 as in the window (issue 10, points 4, 6, 9)."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest
from openpyxl import Workbook

from tests.conftest import TEST_SCRYPT_N
from toda_desktop.cli import main
from toda_desktop.store_setup import DEMO_LOGINS, DEMO_PASSWORD, create_empty_store

PASSWORD = "a long enough password"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "files"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TODA_PASSWORD", PASSWORD)
    monkeypatch.setenv("TODA_USER", "lead")


def _run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


@pytest.fixture
def store(tmp_path: Path, env: None) -> str:
    """A test store with the hand-written register imported."""
    path = tmp_path / "t.tdb"
    # Made through the Python API: the test suite's test stores accept the simulator.
    create_empty_store(path, "test", "lead", PASSWORD, scrypt_n=TEST_SCRYPT_N).store.close()
    code, text = _run("import", "--store", str(path),
                      *(str(FIXTURES / n) for n in ("students.csv", "schools.csv",
                                                    "enrollments_2024.csv")))
    assert code == 0, text
    return str(path)


def _enrollment(store: str, tmp_path: Path) -> str:
    out = tmp_path / "enrollments_out.csv"
    assert _run("export", "--store", store, "--dataset", "enrollments", "--out", str(out),
                "--force", "--purpose", "統計・調査（匿名化前の確認）")[0] == 0
    return out.read_text(encoding="utf-8-sig")


def test_a_doubtful_guess_is_refused_with_the_kind_its_confidence_and_the_runner_up(
    store: str, tmp_path: Path
) -> None:
    before = _enrollment(store, tmp_path)
    code, text = _run("import", "--store", store, "--overwrite",
                      str(FIXTURES / "hokenshitsu_2024_05.csv"))
    assert code == 2
    line = text.splitlines()[0]
    assert re.search(r"「在籍」（見出しの一致 \d+%、確からしさ \d+%）。次点は「.+」", line), line
    assert "--kind を付け" in text and "「在籍」なら --kind enrollments" in text
    assert "取り込めなかったファイル 1件: hokenshitsu_2024_05.csv" in text
    assert _enrollment(store, tmp_path) == before


def test_forced_to_enrollments_with_overwrite_the_health_room_log_changes_nothing(
    store: str, tmp_path: Path
) -> None:
    before = _enrollment(store, tmp_path)
    code, text = _run("import", "--store", store, "--overwrite", "--kind", "enrollments",
                      str(FIXTURES / "hokenshitsu_2024_05.csv"))
    assert code == 0, text
    assert "種類: 在籍（--kind で指定。見出しからの判断は「在籍」" in text
    assert "取込済みと同一 4" in text and "上書きで変わる値" not in text
    assert _enrollment(store, tmp_path) == before
    assert "P24-0101" in before and "s0101@toda-sample.ed.jp" in before


def test_overwrite_dry_run_prints_every_change_and_changes_nothing(
    store: str, tmp_path: Path
) -> None:
    before = _enrollment(store, tmp_path)
    corrected = str(FIXTURES / "enrollments_2024_corrected.csv")
    code, text = _run("import", "--store", store, "--overwrite", "--dry-run", corrected)
    assert code == 0, text
    assert "上書きで変わる値 1件:" in text
    assert ("4行目（上田　健太（宛名番号 0000103）・2024年度・さくら小学校・3年・1組・3番）"
            "県学調番号: 「P24-0103」→「P24-1103」") in text
    assert _enrollment(store, tmp_path) == before
    code, text = _run("import", "--store", store, corrected)
    assert "値の異なる既存の記録 1行はそのままにします" in text
    code, text = _run("import", "--store", store, "--overwrite", corrected)
    assert code == 0 and "1行を上書き" in text
    after = _enrollment(store, tmp_path)
    assert "P24-1103" in after and after.count("@toda-sample.ed.jp") == 5


def test_reasons_are_printed_without_report_and_rows_left_out_exit_1(store: str) -> None:
    code, text = _run("import", "--store", store, str(FIXTURES / "hoken_2024_06.csv"))
    assert code == 1
    assert "主な理由:" in text
    assert re.search(r"エラー 1行「利用日」: .*日付", text), text
    assert "2行を確認待ちに登録しました" in text


def test_import_list_and_rollback_as_in_the_history_screen(store: str) -> None:
    code, text = _run("import", "list", "--store", store)
    assert code == 0
    lines = text.splitlines()
    assert lines[0].startswith("取込番号\t日時\t種類\tファイル")
    assert any(line.startswith("3\t") and "\t在籍\tenrollments_2024.csv\t5\t取込済み" in line
               for line in lines)
    code, text = _run("import", "rollback", "--batch", "3", "--store", store)
    assert code == 0 and "取込番号 3 を取り消しました。" in text
    assert "削除した記録: 在籍 5行" in text
    code, text = _run("import", "list", "--store", store)
    assert any(line.startswith("3\t") and "\t取消済み\t" in line for line in text.splitlines())
    code, _ = _run("import", "rollback", "--batch", "3", "--store", store)
    assert code == 2


def test_rollback_without_a_batch_number_is_refused_before_signing_in(
    tmp_path: Path, env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = _run("import", "rollback", "--store", str(tmp_path / "none.tdb"))
    assert code == 2 and "--batch で指定" in capsys.readouterr().err


def test_a_file_named_like_a_subcommand_is_still_imported(
    store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copyfile(FIXTURES / "students.csv", tmp_path / "list")
    code, text = _run("import", "--store", store, "list")
    assert code == 0 and "list: 種類: 見出しからの判断は「児童生徒基本情報」" in text


def test_a_workbook_reads_every_fitting_sheet_and_says_which_were_not_read(
    store: str, tmp_path: Path
) -> None:
    book = Workbook()
    book.active.title = "6月"
    for row in (["利用日", "宛名番号", "入室時刻", "症状区分"],
                ["2024/6/3", "0000101", "10:20", "内科"]):
        book.active.append(row)
    july = book.create_sheet("7月")
    for row in (["利用日", "宛名番号", "入室時刻", "症状区分"],
                ["2024/7/1", "0000102", "9:00", "外科"]):
        july.append(row)
    book.create_sheet("メモ").append(["7月は行事が多い"])
    path = tmp_path / "保健室.xlsx"
    book.save(path)
    code, text = _run("import", "--store", store, "--dry-run", str(path))
    assert code == 1, text  # a sheet left out is something to look at
    assert "保健室.xlsx: シート3枚のうち2枚を読みます（「6月」、「7月」）。" in text
    assert "シート「メモ」は読みません: 見出しがどのデータの種類にも合いません。" in text
    assert "保健室.xlsx（シート「6月」）: 種類:" in text
    assert "保健室.xlsx（シート「7月」）: 種類:" in text
    code, text = _run("import", "--store", store, "--sheet", "7月", str(path))
    assert code == 0, text
    assert "6月" not in text.split("読みます")[1].splitlines()[0]
    assert "1行を追加" in text and text.count("行を追加") == 1


def test_kind_help_lists_the_kinds_and_init_help_says_where_the_first_login_comes_from(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["import", "--help"])
    text = re.sub(r"\s+", "", capsys.readouterr().out)
    for shown in ("students（児童生徒基本情報）", "enrollments（在籍）",
                  "health_room_visits（保健室利用）", "importlist", "importrollback--batchN"):
        assert shown in text
    with pytest.raises(SystemExit):
        main(["init", "--help"])
    text = re.sub(r"\s+", "", capsys.readouterr().out)
    for shown in ("TODA_USER", "lead", "TODA_PASSWORD", "2回入力", "回復キー"):
        assert shown in text


def test_review_list_shows_what_the_review_screen_shows_and_decide_links_the_row(
    store: str, tmp_path: Path
) -> None:
    _run("import", "--store", store, str(FIXTURES / "hoken_2024_06.csv"))
    code, text = _run("review", "list", "--store", store)
    assert code == 0 and text.startswith("確認待ち 2件")
    items = [int(n) for n in re.findall(r"確認項目 (\d+)　保健室利用", text)]
    assert len(items) == 2
    assert "候補1: 児童生徒ID 2　井上　花子（イノウエ ハナコ）　生年月日 2015-08-12" in text
    assert "宛名番号 0000102" in text
    # Fields the screen does not show stay off the terminal.
    assert "P24-0102" not in text and "toda-sample" not in text
    code, _ = _run("review", "decide", "--store", store, "--item", str(items[0]),
                   "--pupil", "5")
    assert code == 2  # not a candidate of that row: refused like the screen would
    code, text = _run("review", "decide", "--store", store, "--item", str(items[0]),
                      "--pupil", "2")
    assert code == 0 and "「井上　花子」（宛名番号 0000102）の行として取り込みました" in text
    code, _ = _run("review", "decide", "--store", store, "--item", str(items[1]),
                   "--address-code", "0009999")
    assert code == 2  # no such pupil: nothing decided
    code, text = _run("review", "decide", "--store", store, "--item", str(items[1]),
                      "--address-code", "0000103")
    assert code == 0 and "「上田　健太」（宛名番号 0000103）の行として取り込みました" in text
    code, text = _run("review", "list", "--store", store)
    assert code == 0 and "確認待ちの行はありません" in text
    code, _ = _run("review", "decide", "--store", store, "--item", str(items[1]), "--reject")
    assert code == 2  # already decided


def test_review_decide_reject_and_the_policy_is_the_windows(
    store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _run("import", "--store", store, str(FIXTURES / "hoken_2024_06.csv"))
    code, text = _run("review", "list", "--store", store, "--limit", "1")
    assert code == 0 and "（先頭の 1件を表示）" in text
    item = re.findall(r"確認項目 (\d+)", text)[0]
    code, _ = _run("review", "decide", "--store", store, "--item", item)
    assert code == 2 and "どれか1つ" in capsys.readouterr().err
    code, text = _run("review", "decide", "--store", store, "--item", item, "--reject")
    assert code == 0 and "「該当する児童生徒なし」としました" in text
    code, text = _run("review", "list", "--store", store)
    assert text.startswith("確認待ち 1件")


def test_review_needs_the_import_function_like_the_screen(
    demo_store_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TODA_PASSWORD", DEMO_PASSWORD)
    store = str(demo_store_path)
    for argv in (["review", "list"], ["review", "decide", "--item", "1", "--reject"],
                 ["import", "list"]):
        code, text = _run(*argv, "--store", store, "--user", DEMO_LOGINS["liaison"][0])
        assert code == 2 and text == ""
        assert "権限" in capsys.readouterr().err


def test_rows_only_queued_for_review_exit_1_and_a_dry_run_says_nothing_was_written(
    store: str,
) -> None:
    code, text = _run("import", "--store", store, "--dry-run",
                      str(FIXTURES / "hoken_2024_06.csv"))
    assert code == 1 and "確認待ち 2" in text
    assert "何も書き込んでいません（--dry-run）" in text


def test_a_report_folder_that_does_not_exist_is_refused_before_anything_is_imported(
    store: str, tmp_path: Path
) -> None:
    code, text = _run("import", "--store", store, "--report", str(tmp_path / "no" / "r.csv"),
                      str(FIXTURES / "hoken_2024_06.csv"))
    assert code == 2
    code, text = _run("import", "list", "--store", store)
    assert "hoken_2024_06.csv" not in text
