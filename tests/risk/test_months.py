"""Months cross the risk feature as ``SchoolMonth`` values; text only where they are stored,
audit-logged, written to a file or typed at the command line."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from kernel.date_style import DateStyle
from kernel.school_calendar import SchoolMonth
from storage.connection import Connection
from storage.repos import risk as repo
from tests.conftest import copy_store
from tests.risk.conftest import sign_in
from toda_desktop.cli import main
from toda_desktop.composition import SignedIn
from toda_desktop.risk import RiskService
from toda_desktop.risk import alert_csv as fmt
from toda_desktop.risk.months import listable_text
from toda_desktop.store_setup import DEMO_LOGINS, DEMO_PASSWORD

OCTOBER = SchoolMonth(2025, 10)
JANUARY = SchoolMonth(2026, 1)  # in 2025年度: the month whose text and school year differ


def _attendance(signed: SignedIn) -> set[tuple[int, int]]:
    return set(signed.store.db.call(lambda c: c.execute(
        "SELECT DISTINCT school_year, month FROM ds_attendance_monthly").fetchall()))


def test_each_month_a_list_can_be_made_for_is_a_school_month_after_one_with_attendance(
    risk_store: Path,
) -> None:
    signed = sign_in(risk_store, "truancy_support")
    try:
        months = signed.risk.list_months()
        rows = _attendance(signed)
    finally:
        signed.sign_out()
    assert months and all(isinstance(m, SchoolMonth) for m in months)
    assert months == sorted(months) and len(set(months)) == len(months)
    # Each is the month after one with attendance (stored as school year + calendar month).
    assert {(m.previous().school_year, m.previous().month) for m in months} == rows
    assert months[-1] == SchoolMonth(2026, 4)


def test_the_listable_months_are_named_as_runs_in_the_date_style() -> None:
    months = [SchoolMonth(2025, 5), SchoolMonth(2025, 6), SchoolMonth(2025, 7),
              SchoolMonth(2026, 1)]
    assert listable_text(months) == "令和7年5月〜令和7年7月、令和8年1月"
    assert listable_text(months, DateStyle.SEIREKI) == "2025年5月〜2025年7月、2026年1月"
    assert listable_text([]).startswith("ありません")


@pytest.mark.parametrize("text", ["2025-13", "2025/10", "october"])
def test_the_command_line_refuses_text_that_is_no_month_naming_the_months_that_can_be_listed(
    risk_store: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    text: str,
) -> None:
    monkeypatch.setenv("TODA_USER", DEMO_LOGINS["truancy_support"][0])
    monkeypatch.setenv("TODA_PASSWORD", DEMO_PASSWORD)
    assert main(["risk", "score", "--store", str(risk_store), "--month", text]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"エラー: --month の「{text}」は月として読めません。")
    assert "YYYY-MM の形（例: 2026-04）で指定してください。" in captured.err
    assert "作れる月: 令和" in captured.err and "令和8年4月" in captured.err
    assert "Traceback" not in captured.err and "ValueError" not in captured.err


def test_a_month_outside_the_data_is_refused_by_the_service_in_the_same_words(
    risk_store: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("TODA_USER", DEMO_LOGINS["truancy_support"][0])
    monkeypatch.setenv("TODA_PASSWORD", DEMO_PASSWORD)
    assert main(["risk", "score", "--store", str(risk_store), "--month", "2030-05"]) == 2
    err = capsys.readouterr().err
    assert "2030年5月の一覧は作れません。" in err and "作れる月: 令和" in err


def test_an_alert_stored_before_reads_back_with_the_same_month(
    risk_store: Path, tmp_path: Path
) -> None:
    """Stored months keep their text ``YYYY-MM``: what an earlier version wrote reads back as
    the same month, and what is written now is the same text."""
    path = copy_store(risk_store, tmp_path / "store" / "demo.tdb")
    lead = sign_in(path, "project_lead")
    truancy_support = sign_in(path, "truancy_support")
    try:
        risk = RiskService(lead.context)
        scored = risk.score(OCTOBER, top=2)
        assert scored.month == OCTOBER and {a.month for a in scored.alerts} == {OCTOBER}
        db = lead.store.db
        assert db.call(lambda c: c.execute(
            "SELECT DISTINCT month FROM risk_alerts").fetchall()) == [("2025-10",)]
        targets = db.call(lambda c: [r[0] for r in c.execute(
            "SELECT target FROM audit_log WHERE action = 'risk_score'")])
        assert targets == ["risk_alerts:2025-10"]

        # A January list as an earlier version stored it (the month as text).
        pupil, school = scored.alerts[0].pupil_id, scored.alerts[0].school_code
        model = db.call(repo.latest_model)
        assert pupil is not None and model is not None
        reasons = json.dumps([{"text": "前月の欠席が多い", "feature": "abs_rate_last",
                               "source": "attendance_monthly"}], ensure_ascii=False)

        def store_old(conn: Connection) -> None:
            conn.execute(
                "INSERT INTO risk_alerts (month, pupil_id, school_code, rank, band,"
                " reasons_json, model_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                ("2026-01", pupil, school, 1, "中", reasons, model.id,
                 datetime(2026, 1, 5).isoformat(timespec="seconds")))

        db.call(store_old)
        truancy = RiskService(truancy_support.context)
        january = truancy.alerts(JANUARY)
        assert [(a.month, a.pupil_id, a.rank) for a in january] == [(JANUARY, pupil, 1)]
        assert january[0].month.school_year == 2025
        standing = truancy.explanations(pupil)
        assert standing.list_month == JANUARY and standing.latest is not None
        assert standing.latest.month == JANUARY and standing.on_latest_list
        assert [a.pupil_id for a in truancy.alerts(OCTOBER)] == [
            a.pupil_id for a in scored.alerts]
    finally:
        truancy_support.sign_out()
        lead.sign_out()


MADE = datetime(2026, 1, 6, 9, 30)


def test_the_school_file_name_keeps_the_month_as_text() -> None:
    assert (fmt.school_file_name("13101", "戸田第一小学校", OCTOBER)
            == "13101_戸田第一小学校_2025-10_見守りアラート")
    assert (fmt.school_file_name("13101", "戸田第一小学校", JANUARY)
            == "13101_戸田第一小学校_2026-01_見守りアラート")


def test_the_caution_lines_are_unchanged() -> None:
    content = fmt.Content(with_codes=True, with_reasons=True)
    lines = [row[0] for row in fmt.preamble(JANUARY, content, date_style=DateStyle.WAREKI,
                                            made=MADE) if row]
    assert lines == [
        fmt.CAUTION,
        "令和8年1月に使う学校ごとの見守りアラートの一覧です（令和7年12月末までのデータから作成。"
        "出力 令和8年1月6日 09:30）。",
        fmt.ORDER_NOTE,
        fmt.LEADING_ZEROS_NOTE.format(codes="学校コード・宛名番号"),
    ]
    april = [row[0] for row in fmt.preamble(
        SchoolMonth(2026, 4), fmt.Content(with_codes=False, with_reasons=False),
        date_style=DateStyle.SEIREKI, made=MADE, school="戸田第一小学校", csv=False) if row]
    assert april == [
        fmt.CAUTION,
        "2026年4月に使う戸田第一小学校の見守りアラートの一覧です（2026年3月末までのデータから作成。"
        "出力 2026年1月6日 09:30）。",
        fmt.ORDER_NOTE,
        "※" + fmt.APRIL_BAND_NOTE,
        "※" + fmt.APRIL_ROSTER_NOTE,
        fmt.NO_PUPILS_NOTE,
    ]
