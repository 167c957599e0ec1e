"""支援の状況を変える: one agreed action moves on (未着手 → 実施中 → 完了, or 中止), with a
note on why; 支援を追加: a further action for a saved meeting. The service keeps each change
in the case's history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLineEdit, QWidget

from kernel.date_style import DateStyle
from toda_desktop.cases.model import Action, ActionInput, ActionStatus
from toda_desktop.formatting import format_date
from ui.cases.widgets import DateField
from ui.dialogs import FormDialog

CHOICES = (ActionStatus.PLANNED, ActionStatus.IN_PROGRESS, ActionStatus.DONE,
           ActionStatus.STOPPED)


class ActionStatusDialog(FormDialog):
    """Which action, its new state, and a short note (required when it is stopped)."""

    def __init__(self, actions: Sequence[Action], date_style: DateStyle,
                 parent: QWidget | None = None) -> None:
        super().__init__("支援の状況を変える", "記録する", parent,
                         intro="会議で決めた支援の状況を記録します。変更は変更履歴に残ります。")
        self.choices = [a for a in actions if a.status is not ActionStatus.WITHDRAWN]
        self.action_combo = QComboBox()
        self.action_combo.setAccessibleName("支援")
        for a in self.choices:
            due = f"{format_date(a.due, date_style)}まで" if a.due else "期限なし"
            self.action_combo.addItem(f"{a.what}（{a.owner or '担当未定'}、{due}）", a.id)
        self.status_combo = QComboBox()
        self.status_combo.setAccessibleName("状況")
        for status in CHOICES:
            self.status_combo.addItem(status.label, status.value)
        self.reason_edit = QLineEdit()
        self.reason_edit.setAccessibleName("理由・メモ")
        self.reason_edit.setPlaceholderText("例: 10月から週2回実施している")
        self.form.addRow("支援", self.action_combo)
        self.form.addRow("状況", self.status_combo)
        self.form.addRow("理由・メモ", self.reason_edit)
        self.action_combo.currentIndexChanged.connect(self._action_changed)
        self._action_changed()

    def _action_changed(self, *_args: object) -> None:
        action = self.action()
        if action is not None:
            self.status_combo.setCurrentIndex(max(self.status_combo.findData(
                action.status.value), 0))

    def action(self) -> Action | None:
        index = self.action_combo.currentIndex()
        return self.choices[index] if 0 <= index < len(self.choices) else None

    def status(self) -> ActionStatus:
        return ActionStatus(self.status_combo.currentData())

    def reason(self) -> str:
        return self.reason_edit.text().strip()

    def change(self) -> tuple[int, ActionInput, str]:
        action = self.action()
        assert action is not None
        return action.id, ActionInput(action.what, action.owner, action.due,
                                      self.status()), self.reason()

    def problem(self) -> str | None:
        action = self.action()
        if action is None:
            return "状況を記録する支援がありません。"
        if action.status is self.status():
            return "今と同じ状況です。新しい状況を選んでください。"
        if self.status() is ActionStatus.STOPPED and not self.reason():
            return "中止する理由を入力してください。"
        return None


class AddActionDialog(FormDialog):
    """支援を追加: one more action for a saved meeting — what, who, by when (optional). The
    service writes each filled field to the case's history."""

    def __init__(self, meeting_text: str, date_style: DateStyle, default_due: date,
                 parent: QWidget | None = None) -> None:
        super().__init__("支援を追加する", "追加する", parent,
                         intro=f"{meeting_text}で決めた支援に、1件追加します。追加したことは"
                               "変更履歴に残ります（状況は「未着手」から始まります）。")
        self.what_edit = QLineEdit()
        self.what_edit.setAccessibleName("支援の内容")
        self.what_edit.setPlaceholderText("例: 週1回、放課後に担任が面談する")
        self.what_edit.setMinimumWidth(380)
        self.owner_edit = QLineEdit()
        self.owner_edit.setAccessibleName("担当")
        self.owner_edit.setPlaceholderText("例: 担任、SC、教頭")
        self.due_check = QCheckBox("期限を決める")
        self.due_check.setChecked(True)
        self.due_field = DateField(default_due, date_style, accessible_name="期限")
        self.due_check.toggled.connect(self.due_field.setEnabled)
        due_row = QWidget()
        due_layout = QHBoxLayout(due_row)
        due_layout.setContentsMargins(0, 0, 0, 0)
        due_layout.addWidget(self.due_check)
        due_layout.addWidget(self.due_field, 1)
        self.form.addRow("内容（何を）", self.what_edit)
        self.form.addRow("担当（誰が）", self.owner_edit)
        self.form.addRow("期限（いつまでに）", due_row)

    def action_input(self) -> ActionInput:
        due = self.due_field.day() if self.due_check.isChecked() else None
        return ActionInput(self.what_edit.text().strip(), self.owner_edit.text().strip(), due)

    def problem(self) -> str | None:
        if not self.what_edit.text().strip():
            return "支援の内容を入力してください。"
        return None
