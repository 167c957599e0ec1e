"""出力の承認 (管理, for the project lead): pending requests to write a bulk identifiable export,
approved or declined here; recent decisions; the list of purposes staff choose from; and the
number of pupils above which an export needs approval. The service checks the lead's right,
refuses a decision on one's own request and logs every step."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from kernel.date_style import DateStyle
from toda_desktop.export_purpose.model import MAX_NOTE
from toda_desktop.export_purpose.service import (
    MAX_THRESHOLD,
    ApprovalView,
    ExportPurposeService,
    PurposeRow,
)
from toda_desktop.formatting import format_count, format_datetime
from toda_desktop.staff import staff_label
from ui import style
from ui.background import BackgroundRunner
from ui.dialogs import FormDialog, confirm
from ui.page_header import PageHeader, StatusLine
from ui.page_task import PageTask
from ui.table_model import LinesTableModel, make_view

TITLE = "出力の承認"
STATUS_WORDS = {"pending": "承認待ち", "approved": "承認済み", "declined": "却下",
                "used": "使用済み"}


@dataclass(frozen=True)
class Loaded:
    pending: list[ApprovalView]
    decided: list[ApprovalView]
    purposes: list[PurposeRow]
    threshold: int
    identifiable_chiefs: list[str]


def upgrade_note(labels: list[str]) -> str:
    """For a map saved before 室長・課長・所長 were given aggregate exports only."""
    if not labels:
        return ""
    return (f"保存されている権限設定では、{'・'.join(labels)}に「出力」（児童生徒を特定できる"
            "ファイル）が与えられています。現在の標準は「集計の出力」だけです。必要がなければ"
            "「権限設定」で「出力」を「集計の出力」に変えてください。")


class _Lines(LinesTableModel[ApprovalView]):
    """A cell cut off by its column shows its whole text as a tooltip; numbers line up on
    the right, as on the other pages."""

    number_columns: tuple[int, ...] = ()

    def cell_data(self, line: ApprovalView, column: int, role: int) -> Any:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.cells(line)[column]
        if role == Qt.ItemDataRole.TextAlignmentRole and column in self.number_columns:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class PendingModel(_Lines):
    number_columns = (0, 4)

    def __init__(self, date_style: DateStyle) -> None:
        super().__init__(["番号", "依頼日時", "依頼者", "出力", "人数", "目的"])
        self._style = date_style

    def cells(self, line: ApprovalView) -> Sequence[Any]:
        return [line.id, format_datetime(line.requested_at, self._style),
                staff_label(line.requester),
                line.description, f"{format_count(line.pupils)}人", line.purpose]


class DecidedModel(_Lines):
    number_columns = (0, 6)

    def __init__(self, date_style: DateStyle) -> None:
        super().__init__(["番号", "状態", "判断日時", "判断者", "依頼者", "出力", "人数", "目的",
                          "判断の理由"])
        self._style = date_style

    def cells(self, line: ApprovalView) -> Sequence[Any]:
        status = STATUS_WORDS.get(line.status, line.status)
        if line.status == "used" and line.used_at is not None:
            status += f"（{format_datetime(line.used_at, self._style)}）"
        elif line.status == "approved" and line.valid_until is not None:
            status += f"（{format_datetime(line.valid_until, self._style)}まで）"
        return [line.id, status, format_datetime(line.decided_at, self._style),
                staff_label(line.decider) if line.decider else "—", staff_label(line.requester),
                line.description,
                f"{format_count(line.pupils)}人", line.purpose, line.note]


class DecisionDialog(FormDialog):
    """承認 or 却下 of one request, with an optional reason (kept in the log)."""

    def __init__(self, row: ApprovalView, approve: bool, parent: QWidget | None = None) -> None:
        verb = "承認" if approve else "却下"
        intro = (f"依頼番号 {row.id}（依頼者 {staff_label(row.requester)}）: {row.description}、"
                 f"{format_count(row.pupils)}人分、目的「{row.purpose}」。")
        intro += ("承認すると、依頼者は今日のうちに1回だけ、この出力ができます。" if approve
                  else "却下すると、この依頼では出力できません。")
        super().__init__(f"出力の{verb}", f"{verb}する", parent, intro)
        self.approve = approve
        self.note = QLineEdit()
        self.note.setMaxLength(MAX_NOTE)
        self.note.setAccessibleName("判断の理由")
        self.note.setPlaceholderText("任意（却下のときは理由を書くと依頼者に伝わります）")
        self.form.addRow("判断の理由", self.note)


class ExportApprovalsPage(QWidget):
    """The lead's page. Loads on first activation and after every change;
    ``pending_count`` tells the navigation's badge how many requests wait."""

    pending_count = Signal(int)

    def __init__(self, service: ExportPurposeService, runner: BackgroundRunner,
                 date_style: DateStyle, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._loaded = False
        self.dialog: DecisionDialog | None = None
        self.confirmation: QMessageBox | None = None
        self.purpose_rows: list[PurposeRow] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(8)
        header = PageHeader(TITLE)
        header.add_refresh(self.reload)
        layout.addLayout(header)
        note = QLabel("児童生徒を特定できる出力には、目的の記入が必要です。人数が多い出力は、"
                      "ここで承認されたものだけを、依頼者が承認の日のうちに1回だけ行えます。"
                      "判断はすべて監査ログに記録されます。ご自身の依頼は判断できません。")
        note.setWordWrap(True)
        note.setStyleSheet(style.MUTED)
        layout.addWidget(note)
        self.upgrade_label = QLabel("")
        self.upgrade_label.setWordWrap(True)
        self.upgrade_label.setStyleSheet(style.NOTICE_TEXT)
        self.upgrade_label.hide()
        layout.addWidget(self.upgrade_label)

        layout.addWidget(self._heading("承認待ちの依頼"))
        self.pending_model = PendingModel(date_style)
        self.pending_table = make_view(self.pending_model, "承認待ちの依頼",
                                       widths=(56, 180, 200, 300, 80), stretch=5)
        self.pending_table.selectionModel().selectionChanged.connect(self._update_buttons)
        layout.addWidget(self.pending_table, 2)
        decide = QHBoxLayout()
        self.empty_label = QLabel("")
        self.empty_label.setStyleSheet(style.MUTED)
        decide.addWidget(self.empty_label)
        decide.addStretch(1)
        self.decline_button = QPushButton("却下する…")
        self.approve_button = QPushButton("承認する…")
        self.decline_button.setToolTip("選んだ依頼を却下します。判断は監査ログに記録されます。")
        self.approve_button.setToolTip(
            "選んだ依頼を承認します。依頼者は承認の日のうちに1回だけ出力できます。")
        self.decline_button.clicked.connect(lambda: self.decide(approve=False))
        self.approve_button.clicked.connect(lambda: self.decide(approve=True))
        decide.addWidget(self.decline_button)
        decide.addWidget(self.approve_button)
        layout.addLayout(decide)

        layout.addWidget(self._heading("最近の判断"))
        self.decided_model = DecidedModel(date_style)
        self.decided_table = make_view(self.decided_model, "最近の判断",
                                       widths=(48, 160, 160, 180, 180, 150, 64, 140),
                                       stretch=8)
        layout.addWidget(self.decided_table, 2)

        layout.addWidget(self._heading("出力の目的の一覧と承認が必要な人数"))
        settings = QHBoxLayout()
        settings.setSpacing(16)
        purposes_box = QVBoxLayout()
        self.purpose_list = QListWidget()
        self.purpose_list.setAccessibleName("出力の目的の一覧")
        self.purpose_list.setMaximumHeight(130)
        self.purpose_list.currentRowChanged.connect(self._update_buttons)
        purposes_box.addWidget(self.purpose_list)
        add_row = QHBoxLayout()
        self.new_purpose = QLineEdit()
        self.new_purpose.setAccessibleName("追加する目的")
        self.new_purpose.setPlaceholderText("追加する目的（例: 就学相談の資料）")
        self.new_purpose.textChanged.connect(self._update_buttons)
        self.new_purpose.returnPressed.connect(self.add_purpose)
        self.add_button = QPushButton("追加")
        self.add_button.setToolTip("入力した目的を一覧に追加します。")
        self.add_button.clicked.connect(self.add_purpose)
        self.remove_button = QPushButton("選んだ目的を一覧から外す…")
        self.remove_button.clicked.connect(self.remove_purpose)
        add_row.addWidget(self.new_purpose, 1)
        add_row.addWidget(self.add_button)
        add_row.addWidget(self.remove_button)
        purposes_box.addLayout(add_row)
        other = QLabel("「その他」（自由記述）は一覧に関係なく、いつも選べます。")
        other.setStyleSheet(style.MUTED)
        purposes_box.addWidget(other)
        settings.addLayout(purposes_box, 3)
        threshold_box = QVBoxLayout()
        threshold_label = QLabel("次の人数を超える出力には承認が必要です")
        threshold_label.setWordWrap(True)
        self.threshold = QSpinBox()
        self.threshold.setRange(1, MAX_THRESHOLD)
        self.threshold.setSuffix(" 人")
        self.threshold.setGroupSeparatorShown(True)
        self.threshold.setAccessibleName("承認が必要な人数")
        self.threshold_button = QPushButton("人数を保存")
        self.threshold_button.clicked.connect(self.save_threshold)
        threshold_box.addWidget(threshold_label)
        threshold_box.addWidget(self.threshold)
        threshold_box.addWidget(self.threshold_button)
        threshold_box.addStretch(1)
        settings.addLayout(threshold_box, 1)
        layout.addLayout(settings)
        self.status_line = StatusLine()
        layout.addWidget(self.status_line)

        self.load_task = PageTask(self, runner, "出力の承認を読み込んでいます…",
                                  status=self.status_line, progress_dialog=False)
        self.count_task = PageTask(self, runner, "承認待ちの件数を数えています…",
                                   progress_dialog=False)
        self.change_task = PageTask(self, runner, "記録しています…", status=self.status_line,
                                    writes=True)
        for task in (self.load_task, self.change_task):
            task.ended.connect(self._update_buttons)
        self._update_buttons()

    @staticmethod
    def _heading(text: str) -> QLabel:
        label = QLabel(text)
        label.setStyleSheet(style.SECTION_TITLE)
        return label

    # -- loading ---------------------------------------------------------------------------

    def activated(self) -> None:
        if not self._loaded:
            self.reload()

    def count_pending(self) -> None:
        """Only the number (for the badge at sign-in, before the page is opened)."""
        pending = self._service.pending
        self.count_task.run(lambda _ctx: len(pending()), self.pending_count.emit)

    def reload(self) -> None:
        service = self._service
        self.load_task.run(lambda _ctx: Loaded(service.pending(), service.decided(),
                                               service.purpose_rows(), service.threshold(),
                                               service.identifiable_export_roles()),
                           self._show)

    def _show(self, loaded: Loaded) -> None:
        self._loaded = True
        self.pending_count.emit(len(loaded.pending))
        self.upgrade_label.setText(upgrade_note(loaded.identifiable_chiefs))
        self.upgrade_label.setVisible(bool(loaded.identifiable_chiefs))
        self.pending_model.set_lines(loaded.pending)
        self.decided_model.set_lines(loaded.decided)
        self.empty_label.setText("" if loaded.pending else "承認待ちの依頼はありません。")
        self.purpose_rows = loaded.purposes
        self.purpose_list.clear()
        for row in loaded.purposes:
            self.purpose_list.addItem(QListWidgetItem(row.label))
        self.threshold.setValue(loaded.threshold)
        self._update_buttons()

    @property
    def busy(self) -> bool:
        return self.load_task.running or self.change_task.running

    def _update_buttons(self) -> None:
        chosen = self.selected() is not None and not self.busy
        self.approve_button.setEnabled(chosen)
        self.decline_button.setEnabled(chosen)
        self.add_button.setEnabled(bool(self.new_purpose.text().strip()) and not self.busy)
        self.remove_button.setEnabled(self.purpose_list.currentRow() >= 0 and not self.busy)
        self.threshold_button.setEnabled(not self.busy)

    def selected(self) -> ApprovalView | None:
        rows = self.pending_table.selectionModel().selectedRows()
        return self.pending_model.line(rows[0].row()) if rows else None

    # -- changes ---------------------------------------------------------------------------

    def _change(self, call: Any, said: str) -> None:
        def done(_result: object) -> None:
            self.status_line.show_message(said)
            self.reload()

        self.change_task.run(lambda _ctx: call(), done)

    def decide(self, *, approve: bool) -> None:
        row = self.selected()
        if row is None or self.busy:
            return
        dialog = DecisionDialog(row, approve, self)
        service = self._service

        def submitted() -> None:
            note = dialog.note.text()
            call = (lambda: service.approve(row.id, note)) if approve else (
                lambda: service.decline(row.id, note))

            def done(_result: object) -> None:
                dialog.accept()
                verb = "承認しました" if approve else "却下しました"
                self.status_line.show_message(f"依頼番号 {row.id} を{verb}。")
                self.reload()

            def refused(message: str) -> None:
                dialog.set_busy(False)
                dialog.show_error(message)

            dialog.set_busy(True)
            self.change_task.run(lambda _ctx: call(), done, on_user_error=refused)

        dialog.submitted.connect(submitted)
        dialog.open()
        self.dialog = dialog

    def add_purpose(self) -> None:
        label = self.new_purpose.text().strip()
        if not label or self.busy:
            return
        service = self._service
        self.new_purpose.clear()
        self._change(lambda: service.add_purpose(label), f"「{label}」を一覧に追加しました。")

    def remove_purpose(self) -> None:
        at = self.purpose_list.currentRow()
        if at < 0 or self.busy:
            return
        row = self.purpose_rows[at]
        service = self._service
        self.confirmation = confirm(
            self, "目的を一覧から外す",
            f"「{row.label}」を出力の目的の一覧から外しますか？（これまでの記録の目的は"
            "そのまま残ります）",
            lambda: self._change(lambda: service.remove_purpose(row.id),
                                 f"「{row.label}」を一覧から外しました。"),
            yes_text="外す")

    def save_threshold(self) -> None:
        pupils = self.threshold.value()
        service = self._service
        self._change(lambda: service.set_threshold(pupils),
                     f"{format_count(pupils)}人を超える出力に承認が必要になりました。")
