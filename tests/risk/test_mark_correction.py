"""Correcting a wrong 見守りアラート mark (issue 16): the wrong mark is withdrawn, never
erased; the history shows it with who withdrew it, when and why; the listing's mark in force
is the newest one not withdrawn; each correction is audit-logged with the pupil."""

from __future__ import annotations

import pytest

from kernel.school_calendar import SchoolMonth
from storage.placement import schema_of
from toda_desktop.audit.service import AuditFilter
from toda_desktop.composition import SignedIn
from toda_desktop.errors import PermissionDenied, UserFacingError
from toda_desktop.risk import RiskService

MONTH = SchoolMonth(2025, 10)


def _status(risk: RiskService, alert_id: int) -> str | None:
    return next(a for a in risk.alerts(MONTH) if a.id == alert_id).status


def test_a_wrong_mark_is_withdrawn_with_its_reason_and_the_right_one_recorded(
    sessions: dict[str, SignedIn],
) -> None:
    truancy = RiskService(sessions["truancy_support"].context)
    alert = truancy.score(MONTH).alerts[1]
    truancy.mark_alert(alert.id, "見守り", "朝の様子を見る")
    truancy.mark_alert(alert.id, "対象外", "療養中")  # meant for another pupil
    truancy.correct_alert_mark(alert.id, "別の児童生徒の記録を誤って付けたため", "支援開始",
                               "SSWにつなぐ")
    history = truancy.alert_history(alert.id)
    assert [h.status for h in history] == ["見守り", "対象外", "支援開始"]
    wrong = history[1]
    assert wrong.note == "療養中"  # kept as it was
    assert wrong.withdrawn is not None
    assert wrong.withdrawn.reason == "別の児童生徒の記録を誤って付けたため"
    assert wrong.withdrawn.by == "デモ 不登校支援（demo-truancy）"
    assert wrong.withdrawn.at is not None
    assert history[0].withdrawn is None and history[2].withdrawn is None
    assert _status(truancy, alert.id) == "支援開始"

    lead = sessions["project_lead"]
    entries = lead.audit_view.entries(AuditFilter(action="risk_alert_mark_corrected"))
    assert any(e.pupil_id == alert.pupil_id and "対象外" in e.detail_text for e in entries)
    assert all("誤って" not in e.detail_text for e in entries)  # the reason stays in the store


def test_withdrawing_only_lets_the_earlier_mark_stand_or_none(
    sessions: dict[str, SignedIn],
) -> None:
    truancy = RiskService(sessions["truancy_support"].context)
    alert = truancy.score(MONTH).alerts[2]
    truancy.mark_alert(alert.id, "確認済み")
    truancy.mark_alert(alert.id, "支援開始")
    truancy.correct_alert_mark(alert.id, "まだ支援は始めていない")
    assert _status(truancy, alert.id) == "確認済み"
    truancy.correct_alert_mark(alert.id, "確認もまだだった")
    assert _status(truancy, alert.id) is None
    assert [h.withdrawn is not None for h in truancy.alert_history(alert.id)] == [True, True]
    explained = truancy.explanations(alert.pupil_id or 0).latest
    assert explained is None or explained.month != MONTH or explained.status is None
    with pytest.raises(UserFacingError, match="訂正する記録がありません"):
        truancy.correct_alert_mark(alert.id, "もう一度")


def test_a_correction_needs_a_reason_a_known_status_and_the_alert_right(
    sessions: dict[str, SignedIn],
) -> None:
    truancy = RiskService(sessions["truancy_support"].context)
    alert = truancy.score(MONTH).alerts[3]
    truancy.mark_alert(alert.id, "見守り")
    with pytest.raises(UserFacingError, match="理由"):
        truancy.correct_alert_mark(alert.id, "   ")
    with pytest.raises(UserFacingError):
        truancy.correct_alert_mark(alert.id, "理由", "要注意")
    with pytest.raises(UserFacingError):
        truancy.correct_alert_mark(10**9, "理由")
    with pytest.raises(UserFacingError):
        truancy.correct_alert_mark(alert.id, "x" * 2001)
    with pytest.raises(PermissionDenied):
        RiskService(sessions["bullying_support"].context).correct_alert_mark(alert.id, "理由")
    assert _status(truancy, alert.id) == "見守り"  # nothing withdrawn by the refusals


def test_corrections_live_in_the_alert_lists_file_and_stay_out_of_reach_without_its_key(
    sessions: dict[str, SignedIn],
) -> None:
    """The reasons are free text about a pupil: beside the marks, in the risk group's file
    (never the store file every account opens); a role without that key reads none."""
    lead = sessions["project_lead"]
    where = lead.store.db.call(lambda c: (schema_of(c, "risk_alert_corrections"),
                                          schema_of(c, "risk_alert_status")))
    assert where[0] is not None and where[0] != "main" and where[0] == where[1]
    liaison = sessions["liaison"]
    assert liaison.store.db.call(lambda c: schema_of(c, "risk_alert_corrections")) is None
