"""A case's history as people read it: labels for entities, fields and stored codes."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime

from storage.repos.cases import HistoryRow
from toda_desktop.cases.model import (
    ActionStatus,
    CaseSource,
    CaseStatus,
    Done,
    HistoryEntry,
    HistoryValue,
    NoteKind,
    RecordStatus,
    Worked,
)
from toda_desktop.staff import Staff, staff_label, staff_of

ENTITY_LABELS = {"case": "共通シート", "year_sheet": "学年別シート", "meeting": "ケース会議記録",
                 "action": "支援の手立て", "review": "振り返り", "note": "記録"}
FIELD_LABELS = {
    "title": "件名", "profile": "本人の状況・特性・よさ", "family": "家庭の状況",
    "support_history": "これまでの支援", "status": "状態", "status_reason": "理由",
    "school_year": "年度", "school_name": "学校名", "grade": "学年",
    "homeroom_teacher": "担任", "situation": "状況", "goal": "支援の目標",
    "plan": "支援の内容・方法", "evaluation": "評価", "held_on": "開催日",
    "meeting_type": "会議の種類", "attendees_json": "出席者", "child_wish": "本人の願い",
    "guardian_wish": "保護者の願い", "assessment": "見立て（アセスメント）",
    "strengths": "よさ・強み", "long_goal": "長期目標", "short_goal": "短期目標",
    "next_review": "次回の振り返り日", "what": "手立て", "owner": "担当", "due": "期限",
    "reviewed_on": "振り返り日", "done": "実施できたか", "worked": "効果があったか",
    "comment": "振り返りの内容", "kind": "種類", "written_on": "記録日", "source": "きっかけ",
    "linked_alert": "関連付けた見守りアラート（番号）",
}
DATE_FIELDS = frozenset({"held_on", "next_review", "due", "reviewed_on", "written_on"})


def _status(entity: str, value: str) -> str:
    enums: dict[str, Callable[[str], object]] = {
        "case": CaseStatus, "action": ActionStatus}
    try:
        member = enums.get(entity, RecordStatus)(value)
    except ValueError:
        return value
    return str(getattr(member, "label", value))


def _attendees(value: str) -> str:
    try:
        people = json.loads(value)
    except ValueError:
        return value
    out = []
    for a in people:
        role = str(a.get("role", ""))
        who = str(a.get("name", "")) or str(a.get("organisation", ""))
        out.append(f"{who}（{role}）" if role else who)
    return "、".join(out)


def shown_value(entity: str, field: str, value: str | None) -> HistoryValue:
    """A stored value as the history shows it."""
    if value is None:
        return None
    if field in DATE_FIELDS:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return value
    converters: dict[str, Callable[[str], str]] = {
        "status": lambda v: _status(entity, v),
        "attendees_json": _attendees,
        "done": lambda v: Done(v).label,
        "worked": lambda v: Worked(v).label,
        "kind": lambda v: NoteKind(v).label,
        "source": lambda v: CaseSource(v).label,
    }
    convert = converters.get(field)
    if convert is None:
        return value
    try:
        return convert(value)
    except ValueError:
        return value


def history_entries(rows: list[HistoryRow], staff: dict[str, Staff]) -> list[HistoryEntry]:
    return [
        HistoryEntry(
            changed_at=datetime.fromisoformat(r.changed_at),
            changed_by=staff_label(staff_of(staff, r.changed_by)), entity=r.entity,
            entity_label=ENTITY_LABELS.get(r.entity, r.entity), entity_id=r.entity_id,
            field=r.field, field_label=FIELD_LABELS.get(r.field, r.field),
            old=shown_value(r.entity, r.field, r.old_value),
            new=shown_value(r.entity, r.field, r.new_value), reason=r.reason)
        for r in rows
    ]
