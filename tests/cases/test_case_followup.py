"""After the meeting: actions added later, withdrawals with their reasons, reviews that answer
for every action, drafts that name their pupil and expire, an import that can be stopped."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from storage.repos.cases import DRAFT_KEEP
from toda_desktop.audit.service import AuditFilter
from toda_desktop.cases.model import (
    ActionInput,
    ActionOutcome,
    ActionStatus,
    Attendee,
    AttendeeRole,
    CaseDomain,
    Done,
    MeetingInput,
    NoteKind,
    RecordStatus,
    ReviewInput,
    Worked,
)
from toda_desktop.composition import SignedIn
from toda_desktop.errors import OperationCancelled, PermissionDenied, UserFacingError

FIXTURE = Path(__file__).parents[1] / "fixtures" / "files" / "case_meetings.csv"
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _meeting(held: date, *actions: str) -> MeetingInput:
    return MeetingInput(held_on=held, attendees=(Attendee("山田 花子", AttendeeRole.HOMEROOM),),
                        actions=tuple(ActionInput(a, "担任") for a in actions))


def test_an_action_added_to_a_saved_meeting_enters_the_history_field_by_field(
    sessions: dict[str, SignedIn], pupil: int
) -> None:
    cases = sessions["truancy_support"].cases
    case = cases.open_case(pupil, CaseDomain.TRUANCY)
    meeting = cases.add_meeting(case.key, _meeting(date(2025, 10, 6), "朝の電話連絡"))
    added = cases.add_action(case.key, meeting.id,
                             ActionInput("別室の用意", "教頭", date(2025, 10, 31)))
    assert (added.meeting_id, added.status) == (meeting.id, ActionStatus.PLANNED)
    detail = cases.read_case(case.key)
    assert [a.what for a in detail.meetings[0].actions] == ["朝の電話連絡", "別室の用意"]
    entries = {(h.field, h.new) for h in cases.history(case.key)
               if h.entity == "action" and h.entity_id == added.id}
    assert entries == {("status", "未着手"), ("what", "別室の用意"), ("owner", "教頭"),
                       ("due", date(2025, 10, 31))}
    with pytest.raises(UserFacingError):  # 内容 is required
        cases.add_action(case.key, meeting.id, ActionInput("  "))
    with pytest.raises(PermissionDenied):  # view without case_edit
        sessions["director"].cases.add_action(case.key, meeting.id, ActionInput("見守り"))


def test_a_withdrawn_meeting_takes_its_open_actions_with_it_and_its_history_says_why(
    sessions: dict[str, SignedIn], pupil: int
) -> None:
    cases = sessions["truancy_support"].cases
    case = cases.open_case(pupil, CaseDomain.TRUANCY)
    meeting = cases.add_meeting(case.key, _meeting(date(2025, 11, 4), "家庭訪問", "電話連絡"))
    done = meeting.actions[1]
    cases.update_action(case.key, done.id, ActionInput(done.what, done.owner, None,
                                                      ActionStatus.DONE))
    reason = "別の児童の記録を誤って入力したため"
    withdrawn = cases.withdraw_meeting(case.key, meeting.id, reason)
    assert (withdrawn.status, withdrawn.status_reason) == (RecordStatus.WITHDRAWN, reason)
    assert [a.status for a in withdrawn.actions] == [ActionStatus.WITHDRAWN, ActionStatus.DONE]
    assert not [a for a in cases.cases_for_pupil(pupil).open_actions
                if a.case_key == case.key]
    with pytest.raises(UserFacingError, match="既に取り下げ"):
        cases.withdraw_meeting(case.key, meeting.id, reason)
    with pytest.raises(UserFacingError):
        cases.add_action(case.key, meeting.id, ActionInput("追加"))
    status = [h for h in cases.history(case.key)
              if h.field == "status" and h.new == "取り下げ"]
    assert {h.entity for h in status} == {"meeting", "action"}
    assert all(h.reason == reason and h.changed_by.startswith("デモ 不登校支援")
               and isinstance(h.changed_at, datetime) for h in status)


def test_a_restricted_note_is_withdrawn_without_being_opened_and_stays_listed(
    sessions: dict[str, SignedIn], pupil: int
) -> None:
    cases = sessions["truancy_support"].cases
    case = cases.open_case(pupil, CaseDomain.TRUANCY)
    secret = "通院先と診断名（非公開）"
    note = cases.add_note(case.key, NoteKind.HEALTH, secret)
    with pytest.raises(UserFacingError):
        cases.withdraw_note(case.key, note.id, " ")
    gone = cases.withdraw_note(case.key, note.id, "重複して記入したため")
    assert gone.status is RecordStatus.WITHDRAWN and gone.text is None
    listed = cases.read_case(case.key).notes
    assert [(n.id, n.status, n.status_reason) for n in listed] == [
        (note.id, RecordStatus.WITHDRAWN, "重複して記入したため")]
    assert all(secret not in str(h.new) and secret not in str(h.old)
               for h in cases.history(case.key))
    opened = sessions["project_lead"].audit_view.entries(
        AuditFilter(action="case_note_open", pupil_id=pupil))
    assert not [e for e in opened if e.target == case.key]  # withdrawing did not open it


def test_a_review_needs_both_answers_for_every_action_not_withdrawn(
    sessions: dict[str, SignedIn], pupil: int
) -> None:
    cases = sessions["truancy_support"].cases
    case = cases.open_case(pupil, CaseDomain.TRUANCY)
    meeting = cases.add_meeting(case.key, _meeting(date(2025, 9, 1), "面談", "誤り"))
    keep, drop = meeting.actions
    cases.withdraw_action(case.key, drop.id, "入力の誤り")
    later = cases.add_action(case.key, meeting.id, ActionInput("SCとの面談", "SC"))
    day = date(2025, 10, 13)
    with pytest.raises(UserFacingError, match="2件"):
        cases.record_review(case.key, meeting.id, ReviewInput(day, Done.DONE, Worked.WORKED))
    with pytest.raises(UserFacingError):  # the same action twice
        cases.record_review(case.key, meeting.id, ReviewInput(
            day, Done.DONE, Worked.WORKED, outcomes=(
                ActionOutcome(keep.id, Done.DONE, Worked.WORKED),
                ActionOutcome(keep.id, Done.DONE, Worked.WORKED))))
    review = cases.record_review(case.key, meeting.id, ReviewInput(
        day, Done.PARTLY, Worked.PARTLY, outcomes=(
            ActionOutcome(keep.id, Done.DONE, Worked.WORKED),
            ActionOutcome(later.id, Done.NOT_DONE, Worked.UNCLEAR, "SCの来校日が合わない"))))
    assert {o.action_id: (o.done, o.worked) for o in review.outcomes} == {
        keep.id: (Done.DONE, Worked.WORKED), later.id: (Done.NOT_DONE, Worked.UNCLEAR)}
    assert review.evidence is not None  # what the data showed, kept with it


def _age_drafts(signed: SignedIn, days: int) -> None:
    """Make the file's drafts look ``days`` old (as if saved then)."""
    def write(conn: object) -> None:
        for schema in ("g_truancy",):
            conn.execute(  # type: ignore[attr-defined]
                f"UPDATE {schema}.case_drafts SET saved_at = ?",
                ((signed.context.now() - timedelta(days=days)).isoformat(timespec="seconds"),))
    signed.store.db.call(write, kind="long_absence")


def _drafts_on_disk(signed: SignedIn) -> list[tuple[str, int | None]]:
    return [(str(r[0]), None if r[1] is None else int(r[1])) for r in signed.store.db.call(
        lambda c: c.execute("SELECT form_key, pupil_id FROM g_truancy.case_drafts").fetchall(),
        kind="long_absence")]


def test_a_draft_names_its_pupil_expires_after_thirty_days_and_never_reaches_the_log(
    sessions: dict[str, SignedIn], pupil: int
) -> None:
    signed = sessions["truancy_support"]
    cases = signed.cases
    typed = "母親から夜間の様子について相談あり"
    with pytest.raises(UserFacingError):  # a draft must name its pupil
        cases.save_draft(CaseDomain.TRUANCY, "case:new", {"family": typed})
    cases.save_draft(CaseDomain.TRUANCY, f"case:new:{pupil}", {"family": typed},
                     pupil_id=pupil)
    draft = cases.load_draft(CaseDomain.TRUANCY, f"case:new:{pupil}")
    assert draft is not None and draft.pupil_id == pupil and draft.case_key is None
    assert draft.expires_at == draft.saved_at + DRAFT_KEEP == draft.saved_at + timedelta(days=30)
    assert (f"case:new:{pupil}", pupil) in _drafts_on_disk(signed)
    entries = sessions["project_lead"].audit_view.entries(AuditFilter(action="case_draft"))
    assert entries and all(typed not in str(e.detail) for e in entries)

    _age_drafts(signed, 29)
    assert cases.load_draft(CaseDomain.TRUANCY, f"case:new:{pupil}") is not None
    _age_drafts(signed, 31)
    assert cases.load_draft(CaseDomain.TRUANCY, f"case:new:{pupil}") is None
    assert not [d for d in cases.drafts() if d.form_key == f"case:new:{pupil}"]
    cases.save_draft(CaseDomain.TRUANCY, "another", {"x": 1}, pupil_id=pupil)  # housekeeping
    assert [k for k, _ in _drafts_on_disk(signed)] == ["another"]
    assert cases.discard_draft(CaseDomain.TRUANCY, "another")


@pytest.fixture(scope="module")
def refs(sessions: dict[str, SignedIn]) -> dict[str, object]:
    rows = sessions["project_lead"].store.db.call(lambda c: c.execute(
        "SELECT s.id, s.address_code, e.school_code, e.grade, e.class_name, e.seat_number"
        " FROM ds_students s JOIN ds_enrollments e ON e.pupil_id = s.id"
        " WHERE e.school_year = (SELECT max(school_year) FROM ds_enrollments)"
        " ORDER BY s.id LIMIT 2 OFFSET 20").fetchall())
    (_, a_code, *_), (_, _, school, grade, class_name, seat) = rows
    return {"ADDR_FW": str(a_code).translate(FULL_WIDTH), "SCHOOL": school, "GRADE": grade,
            "CLASS": class_name, "SEAT": seat}


def _file(tmp: Path, refs: dict[str, object]) -> Path:
    body = FIXTURE.read_text(encoding="utf-8")
    for key, value in refs.items():
        body = body.replace("{" + key + "}", str(value))
    out = tmp / "ケース会議記録.csv"
    out.write_bytes(body.replace("\n", "\r\n").encode("cp932"))
    return out


def _count_cases(signed: SignedIn) -> int:
    return len(signed.cases.list_cases(statuses=()))


def test_a_stopped_import_writes_nothing_and_a_check_says_what_it_would_open(
    sessions: dict[str, SignedIn], refs: dict[str, object], tmp_path: Path
) -> None:
    lead = sessions["project_lead"]
    path = _file(tmp_path, refs)
    before = _count_cases(lead)
    seen: list[float] = []
    check = lead.cases.import_file(path, dry_run=True, progress=seen.append)
    assert not check.committed and check.errors == () and check.meetings == 2
    assert 1 <= check.new_cases <= 2
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)

    fractions: list[float] = []

    def stop_while_writing() -> bool:
        return bool(fractions) and fractions[-1] > 0.5  # after the first meeting is in

    with pytest.raises(OperationCancelled):
        lead.cases.import_file(path, progress=fractions.append, cancelled=stop_while_writing)
    assert 0.5 < fractions[-1] < 1.0
    assert _count_cases(lead) == before  # the transaction was rolled back
    log = lead.audit_view.entries(AuditFilter(action="case_import"))
    assert "中止" in {e.outcome_label for e in log}

    report = lead.cases.import_file(path, progress=fractions.append)
    assert report.committed and report.cases_opened == report.new_cases == check.new_cases
    assert _count_cases(lead) == before + check.new_cases
