"""Registering the cases feature in the main window (called by the shell, a few lines there).

Roles that see no case domain (the map's domains and the keys held) get nothing: no page,
no karte section, no 「ケースを開く」. The others get 支援ケース and 支援の予定 under 「支援」
(and ケース会議記録の取込 when they may import cases),
the karte's 支援ケース section, 「ケースを開く」 on search and extraction results (context
menu) and on alerts marked 支援開始. The service checks again on every call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from kernel.date_style import DateStyle
from toda_desktop.cases.model import CaseSource
from toda_desktop.clock import today
from ui.background import BackgroundRunner
from ui.cases.import_page import TITLE as IMPORT_TITLE
from ui.cases.import_page import CaseImportPage
from ui.cases.karte_section import KarteCasesSection
from ui.cases.page import TITLE, CasesPage
from ui.cases.schedule_page import TITLE as SCHEDULE_TITLE
from ui.cases.schedule_page import SchedulePage

if TYPE_CHECKING:
    from toda_desktop.composition import SignedIn
    from toda_desktop.risk.service import Alert
    from ui.main_window import MainWindow
    from ui.printing.flow import PrintFlow

SECTION = "支援"


class CasePages:
    """The two pages and the ways other pages open a case."""

    def __init__(self, window: MainWindow, signed: SignedIn, runner: BackgroundRunner,
                 date_style: DateStyle, printer: PrintFlow | None = None) -> None:
        cases, clock = signed.cases, signed.app.clock
        self._window = window
        self._runner = runner
        self._style = date_style
        self._service = cases
        self.may_edit = cases.may_edit()
        self.page = CasesPage(cases, runner, date_style, lambda: today(clock), printer=printer)
        self.schedule = SchedulePage(cases, runner, date_style, lambda: today(clock),
                                     self.open_case, signed.user.login_id)
        self.page.changed.connect(self.schedule.cases_changed)
        self.sections: list[KarteCasesSection] = []
        self.importer: CaseImportPage | None = None
        if cases.may_import():  # 支援ケースの取込: case_edit + a domain + the basic register
            self.importer = CaseImportPage(cases, runner, cases.domains(editable=True))
            self.importer.imported.connect(self.page.changed)  # the karte, 支援の予定

    def add_to(self, window: MainWindow) -> None:
        window.add_page(SCHEDULE_TITLE, self.schedule, SECTION)
        window.add_page(TITLE, self.page, SECTION)
        if self.importer is not None:
            window.add_page(IMPORT_TITLE, self.importer, SECTION)

    def _show(self) -> CasesPage:
        self._window.show_page(TITLE)
        return self.page

    def open_case(self, key: str) -> None:
        self._show().open_case(key)

    def open_pupil(self, pupil_id: int) -> None:
        self._show().open_pupil(pupil_id, CaseSource.MANUAL, "児童生徒カルテ")

    def open_search_result(self, pupil_id: int) -> None:
        self._show().open_search_result(pupil_id)

    def open_extraction_result(self, pupil_id: int) -> None:
        self._show().open_extraction_result(pupil_id)

    def open_for_alert(self, alert: Alert) -> None:
        self._show().open_for_alert(alert)

    def karte_section(self, pupil_id: int) -> QWidget:
        """The karte's 支援ケース section for one pupil (read again after a case is saved)."""
        section = KarteCasesSection(pupil_id, self._service, self._runner, self._style,
                                    self.open_case, self.open_pupil, may_edit=self.may_edit)
        self.page.changed.connect(section.reload)
        return section


def make_case_pages(window: MainWindow, signed: SignedIn, runner: BackgroundRunner,
                    date_style: DateStyle, printer: PrintFlow | None = None
                    ) -> CasePages | None:
    """The cases feature for roles that see a case domain (None for the others)."""
    if not signed.may("view") or not signed.cases.domains():
        return None
    return CasePages(window, signed, runner, date_style, printer)
