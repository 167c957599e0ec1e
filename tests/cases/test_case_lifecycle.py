"""A case from an alert through its meeting and review, with its history; notes; drafts."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from kernel.school_calendar import SchoolMonth
from storage.connection import Connection, transaction
from storage.repos import risk as risk_repo
from toda_desktop.audit.service import AuditFilter
from toda_desktop.cases.model import (
    ActionInput,
    ActionOutcome,
    ActionStatus,
    Attendee,
    AttendeeRole,
    CaseDomain,
    CaseSource,
    CaseStatus,
    CommonSheet,
    Done,
    MeetingInput,
    NoteKind,
    RecordStatus,
    ReviewInput,
    Worked,
    YearSheetInput,
)
from toda_desktop.composition import SignedIn
from toda_desktop.errors import PermissionDenied, UserFacingError


@pytest.fixture(scope="module")
def alert_id(sessions: dict[str, SignedIn], pupil: int) -> int:
    """An alert for the pupil, stored through the risk repository as scoring stores one
    (training a model here would take most of a minute), and marked 支援開始 by the truancy
    role through the risk service."""
    from toda_desktop.risk import RiskService

    lead = sessions["project_lead"]
    school = lead.store.db.call(lambda c: c.execute(
        "SELECT school_code FROM ds_enrollments WHERE pupil_id = ?"
        " ORDER BY school_year DESC LIMIT 1", (pupil,)).fetchone()[0])

    def write(conn: Connection) -> int:
        with transaction(conn):
            model = risk_repo.insert_model(
                conn, created_by="demo-lead", data_version="t", config_json="{}",
                metrics_json="{}", card_json="{}", model=b"", at=datetime(2025, 10, 1, 9))
            risk_repo.insert_alerts(conn, SchoolMonth(2025, 10), model,
                                    [(pupil, school, 1, "高", "[]")],
                                    at=datetime(2025, 10, 1, 9))
            return int(conn.execute("SELECT max(id) FROM risk_alerts").fetchone()[0])

    alert = lead.store.db.call(write, kind="attendance_monthly")
    RiskService(sessions["truancy_support"].context).mark_alert(alert, "支援開始", "ケース会議へ")
    return alert


def _meeting(held: date) -> MeetingInput:
    return MeetingInput(
        held_on=held,
        attendees=(Attendee("山田 花子", AttendeeRole.HOMEROOM),
                   Attendee("佐藤 一郎", AttendeeRole.SSW),
                   Attendee("", AttendeeRole.AGENCY, "こども家庭センター")),
        child_wish="友だちと話したい", guardian_wish="朝起きられるように", assessment="朝の不調",
        strengths="絵が得意", long_goal="教室で過ごせる", short_goal="週2回の別室登校",
        actions=(ActionInput("朝の電話連絡", "担任", held + timedelta(days=14)),
                 ActionInput("SSWの家庭訪問", "SSW", held + timedelta(days=21))),
    )


def test_an_alert_opens_a_case_that_goes_through_meeting_and_review_with_its_history(
    sessions: dict[str, SignedIn], alert_id: int
) -> None:
    cases = sessions["truancy_support"].cases
    case = cases.case_for_alert(alert_id)
    assert case is not None and case.source is CaseSource.ALERT
    assert case.source_ref == str(alert_id)
    assert cases.case_for_alert(alert_id).key == case.key  # the same case, not a second
    assert cases.alert_cases([alert_id, 999_999]) == {alert_id: case.key}

    held = date(2025, 10, 6)
    meeting = cases.add_meeting(case.key, _meeting(held))
    assert meeting.next_review == held + timedelta(weeks=6)  # the default
    assert [a.role for a in meeting.attendees] == [AttendeeRole.HOMEROOM, AttendeeRole.SSW,
                                                    AttendeeRole.AGENCY]
    assert [a.status for a in meeting.actions] == [ActionStatus.PLANNED] * 2
    first = meeting.actions[0]
    cases.update_action(case.key, first.id, ActionInput(first.what, "担任（山田）", first.due,
                                                        ActionStatus.DONE))

    evidence = cases.evidence(case.key, meeting.id, held + timedelta(weeks=6))
    assert evidence.absence is not None  # the truancy role sees attendance
    assert SchoolMonth(2025, 7) in {a.month for a in evidence.absence}
    with pytest.raises(UserFacingError):
        cases.record_review(case.key, meeting.id, ReviewInput(held - timedelta(days=1),
                                                              Done.DONE, Worked.WORKED))
    with pytest.raises(UserFacingError, match="1件"):  # every action's two answers
        cases.record_review(case.key, meeting.id, ReviewInput(
            held + timedelta(weeks=6), Done.PARTLY, Worked.UNCLEAR, "別室登校は週1回",
            outcomes=(ActionOutcome(first.id, Done.DONE, Worked.PARTLY),)))
    second = meeting.actions[1]
    review = cases.record_review(case.key, meeting.id, ReviewInput(
        held + timedelta(weeks=6), Done.PARTLY, Worked.UNCLEAR, "別室登校は週1回",
        outcomes=(ActionOutcome(first.id, Done.DONE, Worked.PARTLY),
                  ActionOutcome(second.id, Done.NOT_DONE, Worked.UNCLEAR, "日程が合わない"))))
    assert [(o.action_id, o.done, o.worked) for o in review.outcomes] == [
        (first.id, Done.DONE, Worked.PARTLY), (second.id, Done.NOT_DONE, Worked.UNCLEAR)]
    assert review.evidence is not None and review.evidence.absence == evidence.absence
    with pytest.raises(UserFacingError):
        cases.record_review(case.key, meeting.id, ReviewInput(
            held + timedelta(weeks=7), Done.DONE, Worked.WORKED))

    history = cases.history(case.key)
    owner = [h for h in history if h.entity == "action" and h.field == "owner"
             and h.entity_id == first.id]
    assert [(h.old, h.new) for h in owner] == [(None, "担任"), ("担任", "担任（山田）")]
    status = [h for h in history if h.entity == "action" and h.field == "status"
              and h.entity_id == first.id]
    assert [h.new for h in status] == ["未着手", "完了"]
    assert all(h.changed_by.startswith("デモ 不登校支援") for h in history)
    assert any(h.entity == "review" and h.field == "done" and h.new == "一部実施できた"
               for h in history)
    detail = cases.read_case(case.key)
    assert detail.meetings[0].review == review


def test_an_alert_for_a_pupil_with_an_open_case_is_linked_to_that_case(
    sessions: dict[str, SignedIn]
) -> None:
    """The demo city's 不登校 cases: an alert for such a pupil joins the open case."""
    lead = sessions["project_lead"]
    existing = next(c for c in lead.cases.list_cases(domain=CaseDomain.TRUANCY)
                    if c.source is CaseSource.MANUAL)
    school = lead.store.db.call(lambda c: c.execute(
        "SELECT school_code FROM ds_enrollments WHERE pupil_id = ?"
        " ORDER BY school_year DESC LIMIT 1", (existing.pupil_id,)).fetchone()[0])

    def write(conn: Connection) -> int:
        with transaction(conn):
            model = int(conn.execute("SELECT max(id) FROM risk_models").fetchone()[0])
            risk_repo.insert_alerts(conn, SchoolMonth(2025, 11), model,
                                    [(existing.pupil_id, school, 1, "高", "[]")],
                                    at=datetime(2025, 11, 1, 9))
            return int(conn.execute("SELECT max(id) FROM risk_alerts").fetchone()[0])

    alert = lead.store.db.call(write, kind="attendance_monthly")
    cases = sessions["truancy_support"].cases
    assert cases.case_for_alert(alert, create=False) is not None
    assert cases.case_for_alert(alert).key == existing.key
    assert cases.alert_cases([alert]) == {alert: existing.key}
    linked = [h for h in cases.history(existing.key) if h.field == "linked_alert"]
    assert [h.new for h in linked] == [str(alert)]  # once, not at every call


def test_a_changed_field_enters_the_history_once_and_an_unchanged_one_not_at_all(
    sessions: dict[str, SignedIn], pupil: int
) -> None:
    cases = sessions["truancy_support"].cases
    case = cases.open_case(pupil, CaseDomain.TRUANCY, common=CommonSheet(profile="A"))
    cases.update_common(case.key, CommonSheet(profile="B"))
    cases.update_common(case.key, CommonSheet(profile="B"))
    changes = [(h.field, h.old, h.new) for h in cases.history(case.key)
               if h.entity == "case" and h.field == "profile"]
    assert changes == [("profile", None, "A"), ("profile", "A", "B")]


def test_nothing_is_deleted_a_withdrawn_meeting_keeps_its_row_and_reason(
    sessions: dict[str, SignedIn], pupil: int
) -> None:
    cases = sessions["truancy_support"].cases
    case = cases.open_case(pupil, CaseDomain.TRUANCY)
    meeting = cases.add_meeting(case.key, _meeting(date(2025, 11, 4)))
    with pytest.raises(UserFacingError):
        cases.withdraw_meeting(case.key, meeting.id, "")
    cases.withdraw_meeting(case.key, meeting.id, "別の児童の記録を誤って入力")
    kept = cases.read_case(case.key).meetings
    assert [(m.id, m.status, m.status_reason) for m in kept] == [
        (meeting.id, RecordStatus.WITHDRAWN, "別の児童の記録を誤って入力")]
    assert meeting.id not in {d.meeting_id for d in cases.reviews_due(date(2026, 3, 1))
                              if d.case_key == case.key}
    closed = cases.set_case_status(case.key, CaseStatus.CLOSED, "登校が安定したため終結")
    assert closed.status is CaseStatus.CLOSED
    assert case.key not in {c.key for c in cases.list_cases()}
    assert case.key in {c.key for c in cases.list_cases(statuses=tuple(CaseStatus))}


def test_an_item_of_another_case_is_refused_by_its_id(
    sessions: dict[str, SignedIn], pupil: int
) -> None:
    cases = sessions["truancy_support"].cases
    a = cases.open_case(pupil, CaseDomain.TRUANCY)
    b = cases.open_case(pupil, CaseDomain.TRUANCY)
    meeting = cases.add_meeting(a.key, _meeting(date(2025, 9, 1)))
    with pytest.raises(UserFacingError):
        cases.withdraw_action(b.key, meeting.actions[0].id, "誤り")
    with pytest.raises(UserFacingError):
        cases.add_action(b.key, meeting.id, ActionInput("x"))


def test_the_karte_and_the_plan_page_get_open_actions_and_due_reviews(
    sessions: dict[str, SignedIn], pupil: int
) -> None:
    cases = sessions["truancy_support"].cases
    case = cases.open_case(pupil, CaseDomain.TRUANCY)
    meeting = cases.add_meeting(case.key, _meeting(date(2026, 1, 13)))
    mine = cases.cases_for_pupil(pupil)
    assert case.key in {c.key for c in mine.cases}
    assert {a.action.id for a in mine.open_actions} >= {a.id for a in meeting.actions}
    assert mine.next_review is not None and mine.next_review <= date(2026, 2, 24)
    due = cases.reviews_due(date(2026, 2, 20))
    hit = [d for d in due if d.meeting_id == meeting.id and d.case_key == case.key]
    assert hit and hit[0].mine and not hit[0].overdue and hit[0].pupil_name
    assert next(d for d in cases.reviews_due(date(2026, 3, 1)) if d.case_key == case.key).overdue
    # the director sees the review but did not open the case
    theirs = sessions["director"].cases.reviews_due(date(2026, 2, 20))
    assert [d.mine for d in theirs if d.case_key == case.key] == [False]
    # the bullying role sees none of it
    other = sessions["bullying_support"].cases
    assert case.key not in {c.key for c in other.cases_for_pupil(pupil).cases}
    assert case.key not in {d.case_key for d in other.reviews_due(date(2026, 2, 20))}


def test_the_evidence_holds_only_what_the_role_sees(
    sessions: dict[str, SignedIn], pupil: int
) -> None:
    lead = sessions["project_lead"].cases
    case = lead.open_case(pupil, CaseDomain.BULLYING)
    meeting = lead.add_meeting(case.key, _meeting(date(2025, 10, 6)))
    full = lead.evidence(case.key, meeting.id, date(2025, 12, 1))
    assert full.absence is not None and full.withheld == ""
    narrow = sessions["bullying_support"].cases.evidence(case.key, meeting.id,
                                                          date(2025, 12, 1))
    assert narrow.absence is None and narrow.health_before is None and narrow.surveys is None
    assert "出欠" in narrow.withheld


def test_a_restricted_note_is_listed_without_text_and_opened_only_with_a_logged_reason(
    sessions: dict[str, SignedIn], pupil: int
) -> None:
    cases = sessions["truancy_support"].cases
    case = cases.open_case(pupil, CaseDomain.TRUANCY)
    secret = "児童相談所に通告（身体にあざ）"
    note = cases.add_note(case.key, NoteKind.CHILD_PROTECTION, secret, date(2025, 11, 2))
    plain = cases.add_note(case.key, NoteKind.GENERAL, "面談を実施")
    listed = {n.id: n for n in cases.read_case(case.key).notes}
    assert listed[note.id].text is None and listed[note.id].restricted
    assert listed[note.id].kind is NoteKind.CHILD_PROTECTION
    assert listed[note.id].written_on == date(2025, 11, 2) and listed[note.id].author
    assert listed[plain.id].text == "面談を実施"
    assert all(secret not in str(h.new) for h in cases.history(case.key))
    with pytest.raises(UserFacingError):
        cases.open_note(case.key, note.id, "")
    assert sessions["director"].cases.open_note(case.key, note.id, "ケース会議の準備") == secret
    opened = sessions["project_lead"].audit_view.entries(
        AuditFilter(action="case_note_open", pupil_id=pupil))
    assert any(e.actor == "demo-director" and "ケース会議の準備" in str(e.detail)
               for e in opened)
    with pytest.raises(PermissionDenied):
        sessions["bullying_support"].cases.open_note(case.key, note.id, "確認のため")


def test_a_draft_is_kept_per_user_until_loaded_back_and_discarded(
    sessions: dict[str, SignedIn], pupil: int
) -> None:
    mine = sessions["truancy_support"].cases
    case = mine.open_case(pupil, CaseDomain.TRUANCY)
    form = f"meeting:new:{case.key}"
    mine.save_draft(CaseDomain.TRUANCY, form, {"held_on": date(2025, 12, 1), "child_wish": "途中"},
                    case=case.key)
    mine.save_draft(CaseDomain.TRUANCY, form, {"held_on": date(2025, 12, 1), "child_wish": "続き"},
                    case=case.key)
    draft = mine.load_draft(CaseDomain.TRUANCY, form)
    assert draft is not None and draft.payload == {"held_on": "2025-12-01", "child_wish": "続き"}
    assert draft.case_key == case.key
    assert sessions["project_lead"].cases.load_draft(CaseDomain.TRUANCY, form) is None
    assert form in {d.form_key for d in mine.drafts()}
    with pytest.raises(PermissionDenied):
        sessions["director"].cases.save_draft(CaseDomain.TRUANCY, form, {"x": 1})
    assert mine.discard_draft(CaseDomain.TRUANCY, form)
    assert mine.load_draft(CaseDomain.TRUANCY, form) is None


def test_a_year_sheet_is_made_once_per_school_year_and_then_changed(
    sessions: dict[str, SignedIn], pupil: int
) -> None:
    cases = sessions["truancy_support"].cases
    case = cases.open_case(pupil, CaseDomain.TRUANCY)
    first = cases.save_year_sheet(case.key, YearSheetInput(2025, situation="欠席が増えた"))
    again = cases.save_year_sheet(case.key, YearSheetInput(2025, situation="別室登校",
                                                           plan="週2回"))
    assert again.id == first.id and again.situation == "別室登校"
    assert [y.school_year for y in cases.read_case(case.key).years] == [2025]
    changes = [(h.old, h.new) for h in cases.history(case.key)
               if h.entity == "year_sheet" and h.field == "situation"]
    assert changes == [(None, "欠席が増えた"), ("欠席が増えた", "別室登校")]
