"""Case rows as the values the service returns (``toda_desktop.cases.model``).

Stored codes become their ``StrEnum``s, ISO text dates and stamps become ``date``/``datetime``,
login IDs become 「氏名（ログインID）」, and a restricted note's text is left out here, so no
caller can get it from a listing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime

from storage.repos import cases as repo
from toda_desktop.cases.evidence import evidence_from_json
from toda_desktop.cases.model import (
    Action,
    ActionOutcome,
    ActionStatus,
    Attendee,
    AttendeeRole,
    CaseDomain,
    CaseSource,
    CaseStatus,
    CaseSummary,
    Done,
    Meeting,
    NoteKind,
    NoteSummary,
    RecordStatus,
    Review,
    Worked,
    YearSheet,
    case_key,
    case_label,
)
from toda_desktop.staff import Staff, staff_label, staff_of


def day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def year(y: repo.YearSheetRow, staff: dict[str, Staff]) -> YearSheet:
    f = y.fields
    return YearSheet(y.id, y.school_year, f["school_name"], f["grade"],
                     f["homeroom_teacher"], f["situation"], f["goal"], f["plan"],
                     f["evaluation"], RecordStatus(y.status),
                     staff_label(staff_of(staff, y.created_by)), moment(y.created_at))

def action(a: repo.ActionRow) -> Action:
    return Action(a.id, a.meeting_id, a.what, a.owner, day(a.due), ActionStatus(a.status),
                  a.status_reason)

def meeting(m: repo.MeetingRow, actions: list[repo.ActionRow],
             reviews: list[repo.ReviewRow], staff: dict[str, Staff]) -> Meeting:
    f = m.fields
    review_rows = [r for r in reviews if r.meeting_id == m.id and r.status == "recorded"]
    recorded = review(review_rows[-1], staff) if review_rows else None
    unknown = json.loads(m.unknown_json or "{}")
    return Meeting(
        id=m.id, held_on=day(f["held_on"]) or date.min,
        meeting_type=f["meeting_type"] or "", attendees=attendees(f["attendees_json"]),
        child_wish=f["child_wish"] or "", guardian_wish=f["guardian_wish"] or "",
        assessment=f["assessment"] or "", strengths=f["strengths"] or "",
        long_goal=f["long_goal"] or "", short_goal=f["short_goal"] or "",
        next_review=day(f["next_review"]),
        actions=tuple(action(a) for a in actions if a.meeting_id == m.id),
        review=recorded, unknown=tuple((str(k), str(v)) for k, v in unknown.items()),
        status=RecordStatus(m.status), status_reason=m.status_reason,
        created_by=staff_label(staff_of(staff, m.created_by)),
        created_at=moment(m.created_at),
    )

def review(r: repo.ReviewRow, staff: dict[str, Staff]) -> Review:
    outcomes = tuple(ActionOutcome(int(o["action_id"]), Done(o["done"]), Worked(o["worked"]),
                                   str(o.get("note", "")))
                     for o in json.loads(r.outcomes_json or "[]"))
    return Review(r.id, r.meeting_id, day(r.reviewed_on) or date.min, Done(r.done),
                  Worked(r.worked), r.comment, outcomes, evidence_from_json(r.evidence_json),
                  RecordStatus(r.status), staff_label(staff_of(staff, r.created_by)),
                  moment(r.created_at))

def note(n: repo.NoteRow, staff: dict[str, Staff]) -> NoteSummary:
    kind = NoteKind(n.kind)
    return NoteSummary(n.id, kind, day(n.written_on) or date.min,
                       staff_label(staff_of(staff, n.created_by)), kind.restricted,
                       None if kind.restricted else n.text, RecordStatus(n.status),
                       n.status_reason)


def attendees(text: str | None) -> tuple[Attendee, ...]:
    out = []
    for a in json.loads(text or "[]"):
        try:
            role = AttendeeRole(a.get("role", "その他"))
        except ValueError:
            role = AttendeeRole.OTHER
        out.append(Attendee(str(a.get("name", "")), role, str(a.get("organisation", ""))))
    return tuple(out)


def summary(domain: CaseDomain, row: repo.CaseRow, pupils: Mapping[int, repo.PupilLine],
             staff: dict[str, Staff]) -> CaseSummary:
    pupil = pupils.get(row.pupil_id)
    return CaseSummary(
        key=case_key(domain, row.id), label=case_label(domain, row.id), domain=domain,
        pupil_id=row.pupil_id, pupil_name=pupil.name if pupil else "",
        school_name=pupil.school_name if pupil else "",
        grade=pupil.grade if pupil else None, class_name=pupil.class_name if pupil else "",
        title=row.title, status=CaseStatus(row.status), source=CaseSource(row.source),
        source_ref=row.source_ref, opened_by=staff_label(staff_of(staff, row.opened_by)),
        opened_at=moment(row.opened_at), updated_at=moment(row.updated_at),
        next_review=day(row.next_review), open_actions=row.open_actions,
        meetings=row.meetings, placement_year=pupil.school_year if pupil else None,
    )
