"""データ概要: the start of the day (first tab, 「今日の確認」, issue 16), what the store
holds (second tab, 「保存データ」: counts per kind and year, last import, size, integrity)
and the yearly counts as a chart (third tab, 「年度別の推移」); each fits 1366×697 unscrolled.

All service calls (loading, the integrity check) go through the :class:`BackgroundRunner`;
the page only renders plain :class:`DayStart` and :class:`Overview` data.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from kernel.date_style import DateStyle
from toda_desktop.formatting import (
    format_bytes,
    format_count,
    format_datetime,
    format_phrase,
    format_school_year,
)
from toda_desktop.models import BatchSummary, IntegrityState, Overview
from toda_desktop.overview.day import DayStart
from ui import style
from ui.background import BackgroundOp, BackgroundRunner, TaskContext
from ui.charts import BarChart
from ui.overview.counts_model import RECENT_YEARS, DatasetCountsModel, TotalsLastProxy
from ui.overview.start_view import StartOfDayView
from ui.page import Freshness
from ui.page_header import title_row
from ui.page_task import PageTask

LoadOverview = Callable[[], Overview]
LoadStartOfDay = Callable[[], DayStart]
LOADING_TEXT = "読み込んでいます…"
START_TAB = "今日の確認"
STORAGE_TAB = "保存データ"
CHART_TAB = "年度別の推移"
CheckIntegrity = Callable[
    [Callable[[float], None] | None, Callable[[], bool] | None], IntegrityState
]

# The dataset whose yearly counts are pupils (one enrollment row per pupil and year).
ENROLLMENT_KIND = "enrollments"
CHART_YEARS = 10
CARD_WIDTH = 250
SIDE_SPACING = 16


class FittedTable(QTableView):
    """A table as tall as its rows and at most as wide as its columns; when the page is
    narrower than the columns it scrolls sideways itself (and keeps room for that bar)."""

    MIN_WIDTH = 360

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows_height = 0
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(self.MIN_WIDTH)

    def fit(self) -> None:
        header = self.horizontalHeader()
        header.resizeSections(QHeaderView.ResizeMode.ResizeToContents)
        frame = 2 * self.frameWidth()
        self.setMaximumWidth(max(header.length() + frame, self.MIN_WIDTH))
        self._rows_height = header.sizeHint().height() + self.verticalHeader().length() + frame
        self._apply_height()

    def _apply_height(self) -> None:
        needs_bar = self.width() < self.maximumWidth()
        bar = self.horizontalScrollBar().sizeHint().height() if needs_bar else 0
        if self.height() != self._rows_height + bar or self.minimumHeight() == 0:
            self.setFixedHeight(self._rows_height + bar)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._rows_height:
            self._apply_height()


def _card(title: str) -> tuple[QFrame, QVBoxLayout]:
    card = QFrame()
    card.setObjectName("infoCard")
    card.setStyleSheet(style.CARD)
    card.setFixedWidth(CARD_WIDTH)
    layout = QVBoxLayout(card)
    layout.setContentsMargins(14, 10, 14, 10)
    heading = QLabel(title)
    heading.setStyleSheet(style.MUTED)
    layout.addWidget(heading)
    return card, layout


def _value_label() -> QLabel:
    label = QLabel("—")
    label.setStyleSheet("font-size: 16pt; font-weight: bold;")
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def describe_integrity(state: IntegrityState, date_style: DateStyle) -> tuple[str, str, str]:
    """(headline, detail, colour) for an integrity state."""
    when = f"{format_datetime(state.checked_at, date_style)} に検査" if state.checked_at else ""
    message = format_phrase(state.message, date_style)
    notice = format_phrase(state.notice, date_style)
    if state.ok is None:
        return "未検査", _with(message or "まだ検査していません。", notice), style.MUTED_COLOR
    if state.ok:
        return "正常", _with(when or message, notice), style.OK_COLOR
    detail = "　".join(part for part in (message, when) if part)
    return "異常あり", _with(detail, notice), style.ERROR_COLOR


def _with(detail: str, notice: str) -> str:
    return f"{detail}\n{notice}" if notice else detail


NO_COUNTS_TEXT = ("この役割では、データの種類ごとの件数は表示しません"
                  "（権限設定で扱うデータの範囲外のため）。")
NO_PUPIL_COUNT_TEXT = "基本情報の鍵がありません"


def describe_last_import(batch: BatchSummary | None, date_style: DateStyle) -> tuple[str, str]:
    """(headline, detail) for the last import card."""
    if batch is None:
        return "取込はまだありません", ""
    if batch.row_count is None:  # a kind outside the role's map: only when it happened
        return format_datetime(batch.imported_at, date_style), "（種類・件数・取込者は非表示）"
    detail = (
        f"{batch.kind_label}　{format_count(batch.row_count)}件\n"
        f"ファイル: {batch.source_name}\n取込者: {batch.imported_by}"
    )
    return format_datetime(batch.imported_at, date_style), detail


def _scrolled(widget: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidget(widget)
    return area


class OverviewPage(QWidget):
    """The データ概要 page. Loads on first activation; 「最新の情報に更新」 reloads.

    ``load_start``: the start of the day (the first tab); without it (a test of the storage
    figures alone) the page shows the storage tab only."""

    def __init__(
        self,
        load_overview: LoadOverview,
        check_integrity: CheckIntegrity,
        runner: BackgroundRunner,
        date_style: DateStyle,
        parent: QWidget | None = None,
        *,
        load_start: LoadStartOfDay | None = None,
    ) -> None:
        super().__init__(parent)
        self._load_overview = load_overview
        self._load_start = load_start
        self._check_integrity = check_integrity
        self._runner = runner
        self._style = date_style
        self.overview: Overview | None = None
        self.day: DayStart | None = None

        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 12, 24, 8)
        outer.setSpacing(6)
        header_row, self.status_label, self.refresh_button = title_row("データ概要", self.reload)
        outer.addLayout(header_row)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        outer.addWidget(self.tabs, 1)
        self.start_view = StartOfDayView(date_style)
        self.start_scroll = _scrolled(self.start_view)
        if load_start is not None:
            self.tabs.addTab(self.start_scroll, START_TAB)

        scroll = QScrollArea()
        self._scroll = scroll
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        content = QWidget()
        self._content = content
        scroll.setWidget(content)
        self.tabs.addTab(scroll, STORAGE_TAB)
        # Laid out when first shown: its sizes were computed while the tab was hidden.
        self.tabs.currentChanged.connect(lambda _i: self._relayout())

        layout = QVBoxLayout(content)
        layout.setContentsMargins(4, 12, 4, 12)
        layout.setSpacing(16)
        self.freshness = Freshness(self, self.reload)  # every dataset counts here
        self.load_task = PageTask(self, runner, "データ概要を読み込んでいます…",
                                  busy=[self.refresh_button])
        self.load_task.ended.connect(self._load_ended)

        cards = self._build_cards()
        # The role's kinds left out for want of their key, and whom to ask (issue 12).
        self.withheld_label = QLabel("")
        self.withheld_label.setStyleSheet(style.NOTICE_TEXT)
        self.withheld_label.setWordWrap(True)
        self.withheld_label.hide()
        layout.addWidget(self.withheld_label)

        table_box = QVBoxLayout()
        table_head = QHBoxLayout()
        table_title = QLabel("データの種類・年度別の件数")
        table_title.setStyleSheet(style.SECTION_TITLE)
        self.years_combo = QComboBox()
        self.years_combo.addItem(f"直近{RECENT_YEARS}年度", RECENT_YEARS)
        self.years_combo.addItem("すべての年度", None)
        self.years_combo.setAccessibleName("表示する年度")
        self.years_combo.currentIndexChanged.connect(self._years_choice_changed)
        table_head.addWidget(table_title)
        table_head.addSpacing(24)
        years_label = QLabel("表示する年度:")
        table_head.addWidget(years_label)
        table_head.addWidget(self.years_combo)
        table_head.addStretch(1)
        table_box.addLayout(table_head)
        self.model = DatasetCountsModel(date_style, self)
        self.proxy = TotalsLastProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = FittedTable()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # keep registry order at first
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setMinimumSectionSize(64)
        table_box.addWidget(self.table)
        self.no_counts_label = QLabel(NO_COUNTS_TEXT)
        self.no_counts_label.setStyleSheet(style.MUTED)
        self.no_counts_label.setWordWrap(True)
        self.no_counts_label.hide()
        table_box.addWidget(self.no_counts_label)
        self._table_parts = (table_title, years_label, self.years_combo, self.table)

        table_box.addStretch(1)
        # The counts beside the cards (not below them): the table with its 合計 row fits a
        # 1366×768 screen without scrolling (issue 16).
        self._side = QWidget()
        side = QHBoxLayout(self._side)
        side.setContentsMargins(0, 0, 0, 0)
        side.setSpacing(SIDE_SPACING)
        side.addLayout(table_box, 1)
        side.addLayout(cards)
        layout.addWidget(self._side)

        layout.addStretch(1)
        # The chart on a tab of its own: below the table it made the storage tab scroll at
        # 1366×697 (issue 16), and the table with its 合計 row must not scroll.
        self._chart_tab = QWidget()
        chart_layout = QVBoxLayout(self._chart_tab)
        chart_layout.setContentsMargins(4, 12, 4, 12)
        self.chart = BarChart("年度別の件数")
        self.chart.setMinimumHeight(260)
        self.chart.setMaximumSize(900, 420)
        self.chart.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        chart_layout.addWidget(self.chart, 1)
        self.no_chart_label = QLabel("年度ごとのデータはまだありません。")
        self.no_chart_label.setStyleSheet(style.MUTED)
        self.no_chart_label.hide()
        chart_layout.addWidget(self.no_chart_label)
        chart_layout.addStretch(0)
        self.tabs.addTab(self._chart_tab, CHART_TAB)
        self.tabs.tabBar().setVisible(self.tabs.count() > 1)

    def _build_cards(self) -> QGridLayout:
        grid = QGridLayout()
        grid.setHorizontalSpacing(16)

        card, lay = _card("児童生徒数")
        self.pupil_count_label = _value_label()
        self.pupil_count_detail = QLabel(NO_PUPIL_COUNT_TEXT)
        self.pupil_count_detail.setStyleSheet(style.MUTED)
        self.pupil_count_detail.setWordWrap(True)
        self.pupil_count_detail.hide()
        lay.addWidget(self.pupil_count_label)
        lay.addWidget(self.pupil_count_detail)
        lay.addStretch(1)
        grid.addWidget(card, 0, 0)

        card, lay = _card("データベースの大きさ")
        self.store_size_label = _value_label()
        lay.addWidget(self.store_size_label)
        lay.addStretch(1)
        grid.addWidget(card, 1, 0)

        card, lay = _card("最後の取込")
        self.last_import_label = QLabel("—")
        self.last_import_label.setStyleSheet("font-size: 12pt; font-weight: bold;")
        self.last_import_detail = QLabel("")
        self.last_import_detail.setWordWrap(True)
        self.last_import_detail.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
        )
        lay.addWidget(self.last_import_label)
        lay.addWidget(self.last_import_detail)
        lay.addStretch(1)
        grid.addWidget(card, 2, 0)

        card, lay = _card("データベースの整合性")
        self.integrity_label = QLabel("—")
        self.integrity_label.setStyleSheet("font-size: 12pt; font-weight: bold;")
        self.integrity_detail = QLabel("")
        self.integrity_detail.setWordWrap(True)
        self.integrity_progress = QProgressBar()
        self.integrity_progress.setRange(0, 100)
        self.integrity_progress.setFormat("%p%")
        self.integrity_progress.hide()
        buttons = QHBoxLayout()
        self.integrity_button = QPushButton("整合性を検査")
        self.integrity_button.clicked.connect(self.start_integrity_check)
        self.integrity_cancel_button = QPushButton("中止")
        self.integrity_cancel_button.clicked.connect(self.cancel_integrity_check)
        self.integrity_cancel_button.hide()
        # The card shows progress and 中止 itself: no progress dialog.
        self.integrity_task = PageTask(self, self._runner,
                                       "データベースの整合性を検査しています…",
                                       cancellable=True, progress_dialog=False)
        self.integrity_task.ended.connect(self._integrity_ended)
        buttons.addWidget(self.integrity_button)
        buttons.addWidget(self.integrity_cancel_button)
        buttons.addStretch(1)
        lay.addWidget(self.integrity_label)
        lay.addWidget(self.integrity_detail)
        lay.addWidget(self.integrity_progress)
        lay.addLayout(buttons)
        grid.addWidget(card, 3, 0)

        grid.setVerticalSpacing(12)
        grid.setRowStretch(4, 1)
        grid.setColumnMinimumWidth(0, CARD_WIDTH)
        return grid

    # -- loading -------------------------------------------------------------------------

    @property
    def loaded(self) -> bool:
        return self.overview is not None

    @property
    def loading(self) -> bool:
        return self.load_task.running

    def activated(self) -> None:
        """Called by the main window when the page is shown: load when not current."""
        self.freshness.activated()

    def data_changed(self, kinds: frozenset[str]) -> None:
        """An import, a rollback or a review decision changed the counts."""
        self.freshness.changed(kinds)

    def reload(self) -> None:
        load, start = self._load_overview, self._load_start

        def task(_ctx: TaskContext) -> tuple[DayStart | None, Overview]:
            return (None if start is None else start()), load()

        if self.load_task.run(task, self._show_loaded) is not None:
            self.status_label.setText(LOADING_TEXT)

    def _show_loaded(self, loaded: tuple[DayStart | None, Overview]) -> None:
        day, overview = loaded
        if day is not None:
            self.show_day(day)
        self.show_overview(overview)

    def show_storage_tab(self) -> None:
        """「保存データ」: counts per kind and year, size, last import, integrity."""
        self.tabs.setCurrentWidget(self._scroll)

    def show_chart_tab(self) -> None:
        """「年度別の推移」: the yearly counts as a chart."""
        self.tabs.setCurrentWidget(self._chart_tab)

    def show_day(self, day: DayStart) -> None:
        """Render the start of the day (GUI thread)."""
        self.day = day
        self.start_view.show_day(day)

    def _load_ended(self) -> None:
        if self.freshness.stale or self.status_label.text() == LOADING_TEXT:
            self.status_label.setText("読み込めませんでした。")

    def show_overview(self, overview: Overview) -> None:
        """Render an :class:`Overview` (GUI thread)."""
        self.overview = overview
        self.freshness.loaded()
        self.status_label.setText("")
        pupils = overview.pupil_count
        self.pupil_count_label.setText("—" if pupils is None else f"{format_count(pupils)} 人")
        self.pupil_count_detail.setVisible(pupils is None)
        self.withheld_label.setText(overview.withheld)
        self.withheld_label.setVisible(bool(overview.withheld))
        self.store_size_label.setText(format_bytes(overview.store_size_bytes))
        headline, detail = describe_last_import(overview.last_import, self._style)
        self.last_import_label.setText(headline)
        self.last_import_detail.setText(detail)
        self.last_import_detail.setVisible(bool(detail))
        self.show_integrity(overview.integrity)
        self.model.set_counts(overview.datasets, overview.school_years)
        counts_shown = bool(overview.datasets)  # none for a role outside every data domain
        for part in self._table_parts:
            part.setVisible(counts_shown)
        self.no_counts_label.setVisible(not counts_shown)
        self._fit_table()
        self._update_chart(overview)
        if not counts_shown:
            self.chart.hide()
            self.no_chart_label.hide()
        self.tabs.setTabVisible(self.tabs.indexOf(self._chart_tab), counts_shown)
        self._relayout()

    def _relayout(self) -> None:
        """Lay the page out now, not at the next event: sizes changed with the data, and a
        screenshot (or a paint) before the queued layout request would overlap."""
        content, viewport = self._content, self._scroll.viewport()
        layout = content.layout()
        if layout is not None:
            layout.activate()
        # What QScrollArea does for a resizable widget on its next layout request.
        needed = content.minimumSizeHint()
        content.resize(
            max(viewport.width(), needed.width()), max(viewport.height(), needed.height())
        )

    def _years_choice_changed(self) -> None:
        self.model.set_recent_years(self.years_combo.currentData())
        self._fit_table()
        self._relayout()

    def _fit_table(self) -> None:
        """Size the table to its rows: the page scrolls up and down as a whole. The cards
        stay beside the table on a wide screen (not at the far edge)."""
        self.table.fit()
        self._side.setMaximumWidth(self.table.maximumWidth() + SIDE_SPACING + CARD_WIDTH)

    def _update_chart(self, overview: Overview) -> None:
        enrollment = next((d for d in overview.datasets if d.kind == ENROLLMENT_KIND), None)
        if enrollment is not None and enrollment.counts_by_year:
            self.chart.set_title("年度別の在籍児童生徒数")
            counts = dict(enrollment.counts_by_year)
        else:
            self.chart.set_title("年度別の記録件数（すべてのデータの合計）")
            counts = {}
            for ds in overview.datasets:
                for year, n in ds.counts_by_year.items():
                    counts[year] = counts.get(year, 0) + n
        years = sorted(counts)[-CHART_YEARS:]
        self.chart.set_data(
            [format_school_year(y, self._style) for y in years], [counts[y] for y in years]
        )
        self.chart.setVisible(bool(years))
        self.no_chart_label.setVisible(not years)

    # -- integrity check -----------------------------------------------------------------

    def show_integrity(self, state: IntegrityState) -> None:
        headline, detail, colour = describe_integrity(state, self._style)
        self.integrity_label.setText(headline)
        self.integrity_label.setStyleSheet(f"font-size: 12pt; font-weight: bold; color: {colour};")
        self.integrity_detail.setText(detail)

    @property
    def integrity_op(self) -> BackgroundOp[IntegrityState] | None:
        return self.integrity_task.op

    def start_integrity_check(self) -> None:
        if self.integrity_task.running:
            return
        check = self._check_integrity

        def task(ctx: TaskContext) -> IntegrityState:
            return check(ctx.progress, ctx.cancelled)

        self._set_checking(True)
        self.integrity_task.run(
            task,
            self._integrity_done,
            on_cancelled=self._integrity_cancelled,
            on_progress=lambda f: self.integrity_progress.setValue(round(f * 100)),
        )

    def cancel_integrity_check(self) -> None:
        if self.integrity_task.running:
            self.integrity_task.cancel()
            self.integrity_cancel_button.setEnabled(False)
            self.integrity_detail.setText("中止しています…")

    def _integrity_done(self, state: IntegrityState) -> None:
        self.show_integrity(state)

    def _integrity_cancelled(self) -> None:
        self.integrity_detail.setText("検査を中止しました。")

    def _integrity_ended(self) -> None:
        self._set_checking(False)

    def _set_checking(self, checking: bool) -> None:
        self.integrity_button.setEnabled(not checking)
        self.integrity_cancel_button.setVisible(checking)
        self.integrity_cancel_button.setEnabled(checking)
        self.integrity_progress.setVisible(checking)
        if checking:
            self.integrity_progress.setValue(0)
            self.integrity_label.setText("検査中")
            self.integrity_label.setStyleSheet("font-size: 12pt; font-weight: bold;")
            self.integrity_detail.setText("")
