"""ケース会議記録: the case's meetings on the left, the chosen record (or a new one) on the
right, laid out as the ケース会議・検討会等記録シート. A saved record is shown read-only; a
role with ``case_edit`` may 修正 it (every changed field enters the history), add an action
to it, or withdraw it with a reason (it stays listed, greyed, marked 取り下げ)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from kernel.date_style import DateStyle
from toda_desktop.cases.model import ActionStatus, Meeting, RecordStatus
from toda_desktop.formatting import format_date
from ui import style
from ui.cases.forms import MeetingForm, meeting_payload
from ui.cases.widgets import muted

NEW = -1  # the list item of a new record
WITHDRAWN_CSS = ("background: #f1f1f1; border: 1px solid #b9b9b9; border-radius: 4px;"
                 " padding: 6px 8px; color: #444;")


def meeting_title(meeting: Meeting, date_style: DateStyle) -> str:
    state = ("取り下げ" if meeting.status is RecordStatus.WITHDRAWN
             else "見直し済み" if meeting.review is not None else
             f"見直し {format_date(meeting.next_review, date_style)}" if meeting.next_review
             else "")
    return f"{format_date(meeting.held_on, date_style)}　{meeting.meeting_type}" + (
        f"\n（{state}）" if state else "")


class MeetingsTab(QWidget):
    """The list of meetings and the record sheet; ``save_requested(meeting_id or NEW)``."""

    save_requested = Signal(int)
    status_requested = Signal(object)  # Meeting: change one of its actions' status
    add_action_requested = Signal(object)  # Meeting: one more action for it
    withdraw_requested = Signal(object)  # Meeting: withdraw its record (reason asked)
    editing_changed = Signal()

    def __init__(self, date_style: DateStyle, today: date, *, may_edit: bool,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._style = date_style
        self._may_edit = may_edit
        self._today = today
        self.meetings: list[Meeting] = []
        self.editing: int | None = None  # NEW, a meeting id being changed, or None (reading)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        heading = QLabel("会議の記録")
        heading.setStyleSheet(style.SECTION_TITLE)
        left_layout.addWidget(heading)
        self.list = QListWidget()
        self.list.setAccessibleName("会議の記録の一覧")
        self.list.setWordWrap(True)
        self.list.setSpacing(2)
        self.list.currentItemChanged.connect(self._chosen)
        left_layout.addWidget(self.list, 1)
        self.new_button = QPushButton("新しい会議を記録する")
        self.new_button.clicked.connect(self.start_new)
        self.new_button.setVisible(may_edit)
        left_layout.addWidget(self.new_button)
        left.setMinimumWidth(230)
        splitter.addWidget(left)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(8, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.form = MeetingForm(date_style, today)
        scroll.setWidget(self.form)
        self.form_area = scroll
        self.empty_label = muted("会議の記録はまだありません。"
                                 + ("「新しい会議を記録する」から入力します。" if may_edit else ""))
        right_layout.addWidget(self.empty_label)
        self.withdrawn_label = QLabel("")
        self.withdrawn_label.setWordWrap(True)
        self.withdrawn_label.setStyleSheet(WITHDRAWN_CSS)
        self.withdrawn_label.setAccessibleName("取り下げの表示")
        self.withdrawn_label.hide()
        right_layout.addWidget(self.withdrawn_label)
        right_layout.addWidget(scroll, 1)
        buttons = QHBoxLayout()
        self.mode_label = QLabel("")
        self.mode_label.setStyleSheet(style.MUTED)
        buttons.addWidget(self.mode_label, 1)
        self.status_button = QPushButton("支援の状況を変える…")
        self.status_button.setToolTip("会議で決めた支援を「実施中」「完了」などに進めます")
        self.status_button.clicked.connect(self._status)
        self.add_action_button = QPushButton("支援を追加…")
        self.add_action_button.setToolTip("この会議で決めた支援に、内容・担当・期限を1件追加します")
        self.add_action_button.clicked.connect(self._add_action)
        self.withdraw_button = QPushButton("取り下げる…")
        self.withdraw_button.setToolTip("誤って記録した会議の記録を、理由を添えて取り下げます"
                                        "（削除はされません）")
        self.withdraw_button.clicked.connect(self._withdraw)
        self.change_button = QPushButton("この記録を修正する")
        self.change_button.clicked.connect(self.start_change)
        self.cancel_button = QPushButton("入力をやめる")
        self.cancel_button.clicked.connect(self.cancel)
        self.save_button = QPushButton("会議の記録を保存")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self._save)
        for button in (self.withdraw_button, self.status_button, self.add_action_button,
                       self.change_button, self.cancel_button, self.save_button):
            buttons.addWidget(button)
        right_layout.addLayout(buttons)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([260, 1000])
        layout.addWidget(splitter)
        self._set_mode(None)

    # -- the list --------------------------------------------------------------------------

    def show_meetings(self, meetings: Sequence[Meeting], *, select: int | None = None) -> None:
        self.meetings = sorted(meetings, key=lambda m: (m.held_on, m.id), reverse=True)
        keep = select
        if keep is None and self.editing is None:
            current = self.current_meeting()
            keep = current.id if current is not None else None
        self.list.blockSignals(True)
        self.list.clear()
        for m in self.meetings:
            item = QListWidgetItem(meeting_title(m, self._style))
            item.setData(Qt.ItemDataRole.UserRole, m.id)
            if m.status is RecordStatus.WITHDRAWN:
                item.setForeground(Qt.GlobalColor.gray)
            self.list.addItem(item)
        self.list.blockSignals(False)
        if self.editing is NEW:
            self._add_new_item()
            return
        if self.editing is not None:
            return
        row = next((n for n, m in enumerate(self.meetings) if m.id == keep), 0)
        if self.meetings:
            self.list.setCurrentRow(row)
        else:
            self._set_mode(None)

    def _add_new_item(self) -> None:
        item = QListWidgetItem("（新しい会議の記録）")
        item.setData(Qt.ItemDataRole.UserRole, NEW)
        self.list.blockSignals(True)
        self.list.insertItem(0, item)
        self.list.setCurrentItem(item)
        self.list.blockSignals(False)

    def current_meeting(self) -> Meeting | None:
        item = self.list.currentItem()
        meeting_id = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return next((m for m in self.meetings if m.id == meeting_id), None)

    def _chosen(self, item: QListWidgetItem | None, _previous: object = None) -> None:
        if item is None:
            return
        meeting_id = item.data(Qt.ItemDataRole.UserRole)
        if meeting_id == NEW:
            return
        if self.editing is not None:  # leaving a form: its draft is kept by the timer
            self.editing = None
            self.show_meetings(self.meetings, select=meeting_id)
        meeting = self.current_meeting()
        if meeting is not None:
            self.form.set_payload(meeting_payload(meeting))
            self._set_mode(None)

    # -- modes -----------------------------------------------------------------------------

    def _set_mode(self, editing: int | None) -> None:
        self.editing = editing
        reading = editing is None
        meeting = self.current_meeting()
        has_record = editing is not None or meeting is not None
        self.empty_label.setVisible(not has_record)
        self.form_area.setVisible(has_record)
        self.form.set_read_only(reading)
        if editing is not None and editing != NEW:
            self.form.action_rows.set_read_only(True)  # actions change one by one, not here
        self.save_button.setVisible(not reading)
        self.cancel_button.setVisible(not reading)
        self.change_button.setVisible(
            reading and self._may_edit and meeting is not None
            and meeting.status is RecordStatus.RECORDED)
        editable = self.change_button.isVisibleTo(self)
        self.status_button.setVisible(editable and meeting is not None and any(
            a.status is not ActionStatus.WITHDRAWN for a in meeting.actions))
        self.add_action_button.setVisible(editable)
        self.withdraw_button.setVisible(editable)
        withdrawn = (reading and meeting is not None
                     and meeting.status is RecordStatus.WITHDRAWN)
        self.withdrawn_label.setVisible(withdrawn)
        if withdrawn and meeting is not None:
            self.withdrawn_label.setText(
                f"この会議の記録は取り下げられています。理由: {meeting.status_reason or '—'}"
                "（いつ・誰が取り下げたかは「変更履歴」に残っています）")
        self.new_button.setEnabled(reading)
        if editing == NEW:
            self.mode_label.setText("新しい会議の記録を入力しています（入力中の内容は自動で"
                                    "下書き保存されます）。")
        elif editing is not None:
            self.mode_label.setText("記録を修正しています。保存すると、変えた項目が変更履歴に"
                                    "残ります。")
        elif meeting is not None:
            self.mode_label.setText(f"記録者: {meeting.created_by}")
        else:
            self.mode_label.setText("")
        self.editing_changed.emit()

    def start_new(self, payload: dict[str, object] | None = None) -> None:
        self._add_new_item()
        if payload:
            self.form.set_payload(dict(payload))
        else:
            self.form.set_payload({"held_on": self._today.isoformat()})
        self._set_mode(NEW)
        self.form.held_on.edit.setFocus()

    def start_change(self, payload: dict[str, object] | None = None) -> None:
        meeting = self.current_meeting()
        if meeting is None:
            return
        self._set_mode(meeting.id)
        if payload:
            self.form.set_payload(dict(payload))

    def cancel(self) -> None:
        self.editing = None
        self.show_meetings(self.meetings)
        self._set_mode(None)
        meeting = self.current_meeting()
        if meeting is not None:
            self.form.set_payload(meeting_payload(meeting))

    def _add_action(self) -> None:
        meeting = self.current_meeting()
        if meeting is not None:
            self.add_action_requested.emit(meeting)

    def _withdraw(self) -> None:
        meeting = self.current_meeting()
        if meeting is not None:
            self.withdraw_requested.emit(meeting)

    def _status(self) -> None:
        meeting = self.current_meeting()
        if meeting is not None:
            self.status_requested.emit(meeting)

    def _save(self) -> None:
        if self.editing is not None:
            self.save_requested.emit(self.editing)

    def saved(self, meetings: Sequence[Meeting], meeting_id: int) -> None:
        self.editing = None
        self.show_meetings(meetings, select=meeting_id)
        self._set_mode(None)

    def set_busy(self, busy: bool) -> None:
        self.save_button.setEnabled(not busy)
        self.cancel_button.setEnabled(not busy)

