"""見直し: at the review date, 「実施したか」 and 「効果があったか」 (both required) for the
meeting and for each of its actions, with what the data shows since the meeting beside them
— absence per month, health-room visits and survey rounds, before and after the meeting —
so the answer rests on the record.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFrame,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kernel.date_style import DateStyle
from toda_desktop.cases.model import (
    Action,
    ActionOutcome,
    ActionStatus,
    Done,
    Evidence,
    Meeting,
    Worked,
)
from toda_desktop.formatting import format_date, format_month, format_school_year
from ui import style
from ui.cases.widgets import DateField, muted, sheet_title

BEFORE, AFTER, MEETING_MONTH = "会議前", "会議後", "会議の月"


def _days(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}日"


def _count(value: int | None) -> str:
    return "—" if value is None else f"{value}回"


def evidence_summary(evidence: Evidence, date_style: DateStyle) -> list[str]:
    """The before/after lines written above the tables."""
    lines = [f"会議（{format_date(evidence.meeting_on, date_style)}）の前と後を比べています"
             f"（{format_date(evidence.as_of, date_style)}までのデータ）。"]
    if evidence.absence is not None:
        lines.append(f"欠席日数（1か月あたり）: 会議前3か月 {_days(evidence.absence_before)}"
                     f" → 会議後 {_days(evidence.absence_after)}")
    if evidence.health_before is not None or evidence.health_after is not None:
        lines.append(f"保健室の来室: 会議前 {_count(evidence.health_before)}"
                     f" → 会議後 {_count(evidence.health_after)}（同じ長さの期間）")
    return lines


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], name: str) -> QTableWidget:
    table = QTableWidget(len(rows), len(headers))
    table.setHorizontalHeaderLabels(list(headers))
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(24)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
    table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    table.setAccessibleName(name)
    for r, cells in enumerate(rows):
        for c, text in enumerate(cells):
            item = QTableWidgetItem(text)
            if c > 0 and text[:1].isdigit():
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(r, c, item)
    table.resizeColumnsToContents()
    table.horizontalHeader().setStretchLastSection(True)
    height = table.horizontalHeader().sizeHint().height() + 24 * max(len(rows), 1) + 4
    table.setFixedHeight(min(height, 24 * 9 + 30))
    return table


class EvidencePanel(QWidget):
    """What the data shows around the meeting (only the kinds the reader may see)."""

    def __init__(self, date_style: DateStyle, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._style = date_style
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.layout_.setSpacing(6)
        self.title = QLabel("会議後のデータ")
        self.title.setStyleSheet(style.SECTION_TITLE)
        self.layout_.addWidget(self.title)
        self.body = QWidget()
        self.layout_.addWidget(self.body)
        self.layout_.addStretch(1)
        self.show_message("見直す会議を選ぶと、会議の前と後のデータを表示します。")

    def _replace_body(self) -> QVBoxLayout:
        self.layout_.removeWidget(self.body)
        self.body.hide()  # at once (deleted at the event loop's next turn)
        self.body.deleteLater()
        self.body = QWidget()
        self.layout_.insertWidget(1, self.body)
        box = QVBoxLayout(self.body)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(6)
        return box

    def show_message(self, text: str) -> None:
        box = self._replace_body()
        box.addWidget(muted(text))
        self.body.show()  # with its content: children added later would show a turn late

    def show_evidence(self, evidence: Evidence) -> None:
        box = self._replace_body()
        for line in evidence_summary(evidence, self._style):
            label = QLabel(line)
            label.setWordWrap(True)
            box.addWidget(label)
        if evidence.absence is not None and not evidence.absence:
            box.addWidget(muted("この期間の出欠（月次）のデータはまだありません。"))
        if evidence.absence:
            peak = max((m.absence_days or 0 for m in evidence.absence), default=0)
            rows: list[tuple[str, ...]] = []
            for m in evidence.absence:
                days = m.absence_days
                bar = "■" * min(days or 0, 20) if peak else ""
                rows.append((format_month(m.month, self._style),
                             "—" if days is None else f"{days}日",
                             "—" if m.school_days is None else f"{m.school_days}日",
                             MEETING_MONTH if m.after is None else AFTER if m.after else BEFORE,
                             bar))
            box.addWidget(QLabel("<b>月ごとの欠席日数</b>"))
            box.addWidget(_table(("月", "欠席", "授業日数", "時期", ""), rows, "月ごとの欠席日数"))
        if evidence.surveys:
            rows = [(f"{s.survey_name}（{format_school_year(s.school_year, self._style)}"
                     f" 第{s.round}回）",
                     format_date(s.first_date, self._style) if s.first_date else "—",
                     "—" if s.positive_share is None else f"{s.positive_share:.0f}%",
                     AFTER if s.after else BEFORE) for s in evidence.surveys]
            box.addWidget(QLabel("<b>アンケート</b>（肯定的な回答の割合）"))
            box.addWidget(_table(("調査", "実施日", "肯定的な回答", "時期"), rows, "アンケート"))
        elif evidence.surveys is not None:
            box.addWidget(muted("この期間のアンケートの回答はありません。"))
        if evidence.withheld:
            box.addWidget(muted(evidence.withheld))
        self.body.show()


class ChoiceRow(QWidget):
    """One required question answered with radio buttons (「実施したか」「効果があったか」)."""

    chosen = Signal()

    def __init__(self, options: Sequence[tuple[str, str]], name: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QGridLayout(self)  # two to a row: fits beside the evidence at 1,366 px
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setHorizontalSpacing(16)
        self.group = QButtonGroup(self)
        self.buttons: dict[str, QRadioButton] = {}
        for n, (value, label) in enumerate(options):
            button = QRadioButton(label)
            button.setAccessibleName(f"{name}: {label}")
            self.group.addButton(button)
            self.buttons[value] = button
            layout.addWidget(button, n // 2, n % 2)
            button.toggled.connect(self._toggled)
        layout.setColumnStretch(2, 1)

    def _toggled(self, on: bool) -> None:
        if on:
            self.chosen.emit()

    def value(self) -> str | None:
        for value, button in self.buttons.items():
            if button.isChecked():
                return value
        return None

    def set_value(self, value: object) -> None:
        button = self.buttons.get(str(value)) if value else None
        if button is not None:
            button.setChecked(True)


class OutcomeRow(QFrame):
    """One action at the review: 「実施したか」 and 「効果があったか」 (both required), and a
    short note."""

    edited = Signal()

    def __init__(self, action: Action, date_style: DateStyle,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.action = action
        self.setObjectName("outcomeRow")
        self.setStyleSheet("QFrame#outcomeRow { background: white; border: 1px solid #c5cfd9;"
                           " border-radius: 4px; }")
        layout = QGridLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setHorizontalSpacing(8)
        layout.setVerticalSpacing(4)
        due = format_date(action.due, date_style) if action.due else "期限なし"
        title = QLabel(f"<b>{escape(action.what)}</b>　（担当: {escape(action.owner or '—')}、"
                       f"{due}、今の状況: {action.status.label}）")
        title.setWordWrap(True)
        layout.addWidget(title, 0, 0, 1, 4)
        self.done = _choice([(d.value, d.label) for d in Done], f"{action.what}: 実施したか")
        self.worked = _choice([(w.value, w.label) for w in Worked],
                              f"{action.what}: 効果があったか")
        self.note = QLineEdit()
        self.note.setAccessibleName(f"{action.what}: メモ")
        self.note.setPlaceholderText("メモ（任意）: 例: 週2回のうち1回は実施できた")
        layout.addWidget(QLabel("実施したか"), 1, 0)
        layout.addWidget(self.done, 1, 1)
        layout.addWidget(QLabel("効果があったか"), 1, 2)
        layout.addWidget(self.worked, 1, 3)
        layout.addWidget(self.note, 2, 0, 1, 4)
        layout.setColumnStretch(1, 1)
        layout.setColumnStretch(3, 1)
        self.done.currentIndexChanged.connect(lambda _i: self.edited.emit())
        self.worked.currentIndexChanged.connect(lambda _i: self.edited.emit())
        self.note.textChanged.connect(lambda _t: self.edited.emit())

    def value(self) -> dict[str, Any]:
        return {"action_id": self.action.id, "done": self.done.currentData(),
                "worked": self.worked.currentData(), "note": self.note.text()}

    def set_value(self, value: dict[str, Any]) -> None:
        for combo, key in ((self.done, "done"), (self.worked, "worked")):
            index = combo.findData(value.get(key)) if value.get(key) else 0
            combo.setCurrentIndex(max(index, 0))
        self.note.setText(str(value.get("note") or ""))

    def complete(self) -> bool:
        return self.done.currentData() is not None and self.worked.currentData() is not None


def _choice(options: Sequence[tuple[str, str]], name: str) -> QComboBox:
    combo = QComboBox()
    combo.setAccessibleName(name)
    combo.addItem("（選んでください）", None)
    for value, label in options:
        combo.addItem(label, value)
    combo.setMinimumWidth(150)
    return combo


class ReviewForm(QWidget):
    """The review of one meeting: date, the two required answers, what was seen."""

    edited = Signal()
    meeting_chosen = Signal(int)  # meeting id (the page reads its evidence)

    def __init__(self, date_style: DateStyle, today: date,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._style = date_style
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(sheet_title("支援の見直し"))
        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(8)
        self.meeting_combo = QComboBox()
        self.meeting_combo.setAccessibleName("見直す会議")
        self.meeting_combo.currentIndexChanged.connect(self._meeting_changed)
        self.reviewed_on = DateField(today, date_style, accessible_name="見直し日")
        self.done = ChoiceRow([(d.value, d.label) for d in Done], "実施したか")
        self.worked = ChoiceRow([(w.value, w.label) for w in Worked], "効果があったか")
        required = "<span style='color:#b3261e'>（必須）</span>"
        rows: list[tuple[str, QWidget]] = [
            ("見直す会議", self.meeting_combo), ("見直し日", self.reviewed_on),
            (f"<b>実施したか</b>{required}", self.done),
            (f"<b>効果があったか</b>{required}", self.worked),
        ]
        for n, (label, widget) in enumerate(rows):
            grid.addWidget(QLabel(label), n, 0, Qt.AlignmentFlag.AlignRight)
            grid.addWidget(widget, n, 1)
        grid.setColumnStretch(1, 1)
        layout.addLayout(grid)
        self.actions_box = QGroupBox("この会議で決めた支援（支援ごとに必須）")
        self.actions_layout = QVBoxLayout(self.actions_box)
        self.actions_layout.setSpacing(6)
        layout.addWidget(self.actions_box)
        self.outcome_rows: list[OutcomeRow] = []
        layout.addWidget(QLabel("<b>所見・次の方針</b>（データから分かったこと、次に行うこと）"))
        self.comment = QPlainTextEdit()
        self.comment.setAccessibleName("所見・次の方針")
        self.comment.setFixedHeight(110)
        layout.addWidget(self.comment)
        layout.addStretch(1)
        self.meetings: list[Meeting] = []
        self._loading = False
        for source in (self.done.chosen, self.worked.chosen, self.reviewed_on.edited):
            source.connect(self._edited)
        self.comment.textChanged.connect(self._edited)

    def _edited(self) -> None:
        if not self._loading:
            self.edited.emit()

    def set_meetings(self, meetings: Sequence[Meeting]) -> None:
        """The meetings still to be reviewed, the earliest review first."""
        self._loading = True
        try:
            self.meetings = sorted(meetings, key=lambda m: (m.next_review or m.held_on))
            self.meeting_combo.clear()
            for m in self.meetings:
                due = (f"（見直し予定 {format_date(m.next_review, self._style)}）"
                       if m.next_review else "")
                self.meeting_combo.addItem(
                    f"{format_date(m.held_on, self._style)}の{m.meeting_type}{due}", m.id)
        finally:
            self._loading = False
        self._meeting_changed()

    def meeting(self) -> Meeting | None:
        index = self.meeting_combo.currentIndex()
        return self.meetings[index] if 0 <= index < len(self.meetings) else None

    def select_meeting(self, meeting_id: int) -> None:
        index = self.meeting_combo.findData(meeting_id)
        if index >= 0:
            self.meeting_combo.setCurrentIndex(index)

    def _meeting_changed(self, *_args: Any) -> None:
        meeting = self.meeting()
        while self.actions_layout.count():
            item = self.actions_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.outcome_rows = []
        if meeting is None:
            self.actions_layout.addWidget(muted("見直す会議がありません。"))
            return
        asked = [a for a in meeting.actions if a.status is not ActionStatus.WITHDRAWN]
        if asked:
            self.actions_layout.addWidget(muted(
                "支援ごとに「実施したか」と「効果があったか」を選びます。右の「会議後の"
                "データ」を見ながら判断してください。"))
        for action in asked:
            row = OutcomeRow(action, self._style)
            row.edited.connect(self._edited)
            self.actions_layout.addWidget(row)
            self.outcome_rows.append(row)
        if not asked:
            self.actions_layout.addWidget(muted("この会議で決めた支援の記録はありません。"))
        if meeting.short_goal:
            goal = QLabel(f"短期目標: {meeting.short_goal}")
            goal.setWordWrap(True)
            self.actions_layout.addWidget(goal)
        if not self._loading:
            self.meeting_chosen.emit(meeting.id)

    def payload(self) -> dict[str, Any]:
        meeting = self.meeting()
        return {"meeting_id": meeting.id if meeting is not None else None,
                "reviewed_on": self.reviewed_on.day().isoformat(),
                "done": self.done.value(), "worked": self.worked.value(),
                "comment": self.comment.toPlainText(),
                "outcomes": [row.value() for row in self.outcome_rows]}

    def set_payload(self, values: dict[str, Any]) -> None:
        self._loading = True
        try:
            meeting_id = values.get("meeting_id")
            if isinstance(meeting_id, int):
                self.select_meeting(meeting_id)
            day = values.get("reviewed_on")
            if isinstance(day, str) and day:
                self.reviewed_on.set_day(date.fromisoformat(day))
            self.done.set_value(values.get("done"))
            self.worked.set_value(values.get("worked"))
            self.comment.setPlainText(str(values.get("comment") or ""))
            given = {o.get("action_id"): o for o in values.get("outcomes") or ()
                     if isinstance(o, dict)}
            for row in self.outcome_rows:
                row.set_value(given.get(row.action.id, {}))
        finally:
            self._loading = False

    def outcomes(self) -> tuple[ActionOutcome, ...]:
        return tuple(ActionOutcome(row.action.id, Done(row.done.currentData()),
                                   Worked(row.worked.currentData()), row.note.text().strip())
                     for row in self.outcome_rows if row.complete())

    def problem(self) -> str | None:
        if self.meeting() is None:
            return "見直す会議がありません。"
        if self.done.value() is None:
            return "会議全体について「実施したか」を選んでください。"
        if self.worked.value() is None:
            return "会議全体について「効果があったか」を選んでください。"
        missing = [row for row in self.outcome_rows if not row.complete()]
        if missing:
            return (f"支援「{missing[0].action.what}」の「実施したか」と「効果があったか」を"
                    "選んでください（支援ごとに必須です）。")
        return None

    def clear(self) -> None:
        self._loading = True
        try:
            for row in (self.done, self.worked):
                row.group.setExclusive(False)
                for button in row.buttons.values():
                    button.setChecked(False)
                row.group.setExclusive(True)
            self.comment.setPlainText("")
            for outcome in self.outcome_rows:
                outcome.set_value({})
        finally:
            self._loading = False
