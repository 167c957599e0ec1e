"""取込 (roles with ``import``): the import wizard over ``ImportService``.

Choose files (several at once) → for each file in turn: the recognized kind with how sure and
why, encoding and rows, the header mapping (changeable, saved per source with ``remap``) →
preview in the background (counts, the validation report with a severity filter and export)
→ commit after a confirmation that says in plain words what will happen → the result. The
files are processed one after another in the office's order (児童生徒基本情報, 学校, 在籍
first); the list on the left keeps the summary. Every service call runs on the worker through
:class:`BackgroundRunner` with progress and 中止; the window never waits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from toda_desktop.errors import OperationCancelled, user_message
from toda_desktop.export_files import ExportResult
from toda_desktop.formatting import format_count
from toda_desktop.importing.service import issue_rows
from ui import style
from ui.background import BackgroundOp, BackgroundRunner, TaskContext
from ui.dialogs import confirm
from ui.export_flow import (
    ask_save_path,
    chosen_format,
    export_format,
    format_combo,
    replaced_note,
    text_encoding,
    with_suffix,
)
from ui.page_header import PageHeader
from ui.page_task import PageTask
from ui.pages.import_models import (
    ALL_SEVERITIES,
    ATTENTION_COUNTS,
    CURRENT,
    IMPORTED,
    NOTHING,
    PROBLEM_COUNTS,
    SEVERITY_ORDER,
    SKIPPED,
    UNREADABLE,
    WAITING,
    ChangesModel,
    ColumnChoiceDelegate,
    FileEntry,
    FileQueueModel,
    IssueRow,
    IssuesModel,
    MappingModel,
    SeverityFilter,
    column_choices,
    commit_summary,
    entries_of,
    in_import_order,
    mapping_problems,
    mapping_rows,
    n_rows,
    result_summary,
    rows_to_import,
    severity_counts,
    sheet_choices,
    sheets_not_read,
    shown_counts,
)
from ui.pages.value_map_dialog import ValueMapDialog

if TYPE_CHECKING:
    from toda_desktop.importing.service import (
        FileInspection,
        ImportPreview,
        ImportResult,
        ImportService,
    )

START, MAPPING, PREVIEW, RESULT, FINISHED = range(5)
STEP_TITLES = ("ファイルの選択", "種類と見出しの確認", "検証結果の確認", "取込")
FILE_FILTER = "表のファイル (*.csv *.tsv *.txt *.xlsx);;すべてのファイル (*)"
# Report formats: (key, label); CSV keys are export_files encodings.
LOW_CONFIDENCE = 0.6
ORDER_TEXT = (
    "取り込む順番: 先に「児童生徒基本情報」と「在籍」（学校も）を取り込んでください。"
    "出欠や保健室利用などの記録は、登録済みの児童生徒と照合して取り込みます。"
)
NO_PUPILS_TEXT = (
    "まだ「児童生徒基本情報」が取り込まれていません。このままでは出欠などの記録を"
    "児童生徒と照合できず、すべて「照合不可」になります。先に「児童生徒基本情報」と"
    "「在籍」のファイルを取り込んでください。"
)


def _label(text: str = "", css: str = "", *, wrap: bool = True) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(wrap)
    if css:
        label.setStyleSheet(css)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _notice(css: str) -> QLabel:
    label = _label("", css)
    label.hide()
    return label


def _say(label: QLabel, text: str, css: str | None = None) -> None:
    label.setText(text)
    if css is not None:
        label.setStyleSheet(css)
    label.setVisible(bool(text))


def _table(model: Any, name: str) -> QTableView:
    table = QTableView()
    table.setModel(model)
    table.setAlternatingRowColors(True)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setWordWrap(False)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(28)
    table.setAccessibleName(name)
    return table


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


class ImportPage(QWidget):
    """The 取込 wizard. ``imported`` fires after each commit (history and review change)."""

    imported = Signal(str)  # the kind that was imported

    def __init__(
        self,
        importer: ImportService,
        kinds: Sequence[Any],
        runner: BackgroundRunner,
        *,
        master_kind: str,
        can_overwrite: bool,
        can_export: bool,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._importer = importer
        self._kinds = list(kinds)
        self._master_kind = master_kind
        self._can_overwrite = can_overwrite
        self._can_export = can_export
        self.entries: list[FileEntry] = []
        self.current = -1
        self.preview: ImportPreview | None = None
        self.issues: list[IssueRow] = []
        self.last_result: ImportResult | None = None
        self.last_export: ExportResult | None = None
        self.pupils_present = True
        # One piece of work at a time; the busy row under the steps shows it with 中止.
        self.read_task = PageTask(self, runner, "読んでいます…", cancellable=True)
        self.write_task = PageTask(self, runner, "取り込んでいます…", cancellable=True,
                                   writes=True)
        for page_task in (self.read_task, self.write_task):
            page_task.ended.connect(self._work_ended)
        self.confirmation: QMessageBox | None = None
        # Replaceable by tests (the defaults ask with a file dialog).
        self.choose_files: Callable[[], list[Path]] = self._ask_files
        self.choose_report_path: Callable[[str], Path | None] = self._ask_report_path

        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 20, 24, 16)
        outer.setSpacing(10)
        title_bar = PageHeader("取込", spacing=16)
        self.step_bar = StepBar()
        title_bar.set_middle(self.step_bar)
        outer.addLayout(title_bar)

        body = QHBoxLayout()
        body.setSpacing(16)
        outer.addLayout(body, 1)
        self.queue_panel = self._build_queue()
        body.addWidget(self.queue_panel)
        self.steps = QStackedWidget()
        body.addWidget(self.steps, 1)
        self.steps.addWidget(self._build_start())
        self.steps.addWidget(self._build_mapping())
        self.steps.addWidget(self._build_preview())
        self.steps.addWidget(self._build_result())
        self.steps.addWidget(self._build_finished())

        busy = QHBoxLayout()
        self.busy_label = QLabel("")
        self.busy_label.setStyleSheet(style.MUTED)
        self.busy_bar = QProgressBar()
        self.busy_bar.setMaximumWidth(280)
        self.busy_bar.setTextVisible(False)
        self.busy_cancel = QPushButton("中止")
        self.busy_cancel.clicked.connect(self.cancel_work)
        busy.addWidget(self.busy_label, 1)
        busy.addWidget(self.busy_bar)
        busy.addWidget(self.busy_cancel)
        self.busy_row = QWidget()
        self.busy_row.setLayout(busy)
        self.busy_row.hide()
        outer.addWidget(self.busy_row)
        self._show_step(START)

    # -- building the steps ----------------------------------------------------------------

    def _build_queue(self) -> QWidget:
        panel = QWidget()
        panel.setFixedWidth(260)
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(0, 0, 0, 0)
        heading = QLabel("取り込むファイル")
        heading.setStyleSheet(style.SECTION_TITLE)
        layout.addWidget(heading)
        self.queue_model = FileQueueModel(self)
        self.queue_table = _table(self.queue_model, "取り込むファイルの一覧")
        self.queue_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.queue_table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.queue_table.setWordWrap(True)
        self.queue_table.setAlternatingRowColors(False)
        self.queue_table.horizontalHeader().setStretchLastSection(True)
        self.queue_table.horizontalHeader().hide()
        self.queue_table.verticalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.queue_table.setShowGrid(False)
        self.queue_table.setStyleSheet(
            "QTableView { border: 1px solid #d0d7de; }"
            " QTableView::item { border-bottom: 1px solid #e4e8ec; padding: 2px 6px; }"
        )
        layout.addWidget(self.queue_table, 1)
        self.order_label = _label("", style.MUTED)
        layout.addWidget(self.order_label)
        self.stop_button = QPushButton("残りのファイルをやめる")
        self.stop_button.setToolTip("まだ取り込んでいないファイルを取り込まずに終わります")
        self.stop_button.clicked.connect(self.stop_remaining)
        layout.addWidget(self.stop_button)
        panel.hide()
        return panel

    def _build_start(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.setSpacing(12)
        layout.addWidget(_label("学校や各課から届いたファイルを、データベースに取り込みます。",
                                style.SECTION_TITLE))
        layout.addWidget(_label(
            "CSV（UTF-8・Shift_JIS）、タブ区切り、Excel（.xlsx）のファイルを、一度に複数選べます。"
            "ファイルごとに、データの種類と見出しの対応を確かめ、検証結果を見てから取り込みます。"
            "取り込むまでデータベースは変わりません。"
        ))
        layout.addWidget(_label(ORDER_TEXT, style.NOTICE_TEXT))
        row = QHBoxLayout()
        self.choose_button = QPushButton("ファイルを選ぶ…")
        self.choose_button.setDefault(True)
        self.choose_button.setMinimumHeight(36)
        self.choose_button.clicked.connect(self.pick_files)
        row.addWidget(self.choose_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.start_status = _notice(style.ERROR_TEXT)
        layout.addWidget(self.start_status)
        layout.addStretch(1)
        return page

    def _build_mapping(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        self.file_title = _label("", style.SECTION_TITLE)
        layout.addWidget(self.file_title)

        card = QFrame()
        card.setObjectName("infoCard")
        card.setStyleSheet(style.CARD)
        grid = QGridLayout(card)
        grid.setContentsMargins(12, 8, 12, 8)
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(4)
        self.kind_combo = QComboBox()
        self.kind_combo.setAccessibleName("データの種類")
        self.kind_combo.setMinimumWidth(240)
        self.kind_combo.addItem("（種類を選んでください）", None)
        for kind in self._kinds:
            self.kind_combo.addItem(str(kind.label), str(kind.name))
        self.kind_combo.activated.connect(self._kind_chosen)
        self.confidence_label = QLabel("")
        self.guess_label = _label("", style.MUTED)
        self.encoding_label = QLabel("")
        self.rows_label = QLabel("")
        kind_row = QHBoxLayout()
        kind_row.addWidget(self.kind_combo)
        kind_row.addSpacing(10)
        kind_row.addWidget(self.confidence_label)
        kind_row.addStretch(1)
        grid.addWidget(QLabel("データの種類"), 0, 0)
        grid.addLayout(kind_row, 0, 1)
        grid.addWidget(self.guess_label, 1, 1)
        facts = QHBoxLayout()
        facts.addWidget(QLabel("形式・文字コード: "))
        facts.addWidget(self.encoding_label)
        facts.addSpacing(24)
        facts.addWidget(QLabel("行数: "))
        facts.addWidget(self.rows_label)
        facts.addStretch(1)
        grid.addWidget(QLabel("ファイル"), 2, 0)
        grid.addLayout(facts, 2, 1)
        # A workbook's sheets: which are read, why others are not, and a choice.
        self.sheet_caption = QLabel("シート")
        self.sheet_combo = QComboBox()
        self.sheet_combo.setAccessibleName("読むシート")
        self.sheet_combo.setMinimumWidth(240)
        self.sheet_combo.activated.connect(self._sheet_chosen)
        sheet_row = QHBoxLayout()
        sheet_row.addWidget(self.sheet_combo)
        sheet_row.addStretch(1)
        self.sheet_row = QWidget()
        self.sheet_row.setLayout(sheet_row)
        sheet_row.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.sheet_caption, 3, 0)
        grid.addWidget(self.sheet_row, 3, 1)
        self.sheet_notes = _label("", style.MUTED)
        grid.addWidget(self.sheet_notes, 4, 1)
        grid.setColumnStretch(1, 1)
        layout.addWidget(card)

        self.already_label = _notice(style.NOTICE_TEXT)
        layout.addWidget(self.already_label)
        self.problems_label = _notice(style.ERROR_TEXT)
        layout.addWidget(self.problems_label)
        self.mapping_notes = _notice(style.NOTICE_TEXT)
        layout.addWidget(self.mapping_notes)

        self.mapping_model = MappingModel(self)
        self.mapping_table = _table(self.mapping_model, "見出しの対応")
        self.mapping_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.mapping_table.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers)
        self.mapping_table.verticalHeader().setDefaultSectionSize(32)
        self.mapping_table.setItemDelegateForColumn(
            MappingModel.CHOICE_COLUMN, ColumnChoiceDelegate(self.mapping_model, self)
        )
        header = self.mapping_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((150, 140, 200)):
            header.resizeSection(column, width)
        self.mapping_model.dataChanged.connect(self._mapping_edited)
        layout.addWidget(self.mapping_table, 1)

        buttons = QHBoxLayout()
        self.skip_button = QPushButton("このファイルを飛ばす")
        self.skip_button.clicked.connect(self.skip_file)
        self.save_mapping_button = QPushButton("この対応を保存")
        self.save_mapping_button.setToolTip(
            "見出しの対応を、この提出元のファイル用に記憶します。次回から同じ対応で読みます。"
        )
        self.save_mapping_button.clicked.connect(lambda: self.save_mapping())
        self.to_preview_button = QPushButton("検証に進む")
        self.to_preview_button.setDefault(True)
        self.to_preview_button.clicked.connect(self.start_preview)
        buttons.addWidget(self.skip_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_mapping_button)
        buttons.addWidget(self.to_preview_button)
        layout.addLayout(buttons)
        return page

    def _build_preview(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        self.preview_title = _label("", style.SECTION_TITLE)
        layout.addWidget(self.preview_title)
        tiles = QGridLayout()
        tiles.setSpacing(6)
        self.tiles_grid = tiles
        self.count_tiles: dict[str, CountTile] = {}
        for _key, label, tip, _value in shown_counts({k: 0 for k in (
            "rows", "new", "identical", "conflicts", "review", "rejected", "error_rows",
            "duplicates_in_file", "totals_rows")}):
            tile = CountTile(label, tip)
            place = len(self.count_tiles)
            self.count_tiles[_key] = tile
            tiles.addWidget(tile, place // 4, place % 4)
        layout.addLayout(tiles)
        self.link_label = _label("", style.MUTED)
        layout.addWidget(self.link_label)
        self.preview_notice = _notice(style.NOTICE_TEXT)
        layout.addWidget(self.preview_notice)

        report_row = QHBoxLayout()
        report_title = QLabel("検証結果")
        report_title.setStyleSheet("font-weight: bold;")
        report_row.addWidget(report_title)
        self.issue_count_label = QLabel("")
        self.issue_count_label.setStyleSheet(style.MUTED)
        report_row.addWidget(self.issue_count_label)
        report_row.addStretch(1)
        report_row.addWidget(QLabel("重要度:"))
        self.severity_combo = QComboBox()
        self.severity_combo.setAccessibleName("重要度で絞り込む")
        self.severity_combo.setMinimumWidth(120)
        self.severity_combo.addItem(ALL_SEVERITIES, None)
        for severity in SEVERITY_ORDER:
            self.severity_combo.addItem(severity, severity)
        self.severity_combo.currentIndexChanged.connect(self._severity_chosen)
        report_row.addWidget(self.severity_combo)
        layout.addLayout(report_row)

        self.issues_model = IssuesModel(self)
        self.issues_proxy = SeverityFilter(self)
        self.issues_proxy.setSourceModel(self.issues_model)
        self.issues_table = _table(self.issues_proxy, "検証結果の一覧")
        self.issues_table.setSortingEnabled(True)
        self.issues_table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        self.issues_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.issues_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate((150, 96, 90, 100, 300, 58)):
            header.resizeSection(column, width)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        # On screen the file is the heading above; the exported report names it in each row.
        self.issues_table.setColumnHidden(0, True)
        layout.addWidget(self.issues_table, 1)

        export_row = QHBoxLayout()
        self.export_status = _notice(style.OK_TEXT)
        export_row.addWidget(self.export_status, 1)
        export_row.addStretch(0)
        self.report_format_combo = format_combo()
        self.export_button = QPushButton("検証結果を出力…")
        self.export_button.setToolTip(
            "検証結果をファイルに保存します。学校や提出元に渡して、ファイルを直してもらえます。"
        )
        self.export_button.clicked.connect(self.export_report)
        if self._can_export:
            export_row.addWidget(self.report_format_combo)
            export_row.addWidget(self.export_button)
        else:
            self.report_format_combo.hide()
            self.export_button.hide()
        layout.addLayout(export_row)

        self.overwrite_check = QCheckBox("")
        self.overwrite_check.toggled.connect(lambda _on: self._update_commit_text())
        self.overwrite_check.hide()
        layout.addWidget(self.overwrite_check)
        self.changes_label = _label("", "font-weight: bold;")
        self.changes_label.hide()
        layout.addWidget(self.changes_label)
        self.changes_model = ChangesModel(self)
        self.changes_table = _table(self.changes_model, "上書きで変わる値")
        self.changes_table.setMaximumHeight(170)
        header = self.changes_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate((64, 0, 110, 120, 120)):
            header.resizeSection(column, width)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.changes_table.setWordWrap(False)
        self.changes_table.hide()
        layout.addWidget(self.changes_table)
        self.repeats_check = QCheckBox("")  # identical rows kept as repeated records
        self.repeats_check.toggled.connect(lambda _on: self._update_commit_text())
        self.repeats_check.hide()
        layout.addWidget(self.repeats_check)
        values_row = QHBoxLayout()
        self.values_label = _label("", style.MUTED)
        self.values_button = QPushButton("一覧にない値を対応付ける…")
        self.values_button.clicked.connect(self.map_values)
        values_row.addWidget(self.values_label, 1)
        values_row.addWidget(self.values_button)
        self.values_row = QWidget()
        self.values_row.setLayout(values_row)
        self.values_row.hide()
        layout.addWidget(self.values_row)
        self.value_dialog: ValueMapDialog | None = None
        self.commit_text = _label("", "font-weight: bold;")
        layout.addWidget(self.commit_text)

        buttons = QHBoxLayout()
        self.back_button = QPushButton("見出しの確認に戻る")
        self.back_button.clicked.connect(lambda: self._show_step(MAPPING))
        self.skip_button2 = QPushButton("このファイルを飛ばす")
        self.skip_button2.clicked.connect(self.skip_file)
        self.commit_button = QPushButton("取り込む…")
        self.commit_button.setDefault(True)
        self.commit_button.clicked.connect(self.ask_commit)
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.skip_button2)
        buttons.addStretch(1)
        buttons.addWidget(self.commit_button)
        layout.addLayout(buttons)
        return page

    def _build_result(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.setSpacing(12)
        self.result_title = _label("", style.SECTION_TITLE)
        layout.addWidget(self.result_title)
        self.result_label = _label("", style.OK_TEXT)
        layout.addWidget(self.result_label)
        self.result_hint = _notice(style.NOTICE_TEXT)
        layout.addWidget(self.result_hint)
        layout.addWidget(_label(
            "取り込んだ内容は「取込履歴」から取り消せます。", style.MUTED
        ))
        row = QHBoxLayout()
        row.addStretch(1)
        self.next_button = QPushButton("次のファイルへ")
        self.next_button.setDefault(True)
        self.next_button.setMinimumHeight(34)
        self.next_button.clicked.connect(self.next_file)
        row.addWidget(self.next_button)
        layout.addLayout(row)
        layout.addStretch(1)
        return page

    def _build_finished(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.setSpacing(12)
        layout.addWidget(_label("選んだファイルの処理が終わりました。", style.SECTION_TITLE))
        self.finished_label = _label("")
        layout.addWidget(self.finished_label)
        self.finished_hint = _notice(style.NOTICE_TEXT)
        layout.addWidget(self.finished_hint)
        row = QHBoxLayout()
        self.again_button = QPushButton("別のファイルを取り込む…")
        self.again_button.setMinimumHeight(34)
        self.again_button.clicked.connect(self.pick_files)
        row.addWidget(self.again_button)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(1)
        return page

    # -- state -----------------------------------------------------------------------------

    @property
    def step(self) -> int:
        return self.steps.currentIndex()

    @property
    def entry(self) -> FileEntry | None:
        return self.entries[self.current] if 0 <= self.current < len(self.entries) else None

    @property
    def busy(self) -> bool:
        return self.op is not None

    def _show_step(self, step: int) -> None:
        self.steps.setCurrentIndex(step)
        self.step_bar.set_step({START: 0, MAPPING: 1, PREVIEW: 2, RESULT: 3, FINISHED: 3}[step])
        self.queue_panel.setVisible(bool(self.entries))
        self.stop_button.setVisible(step in (MAPPING, PREVIEW, RESULT)
                                    and any(e.state == WAITING for e in self.entries))

    def _set_busy(self, label: str | None) -> None:
        busy = label is not None
        self.busy_row.setVisible(busy)
        self.busy_label.setText(label or "")
        self.busy_bar.setRange(0, 0)
        self.busy_cancel.setEnabled(True)
        for widget in (self.steps, self.stop_button):
            widget.setEnabled(not busy)

    def _run(
        self,
        task: Callable[[TaskContext], Any],
        on_success: Callable[[Any], None],
        label: str,
        *,
        on_cancelled: Callable[[], None] | None = None,
        on_user_error: Callable[[str], None] | None = None,
        writes: bool = False,
    ) -> BackgroundOp[Any] | None:
        """``writes``: the task changes the store (see :class:`PageTask`)."""

        def progressed(fraction: float) -> None:
            self.busy_bar.setRange(0, 1000)
            self.busy_bar.setValue(round(fraction * 1000))

        page_task = self.write_task if writes else self.read_task
        op = page_task.run(task, on_success, label=label, on_cancelled=on_cancelled,
                           on_user_error=on_user_error, on_progress=progressed)
        if op is not None:
            self._set_busy(label)
        return op

    @property
    def op(self) -> BackgroundOp[Any] | None:
        """The work running now (reading, checking or importing), if any."""
        return self.read_task.op or self.write_task.op

    def _work_ended(self) -> None:
        self._set_busy(None)
        self._update_mapping_buttons()

    def cancel_work(self) -> None:
        for page_task in (self.read_task, self.write_task):
            if page_task.running:
                page_task.cancel()
                self.busy_cancel.setEnabled(False)
                self.busy_label.setText("中止しています…")

    # -- choosing and reading the files ----------------------------------------------------

    def _ask_files(self) -> list[Path]:
        names, _filter = QFileDialog.getOpenFileNames(self, "取り込むファイルを選ぶ", "",
                                                      FILE_FILTER)
        return [Path(n) for n in names]

    def pick_files(self) -> None:
        if self.busy:
            return
        paths = self.choose_files()
        if paths:
            self.open_files(paths)

    def open_files(self, paths: Sequence[Path]) -> None:
        """Read and recognize every chosen file (one background run), then start with the
        first in the office's order."""
        importer, master = self._importer, self._master_kind
        paths = list(paths)

        def task(ctx: TaskContext) -> tuple[list[FileEntry], bool]:
            entries: list[FileEntry] = []
            for number, path in enumerate(paths):

                def progress(fraction: float, n: int = number) -> None:
                    ctx.progress((n + fraction) / len(paths))

                try:
                    # A workbook gives one entry per sheet that fits.
                    entries += entries_of(path, importer.inspect_sheets(
                        path, progress=progress, cancel=ctx.cancelled))
                except OperationCancelled:
                    raise
                except Exception as exc:
                    message = user_message(exc)
                    if message is None:
                        raise
                    entries.append(FileEntry(path, error=message, state=UNREADABLE))
            have_pupils = any(
                b.kind == master and b.status == "committed" for b in importer.batches()
            )
            return entries, have_pupils

        _say(self.start_status, "")
        self._run(task, self._files_read, "ファイルを読んでいます…",
                  on_user_error=lambda m: _say(self.start_status, m))

    def _files_read(self, found: tuple[list[FileEntry], bool]) -> None:
        entries, have_pupils = found
        ordered = in_import_order(entries)
        self.entries = ordered
        self.pupils_present = have_pupils
        self.queue_model.set_entries(ordered)
        notes = []
        css = style.NOTICE_TEXT
        if [id(e) for e in ordered] != [id(e) for e in entries]:
            notes.append("児童生徒基本情報・学校・在籍のファイルを先に取り込むよう、"
                         "順番を並べ替えました。")
        links = [e for e in ordered if e.inspection is not None and e.inspection.kind is not None
                 and e.inspection.kind.links_to_pupil]
        if links and not have_pupils and not any(e.kind_name == self._master_kind
                                                 for e in ordered):
            notes.append(NO_PUPILS_TEXT)
            css = style.ERROR_TEXT
        for entry in ordered:
            if entry.error:
                notes.append(f"「{entry.path.name}」は読めません: {entry.error}")
                css = style.ERROR_TEXT
        _say(self.order_label, "\n".join(notes), css)
        self.current = -1
        self._advance()

    def next_file(self) -> None:
        """Go to the next file that is still waiting (or to the summary)."""
        if not self.busy:
            self._advance()

    def _advance(self) -> None:
        for number in range(self.current + 1, len(self.entries)):
            if self.entries[number].state == WAITING:
                self._open_entry(number)
                return
        self.current = len(self.entries)
        self.queue_model.current = -1
        self.queue_model.refresh()
        self._show_finished()

    def _open_entry(self, number: int) -> None:
        self.current = number
        self.queue_model.current = number
        entry = self.entries[number]
        entry.state = CURRENT
        self.queue_model.refresh()
        self.queue_table.scrollTo(self.queue_model.index(number, 0))
        self.preview = None
        self._show_inspection()
        self._show_step(MAPPING)

    def _file_heading(self, entry: FileEntry) -> str:
        return f"ファイル {self.current + 1} / {len(self.entries)}　{entry.display_name}"

    # -- step 2: kind and headers ----------------------------------------------------------

    def _show_inspection(self) -> None:
        entry = self.entry
        assert entry is not None and entry.inspection is not None
        inspection: FileInspection = entry.inspection
        self.file_title.setText(self._file_heading(entry))
        kind = inspection.kind
        self.kind_combo.setCurrentIndex(max(self.kind_combo.findData(
            None if kind is None else kind.name), 0))
        guess = inspection.guess
        sure = round(guess.confidence * 100)
        if guess.kind is None:
            self.confidence_label.setText("")
        elif kind is not None and guess.kind != kind.name:
            self.confidence_label.setText("（選び直した種類）")
            self.confidence_label.setStyleSheet(style.MUTED)
        else:
            low = guess.confidence < LOW_CONFIDENCE
            self.confidence_label.setText(f"確からしさ {sure}%" + ("（要確認）" if low else ""))
            self.confidence_label.setStyleSheet(
                f"color: {'#8a5a00' if low else style.OK_COLOR}; font-weight: bold;"
            )
        low = guess.kind is not None and guess.confidence < LOW_CONFIDENCE
        self.guess_label.setText(guess.explanation + (
            "\n確からしさが低いため、データの種類が正しいか確かめてください。" if low else ""))
        self.encoding_label.setText(inspection.encoding_label
                                    + (f"（シート「{inspection.raw.sheet}」）"
                                       if inspection.raw.sheet else ""))
        self.rows_label.setText(n_rows(inspection.raw.row_count))
        self._show_sheets(entry)
        before = inspection.already_imported
        _say(self.already_label, "" if before is None else (
            f"このファイルは既に取り込まれています（取込番号 {before.id}）。"
            "もう一度取り込んでも同じ行は増えません。新しく照合できた行だけを取り込みます。"
        ))
        rows = mapping_rows(inspection)
        choices = column_choices(kind) if kind is not None else []
        self.mapping_model.set_rows(rows, choices)
        if kind is not None:
            for row in range(len(rows)):
                self.mapping_table.openPersistentEditor(
                    self.mapping_model.index(row, MappingModel.CHOICE_COLUMN))
        self._show_mapping_messages()
        self._update_mapping_buttons()

    def _show_sheets(self, entry: FileEntry) -> None:
        several = len(entry.sheets) > 1
        self.sheet_caption.setVisible(several)
        self.sheet_row.setVisible(several)
        self.sheet_combo.clear()
        for label, name in sheet_choices(entry, self.entries):
            self.sheet_combo.addItem(label, name)
        self.sheet_combo.setCurrentIndex(max(0, self.sheet_combo.findData(entry.sheet)))
        _say(self.sheet_notes, "\n".join(
            f"シート「{name}」は読みませんでした: {why}"
            for name, why in sheets_not_read(entry, self.entries)))

    def _sheet_chosen(self, _index: int) -> None:
        """Read another sheet of the workbook for this entry (its kind recognized anew)."""
        entry = self.entry
        name = self.sheet_combo.currentData()
        if entry is None or entry.inspection is None or name is None:
            return
        if name == entry.inspection.sheet:
            return
        importer, path = self._importer, entry.path

        def task(ctx: TaskContext) -> FileInspection:
            return importer.inspect(path, sheet=name, progress=ctx.progress,
                                    cancel=ctx.cancelled)

        def done(inspection: FileInspection) -> None:
            entry.inspection, entry.sheet = inspection, inspection.sheet
            self.queue_model.refresh()
            self.file_title.setText(self._file_heading(entry))
            self._show_inspection()

        def refused(message: str) -> None:
            self._show_inspection()
            _say(self.problems_label, message)

        self._run(task, done, "選んだシートを読んでいます…", on_user_error=refused,
                  on_cancelled=self._show_inspection)

    def _show_mapping_messages(self) -> None:
        entry = self.entry
        inspection = None if entry is None else entry.inspection
        if inspection is None:
            return
        kind, mapping = inspection.kind, inspection.mapping
        if kind is None:
            _say(self.problems_label, "データの種類を判断できませんでした。"
                 "上の「データの種類」で、このファイルの種類を選んでください。")
            _say(self.mapping_notes, "")
            return
        problems = mapping_problems(kind, self.mapping_model.rows)
        if not self.mapping_model.dirty and mapping is not None:
            local = {p.split("。")[0] for p in problems}
            problems += [e for e in mapping.errors if e.split("。")[0] not in local
                         and not e.startswith("必須の列")]
        _say(self.problems_label, "\n".join(problems))
        notes = []
        if self.mapping_model.dirty:
            notes.append("変更した対応はまだ保存されていません。「この対応を保存」を押すと、"
                         "この提出元のファイルを次に取り込むときも同じ対応で読みます。")
        elif mapping is not None:
            notes += [m for m in mapping.messages if m not in mapping.errors]
        _say(self.mapping_notes, "\n".join(notes))

    def _mapping_edited(self, *_args: object) -> None:
        self._show_mapping_messages()
        self._update_mapping_buttons()

    def _update_mapping_buttons(self) -> None:
        entry = self.entry
        inspection = None if entry is None else entry.inspection
        kind = None if inspection is None else inspection.kind
        dirty = self.mapping_model.dirty
        problems = [] if kind is None else mapping_problems(kind, self.mapping_model.rows)
        service_errors = bool(inspection is not None and inspection.mapping is not None
                              and inspection.mapping.errors)
        self.save_mapping_button.setEnabled(kind is not None and dirty and not self.busy)
        self.to_preview_button.setText("対応を保存して検証に進む" if dirty else "検証に進む")
        self.to_preview_button.setEnabled(
            kind is not None and not problems and (dirty or not service_errors)
            and not self.busy
        )

    def _kind_chosen(self, _index: int) -> None:
        entry = self.entry
        name = self.kind_combo.currentData()
        if entry is None or entry.inspection is None or name is None:
            return
        if entry.inspection.kind is not None and entry.inspection.kind.name == name:
            return
        importer, path = self._importer, entry.path

        sheet = entry.sheet

        def task(ctx: TaskContext) -> FileInspection:
            return importer.inspect(path, name, sheet=sheet, progress=ctx.progress,
                                    cancel=ctx.cancelled)

        def done(inspection: FileInspection) -> None:
            entry.inspection = inspection
            self.queue_model.refresh()
            self._show_inspection()

        def refused(message: str) -> None:
            self._show_inspection()
            _say(self.problems_label, message)

        self._run(task, done, "選んだ種類で読み直しています…", on_user_error=refused,
                  on_cancelled=self._show_inspection)

    def save_mapping(self, then: Callable[[], None] | None = None) -> None:
        """``remap``: apply the choices and remember them for this source."""
        entry = self.entry
        if entry is None or entry.inspection is None or entry.inspection.kind is None:
            return
        importer, inspection = self._importer, entry.inspection
        kind_name = str(inspection.kind.name)
        saved = self.mapping_model.saved_form()

        def done(updated: FileInspection) -> None:
            entry.inspection = updated
            self._show_inspection()
            _say(self.mapping_notes, "見出しの対応を保存しました。この提出元のファイルは、"
                 "次回から同じ対応で読みます。" + (
                     "\n" + "\n".join(updated.mapping.messages)
                     if updated.mapping is not None and updated.mapping.messages else ""))
            if then is not None and updated.mapping is not None and not updated.mapping.errors:
                then()

        self._run(lambda _ctx: importer.remap(inspection, kind_name, saved), done,
                  "見出しの対応を保存しています…",
                  on_user_error=lambda m: _say(self.problems_label, m), writes=True)

    # -- step 3: preview -------------------------------------------------------------------

    def start_preview(self) -> None:
        if self.busy:
            return
        if self.mapping_model.dirty:
            self.save_mapping(then=self._preview)
            return
        self._preview()

    def _preview(self) -> None:
        entry = self.entry
        if entry is None or entry.inspection is None:
            return
        importer, inspection = self._importer, entry.inspection

        def task(ctx: TaskContext) -> tuple[ImportPreview, list[IssueRow]]:
            preview = importer.preview(inspection, progress=ctx.progress, cancel=ctx.cancelled)
            return preview, [IssueRow.from_report(r) for r in issue_rows(preview)]

        def cancelled() -> None:
            _say(self.mapping_notes, "検証を中止しました。データベースは変わっていません。")

        self._run(task, self._show_preview, "ファイルを検証しています…",
                  on_cancelled=cancelled,
                  on_user_error=lambda m: _say(self.problems_label, m))

    def _show_preview(self, found: tuple[ImportPreview, list[IssueRow]]) -> None:
        preview, issues = found
        entry = self.entry
        assert entry is not None
        self.preview, self.issues = preview, issues
        counts = preview.counts
        self.preview_title.setText(
            f"{self._file_heading(entry)}（{preview.kind.label}）"
        )
        shown = [key for key, *_rest in shown_counts(counts)]
        for key, tile in self.count_tiles.items():
            tile.setVisible(key in shown)
            if key in shown:
                place = shown.index(key)
                self.tiles_grid.addWidget(tile, place // 4, place % 4)
            value = int(counts.get(key, 0))
            colour = (style.ERROR_COLOR if key in PROBLEM_COUNTS and value else
                      "#8a5a00" if key in ATTENTION_COUNTS and value else
                      style.OK_COLOR if key == "new" and value else "#1b1f24")
            tile.set_value(value, colour)
        if "auto_linked" in counts:
            waiting = counts.get("already_waiting", 0)
            self.link_label.setText(
                f"児童生徒との照合（名寄せ）: 自動で照合 {n_rows(counts['auto_linked'])}・"
                f"確認待ち {n_rows(counts['review'])}・照合不可 {n_rows(counts['rejected'])}"
                + (f"（ほかに、前回から確認待ちの行 {n_rows(waiting)}）" if waiting else "")
            )
            self.link_label.show()
        else:
            self.link_label.hide()
        self.issues_model.set_rows(issues)
        self.severity_combo.setCurrentIndex(0)
        self._count_issues()
        conflicts = int(counts.get("conflicts", 0))
        self.overwrite_check.blockSignals(True)
        self.overwrite_check.setChecked(False)
        self.overwrite_check.blockSignals(False)
        self.overwrite_check.setText(
            f"値の異なる既存の記録 {n_rows(conflicts)}を、このファイルの値で上書きする"
            "（取込を取り消すと元の値に戻ります）"
        )
        self.overwrite_check.setVisible(bool(conflicts) and self._can_overwrite)
        changes = list(preview.changes) if conflicts and self._can_overwrite else []
        self.changes_model.set_lines(changes)
        _say(self.changes_label, f"上書きすると変わる値（{format_count(len(changes))}件）: "
             "空欄のセルで今の値を消すことはありません。" if changes else "")
        self.changes_table.setVisible(bool(changes))
        repeats = int(counts.get("repeats", 0))
        self.repeats_check.blockSignals(True)
        self.repeats_check.setChecked(False)
        self.repeats_check.blockSignals(False)
        self.repeats_check.setText(
            f"すべての列が同じ行 {n_rows(repeats)}も、繰り返しの記録（同じ日の利用など）として"
            "取り込む"
        )
        self.repeats_check.setVisible(bool(repeats))
        unknown = preview.unknown_values
        self.values_label.setText(
            f"列の値の一覧にない値が {format_count(len(unknown))}種類あります"
            f"（{'、'.join(dict.fromkeys(u.column_label for u in unknown))}）。"
        )
        self.values_row.setVisible(bool(unknown))
        _say(self.export_status, "")
        self._update_commit_text()
        self._show_step(PREVIEW)

    def _count_issues(self) -> None:
        counts = severity_counts(self.issues)
        detail = "・".join(f"{k} {format_count(v)}" for k, v in counts.items() if v)
        shown = self.issues_proxy.rowCount()
        total = len(self.issues)
        self.issue_count_label.setText(
            "問題は見つかりませんでした" if not total else
            f"{format_count(total)}件（{detail}）"
            + (f"　うち {format_count(shown)}件を表示" if shown != total else "")
        )

    def _severity_chosen(self, _index: int) -> None:
        self.issues_proxy.set_severity(self.severity_combo.currentData())
        self._count_issues()

    def _update_commit_text(self) -> None:
        preview = self.preview
        if preview is None:
            return
        counts = preview.counts
        overwrite = self.overwrite_check.isChecked()
        repeats = int(counts.get("repeats", 0)) if self.repeats_check.isChecked() else 0
        writes = rows_to_import(counts, overwrite) + int(counts.get("review", 0)) + repeats
        if preview.blocking:
            _say(self.preview_notice,
                 "ファイル全体に関わるエラーがあるため、このファイルは取り込めません。"
                 "検証結果を出力して提出元に渡し、直したファイルをもう一度取り込んでください。",
                 style.ERROR_TEXT)
        elif not writes:
            if counts.get("identical", 0) and not counts.get("conflicts", 0):
                text = "このファイルの行はすべて取込済みです。取り込む新しい行はありません。"
            elif counts.get("conflicts", 0) and self._can_overwrite:
                text = ("新しく取り込む行はありません。値の異なる既存の記録を置き換えるときは、"
                        "「上書きする」を選んでください。")
            else:
                text = "取り込める行がありません。検証結果を確認してください。"
            rows = int(counts.get("rows", 0))
            if (not self.pupils_present and counts.get("rejected", 0) == rows and rows
                    and preview.kind.links_to_pupil):
                text = NO_PUPILS_TEXT
            _say(self.preview_notice, text, style.NOTICE_TEXT)
        else:
            _say(self.preview_notice, "")
        can = bool(writes) and not preview.blocking
        self.commit_button.setEnabled(can)
        _say(self.commit_text, self._commit_sentence(overwrite) if can else "")

    def _keep_repeats(self) -> bool:
        return self.repeats_check.isChecked() and self.repeats_check.isVisible()

    def _commit_sentence(self, overwrite: bool) -> str:
        assert self.preview is not None
        text = commit_summary(self.preview.counts, overwrite)
        if self.repeats_check.isChecked():
            text += (f"すべての列が同じ行 {n_rows(int(self.preview.counts.get('repeats', 0)))}も、"
                     "繰り返しの記録として取り込みます。")
        return text

    def map_values(self) -> None:
        """Map values outside a column's list to listed ones, save them for the source and
        check the file again."""
        preview, entry = self.preview, self.entry
        if preview is None or entry is None or entry.inspection is None or self.busy:
            return
        dialog = ValueMapDialog(preview.unknown_values, self)
        self.value_dialog = dialog
        importer, inspection = self._importer, entry.inspection

        def save() -> None:
            chosen = dialog.chosen()

            def task(_ctx: TaskContext) -> None:
                for column, values in chosen.items():
                    importer.save_value_map(inspection, column, dict(values))

            def saved(_nothing: None) -> None:
                dialog.accept()
                # After this operation has ended (its end clears the page's busy state).
                QTimer.singleShot(0, self._preview)

            def refused(message: str) -> None:
                dialog.set_busy(False)
                dialog.show_error(message)

            dialog.set_busy(True)
            self._run(task, saved, "値の対応付けを保存しています…", on_user_error=refused)

        dialog.submitted.connect(save)
        dialog.open()

    # -- the report ------------------------------------------------------------------------

    def _ask_report_path(self, fmt: str) -> Path | None:
        entry = self.entry
        stem = Path(entry.path.name).stem if entry is not None else "取込"
        return ask_save_path(self, "検証結果を出力", f"{stem}_検証結果", export_format(fmt))

    def export_report(self) -> None:
        """Write the validation report (all rows, whatever the filter shows) for the school."""
        if self.preview is None or self.busy:
            return
        fmt = chosen_format(self.report_format_combo)
        chosen = self.choose_report_path(fmt.key)
        if chosen is None:
            return
        path, encoding = with_suffix(chosen, fmt), text_encoding(fmt)
        preview = self.preview
        importer = self._importer

        def task(_ctx: TaskContext) -> ExportResult:
            # Through the service: the export is checked and audit-logged.
            return importer.export_issues(preview, path, encoding)

        def done(result: ExportResult) -> None:
            self.last_export = result
            note = replaced_note(result)
            _say(self.export_status,
                 f"検証結果 {format_count(result.rows)}件を出力しました: {result.path}{note}",
                 style.OK_TEXT)

        self._run(task, done, "検証結果を出力しています…",
                  on_user_error=lambda m: _say(self.export_status, m, style.ERROR_TEXT))

    # -- step 4: commit --------------------------------------------------------------------

    def ask_commit(self) -> None:
        preview = self.preview
        if preview is None or self.busy or not self.commit_button.isEnabled():
            return
        overwrite = self.overwrite_check.isChecked() and self.overwrite_check.isVisible()
        self.confirmation = confirm(
            self,
            "取込の確認",
            f"「{preview.inspection.file_name}」（{preview.kind.label}）\n\n"
            + self._commit_sentence(overwrite),
            lambda: self.commit(overwrite, self._keep_repeats()),
            yes_text="取り込む",
            informative="取り込んだあとでも「取込履歴」から取り消せます。",
        )

    def commit(self, overwrite: bool = False, keep_repeats: bool = False) -> None:
        preview = self.preview
        entry = self.entry
        if preview is None or entry is None:
            return
        importer = self._importer

        def task(ctx: TaskContext) -> ImportResult:
            return importer.commit(preview, overwrite=overwrite, keep_repeats=keep_repeats,
                                   progress=ctx.progress, cancel=ctx.cancelled)

        def cancelled() -> None:
            _say(self.preview_notice, "取込を中止しました。データベースは変わっていません。",
                 style.NOTICE_TEXT)

        self._run(task, self._committed, "取り込んでいます…", on_cancelled=cancelled,
                  on_user_error=lambda m: _say(self.preview_notice, m, style.ERROR_TEXT),
                  writes=True)

    def _committed(self, result: ImportResult) -> None:
        entry = self.entry
        assert entry is not None
        entry.result = result
        entry.finish(IMPORTED)
        self.last_result = result
        if entry.kind_name == self._master_kind:
            self.pupils_present = True
        self.queue_model.refresh()
        self.result_title.setText(
            f"「{entry.display_name}」を取り込みました（取込番号 {result.batch_id}）"
        )
        self.result_label.setText(f"{result.kind_label}: {result_summary(result)}")
        _say(self.result_hint, (
            f"確認待ちの {n_rows(result.queued)}は「名寄せ確認」で、どの児童生徒の行かを"
            "決めてください。決めた行はその時点で取り込まれます。"
        ) if result.queued else "")
        last = not any(e.state == WAITING for e in self.entries[self.current + 1:])
        self.next_button.setText("まとめを見る" if last else "次のファイルへ")
        self._show_step(RESULT)
        self.next_button.setFocus()
        self.imported.emit(entry.kind_name)

    # -- skipping and the end --------------------------------------------------------------

    def skip_file(self) -> None:
        entry = self.entry
        if entry is None or self.busy:
            return
        preview = self.preview if self.step == PREVIEW else None
        nothing = (preview is not None and not preview.blocking and not preview.has_changes
                   and not preview.counts.get("rejected") and not preview.counts.get("error_rows"))
        entry.finish(NOTHING if nothing else SKIPPED)
        entry.note = "取り込む新しい行はありませんでした。" if entry.state == NOTHING else ""
        self.preview = None
        self.next_file()

    def stop_remaining(self) -> None:
        if self.busy:
            return
        for entry in self.entries:
            if entry.state in (WAITING, CURRENT):
                entry.finish(SKIPPED)
        self.preview = None
        self.current = len(self.entries)
        self.queue_model.current = -1
        self.queue_model.refresh()
        self._show_finished()

    def _show_finished(self) -> None:
        done = [e for e in self.entries if e.state == IMPORTED]
        rows = sum(e.result.inserted for e in done if e.result is not None)
        queued = sum(e.result.queued for e in done if e.result is not None)
        parts = [f"取り込んだファイル {len(done)}件（新規 {n_rows(rows)}）"]
        for state, words in ((NOTHING, "新しい行がなかったファイル"),
                             (SKIPPED, "飛ばしたファイル"), (UNREADABLE, "読めなかったファイル")):
            count = sum(e.state == state for e in self.entries)
            if count:
                parts.append(f"{words} {count}件")
        self.finished_label.setText("、".join(parts) + "。左の一覧で、ファイルごとの結果を"
                                    "確認できます。")
        _say(self.finished_hint, (
            f"確認待ちの {n_rows(queued)}があります。「名寄せ確認」で確認してください。"
            "確認した判断は記憶され、同じ提出元の次の取込では自動で照合されます。"
        ) if queued else "")
        self._show_step(FINISHED)
