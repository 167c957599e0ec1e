"""The risk service on a small demo city: permissions, audit, alerts, status history."""

from __future__ import annotations

import csv
import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from kernel.school_calendar import SchoolMonth
from storage.placement import table_names
from storage.repos import risk as repo
from tests.risk.conftest import sign_in
from toda_desktop.audit.service import AuditFilter
from toda_desktop.composition import SignedIn
from toda_desktop.errors import PermissionDenied, UserFacingError
from toda_desktop.export_purpose.model import Purpose
from toda_desktop.gate import Gate
from toda_desktop.policy.model import default_policy
from toda_desktop.risk import ALERT_STATUSES, RiskService

PURPOSE = Purpose("ケース会議の資料")  # (the purpose rules: test_export_purpose.py)
MONTH = SchoolMonth(2025, 10)


def _actions(signed: SignedIn, action: str) -> list[object]:
    lead_view = signed.audit_view
    return [e for e in lead_view.entries(AuditFilter(action=action))]


def test_migration_made_the_tables(sessions: dict[str, SignedIn]) -> None:
    lead = sessions["project_lead"]
    tables = lead.store.db.call(table_names)  # the store file's and the group files' tables
    assert {"risk_models", "risk_alerts", "risk_alert_status"} <= tables


def test_training_stored_a_model_with_card_metrics_and_version(
    sessions: dict[str, SignedIn]
) -> None:
    service = RiskService(sessions["data_analyst"].context)
    info = service.model_info()
    assert info.created_by == "デモ 総括（demo-lead）" and len(info.data_version) == 16
    # The data in words staff can check in 取込履歴 (found by QA: a bare hash before).
    assert re.fullmatch(r"取込番号 #\d+ までの[\d,]+件の取込", info.data_extent)
    assert info.data_extent in info.card
    assert "モデルカード" in info.card and "入力に使いません" in info.card
    assert info.evaluation is not None
    assert set(info.evaluation.scorings) == {"model", "cum_abs", "abs_rate_last", "proj_next",
                                                "cum_ns", "ns_rate_last", "proj_ns_next"}
    row = sessions["project_lead"].store.db.call(repo.latest_model)
    assert row is not None
    # The lists use the model, or the reason-aware simple ranking the model did not match.
    choice = info.evaluation.choice
    assert choice is not None
    used = json.loads(row.config_json)
    assert (used["family"] == "baseline") == choice.simple_chosen == info.simple_chosen
    if choice.simple_chosen:
        assert "単純な並べ方" in info.card and "を使います" in info.card
    blob = sessions["project_lead"].store.db.call(lambda c: repo.model_blob(c, row.id))
    assert len(blob) > 100
    assert _actions(sessions["project_lead"], "risk_train")


def test_the_model_card_shows_each_viewer_only_the_fairness_they_may_see(
    sessions: dict[str, SignedIn], risk_store: Path
) -> None:
    """An analyst whose map leaves out 学校基礎情報 sees neither that attribute's fairness
    figures nor its table in the card, although the lead who trained the model saw both."""
    lead_info = RiskService(sessions["project_lead"].context).model_info()
    assert lead_info.evaluation is not None
    assert "学校の就学援助率" in lead_info.evaluation.fairness["model"]
    assert "| 学校の就学援助率 |" in lead_info.card
    lead = sessions["project_lead"]
    text = lead.policy_admin.current_text()
    analyst_block = text.split("[roles.data_analyst]")[1].split("[roles.")[0]
    narrowed = text.replace(analyst_block, analyst_block.replace(
        'domains = ["*"]', 'domains = ["basic", "attendance", "health", "academic", "survey",'
        ' "truancy", "bullying", "consultation", "other_department"]'))
    lead.policy_admin.update(narrowed)  # the project lead edits the map in 権限設定
    try:
        analyst = sign_in(risk_store, "data_analyst")
        try:
            assert not analyst.gate.sees("school_context")
            info = RiskService(analyst.context).model_info()
        finally:
            analyst.sign_out()
    finally:
        lead.policy_admin.update(text)
    assert info.evaluation is not None
    assert "学校の就学援助率" not in info.evaluation.fairness["model"]
    assert "| 学校の就学援助率 |" not in info.card and "閲覧の権限がないため" in info.card
    assert "性別" in info.evaluation.fairness["model"] and "| 性別 |" in info.card
    assert "モデルカード" in info.card


@pytest.mark.parametrize("role", ["truancy_support", "bullying_support", "liaison", "it_admin"])
def test_training_and_factors_need_the_analysis_function(
    sessions: dict[str, SignedIn], role: str
) -> None:
    service = RiskService(sessions[role].context)
    with pytest.raises(PermissionDenied):
        service.train(quick=True)
    with pytest.raises(PermissionDenied):
        service.evaluate()
    with pytest.raises(PermissionDenied):
        service.factor_analysis()


def test_alerts_are_for_the_roles_that_see_truancy_data(sessions: dict[str, SignedIn]) -> None:
    expected = {"project_lead": True, "truancy_support": True, "data_analyst": False,
                "director": False, "section_chief": False, "center_director": False,
                "bullying_support": False, "liaison": False, "it_admin": False}
    for role, allowed in expected.items():
        service = RiskService(sessions[role].context)
        assert service.may_see_alerts() is allowed, role
        if not allowed:
            with pytest.raises(PermissionDenied):
                service.alerts(MONTH)
            if not sessions[role].may("analysis"):
                with pytest.raises(PermissionDenied):
                    service.score(MONTH)
            with pytest.raises(PermissionDenied):
                service.explanations(1)


def test_scoring_makes_per_school_lists_with_bands_and_reasons(
    sessions: dict[str, SignedIn]
) -> None:
    truancy = RiskService(sessions["truancy_support"].context)
    result = truancy.score(MONTH, top=3)
    assert result.month == MONTH and result.with_ids
    schools = {a.school_code for a in result.alerts}
    assert len(result.alerts) == 3 * len(schools) and len(schools) == 3
    for a in result.alerts:
        assert a.address_code is None  # 宛名番号 only for alert roles with export
        assert a.band in ("高", "中", "低") and a.band_text.startswith(a.band)
        assert a.reasons and all(isinstance(r, str) for r in a.reasons)
        assert 1 <= a.rank <= 3
    # Scoring again is idempotent: the same rows (and any status) are kept.
    again = truancy.score(MONTH, top=3)
    assert again.added == 0 and [a.id for a in again.alerts] == [a.id for a in result.alerts]
    listed = truancy.alerts(MONTH, top=3)
    assert [a.id for a in listed] == [a.id for a in result.alerts]
    assert _actions(sessions["project_lead"], "risk_score")
    viewed = _actions(sessions["project_lead"], "risk_alerts_view")
    assert viewed and "モデル番号" in viewed[0].detail_text  # which list was shown


def test_alerts_name_their_pupils_for_alert_roles_only(
    sessions: dict[str, SignedIn], tmp_path: Path
) -> None:
    truancy = RiskService(sessions["truancy_support"].context)
    alerts = truancy.score(MONTH, top=3).alerts
    assert alerts and all(a.name for a in alerts)
    expected = sessions["project_lead"].store.db.call(lambda c: {
        int(pid): (str(name), int(grade), str(klass)) for pid, name, grade, klass in c.execute(
            "SELECT s.id, s.name, e.grade, e.class_name FROM ds_students s"
            " JOIN ds_enrollments e ON e.pupil_id = s.id AND e.school_year = 2025")})
    for a in alerts:
        assert a.pupil_id is not None
        assert (a.name, a.grade, a.class_name) == expected[a.pupil_id]
    listed = truancy.alerts(MONTH, top=3)
    assert [(a.name, a.grade, a.class_name) for a in listed] == [
        (a.name, a.grade, a.class_name) for a in alerts]
    # The CSV keeps its columns: no names in the file.
    lead = RiskService(sessions["project_lead"].context)
    lead.export_alerts(lead.score(MONTH, top=3), tmp_path / "alerts.csv", purpose=PURPOSE)
    with (tmp_path / "alerts.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert "氏名" not in rows[rows.index([]) + 1]
    assert not {a.name for a in alerts} & {cell for r in rows[1:] for cell in r}


def test_marking_an_alert_keeps_the_history_and_logs_the_pupil(
    sessions: dict[str, SignedIn]
) -> None:
    truancy = RiskService(sessions["truancy_support"].context)
    alert = truancy.score(MONTH).alerts[0]
    truancy.mark_alert(alert.id, "確認済み", "担任と共有")
    truancy.mark_alert(alert.id, "支援開始", "SSWにつなぐ")
    history = truancy.alert_history(alert.id)
    assert [h.status for h in history] == ["確認済み", "支援開始"]
    assert history[0].by == "デモ 不登校支援（demo-truancy）" and history[1].note == "SSWにつなぐ"
    now = next(a for a in truancy.alerts(MONTH) if a.id == alert.id)
    assert now.status == "支援開始"
    with pytest.raises(UserFacingError):
        truancy.mark_alert(alert.id, "要注意")
    with pytest.raises(UserFacingError):
        truancy.mark_alert(10**9, "見守り")
    assert set(ALERT_STATUSES) == {"確認済み", "見守り", "支援開始", "対象外"}
    lead = sessions["project_lead"]
    marks = lead.audit_view.entries(AuditFilter(action="risk_alert_mark"))
    assert any(m.pupil_id == alert.pupil_id for m in marks)
    explained = truancy.explanations(alert.pupil_id or 0).latest
    assert explained is not None and explained.status == "支援開始"
    with pytest.raises(PermissionDenied):
        RiskService(sessions["bullying_support"].context).mark_alert(alert.id, "見守り")


def test_reasons_from_unseen_datasets_are_not_shown() -> None:
    stored = json.dumps([
        {"text": "直近の調査「友人関係」の肯定的回答 20%（学年平均 80%）", "feature": "survey_1",
         "source": "survey_responses"},
        {"text": "先月の欠席 6日（学年平均 0.8日）", "feature": "abs_last",
         "source": "attendance_monthly"},
    ], ensure_ascii=False)
    seen = RiskService._reasons(stored, frozenset({"attendance_monthly"}))
    assert seen == ("先月の欠席 6日（学年平均 0.8日）",
                    "閲覧権限のないデータの寄与は表示していません")
    everything = RiskService._reasons(stored, frozenset({"attendance_monthly",
                                                         "survey_responses"}))
    assert len(everything) == 2


def test_an_analysis_role_without_truancy_data_gets_lists_without_pupils(
    risk_store: Path,
) -> None:
    policy = default_policy()
    roles = tuple(
        replace(r, domains=frozenset({"basic", "survey"}), topics=frozenset())
        if r.key == "data_analyst" else r
        for r in policy.roles
    )
    signed = sign_in(risk_store, "data_analyst")
    # As if the lead had narrowed the map:
    narrowed = Gate(replace(policy, roles=roles), "data_analyst", signed.registry,
                    lambda target: None)
    try:
        service = RiskService(replace(signed.context, gate=narrowed))
        assert not service.may_see_alerts()
        result = service.score(MONTH)
        assert not result.with_ids
        assert all(a.address_code is None and a.pupil_id is None for a in result.alerts)
        assert all(a.name is None and a.grade is None and a.class_name is None
                   for a in result.alerts)
        assert all(a.reasons == () for a in result.alerts)  # reasons could identify a child
        with pytest.raises(PermissionDenied):
            service.alerts(MONTH)
    finally:
        signed.sign_out()


def test_months_without_data_and_bad_sizes_are_clear_errors(
    sessions: dict[str, SignedIn]
) -> None:
    """(Text that is no month never reaches the service: the command line reads it,
    ``tests/risk/test_months.py``.)"""
    service = RiskService(sessions["project_lead"].context)
    with pytest.raises(UserFacingError, match="出欠"):
        service.score(SchoolMonth(2030, 5))
    with pytest.raises(UserFacingError):
        service.score(MONTH, top=0)


def test_the_csv_export_needs_the_export_function(
    sessions: dict[str, SignedIn], tmp_path: Path
) -> None:
    truancy = RiskService(sessions["truancy_support"].context)
    result = truancy.score(MONTH)
    with pytest.raises(PermissionDenied):
        truancy.export_alerts(result, tmp_path / "x.csv", purpose=PURPOSE)
    lead = RiskService(sessions["project_lead"].context)
    out = lead.export_alerts(lead.score(MONTH), tmp_path / "alerts.csv", purpose=PURPOSE)
    with (tmp_path / "alerts.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    start = rows.index([]) + 1  # caution lines, a blank line, then the table
    assert rows[start][:5] == ["対象月", "学校コード", "学校名", "確認の順（校内）", "宛名番号"]
    assert len(rows) - start - 1 == out.rows == 15
    assert all(r[0] == "令和7年10月" and len(r[4]) == 10 and r[5] in ("高", "中", "低")
               for r in rows[start + 1:])


def test_factor_analysis_and_domain_judgments(sessions: dict[str, SignedIn]) -> None:
    lead = RiskService(sessions["project_lead"].context)
    report = lead.factor_analysis()
    assert report.results and "原因と結果" in report.caution
    data = RiskService.factor_report_json(report)
    assert data["results"][0]["text"]
    pupil = sessions["project_lead"].store.db.call(lambda c: int(c.execute(
        "SELECT pupil_id FROM ds_survey_responses LIMIT 1").fetchone()[0]))
    judgments = lead.domain_judgments(pupil).judgments
    assert judgments and all("学年平均" in j.text for j in judgments)
    with pytest.raises(PermissionDenied):
        RiskService(sessions["truancy_support"].context).domain_judgments(pupil)
    lead_signed = sessions["project_lead"]
    views = lead_signed.audit_view.entries(
                                           AuditFilter(action="view_survey_domains"))
    assert any(v.pupil_id == pupil for v in views)


def test_training_an_empty_store_is_a_clear_error(test_store: object, store_path: Path) -> None:
    from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD
    from toda_desktop.composition import Application

    test_store.close()  # type: ignore[attr-defined]
    signed = Application(store_path).sign_in(LEAD_LOGIN, LEAD_PASSWORD)
    try:
        with pytest.raises(UserFacingError, match="出欠"):
            RiskService(signed.context).train(quick=True)
        with pytest.raises(UserFacingError, match="学習済みのモデルがありません"):
            RiskService(signed.context).score(MONTH)
    finally:
        signed.sign_out()


@pytest.mark.slow
def test_marks_stay_with_the_pupil_when_a_newer_model_lists_the_month_again(
    sessions: dict[str, SignedIn]
) -> None:
    truancy = RiskService(sessions["truancy_support"].context)
    first = truancy.score(MONTH).alerts[0]
    truancy.mark_alert(first.id, "見守り", "朝の様子を見る")
    RiskService(sessions["project_lead"].context).train(quick=True)  # a newer model
    again = truancy.score(MONTH)
    assert again.model_id != first.id
    same = next(a for a in again.alerts if a.pupil_id == first.pupil_id)
    assert same.id != first.id  # the newer model's row…
    assert same.status == "見守り"  # …shows the mark made on the older one
    truancy.mark_alert(same.id, "支援開始")
    assert [h.status for h in truancy.alert_history(first.id)][-2:] == ["見守り", "支援開始"]
    explained = truancy.explanations(first.pupil_id or 0).latest
    assert explained is not None and explained.status == "支援開始"


def test_april_lists_made_before_the_new_roster_show_the_moved_up_grade(
    sessions: dict[str, SignedIn]
) -> None:
    alerts = RiskService(sessions["truancy_support"].context).score(SchoolMonth(2026, 4)).alerts
    assert alerts and all(a.name for a in alerts)
    # Moved up one grade; last year's 6th-graders (now 中1 somewhere) are not listed yet.
    assert {a.grade for a in alerts} <= {2, 3, 4, 5, 6, 8, 9}
    assert all(a.class_name is None for a in alerts)  # 組 comes with the new roster


def test_only_data_shortage_becomes_a_user_message() -> None:
    """A defect (any other ValueError) must reach the error dialog, not pose as missing data."""
    from analysis.common import NotEnoughData
    from toda_desktop.risk.service import _cancelled

    def short() -> None:
        raise NotEnoughData("評価には2年度以上のデータが必要です。")

    def defect() -> None:
        raise ValueError("unknown model family 'x'")

    with pytest.raises(UserFacingError, match="2年度以上"):
        _cancelled(short)
    with pytest.raises(ValueError, match="unknown model family"):
        _cancelled(defect)


@pytest.mark.parametrize("month", ["25-10", "2000-04", "2099-01"])
def test_a_month_outside_the_data_says_which_months_can_be_listed(
    sessions: dict[str, SignedIn], month: str
) -> None:
    """Found by QA: these said 「出欠状況（月次）のデータがありません」 although it was there."""
    service = RiskService(sessions["truancy_support"].context)
    with pytest.raises(UserFacingError, match=r"の一覧は作れません.*作れる月: 令和"):
        service.score(SchoolMonth.parse(month))
