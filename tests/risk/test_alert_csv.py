"""The 見守りアラート file: what a list carries when it leaves the store (issue 10).

Read back as staff would open it (CSV in UTF-8 with BOM and in Shift_JIS, and .xlsx): the
caution lines come first, the headers are Japanese with school names, the order of checking
restarts in every school and there is no rank column, 宛名番号 only for alert roles with
export, one file per school for a 校長, and every file is in the audit log. The store is the
small demo city with a quickly trained model (services not mocked).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import stat
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from openpyxl import load_workbook

from kernel.school_calendar import SchoolMonth
from tests.risk.conftest import sign_in
from toda_desktop.audit.service import AuditFilter
from toda_desktop.composition import SignedIn
from toda_desktop.errors import PermissionDenied, UserFacingError
from toda_desktop.export_purpose.model import Purpose
from toda_desktop.gate import Gate
from toda_desktop.policy.model import default_policy
from toda_desktop.risk import RiskService, ScoreResult
from toda_desktop.risk import alert_csv as fmt
from toda_desktop.risk.cli import add_risk_commands
from toda_desktop.store_setup import DEMO_PASSWORD

PURPOSE = Purpose("ケース会議の資料")  # (the purpose rules: test_export_purpose.py)
MONTH = SchoolMonth(2025, 10)
APRIL = SchoolMonth(2026, 4)
HEADER_WITH_CODES = ["対象月", "学校コード", "学校名", "確認の順（校内）", "宛名番号", "目安（帯）",
                     "主な理由"]
RANK_WORDS = ("rank", "順位", "ランク", "上位")


def _read(path: Path, encoding: str = "utf-8-sig") -> tuple[list[str], list[str], list[list[str]]]:
    """(caution lines, header, data rows) of a written list."""
    with path.open(encoding=encoding, newline="") as fh:
        rows = list(csv.reader(fh))
    blank = rows.index([])
    assert all(len(r) == 1 for r in rows[:blank])  # one line per cell above the table
    return [r[0] for r in rows[:blank]], rows[blank + 1], rows[blank + 2:]


def _school_names(signed: SignedIn) -> dict[str, str]:
    return dict(signed.store.db.call(lambda c: c.execute(
        "SELECT school_code, school_name FROM ds_schools").fetchall()))


@pytest.fixture(scope="module")
def lead_lists(sessions: dict[str, SignedIn]) -> ScoreResult:
    return RiskService(sessions["project_lead"].context).score(MONTH)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp932"])
def test_the_file_opens_with_the_caution_and_japanese_headers_with_school_names(
    sessions: dict[str, SignedIn], lead_lists: ScoreResult, tmp_path: Path, encoding: str
) -> None:
    lead = RiskService(sessions["project_lead"].context)
    out = lead.export_alerts(lead_lists, tmp_path / "alerts.csv", encoding=encoding,
                             purpose=PURPOSE)
    lines, header, rows = _read(tmp_path / "alerts.csv", encoding)
    assert lines[0] == fmt.CAUTION
    assert "ラベル" in lines[0] and "予測ではありません" in lines[0]
    assert "児童生徒や保護者には見せないでください" in lines[0]
    assert "市の個人情報の取扱いの決まり" in lines[0]
    # The month as staff read it, and the data it came from.
    assert lines[1].startswith(
        "令和7年10月に使う学校ごとの見守りアラートの一覧です（令和7年9月末までのデータから作成")
    assert fmt.ORDER_NOTE in lines
    assert header == HEADER_WITH_CODES
    # Excel would read 03102 as 3102.
    assert fmt.LEADING_ZEROS_NOTE.format(codes="学校コード・宛名番号") in lines
    assert len(rows) == out.rows == len(lead_lists.alerts) == 15
    names = _school_names(sessions["project_lead"])
    for row in rows:
        assert row[0] == "令和7年10月"
        assert row[2] == names[row[1]] and row[2].endswith("学校")
        assert len(row[4]) == 10 and row[4].isdigit()
        assert row[5] in ("高", "中", "低") and row[6]
    assert out.replaced_characters == 0


def test_there_is_no_rank_and_the_order_restarts_in_every_school(
    sessions: dict[str, SignedIn], lead_lists: ScoreResult, tmp_path: Path
) -> None:
    lead = RiskService(sessions["project_lead"].context)
    lead.export_alerts(lead_lists, tmp_path / "alerts.csv", purpose=PURPOSE)
    _lines, header, rows = _read(tmp_path / "alerts.csv")
    assert not [h for h in header if any(w in h.lower() for w in RANK_WORDS)]
    schools = [r[1] for r in rows]
    assert schools == sorted(schools)  # school by school, never interleaved
    for code in dict.fromkeys(schools):
        orders = [int(r[3]) for r in rows if r[1] == code]
        assert orders == list(range(1, len(orders) + 1))


def test_one_file_per_school_holds_only_that_school_and_names_no_pupil(
    sessions: dict[str, SignedIn], lead_lists: ScoreResult, tmp_path: Path
) -> None:
    lead = RiskService(sessions["project_lead"].context)
    folder = tmp_path / "校長へ"
    folder.mkdir()
    files = lead.export_alerts_per_school(lead_lists, folder, purpose=PURPOSE)
    names = _school_names(sessions["project_lead"])
    codes = sorted({a.school_code for a in lead_lists.alerts})
    assert [f.path.name for f in files] == [
        f"{code}_{names[code]}_{MONTH}_見守りアラート.csv" for code in codes]
    assert sorted(p.name for p in folder.iterdir()) == sorted(f.path.name for f in files)
    pupils = {a.address_code for a in lead_lists.alerts} | {a.name for a in lead_lists.alerts}
    for code, written in zip(codes, files, strict=True):
        assert not [p for p in pupils if p and p in written.path.name]
        lines, header, rows = _read(written.path)
        assert lines[0] == fmt.CAUTION
        assert f"{names[code]}の見守りアラートの一覧です" in lines[1]
        assert header == HEADER_WITH_CODES
        assert rows and {r[1] for r in rows} == {code} and {r[2] for r in rows} == {names[code]}
        assert [int(r[3]) for r in rows] == list(range(1, len(rows) + 1))
        assert written.rows == len(rows)
        if os.name == "posix":  # readable by the one who exported it only
            assert stat.S_IMODE(written.path.stat().st_mode) == 0o600


def test_every_file_written_is_in_the_audit_log(
    risk_store: Path, tmp_path: Path
) -> None:
    lead = sign_in(risk_store, "project_lead")
    try:
        service = RiskService(lead.context)
        result = service.score(MONTH)
        before = {e.id for e in lead.audit_view.entries(AuditFilter(action="export"))}
        service.export_alerts(result, tmp_path / "all.csv", purpose=PURPOSE)
        files = service.export_alerts_per_school(result, tmp_path, purpose=PURPOSE)
        entries = lead.audit_view.entries(AuditFilter(action="export"))
    finally:
        lead.sign_out()
    added = [e for e in entries if e.id not in before]
    # 開始 before each file is written, 成功 after (issue 12: the entry comes first).
    assert sorted(e.outcome_label for e in added) == sorted(["開始", "成功"] * (1 + len(files)))
    assert all("見守りアラート" in e.target_text for e in added)
    details = " ".join(e.detail_text for e in added)
    for name in ["all.csv", *(f.path.name for f in files)]:
        assert name in details


def test_a_path_that_cannot_be_written_is_refused_before_anything_is_logged(
    risk_store: Path, tmp_path: Path
) -> None:
    lead = sign_in(risk_store, "project_lead")
    try:
        service = RiskService(lead.context)
        result = service.score(MONTH)
        before = len(lead.audit_view.entries(AuditFilter(action="export")))
        with pytest.raises(UserFacingError, match="フォルダ"):
            service.export_alerts(result, tmp_path, purpose=PURPOSE)  # a folder given as the file
        with pytest.raises(UserFacingError, match="フォルダが見つかりません"):
            service.export_alerts_per_school(result, tmp_path / "missing", purpose=PURPOSE)
        after = len(lead.audit_view.entries(AuditFilter(action="export")))
    finally:
        lead.sign_out()
    assert after == before
    assert not list(tmp_path.iterdir())


def test_a_role_without_export_never_gets_the_address_code(
    sessions: dict[str, SignedIn], tmp_path: Path
) -> None:
    truancy = RiskService(sessions["truancy_support"].context)
    assert not sessions["truancy_support"].may("export")
    scored = truancy.score(MONTH)
    assert scored.with_ids and all(a.name for a in scored.alerts)  # the screen names them
    assert all(a.address_code is None for a in scored.alerts)
    assert all(a.address_code is None for a in truancy.alerts(MONTH))
    assert all(a.address_code is None for a in truancy.alerts_for_terminal(scored))
    with pytest.raises(PermissionDenied):
        truancy.export_alerts(scored, tmp_path / "x.csv", purpose=PURPOSE)
    with pytest.raises(PermissionDenied):
        truancy.export_alerts_per_school(scored, tmp_path, purpose=PURPOSE)
    # Handing the service a list with codes in it does not put them in a file either.
    lead_result = RiskService(sessions["project_lead"].context).score(MONTH)
    with pytest.raises(PermissionDenied):
        truancy.export_alerts(lead_result, tmp_path / "y.csv", purpose=PURPOSE)
    assert not list(tmp_path.iterdir())


def test_the_same_role_given_export_gets_the_address_code(
    risk_store: Path, tmp_path: Path
) -> None:
    policy = default_policy()
    roles = tuple(replace(r, functions=r.functions | {"export"})
                  if r.key == "truancy_support" else r for r in policy.roles)
    signed = sign_in(risk_store, "truancy_support")
    # As if the lead had granted export:
    granted = Gate(replace(policy, roles=roles), "truancy_support", signed.registry,
                   lambda target: None)
    try:
        service = RiskService(replace(signed.context, gate=granted))
        result = service.score(MONTH)
        assert all(a.address_code and len(a.address_code) == 10 for a in result.alerts)
        service.export_alerts(result, tmp_path / "alerts.csv", purpose=PURPOSE)
    finally:
        signed.sign_out()
    _lines, header, _rows = _read(tmp_path / "alerts.csv")
    assert header == HEADER_WITH_CODES


def test_an_analysis_role_without_alert_rights_gets_a_file_that_names_nobody(
    sessions: dict[str, SignedIn], tmp_path: Path
) -> None:
    director = RiskService(sessions["director"].context)
    result = director.score(MONTH)
    assert not result.with_ids
    director.export_alerts(result, tmp_path / "alerts.csv", purpose=PURPOSE)
    lines, header, rows = _read(tmp_path / "alerts.csv")
    assert header == ["対象月", "学校コード", "学校名", "確認の順（校内）", "目安（帯）"]
    assert fmt.NO_PUPILS_NOTE in lines
    assert rows and all(len(r) == 5 for r in rows)
    # Even given a list with pupils in it, the role decides what the file holds.
    lead_result = RiskService(sessions["project_lead"].context).score(MONTH)
    director.export_alerts(lead_result, tmp_path / "given.csv", purpose=PURPOSE)
    _lines, header, rows = _read(tmp_path / "given.csv")
    assert "宛名番号" not in header and "主な理由" not in header
    codes = {a.address_code for a in lead_result.alerts}
    assert not {cell for r in rows for cell in r} & codes


def test_an_april_list_carries_the_april_caveats(
    sessions: dict[str, SignedIn], tmp_path: Path
) -> None:
    lead = RiskService(sessions["project_lead"].context)
    lead.export_alerts(lead.score(APRIL), tmp_path / "april.csv", purpose=PURPOSE)
    lines, _header, rows = _read(tmp_path / "april.csv")
    assert "※" + fmt.APRIL_BAND_NOTE in lines and "※" + fmt.APRIL_ROSTER_NOTE in lines
    assert rows and all(r[0] == "令和8年4月" for r in rows)
    lead.export_alerts(lead.score(MONTH), tmp_path / "october.csv", purpose=PURPOSE)
    october, _header, _rows = _read(tmp_path / "october.csv")
    assert not [line for line in october if "4月の一覧" in line]


def test_per_school_files_can_be_excel_workbooks(
    sessions: dict[str, SignedIn], lead_lists: ScoreResult, tmp_path: Path
) -> None:
    lead = RiskService(sessions["project_lead"].context)
    files = lead.export_alerts_per_school(lead_lists, tmp_path, suffix=".xlsx", purpose=PURPOSE)
    assert files and all(f.path.suffix == ".xlsx" for f in files)
    book = load_workbook(files[0].path, read_only=True)
    values = [[c for c in row if c is not None] for row in book.active.iter_rows(values_only=True)]
    assert values[0] == [fmt.CAUTION]
    assert not [v for v in values if v and "先頭の0" in str(v[0])]  # text cells keep zeros
    start = values.index([]) + 1
    assert values[start] == HEADER_WITH_CODES
    assert [row[3] for row in values[start + 1:]] == list(range(1, len(values) - start))
    assert all(isinstance(row[1], str) and isinstance(row[4], str)  # codes keep their zeros
               for row in values[start + 1:])


def test_seireki_staff_get_months_in_the_western_calendar(
    sessions: dict[str, SignedIn], lead_lists: ScoreResult, tmp_path: Path
) -> None:
    lead = RiskService(sessions["project_lead"].context)
    lead.export_alerts(lead_lists, tmp_path / "alerts.csv", date_style="seireki", purpose=PURPOSE)
    lines, _header, rows = _read(tmp_path / "alerts.csv")
    assert lines[1].startswith("2025年10月に使う") and "2025年9月末まで" in lines[1]
    assert all(r[0] == "2025年10月" for r in rows)


# -- the command line ---------------------------------------------------------------------


@pytest.fixture
def cli_as(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    monkeypatch.setenv("TODA_PASSWORD", DEMO_PASSWORD)

    def run(login: str, *argv: str) -> str:
        monkeypatch.setenv("TODA_USER", login)
        parser = argparse.ArgumentParser()
        add_risk_commands(parser.add_subparsers(dest="command", required=True))
        args = parser.parse_args(["risk", *argv])
        out = io.StringIO()
        assert args.handler(args, out) == 0
        return out.getvalue()

    yield run


def test_risk_score_writes_the_same_file_and_one_file_per_school(
    risk_store: Path, cli_as: object, tmp_path: Path
) -> None:
    run = cli_as  # type: ignore[assignment]
    folder = tmp_path / "schools"
    folder.mkdir()
    text = run("demo-lead", "score", "--store", str(risk_store), "--month", str(MONTH),  # type: ignore[operator]
               "--out", str(tmp_path / "all.csv"), "--per-school", str(folder), "--cp932",
               "--purpose", "学校への情報提供")
    assert "人分を出力しました" in text and "学校ごとに3個のファイルに出力しました" in text
    lines, header, rows = _read(tmp_path / "all.csv", "cp932")
    assert lines[0] == fmt.CAUTION and header == HEADER_WITH_CODES and len(rows) == 15
    written = sorted(folder.iterdir())
    assert len(written) == 3 and all(p.name in text for p in written)
    for path in written:
        _lines, school_header, school_rows = _read(path, "cp932")
        assert school_header == header
        assert len({r[1] for r in school_rows}) == 1 and path.name.startswith(school_rows[0][1])
    # The printout speaks of the order within a school, not of a ranking.
    printed = run("demo-lead", "score", "--store", str(risk_store),  # type: ignore[operator]
                  "--month", str(MONTH))
    assert "確認の順" in printed and "上位" not in printed


def test_risk_score_refuses_a_missing_folder_before_scoring(
    risk_store: Path, cli_as: object, tmp_path: Path
) -> None:
    with pytest.raises(UserFacingError, match="--per-school"):
        cli_as("demo-lead", "score", "--store", str(risk_store),  # type: ignore[operator]
               "--month", str(MONTH), "--per-school", str(tmp_path / "missing"))
