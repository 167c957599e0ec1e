"""The condition editor area of 抽出: the extraction's name and base year, its condition tree
(:class:`GroupBox`), and the run row with progress, 中止 and the page's status line."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from kernel.date_style import DateStyle
from toda_desktop.extraction import Extraction, Group
from toda_desktop.formatting import format_school_year
from ui import style
from ui.extraction.tree import GroupBox

if TYPE_CHECKING:
    from toda_desktop.extraction import Node

NEW_NAME = "新しい抽出"
LATEST_YEAR = "最新の年度（自動）"
PROGRESS_STEPS = 1000
CONDITIONS_MIN_HEIGHT = 96  # two condition rows; the rest scrolls when the results need room


def problem_of(extraction: Extraction) -> str | None:
    """Why ``extraction`` cannot be run or saved yet (None: it can)."""
    if not extraction.name:
        return "抽出の名前を入力してください。"
    if not extraction.leaves():
        return "使う条件が1つもありません。「＋条件」で追加するか、条件に印を付けてください。"
    return None


class Builder(QWidget):
    """Edits one extraction as plain data; the tree's requests are passed on as signals."""

    changed = Signal()
    add_condition_requested = Signal(object)  # GroupBox
    edit_requested = Signal(object)  # ConditionRow
    delete_requested = Signal(object, object)  # (GroupBox, ConditionRow | GroupBox)

    def __init__(self, date_style: DateStyle, describe_leaf: Callable[[Node], str],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._style = date_style
        self._describe_leaf = describe_leaf
        self._description = ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 0, 0, 0)
        layout.setSpacing(6)
        row = QHBoxLayout()
        name_label = QLabel("名前")
        self.name_edit = QLineEdit(NEW_NAME)
        self.name_edit.setMaxLength(80)
        self.name_edit.setAccessibleName("抽出の名前")
        self.name_edit.setMinimumWidth(40)  # (it stretches; the base-year box needs room)
        name_label.setBuddy(self.name_edit)
        year_label = QLabel("基準の年度")
        self.year_combo = QComboBox()
        self.year_combo.setAccessibleName("基準の年度")
        self.year_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        # Wide enough for 「最新の年度（自動）」 whole (it was cut to 「最新の年度（」).
        self.year_combo.setMinimumContentsLength(len(LATEST_YEAR) + 2)
        self.year_combo.view().setMinimumWidth(200)
        self.year_combo.addItem(LATEST_YEAR, None)
        self.year_combo.setToolTip(
            "「当該年度」「前年度」はこの年度から数えます。「最新の年度」で保存すると、"
            "来年度のデータでもそのまま使えます。")
        year_label.setBuddy(self.year_combo)
        self.new_button = QPushButton("新規")
        self.new_button.setToolTip("条件を空にして新しく作ります")
        self.save_button = QPushButton("保存")
        self.save_button.setToolTip("この名前で条件を保存します（同じ名前は上書き）")
        row.addWidget(name_label)
        row.addWidget(self.name_edit, 1)
        row.addWidget(year_label)
        row.addWidget(self.year_combo)
        row.addWidget(self.new_button)
        row.addWidget(self.save_button)
        layout.addLayout(row)
        self.conditions_scroll = QScrollArea()
        self.conditions_scroll.setWidgetResizable(True)
        self.conditions_scroll.setFrameShape(QFrame.Shape.NoFrame)
        # On a narrow screen the condition rows scroll sideways instead of being cut off.
        self.conditions_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.conditions_scroll.setMinimumHeight(CONDITIONS_MIN_HEIGHT)
        layout.addWidget(self.conditions_scroll, 1)
        layout.addLayout(self._run_row())
        self.root: GroupBox  # set by set_root (the page does it once it is laid out)

    def _run_row(self) -> QHBoxLayout:
        run_row = QHBoxLayout()
        self.run_button = QPushButton("抽出を実行")
        self.run_button.setMinimumHeight(32)
        self.run_button.setDefault(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setMaximumWidth(160)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.cancel_button = QPushButton("中止")
        self.cancel_button.setToolTip("抽出を途中でやめます。データは変わりません")
        self.cancel_button.hide()
        self.status_label = QLabel("")
        self.status_label.setWordWrap(True)
        self.status_label.setSizePolicy(QSizePolicy.Policy.Ignored,
                                        QSizePolicy.Policy.Preferred)
        run_row.addWidget(self.run_button)
        run_row.addWidget(self.progress)
        run_row.addWidget(self.cancel_button)
        run_row.addWidget(self.status_label, 1)
        self.undo_button = QPushButton("元に戻す")
        self.undo_button.setToolTip("削除した条件を元の場所に戻します")
        self.undo_button.clicked.connect(self.undo)
        self.undo_button.hide()
        run_row.addWidget(self.undo_button)
        self._undo: Callable[[], object] | None = None
        return run_row

    def offer_undo(self, message: str, undo: Callable[[], object]) -> None:
        """After a deletion: say so, with 「元に戻す」 until the next change of the tree."""
        self._undo = undo
        self.show_status(message, ok=True)
        self.undo_button.show()

    def clear_undo(self) -> None:
        self._undo = None
        self.undo_button.hide()

    def undo(self) -> None:
        undo, self._undo = self._undo, None
        self.undo_button.hide()
        if undo is not None:
            undo()
            self.show_status("削除した条件を元に戻しました。", ok=True)

    # -- the extraction as data ------------------------------------------------------------

    def set_root(self, root: Group) -> None:
        self.root = GroupBox(root, 0, self._describe_leaf)
        self.root.changed.connect(self.changed)
        self.root.add_condition_requested.connect(self.add_condition_requested)
        self.root.edit_requested.connect(self.edit_requested)
        self.root.delete_requested.connect(self.delete_requested)
        self.clear_undo()  # (the deleted condition belonged to the tree replaced here)
        self.conditions_scroll.setWidget(self.root)

    def extraction(self) -> Extraction:
        """What the builder holds, as plain data."""
        return Extraction(name=self.name_edit.text().strip(), root=self.root.to_node(),
                          school_year=self.year_combo.currentData(),
                          description=self._description)

    def set_extraction(self, extraction: Extraction) -> None:
        self.name_edit.setText(extraction.name)
        self._description = extraction.description
        index = self.year_combo.findData(extraction.school_year)
        if index < 0 and extraction.school_year is not None:
            self.year_combo.addItem(format_school_year(extraction.school_year, self._style),
                                    extraction.school_year)
            index = self.year_combo.count() - 1
        self.year_combo.setCurrentIndex(max(index, 0))
        self.set_root(extraction.root)

    def wanted_height(self) -> int:
        """The height that shows every condition without scrolling (the page gives the
        builder no more than this once there are results to show)."""
        scroll = self.conditions_scroll
        tree = self.root.sizeHint().height() + 2 * scroll.frameWidth() + 4
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        rows = 0
        for i in (0, 2):  # the name row and the run row
            item = layout.itemAt(i)
            rows += item.sizeHint().height() if item is not None else 0
        margins = layout.contentsMargins()
        return (rows + 2 * layout.spacing() + margins.top() + margins.bottom()
                + max(tree, CONDITIONS_MIN_HEIGHT))

    def set_years(self, years: tuple[int, ...]) -> None:
        """The base years to offer (the choice kept when still offered)."""
        keep = self.year_combo.currentData()
        self.year_combo.clear()
        self.year_combo.addItem(LATEST_YEAR, None)
        for y in years:
            self.year_combo.addItem(format_school_year(y, self._style), y)
        index = self.year_combo.findData(keep)
        self.year_combo.setCurrentIndex(max(index, 0))

    def set_ready(self, ready: bool) -> None:
        """Whether conditions can be added, and the extraction run or saved."""
        for b in (self.run_button, self.save_button, self.new_button):
            b.setEnabled(ready)
        for box in [self.root, *self.root.groups()]:
            box.add_button.setEnabled(ready)

    # -- the run row -----------------------------------------------------------------------

    def run_started(self) -> None:
        self.progress.setRange(0, 0)  # busy until the first condition is done
        self.progress.show()
        self.cancel_button.setText("中止")
        self.cancel_button.setEnabled(True)
        self.cancel_button.show()
        self.show_status("抽出しています…")

    def show_progress(self, fraction: float) -> None:
        self.progress.setRange(0, PROGRESS_STEPS)
        self.progress.setValue(round(max(0.0, min(1.0, fraction)) * PROGRESS_STEPS))

    def cancelling(self) -> None:
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("中止しています…")

    def run_ended(self) -> None:
        self.progress.hide()
        self.cancel_button.hide()

    def show_status(self, message: str, *, error: bool = False, ok: bool = False) -> None:
        color = style.ERROR_COLOR if error else style.OK_COLOR if ok else style.MUTED_COLOR
        self.status_label.setStyleSheet(f"color: {color};")
        self.status_label.setText(message)
