"""支援の予定: the reviews that are due or overdue, and the agreed actions still open, in the
cases the signed-in user may see, sorted by date (overdue first). A row opens its case.

「自分が関わるケースだけ」 (on by default) keeps the reviews of cases the user opened or
whose meeting they recorded, and the open actions of those cases.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QCheckBox, QLabel, QPushButton, QVBoxLayout, QWidget

from kernel.date_style import DateStyle
from toda_desktop.cases.model import DueReview, OpenAction
from toda_desktop.formatting import format_count, format_date
from ui.background import BackgroundRunner
from ui.cases.widgets import muted
from ui.page import Freshness
from ui.page_header import PageHeader, StatusLine
from ui.page_task import PageTask
from ui.table_model import LinesTableModel, make_view

if TYPE_CHECKING:
    from toda_desktop.cases.service import CaseService

TITLE = "支援の予定"
WITHIN_DAYS = 28
HEADERS = ("期日", "状況", "予定", "児童生徒", "学校", "ケース", "内容")
OVERDUE_BG = "#fbe3e1"


@dataclass(frozen=True)
class PlanLine:
    due: date | None
    overdue: bool
    what: str  # 見直し / 支援
    pupil_name: str
    school_name: str
    case_key: str
    case_label: str
    text: str
    mine: bool


@dataclass(frozen=True)
class Plan:
    lines: tuple[PlanLine, ...]
    today: date


def read_plan(service: CaseService, today: date, date_style: DateStyle, login_id: str
              ) -> Plan:
    """On the worker: the reviews due within four weeks (and overdue ones), and the actions
    still open in the open cases. A line is the user's when they opened the case or
    recorded the meeting under review (cases name their opener 「氏名（ログインID）」)."""
    reviews: Sequence[DueReview] = service.reviews_due(today, within_days=WITHIN_DAYS)
    cases = service.list_cases()
    mine = ({r.case_key for r in reviews if r.mine}
            | {c.key for c in cases if c.opened_by.endswith(f"（{login_id}）")})
    lines = [PlanLine(r.next_review, r.overdue, "見直し", r.pupil_name, r.school_name,
                      r.case_key, r.case_label,
                      f"{format_date(r.held_on, date_style)}の会議の見直し", r.case_key in mine)
             for r in reviews]
    pupils = {c.pupil_id: c for c in cases if c.open_actions}
    seen: set[tuple[str, int]] = set()
    for pupil_id, case in pupils.items():
        actions: Sequence[OpenAction] = service.cases_for_pupil(pupil_id).open_actions
        for item in actions:
            a = item.action
            if (item.case_key, a.id) in seen:
                continue
            seen.add((item.case_key, a.id))
            lines.append(PlanLine(
                a.due, a.due is not None and a.due < today, "支援", case.pupil_name,
                case.school_name, item.case_key, item.case_label,
                f"{a.what}（担当: {a.owner or '未定'}、{a.status.label}）",
                item.case_key in mine))
    lines.sort(key=lambda x: (x.due or date.max, x.what != "見直し", x.case_key))
    return Plan(tuple(lines), today)


class PlanModel(LinesTableModel[PlanLine]):
    def __init__(self, date_style: DateStyle, parent: QWidget | None = None) -> None:
        super().__init__(HEADERS, parent)
        self._style = date_style

    def cells(self, line: PlanLine) -> Sequence[Any]:
        due = format_date(line.due, self._style) if line.due else "期限なし"
        state = "期限切れ" if line.overdue else "予定"
        return (due, state, line.what, line.pupil_name or "—", line.school_name or "—",
                line.case_label, line.text)

    def cell_data(self, line: PlanLine, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.BackgroundRole and line.overdue:
            return QColor(OVERDUE_BG)
        if role == Qt.ItemDataRole.FontRole and line.overdue and column == 1:
            font = QFont()
            font.setBold(True)
            return font
        return super().cell_data(line, column, role)


class SchedulePage(QWidget):
    """The reviews and actions coming due; Enter or double-click opens the case."""

    loaded = Signal()

    def __init__(self, service: CaseService, runner: BackgroundRunner, date_style: DateStyle,
                 today: Callable[[], date], open_case: Callable[[str], None],
                 login_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._login_id = login_id
        self._service = service
        self._style = date_style
        self._today = today
        self._open_case = open_case
        self.plan: Plan | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(10)
        header = PageHeader(TITLE)
        self.mine_box = QCheckBox("自分が関わるケースだけ")
        self.mine_box.setToolTip("自分が作成したケース、または自分が会議を記録したケースだけを"
                                 "表示します")
        self.mine_box.setChecked(True)
        self.mine_box.toggled.connect(lambda _on: self._fill())
        header.add_action(self.mine_box)
        self.refresh_button = header.add_refresh(self.reload)
        layout.addLayout(header)
        layout.addWidget(muted(
            f"見直しの期日が{WITHIN_DAYS // 7}週間以内のもの（期限切れを含む）と、そのケースで"
            "まだ終わっていない支援を、期日の順に表示します。行をダブルクリックするか"
            "Enterキーでケースを開きます。"))
        self.status_line = StatusLine()
        layout.addWidget(self.status_line)
        self.count_label = QLabel("")
        self.count_label.setStyleSheet("font-size: 12pt; font-weight: bold;")
        layout.addWidget(self.count_label)
        self.model = PlanModel(date_style, self)
        self.table = make_view(self.model, "支援の予定", self,
                               widths=(150, 80, 70, 150, 170, 120))
        self.table.doubleClicked.connect(lambda _i: self.open_current())
        self.table.activated.connect(lambda _i: self.open_current())
        layout.addWidget(self.table, 1)
        self.open_button = QPushButton("ケースを開く")
        self.open_button.clicked.connect(self.open_current)
        layout.addWidget(self.open_button, 0, Qt.AlignmentFlag.AlignRight)
        self.task = PageTask(self, runner, "支援の予定を読み込んでいます…",
                             status=self.status_line, progress_dialog=False,
                             busy=(self.refresh_button,))
        self.freshness = Freshness(self, self.reload, kinds=())

    def activated(self) -> None:
        self.freshness.activated()

    def data_changed(self, kinds: frozenset[str]) -> None:
        self.freshness.changed(kinds)

    def cases_changed(self) -> None:
        """A case was saved: read again (now if in sight, else when shown)."""
        self.freshness.stale = True
        if self.isVisible():
            self.reload()

    def reload(self) -> None:
        service, today, date_style = self._service, self._today(), self._style
        login_id = self._login_id

        def done(plan: Plan) -> None:
            self.plan = plan
            self.freshness.loaded()
            self._fill()
            self.loaded.emit()

        self.task.run(lambda _ctx: read_plan(service, today, date_style, login_id), done)

    def _fill(self) -> None:
        if self.plan is None:
            return
        lines = [x for x in self.plan.lines if x.mine or not self.mine_box.isChecked()]
        self.model.set_lines(lines)
        overdue = sum(1 for x in lines if x.overdue)
        reviews = sum(1 for x in lines if x.what == "見直し")
        self.count_label.setText(
            f"見直し {format_count(reviews)}件　支援 {format_count(len(lines) - reviews)}件"
            + (f"　（うち期限切れ {format_count(overdue)}件）" if overdue else "")
            if lines else "期日の近い見直しや支援はありません。")
        self.open_button.setEnabled(bool(lines))
        if lines:
            self.table.selectRow(0)

    def open_current(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self._open_case(self.model.line(rows[0].row()).case_key)
