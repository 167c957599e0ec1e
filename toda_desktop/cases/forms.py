"""What a case form sends, checked and turned into stored fields (Japanese refusals).

Text from people is checked once here (encodable, trimmed, not too long); dates are kept as
ISO text; a meeting's next review defaults to six weeks after it.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date, timedelta

from toda_desktop.cases.model import ActionInput, ActionStatus, AttendeeRole, MeetingInput
from toda_desktop.errors import UserFacingError
from toda_desktop.text_input import require_valid_text

MAX_TEXT = 20_000
MIN_REASON = 2


def text(value: str, what: str, *, required: bool = False) -> str:
    value = require_valid_text(value, what).strip()
    if required and not value:
        raise UserFacingError(f"{what}を入力してください。")
    if len(value) > MAX_TEXT:
        raise UserFacingError(f"{what}は{MAX_TEXT:,}文字以内で入力してください。")
    return value

def reason(reason: str) -> str:
    reason = text(reason, "理由", required=True)
    if len(reason) < MIN_REASON:
        raise UserFacingError("理由を具体的に入力してください。")
    return reason


def meeting_fields(m: MeetingInput, today: date) -> dict[str, str | None]:
    if m.held_on > today + timedelta(days=366):
        raise UserFacingError("開催日が先すぎます。日付を確認してください。")
    review = m.review_date()
    if review < m.held_on:
        raise UserFacingError("次回の振り返り日は開催日より後の日付にしてください。")
    attendees = []
    for a in m.attendees:
        name = text(a.name, "出席者の氏名")
        if not name and not a.organisation and a.role is AttendeeRole.OTHER:
            continue  # an empty line of the form
        attendees.append({"name": name, "role": AttendeeRole(a.role).value,
                          "organisation": text(a.organisation, "所属")})
    return {
        "held_on": m.held_on.isoformat(),
        "meeting_type": text(m.meeting_type, "会議の種類") or "ケース会議",
        "attendees_json": json.dumps(attendees, ensure_ascii=False),
        "child_wish": text(m.child_wish, "本人の願い"),
        "guardian_wish": text(m.guardian_wish, "保護者の願い"),
        "assessment": text(m.assessment, "見立て"),
        "strengths": text(m.strengths, "よさ・強み"),
        "long_goal": text(m.long_goal, "長期目標"),
        "short_goal": text(m.short_goal, "短期目標"),
        "next_review": review.isoformat(),
    }

def action_fields(a: ActionInput) -> tuple[str, str, str | None, str]:
    return (text(a.what, "支援の手立て", required=True), text(a.owner, "担当"),
            iso(a.due), ActionStatus(a.status).value)


def iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def json_default(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def meeting_payload(meeting: MeetingInput) -> dict[str, object]:
    """A MeetingInput as JSON-able values (for a draft)."""
    data: dict[str, object] = json.loads(
        json.dumps(asdict(meeting), ensure_ascii=False, default=json_default))
    return data
