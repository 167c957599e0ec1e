"""印刷の記録: the sheets printed, and whether they came back.

Staff see the sheets they printed and tick 回収済み or 廃棄済み once a sheet is back or
shredded; the project lead sees everyone's, with the sheets past their return date marked.
Each tick is logged by the service and kept in the sheet's history (shown below the list);
nothing is erased. All reading and writing runs on the worker.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kernel.date_style import DateStyle
from toda_desktop.formatting import format_count, format_date, format_datetime
from toda_desktop.printing.service import (
    DESTINATION_LABELS,
    PrintEntry,
    PrintEventView,
    PrintRegister,
    PrintService,
)
from toda_desktop.staff import staff_label
from ui import style
from ui.background import BackgroundRunner
from ui.dialogs import confirm
from ui.page_header import PageHeader
from ui.page_task import PageTask
from ui.table_model import LinesTableModel, make_view

TITLE = "印刷の記録"
OVERDUE_BG = QColor("#fde4e1")
INTRO = ("印刷したケース会議の資料などの一覧です。会議の後に回収したら「回収済み」、"
         "シュレッダーで廃棄したら「廃棄済み」にしてください。記録は消えずに残ります。")


def status_text(entry: PrintEntry, date_style: DateStyle) -> str:
    if entry.overdue:
        return f"{entry.status_label}（期限切れ）"
    if entry.ticked_by is not None and entry.status_at is not None and entry.status in (
            "returned", "shredded"):
        return f"{entry.status_label}（{format_date(entry.status_at, date_style)}）"
    return entry.status_label


class RegisterModel(LinesTableModel[PrintEntry]):
    # The state and the date first: what a person ticks, and what the lead chases.
    HEADERS = ("印刷番号", "状態", "返却・廃棄期限", "印刷日時", "印刷者", "種類", "内容",
               "目的", "ページ", "出力先")
    NUMBERS = (8,)
    PRINTER_COLUMN = 4

    def __init__(self, date_style: DateStyle) -> None:
        super().__init__(self.HEADERS)
        self._style = date_style

    def cells(self, line: PrintEntry) -> Sequence[Any]:
        return [line.serial, status_text(line, self._style),
                format_date(line.return_by, self._style),
                format_datetime(line.printed_at, self._style), staff_label(line.printer),
                line.kind_label, line.subject, line.purpose, format_count(line.pages),
                DESTINATION_LABELS.get(line.destination, "")]

    def cell_data(self, line: PrintEntry, column: int, role: int) -> Any:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.cells(line)[column]
        if role == Qt.ItemDataRole.BackgroundRole and line.overdue:
            return QBrush(OVERDUE_BG)
        if role == Qt.ItemDataRole.ForegroundRole and line.overdue and column in (1, 2):
            return QBrush(QColor(style.ERROR_COLOR))
        if role == Qt.ItemDataRole.TextAlignmentRole and column in self.NUMBERS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class PrintRegisterPage(QWidget):
    """``overdue_count(n)``: everyone's sheets past their date (the lead's badge)."""

    overdue_count = Signal(int)

    def __init__(self, service: PrintService, runner: BackgroundRunner, date_style: DateStyle,
                 *, everyone: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._style = date_style
        self._lead = everyone
        self.register: PrintRegister | None = None
        self.history: list[PrintEventView] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(8)
        header = PageHeader(TITLE)
        self.scope = QComboBox()
        self.scope.setAccessibleName("表示する印刷物")
        self.scope.addItem("自分が印刷したもの", False)
        if everyone:
            self.scope.addItem("全員の印刷物", True)
            self.scope.setCurrentIndex(1)
        self.scope.setVisible(everyone)
        self.scope.currentIndexChanged.connect(lambda _i: self.reload())
        self.voided_box = QCheckBox("取消（印刷しなかったもの）も表示")
        self.voided_box.toggled.connect(lambda _on: self.reload())
        header.add_lead(self.scope)
        header.add_action(self.voided_box)
        header.add_refresh(self.reload)
        layout.addLayout(header)
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        intro.setStyleSheet(style.MUTED)
        layout.addWidget(intro)
        self.summary = QLabel("")
        self.summary.setStyleSheet("font-size: 11pt;")
        self.summary.setAccessibleName("未回収の枚数")
        layout.addWidget(self.summary)
        self.model = RegisterModel(date_style)
        self.table = make_view(self.model, "印刷の記録", self,
                               widths=(140, 215, 130, 160, 200, 150, 110, 200, 56), stretch=7)
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._selected())
        layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        self.returned_button = QPushButton("回収済みにする")
        self.shredded_button = QPushButton("廃棄済みにする")
        self.returned_button.clicked.connect(lambda: self.tick("returned"))
        self.shredded_button.clicked.connect(lambda: self.tick("shredded"))
        self.status_label = QLabel("")
        self.status_label.setStyleSheet(style.MUTED)
        self.status_label.setWordWrap(True)
        buttons.addWidget(self.status_label, 1)
        buttons.addWidget(self.returned_button)
        buttons.addWidget(self.shredded_button)
        layout.addLayout(buttons)
        self.history_label = QLabel("")
        self.history_label.setStyleSheet(style.MUTED)
        self.history_label.setWordWrap(True)
        self.history_label.setAccessibleName("この印刷物の経過")
        layout.addWidget(self.history_label)
        self.load_task = PageTask(self, runner, "印刷の記録を読み込んでいます…",
                                  status=self.status_label)
        self.work_task = PageTask(self, runner, "記録しています…", status=self.status_label,
                                  writes=True)
        self.history_task = PageTask(self, runner, "経過を読み込んでいます…",
                                     status=self.status_label, progress_dialog=False)
        self.count_task = PageTask(self, runner, "印刷の記録を数えています…",
                                   progress_dialog=False)
        self.confirmation: Any = None
        self._loaded_once = False
        self._update_buttons()

    def activated(self) -> None:
        self.reload()

    def count_overdue(self) -> None:
        """Only the number (for the lead's badge at sign-in, before the page is opened)."""
        if self._lead:
            count = self._service.overdue_count
            self.count_task.run(lambda _ctx: count(), self.overdue_count.emit)

    @property
    def everyone(self) -> bool:
        return bool(self.scope.currentData())

    def reload(self) -> None:
        service, everyone, voided = self._service, self.everyone, self.voided_box.isChecked()
        self.load_task.run(lambda _ctx: service.register(everyone=everyone,
                                                         with_voided=voided), self._show)

    def _show(self, register: PrintRegister) -> None:
        chosen = self.selected()
        self.register = register
        self.model.set_lines(register.entries)
        if register.everyone:
            self.overdue_count.emit(register.overdue)
        self.table.setColumnHidden(RegisterModel.PRINTER_COLUMN, not register.everyone)
        outstanding = sum(e.status == "outstanding" for e in register.entries)
        text = f"未回収 {format_count(outstanding)}件"
        if register.overdue:
            text += f"（うち返却・廃棄期限を過ぎたもの <b style='color:{style.ERROR_COLOR}'>" \
                    f"{format_count(register.overdue)}件</b>）"
        self.summary.setText(text if register.entries else "印刷の記録はまだありません。")
        if chosen is not None:
            self.select(chosen.serial)
        self._selected()

    def selected(self) -> PrintEntry | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.line(rows[0].row()) if rows else None

    def select(self, serial: str) -> bool:
        for row, line in enumerate(self.model.lines):
            if line.serial == serial:
                self.table.selectRow(row)
                return True
        return False

    def _selected(self) -> None:
        self._update_buttons()
        entry = self.selected()
        if entry is None:
            self.history_label.setText("")
            return
        service = self._service
        self.history_task.run(lambda _ctx: service.history(entry.serial), self._show_history)

    def _show_history(self, events: list[PrintEventView]) -> None:
        self.history = events
        entry = self.selected()
        if entry is None:
            return
        steps = "　→　".join(f"{e.status_label if e.status != 'reserved' else '番号の発行'}"
                            f"（{format_datetime(e.at, self._style)}・{staff_label(e.by)}）"
                            for e in events)
        self.history_label.setText(f"{entry.serial} の経過: {steps}")

    def _update_buttons(self) -> None:
        entry = self.selected()
        status = None if entry is None else entry.status
        self.returned_button.setEnabled(status == "outstanding")
        self.shredded_button.setEnabled(status in ("outstanding", "returned"))

    def tick(self, status: str, *, ask: bool = True) -> None:
        """Mark the selected sheet (after a question: a tick cannot be taken back)."""
        entry = self.selected()
        if entry is None:
            return
        word = "回収済み" if status == "returned" else "廃棄済み"

        def go() -> None:
            service = self._service

            def done(_none: object) -> None:
                self.status_label.setStyleSheet(style.MUTED)
                self.status_label.setText(f"{entry.serial} を{word}にしました。")
                self.reload()

            self.work_task.run(lambda _ctx: service.mark(entry.serial, status), done)

        if not ask:
            go()
            return
        self.confirmation = confirm(
            self, word, f"印刷番号 {entry.serial}（{entry.kind_label}・{entry.pages}ページ）を"
            f"{word}にしますか？この記録は取り消せません。", go, yes_text=f"{word}にする")
