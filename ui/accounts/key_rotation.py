"""データの鍵の更新: a key holder renews the keys it holds, e.g. when a leak is suspected.

Opened from the アカウント管理 page (「データの鍵の更新…」). Lists the data keys the signed-in
administrator holds (words, generation, how many accounts hold each; no names), asks the
reason and for a confirmation, and renews the chosen keys on the worker with progress (a
group's file is written anew under the new key, which can take a while for a large group).
Other sessions are asked to sign in again by the services themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from toda_desktop.accounts.key_rotation import REASONS
from ui import style
from ui.background import BackgroundOp, BackgroundRunner, TaskContext, alive
from ui.dialogs import confirm

if TYPE_CHECKING:
    from toda_desktop.accounts.key_rotation import KeyGroupState, KeyRotationService

HEADERS = ("更新する", "データの鍵", "世代", "持っている人数", "状態")
INTRO = ("漏えいの疑いがあるときなどに、あなたが持っているデータの鍵を新しくします。"
         "更新すると、古い鍵や、持ち出された鍵ファイル・データの写しでは、"
         "今後の記録を開けなくなります。")
OTHERS = ("更新のあと、ほかの画面やパソコンでサインインしている人は、"
          "もう一度サインインが必要です。できれば、ほかの人がサインアウトしてから行ってください。")
NONE_HELD = ("あなたが持っているデータの鍵はありません。データの鍵の更新は、"
             "その鍵を持つ職員（事業全体総括職員など）に依頼してください。")


class KeyRotationDialog(QDialog):
    """The held keys with a check box each, the reason, and 「鍵を更新」."""

    def __init__(self, service: KeyRotationService, runner: BackgroundRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._runner = runner
        self._states: list[KeyGroupState] = []
        self.op: BackgroundOp[tuple[str, ...]] | None = None
        self.confirmation: QMessageBox | None = None
        self.renewed: tuple[str, ...] = ()
        self._outcome_shown = False  # a renewal's outcome stays on the line after the reload
        self.setWindowTitle("データの鍵の更新")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setMinimumWidth(620)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(10)
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        others = QLabel(OTHERS)
        others.setWordWrap(True)
        others.setStyleSheet(style.MUTED)
        layout.addWidget(others)

        self.table = QTableWidget(0, len(HEADERS))
        self.table.setAccessibleName("あなたが持っているデータの鍵の一覧")
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.itemChanged.connect(lambda _item: self._update_buttons())
        layout.addWidget(self.table)
        self.none_label = QLabel(NONE_HELD)
        self.none_label.setWordWrap(True)
        self.none_label.hide()
        layout.addWidget(self.none_label)

        self.reason_row = QWidget()
        form = QFormLayout(self.reason_row)
        form.setContentsMargins(0, 4, 0, 0)
        self.reason_combo = QComboBox()
        for code, label in REASONS.items():
            self.reason_combo.addItem(label, code)
        self.reason_combo.setAccessibleName("更新の理由")
        form.addRow("理由", self.reason_combo)
        layout.addWidget(self.reason_row)

        self.status_label = QLabel("データの鍵の一覧を読み込んでいます…")
        self.status_label.setWordWrap(True)
        self.status_label.setStyleSheet(style.MUTED)
        layout.addWidget(self.status_label)

        layout.addStretch(1)  # (extra height goes below the text, not between the lines)
        buttons = QHBoxLayout()
        self.rotate_button = QPushButton("鍵を更新")
        self.rotate_button.setToolTip("選んだデータの鍵を新しくします。")
        self.rotate_button.setDefault(True)
        self.rotate_button.clicked.connect(self.ask)
        self.close_button = QPushButton("閉じる")
        self.close_button.clicked.connect(self.reject)
        buttons.addStretch(1)
        buttons.addWidget(self.rotate_button)
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)
        self._update_buttons()

    # -- loading ----------------------------------------------------------------------------

    def load(self) -> None:
        service = self._service

        def shown(states: list[KeyGroupState]) -> None:
            if alive(self):
                self.show_states(states)

        def refused(message: str) -> None:
            if alive(self):
                self._say(message, error=True)

        self._runner.run(lambda _ctx: service.key_groups(), on_success=shown, parent=self,
                         label="データの鍵の一覧を読み込んでいます…", on_user_error=refused)

    def show_states(self, states: Sequence[KeyGroupState]) -> None:
        """List the held keys (the others are not this user's to renew)."""
        self._states = [s for s in states if s.held]
        self.table.blockSignals(True)
        self.table.setRowCount(len(self._states))
        for row, state in enumerate(self._states):
            check = QTableWidgetItem()
            check.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
            check.setCheckState(Qt.CheckState.Unchecked)
            check.setData(Qt.ItemDataRole.AccessibleTextRole, f"{state.label}を更新する")
            self.table.setItem(row, 0, check)
            cells = (state.label, f"第{state.generation}世代", f"{state.holders}人",
                     "更新待ち" if state.due else "")
            for column, text in enumerate(cells, start=1):
                item = QTableWidgetItem(text)
                if column in (2, 3):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
        self.table.blockSignals(False)
        rows = sum(self.table.rowHeight(r) for r in range(self.table.rowCount()))
        self.table.setMinimumHeight(min(300, self.table.horizontalHeader().height() + rows + 4))
        self.table.setVisible(bool(self._states))
        self.reason_row.setVisible(bool(self._states))
        self.none_label.setVisible(not self._states)
        if not self._states:
            self.table.setMinimumHeight(0)
        layout = self.layout()
        if layout is not None:
            layout.activate()
        self.adjustSize()
        if not self._outcome_shown:
            self._say("更新する鍵を選んでください。" if self._states else "")
        self._update_buttons()

    # -- choosing and renewing ----------------------------------------------------------------

    def set_checked(self, group: str, checked: bool = True) -> None:
        for row, state in enumerate(self._states):
            if state.group == group:
                item = self.table.item(row, 0)
                if item is not None:
                    item.setCheckState(
                        Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    def chosen(self) -> list[KeyGroupState]:
        chosen = []
        for row, state in enumerate(self._states):
            item = self.table.item(row, 0)
            if item is not None and item.checkState() == Qt.CheckState.Checked:
                chosen.append(state)
        return chosen

    def _update_buttons(self) -> None:
        running = self.op is not None
        self.rotate_button.setEnabled(bool(self.chosen()) and not running)
        self.reason_combo.setEnabled(bool(self._states) and not running)
        self.table.setEnabled(not running)
        self.close_button.setEnabled(not running)

    def ask(self) -> None:
        """Confirm first: everyone else signed in must sign in again afterwards."""
        chosen = self.chosen()
        if not chosen or self.op is not None:
            return
        names = "、".join(s.label for s in chosen)
        self.confirmation = confirm(
            self, "データの鍵の更新",
            f"次のデータの鍵を更新しますか？\n{names}\n理由: {self.reason_combo.currentText()}",
            self.start, yes_text="鍵を更新",
            informative=OTHERS + "更新したことは監査ログに記録されます。")

    def start(self) -> None:
        groups = [s.group for s in self.chosen()]
        reason = str(self.reason_combo.currentData())
        service = self._service

        def work(ctx: TaskContext) -> tuple[str, ...]:
            return service.rotate(groups, reason, progress=ctx.progress, cancel=ctx.cancelled)

        def done(renewed: tuple[str, ...]) -> None:
            if alive(self):
                self.renewed = renewed
                self._say(f"データの鍵を更新しました: {'、'.join(renewed)}。"
                          "ほかの画面やパソコンでサインインしている人は、"
                          "もう一度サインインが必要です。", notice=True)
                self._outcome_shown = True
                self.load()

        def refused(message: str) -> None:
            if alive(self):
                self._say(message, error=True)
                self._outcome_shown = True
                self.load()

        def ended() -> None:
            if alive(self):
                self.op = None
                self._update_buttons()

        self.op = self._runner.run(
            work, on_success=done, parent=self, label="データの鍵を更新しています…",
            cancellable=True, on_user_error=refused, writes=True)
        self.op.finished.connect(ended)
        self._say("データの鍵を更新しています…")
        self._update_buttons()

    def _say(self, text: str, *, error: bool = False, notice: bool = False) -> None:
        self.status_label.setText(text)
        self.status_label.setStyleSheet(
            style.ERROR_TEXT if error else style.NOTICE_TEXT if notice else style.MUTED)
        self.status_label.setVisible(bool(text))


def open_key_rotation_dialog(parent: QWidget, service: KeyRotationService,
                             runner: BackgroundRunner) -> KeyRotationDialog:
    dialog = KeyRotationDialog(service, runner, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    dialog.load()
    return dialog


def key_rotation_row(parent: QWidget, service: KeyRotationService,
                     runner: BackgroundRunner) -> QWidget:
    """A line for the アカウント管理 page: what renewal is for, and 「データの鍵の更新…」."""
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 4, 0, 0)
    note = QLabel("漏えいの疑いがあるときなどは、あなたが持っているデータの鍵を更新できます。")
    note.setStyleSheet(style.MUTED)
    note.setWordWrap(True)
    button = QPushButton("データの鍵の更新…")
    button.clicked.connect(lambda: open_key_rotation_dialog(parent, service, runner))
    layout.addWidget(note, 1)
    layout.addWidget(button)
    return row
