"""Small pieces the import wizard's steps share: labels, notices, tables, the row count, the
count tiles of the check and the step bar in the title row."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from toda_desktop.formatting import format_count
from ui import style
from ui.table_model import make_view

STEP_TITLES = ("ファイルの選択", "種類と見出しの確認", "検証結果の確認", "取込")
FILE_FILTER = "表のファイル (*.csv *.tsv *.txt *.xlsx);;すべてのファイル (*)"
LOW_CONFIDENCE = 0.6
WARNING_COLOR = "#8a5a00"
ORDER_TEXT = (
    "取り込む順番: 先に「児童生徒基本情報」と「在籍」（学校も）を取り込んでください。"
    "出欠や保健室利用などの記録は、登録済みの児童生徒と照合して取り込みます。"
)
NO_PUPILS_TEXT = (
    "まだ「児童生徒基本情報」が取り込まれていません。このままでは出欠などの記録を"
    "児童生徒と照合できず、すべて「照合不可」になります。先に「児童生徒基本情報」と"
    "「在籍」のファイルを取り込んでください。"
)


def n_rows(n: int) -> str:
    return f"{format_count(n)}行"


def wrapped_label(text: str = "", css: str = "", *, wrap: bool = True) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(wrap)
    if css:
        label.setStyleSheet(css)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def notice_label(css: str) -> QLabel:
    label = wrapped_label("", css)
    label.hide()
    return label


def say(label: QLabel, text: str, css: str | None = None) -> None:
    label.setText(text)
    if css is not None:
        label.setStyleSheet(css)
    label.setVisible(bool(text))


def plain_table(model: QAbstractItemModel, name: str) -> QTableView:
    """The wizard's tables: each sets its own column sizes (and editing, for the mapping)."""
    return make_view(model, name, stretch_last=False)


class CountTile(QFrame):
    """One count of the preview: a big number over its label."""

    def __init__(self, label: str, tip: str) -> None:
        super().__init__()
        self.setObjectName("countTile")
        self.setToolTip(tip)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.setSpacing(0)
        self.value_label = QLabel("0")
        self.value_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption = QLabel(label)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption.setStyleSheet(style.MUTED)
        layout.addWidget(self.value_label)
        layout.addWidget(self.caption)
        self.setStyleSheet(
            "QFrame#countTile { background: white; border: 1px solid #d0d7de;"
            " border-radius: 6px; }"
        )

    def set_value(self, value: int, colour: str) -> None:
        self.value_label.setText(format_count(value))
        self.value_label.setStyleSheet(f"font-size: 15pt; font-weight: bold; color: {colour};")


class StepBar(QWidget):
    """① ファイルの選択 › ② 種類と見出しの確認 › ③ 検証結果の確認 › ④ 取込"""

    def __init__(self) -> None:
        super().__init__()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.labels: list[QLabel] = []
        for number, title in enumerate(STEP_TITLES):
            if number:
                arrow = QLabel("›")
                arrow.setStyleSheet(style.MUTED)
                layout.addWidget(arrow)
            label = QLabel(f"{'①②③④'[number]} {title}")
            self.labels.append(label)
            layout.addWidget(label)
        layout.addStretch(1)
        self.set_step(0)

    def set_step(self, step: int) -> None:
        for number, label in enumerate(self.labels):
            if number == step:
                label.setStyleSheet(
                    f"background: {style.ACCENT}; color: white; font-weight: bold;"
                    " border-radius: 10px; padding: 3px 10px;"
                )
            else:
                label.setStyleSheet(f"{style.MUTED} padding: 3px 10px;")
