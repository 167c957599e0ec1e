"""学校カルテ (roles with ``school_karte``): the city view and one school's karte.

The page reads through the school karte service on the worker (``PageTask`` with the in-page
progress strip and 中止), so that it never freezes: the city view when first shown or when the
school year changes, a school's karte when a school is opened (from a tile or the school
list). A request made while another runs waits and runs next (the latest one wins). The
fixed caption — associations to help improvement, not a judgment of a school or its
teachers — stays above both views whatever is scrolled or chosen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from kernel.date_style import DateStyle
from toda_desktop.formatting import format_school_year
from toda_desktop.school_karte.models import CAPTION
from ui import style
from ui.background import BackgroundRunner, TaskContext
from ui.page import ALERT_LISTS, Freshness
from ui.page_header import PageHeader, ProgressStrip, StatusLine
from ui.page_task import PageTask
from ui.school_karte.adapt import SCHOOL_LEVEL, Level
from ui.school_karte.city_view import CityPanel
from ui.school_karte.school_view import SchoolView

if TYPE_CHECKING:
    from toda_desktop.school_karte.models import CityView, SchoolKarte
    from toda_desktop.school_karte.service import SchoolKarteService
    from ui.printing.flow import PrintFlow

TITLE = "学校カルテ"
CITY_TAB, SCHOOL_TAB = 0, 1
ORDER_NOTE = "学校はいつも学校コードの順に並べ、数値の順には並べません。"
LOADING = "読み込んでいます…"
NOT_LOADED = "読み込めませんでした。"


class SchoolKartePage(QWidget):
    def __init__(self, service: SchoolKarteService, runner: BackgroundRunner,
                 date_style: DateStyle, *, printer: PrintFlow | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._style = date_style
        self._printer = printer
        self.city: CityView | None = None
        self.karte: SchoolKarte | None = None
        self._year: int | None = None
        self._pending: Callable[[], None] | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 16, 24, 12)
        outer.setSpacing(8)
        header = PageHeader(TITLE)
        self.year_combo = QComboBox()
        self.year_combo.setAccessibleName("年度")
        self.year_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        header.add_lead(QLabel("年度:"), self.year_combo)
        self.print_button = QPushButton("学校ごとのレポートを印刷…")
        self.print_button.setToolTip("開いている学校のカルテを、校長に渡せる形で印刷します")
        self.print_button.setVisible(printer is not None)
        self.print_button.clicked.connect(self.print_page)
        header.add_action(self.print_button)
        self.refresh_button = header.add_refresh(self.reload)
        outer.addLayout(header)
        self.caption = QLabel(f"{CAPTION}{ORDER_NOTE}")
        self.caption.setObjectName("schoolKarteCaption")
        self.caption.setWordWrap(True)
        self.caption.setStyleSheet(style.NOTICE_TEXT + " font-weight: bold;")
        self.caption.setAccessibleName("この画面の数値について")
        outer.addWidget(self.caption)
        self.progress = ProgressStrip()
        outer.addWidget(self.progress)
        self.status_line = StatusLine()
        outer.addWidget(self.status_line)
        self.notes = QLabel("")
        self.notes.setWordWrap(True)
        self.notes.setStyleSheet(style.MUTED)
        self.notes.hide()
        outer.addWidget(self.notes)

        self.tabs = QTabWidget()
        self.city_panel = CityPanel(date_style)
        self.city_panel.school_opened.connect(self._drill_into)
        self.city_panel.karte_requested.connect(self.open_school)
        self.tabs.addTab(self.city_panel, "市全体（各校を並べて）")
        school_tab = QWidget()
        school_layout = QVBoxLayout(school_tab)
        school_layout.setContentsMargins(0, 8, 0, 0)
        self.school_view = SchoolView(date_style)
        self.school_combo = QComboBox()
        self.school_combo.setAccessibleName("学校")
        self.school_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.school_combo.activated.connect(self._school_picked)
        self.karte_status = QLabel("")
        self.karte_status.setStyleSheet(style.MUTED)
        choices = self.school_view.choices
        choices.insertWidget(0, QLabel("学校:"))
        choices.insertWidget(1, self.school_combo)
        choices.insertSpacing(2, 10)
        choices.addWidget(self.karte_status)
        school_layout.addWidget(self.school_view, 1)
        self.tabs.addTab(school_tab, "学校カルテ")
        outer.addWidget(self.tabs, 1)

        self.task = PageTask(self, runner, "学校カルテを集計しています…",
                             status=self.status_line, strip=self.progress,
                             busy=[self.year_combo, self.refresh_button, self.school_combo])
        self.task.ended.connect(self._karte_load_ended)
        self.task.ended.connect(self._run_pending)
        self.freshness = Freshness(self, self.reload)
        self.year_combo.activated.connect(self._year_picked)
        self._update_print()

    # -- page hooks ------------------------------------------------------------------------

    def activated(self) -> None:
        self.freshness.activated()

    def data_changed(self, kinds: frozenset[str]) -> None:
        """New data, or (``ALERT_LISTS``) a month's lists made or an alert marked: the
        push-support counts show alerts by their marks, so that is a change too."""
        if ALERT_LISTS in kinds:
            self.freshness.changed(frozenset())
        else:
            self.freshness.changed(kinds)

    @property
    def busy(self) -> bool:
        return self.task.running

    # -- loading ---------------------------------------------------------------------------

    def _when_free(self, start: Callable[[], None]) -> None:
        """Run now, or after the running read (the latest request wins)."""
        if self.task.running:
            self._pending = start
            return
        start()

    def _karte_load_ended(self) -> None:
        """A school's karte that did not come (an error the page says above): not 読み込み中."""
        if self.karte_status.text() == LOADING and self._pending is None:
            self.karte_status.setText(NOT_LOADED)

    def _run_pending(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending()

    def reload(self) -> None:
        """The city view of the chosen year (and the open school's karte again)."""
        service, year = self._service, self._year

        def start() -> None:
            self.status_line.clear_message()
            self.task.run(lambda ctx: service.city_view(year, progress=ctx.progress,
                                                        cancel=ctx.cancelled),
                          self._show_city, label="市全体の学校カルテを集計しています…",
                          on_cancelled=self._cancelled)

        self._when_free(start)

    def _show_city(self, view: CityView) -> None:
        self.city = view
        self._year = view.school_year
        self.freshness.loaded()
        self.year_combo.clear()
        for year in view.school_years:
            self.year_combo.addItem(format_school_year(year, self._style), year)
        self.year_combo.setCurrentIndex(self.year_combo.findData(view.school_year))
        self.school_combo.clear()
        for school in view.schools:  # school-code order
            self.school_combo.addItem(f"{school.code}　{school.name}", school.code)
        self._show_notes(view.notes)
        self.city_panel.show_view(view)
        karte = self.karte
        if karte is not None and karte.school_year != view.school_year:
            self.karte = None
            self.open_school(karte.school.code, SCHOOL_LEVEL, show=False)
        elif karte is not None:
            self.open_school(karte.school.code, self.school_view.level, show=False)
        self._select_school_in_combo()

    def _cancelled(self) -> None:
        self.status_line.show_message("集計を中止しました。", notice=True)

    def _load_karte(self, code: str, then: Callable[[SchoolKarte], None]) -> None:
        service, year = self._service, self._year

        def start() -> None:
            self.status_line.clear_message()

            def task(ctx: TaskContext) -> SchoolKarte:
                return service.school_karte(code, year, progress=ctx.progress,
                                            cancel=ctx.cancelled)

            self.task.run(task, then, label="学校カルテを集計しています…",
                          on_cancelled=self._cancelled)

        self._when_free(start)

    def open_school(self, code: str, level: Level = SCHOOL_LEVEL, *, show: bool = True
                    ) -> None:
        """Open a school's karte (at a grade or class), on its tab when ``show``."""
        if show:
            self.tabs.setCurrentIndex(SCHOOL_TAB)
        karte = self.karte
        if karte is not None and karte.school.code == code and karte.school_year == self._year:
            self.school_view.select_level(level)
            return
        self.karte_status.setText(LOADING)
        self._load_karte(code, lambda k: self._show_karte(k, level))

    def _drill_into(self, code: str) -> None:
        """A school tile of the city view: its grades, from its karte."""
        def drilled(karte: SchoolKarte) -> None:
            self._show_karte(karte, SCHOOL_LEVEL)
            self.city_panel.show_school(karte)

        karte = self.karte
        if karte is not None and karte.school.code == code and karte.school_year == self._year:
            self.city_panel.show_school(karte)
            return
        self._load_karte(code, drilled)

    def _show_karte(self, karte: SchoolKarte, level: Level) -> None:
        self.karte = karte
        names = {} if self.city is None else {s.code: s.name for s in self.city.schools}
        names.setdefault(karte.school.code, karte.school.name)
        self.school_view.show_karte(karte, names, level)
        year = format_school_year(karte.school_year, self._style)
        self.karte_status.setText(f"{karte.school.school_type}・{year}")
        self._show_notes(karte.notes)
        self._select_school_in_combo()
        self._update_print()

    def _select_school_in_combo(self) -> None:
        if self.karte is not None:
            index = self.school_combo.findData(self.karte.school.code)
            if index >= 0:
                self.school_combo.setCurrentIndex(index)

    def _show_notes(self, notes: tuple[str, ...]) -> None:
        self.notes.setText("\n".join(notes))
        self.notes.setVisible(bool(notes))

    def _school_picked(self, index: int) -> None:
        code = self.school_combo.itemData(index)
        if isinstance(code, str):
            self.open_school(code)

    def _year_picked(self, index: int) -> None:
        year = self.year_combo.itemData(index)
        if isinstance(year, int) and year != self._year:
            self._year = year
            self.reload()

    # -- printing --------------------------------------------------------------------------

    def _update_print(self) -> None:
        self.print_button.setEnabled(self._printer is not None and self.karte is not None)

    def print_page(self) -> None:
        """Ctrl+P: the open school's report (nothing without a school open or ``print``)."""
        printer, karte = self._printer, self.karte
        if printer is None or karte is None:
            return
        from toda_desktop.school_karte.sheet import school_karte_sheet

        date_style = self._style
        printer.print_document(lambda: school_karte_sheet(karte, date_style))
