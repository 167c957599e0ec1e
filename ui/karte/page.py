"""児童生徒カルテ (roles with ``view``): one tab per opened pupil.

A karte shows what the service gives the role and nothing else: the header (name, kana,
birth date, sex, current school / grade / class / number, the IDs the role may see, and
how far each kind's data goes in the store: 「出欠状況（月次）: 令和8年3月分まで」),
連携情報 (the datasets the role may see, with counts and latest dates; choosing
one lists its records), the charts (clicking a point lists the records behind it) and the
record lists (相談, いじめ等 … as the role may see them). Every record row carries its
provenance: source file, import batch and time. Roles that may see alerts also get
不登校の早期把握 under the header (``karte_risk.py``; hidden when no reader is given). All
reading runs on the worker; the service logs every opening, list and click-through.

One scroll bar at a time (issue 16): the karte itself does not scroll; its lists and the
charts column do. On a short window (a laptop's 697 pixels) 不登校の早期把握 starts compact
(band, list and mark on one line; 「詳しく表示」 opens it) so that the charts stay in sight.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from kernel.date_style import DateStyle
from kernel.school_calendar import SchoolMonth
from toda_desktop.formatting import (
    BLANK,
    enrolment_text,
    format_count,
    format_date,
    format_datetime,
    format_month,
    format_phrase,
    format_school_year,
)
from toda_desktop.phrase import SchoolYear
from ui import style
from ui.background import BackgroundRunner
from ui.karte.charts import KarteChartView
from ui.karte.risk_section import KarteRiskSection
from ui.page import ALERT_LISTS, datasets_changed
from ui.page_header import PageHeader
from ui.page_task import PageTask
from ui.pupil_tables import ID_KEYS, KarteRecordsModel, age_on
from ui.table_model import make_table

if TYPE_CHECKING:
    from toda_desktop.karte.service import (
        Karte,
        KarteRecords,
        KarteService,
        KindCoverage,
        LinkedData,
    )
    from ui.karte.risk_section import DomainJudgments, Explanations
    from ui.printing.flow import PrintFlow

MAX_TABS = 8
ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
EMPTY_TEXT = (
    "児童生徒検索または抽出の結果から、児童生徒を選んでカルテを開いてください。\n"
    "（検索結果の行でEnterキーを押すか、ダブルクリックします）"
)
CHART_HINT = (
    "棒や点をクリックすると、元の記録を下に表示します（←→キーとEnterキーでも操作できます）。"
)
PROVENANCE_NOTE = (
    "各行の右端に、取込元ファイル・取込番号・取込日を表示しています"
    "（行にマウスを置くと取込日時も表示します）。"
)


class RecordsPanel(QWidget):
    """A titled list of records with their provenance (also used for the click-through)."""

    closed = Signal()

    def __init__(self, date_style: DateStyle, *, closable: bool = False,
                 accessible_name: str = "記録の一覧", shown_ids: Sequence[str] = ID_KEYS,
                 pupil_id: int | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._style = date_style
        self.load_task: PageTask | None = None  # given by the karte (it has the runner)
        self._next: tuple[str, Callable[[], KarteRecords]] | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.setSpacing(6)
        top = QHBoxLayout()
        self.title_label = QLabel("")
        self.title_label.setStyleSheet(style.SECTION_TITLE)
        self.title_label.setWordWrap(True)
        self.count_label = QLabel("")
        self.count_label.setStyleSheet(style.MUTED)
        top.addWidget(self.title_label, 1)
        top.addWidget(self.count_label)
        self.close_button: QPushButton | None = None
        if closable:
            self.close_button = QPushButton("閉じる")
            self.close_button.clicked.connect(self.closed)
            top.addWidget(self.close_button)
        layout.addLayout(top)
        self.message_label = QLabel("")
        self.message_label.setWordWrap(True)
        self.message_label.setStyleSheet(style.MUTED)
        self.message_label.hide()
        layout.addWidget(self.message_label)
        self.model = KarteRecordsModel(date_style, self, shown_ids, pupil_id=pupil_id)
        self.table, self.proxy = make_table(self.model, accessible_name, self)
        # Cells, not rows: a range can be chosen and copied for Excel (Ctrl+C, logged).
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        layout.addWidget(self.table, 1)
        note = QLabel(PROVENANCE_NOTE)
        note.setStyleSheet(style.MUTED)
        note.setWordWrap(True)  # never wider than the screen (it once widened the window)
        note.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        layout.addWidget(note)

    @property
    def records(self) -> KarteRecords | None:
        return self.model.records

    def show_loading(self, title: str) -> None:
        self.title_label.setText(title)
        self.count_label.setText("")
        self.message_label.setText("読み込んでいます…")
        self.message_label.setStyleSheet(style.MUTED)
        self.message_label.show()
        self.model.set_records(None)

    def show_records(self, records: KarteRecords) -> None:
        self.title_label.setText(format_phrase(records.title, self._style))
        self.model.set_records(records)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        self.table.horizontalHeader().setSortIndicatorShown(False)
        n = len(records.rows)
        self.count_label.setText(f"{format_count(n)}件")
        self.message_label.setVisible(n == 0)
        self.message_label.setText("記録はありません。")
        header = self.table.horizontalHeader()
        header.resizeSections(QHeaderView.ResizeMode.ResizeToContents)
        for column in range(header.count()):
            header.resizeSection(column, min(max(header.sectionSize(column), 40), 300))

    def show_error(self, message: str) -> None:
        self.message_label.setText(message)
        self.message_label.setStyleSheet(f"color: {style.ERROR_COLOR};")
        self.message_label.show()

    def load(self, title: str, read: Callable[[], KarteRecords],
             shown: Callable[[KarteRecords], None]) -> None:
        """Read and show records on the panel's task; a choice made while one is read is
        read after it, and only the latest choice is shown."""
        task = self.load_task
        assert task is not None
        self.show_loading(title)
        if task.running:
            self._next = (title, read)
            return

        def done(records: KarteRecords) -> None:
            if self._next is None:  # (else a later choice is read next)
                self.show_records(records)
                shown(records)

        def refused(message: str) -> None:
            if self._next is None:
                self.show_error(message)

        def ended() -> None:
            next_read, self._next = self._next, None
            if next_read is not None:
                self.load(*next_read, shown)

        task.run(lambda _ctx: read(), done, on_user_error=refused, on_ended=ended)


KARTE_LISTS_MIN_HEIGHT = 220  # 連携情報 and the tabs keep this much
# In a window lower than this the karte shows 不登校の早期把握 compact (a laptop's 697 or
# 768 pixels): header + whole section + lists would not fit without scrolling the page.
COMPACT_RISK_BELOW = 900
COVERAGE_ROWS = 3  # lines of 「データの範囲」 in the header (the rest in its tooltip)


class KarteView(QWidget):
    """One pupil's karte."""

    records_shown = Signal(object)  # KarteRecords (for tests)

    def __init__(self, karte: Karte, service: KarteService, runner: BackgroundRunner,
                 date_style: DateStyle, parent: QWidget | None = None, *,
                 explanations: Explanations | None = None,
                 domain_judgments: DomainJudgments | None = None,
                 case_section: Callable[[int], QWidget] | None = None) -> None:
        super().__init__(parent)
        self.karte = karte
        self._service = service
        self._runner = runner
        self._style = date_style
        self.pupil_id = karte.header.pupil_id
        self.stale = False  # the store changed since it was read: read again when in sight
        self._shown_ids = tuple(i.key for i in karte.header.identifiers)
        self.chart_views: list[KarteChartView] = []
        self.record_panels: dict[str, RecordsPanel] = {}
        self._loaded_tabs: set[str] = set()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(self._build_header())
        self.withheld_label: QLabel | None = None
        if karte.withheld:  # the role's kinds left out for want of their key (issue 12)
            self.withheld_label = QLabel(karte.withheld)
            self.withheld_label.setStyleSheet(style.MUTED)
            self.withheld_label.setWordWrap(True)
            layout.addWidget(self.withheld_label)
        self.risk_section: KarteRiskSection | None = None
        self._risk_compact_chosen = False  # the user chose 詳しく/簡単に: no longer automatic
        if explanations is not None:  # only roles that may see alerts
            self.risk_section = KarteRiskSection(self.pupil_id, explanations, domain_judgments,
                                                 runner, date_style)
            self.risk_section.compact_toggled.connect(self._risk_compact_chosen_by_user)
            layout.addWidget(self.risk_section)
            self.risk_section.load()
        # 支援ケース (issue 14): the cases feature's own widget, given by the shell.
        self.case_section = case_section(self.pupil_id) if case_section is not None else None
        if self.case_section is not None:
            layout.addWidget(self.case_section)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self._build_linked())
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.setAccessibleName("カルテの内容")
        self.tabs.setElideMode(Qt.TextElideMode.ElideNone)  # 「教育相談・SC/SSW相談」 whole
        self.tabs.setUsesScrollButtons(True)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([300, 900])
        splitter.setMinimumHeight(KARTE_LISTS_MIN_HEIGHT)
        layout.addWidget(splitter, 1)

        self.charts_tab: QWidget | None = None
        if karte.charts:
            self.charts_tab = self._build_charts()
            self.tabs.addTab(self.charts_tab, "グラフ")
        self.records_panel = RecordsPanel(date_style, shown_ids=self._shown_ids,
                                          pupil_id=self.pupil_id)
        self.records_panel.show_loading("")
        self.records_panel.message_label.setText(
            "左の「連携情報」からデータを選ぶと、その記録を表示します。")
        self.tabs.addTab(self.records_panel, "記録")
        labels = {d.kind: d for d in karte.linked}
        for kind in karte.record_kinds:
            panel = RecordsPanel(date_style, shown_ids=self._shown_ids, pupil_id=self.pupil_id)
            linked = labels.get(kind)
            name = linked.label if linked is not None else kind
            count = f"（{linked.count}）" if linked is not None else ""
            panel.setProperty("kind", kind)
            self.record_panels[kind] = panel
            self.tabs.addTab(panel, f"{name}{count}")
        self.tabs.currentChanged.connect(self._tab_changed)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """On a short window 不登校の早期把握 is compact (until the user chooses)."""
        super().resizeEvent(event)
        if self.risk_section is not None and not self._risk_compact_chosen:
            self.risk_section.set_compact(self.window().height() < COMPACT_RISK_BELOW)

    def _risk_compact_chosen_by_user(self, _compact: bool) -> None:
        self._risk_compact_chosen = True

    # -- header ----------------------------------------------------------------------------

    def _build_header(self) -> QWidget:
        h = self.karte.header
        card = QFrame()
        card.setObjectName("infoCard")
        card.setStyleSheet(style.CARD)
        outer = QHBoxLayout(card)
        outer.setContentsMargins(18, 12, 18, 12)
        outer.setSpacing(14)
        left = QVBoxLayout()
        left.setSpacing(2)
        self.name_label = QLabel(h.name)
        self.name_label.setStyleSheet("font-size: 20pt; font-weight: bold;")
        self.name_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.kana_label = QLabel(h.name_kana)
        self.kana_label.setStyleSheet(f"{style.MUTED} font-size: 11pt;")
        left.addWidget(self.kana_label)
        left.addWidget(self.name_label)
        left.addStretch(1)
        outer.addLayout(left)

        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(4)
        self.header_values: dict[str, str] = {}
        birth = BLANK
        if h.birth_date is not None:
            birth = (f"{format_date(h.birth_date, self._style)}"
                     f"（{age_on(h.birth_date, self.karte.opened_at.date())}歳）")
        place = enrolment_text(h.school_name, h.grade, h.class_name, h.seat_number,
                               h.school_year, self._style)
        fields: list[tuple[str, str]] = [
            ("生年月日", birth), ("性別", h.sex or BLANK), ("在籍", place),
        ]
        fields += [(i.label, i.value) for i in h.identifiers]
        for n, (label, value) in enumerate(fields):
            row, col = n % 3, (n // 3) * 2
            key = QLabel(label)
            key.setStyleSheet(style.MUTED)
            val = QLabel(value)
            val.setWordWrap(True)  # wraps on a narrow screen instead of widening the window
            val.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            val.setAccessibleName(label)
            grid.addWidget(key, row, col, Qt.AlignmentFlag.AlignRight)
            grid.addWidget(val, row, col + 1)
            self.header_values[label] = value
        for column in range(1, grid.columnCount(), 2):  # the values take the room there is
            grid.setColumnStretch(column, 1)
        outer.addLayout(grid, 1)

        outer.addWidget(self._build_coverage())
        return card

    def _build_coverage(self) -> QWidget:
        """「データの範囲」: how far each kind's data goes in the store (not this pupil's latest
        record, which 連携情報 gives), so that a blank month reads right."""
        box = QWidget()
        grid = QGridLayout(box)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(2)
        title = QLabel("データの範囲")
        title.setStyleSheet("font-weight: bold;")
        title.setToolTip("データの種類ごとに、取り込んだデータがどこまであるかを示します")
        grid.addWidget(title, 0, 0)
        charted = [c.kind for c in self.karte.charts]  # the charts' kinds first
        ordered = sorted(self.karte.coverage,
                         key=lambda c: charted.index(c.kind) if c.kind in charted
                         else len(charted))
        lines = [coverage_text(c, self._style) for c in ordered]
        self.coverage_lines = lines
        shown = lines[:COVERAGE_ROWS] or ["取り込んだデータはありません"]
        for n, text in enumerate(shown):
            label = QLabel(text)
            label.setStyleSheet(style.MUTED)
            grid.addWidget(label, 1 + n, 0)
        rest = lines[len(shown):] if lines else []
        if rest:  # all of them on hover
            title.setText(f"データの範囲（ほか{len(rest)}種類）")
        box.setToolTip("\n".join(lines) + "\n表示: "
                       + format_datetime(self.karte.opened_at, self._style))
        box.setAccessibleName("データの範囲")
        self.coverage_box = box
        self.header_values["データの範囲"] = "、".join(lines)
        return box

    # -- 連携情報 --------------------------------------------------------------------------

    def _build_linked(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        title = QLabel("連携情報")
        title.setStyleSheet(style.SECTION_TITLE)
        layout.addWidget(title)
        linked = [d for d in self.karte.linked]
        table = QTableWidget(len(linked), 3)
        table.setHorizontalHeaderLabels(["データ", "件数", "最新"])
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setTabKeyNavigation(False)
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setDefaultSectionSize(26)
        table.setAccessibleName("連携情報")
        table.setToolTip("選ぶ（クリックまたはEnterキー）と、そのデータの記録を表示します")
        for row, d in enumerate(linked):
            cells = (d.label, format_count(d.count), self._latest(d))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, d.kind)
                if column == 1:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                if d.count == 0:
                    item.setForeground(Qt.GlobalColor.gray)
                if column == 0 and d.last_imported is not None:
                    item.setToolTip(f"{d.label}（{d.section}）\n最終取込: "
                                    f"{format_datetime(d.last_imported, self._style)}")
                table.setItem(row, column, item)
        header = table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        table.setMinimumWidth(280)
        table.cellClicked.connect(lambda row, _col: self.show_linked(linked[row].kind))
        table.installEventFilter(self)
        self.linked_table = table
        self._linked = linked
        layout.addWidget(table, 1)
        return box

    def _latest(self, d: LinkedData) -> str:
        return format_phrase(d.latest, self._style)

    def linked_kinds(self) -> list[str]:
        return [d.kind for d in self._linked]

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (watched is self.linked_table and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent) and event.key() in ENTER_KEYS):
            row = self.linked_table.currentRow()
            if 0 <= row < len(self._linked):
                self.show_linked(self._linked[row].kind)
            return True
        return super().eventFilter(watched, event)

    def show_linked(self, kind: str) -> None:
        """List every record of one linked dataset in the 記録 tab."""
        label = next((d.label for d in self._linked if d.kind == kind), kind)
        self.tabs.setCurrentWidget(self.records_panel)
        self._load(self.records_panel, label,
                   lambda service, pid: service.records(pid, kind))

    def _load(self, panel: RecordsPanel, title: str,
              read: Callable[[KarteService, int], KarteRecords]) -> None:
        if panel.load_task is None:
            panel.load_task = PageTask(panel, self._runner, "記録を読み込んでいます…")
        service, pid = self._service, self.pupil_id
        panel.load(title, lambda: read(service, pid), self.records_shown.emit)

    def _tab_changed(self, index: int) -> None:
        panel = self.tabs.widget(index)
        kind = panel.property("kind") if panel is not None else None
        if isinstance(panel, RecordsPanel) and kind and kind not in self._loaded_tabs:
            self._loaded_tabs.add(str(kind))
            self._load(panel, self.tabs.tabText(index),
                       lambda service, pid: service.records(pid, str(kind)))

    def show_record_tab(self, kind: str) -> RecordsPanel:
        panel = self.record_panels[kind]
        self.tabs.setCurrentWidget(panel)
        return panel

    # -- charts ----------------------------------------------------------------------------

    def _build_charts(self) -> QWidget:
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setChildrenCollapsible(False)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(4, 4, 12, 4)
        column.setSpacing(18)
        hint = QLabel(CHART_HINT)
        hint.setWordWrap(True)
        hint.setStyleSheet(style.MUTED)
        column.addWidget(hint)
        for chart in self.karte.charts:
            view = KarteChartView(chart, self._style)
            view.point_clicked.connect(self.show_point)
            view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            self.chart_views.append(view)
            column.addWidget(view)
        column.addStretch(1)
        scroll.setWidget(content)
        self.charts_scroll = scroll
        splitter.addWidget(scroll)
        self.source_panel = RecordsPanel(self._style, closable=True,
                                         accessible_name="グラフの点の元の記録",
                                         shown_ids=self._shown_ids, pupil_id=self.pupil_id)
        self.source_panel.closed.connect(self.source_panel.hide)
        self.source_panel.hide()
        splitter.addWidget(self.source_panel)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.charts_splitter = splitter
        return splitter

    def chart(self, key: str) -> KarteChartView:
        return next(v for v in self.chart_views if v.chart.key == key)

    def show_point(self, chart_key: str, x: str, series_key: Any) -> None:
        """The records behind one chart point, under the charts."""
        if not self.source_panel.isVisible():
            self.source_panel.show()
            total = self.charts_splitter.height()
            self.charts_splitter.setSizes([int(total * 0.62), int(total * 0.38)])
        view = next((v for v in self.chart_views if v.chart.key == chart_key), None)
        if view is not None:  # keep the chart in sight above the records
            QTimer.singleShot(0, lambda: self.charts_scroll.ensureWidgetVisible(view, 0, 0))
        self._load(self.source_panel, "グラフの点の元の記録",
                   lambda service, pid: service.source_records(pid, chart_key, x, series_key))


def coverage_text(coverage: KindCoverage, date_style: DateStyle) -> str:
    """「出欠状況（月次）: 令和8年3月分まで」 (a day: 「…日まで」)."""
    until = coverage.until
    if isinstance(until, SchoolYear):
        when = f"{format_school_year(until.year, date_style)}分まで"
    elif isinstance(until, SchoolMonth):
        when = f"{format_month(until, date_style)}分まで"
    else:
        when = f"{format_date(until, date_style)}まで"
    return f"{coverage.label}: {when}"


class KartePage(QWidget):
    """Opened kartes as tabs; empty until a pupil is opened from search or extraction."""

    opened = Signal(object)  # KarteView

    def __init__(self, service: KarteService, runner: BackgroundRunner, date_style: DateStyle,
                 parent: QWidget | None = None, *,
                 explanations: Explanations | None = None,
                 domain_judgments: DomainJudgments | None = None,
                 printer: PrintFlow | None = None,
                 case_section: Callable[[int], QWidget] | None = None) -> None:
        """``explanations``/``domain_judgments``: the risk service's readers for the roles
        that may see alerts / the survey (None: 不登校の早期把握 or its survey part hidden).
        ``printer``: the print flow (roles with 印刷; issue 14).
        ``case_section``: makes a pupil's 支援ケース section (None: roles without cases)."""
        super().__init__(parent)
        self._printer = printer
        self._case_section = case_section
        self._service = service
        self._explanations = explanations
        self._domain_judgments = domain_judgments if explanations is not None else None
        self._runner = runner
        self._style = date_style
        self._waiting: list[tuple[int, bool]] = []  # opened while another karte was read
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(6)
        title_row = PageHeader("児童生徒カルテ")
        title_row.status.hide()  # this page's status stands at the right, by its button
        self.status_label = QLabel("")
        self.status_label.setStyleSheet(style.MUTED)
        title_row.add_action(self.status_label)
        self.refresh_button = title_row.add_refresh(self.refresh_current)
        self.refresh_button.setToolTip("表示中のカルテを今のデータで開き直します")
        self.refresh_button.setEnabled(False)
        self.print_button = QPushButton("ケース会議用に印刷…", self)  # parented
        self.print_button.clicked.connect(self.print_page)
        self.print_button.setVisible(printer is not None)
        self.print_button.setEnabled(False)
        title_row.add_action(self.print_button)
        layout.addLayout(title_row)
        self.stack = QStackedWidget()
        self.empty_label = QLabel(EMPTY_TEXT)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setStyleSheet(f"{style.MUTED} font-size: 11pt;")
        self.tabs = QTabWidget()
        self.tabs.setTabsClosable(True)
        self.tabs.setMovable(True)
        self.tabs.setAccessibleName("開いているカルテ")
        self.tabs.tabCloseRequested.connect(self.close_tab)
        self.stack.addWidget(self.empty_label)
        self.stack.addWidget(self.tabs)
        layout.addWidget(self.stack, 1)
        close = QShortcut(QKeySequence("Ctrl+W"), self)
        close.activated.connect(lambda: self.close_tab(self.tabs.currentIndex()))
        self.tabs.currentChanged.connect(lambda _i: self._refresh_in_sight())
        self.open_task = PageTask(self, runner, "カルテを開いています…", status=self.status_label)
        self.open_task.ended.connect(self._open_ended)

    def views(self) -> list[KarteView]:
        views = (self.tabs.widget(i) for i in range(self.tabs.count()))
        return [v for v in views if isinstance(v, KarteView)]

    def current_view(self) -> KarteView | None:
        view = self.tabs.currentWidget()
        return view if isinstance(view, KarteView) else None

    def print_page(self) -> None:
        """The karte in sight on paper: sections chosen, then the print flow (Ctrl+P)."""
        view = self.current_view()
        if self._printer is not None and view is not None:
            from ui.printing.karte_print import print_karte

            print_karte(self, self._printer, view.karte, self._service.records, self._style)

    def refresh_current(self) -> None:
        view = self.current_view()
        if view is not None:
            self.open_pupil(view.pupil_id, refresh=True)

    @property
    def busy(self) -> bool:
        return self.open_task.running

    def activated(self) -> None:
        self._refresh_in_sight()

    def data_changed(self, kinds: frozenset[str]) -> None:
        """The store changed (the shell's ``changed``): read the karte in front again, and
        each other karte when its tab is shown; when only the alert lists changed, just the
        不登校の早期把握 of the kartes, each when in sight (every reading is logged)."""
        if datasets_changed(kinds):
            front = self.current_view()
            for view in self.views():
                view.stale = view is not front
            self.refresh_current()
        elif ALERT_LISTS in kinds:
            for view in self.views():
                if view.risk_section is not None:
                    view.risk_section.stale = True
            self._refresh_in_sight()

    def _refresh_in_sight(self) -> None:
        """Read the karte in sight again if the store changed since it was read (or only
        its 不登校の早期把握, if only the lists changed)."""
        view = self.current_view()
        if view is None or not self.isVisible() or self.open_task.running:
            return
        if view.stale:
            view.stale = False  # (asked once: a refusal is not asked again and again)
            self.open_pupil(view.pupil_id, refresh=True)
        elif view.risk_section is not None and view.risk_section.stale:
            view.risk_section.load()

    def open_pupil(self, pupil_id: int, *, refresh: bool = False) -> None:
        """Open (or show) a pupil's karte; ``refresh`` reads it again in its tab. Kartes
        asked for while one is read open after it, in order."""
        for view in self.views():
            if view.pupil_id == pupil_id and not refresh:
                self.tabs.setCurrentWidget(view)
                view.linked_table.setFocus()
                return
        if self.open_task.running:
            if all(waiting != pupil_id for waiting, _r in self._waiting):
                self._waiting.append((pupil_id, refresh))
            return
        self.status_label.setStyleSheet(style.MUTED)
        self.status_label.setText("カルテを開いています…")
        service = self._service
        self.open_task.run(lambda _ctx: service.open(pupil_id), self._show)

    def _open_ended(self) -> None:
        if self._waiting:
            pupil_id, refresh = self._waiting.pop(0)
            self.open_pupil(pupil_id, refresh=refresh)
            return
        if self.status_label.text() == "カルテを開いています…":
            self.status_label.setText("")
        self._refresh_in_sight()  # (a tab chosen while a karte was read)

    def _show(self, karte: Karte) -> None:
        view = KarteView(karte, self._service, self._runner, self._style,
                         explanations=self._explanations,
                         domain_judgments=self._domain_judgments,
                         case_section=self._case_section)
        old = next((v for v in self.views() if v.pupil_id == view.pupil_id), None)
        if old is not None:  # refreshed: in place of the old tab
            self.tabs.insertTab(self.tabs.indexOf(old), view, karte.header.name)
            self.close_tab(self.tabs.indexOf(old))
        else:
            while self.tabs.count() >= MAX_TABS:
                self.close_tab(0)
            self.tabs.addTab(view, karte.header.name)
        self.tabs.setTabToolTip(self.tabs.indexOf(view),
                                f"{karte.header.name}（{karte.header.name_kana}）")
        self.tabs.setCurrentWidget(view)
        self.stack.setCurrentWidget(self.tabs)
        self.refresh_button.setEnabled(True)
        self.print_button.setEnabled(True)
        view.linked_table.setFocus()
        self.opened.emit(view)

    def close_tab(self, index: int) -> None:
        view = self.tabs.widget(index)
        if view is None:
            return
        self.tabs.removeTab(index)
        view.deleteLater()
        if self.tabs.count() == 0:
            self.stack.setCurrentWidget(self.empty_label)
            self.refresh_button.setEnabled(False)
            self.print_button.setEnabled(False)
