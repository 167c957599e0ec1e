"""A date box that writes the date in the user's date style (令和8年12月7日 or 2026年12月7日).

``QDateEdit`` can only show 西暦 (its display format has no era), so period boxes showed
2026年11月7日 to a user who reads 令和 everywhere else (issue 16). This box shows the date
through ``toda_desktop.formatting``, reads what is typed the way imports read dates (令和8年
12月7日, R8.12.7, 2026/12/7 …) and offers a calendar. It keeps the part of ``QDateEdit``'s API
the pages use: ``date()``, ``setDate()`` and ``dateChanged``.
"""

from __future__ import annotations

from datetime import date as Day

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QCalendarWidget,
    QHBoxLayout,
    QLineEdit,
    QMenu,
    QToolButton,
    QWidget,
    QWidgetAction,
)

from analysis.values import parse_date_text
from kernel.date_style import DateStyle
from toda_desktop.formatting import format_date
from ui import style

EXAMPLES = "例: 令和8年4月1日、R8.4.1、2026/4/1"
INVALID_STYLE = f"QLineEdit {{ border: 1px solid {style.ERROR_COLOR}; }}"


class DateField(QWidget):
    """A date in the user's style, typed or picked from a calendar."""

    dateChanged = Signal(QDate)

    def __init__(self, day: QDate, date_style: DateStyle, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._style = date_style
        self._date = day
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.line = QLineEdit()
        self.line.setToolTip(f"{EXAMPLES}。右のボタンでカレンダーから選べます")
        width = self.line.fontMetrics().horizontalAdvance("令和10年12月30日") + 24
        self.line.setMinimumWidth(width)
        self.line.editingFinished.connect(self._typed)
        self.line.textEdited.connect(lambda _t: self.line.setStyleSheet(""))
        self.calendar = QCalendarWidget()
        self.calendar.setGridVisible(True)
        self.calendar.clicked.connect(self._picked)
        menu = QMenu(self)
        action = QWidgetAction(menu)
        action.setDefaultWidget(self.calendar)
        menu.addAction(action)
        self.menu = menu
        self.button = QToolButton()
        self.button.setText("▾")
        self.button.setToolTip("カレンダーから選ぶ")
        self.button.setAccessibleName("カレンダーから選ぶ")
        self.button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.button.setMenu(menu)
        menu.aboutToShow.connect(lambda: self.calendar.setSelectedDate(self._date))
        layout.addWidget(self.line, 1)
        layout.addWidget(self.button)
        self._show()

    def date(self) -> QDate:
        return self._date

    def value(self) -> Day:
        return Day(self._date.year(), self._date.month(), self._date.day())

    def setDate(self, day: QDate) -> None:
        changed = day != self._date
        self._date = day
        self._show()
        if changed:
            self.dateChanged.emit(day)

    def setAccessibleName(self, name: str) -> None:
        super().setAccessibleName(name)
        self.line.setAccessibleName(name)

    def text(self) -> str:
        return self.line.text()

    def _show(self) -> None:
        self.line.setText(format_date(self.value(), self._style))
        self.line.setStyleSheet("")

    def _typed(self) -> None:
        text = self.line.text().strip()
        try:
            day = parse_date_text(text)
        except ValueError as exc:
            self.line.setStyleSheet(INVALID_STYLE)
            self.line.setToolTip(f"{exc} {EXAMPLES}")
            return
        self.setDate(QDate(day.year, day.month, day.day))

    def _picked(self, day: QDate) -> None:
        self.menu.close()
        self.setDate(day)
