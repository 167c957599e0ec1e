"""The result of an extraction run: the summary, the number of pupils per condition, the
pupils found with the value each condition matched on (Enter or a double click opens the
karte), the guidance on what the list is for, and the export controls."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from kernel.date_style import DateStyle
from toda_desktop.formatting import (
    format_count,
    format_datetime,
    format_phrase,
    format_school_year,
)
from ui import style
from ui.export_flow import format_combo
from ui.pupil_tables import ExtractionRowsModel, source_row
from ui.table_model import make_table

if TYPE_CHECKING:
    from toda_desktop.extraction.service import ExtractionResult
    from ui.printing.flow import PrintFlow

ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
GUIDANCE = (
    "抽出結果は、支援が必要かもしれない児童生徒に早く気づくための手がかりです。"
    "児童生徒を評価したり順位を付けたりするものではありません。"
)


class ResultsPanel(QWidget):
    """抽出結果; ``open_requested(pupil_id)`` asks for a karte."""

    open_requested = Signal(int)

    def __init__(self, date_style: DateStyle, *, can_export: bool,
                 parent: QWidget | None = None, printer: PrintFlow | None = None) -> None:
        super().__init__(parent)
        self._style = date_style
        self._printer = printer  # (issue 14) the list on paper: roles with 印刷
        self.result: ExtractionResult | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.setSpacing(6)
        head = QHBoxLayout()
        heading = QLabel("抽出結果")
        heading.setStyleSheet(style.SECTION_TITLE)
        head.addWidget(heading)
        self.summary_label = QLabel("まだ抽出していません。")
        self.summary_label.setStyleSheet("font-size: 11pt;")
        self.summary_label.setAccessibleName("抽出結果の概要")
        head.addSpacing(10)
        head.addWidget(self.summary_label, 1)
        layout.addLayout(head)
        layout.addLayout(self._counts_row())
        self.counts_table = self._counts_table()
        layout.addWidget(self.counts_table)
        self.model = ExtractionRowsModel(self._style, self)
        self.table, self.proxy = make_table(self.model, "抽出結果の一覧", self)
        for column, width in enumerate((130, 150, 130, 56, 50, 50, 130)):
            self.table.horizontalHeader().resizeSection(column, width)
        self.table.doubleClicked.connect(lambda _i: self.open_current())
        self.table.installEventFilter(self)
        layout.addWidget(self.table, 1)
        bottom = QHBoxLayout()
        guidance = QLabel(GUIDANCE)
        guidance.setWordWrap(True)
        guidance.setStyleSheet(style.MUTED)
        bottom.addWidget(guidance, 1)
        self.open_button = QPushButton("カルテを開く")
        self.open_button.clicked.connect(self.open_current)
        bottom.addWidget(self.open_button)
        self.print_button = QPushButton("印刷…", self)  # parented
        self.print_button.clicked.connect(self.print_current)
        self.print_button.setVisible(printer is not None)
        self.print_button.setEnabled(False)
        bottom.addWidget(self.print_button)
        self.format_combo = format_combo()
        self.export_button = QPushButton("ファイルに出力…")
        if can_export:
            bottom.addWidget(self.format_combo)
            bottom.addWidget(self.export_button)
        else:
            self.format_combo.hide()
            self.export_button.hide()
        layout.addLayout(bottom)

    def _counts_row(self) -> QHBoxLayout:
        """The number of pupils per condition on one line; the table with each condition's
        wording opens below it on request (shown always, it left room for 1–3 rows of pupils
        on a laptop)."""
        row = QHBoxLayout()
        self.counts_line = QLabel("")
        self.counts_line.setStyleSheet(style.MUTED)
        self.counts_line.setAccessibleName("条件ごとの人数")
        self.counts_line.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.counts_toggle = QToolButton()
        self.counts_toggle.setCheckable(True)
        self.counts_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.counts_toggle.toggled.connect(self._show_counts_table)
        self._show_counts_table(False)
        self.counts_toggle.hide()
        row.addWidget(self.counts_line, 1)
        row.addWidget(self.counts_toggle)
        return row

    def _show_counts_table(self, shown: bool) -> None:
        self.counts_toggle.setArrowType(Qt.ArrowType.DownArrow if not shown
                                        else Qt.ArrowType.UpArrow)
        self.counts_toggle.setText("条件の内容を閉じる" if shown else "条件の内容と人数を表示")
        if hasattr(self, "counts_table") and not self.counts_toggle.isHidden():
            self.counts_table.setVisible(shown)

    @staticmethod
    def _counts_table() -> QTableWidget:
        table = QTableWidget(0, 3)
        table.setHorizontalHeaderLabels(["", "条件", "この条件だけで当てはまる人数"])
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setDefaultSectionSize(24)
        header = table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        table.setAccessibleName("条件ごとの人数")
        table.hide()
        return table

    def print_current(self) -> None:
        """The list shown, through the print flow (宛名番号 when the rows carry it)."""
        result, printer, style = self.result, self._printer, self._style
        if printer is not None and result is not None and result.rows:
            from toda_desktop.extraction.sheet import extraction_sheet

            ids = any(r.address_code for r in result.rows)
            printer.print_document(lambda: extraction_sheet(result, style, with_address=ids))

    def show_result(self, result: ExtractionResult) -> None:
        self.result = result
        self.print_button.setEnabled(bool(result.rows))
        self.model.set_result(result)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        self.table.horizontalHeader().setSortIndicatorShown(False)
        n = len(self.model.headers)
        for column in range(7, n):
            self.table.horizontalHeader().resizeSection(column, 260)
        year = format_school_year(result.school_year, self._style)
        self.summary_label.setText(
            f"{year}に在籍する{format_count(result.population)}人のうち"
            f" <b>{format_count(len(result.rows))}人</b>が当てはまりました"
            f"（{format_datetime(result.run_at, self._style)} 実行）")
        self._show_counts(result)
        if result.rows:
            self.table.selectRow(0)

    def _show_counts(self, result: ExtractionResult) -> None:
        """One row per condition, then the combined conditions in bold."""
        table = self.counts_table
        table.setRowCount(len(result.counts) + 1)
        for row, count in enumerate(result.counts):
            cells = (f"条件{row + 1}", format_phrase(count.condition, self._style),
                     f"{format_count(count.pupils)}人")
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(cells[1])
                if column == 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                table.setItem(row, column, item)
        last = len(result.counts)
        for column, text in enumerate(("すべて", "組み合わせた条件（抽出結果）",
                                       f"{format_count(len(result.rows))}人")):
            item = QTableWidgetItem(text)
            font = item.font()
            font.setBold(True)
            item.setFont(font)
            if column == 2:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(last, column, item)
        rows = len(result.counts) + 1
        table.setFixedHeight(table.horizontalHeader().height() + rows * 24 + 4)
        self.counts_line.setText("この条件だけで当てはまる人数: " + "　".join(
            f"条件{n + 1} {format_count(c.pupils)}人" for n, c in enumerate(result.counts)))
        self.counts_line.setToolTip("\n".join(
            f"条件{n + 1}: {format_phrase(c.condition, self._style)}"
            f"（{format_count(c.pupils)}人）" for n, c in enumerate(result.counts)))
        self.counts_toggle.show()
        table.setVisible(self.counts_toggle.isChecked())

    def open_current(self) -> None:
        row = source_row(self.table, self.proxy)
        if row is not None and row < len(self.model.rows):
            self.open_requested.emit(self.model.rows[row].pupil_id)

    def add_case_action(self, open_case: Callable[[int], None]) -> None:
        """「ケースを開く」 in a result's context menu (roles that may see support cases)."""
        action = QAction("ケースを開く", self.table)
        action.triggered.connect(lambda: self._open_case(open_case))
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.table.addAction(action)

    def _open_case(self, open_case: Callable[[int], None]) -> None:
        row = source_row(self.table, self.proxy)
        if row is not None and row < len(self.model.rows):
            open_case(self.model.rows[row].pupil_id)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (watched is self.table and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent) and event.key() in ENTER_KEYS):
            self.open_current()
            return True
        return super().eventFilter(watched, event)

    def update_buttons(self, result: ExtractionResult | None, *, busy: bool) -> None:
        has_rows = result is not None and bool(result.rows)
        self.export_button.setEnabled(result is not None and not busy)
        self.open_button.setEnabled(has_rows and self.table.currentIndex().isValid())
