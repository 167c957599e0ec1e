"""取込履歴 (roles with ``import``): every import batch, and taking one back.

A batch can be rolled back as a whole (its rows and its open review items go, overwritten
values come back). The service refuses when later data depends on it (e.g. pupils that other
imports refer to) and says why in Japanese; the page shows that message where the user acted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kernel.date_style import DateStyle
from toda_desktop.formatting import format_count
from ui import style
from ui.background import BackgroundRunner
from ui.dialogs import confirm
from ui.importing.history_models import BatchesModel, BatchLine, batch_lines
from ui.page_header import StatusLine, title_row
from ui.page_task import PageTask
from ui.table_model import make_table

LoadBatches = Callable[[], list[Any]]
Rollback = Callable[[int], Any]  # → the import service's RollbackResult


class HistoryPage(QWidget):
    """The 取込履歴 page; reloads each time it is shown. ``rolled_back`` fires after a
    rollback with the kinds whose records it removed or restored."""

    rolled_back = Signal(object)  # frozenset[str]

    def __init__(
        self,
        load_batches: LoadBatches,
        rollback: Rollback,
        kind_labels: Mapping[str, str],
        runner: BackgroundRunner,
        date_style: DateStyle,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._load_batches = load_batches
        self._rollback = rollback
        self._kind_labels = dict(kind_labels)
        self._loaded = False
        self.confirmation: QMessageBox | None = None
        self.last_removed: dict[str, int] | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(10)
        header_row, self.count_label, self.refresh_button = title_row("取込履歴", self.reload)
        layout.addLayout(header_row)
        note = QLabel(
            "これまでの取込の一覧です（新しい順）。間違ったファイルを取り込んだときは、"
            "その取込を選んで「この取込を取り消す」を押すと、その取込で入った記録だけを"
            "取り除き、上書きした値を元に戻します。取消は監査ログに記録されます。"
        )
        note.setWordWrap(True)
        note.setStyleSheet(style.MUTED)
        layout.addWidget(note)

        actions = QHBoxLayout()
        self.rollback_button = QPushButton("この取込を取り消す…")
        self.rollback_button.clicked.connect(self.ask_rollback)
        actions.addWidget(self.rollback_button)
        actions.addStretch(1)
        layout.addLayout(actions)
        self.status_label = StatusLine()
        layout.addWidget(self.status_label)
        self.load_task = PageTask(self, runner, "取込履歴を読み込んでいます…",
                                  status=self.status_label, busy=[self.refresh_button])
        self.rollback_task = PageTask(self, runner, "取込を取り消しています…",
                                      status=self.status_label, writes=True)
        for task in (self.load_task, self.rollback_task):
            task.started.connect(self._update_buttons)
            task.ended.connect(self._update_buttons)

        self.model = BatchesModel(date_style, self)
        self.table, self.proxy = make_table(
            self.model, "取込の一覧", self, sort_role=Qt.ItemDataRole.UserRole, row_height=28
        )
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        for column, width in enumerate((56, 150, 240, 150, 170, 80, 100)):
            header.resizeSection(column, width)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        layout.addWidget(self.table, 1)
        self._update_buttons()

    # -- loading ---------------------------------------------------------------------------

    @property
    def loaded(self) -> bool:
        return self._loaded

    @property
    def busy(self) -> bool:
        return self.load_task.running or self.rollback_task.running

    def activated(self) -> None:
        self.reload()

    def reload(self) -> None:
        load, labels = self._load_batches, self._kind_labels
        self.load_task.run(lambda _ctx: batch_lines(load(), labels), self._show_lines)

    def _show_lines(self, lines: list[BatchLine]) -> None:
        chosen = self.selected()
        self.model.set_lines(lines)
        self._loaded = True
        undone = len(lines) - sum(line.active for line in lines)
        self.count_label.setText(
            f"{format_count(len(lines))}件"
            + (f"（うち取り消し済み {format_count(undone)}件）" if undone else "")
        )
        if chosen is not None:
            self.select(chosen.id)

    # -- selection and rollback ------------------------------------------------------------

    def selected(self) -> BatchLine | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.lines[self.proxy.mapToSource(rows[0]).row()]

    def select(self, batch_id: int) -> bool:
        for row, line in enumerate(self.model.lines):
            if line.id == batch_id:
                self.table.selectRow(self.proxy.mapFromSource(self.model.index(row, 0)).row())
                return True
        return False

    def _update_buttons(self, *_args: object) -> None:
        line = self.selected()
        self.rollback_button.setEnabled(line is not None and line.active and not self.busy)

    def show_status(self, message: str, *, error: bool = False) -> None:
        self.status_label.show_message(message, error=error)

    def ask_rollback(self) -> None:
        line = self.selected()
        if line is None or not line.active or self.busy:
            return
        self.confirmation = confirm(
            self,
            "取込の取消",
            f"取込番号 {line.id}「{line.source_name}」（{line.kind_label}・"
            f"{format_count(line.row_count)}件）を取り消しますか？",
            lambda: self.rollback(line),
            yes_text="取り消す",
            informative=(
                "この取込で入った記録と、名寄せ確認で待っている行が削除されます。"
                "この取込で上書きした記録は元の値に戻ります。後の取込にも同じ内容で含まれて"
                "いた記録は、その取込の記録として残ります。"
            ),
        )

    def rollback(self, line: BatchLine) -> None:
        rollback = self._rollback

        def done(result: Any) -> None:
            self.last_removed = dict(result.removed)

            def counted(counts: Mapping[str, int]) -> str:
                return "、".join(f"{self._kind_labels.get(kind, kind)} {format_count(n)}件"
                                 for kind, n in counts.items() if n)

            parts = [f"{label}: {text}" for label, text in (
                ("削除", counted(result.removed)),
                ("後の取込にも含まれているため残した記録", counted(result.kept)),
            ) if text]
            if result.restored:
                parts.append(f"上書きしていた{format_count(result.restored)}件を元の値に戻しました")
            self.show_status(
                f"取込番号 {line.id}「{line.source_name}」を取り消しました"
                + (f"（{'。'.join(parts)}）。" if parts else "。")
            )
            self.rolled_back.emit(frozenset(
                kind for counts in (result.removed, result.kept) for kind in counts
            ) | {line.kind})
            self.reload()

        self.rollback_task.run(lambda _ctx: rollback(line.id), done)
