"""The head of a case: who the child is, the case's number, 領域 and state, where it began."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from kernel.date_style import DateStyle
from toda_desktop.cases.model import CaseStatus, CaseSummary
from toda_desktop.formatting import class_text, format_date
from ui import style

STATUS_COLORS = {
    CaseStatus.OPEN: ("#1e7b34", "#e9f6ec"),
    CaseStatus.CLOSED: ("#34495e", "#eef2f6"),
    CaseStatus.WITHDRAWN: ("#5f6b7a", "#f3f4f6"),
}


def place_text(summary: CaseSummary) -> str:
    parts = [summary.school_name or "在籍校不明"]
    if summary.grade is not None:
        parts.append(f"{summary.grade}年")
    if summary.class_name:
        parts.append(class_text(summary.class_name))
    return " ".join(parts)


def badge(text: str, fg: str, bg: str) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet(f"color: {fg}; background: {bg}; border: 1px solid {fg};"
                        " border-radius: 4px; padding: 2px 10px; font-weight: bold;")
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return label


class CaseHeader(QFrame):
    """Name, school and grade, 領域, status; the case number and how it began."""

    def __init__(self, summary: CaseSummary, date_style: DateStyle,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("infoCard")
        self.setStyleSheet(style.CARD)
        outer = QHBoxLayout(self)
        outer.setContentsMargins(18, 10, 18, 10)
        outer.setSpacing(18)
        left = QVBoxLayout()
        left.setSpacing(2)
        self.label_label = QLabel("")
        self.label_label.setStyleSheet(style.MUTED)
        self.name_label = QLabel("")
        self.name_label.setStyleSheet("font-size: 18pt; font-weight: bold;")
        self.name_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        left.addWidget(self.label_label)
        left.addWidget(self.name_label)
        outer.addLayout(left)
        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(3)
        self.values: dict[str, QLabel] = {}
        for n, key in enumerate(("在籍", "領域", "件名", "きっかけ", "開始", "次回の見直し")):
            name = QLabel(key)
            name.setStyleSheet(style.MUTED)
            value = QLabel("")
            value.setWordWrap(True)
            value.setAccessibleName(key)
            grid.addWidget(name, n % 3, (n // 3) * 2, Qt.AlignmentFlag.AlignRight)
            grid.addWidget(value, n % 3, (n // 3) * 2 + 1)
            self.values[key] = value
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        outer.addLayout(grid, 1)
        self.status_label = QLabel("")
        outer.addWidget(self.status_label, 0, Qt.AlignmentFlag.AlignTop)
        self._style = date_style
        self.show_summary(summary)

    def show_summary(self, summary: CaseSummary) -> None:
        s, ds = summary, self._style
        self.label_label.setText(f"支援ケース {s.label}")
        self.name_label.setText(s.pupil_name or "（氏名は表示しません）")
        self.values["在籍"].setText(place_text(s))
        self.values["領域"].setText(s.domain.label)
        self.values["件名"].setText(s.title or "—")
        self.values["きっかけ"].setText(s.source.label)
        self.values["開始"].setText(f"{format_date(s.opened_at, ds)}　{s.opened_by}")
        self.values["次回の見直し"].setText(
            format_date(s.next_review, ds) if s.next_review else "予定なし")
        fg, bg = STATUS_COLORS[s.status]
        self.status_label.setText(s.status.label)
        self.status_label.setStyleSheet(
            f"color: {fg}; background: {bg}; border: 1px solid {fg}; border-radius: 4px;"
            " padding: 4px 14px; font-weight: bold; font-size: 12pt;")
