"""The case's forms, laid out as MEXT's 児童生徒理解・支援シート (2018): the 共通シート, the
学年別シート and the ケース会議・検討会等記録シート.

Each form turns its entries into a payload (the service's field names, text and ISO days)
and back, reports each edit through ``edited`` (the draft timer listens), and can be made
read-only for roles that may see the case but not change it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import QDate, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QGridLayout,
    QLabel,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from kernel.date_style import DateStyle
from toda_desktop.cases.model import (
    REVIEW_AFTER,
    ActionInput,
    ActionStatus,
    Attendee,
    AttendeeRole,
    Meeting,
    MeetingInput,
)
from toda_desktop.formatting import format_date
from ui.cases.widgets import (
    ColumnSpec,
    DateField,
    FieldSpec,
    RowsEditor,
    SheetGrid,
    from_qdate,
    muted,
    sheet_title,
    to_qdate,
)

Payload = dict[str, Any]
Index = QModelIndex | QPersistentModelIndex

REVIEW_WEEKS = REVIEW_AFTER.days // 7  # the next review's default: six weeks (issue 14)

COMMON_FIELDS = (
    FieldSpec("profile", "本人の状況\n（長所・興味・関心、学習・健康の様子）", 5,
              "得意なこと・好きなこと、学習や健康の様子など"),
    FieldSpec("family", "家庭の状況\n（家族構成・生活の様子）", 4,
              "家族構成、家庭での様子、保護者との連絡の状況など"),
    FieldSpec("support_history", "これまでの支援の経過", 5,
              "いつ・誰が・どのような支援をしたか（関係機関との連携を含む）"),
)

YEAR_FIELDS = (
    FieldSpec("school_name", "学校名", 1),
    FieldSpec("grade", "学年・組", 1),
    FieldSpec("homeroom_teacher", "学級担任", 1),
    FieldSpec("situation", "本年度の状況\n（出欠・学習・生活）", 4),
    FieldSpec("goal", "支援の目標", 3),
    FieldSpec("plan", "支援の内容・方法\n（誰が・何を）", 4),
    FieldSpec("evaluation", "評価・引継ぎ事項", 3),
)

MEETING_FIELDS = (
    FieldSpec("child_wish", "本人の思い・願い", 3),
    FieldSpec("guardian_wish", "保護者の思い・願い", 3),
    FieldSpec("assessment", "アセスメント\n（見立て）", 4,
              "状況の背景や要因についての見立て"),
    FieldSpec("strengths", "本人・家庭の強み", 3,
              "本人の得意なこと、支えになっている人や場所など"),
    FieldSpec("long_goal", "長期目標", 2),
    FieldSpec("short_goal", "短期目標", 2),
)

MEETING_TYPES = ("ケース会議", "校内支援委員会", "支援検討会", "関係機関との連携会議")
ATTENDEE_ROLES = tuple(r.value for r in AttendeeRole)
ACTION_STATUSES = {s.value: s.label for s in ActionStatus if s is not ActionStatus.WITHDRAWN}
STATUS_LABELS = {s.value: s.label for s in ActionStatus}  # a saved record shows 取り下げ too
ATTENDEE_COLUMNS = (
    ColumnSpec("name", "氏名", 200),
    ColumnSpec("role", "役割", 220, ATTENDEE_ROLES),
    ColumnSpec("organisation", "所属・機関名", 0),
)
ACTION_COLUMNS = (
    ColumnSpec("what", "支援の内容（何を）", 0),
    ColumnSpec("owner", "担当（誰が）", 160),
    ColumnSpec("due", "期限（いつまでに）", 170),
    ColumnSpec("status", "状況", 100, tuple(ACTION_STATUSES.values())),
)


def status_key(text: str) -> str:
    """The service's action status for a label (an unknown label counts as 予定)."""
    for key, label in STATUS_LABELS.items():
        if label == text:
            return key
    return text if text in STATUS_LABELS else "planned"


def role_of(text: str) -> AttendeeRole:
    """The attendee role for the text in the list (free text counts as その他)."""
    for role in AttendeeRole:
        if text in (role.value, role.label):
            return role
    return AttendeeRole.OTHER


def meeting_payload(meeting: Meeting) -> Payload:
    """A saved meeting as the form's payload (to show it, or to change it)."""
    return {
        "held_on": meeting.held_on.isoformat(), "meeting_type": meeting.meeting_type,
        "attendees": [{"name": a.name, "role": a.role.value, "organisation": a.organisation}
                      for a in meeting.attendees],
        "child_wish": meeting.child_wish, "guardian_wish": meeting.guardian_wish,
        "assessment": meeting.assessment, "strengths": meeting.strengths,
        "long_goal": meeting.long_goal, "short_goal": meeting.short_goal,
        "actions": [{"what": a.what, "owner": a.owner,
                     "due": a.due.isoformat() if a.due else "", "status": a.status.value}
                    for a in meeting.actions],  # (withdrawn ones shown as such, never sent)
        "next_review": meeting.next_review.isoformat() if meeting.next_review else "",
    }


def meeting_input(payload: Payload) -> MeetingInput:
    """The form's payload as the service's input."""
    held = parse_iso(str(payload.get("held_on") or ""))
    assert held is not None
    attendees = []
    for a in payload.get("attendees") or ():
        role = role_of(str(a.get("role") or ""))
        organisation = str(a.get("organisation") or "")
        if role is AttendeeRole.OTHER and not organisation and a.get("role"):
            organisation = str(a.get("role"))
        attendees.append(Attendee(str(a.get("name") or ""), role, organisation))
    actions = tuple(
        ActionInput(str(a["what"]), str(a.get("owner") or ""),
                    parse_iso(str(a.get("due") or "")), ActionStatus(a.get("status") or
                                                                    "planned"))
        for a in payload.get("actions") or () if a.get("status") != ActionStatus.WITHDRAWN)
    def text(key: str) -> str:
        return str(payload.get(key) or "")

    return MeetingInput(
        held_on=held, meeting_type=text("meeting_type") or MEETING_TYPES[0],
        attendees=tuple(attendees), child_wish=text("child_wish"),
        guardian_wish=text("guardian_wish"), assessment=text("assessment"),
        strengths=text("strengths"), long_goal=text("long_goal"), short_goal=text("short_goal"),
        next_review=parse_iso(text("next_review")), actions=actions)


def parse_iso(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


class CommonSheetForm(QWidget):
    """共通シート: the child, the family, the support so far (one per case)."""

    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(sheet_title("児童生徒理解・支援シート（共通シート）"))
        self.grid = SheetGrid(COMMON_FIELDS)
        self.grid.edited.connect(self.edited)
        layout.addWidget(self.grid)
        layout.addStretch(1)

    def payload(self) -> Payload:
        return dict(self.grid.values())

    def set_payload(self, values: Payload) -> None:
        self.grid.set_values({k: str(v or "") for k, v in values.items()})

    def set_read_only(self, read_only: bool) -> None:
        self.grid.set_read_only(read_only)


class YearSheetForm(QWidget):
    """学年別シート: one school year's situation, goal, plan and evaluation."""

    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = sheet_title("児童生徒理解・支援シート（学年別シート）")
        layout.addWidget(self.title)
        self.grid = SheetGrid(YEAR_FIELDS)
        self.grid.edited.connect(self.edited)
        layout.addWidget(self.grid)
        layout.addStretch(1)
        self.school_year: int | None = None

    def payload(self) -> Payload:
        return {"school_year": self.school_year, **self.grid.values()}

    def set_payload(self, values: Payload) -> None:
        year = values.get("school_year")
        self.school_year = int(year) if year is not None else None
        self.grid.set_values({k: str(v or "") for k, v in values.items()
                              if k != "school_year"})

    def set_read_only(self, read_only: bool) -> None:
        self.grid.set_read_only(read_only)


class DueDateDelegate(QStyledItemDelegate):
    """期限 as a calendar entry; kept as an ISO day, shown in the user's date style."""

    def __init__(self, date_style: DateStyle, default: date, parent: QWidget | None = None
                 ) -> None:
        super().__init__(parent)
        self._style = date_style
        self.default = default

    def displayText(self, value: Any, _locale: Any) -> str:
        day = parse_iso(str(value or ""))
        return format_date(day, self._style) if day is not None else str(value or "")

    def createEditor(self, parent: QWidget, _option: QStyleOptionViewItem,
                     _index: Index) -> QWidget:
        edit = QDateEdit(parent)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy/MM/dd")
        return edit

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        assert isinstance(editor, QDateEdit)
        day = parse_iso(str(index.data() or "")) or self.default
        editor.setDate(to_qdate(day))

    def setModelData(self, editor: QWidget, model: Any, index: Index) -> None:
        assert isinstance(editor, QDateEdit)
        day: QDate = editor.date()
        model.setData(index, from_qdate(day).isoformat())


class MeetingForm(QWidget):
    """ケース会議・検討会等記録シート: date, attendees and their roles, wishes, assessment with
    strengths, goals, the agreed actions (what, who, by when, status), the next review."""

    edited = Signal()

    def __init__(self, date_style: DateStyle, today: date,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._style = date_style
        self._review_touched = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(sheet_title("ケース会議・検討会等記録シート"))
        head = QGridLayout()
        head.setHorizontalSpacing(10)
        self.held_on = DateField(today, date_style, accessible_name="実施日")
        self.meeting_type = QComboBox()
        self.meeting_type.setEditable(True)
        self.meeting_type.addItems(MEETING_TYPES)
        self.meeting_type.setAccessibleName("会議の種類")
        self.next_review = DateField(today + timedelta(weeks=REVIEW_WEEKS), date_style,
                                     accessible_name="次回の見直し日")
        head.addWidget(QLabel("実施日"), 0, 0)
        head.addWidget(self.held_on, 0, 1)
        head.addWidget(QLabel("会議の種類"), 0, 2)
        head.addWidget(self.meeting_type, 0, 3)
        head.setColumnStretch(1, 1)
        head.setColumnStretch(3, 1)
        layout.addLayout(head)
        self.attendees_title = QLabel("<b>参加者</b>（氏名と役割。行を追加して入力します）")
        layout.addWidget(self.attendees_title)
        self.attendees = RowsEditor(ATTENDEE_COLUMNS, "参加者", add_text="参加者を追加",
                                    visible_rows=4)
        layout.addWidget(self.attendees)
        self.grid = SheetGrid(MEETING_FIELDS)
        layout.addWidget(self.grid)
        layout.addWidget(QLabel("<b>具体的な支援</b>（誰が・何を・いつまでに）"))
        self.review_hint = muted(f"会議の{REVIEW_WEEKS}週間後を初めに入れています。")
        self.action_rows = RowsEditor(ACTION_COLUMNS, "具体的な支援", add_text="支援を追加",
                                  visible_rows=4)
        self.due_delegate = DueDateDelegate(date_style, today + timedelta(weeks=REVIEW_WEEKS),
                                            self)
        self.action_rows.table.setItemDelegateForColumn(2, self.due_delegate)
        layout.addWidget(self.action_rows)
        review = QGridLayout()
        review.addWidget(QLabel("<b>次回の見直し日</b>"), 0, 0)
        review.addWidget(self.next_review, 0, 1)
        review.addWidget(self.review_hint, 0, 2)
        review.setColumnStretch(2, 1)
        layout.addLayout(review)
        layout.addStretch(1)
        for source in (self.attendees, self.grid, self.action_rows):
            source.edited.connect(self.edited)
        self.held_on.edited.connect(self._held_changed)
        self.next_review.edited.connect(self._review_changed)
        self.meeting_type.currentTextChanged.connect(lambda _t: self.edited.emit())

    def _held_changed(self) -> None:
        if not self._review_touched:  # the default follows the meeting's date
            self.next_review.set_day(self.held_on.day() + timedelta(weeks=REVIEW_WEEKS))
            self.due_delegate.default = self.next_review.day()
        self.edited.emit()

    def _review_changed(self) -> None:
        self._review_touched = True
        self.due_delegate.default = self.next_review.day()
        self.edited.emit()

    def payload(self) -> Payload:
        actions = []
        for row in self.action_rows.rows():
            actions.append({"what": row["what"], "owner": row["owner"],
                            "due": row["due"] or None, "status": status_key(row["status"])})
        return {
            "held_on": self.held_on.day().isoformat(),
            "meeting_type": self.meeting_type.currentText().strip() or MEETING_TYPES[0],
            "attendees": self.attendees.rows(),
            **self.grid.values(),
            "actions": actions,
            "next_review": self.next_review.day().isoformat(),
        }

    def set_payload(self, values: Payload) -> None:
        self._review_touched = False
        blocked = self.meeting_type.blockSignals(True)
        held = parse_iso(str(values.get("held_on") or ""))
        if held is not None:
            self.held_on.set_day(held)
        self.meeting_type.setCurrentText(str(values.get("meeting_type") or MEETING_TYPES[0]))
        self.meeting_type.blockSignals(blocked)
        self.attendees.set_rows([{k: str(v or "") for k, v in a.items()}
                                 for a in values.get("attendees") or ()])
        self.grid.set_values({k: str(values.get(k) or "") for k in self.grid.entries})
        self.action_rows.set_rows([
            {"what": str(a.get("what") or ""), "owner": str(a.get("owner") or ""),
             "due": str(a.get("due") or ""),
             "status": STATUS_LABELS.get(str(a.get("status") or ""),
                                        ActionStatus.PLANNED.label)}
            for a in values.get("actions") or ()])
        review = parse_iso(str(values.get("next_review") or ""))
        self._review_touched = review is not None
        self.next_review.set_day(review or self.held_on.day() + timedelta(weeks=REVIEW_WEEKS))
        self.due_delegate.default = self.next_review.day()

    def problem(self) -> str | None:
        """What keeps the record from being saved (None: it can be)."""
        payload = self.payload()
        if not payload["attendees"]:
            return "参加者を1人以上入力してください。"
        if any(not a["name"] for a in payload["attendees"]):
            return "氏名が空の参加者の行があります。氏名を入力するか、その行を削除してください。"
        if any(not a["what"] for a in payload["actions"]):
            return "支援の内容が空の行があります。内容を入力するか、その行を削除してください。"
        if self.next_review.day() <= self.held_on.day():
            return "次回の見直し日は、会議の実施日より後の日にしてください。"
        return None

    def set_read_only(self, read_only: bool) -> None:
        self.attendees_title.setText("<b>参加者</b>" if read_only else
                                     "<b>参加者</b>（氏名と役割。行を追加して入力します）")
        self.review_hint.setVisible(not read_only)
        self.held_on.set_read_only(read_only)
        self.next_review.set_read_only(read_only)
        self.meeting_type.setEnabled(not read_only)
        self.attendees.set_read_only(read_only)
        self.action_rows.set_read_only(read_only)
        self.grid.set_read_only(read_only)


def labelled_rows(rows: Sequence[tuple[str, str]]) -> QWidget:
    """A read-only two-column block of 項目 / 内容 (the printed look of a saved record)."""
    box = QWidget()
    grid = QGridLayout(box)
    grid.setContentsMargins(0, 0, 0, 0)
    for n, (label, value) in enumerate(rows):
        key = QLabel(label)
        key.setStyleSheet("font-weight: bold;")
        key.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        text = QLabel(value or "—")
        text.setWordWrap(True)
        text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        grid.addWidget(key, n, 0)
        grid.addWidget(text, n, 1)
    grid.setColumnStretch(1, 1)
    return box
