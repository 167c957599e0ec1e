"""見守りアラート (roles for which ``signed.risk.may_see_alerts()``): per school, who to check
on first this month, with the reasons, and the human step.

A month's lists are for use during that month and come from data up to the end of the month
before. Each school's list stands alone: schools are picked one at a time, never ranked
against each other, and risk is a band (高/中/低, colour and text) with its reasons — never a
number. Staff record what they did (確認済み / 見守り / 支援開始 / 対象外, with a note); the
history of those records is shown with the alert. Everything goes through the risk service,
which checks the role, audit-logs and refuses with a Japanese message.

Safeguards: the order within a school is 確認の順 (no rank across schools); the April caveats
stand beside the band and the 学年・組 they explain; 宛名番号 only where the service gives it
(alert roles with export); roles with export save the month's lists as one file or one file
per school (for each 校長) in the format of ``toda_desktop.risk.alert_csv``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from analysis.risk.bands import EVENT_DEFINITION, EVENT_SHORT
from kernel.date_style import DateStyle
from kernel.school_calendar import SchoolMonth
from toda_desktop.errors import NoModelYet, UserFacingError
from toda_desktop.export_purpose.catalog import ALERT_LIST
from toda_desktop.export_purpose.model import Purpose
from toda_desktop.formatting import class_label, format_count, format_datetime, format_month
from toda_desktop.risk.alert_csv import APRIL_BAND_NOTE, APRIL_ROSTER_NOTE
from ui import style
from ui.background import BackgroundRunner, alive
from ui.dialogs import FormDialog
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
from ui.page import ALERT_LISTS, RISK_MODEL, datasets_changed
from ui.page_header import PageHeader, StatusLine
from ui.page_task import PageTask
from ui.risk.common import (
    BAND_NAMES,
    Column,
    RecordsModel,
    band_chip,
    make_table,
    muted,
    section_title,
    show_band,
)
from ui.risk.mark_correction import CorrectionDialog

if TYPE_CHECKING:
    from toda_desktop.export_files import ExportResult
    from toda_desktop.risk import Alert, RiskService, ScoreResult, StatusEntry
    from ui.printing.flow import PrintFlow

INTRO = "この一覧は、先に様子を確かめる児童生徒の目安です。児童生徒を分類するものではありません。"
UNMARKED = "未記録"
NOTE_LIMIT = 2000
NO_MODEL_TEXT = (
    "まだ予測モデルがないため、一覧を作れません。データ整備・分析の担当職員に"
    "「予測モデル」画面でモデルの学習を依頼してください。"
)
STATUS_HELP = {
    "確認済み": "様子を確かめ、今は特別な対応は要らないと判断した",
    "見守り": "引き続き様子を見守る",
    "支援開始": "面談・家庭との連絡・関係機関へのつなぎなど、支援を始めた",
    "対象外": "一覧に入った理由がはっきりしていて、見守りの対象ではない（療養中など）",
}
BAND_LEGEND = {
    "高": f"翌月に{EVENT_SHORT}となる見込みがおおむね5人に1人以上の水準",
    "中": "おおむね20人に1人以上の水準",
    "低": "それ未満（一覧は学校ごとに数人を示すため、「低」でも入ることがあります）",
}


@dataclass(frozen=True)
class Loaded:
    month: SchoolMonth
    alerts: list[Alert]
    scored: ScoreResult | None  # set when this load made the month's lists
    # Alert id → the key of its support case (None: the cases could not be read).
    cases: dict[int, str] | None = field(default_factory=dict)


def status_text(alert: Alert) -> str:
    return alert.status or UNMARKED


HIDDEN = "（非表示）"
HISTORY_ROW = 26
HISTORY_ROWS_SHOWN = 3  # more records: the history table scrolls



ORDER_HEADER = "確認の順"
CASE_HEADER = "ケース"  # roles with cases: the alert's support case (issue 14)
CASE_OPEN = "あり（開く）"
CASE_NONE = "—"
CASE_TIP = "このアラートから開いた支援ケースです。ダブルクリックで開きます"
NO_CASE_TIP = "このアラートにつながる支援ケースはありません"
CASES_UNREAD = ("支援ケースとのつながりを読み込めなかったため、「ケース」の列は表示して"
                "いません。")
ADDRESS_HEADER = "宛名番号"  # shown only to roles the service gives it (alert roles with export)
ORDER_TIP = "学校の中で、先に様子を確かめる目安の順です（学校どうしを比べるものではありません）"
FILE_NOTE = "（持ち出しの決まりに従って扱ってください）"


def is_april(month: SchoolMonth | None) -> bool:
    """April lists: the new school year counts absences from 0 and its roster may not be
    imported yet (the caveats stand beside the band and beside 学年・組)."""
    return month is not None and month.offset == 0


def grade_class(alert: Alert) -> str:
    """「2年1組」 of the alert's school year (a junior-high grade counts from 1 again)."""
    return class_label(alert.grade, alert.class_name or "")


def pupil_text(alert: Alert) -> str:
    """How the detail panel and messages name the pupil: 氏名（3年2組）・宛名番号 where the
    role may see them."""
    parts: list[str] = []
    if alert.name:
        where = grade_class(alert)
        parts.append(f"{alert.name}（{where}）" if where else alert.name)
    if alert.address_code:
        parts.append(f"宛名番号 {alert.address_code}")
    return "・".join(parts)


ALERT_COLUMNS: list[Column[Alert]] = [
    Column(ORDER_HEADER, lambda a: str(a.rank), sort=lambda a: a.rank, right=True,
           tooltip=lambda a: ORDER_TIP),
    Column("氏名", lambda a: a.name or HIDDEN,
           color=lambda a: style.MUTED_COLOR if not a.name else None),
    Column("学年・組", lambda a: grade_class(a) if a.name else HIDDEN,
           color=lambda a: style.MUTED_COLOR if not a.name else None,
           tooltip=lambda a: "対象月の年度の在籍です" if a.name else ""),
    Column(ADDRESS_HEADER, lambda a: a.address_code or HIDDEN),
    Column("帯", lambda a: a.band, band=lambda a: a.band, tooltip=lambda a: a.band_text),
    Column("主な理由", lambda a: a.reasons[0] if a.reasons else "",
           tooltip=lambda a: "\n".join(f"・{r}" for r in a.reasons)),
    Column("記録", status_text,
           color=lambda a: style.MUTED_COLOR if a.status is None else None,
           tooltip=lambda a: a.note or ""),
]

def _withdrawn_note(entry: StatusEntry) -> str:
    w = entry.withdrawn
    return "" if w is None else f"取り消し（{w.by}）: {w.reason}"


HISTORY_COLUMNS: list[Column[tuple[StatusEntry, str]]] = [
    Column("日時", lambda e: e[1]),
    Column("記録", lambda e: e[0].status + ("（取り消し）" if e[0].withdrawn else ""),
           color=lambda e: style.MUTED_COLOR if e[0].withdrawn else None,
           tooltip=lambda e: _withdrawn_note(e[0]) or None),
    Column("記録した人", lambda e: e[0].by),
    Column("メモ", lambda e: " ".join(filter(None, (
        e[0].note.replace("\n", " "), _withdrawn_note(e[0]).replace("\n", " ")))),
        tooltip=lambda e: "\n".join(filter(None, (e[0].note, _withdrawn_note(e[0]))))),
]


class MarkDialog(FormDialog):
    """The human step for one alert: what was done, with a note."""

    def __init__(self, alert: Alert, parent: QWidget | None = None) -> None:
        who = pupil_text(alert) or "この児童生徒"
        super().__init__(
            "見守りの記録", "記録する", parent,
            intro=(f"{alert.school_name}・{who}（帯: {alert.band}）について、"
                   "確かめたことや始めた支援を記録します。記録は履歴として残り、"
                   "前の記録は消えません。"),
        )
        self.alert = alert
        self.setMinimumWidth(620)
        self.status_group = QButtonGroup(self)
        choices = QWidget()
        grid = QGridLayout(choices)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(6)
        self.status_buttons: dict[str, QRadioButton] = {}
        # The risk service (scikit-learn, SciPy) loads on first use, not with the window.
        from toda_desktop.risk import ALERT_STATUSES

        for row, status in enumerate(ALERT_STATUSES):
            button = QRadioButton(status)
            button.setAccessibleName(status)
            help_label = muted(STATUS_HELP.get(status, ""))
            help_label.setBuddy(button)
            self.status_group.addButton(button)
            self.status_buttons[status] = button
            grid.addWidget(button, row, 0)
            grid.addWidget(help_label, row, 1)
        grid.setColumnStretch(1, 1)
        if alert.status in self.status_buttons:
            self.status_buttons[alert.status].setChecked(True)
        self.status_group.buttonClicked.connect(lambda _b: self.clear_error())
        self.form.addRow("記録の内容", choices)
        self.note_edit = QPlainTextEdit()
        self.note_edit.setPlaceholderText("例: 担任と様子を共有した。来週の面談で話を聞く。")
        self.note_edit.setAccessibleName("メモ")
        self.note_edit.setFixedHeight(110)
        self.form.addRow("メモ", self.note_edit)
        self.form.addRow("", muted("メモには、支援に必要なことだけを書いてください"
                                   f"（{format_count(NOTE_LIMIT)}文字まで）。"))

    def chosen_status(self) -> str | None:
        for status, button in self.status_buttons.items():
            if button.isChecked():
                return status
        return None

    def choose(self, status: str) -> None:
        self.status_buttons[status].setChecked(True)

    def note(self) -> str:
        return self.note_edit.toPlainText().strip()

    def problem(self) -> str | None:
        if self.chosen_status() is None:
            return "記録の内容を選んでください。"
        if len(self.note()) > NOTE_LIMIT:
            return f"メモは{format_count(NOTE_LIMIT)}文字以内で入力してください。"
        return None


class AlertsPage(QWidget):
    """The 見守りアラート page. ``open_requested(pupil_id)`` asks the shell for the karte."""

    open_requested = Signal(int)
    loaded = Signal(object)  # the SchoolMonth whose lists are shown
    marked = Signal(int)  # alert id
    # The lists changed here (a month's lists made, an alert marked): the shell's ``changed``.
    store_changed = Signal(object)  # frozenset[str]
    case_requested = Signal(object)  # Alert marked 支援開始: open (or start) its case

    def __init__(
        self,
        risk: RiskService,
        list_months: Callable[[], list[SchoolMonth]],
        runner: BackgroundRunner,
        date_style: DateStyle,
        *,
        top: int = 5,
        can_export: bool = False,
        can_open_karte: bool = True,
        can_open_case: bool = False,
        parent: QWidget | None = None,
        purposes: PurposeService | None = None,
        printer: PrintFlow | None = None,
        alert_cases: Callable[[Sequence[int]], dict[int, str]] | None = None,
        open_case_key: Callable[[str], None] | None = None,
    ) -> None:
        """``alert_cases`` (the cases service's ``alert_cases``) and ``open_case_key``: for
        roles with case access, the ケース column and opening an alert's case; None: no
        column."""
        super().__init__(parent)
        self._printer = printer  # one school's list on paper (issue 14); None: no 印刷
        self._alert_cases = alert_cases
        self._open_case_key = open_case_key
        self.case_keys: dict[int, str] = {}  # alert id → its support case's key
        self._risk = risk
        self._list_months = list_months
        self._runner = runner
        self._style = date_style
        self._top = top
        self._can_open_karte = can_open_karte
        self._can_open_case = can_open_case
        self._months_loaded = False
        self._months_stale = False  # an import may have added a month
        self._new_model = False  # trained since: the latest month's lists may now be made
        self._pending: tuple[SchoolMonth, bool] | None = None
        self._history_pending = False
        self.month: SchoolMonth | None = None
        self.latest_month: SchoolMonth | None = None
        self.alerts: list[Alert] = []
        self.result: ScoreResult | None = None
        self.history: list[StatusEntry] = []
        self._shown_alert_id: int | None = None  # whose details and history are shown
        self.dialog: MarkDialog | CorrectionDialog | None = None
        self.last_export: ExportResult | None = None
        self.last_school_export: list[ExportResult] = []
        # Where to save; a test may replace them (the defaults ask with a file dialog).
        self.choose_export_path: Callable[[], Path | None] = self._ask_export_path
        self.choose_export_folder: Callable[[], Path | None] = self._ask_export_folder

        layout = QVBoxLayout(self)
        # Tight enough that the list and the selected alert fit 1366×697 (issue 16).
        layout.setContentsMargins(24, 12, 24, 10)
        layout.setSpacing(6)
        title_row = PageHeader("見守りアラート", spacing=16)
        self.month_combo = QComboBox()
        self.month_combo.setMinimumWidth(150)
        self.month_combo.setAccessibleName("対象月")
        self.month_combo.activated.connect(self._month_chosen)
        title_row.add_lead(QLabel("対象月:"), self.month_combo)
        self.refresh_button = title_row.add_refresh(self.reload)
        self.print_button = QPushButton("この学校の一覧を印刷…", self)  # parented
        self.print_button.clicked.connect(self.print_page)
        self.print_button.setVisible(printer is not None)
        title_row.add_action(self.print_button)
        layout.addLayout(title_row)

        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        intro.setStyleSheet(style.NOTICE_TEXT + " font-weight: bold;")
        intro.setAccessibleName("この画面について")
        layout.addWidget(intro)
        self.period_label = muted("")
        layout.addWidget(self.period_label)
        layout.addLayout(self._legend())
        self.status_line = StatusLine()
        layout.addWidget(self.status_line)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(section_title("学校"))
        self.school_list = QListWidget()
        self.school_list.setAccessibleName("学校の一覧")
        self.school_list.setStyleSheet("QListWidget::item { padding: 6px 4px; }")
        self.school_list.currentItemChanged.connect(self._school_changed)
        left_layout.addWidget(self.school_list, 1)
        left_layout.addWidget(muted("学校は学校コード順です。学校どうしを比べるものではありません。"))
        self.files_box = self._build_files_box()
        self.files_box.setVisible(can_export)
        left_layout.addWidget(self.files_box)
        splitter.addWidget(left)

        self.right = QStackedWidget()
        # No scroll area around the list and the details (issue 16): the list takes the
        # height the details leave and scrolls itself when that is less than its rows.
        self.right.addWidget(self._build_alerts_view())
        self.right.addWidget(self._build_empty_view())
        splitter.addWidget(self.right)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([230, 800])
        layout.addWidget(splitter, 1)

        # Loading a month may make its lists (a write): a list made although 中止 came too
        # late is shown as made.
        self.load_task = PageTask(self, runner, "一覧を読み込んでいます…", cancellable=True,
                                  writes=True)
        self.load_task.ended.connect(self._load_ended)
        self.history_task = PageTask(self, runner, "記録の履歴を読み込んでいます…",
                                     progress_dialog=False)
        self.history_task.ended.connect(self._history_ended)
        # A mark is recorded once sent: a 中止 (sign-out) after that still reports it.
        self.mark_task = PageTask(self, runner, "記録しています…", writes=True)
        self.export_task = PageTask(self, runner, "一覧を出力しています…",
                                    status=self.status_line)
        # The purpose of a list with pupils, asked before where to write it (tests replace it).
        self.choose_purpose = purpose_step(
            self, purposes, self.export_task,
            lambda message: self.status_line.show_message(message, error=True))
        for task in (self.load_task, self.mark_task, self.export_task):
            task.started.connect(self._update_buttons)
            task.ended.connect(self._update_buttons)
        self._update_buttons()

    # -- building --------------------------------------------------------------------------

    def _legend(self) -> QGridLayout:
        """The three bands side by side; each explanation wraps, so the legend never makes
        the window wider than the screen."""
        grid = QGridLayout()
        grid.setHorizontalSpacing(6)
        heading = QLabel("帯の見方:")
        heading.setToolTip(EVENT_DEFINITION)  # what 「不登校」 counts, on hover
        grid.addWidget(heading, 0, 0, Qt.AlignmentFlag.AlignTop)
        for i, band in enumerate(BAND_NAMES):
            chip = QLabel(band)
            chip.setStyleSheet(band_chip(band))
            chip.setAccessibleName(f"帯 {band}")
            grid.addWidget(chip, 0, 1 + 2 * i, Qt.AlignmentFlag.AlignTop)
            text = QLabel(BAND_LEGEND[band])
            text.setToolTip(EVENT_DEFINITION)
            text.setStyleSheet(style.MUTED)
            text.setWordWrap(True)
            text.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            grid.addWidget(text, 0, 2 + 2 * i)
            grid.setColumnStretch(2 + 2 * i, 1)
        return grid

    def _build_files_box(self) -> QWidget:
        """Saving the month's lists (roles with export): all schools in one file, or one
        file per school for each 校長, in the chosen format; under the schools they list."""
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(section_title("ファイルに保存"))
        self.format_combo = format_combo()
        layout.addWidget(self.format_combo)
        self.export_button = QPushButton("全校を1つのファイルに…")
        self.export_button.setToolTip(
            "表示中の月の全校の一覧を1つのファイルに保存します（監査ログに残ります）")
        self.export_button.clicked.connect(self.export)
        layout.addWidget(self.export_button)
        self.school_export_button = QPushButton("学校ごとに保存…")
        self.school_export_button.setToolTip(
            "選んだフォルダに、学校ごとに1つずつファイルを保存します（各校の校長に渡す用。"
            "ファイルごとに監査ログに残ります）")
        self.school_export_button.clicked.connect(self.export_per_school)
        layout.addWidget(self.school_export_button)
        return box

    def _build_alerts_view(self) -> QWidget:
        view = QWidget()
        layout = QVBoxLayout(view)
        layout.setContentsMargins(8, 0, 0, 0)
        layout.setSpacing(8)
        self.school_title = section_title("")
        layout.addWidget(self.school_title)
        # Beside the 学年・組 it explains (shown for April lists only).
        self.april_roster_label = muted(APRIL_ROSTER_NOTE)
        self.april_roster_label.setAccessibleName("4月の一覧の学年・組について")
        self.april_roster_label.hide()
        layout.addWidget(self.april_roster_label)
        columns = list(ALERT_COLUMNS)
        if self._alert_cases is not None:
            columns.append(Column(
                CASE_HEADER, self._case_text,
                color=lambda a: None if a.id in self.case_keys else style.MUTED_COLOR,
                tooltip=lambda a: CASE_TIP if a.id in self.case_keys else NO_CASE_TIP))
        self.model: RecordsModel[Alert] = RecordsModel(columns, self)
        self.table = make_table(self.model, "見守りアラートの一覧", (72, 120, 80, 110, 48, 380),
                                stretch=5)
        self.table.selectionModel().selectionChanged.connect(self._alert_changed)
        self.table.doubleClicked.connect(self._double_clicked)
        if self._alert_cases is not None:
            self.table.horizontalHeader().resizeSection(len(columns) - 1, 100)
        # At least the header and two rows; more as the height allows (then it scrolls).
        self.table.setMinimumHeight(self.table.horizontalHeader().sizeHint().height()
                                    + 2 * 28 + 4)
        layout.addWidget(self.table, 1)

        card = QFrame()
        card.setObjectName("infoCard")
        card.setStyleSheet(style.CARD)
        card.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        card_layout = QVBoxLayout(card)
        card_layout.setContentsMargins(14, 8, 14, 8)
        card_layout.setSpacing(4)
        head = QHBoxLayout()
        self.pupil_label = QLabel("")
        self.pupil_label.setStyleSheet("font-size: 12pt; font-weight: bold;")
        self.pupil_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.band_label = QLabel("")
        self.band_text_label = QLabel("")
        self.band_text_label.setWordWrap(True)
        self.band_label.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        head.addWidget(self.pupil_label)
        head.addSpacing(10)
        head.addWidget(self.band_label, 0, Qt.AlignmentFlag.AlignVCenter)
        head.addWidget(self.band_text_label, 1)
        card_layout.addLayout(head)
        # Beside the band it explains (April lists only): why 「低」 is common in April.
        self.april_band_label = QLabel(APRIL_BAND_NOTE)
        self.april_band_label.setWordWrap(True)
        self.april_band_label.setStyleSheet(style.NOTICE_TEXT)
        self.april_band_label.setAccessibleName("4月の一覧の帯について")
        self.april_band_label.hide()
        card_layout.addWidget(self.april_band_label)
        card_layout.addWidget(QLabel("理由"))
        self.reasons_label = QLabel("")
        self.reasons_label.setWordWrap(True)
        self.reasons_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reasons_label.setContentsMargins(8, 0, 0, 0)
        card_layout.addWidget(self.reasons_label)
        buttons = QHBoxLayout()
        self.karte_button = QPushButton("カルテを開く")
        self.karte_button.setToolTip("この児童生徒のカルテ（出欠などの記録）を開きます")
        self.karte_button.clicked.connect(self.open_karte)
        self.mark_button = QPushButton("記録する…")
        self.mark_button.setToolTip("確認済み・見守り・支援開始・対象外をメモとともに記録します")
        self.mark_button.clicked.connect(self.ask_mark)
        buttons.addWidget(self.karte_button)
        buttons.addWidget(self.mark_button)
        self.case_button = QPushButton("ケースを開く")  # for alerts marked 支援開始 (issue 14)
        self.case_button.setToolTip("この児童生徒の支援ケース（ケース会議の記録など）を開きます")
        self.case_button.clicked.connect(self._open_case)
        buttons.addWidget(self.case_button)
        buttons.addStretch(1)
        card_layout.addLayout(buttons)
        self.correct_button = QPushButton("記録を訂正…")  # issue 16: withdrawn, not erased
        self.correct_button.setToolTip("誤った記録を、理由を付けて取り消します（履歴に残ります）")
        self.correct_button.clicked.connect(self.ask_correction)
        buttons.insertWidget(buttons.indexOf(self.mark_button) + 1, self.correct_button)
        card_layout.addWidget(section_title("記録の履歴"))
        self.history_model: RecordsModel[tuple[StatusEntry, str]] = RecordsModel(
            HISTORY_COLUMNS, self)
        self.history_table = make_table(self.history_model, "記録の履歴", (160, 80, 200),
                                        stretch=3, row_height=HISTORY_ROW)
        self._fit_history(0)
        card_layout.addWidget(self.history_table)
        self.history_empty = muted("まだ記録はありません。")
        card_layout.addWidget(self.history_empty)
        self.detail = card
        layout.addWidget(card)
        return view

    def _fit_history(self, rows: int) -> None:
        """As tall as its rows, up to :data:`HISTORY_ROWS_SHOWN` (then it scrolls)."""
        shown = max(1, min(rows, HISTORY_ROWS_SHOWN))
        header = self.history_table.horizontalHeader().sizeHint().height()
        self.history_table.setFixedHeight(header + shown * HISTORY_ROW + 4)

    def _build_empty_view(self) -> QWidget:
        view = QWidget()
        layout = QVBoxLayout(view)
        layout.setContentsMargins(8, 0, 0, 0)
        self.empty_label = QLabel("")
        self.empty_label.setWordWrap(True)
        self.empty_label.setStyleSheet("font-size: 11pt;")
        layout.addWidget(self.empty_label)
        row = QHBoxLayout()
        self.create_button = QPushButton("この月の一覧を作成する")
        self.create_button.setToolTip("前月末までのデータから、学校ごとの一覧を作ります")
        self.create_button.clicked.connect(lambda: self.load(self.month, create=True))
        row.addWidget(self.create_button)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(1)
        return view

    # -- loading ---------------------------------------------------------------------------

    @property
    def _loading(self) -> bool:
        return self.load_task.running

    @property
    def busy(self) -> bool:
        return self._loading or self.mark_task.running or self.export_task.running

    def activated(self) -> None:
        if not self._months_loaded or (self._months_stale and not self.busy):
            self.load_months()
        elif self.month is not None and not self.busy:
            make = self._new_model and self.month == self.latest_month
            self._new_model = False
            self.load(self.month, create=make)

    def data_changed(self, kinds: frozenset[str]) -> None:
        """The shell's ``changed``: an import may add a month (the months are read again
        when next shown); after a new model the latest month's lists are made when shown, as
        on first opening, if they could not be made before. Lists made or marked elsewhere
        show when the page is shown next (it reads its month then anyway)."""
        if datasets_changed(kinds) and self._months_loaded:
            self._months_stale = True
        if RISK_MODEL in kinds:
            self._new_model = True

    def reload(self) -> None:
        if not self._months_loaded:
            self.load_months()
        elif self.month is not None:
            self.load(self.month, create=self.month == self.latest_month)

    def load_months(self) -> None:
        list_months, keep = self._list_months, self.month

        def done(months: list[SchoolMonth]) -> None:
            self._months_stale = False
            self._set_months(months)
            if keep is not None and keep in months and keep != self.latest_month:
                # Read again after an import: the month shown stays chosen.
                self.month_combo.setCurrentIndex(len(months) - 1 - months.index(keep))
                self._pending = (keep, False)

        self.load_task.run(lambda _ctx: list_months(), done,
                           label="対象月を調べています…", on_user_error=self._load_failed)

    def _set_months(self, months: list[SchoolMonth]) -> None:
        self._months_loaded = True
        self.month_combo.clear()
        for month in reversed(months):
            self.month_combo.addItem(format_month(month, self._style), month)
        if not months:
            self._show_empty("出欠状況（月次）のデータがないため、一覧を作れません。")
            return
        self.latest_month = months[-1]
        self.month_combo.setCurrentIndex(0)
        # After this load ends (the flag is cleared first by _load_ended).
        self._pending = (self.latest_month, True)

    def _load_ended(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            month, create = pending
            self.load(month, create=create)

    def _month_chosen(self, index: int) -> None:
        month = self.month_combo.itemData(index)
        if isinstance(month, SchoolMonth) and month != self.month:
            self.load(month, create=month == self.latest_month)

    def select_month(self, month: SchoolMonth) -> None:
        """Choose a month as the user would (for tests and links)."""
        # (findData cannot match a Python value: Qt compares the wrappers, not the months)
        for index in range(self.month_combo.count()):
            if self.month_combo.itemData(index) == month:
                self.month_combo.setCurrentIndex(index)
                self._month_chosen(index)
                return

    def load(self, month: SchoolMonth | None, *, create: bool) -> None:
        if month is None or self._loading:
            return
        if month != self.month:
            self.status_line.clear_message()
        self.month = month
        self._update_period()
        risk, top, alert_cases = self._risk, self._top, self._alert_cases

        def with_cases(loaded: Loaded) -> Loaded:
            """The support case of each alert, for roles with cases (the ケース column)."""
            if alert_cases is None or not loaded.alerts:
                return loaded
            try:
                cases: dict[int, str] | None = alert_cases([a.id for a in loaded.alerts])
            except UserFacingError:  # e.g. no case key: the list still shows, without links
                cases = None
            return replace(loaded, cases=cases)

        def task(ctx: Any) -> Loaded:
            alerts = risk.alerts(month, top=top)
            # A month scored with a shorter list (e.g. ``risk score --top 2``) is filled up.
            complete = bool(alerts) and max(a.rank for a in alerts) >= top
            if complete or not create:
                return with_cases(Loaded(month, alerts, None))
            try:
                scored = risk.score(month, top=top, progress=ctx.progress,
                                    cancel=ctx.cancelled)
            except NoModelYet:  # said in this page's words (who to ask)
                raise UserFacingError(NO_MODEL_TEXT) from None
            return with_cases(Loaded(scored.month, list(scored.alerts), scored))

        self.load_task.run(
            task, self._show_loaded, on_user_error=self._load_failed,
            label=f"{format_month(month, self._style)}の一覧を読み込んでいます…",
        )

    def _load_failed(self, message: str) -> None:
        self.alerts = []
        self.model.set_rows([])
        self.school_list.clear()
        self._show_empty(message, error=True)

    def _update_period(self) -> None:
        if self.month is None:
            self.period_label.setText("")
            return
        before = format_month(self.month.previous(), self._style)
        this = format_month(self.month, self._style)
        self.period_label.setText(
            f"{this}に使う一覧です（{before}末までのデータから作成）。"
            f"学校ごとに最大{self._top}人を、学校の中で先に様子を確かめる順に並べています。"
            "帯と理由は目安です。判断は必ず、子どもの様子を知る人が行ってください。"
        )
        self.april_roster_label.setVisible(is_april(self.month))

    def _show_empty(self, message: str, *, error: bool = False) -> None:
        self.empty_label.setText(message)
        self.empty_label.setStyleSheet(style.ERROR_TEXT if error else "font-size: 11pt;")
        self.create_button.setVisible(not error and self.month is not None)
        self.right.setCurrentIndex(1)

    def _show_loaded(self, loaded: Loaded) -> None:
        if loaded.scored is not None:  # the month's lists were made: the karte shows them
            self.store_changed.emit(frozenset({ALERT_LISTS}))
        if loaded.month != self.month:
            return
        chosen_school = self.current_school()
        chosen_alert = self.selected_alert()
        self.alerts = loaded.alerts
        self._shown_alert_id = None  # a new list: read the history again
        if loaded.scored is not None:
            self.result = loaded.scored
        else:
            from toda_desktop.risk import ScoreResult  # loaded with the service by now

            self.result = ScoreResult(loaded.month, 0, tuple(loaded.alerts), True, 0)
        self.loaded.emit(loaded.month)
        if not loaded.alerts:
            self.school_list.clear()
            self.model.set_rows([])
            this = format_month(loaded.month, self._style)
            self._show_empty(f"{this}の一覧はまだ作成されていません。")
            return
        self.right.setCurrentIndex(0)
        # 宛名番号 only where the service gave it (roles that may export): otherwise no column.
        self.table.setColumnHidden(
            self.model.headers.index(ADDRESS_HEADER),
            not any(a.address_code for a in loaded.alerts))
        self.case_keys = dict(loaded.cases or {})
        if self._alert_cases is not None:
            self.table.setColumnHidden(self.model.headers.index(CASE_HEADER),
                                       loaded.cases is None)
            if loaded.cases is None:
                self.status_line.show_message(CASES_UNREAD, notice=True)
        self._fill_schools(chosen_school)
        if chosen_alert is not None:
            self.select_alert(chosen_alert.id)
        self._update_buttons()

    def _fill_schools(self, chosen: str | None) -> None:
        schools: dict[str, list[Alert]] = {}
        for alert in self.alerts:
            schools.setdefault(alert.school_code, []).append(alert)
        self.school_list.blockSignals(True)
        self.school_list.clear()
        target = 0
        for row, (code, alerts) in enumerate(sorted(schools.items())):
            open_count = sum(a.status is None for a in alerts)
            text = f"{alerts[0].school_name}\n{len(alerts)}人・未記録 {open_count}人"
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, code)
            item.setToolTip(f"学校コード {code}")
            self.school_list.addItem(item)
            if code == chosen:
                target = row
        self.school_list.blockSignals(False)
        self.school_list.setCurrentRow(target)
        self._school_changed(self.school_list.currentItem())

    def print_page(self) -> None:
        """The list of the school in sight, through the print flow (Ctrl+P)."""
        code, month, printer = self.current_school(), self.month, self._printer
        alerts = [a for a in self.alerts if a.school_code == code]
        if printer is not None and month is not None and alerts:
            from toda_desktop.risk.alert_sheet import alert_sheet

            printer.print_document(lambda: alert_sheet(alerts, month, self._style))

    def current_school(self) -> str | None:
        item = self.school_list.currentItem()
        return None if item is None else str(item.data(Qt.ItemDataRole.UserRole))

    def school_codes(self) -> list[str]:
        return [str(self.school_list.item(i).data(Qt.ItemDataRole.UserRole))
                for i in range(self.school_list.count())]

    def select_school(self, code: str) -> bool:
        for i in range(self.school_list.count()):
            if self.school_list.item(i).data(Qt.ItemDataRole.UserRole) == code:
                self.school_list.setCurrentRow(i)
                return True
        return False

    def _school_changed(self, item: QListWidgetItem | None, _previous: object = None) -> None:
        if item is None:
            self.model.set_rows([])
            self._alert_changed()
            return
        code = item.data(Qt.ItemDataRole.UserRole)
        rows = sorted((a for a in self.alerts if a.school_code == code), key=lambda a: a.rank)
        self.model.set_rows(rows)
        name = rows[0].school_name if rows else code
        self.school_title.setText(f"{name}（{len(rows)}人）")
        if rows:
            self.table.selectRow(0)
        self._alert_changed()

    # -- the selected alert ----------------------------------------------------------------

    def selected_alert(self) -> Alert | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.rows[rows[0].row()]

    def select_alert(self, alert_id: int) -> bool:
        for alert in self.alerts:
            if alert.id == alert_id:
                if self.current_school() != alert.school_code:
                    self.select_school(alert.school_code)
                for row, shown in enumerate(self.model.rows):
                    if shown.id == alert_id:
                        self.table.selectRow(row)
                        return True
        return False

    def _alert_changed(self, *_args: object) -> None:
        alert = self.selected_alert()
        shown = None if alert is None else alert.id
        if alert is not None and shown == self._shown_alert_id:
            return  # the same alert again (selection signals repeat while a list is set)
        self._shown_alert_id = shown
        self.detail.setVisible(alert is not None)
        self.history = []
        self.history_model.set_rows([])
        self._history_note("")
        if alert is None:
            self._update_buttons()
            return
        self.pupil_label.setText(pupil_text(alert) or "（児童生徒を特定する情報は表示しません）")
        show_band(self.band_label, self.band_text_label, alert.band, alert.band_text)
        self.april_band_label.setVisible(is_april(alert.month))
        self.reasons_label.setText("\n".join(f"・{r}" for r in alert.reasons))
        self._update_buttons()
        self._load_history(alert)

    def _load_history(self, alert: Alert) -> None:
        risk = self._risk
        self._history_note("記録の履歴を読み込んでいます…")
        if self.history_task.running:  # read when the one running ends (one at a time)
            self._history_pending = True
            return

        def done(entries: list[StatusEntry]) -> None:
            current = self.selected_alert()
            if current is None or current.id != alert.id:
                return
            self.history = entries
            self.history_model.set_rows(
                [(e, format_datetime(e.at, self._style)) for e in reversed(entries)])
            self._history_note("" if entries else "まだ記録はありません。")
            self._fit_history(len(entries))
            self.history_table.setVisible(bool(entries))

        self.history_task.run(lambda _ctx: risk.alert_history(alert.id), done,
                              on_user_error=self._history_note)

    def _history_ended(self) -> None:
        if self._history_pending:
            self._history_pending = False
            alert = self.selected_alert()
            if alert is not None and alert.id == self._shown_alert_id:
                self._load_history(alert)

    def _history_note(self, text: str) -> None:
        self.history_empty.setText(text)
        self.history_empty.setVisible(bool(text))

    def _update_buttons(self) -> None:
        alert = self.selected_alert()
        self.refresh_button.setEnabled(not self._loading)
        self.month_combo.setEnabled(not self._loading and self.month_combo.count() > 0)
        self.create_button.setEnabled(not self.busy)
        self.export_button.setEnabled(not self.busy and bool(self.alerts))
        self.school_export_button.setEnabled(not self.busy and bool(self.alerts))
        self.mark_button.setEnabled(alert is not None and not self.busy)
        self.correct_button.setEnabled(alert is not None and alert.status is not None
                                       and not self.busy)
        self.karte_button.setEnabled(alert is not None and alert.pupil_id is not None)
        self.karte_button.setVisible(self._can_open_karte)
        linked = alert is not None and self.case_key(alert) is not None
        self.case_button.setVisible(linked or (
            self._can_open_case and alert is not None and alert.status == "支援開始"
            and alert.pupil_id is not None))

    def open_karte(self) -> None:
        alert = self.selected_alert()
        if alert is not None and alert.pupil_id is not None:
            self.open_requested.emit(alert.pupil_id)

    def _open_case(self) -> None:
        alert = self.selected_alert()
        if alert is None:
            return
        if self.open_linked_case(alert):
            return
        if alert.pupil_id is not None:
            self.case_requested.emit(alert)

    # -- the alert's support case (roles with cases) ---------------------------------------

    def _case_text(self, alert: Alert) -> str:
        return CASE_OPEN if alert.id in self.case_keys else CASE_NONE

    def case_key(self, alert: Alert) -> str | None:
        """The key of the alert's case, when the role may open cases and it has one."""
        if self._open_case_key is None:
            return None
        return self.case_keys.get(alert.id)

    def open_linked_case(self, alert: Alert) -> bool:
        """Open the alert's case on the case page (False: it has none this role sees)."""
        key = self.case_key(alert)
        if key is None or self._open_case_key is None:
            return False
        self._open_case_key(key)
        return True

    def _double_clicked(self, index: QModelIndex) -> None:
        """On the ケース cell of a linked alert: its case; elsewhere: 記録する…."""
        alert = self.selected_alert()
        headers = self.model.headers
        on_case = CASE_HEADER in headers and index.column() == headers.index(CASE_HEADER)
        if on_case and alert is not None and self.open_linked_case(alert):
            return
        self.ask_mark()

    # -- the human step --------------------------------------------------------------------

    def ask_mark(self) -> MarkDialog | None:
        alert = self.selected_alert()
        if alert is None or self.busy:
            return None
        dialog = MarkDialog(alert, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.submitted.connect(lambda: self.mark(dialog))
        dialog.finished.connect(lambda _r: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.open()
        return dialog

    def mark(self, dialog: MarkDialog) -> None:
        status = dialog.chosen_status()
        if status is None:
            return
        alert, note = dialog.alert, dialog.note()
        risk = self._risk
        dialog.set_busy(True)

        def done(_result: object) -> None:
            if alive(dialog):  # (closed meanwhile: the mark is recorded all the same)
                dialog.accept()
            self.status_line.show_message(
                f"{alert.school_name}・{pupil_text(alert) or 'この児童生徒'} に"
                f"「{status}」を記録しました。")
            self.marked.emit(alert.id)
            self.store_changed.emit(frozenset({ALERT_LISTS}))

        def failed(message: str) -> None:
            if alive(dialog):
                dialog.set_busy(False)
                dialog.show_error(message)
            else:
                self.status_line.show_message(message, error=True)

        def ended() -> None:
            if alive(dialog) and dialog.isVisible():  # (stopped before it was sent)
                dialog.set_busy(False)
            if self.month is not None:
                self.load(self.month, create=False)

        self.mark_task.run(lambda _ctx: risk.mark_alert(alert.id, status, note), done,
                           on_user_error=failed, on_ended=ended)

    def ask_correction(self) -> CorrectionDialog | None:
        """記録を訂正…: the mark in force is withdrawn (kept) and the right one recorded."""
        alert = self.selected_alert()
        if alert is None or alert.status is None or self.busy:
            return None
        from toda_desktop.risk import ALERT_STATUSES

        dialog = CorrectionDialog(alert.id, pupil_text(alert) or "この児童生徒", alert.status,
                                  ALERT_STATUSES, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.submitted.connect(lambda: self.correct(dialog))
        dialog.finished.connect(lambda _r: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.open()
        return dialog

    def correct(self, dialog: CorrectionDialog) -> None:
        risk, alert_id = self._risk, dialog.alert_id
        reason, status, note = dialog.reason(), dialog.chosen_status(), dialog.note()
        dialog.set_busy(True)

        def done(_result: object) -> None:
            if alive(dialog):
                dialog.accept()
            self.status_line.show_message(
                f"記録を訂正しました（正しい記録: {status or UNMARKED}）。取り消した記録は"
                "履歴に残っています。")
            self.marked.emit(alert_id)
            self.store_changed.emit(frozenset({ALERT_LISTS}))

        def failed(message: str) -> None:
            if alive(dialog):
                dialog.set_busy(False)
                dialog.show_error(message)
            else:
                self.status_line.show_message(message, error=True)

        def ended() -> None:
            if alive(dialog) and dialog.isVisible():
                dialog.set_busy(False)
            if self.month is not None:
                self.load(self.month, create=False)

        self.mark_task.run(lambda _ctx: risk.correct_alert_mark(alert_id, reason, status, note),
                           done, on_user_error=failed, on_ended=ended)

    # -- export ----------------------------------------------------------------------------

    def _ask_export_path(self) -> Path | None:
        month = "" if self.month is None else str(self.month)  # the file name keeps YYYY-MM
        return ask_save_path(self, "見守りアラートを出力", f"見守りアラート_{month}",
                             chosen_format(self.format_combo))

    def _ask_export_folder(self) -> Path | None:
        chosen = QFileDialog.getExistingDirectory(
            self, "学校ごとのファイルを保存するフォルダを選んでください")
        return Path(chosen) if chosen else None

    def _run_export(self, task: Callable[[], Any], done: Callable[[Any], None]) -> None:
        self.export_task.run(lambda _ctx: task(), done)

    def _ask_purpose(self, result: ScoreResult, go: Callable[[Purpose | None], None]) -> None:
        """Lists with pupils are identifiable: their purpose first (bands only: none)."""
        if not result.with_ids:
            go(None)
            return
        pupils = len({a.pupil_id for a in result.alerts if a.pupil_id is not None})
        self.choose_purpose(PurposeQuestion(ALERT_LIST.key, pupils, str(result.month)), go)

    def export(self) -> None:
        """All schools' lists of the month in one file (the service logs it)."""
        result = self.result
        if result is None or not self.alerts or self.busy:
            return
        self._ask_purpose(result, lambda purpose: self._export(result, purpose))

    def _export(self, result: ScoreResult, purpose: Purpose | None) -> None:
        chosen = self.choose_export_path()
        if chosen is None:
            return
        fmt = chosen_format(self.format_combo)
        path, encoding = with_suffix(chosen, fmt), text_encoding(fmt)
        risk, date_style = self._risk, self._style

        def done(out: ExportResult) -> None:
            self.last_export = out
            self.status_line.show_message(
                f"{format_count(out.rows)}人分の一覧を出力しました: {out.path}"
                f"{replaced_note(out)}{FILE_NOTE}")

        def start(overwrite: bool) -> None:
            self._run_export(lambda: risk.export_alerts(result, path, encoding=encoding,
                                                        date_style=date_style,
                                                        overwrite=overwrite,
                                                        purpose=purpose), done)

        self.overwrite_question = confirm_overwrite(self, [path], start)

    def export_per_school(self) -> None:
        """One file per school into a chosen folder, for each 校長 (each file logged)."""
        result = self.result
        if result is None or not self.alerts or self.busy:
            return
        self._ask_purpose(result, lambda purpose: self._export_per_school(result, purpose))

    def _export_per_school(self, result: ScoreResult, purpose: Purpose | None) -> None:
        folder = self.choose_export_folder()
        if folder is None:
            return
        fmt = chosen_format(self.format_combo)
        encoding = text_encoding(fmt)
        risk, date_style = self._risk, self._style

        def done(files: list[ExportResult]) -> None:
            self.last_school_export = files
            replaced = sum(f.replaced_characters for f in files)
            note = (f"（Shift_JISで表せない文字{replaced}個を〓に置き換えました）"
                    if replaced else "")
            self.status_line.show_message(
                f"{len(files)}校分のファイルを保存しました: {folder}{note}{FILE_NOTE}")

        def start(overwrite: bool) -> None:
            self._run_export(lambda: risk.export_alerts_per_school(
                result, folder, encoding=encoding, suffix=fmt.suffix, date_style=date_style,
                overwrite=overwrite, purpose=purpose), done)

        files = risk.school_file_paths(result, folder, fmt.suffix).values()
        self.overwrite_question = confirm_overwrite(self, list(files), start)
