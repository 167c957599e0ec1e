"""抽出 (roles with ``pupil_search``): build conditions, run them, open the pupils found.

The builder edits a condition tree of plain data (``toda_desktop.extraction``): groups that
combine conditions with すべて (AND) / いずれか (OR), nested, each condition and group switched
on or off; conditions are added and edited in :class:`ConditionDialog` from the fields the
service offers this role. The city's push-support preset starts with one click (its criteria
switchable and tunable). Runs, saves, deletions and exports go through the service on the
worker; the result lists the pupils with the value each condition matched on, the number of
pupils per condition, and opens a karte with Enter or a double click.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kernel.date_style import DateStyle
from toda_desktop.export_files import ExportResult
from toda_desktop.extraction import Extraction, Group, PushSupportOptions
from toda_desktop.formatting import (
    format_count,
    format_datetime,
    format_phrase,
    format_school_year,
)
from toda_desktop.phrase import Phrase
from ui import style
from ui.background import BackgroundOp, BackgroundRunner, TaskContext
from ui.dialogs import confirm
from ui.export_flow import (
    ask_save_path,
    chosen_format,
    confirm_overwrite,
    format_combo,
    replaced_note,
    text_encoding,
    with_suffix,
)
from ui.extraction.catalog import Catalog
from ui.extraction.condition_dialog import ConditionDialog
from ui.extraction.push_support_dialog import PushSupportDialog
from ui.extraction.tree import ConditionRow, GroupBox
from ui.page_header import PageHeader
from ui.page_task import PageTask
from ui.pupil_tables import ExtractionRowsModel, source_row
from ui.table_model import make_table

if TYPE_CHECKING:
    from toda_desktop.extraction import Node
    from toda_desktop.extraction.service import (
        ExtractionResult,
        ExtractionService,
        SavedExtraction,
    )
    from toda_desktop.search.service import FilterOptions

DialogT = TypeVar("DialogT", ConditionDialog, PushSupportDialog)
FilterOptionsCall = Callable[[], "FilterOptions"]

NEW_NAME = "新しい抽出"
PROGRESS_STEPS = 1000
ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
GUIDANCE = (
    "抽出結果は、支援が必要かもしれない児童生徒に早く気づくための手がかりです。"
    "児童生徒を評価したり順位を付けたりするものではありません。"
)
class ExtractionPage(QWidget):
    """The 抽出 page; ``open_requested(pupil_id)`` asks the shell to open a karte."""

    open_requested = Signal(int)
    result_shown = Signal(object)  # ExtractionResult (for tests)

    def __init__(
        self,
        service: ExtractionService,
        runner: BackgroundRunner,
        date_style: DateStyle,
        *,
        describe: Callable[..., Phrase],
        filter_options: FilterOptionsCall,
        can_export: bool,
        can_delete_any: bool,
        login_id: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self.load_task = PageTask(self, runner, "抽出の準備をしています…")
        self.load_task.ended.connect(self._update_buttons)
        # The run row shows progress and 中止 itself: no progress dialog.
        self.run_task = PageTask(self, runner, "抽出しています…", cancellable=True,
                                 progress_dialog=False)
        self.run_task.ended.connect(self._run_ended)
        self.work_task = PageTask(self, runner, "保存しています…", writes=True)
        self.work_task.ended.connect(self._update_buttons)
        self._style = date_style
        self._describe = describe
        self._filter_options = filter_options
        self._can_export = can_export
        self._can_delete_any = can_delete_any
        self._login_id = login_id
        self._description = ""
        self.catalog: Catalog | None = None
        self.years: tuple[int, ...] = ()
        self.saved_items: list[SavedExtraction] = []
        self.result: ExtractionResult | None = None
        # The preset as this role can run it (None: none of its criteria is within the map).
        offered = service.push_support_options()
        self.preset_options = offered or PushSupportOptions()
        self._preset_locked = service.push_support_locked()
        self.dialog: ConditionDialog | PushSupportDialog | None = None
        self.last_export: ExportResult | None = None
        # Where to save an export; a test may replace it (the default asks with a dialog).
        self.choose_export_path: Callable[[str, str], Path | None] = self._ask_export_path

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(8)
        title_bar = PageHeader("抽出")
        title_bar.status.setText("条件に当てはまる児童生徒を探します")
        self.preset_button = QPushButton("プッシュ型支援（3つの基準）で抽出")
        self.preset_button.setStyleSheet(
            f"QPushButton {{ background: {style.ACCENT}; color: white; font-weight: bold;"
            " padding: 6px 14px; border-radius: 4px; }"
            " QPushButton:disabled { background: #9db4d3; }")
        self.preset_button.setToolTip(
            "長期欠席ではなく、学力・授業理解・しあわせアンケートの3基準すべてに当てはまる"
            "児童生徒を探します")
        self.preset_button.clicked.connect(self.run_preset)
        self.preset_settings_button = QPushButton("基準を調整…")
        self.preset_settings_button.clicked.connect(self.open_preset_settings)
        title_bar.add_action(self.preset_button, self.preset_settings_button)
        self.preset_offered = offered is not None
        for button in (self.preset_button, self.preset_settings_button):
            button.setVisible(self.preset_offered)
        layout.addLayout(title_bar)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setChildrenCollapsible(False)
        top = QSplitter(Qt.Orientation.Horizontal)
        top.setChildrenCollapsible(False)
        top.addWidget(self._build_saved())
        top.addWidget(self._build_builder())
        top.setStretchFactor(1, 1)
        top.setSizes([250, 900])
        splitter.addWidget(top)
        splitter.addWidget(self._build_results())
        splitter.setStretchFactor(0, 5)
        splitter.setStretchFactor(1, 6)
        self.splitter = splitter
        layout.addWidget(splitter, 1)
        self._set_root(Group("and"))
        self._update_buttons()

    # -- building the layout ---------------------------------------------------------------

    def _build_saved(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 8, 0)
        heading = QLabel("保存した抽出条件")
        heading.setStyleSheet(style.SECTION_TITLE)
        layout.addWidget(heading)
        table = QTableWidget(0, 2)
        table.setHorizontalHeaderLabels(["名前", "更新"])
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setTabKeyNavigation(False)
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setDefaultSectionSize(26)
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        table.horizontalHeader().setSectionResizeMode(
            1, QHeaderView.ResizeMode.ResizeToContents)
        table.setAccessibleName("保存した抽出条件")
        table.setMinimumWidth(230)
        table.itemSelectionChanged.connect(self._update_buttons)
        table.doubleClicked.connect(lambda _i: self.load_selected())
        self.saved_table = table
        layout.addWidget(table, 1)
        self.saved_empty = QLabel("保存した抽出条件はまだありません。右で条件を作り、名前を付けて"
                                  "「保存」すると、ここから何度でも実行できます。")
        self.saved_empty.setWordWrap(True)
        self.saved_empty.setStyleSheet(style.MUTED)
        layout.addWidget(self.saved_empty)
        buttons = QHBoxLayout()
        self.load_button = QPushButton("読み込む")
        self.load_button.setToolTip("条件を編集できるように読み込みます")
        self.load_button.clicked.connect(self.load_selected)
        self.rerun_button = QPushButton("実行")
        self.rerun_button.setToolTip("今のデータでもう一度抽出します")
        self.rerun_button.clicked.connect(self.run_selected)
        self.delete_button = QPushButton("削除…")
        self.delete_button.clicked.connect(self.delete_selected)
        for b in (self.load_button, self.rerun_button, self.delete_button):
            buttons.addWidget(b)
        layout.addLayout(buttons)
        return box

    def _build_builder(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(8, 0, 0, 0)
        layout.setSpacing(6)
        row = QHBoxLayout()
        name_label = QLabel("名前")
        self.name_edit = QLineEdit(NEW_NAME)
        self.name_edit.setMaxLength(80)
        self.name_edit.setAccessibleName("抽出の名前")
        self.name_edit.setMinimumWidth(90)
        name_label.setBuddy(self.name_edit)
        year_label = QLabel("基準の年度")
        self.year_combo = QComboBox()
        self.year_combo.setAccessibleName("基準の年度")
        self.year_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.year_combo.setMinimumContentsLength(6)
        self.year_combo.view().setMinimumWidth(200)
        self.year_combo.addItem("最新の年度（自動）", None)
        self.year_combo.setToolTip(
            "「当該年度」「前年度」はこの年度から数えます。「最新の年度」で保存すると、"
            "来年度のデータでもそのまま使えます。")
        year_label.setBuddy(self.year_combo)
        self.new_button = QPushButton("新規")
        self.new_button.setToolTip("条件を空にして新しく作ります")
        self.new_button.clicked.connect(self.new_extraction)
        self.save_button = QPushButton("保存")
        self.save_button.setToolTip("この名前で条件を保存します（同じ名前は上書き）")
        self.save_button.clicked.connect(self.save)
        row.addWidget(name_label)
        row.addWidget(self.name_edit, 1)
        row.addWidget(year_label)
        row.addWidget(self.year_combo)
        row.addWidget(self.new_button)
        row.addWidget(self.save_button)
        layout.addLayout(row)
        self.builder_scroll = QScrollArea()
        self.builder_scroll.setWidgetResizable(True)
        self.builder_scroll.setFrameShape(QFrame.Shape.NoFrame)
        # On a narrow screen the condition rows scroll sideways instead of being cut off.
        self.builder_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.builder_scroll.setMinimumHeight(150)
        layout.addWidget(self.builder_scroll, 1)
        run_row = QHBoxLayout()
        self.run_button = QPushButton("抽出を実行")
        self.run_button.setMinimumHeight(32)
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.run)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setMaximumWidth(160)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.cancel_button = QPushButton("中止")
        self.cancel_button.setToolTip("抽出を途中でやめます。データは変わりません")
        self.cancel_button.clicked.connect(self.cancel_run)
        self.cancel_button.hide()
        self.status_label = QLabel("")
        self.status_label.setWordWrap(True)
        self.status_label.setSizePolicy(QSizePolicy.Policy.Ignored,
                                        QSizePolicy.Policy.Preferred)
        run_row.addWidget(self.run_button)
        run_row.addWidget(self.progress)
        run_row.addWidget(self.cancel_button)
        run_row.addWidget(self.status_label, 1)
        layout.addLayout(run_row)
        return box

    def _build_results(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.setSpacing(6)
        head = QHBoxLayout()
        heading = QLabel("抽出結果")
        heading.setStyleSheet(style.SECTION_TITLE)
        head.addWidget(heading)
        self.summary_label = QLabel("まだ抽出していません。")
        self.summary_label.setStyleSheet("font-size: 11pt;")
        self.summary_label.setAccessibleName("抽出結果の概要")
        head.addSpacing(10)
        head.addWidget(self.summary_label, 1)
        layout.addLayout(head)
        self.counts_table = QTableWidget(0, 3)
        self.counts_table.setHorizontalHeaderLabels(["", "条件", "この条件だけで当てはまる人数"])
        self.counts_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.counts_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.counts_table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.counts_table.verticalHeader().setVisible(False)
        self.counts_table.verticalHeader().setDefaultSectionSize(24)
        header = self.counts_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.counts_table.setAccessibleName("条件ごとの人数")
        self.counts_table.hide()
        layout.addWidget(self.counts_table)
        self.model = ExtractionRowsModel(self._style, self)
        self.table, self.proxy = make_table(self.model, "抽出結果の一覧", self)
        for column, width in enumerate((130, 150, 130, 56, 50, 50, 130)):
            self.table.horizontalHeader().resizeSection(column, width)
        self.table.doubleClicked.connect(lambda _i: self.open_current())
        self.table.installEventFilter(self)
        self.table.selectionModel().currentRowChanged.connect(
            lambda *_a: self._update_buttons())
        layout.addWidget(self.table, 1)
        bottom = QHBoxLayout()
        guidance = QLabel(GUIDANCE)
        guidance.setWordWrap(True)
        guidance.setStyleSheet(style.MUTED)
        bottom.addWidget(guidance, 1)
        self.open_button = QPushButton("カルテを開く")
        self.open_button.clicked.connect(self.open_current)
        bottom.addWidget(self.open_button)
        self.format_combo = format_combo()
        self.export_button = QPushButton("ファイルに出力…")
        self.export_button.clicked.connect(self.export)
        if self._can_export:
            bottom.addWidget(self.format_combo)
            bottom.addWidget(self.export_button)
        else:
            self.format_combo.hide()
            self.export_button.hide()
        layout.addLayout(bottom)
        return box

    # -- loading the catalogue and the saved list ------------------------------------------

    @property
    def busy(self) -> bool:
        return any(task.running for task in (self.load_task, self.run_task, self.work_task))

    @property
    def run_op(self) -> BackgroundOp[Any] | None:
        return self.run_task.op

    def activated(self) -> None:
        """Load the fields, years and saved extractions (again: new imports may add some)."""
        if not self.busy:
            self.reload()

    def reload(self) -> None:
        service, options = self._service, self._filter_options

        def read(_ctx: object) -> tuple[Catalog, tuple[int, ...],
                                        tuple[SavedExtraction, ...]]:
            fo = options()
            catalog = Catalog(service.fields(), service.surveys(),
                              tuple((s.code, s.name) for s in fo.schools), fo.grades)
            return catalog, fo.school_years, service.saved()

        def done(loaded: tuple[Catalog, tuple[int, ...], tuple[SavedExtraction, ...]]
                 ) -> None:
            self.catalog, self.years, saved = loaded
            keep = self.year_combo.currentData()
            self.year_combo.clear()
            self.year_combo.addItem("最新の年度（自動）", None)
            for y in self.years:
                self.year_combo.addItem(format_school_year(y, self._style), y)
            index = self.year_combo.findData(keep)
            self.year_combo.setCurrentIndex(max(index, 0))
            self._show_saved(saved)

        if self.load_task.run(read, done, on_user_error=self._error) is not None:
            self._update_buttons()

    def _show_saved(self, saved: tuple[SavedExtraction, ...], select: int | None = None
                    ) -> None:
        self.saved_items = list(saved)
        self.saved_empty.setVisible(not saved)
        table = self.saved_table
        table.setRowCount(len(saved))
        for row, item in enumerate(saved):
            name = QTableWidgetItem(item.name)
            when = QTableWidgetItem(format_datetime(item.updated_at, self._style).split(" ")[0])
            tip = (f"{item.name}\n作成: {item.created_by}　更新: {item.updated_by} "
                   f"{format_datetime(item.updated_at, self._style)}")
            if not item.usable:
                tip += "\n閲覧できないデータを条件に使っているため、実行できません。"
                for cell in (name, when):
                    cell.setForeground(Qt.GlobalColor.gray)
            for cell in (name, when):
                cell.setToolTip(tip)
            table.setItem(row, 0, name)
            table.setItem(row, 1, when)
            if select is not None and item.id == select:
                table.selectRow(row)
        self._update_buttons()

    def selected_saved(self) -> SavedExtraction | None:
        rows = self.saved_table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.saved_items):
            return None
        return self.saved_items[rows[0].row()]

    # -- the builder -----------------------------------------------------------------------

    def _set_root(self, root: Group) -> None:
        self.root = GroupBox(root, 0, self._describe_leaf)
        self.root.changed.connect(self._update_buttons)
        self.root.add_condition_requested.connect(self.add_condition)
        self.root.edit_requested.connect(self.edit_condition)
        self.builder_scroll.setWidget(self.root)

    def _describe_leaf(self, node: Node) -> str:
        return format_phrase(self._describe(node), self._style)

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
        self._set_root(extraction.root)
        self._update_buttons()

    def new_extraction(self) -> None:
        self.set_extraction(Extraction(NEW_NAME, Group("and")))
        self.name_edit.setFocus()
        self.name_edit.selectAll()

    def add_condition(self, group: GroupBox | None = None) -> ConditionDialog | None:
        if self.catalog is None:
            return None
        target = group if isinstance(group, GroupBox) else self.root
        dialog = ConditionDialog(self.catalog, None, self)

        def submitted() -> None:
            if dialog.node is not None:
                target.add_leaf(dialog.node)
            dialog.accept()

        return self._open_dialog(dialog, submitted)

    def edit_condition(self, row: ConditionRow) -> ConditionDialog | None:
        if self.catalog is None:
            return None
        dialog = ConditionDialog(self.catalog, row.node, self)

        def submitted() -> None:
            if dialog.node is not None:
                row.set_node(dialog.node)
            dialog.accept()

        return self._open_dialog(dialog, submitted)

    def _open_dialog(self, dialog: DialogT, submitted: Callable[[], None]) -> DialogT:
        dialog.submitted.connect(submitted)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _r: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.open()
        return dialog

    # -- the push-support preset -----------------------------------------------------------

    def preset(self, options: PushSupportOptions | None = None) -> Extraction:
        return self._service.push_support_preset(options or self.preset_options,
                                                 self.year_combo.currentData())

    def run_preset(self) -> None:
        """One click: the preset with the current settings, loaded and run."""
        self.set_extraction(self.preset())
        self.run()

    def open_preset_settings(self) -> PushSupportDialog | None:
        catalog = self.catalog
        subjects: list[str] = []
        lesson_subjects: list[str] = []
        if catalog is not None:
            academic = catalog.field("academic_results", "subject")
            subjects = list(academic.values) if academic is not None else []
            lesson = next((s for s in catalog.surveys
                           if s.code == self.preset_options.lesson_survey), None)
            lesson_subjects = list(lesson.subjects) if lesson is not None else []
        dialog = PushSupportDialog(self.preset_options, subjects, lesson_subjects, self,
                                   locked=self._preset_locked)

        def submitted() -> None:
            self.preset_options = dialog.options()
            dialog.accept()
            self.run_preset()

        return self._open_dialog(dialog, submitted)

    # -- running ---------------------------------------------------------------------------

    def _problem(self, extraction: Extraction) -> str | None:
        if not extraction.name:
            return "抽出の名前を入力してください。"
        if not extraction.leaves():
            return "使う条件が1つもありません。「＋条件」で追加するか、条件に印を付けてください。"
        return None

    def run(self) -> None:
        extraction = self.extraction()
        problem = self._problem(extraction)
        if problem is not None:
            self.show_status(problem, error=True)
            return
        service = self._service
        self._start_run(lambda ctx: service.run(extraction, progress=ctx.progress,
                                                cancel=ctx.cancelled))

    def _start_run(self, task: Callable[[TaskContext], ExtractionResult]) -> None:
        if self.busy:
            return
        self.progress.setRange(0, 0)  # busy until the first condition is done
        self.progress.show()
        self.cancel_button.setText("中止")
        self.cancel_button.setEnabled(True)
        self.cancel_button.show()
        self.show_status("抽出しています…")
        self.run_task.run(task, self._show_result,
                          on_user_error=lambda m: self.show_status(m, error=True),
                          on_cancelled=lambda: self.show_status("抽出を中止しました。"),
                          on_progress=self._show_progress)
        self._update_buttons()

    def _show_progress(self, fraction: float) -> None:
        self.progress.setRange(0, PROGRESS_STEPS)
        self.progress.setValue(round(max(0.0, min(1.0, fraction)) * PROGRESS_STEPS))

    def cancel_run(self) -> None:
        """中止: the run stops after the condition it is evaluating."""
        op = self.run_task.op
        if op is None or not op.running:
            return
        self.run_task.cancel()
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("中止しています…")

    def _run_ended(self) -> None:
        self.progress.hide()
        self.cancel_button.hide()
        self._update_buttons()

    def _show_result(self, result: ExtractionResult) -> None:
        self.result = result
        self.model.set_result(result)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        self.table.horizontalHeader().setSortIndicatorShown(False)
        n = len(self.model.headers)
        for column in range(7, n):
            self.table.horizontalHeader().resizeSection(column, 260)
        year = format_school_year(result.school_year, self._style)
        self.summary_label.setText(
            f"{year}に在籍する{format_count(result.population)}人のうち"
            f" <b>{format_count(len(result.rows))}人</b>が当てはまりました"
            f"（{format_datetime(result.run_at, self._style)} 実行）")
        table = self.counts_table
        table.setRowCount(len(result.counts) + 1)
        for row, count in enumerate(result.counts):
            cells = (f"条件{row + 1}", format_phrase(count.condition, self._style),
                     f"{format_count(count.pupils)}人")
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(cells[1])
                if column == 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                table.setItem(row, column, item)
        last = len(result.counts)
        for column, text in enumerate(("すべて", "組み合わせた条件（抽出結果）",
                                       f"{format_count(len(result.rows))}人")):
            item = QTableWidgetItem(text)
            font = item.font()
            font.setBold(True)
            item.setFont(font)
            if column == 2:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(last, column, item)
        rows = len(result.counts) + 1
        table.setFixedHeight(table.horizontalHeader().height() + rows * 24 + 4)
        table.show()
        self.show_status(f"抽出しました: {format_count(len(result.rows))}人", ok=True)
        if result.rows:
            self.table.selectRow(0)
        self._update_buttons()
        self.result_shown.emit(result)

    def show_status(self, message: str, *, error: bool = False, ok: bool = False) -> None:
        color = style.ERROR_COLOR if error else style.OK_COLOR if ok else style.MUTED_COLOR
        self.status_label.setStyleSheet(f"color: {color};")
        self.status_label.setText(message)

    def _error(self, message: str) -> None:
        self.show_status(message, error=True)

    # -- saved extractions -----------------------------------------------------------------

    def save(self) -> None:
        extraction = self.extraction()
        problem = self._problem(extraction)
        if problem is not None:
            self.show_status(problem, error=True)
            return
        if any(s.name == extraction.name for s in self.saved_items):
            self.confirmation = confirm(
                self, "抽出条件の上書き",
                f"「{extraction.name}」はすでに保存されています。上書きしますか？",
                lambda: self._save(extraction), yes_text="上書きする")
            return
        self._save(extraction)

    def _save(self, extraction: Extraction) -> None:
        service = self._service

        def write(_ctx: object) -> tuple[SavedExtraction, tuple[SavedExtraction, ...]]:
            saved = service.save(extraction)
            return saved, service.saved()

        def done(result: tuple[SavedExtraction, tuple[SavedExtraction, ...]]) -> None:
            saved, items = result
            self._show_saved(items, select=saved.id)
            self.show_status(f"「{saved.name}」を保存しました。", ok=True)

        self._work(write, done, "抽出条件を保存しています…")

    def _work(self, task: Callable[[Any], Any], done: Callable[[Any], None], label: str
              ) -> None:
        if self.busy:
            return
        self.work_task.run(task, done, label=label, on_user_error=self._error)
        self._update_buttons()

    def load_selected(self) -> None:
        item = self.selected_saved()
        if item is not None:
            self.set_extraction(item.extraction)
            self.show_status(f"「{item.name}」を読み込みました。")

    def run_selected(self) -> None:
        """Re-run a saved extraction on the data as it is now."""
        item = self.selected_saved()
        if item is None:
            return
        if not item.usable:
            self.show_status("閲覧できないデータを条件に使っているため、実行できません。",
                             error=True)
            return
        self.set_extraction(item.extraction)
        service, saved_id = self._service, item.id
        self._start_run(lambda ctx: service.run_saved(saved_id, progress=ctx.progress,
                                                      cancel=ctx.cancelled))

    def delete_selected(self) -> None:
        item = self.selected_saved()
        if item is None:
            return
        service = self._service

        def remove() -> None:
            def task(_ctx: object) -> tuple[SavedExtraction, ...]:
                service.delete(item.id)
                return service.saved()

            def done(items: tuple[SavedExtraction, ...]) -> None:
                self._show_saved(items)
                self.show_status(f"「{item.name}」を削除しました。", ok=True)

            self._work(task, done, "抽出条件を削除しています…")

        self.confirmation = confirm(
            self, "抽出条件の削除", f"保存した抽出条件「{item.name}」を削除しますか？", remove,
            yes_text="削除する", informative="抽出した結果やデータは削除されません。")

    # -- results ---------------------------------------------------------------------------

    def open_current(self) -> None:
        row = source_row(self.table, self.proxy)
        if row is not None and row < len(self.model.rows):
            self.open_requested.emit(self.model.rows[row].pupil_id)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (watched is self.table and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent) and event.key() in ENTER_KEYS):
            self.open_current()
            return True
        return super().eventFilter(watched, event)

    def _ask_export_path(self, suffix: str, name: str) -> Path | None:
        return ask_save_path(self, "抽出結果を出力", name, chosen_format(self.format_combo))

    def export(self) -> None:
        result = self.result
        if result is None or not self._can_export:
            return
        fmt = chosen_format(self.format_combo)
        chosen = self.choose_export_path(fmt.suffix, result.name or "抽出結果")
        if chosen is None:
            return
        path, encoding = with_suffix(chosen, fmt), text_encoding(fmt)
        service = self._service

        def done(written: ExportResult) -> None:
            self.last_export = written
            self.show_status(f"{format_count(written.rows)}人分を出力しました: "
                             f"{written.path}{replaced_note(written)}", ok=True)

        def start(overwrite: bool) -> None:
            self._work(lambda _ctx: service.export(result, path, encoding, overwrite=overwrite),
                       done, "抽出結果を出力しています…")

        self.overwrite_question = confirm_overwrite(self, [path], start)

    # -- buttons ---------------------------------------------------------------------------

    def _update_buttons(self) -> None:
        ready = self.catalog is not None and not self.busy
        selected = self.selected_saved() if hasattr(self, "saved_table") else None
        for b in (self.preset_button, self.preset_settings_button, self.run_button,
                  self.save_button, self.new_button):
            b.setEnabled(ready)
        if hasattr(self, "root"):
            for box in [self.root, *self.root.groups()]:
                box.add_button.setEnabled(ready)
        self.load_button.setEnabled(selected is not None and not self.busy)
        self.rerun_button.setEnabled(selected is not None and ready and selected.usable)
        can_delete = selected is not None and (
            self._can_delete_any or selected.created_by == self._login_id)
        self.delete_button.setEnabled(can_delete and not self.busy)
        has_rows = self.result is not None and bool(self.result.rows)
        self.export_button.setEnabled(self.result is not None and not self.busy)
        self.open_button.setEnabled(has_rows and self.table.currentIndex().isValid())
