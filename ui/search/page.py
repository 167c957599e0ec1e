"""児童生徒検索 (roles with ``pupil_search``): one box for names, kana and IDs, four filters,
a sortable result table; Enter or a double click opens the karte.

Keyboard: type, Enter searches (typing also searches after a short pause); ↓ moves into the
results, ↑ on the first row back to the box; Enter on a row opens the karte. Every search runs
on the worker (the service logs it), and only the latest answer is shown.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kernel.date_style import DateStyle
from toda_desktop.export_files import ExportResult
from toda_desktop.export_purpose.catalog import SEARCH_RESULTS
from toda_desktop.export_purpose.model import Purpose
from toda_desktop.formatting import format_count, format_school_year, grade_label
from toda_desktop.search.service import SearchFilters
from ui import style
from ui.background import BackgroundRunner
from ui.export_flow import (
    PurposeQuestion,
    PurposeService,
    ask_save_path,
    chosen_format,
    confirm_overwrite,
    format_combo,
    purpose_step,
    replaced_note,
    text_encoding,
    with_suffix,
)
from ui.page import datasets_changed
from ui.page_header import PageHeader
from ui.page_task import PageTask
from ui.pupil_tables import PupilHitsModel, source_row
from ui.table_model import make_table

if TYPE_CHECKING:
    from toda_desktop.search.service import FilterOptions, SearchResults, SearchService

ALL = "（すべて）"
TYPE_AHEAD_MS = 450
TYPE_AHEAD_MIN_CHARS = 2  # a single character would list half the city (and log it)
ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
START_TEXT = "氏名・カナ・番号を入力するか、学校・学年・組を選んでください。"
KEYS_TEXT = "Enterキー: 検索　↓キー: 結果へ移動　結果でEnterキーまたはダブルクリック: カルテを開く"
WIDTHS = (150, 170, 150, 64, 64, 64, 150)
# For roles whose map entry leaves former pupils out (issue 13): why a graduate is not found.
FORMER_NOTE = "（卒業・転出した児童生徒は、この役割では表示されません。）"

GRADE_COLUMN = 3

Request = tuple[str, SearchFilters]


def count_text(shown: int, *, truncated: bool) -> str:
    """「12件」, or 「300件以上（先頭300件）」 when the list stops at its limit: the number
    shown is then not the total."""
    if truncated:
        return f"{format_count(shown)}件以上（先頭{format_count(shown)}件）"
    return f"{format_count(shown)}件"


class SearchPage(QWidget):
    """The 児童生徒検索 page; ``open_requested(pupil_id)`` asks the shell to open a karte."""

    open_requested = Signal(int)
    searched = Signal()  # a result was shown (for tests)

    def __init__(self, search: SearchService, runner: BackgroundRunner, date_style: DateStyle,
                 parent: QWidget | None = None, *, can_export: bool = False,
                 purposes: PurposeService | None = None) -> None:
        super().__init__(parent)
        self._search = search
        self._can_export = can_export
        self.last_export: ExportResult | None = None
        self._style = date_style
        self._pending: Request | None = None
        self._shown: Request | None = None
        self._stale = False  # the store changed while the page was hidden
        self.results: SearchResults | None = None
        self.options_task = PageTask(self, runner, "絞り込みの候補を読み込んでいます…",
                                     progress_dialog=False)
        self.search_task = PageTask(self, runner, "検索しています…", progress_dialog=False)
        self.search_task.ended.connect(self._ended)
        self.export_task = PageTask(self, runner, "検索結果を出力しています…")
        self.choose_purpose = purpose_step(self, purposes, self.export_task, self._show_error)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(10)
        title_bar = PageHeader("児童生徒検索")
        self.export_combo = format_combo()
        self.export_button = QPushButton("一覧を出力…")
        self.export_button.clicked.connect(self.export)
        self.export_button.setEnabled(False)
        for widget in (self.export_combo, self.export_button):
            widget.setVisible(can_export)
            title_bar.add_action(widget)
        layout.addLayout(title_bar)
        layout.addWidget(self._build_form())

        status_row = QHBoxLayout()
        self.count_label = QLabel("")
        self.count_label.setStyleSheet("font-size: 12pt; font-weight: bold;")
        self.count_label.setAccessibleName("件数")
        status_row.addWidget(self.count_label)
        self.note_label = QLabel(START_TEXT)
        self.note_label.setStyleSheet(style.MUTED)
        self.note_label.setWordWrap(True)
        status_row.addWidget(self.note_label, 1)
        layout.addLayout(status_row)
        self.truncated_label = QLabel("")
        self.truncated_label.setWordWrap(True)
        self.truncated_label.setStyleSheet(style.NOTICE_TEXT)
        self.truncated_label.hide()
        layout.addWidget(self.truncated_label)
        self.withheld_label = QLabel("")  # kinds left out for want of their key (issue 12)
        self.withheld_label.setWordWrap(True)
        self.withheld_label.setStyleSheet(style.MUTED)
        self.withheld_label.hide()
        layout.addWidget(self.withheld_label)

        self.model = PupilHitsModel(date_style, self)
        self.table, self.proxy = make_table(self.model, "検索結果", self)
        for column, width in enumerate(WIDTHS):
            self.table.horizontalHeader().resizeSection(column, width)
        self.table.doubleClicked.connect(lambda _index: self.open_current())
        self.table.installEventFilter(self)
        layout.addWidget(self.table, 1)
        keys = QLabel(KEYS_TEXT)
        keys.setStyleSheet(style.MUTED)
        keys.setWordWrap(True)
        layout.addWidget(keys)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(TYPE_AHEAD_MS)
        self._timer.timeout.connect(self.search_now)
        self.query_edit.textEdited.connect(self._typed)
        self.query_edit.returnPressed.connect(self.search_now)
        self.query_edit.installEventFilter(self)
        self.setTabOrder(self.query_edit, self.search_button)
        self.setTabOrder(self.search_button, self.year_combo)
        self.setTabOrder(self.year_combo, self.school_combo)
        self.setTabOrder(self.school_combo, self.grade_combo)
        self.setTabOrder(self.grade_combo, self.class_combo)
        self.setTabOrder(self.class_combo, self.clear_button)
        self.setTabOrder(self.clear_button, self.table)

    def _build_form(self) -> QWidget:
        box = QFrame()
        box.setObjectName("infoCard")
        box.setStyleSheet(style.CARD)
        grid = QGridLayout(box)
        grid.setContentsMargins(14, 12, 14, 12)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(8)
        self.query_edit = QLineEdit()
        self.query_edit.setPlaceholderText(self._search.placeholder())
        self.query_edit.setClearButtonEnabled(True)
        self.query_edit.setMaxLength(100)
        self.query_edit.setMinimumHeight(32)
        self.query_edit.setStyleSheet("font-size: 12pt;")
        self.query_edit.setAccessibleName("検索語")
        self.query_edit.setToolTip(
            "氏名やカナの一部（ひらがな・カタカナどちらでも、空白なしでも可）で探せます。"
            "旧字・異体字も同じ字として探します。")
        self.search_button = QPushButton("検索")
        self.search_button.setMinimumHeight(32)
        self.search_button.clicked.connect(lambda: self.search_now(force=True))
        self.clear_button = QPushButton("条件をクリア")
        self.clear_button.clicked.connect(self.clear)
        grid.addWidget(self.query_edit, 0, 0, 1, 9)
        grid.addWidget(self.search_button, 0, 9)

        def combo(name: str, characters: int = 5) -> QComboBox:
            # Sized by a few characters, not by the longest school name, so that the page
            # fits a 1,024-pixel screen; the open list shows the names in full.
            c = QComboBox()
            c.setAccessibleName(name)
            c.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            c.setMinimumContentsLength(characters)
            c.view().setMinimumWidth(220)
            c.addItem(ALL, None)
            return c

        self.year_combo = combo("年度")
        self.school_combo = combo("学校", 9)
        self.grade_combo = combo("学年")
        self.class_combo = combo("組")
        for column, (label, widget) in enumerate(
            (("年度", self.year_combo), ("学校", self.school_combo),
             ("学年", self.grade_combo), ("組", self.class_combo))
        ):
            text = QLabel(label)
            text.setBuddy(widget)
            grid.addWidget(text, 1, column * 2, Qt.AlignmentFlag.AlignRight)
            grid.addWidget(widget, 1, column * 2 + 1)
        grid.setColumnStretch(8, 1)
        grid.addWidget(self.clear_button, 1, 9)
        self.year_combo.activated.connect(lambda _i: self._filter_changed(self.year_combo))
        self.school_combo.activated.connect(lambda _i: self._filter_changed(self.school_combo))
        self.grade_combo.activated.connect(lambda _i: self._filter_changed(self.grade_combo))
        self.class_combo.activated.connect(lambda _i: self._filter_changed(self.class_combo))
        return box

    # -- filters ---------------------------------------------------------------------------

    def activated(self) -> None:
        self._load_options()  # again each time: an import may have added a year or a class
        if self._stale:
            self._refresh_results()
        self.query_edit.setFocus()

    def data_changed(self, kinds: frozenset[str]) -> None:
        """An import, a rollback or a review decision: the list shown may be out of date."""
        if not datasets_changed(kinds):
            return  # (alert lists or a model: not what a search finds)
        self._stale = True
        if self.isVisible():
            self._load_options()
            self._refresh_results()

    def _refresh_results(self) -> None:
        """Run the search shown again (the store changed since)."""
        self._stale = False
        shown = self._shown
        if shown is None:
            return
        if self.search_task.running:
            self._pending = shown
            self._shown = None  # so the pending search is not skipped as already shown
        else:
            self._start(shown)

    def current_filters(self) -> SearchFilters:
        return SearchFilters(
            school_year=self.year_combo.currentData(),
            school_code=self.school_combo.currentData(),
            grade=self.grade_combo.currentData(),
            class_name=self.class_combo.currentData(),
        )

    def _load_options(self, then_search: bool = False) -> None:
        f = self.current_filters()
        search = self._search

        def done(options: FilterOptions) -> None:
            self._fill_options(options)
            if then_search:
                self.search_now()

        self.options_task.run(
            lambda _ctx: search.filter_options(f.school_year, f.school_code, f.grade),
            done, on_user_error=self._show_error)

    def _fill_options(self, options: FilterOptions) -> None:
        def refill(combo: QComboBox, items: list[tuple[str, object]]) -> None:
            keep = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(ALL, None)
            for text, data in items:
                combo.addItem(text, data)
            index = combo.findData(keep) if keep is not None else 0
            combo.setCurrentIndex(max(index, 0))
            combo.blockSignals(False)

        refill(self.year_combo, [(format_school_year(y, self._style), y)
                                 for y in options.school_years])
        refill(self.school_combo, [(s.name, s.code) for s in options.schools])
        refill(self.grade_combo, [(grade_label(g), g) for g in options.grades])
        refill(self.class_combo, [(f"{c}組" if c.isdigit() else c, c)
                                  for c in options.classes])

    def _filter_changed(self, combo: QComboBox) -> None:
        """A narrower filter changes what the finer ones offer; then search again."""
        if combo is not self.class_combo:
            self._load_options(then_search=True)
        else:
            self.search_now()

    def clear(self) -> None:
        self._timer.stop()
        self.query_edit.clear()
        for combo in (self.year_combo, self.school_combo, self.grade_combo, self.class_combo):
            combo.setCurrentIndex(0)
        self._pending = None
        self._shown = None
        self.results = None
        self.model.set_hits([])
        self.count_label.setText("")
        self.note_label.setText(START_TEXT)
        self.truncated_label.hide()
        self._load_options()
        self.query_edit.setFocus()

    # -- searching -------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self.search_task.running or self._timer.isActive() or self._pending is not None

    def _typed(self, text: str) -> None:
        if len(text.strip()) >= TYPE_AHEAD_MIN_CHARS:
            self._timer.start()
        else:
            self._timer.stop()

    def search_now(self, *, force: bool = False) -> None:
        """Search with what the box and the filters say now (Enter, 検索, a filter). The
        same search as the one shown runs again only when ``force``d (the 検索 button)."""
        self._timer.stop()
        request: Request = (self.query_edit.text().strip(), self.current_filters())
        query, filters = request
        if not query and not filters.any:
            self._pending = None
            return
        if self.search_task.running:
            self._pending = request
            return
        if request == self._shown and not force:
            return
        self._start(request)

    def _start(self, request: Request) -> None:
        self._pending = None
        query, filters = request
        search = self._search
        self.note_label.setText("検索しています…")
        self.search_task.run(lambda _ctx: search.search(query, filters),
                             lambda results: self._show(request, results),
                             on_user_error=self._show_error)

    def _ended(self) -> None:
        pending = self._pending
        if pending is not None:
            self._pending = None
            if pending != self._shown:
                self._start(pending)

    def _show_error(self, message: str) -> None:
        self.count_label.setText("")
        self.note_label.setText(message)
        self.note_label.setStyleSheet(f"color: {style.ERROR_COLOR};")

    def choose_export_path(self, suffix: str) -> Path | None:
        """Where to write the list (tests replace this; the real one asks the user)."""
        return ask_save_path(self, "検索結果を出力", "検索結果", chosen_format(self.export_combo))

    def export(self) -> None:
        """The list as shown, through the service (checked and audit-logged): its purpose
        first, then where to write it."""
        results = self.results
        if results is None or not self._can_export:
            return
        pupils = len({h.pupil_id for h in results.hits})
        self.choose_purpose(PurposeQuestion(SEARCH_RESULTS.key, pupils),
                            lambda purpose: self._export(results, purpose))

    def _export(self, results: SearchResults, purpose: Purpose | None) -> None:
        fmt = chosen_format(self.export_combo)
        chosen = self.choose_export_path(fmt.suffix)
        if chosen is None:
            return
        path, encoding = with_suffix(chosen, fmt), text_encoding(fmt)
        search = self._search

        def done(written: ExportResult) -> None:
            self.last_export = written
            self.note_label.setStyleSheet(style.MUTED)
            self.note_label.setText(f"{format_count(written.rows)}人分を出力しました: "
                                    f"{written.path}{replaced_note(written)}")

        def start(overwrite: bool) -> None:
            self.export_task.run(lambda _ctx: search.export(results, path, encoding,
                                                               overwrite=overwrite,
                                                               purpose=purpose), done,
                                 on_user_error=self._show_error)

        self.overwrite_question = confirm_overwrite(self, [path], start)

    def _show(self, request: Request, results: SearchResults) -> None:
        self._shown = request
        self.results = results
        self.export_button.setEnabled(bool(results.hits))
        self.model.set_hits(results.hits)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        self.table.horizontalHeader().setSortIndicatorShown(False)
        n = len(results.hits)
        self.count_label.setText(count_text(n, truncated=results.truncated))
        self._fit_grade_column()
        self.note_label.setStyleSheet(style.MUTED)
        if n == 0:
            self.note_label.setText(
                "該当する児童生徒は見つかりませんでした。字を減らすか、条件を変えてください。"
                + ("" if results.shows_status else FORMER_NOTE))
        else:
            year = results.school_year
            scope = f"{format_school_year(year, self._style)}の在籍　" if year else ""
            self.note_label.setText(
                f"{scope}↓キーで結果へ移動し、Enterキーでカルテを開きます。")
        if results.truncated:
            self.truncated_label.setText(
                f"該当者が{format_count(n)}件を超えるため、先頭の{format_count(n)}件だけを"
                "表示しています。氏名を詳しく入力するか、学校・学年・組で絞り込んでください。")
            self.truncated_label.show()
        else:
            self.truncated_label.hide()
        self.withheld_label.setText(results.withheld)
        self.withheld_label.setVisible(bool(results.withheld))
        self.searched.emit()

    def _fit_grade_column(self) -> None:
        """学年 of a pupil last enrolled in an earlier year reads 「中3（令和5年度）」: wide
        enough for that, so the old year is not cut to 「中3（…」."""
        header = self.table.horizontalHeader()
        self.table.resizeColumnToContents(GRADE_COLUMN)
        header.resizeSection(GRADE_COLUMN, max(WIDTHS[GRADE_COLUMN],
                                               header.sectionSize(GRADE_COLUMN)))

    # -- opening a karte -------------------------------------------------------------------

    def add_case_action(self, open_case: Callable[[int], None]) -> None:
        """「ケースを開く」 in a result's context menu (roles that may see support cases)."""
        action = QAction("ケースを開く", self.table)
        action.triggered.connect(lambda: self._open_case(open_case))
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.table.addAction(action)

    def _open_case(self, open_case: Callable[[int], None]) -> None:
        row = source_row(self.table, self.proxy)
        if row is not None and row < len(self.model.hits):
            open_case(self.model.hits[row].pupil_id)

    def open_current(self) -> None:
        row = source_row(self.table, self.proxy)
        if row is None or row >= len(self.model.hits):
            return
        self.open_requested.emit(self.model.hits[row].pupil_id)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            if watched is self.query_edit and key == Qt.Key.Key_Down:
                if self.proxy.rowCount():
                    self.table.setFocus()
                    self.table.selectRow(max(self.table.currentIndex().row(), 0))
                return True
            if watched is self.table:
                if key in ENTER_KEYS:
                    self.open_current()
                    return True
                if key == Qt.Key.Key_Up and self.table.currentIndex().row() <= 0:
                    self.query_edit.setFocus()
                    return True
        return super().eventFilter(watched, event)
