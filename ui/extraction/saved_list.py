"""Saved extractions: their list on the left of 抽出 (who changed them when; the service lists
only those this role may run), and saving, loading, re-running and deleting them through the
service on the page's worker tasks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kernel.date_style import DateStyle
from toda_desktop.extraction import Extraction
from toda_desktop.formatting import format_datetime
from ui import style
from ui.dialogs import confirm
from ui.extraction.builder import problem_of

if TYPE_CHECKING:
    from toda_desktop.extraction.service import ExtractionService, SavedExtraction
    from ui.extraction.page import ExtractionPage


class SavedList(QWidget):
    """保存した抽出条件: the list and its 読み込む / 実行 / 削除… buttons, and what they (and
    the builder's 保存) do."""

    def __init__(self, date_style: DateStyle, service: ExtractionService, page: ExtractionPage,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._style = date_style
        self._service = service
        self._page = page
        self.items: list[SavedExtraction] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 8, 0)
        heading = QLabel("保存した抽出条件")
        heading.setStyleSheet(style.SECTION_TITLE)
        layout.addWidget(heading)
        table = QTableWidget(0, 2)
        table.setHorizontalHeaderLabels(["名前", "更新"])
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setTabKeyNavigation(False)
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setDefaultSectionSize(26)
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        table.horizontalHeader().setSectionResizeMode(
            1, QHeaderView.ResizeMode.ResizeToContents)
        table.setAccessibleName("保存した抽出条件")
        table.setMinimumWidth(230)
        self.table = table
        layout.addWidget(table, 1)
        self.empty_label = QLabel("保存した抽出条件はまだありません。右で条件を作り、名前を付けて"
                                  "「保存」すると、ここから何度でも実行できます。")
        self.empty_label.setWordWrap(True)
        self.empty_label.setStyleSheet(style.MUTED)
        layout.addWidget(self.empty_label)
        buttons = QHBoxLayout()
        self.load_button = QPushButton("読み込む")
        self.load_button.setToolTip("条件を編集できるように読み込みます")
        self.rerun_button = QPushButton("実行")
        self.rerun_button.setToolTip("今のデータでもう一度抽出します")
        self.delete_button = QPushButton("削除…")
        for b in (self.load_button, self.rerun_button, self.delete_button):
            buttons.addWidget(b)
        layout.addLayout(buttons)
        table.doubleClicked.connect(lambda _i: self.load_selected())
        self.load_button.clicked.connect(self.load_selected)
        self.rerun_button.clicked.connect(self.run_selected)
        self.delete_button.clicked.connect(self.delete_selected)

    def show_items(self, saved: tuple[SavedExtraction, ...], select: int | None = None) -> None:
        """List ``saved``; select the one with id ``select``."""
        self.items = list(saved)
        self.empty_label.setVisible(not saved)
        table = self.table
        table.setRowCount(len(saved))
        for row, item in enumerate(saved):
            name = QTableWidgetItem(item.name)
            when = QTableWidgetItem(format_datetime(item.updated_at, self._style).split(" ")[0])
            tip = (f"{item.name}\n作成: {item.created_by}　更新: {item.updated_by} "
                   f"{format_datetime(item.updated_at, self._style)}")
            for cell in (name, when):
                cell.setToolTip(tip)
            table.setItem(row, 0, name)
            table.setItem(row, 1, when)
            if select is not None and item.id == select:
                table.selectRow(row)

    def selected(self) -> SavedExtraction | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.items):
            return None
        return self.items[rows[0].row()]

    def update_buttons(self, *, busy: bool, ready: bool, may_delete: bool) -> None:
        """``ready``: the page may run now; ``may_delete``: this account may delete the
        selected extraction."""
        selected = self.selected()
        self.load_button.setEnabled(selected is not None and not busy)
        self.rerun_button.setEnabled(selected is not None and ready)
        self.delete_button.setEnabled(selected is not None and may_delete and not busy)

    # -- what the buttons do ---------------------------------------------------------------

    def save(self) -> None:
        """保存 (under the builder's name; the same name asks before it is replaced)."""
        page = self._page
        extraction = page.extraction()
        problem = problem_of(extraction)
        if problem is not None:
            page.show_status(problem, error=True)
            return
        if any(s.name == extraction.name for s in self.items):
            page.confirmation = confirm(
                page, "抽出条件の上書き",
                f"「{extraction.name}」はすでに保存されています。上書きしますか？",
                lambda: self._save(extraction), yes_text="上書きする")
            return
        self._save(extraction)

    def _save(self, extraction: Extraction) -> None:
        service, page = self._service, self._page

        def write(_ctx: object) -> tuple[SavedExtraction, tuple[SavedExtraction, ...]]:
            saved = service.save(extraction)
            return saved, service.saved()

        def done(result: tuple[SavedExtraction, tuple[SavedExtraction, ...]]) -> None:
            saved, items = result
            page.show_saved(items, select=saved.id)
            page.show_status(f"「{saved.name}」を保存しました。", ok=True)

        page.work(write, done, "抽出条件を保存しています…")

    def load_selected(self) -> None:
        item = self.selected()
        if item is not None:
            self._page.set_extraction(item.extraction)
            self._page.show_status(f"「{item.name}」を読み込みました。")

    def run_selected(self) -> None:
        """Re-run a saved extraction on the data as it is now."""
        page = self._page
        item = self.selected()
        if item is None:
            return
        page.set_extraction(item.extraction)
        service, saved_id = self._service, item.id
        page.start_run(lambda ctx: service.run_saved(saved_id, progress=ctx.progress,
                                                     cancel=ctx.cancelled))

    def delete_selected(self) -> None:
        page = self._page
        item = self.selected()
        if item is None:
            return
        service = self._service

        def remove() -> None:
            def task(_ctx: object) -> tuple[SavedExtraction, ...]:
                service.delete(item.id)
                return service.saved()

            def done(items: tuple[SavedExtraction, ...]) -> None:
                page.show_saved(items)
                page.show_status(f"「{item.name}」を削除しました。", ok=True)

            page.work(task, done, "抽出条件を削除しています…")

        page.confirmation = confirm(
            page, "抽出条件の削除", f"保存した抽出条件「{item.name}」を削除しますか？", remove,
            yes_text="削除する", informative="抽出した結果やデータは削除されません。")
