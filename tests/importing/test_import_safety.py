"""Imports are atomic: a killed process, a cancel or bad files leave the store as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD, TEST_SCRYPT_N
from toda_desktop.composition import Application, SignedIn
from toda_desktop.errors import OperationCancelled, UserFacingError
from toda_desktop.export_purpose.model import Purpose
from toda_desktop.store_setup import create_empty_store

PURPOSE = Purpose("ケース会議の資料")  # (the purpose rules: test_export_purpose.py)
ROOT = Path(__file__).resolve().parents[2]
STUDENTS = "宛名番号,氏名,氏名カナ,生年月日,性別\n" + "".join(
    f"{i:010d},髙橋 花子{i},タカハシ ハナコ,2014-05-0{1 + i % 9},女\n" for i in range(1, 301)
)


@pytest.fixture
def signed(store_path: Path) -> Iterator[SignedIn]:
    create_empty_store(store_path, "test", LEAD_LOGIN, LEAD_PASSWORD,
                       scrypt_n=TEST_SCRYPT_N).store.close()
    app = Application(store_path)
    yield app.sign_in(LEAD_LOGIN, LEAD_PASSWORD)
    app.close()


def _count(signed: SignedIn, table: str) -> int:
    return int(signed.store.db.call(lambda c: c.execute(f"SELECT count(*) FROM {table}")
                                    .fetchone()[0]))


def _big_attendance(path: Path, pupils: int = 300, years: int = 12) -> None:
    lines = ["宛名番号,年度,月,授業日数,欠席日数,遅刻,早退"]
    for i in range(1, pupils + 1):
        for y in range(2000, 2000 + years):
            for m in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3):
                lines.append(f"{i:010d},{y},{m},20,{i % 3},0,0")
    path.write_text("\n".join(lines) + "\n", encoding="cp932")


def test_killing_the_process_mid_commit_leaves_the_store_unchanged(
    signed: SignedIn, store_path: Path, tmp_path: Path
) -> None:
    students = tmp_path / "students.csv"
    students.write_text(STUDENTS, encoding="utf-8")
    signed.importing.commit(signed.importing.preview(signed.importing.inspect(students)))
    signed.app.close()
    big = tmp_path / "attendance.csv"
    _big_attendance(big)
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from pathlib import Path
        from toda_desktop.composition import Application
        app = Application(Path({str(store_path)!r}))
        signed = app.sign_in({LEAD_LOGIN!r}, {LEAD_PASSWORD!r})
        preview = signed.importing.preview(signed.importing.inspect(Path({str(big)!r})))
        def progress(fraction):
            if fraction > 0.5:
                print("MIDWAY", flush=True)
                time.sleep(60)
        signed.importing.commit(preview, progress=progress)
    """)
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                             cwd=ROOT)
    assert child.stdout is not None
    line = child.stdout.readline()
    assert line.strip() == "MIDWAY", line
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    app = Application(store_path)
    again = app.sign_in(LEAD_LOGIN, LEAD_PASSWORD)
    try:
        assert _count(again, "ds_attendance_monthly") == 0
        assert _count(again, "ds_students") == 300
        assert again.check_integrity().ok
        assert [b.kind for b in again.importing.batches()] == ["students"]
    finally:
        app.close()


def test_cancel_during_commit_leaves_nothing(signed: SignedIn, tmp_path: Path) -> None:
    students = tmp_path / "students.csv"
    students.write_text(STUDENTS, encoding="utf-8")
    signed.importing.commit(signed.importing.preview(signed.importing.inspect(students)))
    big = tmp_path / "attendance.csv"
    _big_attendance(big, pupils=100, years=10)
    preview = signed.importing.preview(signed.importing.inspect(big))
    with pytest.raises(OperationCancelled, match="変更されていません"):
        signed.importing.commit(preview, cancel=lambda: True)
    assert _count(signed, "ds_attendance_monthly") == 0
    assert len(signed.importing.batches()) == 1


def test_cp932_variant_kanji_and_wareki_survive(signed: SignedIn, tmp_path: Path) -> None:
    path = tmp_path / "児童.csv"
    path.write_bytes(
        ("宛名番号,氏名,フリガナ,生年月日（和暦）,性別\n"
         "0000123,髙橋 﨑子,ﾀｶﾊｼ ｻｷｺ,平成31年4月30日,女\n"
         "0000124,渡邉 ①太,ワタナベ イチタ,R1.5.1,男\n").encode("cp932"))
    result = signed.importing.commit(signed.importing.preview(signed.importing.inspect(path)))
    assert result.inserted == 2
    rows = signed.store.db.call(lambda c: c.execute(
        "SELECT address_code, name, name_kana, birth_date FROM ds_students ORDER BY 1").fetchall())
    assert rows[0] == ("0000123", "髙橋\u3000﨑子", "タカハシ サキコ", "2019-04-30")
    assert rows[1][1] == "渡邉\u3000①太" and rows[1][3] == "2019-05-01"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\x00\x01\x02garbage\xff\xfe" * 50, "ありません"),
        ("宛名番号,氏名\n1,a,b,c\n".encode(), "列"),
        ("宛名番号,氏名,氏名カナ,生年月日,性別\n1,山田 太郎,ヤマダ タロウ,12/5/1,男\n".encode(),
         "日付"),
        (("宛名番号,氏名,氏名カナ,生年月日,性別\n1," + "あ" * 40000 + ",ア,2014-01-01,男\n")
         .encode(), "長"),
    ],
    ids=["binary", "wrong-column-count", "ambiguous-date", "huge-field"],
)
def test_bad_files_give_a_clear_japanese_result_and_change_nothing(
    signed: SignedIn, tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "students.csv"
    path.write_bytes(content)
    try:
        inspection = signed.importing.inspect(path, "students")
        preview = signed.importing.preview(inspection)
        reasons = " ".join(preview.issues.loc[preview.issues["severity"] == "error", "reason"])
        assert expected in reasons, reasons
        assert preview.to_insert.empty or preview.blocking
    except UserFacingError as exc:
        assert expected in exc.message_ja
    assert _count(signed, "ds_students") == 0


def test_remembered_decision_links_the_next_file_of_the_same_source(
    signed: SignedIn, tmp_path: Path
) -> None:
    students = tmp_path / "students.csv"
    students.write_text(STUDENTS, encoding="utf-8")
    signed.importing.commit(signed.importing.preview(signed.importing.inspect(students)))
    # No ID, a name written with the loose variant 斉 for 斎: never linked automatically.
    (tmp_path / "students2.csv").write_text(
        "宛名番号,氏名,氏名カナ,生年月日,性別\n"
        "0000000301,斎藤 一郎,サイトウ イチロウ,2014-06-01,男\n",
        encoding="utf-8")
    signed.importing.commit(signed.importing.preview(
        signed.importing.inspect(tmp_path / "students2.csv")))
    for month in (4, 5):
        (tmp_path / f"health_2024_{month}.csv").write_text(
            f"利用日,氏名,生年月日,性別,症状区分\n2024-0{month}-10,斉藤 一郎,2014-06-01,男,内科\n",
            encoding="utf-8")
    first = signed.importing.preview(signed.importing.inspect(tmp_path / "health_2024_4.csv"))
    assert first.counts["review"] == 1
    signed.importing.commit(first)
    (item,) = signed.review.open_items()
    assert item.candidates and item.candidates[0].name == "斎藤\u3000一郎"
    signed.review.decide(item.id, item.candidates[0].pupil_id)
    assert _count(signed, "ds_health_room_visits") == 1
    second = signed.importing.preview(signed.importing.inspect(tmp_path / "health_2024_5.csv"))
    assert second.counts["review"] == 0 and second.counts["auto_linked"] == 1


def test_header_choices_including_do_not_import_are_remembered_per_source(
    signed: SignedIn, tmp_path: Path
) -> None:
    path = tmp_path / "児童_2024.csv"
    path.write_text("宛名番号,名前,フリガナ,誕生日,性別,備考\n"
                    "0000000001,山田 太郎,ヤマダ タロウ,2014-05-01,男,メモ\n", encoding="utf-8")
    inspection = signed.importing.inspect(path, "students")
    assert inspection.mapping is not None and inspection.mapping.unknown
    saved = {"宛名番号": "address_code", "名前": "name", "フリガナ": "name_kana",
             "誕生日": "birth_date", "性別": "sex", "備考": None}
    signed.importing.remap(inspection, "students", saved)
    later = tmp_path / "児童_2025.csv"
    later.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    again = signed.importing.inspect(later, "students")
    assert again.mapping is not None
    assert again.mapping.ignored and not again.mapping.unknown
    preview = signed.importing.preview(again)
    result = signed.importing.export_issues(preview, tmp_path / "検証結果.csv", purpose=PURPOSE)
    assert result.path.exists()
    rows = signed.audit_view.entries()
    assert any(r.action == "export" and r.target_text == "検証結果" for r in rows)
