"""監査ログ (roles with ``audit_view``): who did what and when, filters, CSV, tamper check.

The service decides what each role may see: for the IT administrator it hides which pupil
and what was searched (（非表示）); the page shows the rows as they come. Reading, exporting
and verifying are themselves logged by the service.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QIntValidator
from PySide6.QtWidgets import (
    QCheckBox,
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
from toda_desktop.audit.service import ACTION_LABELS, AuditFilter
from toda_desktop.export_files import ExportResult
from toda_desktop.formatting import format_count, format_phrase
from ui import style
from ui.background import BackgroundRunner, alive
from ui.date_field import DateField
from ui.export_flow import (
    ask_save_path,
    chosen_format,
    confirm_overwrite,
    format_combo,
    replaced_note,
    text_encoding,
    with_suffix,
)
from ui.page_header import PageHeader, StatusLine
from ui.page_task import PageTask
from ui.table_model import make_table

if TYPE_CHECKING:
    from toda_desktop.audit.service import AuditRow, ChainCheck
from ui.audit.acknowledge_dialog import AcknowledgeDialog
from ui.audit.model import AuditModel

LoadEntries = Callable[[AuditFilter], "list[AuditRow]"]
ExportCsv = Callable[[Path, AuditFilter, str, bool], ExportResult]  # ..., overwrite
VerifyChain = Callable[[], "ChainCheck"]
# For administrators: read and set the folder outside the store for the chain's head.
OutsideFolder = tuple[Callable[[], "Path | None"], Callable[[Path], str]]

ALL = "（すべて）"
PERIOD_DAYS = 30


def _to_date(edit: DateField) -> date:
    return edit.value()


class AuditPage(QWidget):
    """The 監査ログ page. Loads (newest first) on first activation."""

    def __init__(
        self,
        load_entries: LoadEntries,
        export_csv: ExportCsv,
        verify_chain: VerifyChain,
        runner: BackgroundRunner,
        date_style: DateStyle,
        parent: QWidget | None = None,
        *,
        acknowledge_breaks: Callable[[str], ChainCheck] | None = None,
        outside_folder: OutsideFolder | None = None,
    ) -> None:
        """``acknowledge_breaks``: for roles with 管理機能, to record why a rollback or a
        swapped store found by the check is known (None: not offered); ``outside_folder``:
        for them too, the folder outside the store that keeps copies of the log's head."""
        super().__init__(parent)
        self._load_entries = load_entries
        self._export_csv = export_csv
        self._verify_chain = verify_chain
        self._acknowledge = acknowledge_breaks
        self._outside = outside_folder
        self.dialog: AcknowledgeDialog | None = None
        self._style = date_style
        self._loaded = False
        self.applied_filter = AuditFilter()
        # Where to save a CSV; a test may replace it (the default asks with a file dialog).
        self.choose_export_path: Callable[[], Path | None] = self._ask_export_path
        self.last_export: ExportResult | None = None
        self.last_check: ChainCheck | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(10)
        title_bar = PageHeader("監査ログ")
        self.count_label = title_bar.status
        self.verify_button = QPushButton("改ざん検査")
        self.verify_button.setToolTip("記録が書き換えられたり削除されたりしていないか確かめます")
        self.verify_button.clicked.connect(self.verify)
        self.acknowledge_button = QPushButton("確認済みにする…")
        self.acknowledge_button.setToolTip(
            "巻き戻し・差し替えの原因が分かっている場合（バックアップからの復元など）に、"
            "その内容を記録します")
        self.acknowledge_button.clicked.connect(self.ask_acknowledge)
        self.acknowledge_button.hide()
        title_bar.add_action(self.acknowledge_button, self.verify_button)
        layout.addLayout(title_bar)

        layout.addWidget(self._build_filters())
        if outside_folder is not None:
            layout.addLayout(self._build_outside_row())

        self.status_label = StatusLine()
        layout.addWidget(self.status_label)

        self.model = AuditModel(date_style, self)
        self.table, self.proxy = make_table(
            self.model, "監査ログの一覧", self, sort_role=Qt.ItemDataRole.UserRole
        )
        header = self.table.horizontalHeader()
        # 対象 wide enough for 「アカウント demo-liaison」; 詳細 takes the rest.
        for column, width in enumerate((56, 168, 112, 170, 56, 210, 92)):
            header.resizeSection(column, width)
        layout.addWidget(self.table, 1)

        export_row = QHBoxLayout()
        export_row.addStretch(1)
        export_row.addWidget(QLabel("出力の形式:"))
        self.encoding_combo = format_combo()
        export_row.addWidget(self.encoding_combo)
        self.export_button = QPushButton("出力…")
        self.export_button.setToolTip("表示中の条件に合う記録をCSVファイルに保存します")
        self.export_button.clicked.connect(self.export)
        export_row.addWidget(self.export_button)
        layout.addLayout(export_row)

        self.load_task = PageTask(self, runner, "監査ログを読み込んでいます…",
                                  busy=[self.search_button])
        self.load_task.ended.connect(self._load_ended)
        self.export_task = PageTask(self, runner, "監査ログを出力しています…",
                                    status=self.status_label, busy=[self.export_button])
        self.verify_task = PageTask(self, runner, "監査ログの改ざん検査をしています…",
                                    status=self.status_label, busy=[self.verify_button])
        self.acknowledge_task = PageTask(self, runner, "記録しています…", writes=True)
        self.outside_task = PageTask(self, runner, "外部の控えの場所を設定しています…",
                                     status=self.status_label, writes=True)

    def _build_outside_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        label = QLabel("外部の控えの場所")
        label.setToolTip("監査ログの末尾の控えを、サインアウト時と毎日、データベースの外の"
                         "フォルダー（情報管理部門のサーバーや追記のみの媒体）に書き込みます")
        row.addWidget(label)
        self.outside_edit = QLineEdit()
        self.outside_edit.setPlaceholderText("未設定（例: \\\\server\\audit）")
        self.outside_edit.setAccessibleName("外部の控えの場所")
        row.addWidget(self.outside_edit, 1)
        self.outside_button = QPushButton("場所を保存")
        self.outside_button.setToolTip("この場所に監査ログの控えを書き込みます（記録されます）")
        self.outside_button.clicked.connect(self.save_outside_folder)
        row.addWidget(self.outside_button)
        return row

    def save_outside_folder(self) -> None:
        if self._outside is None or self.outside_task.running:
            return
        save = self._outside[1]
        folder = Path(self.outside_edit.text().strip())

        def done(message: str) -> None:
            self.show_status(message, error="書き込めません" in message)
            self.apply_filters()  # the setting is in the log now

        self.outside_task.run(lambda _ctx: save(folder), done)

    def _build_filters(self) -> QWidget:
        box = QFrame()
        box.setObjectName("infoCard")
        box.setStyleSheet(style.CARD)
        grid = QGridLayout(box)
        grid.setContentsMargins(12, 8, 12, 8)
        grid.setHorizontalSpacing(8)

        self.actor_combo = QComboBox()
        self.actor_combo.setEditable(True)
        self.actor_combo.addItem(ALL)
        self.actor_combo.setMinimumWidth(160)
        self.actor_combo.setAccessibleName("利用者")
        self.action_combo = QComboBox()
        self.action_combo.addItem(ALL, None)
        for key, label in ACTION_LABELS.items():
            self.action_combo.addItem(label, key)
        self.action_combo.setAccessibleName("操作")
        self.pupil_edit = QLineEdit()
        self.pupil_edit.setValidator(QIntValidator(1, 2_000_000_000, self))
        self.pupil_edit.setPlaceholderText("番号")
        self.pupil_edit.setMaximumWidth(110)
        self.pupil_edit.setAccessibleName("児童生徒ID")

        today = QDate.currentDate()
        self.period_check = QCheckBox("期間")
        # The boxes write the dates in the user's own style (they showed 西暦 to a user of
        # 令和 before, with the range repeated beside them).
        self.since_edit = DateField(today.addDays(-PERIOD_DAYS), self._style)
        self.until_edit = DateField(today, self._style)
        self.since_edit.setAccessibleName("期間の開始日")
        self.until_edit.setAccessibleName("期間の終了日")
        self.period_check.toggled.connect(self._period_toggled)
        self._period_toggled(False)

        self.search_button = QPushButton("検索")
        self.search_button.setDefault(True)
        self.search_button.clicked.connect(self.apply_filters)
        self.clear_button = QPushButton("条件をクリア")
        self.clear_button.clicked.connect(self.clear_filters)
        self.pupil_edit.returnPressed.connect(self.apply_filters)

        grid.addWidget(QLabel("利用者"), 0, 0)
        grid.addWidget(self.actor_combo, 0, 1)
        grid.addWidget(QLabel("操作"), 0, 2)
        grid.addWidget(self.action_combo, 0, 3)
        grid.addWidget(QLabel("児童生徒ID"), 0, 4)
        grid.addWidget(self.pupil_edit, 0, 5)
        grid.setColumnStretch(6, 1)
        period = QHBoxLayout()
        period.addWidget(self.since_edit)
        period.addWidget(QLabel("〜"))
        period.addWidget(self.until_edit)
        period.addStretch(1)
        grid.addWidget(self.period_check, 1, 0)
        grid.addLayout(period, 1, 1, 1, 5)
        grid.addWidget(self.search_button, 0, 7)
        grid.addWidget(self.clear_button, 1, 7)
        return box

    def _period_toggled(self, on: bool) -> None:
        self.since_edit.setEnabled(on)
        self.until_edit.setEnabled(on)

    # -- filters and loading ---------------------------------------------------------------

    def current_filter(self) -> AuditFilter:
        actor = self.actor_combo.currentText().strip()
        pupil = self.pupil_edit.text().strip()
        since = until = None
        if self.period_check.isChecked():
            since, until = _to_date(self.since_edit), _to_date(self.until_edit)
            if since > until:
                since, until = until, since
        return AuditFilter(
            actor=None if actor in ("", ALL) else actor,
            action=self.action_combo.currentData(),
            pupil_id=int(pupil) if pupil.isdigit() else None,
            since=since,
            until=until,
        )

    @property
    def loading(self) -> bool:
        return self.load_task.running

    def activated(self) -> None:
        if not self._loaded:
            self.apply_filters()
            if self._outside is not None:
                read = self._outside[0]
                self.outside_task.run(
                    lambda _ctx: read(),
                    lambda folder: self.outside_edit.setText("" if folder is None
                                                             else str(folder)))

    def apply_filters(self) -> None:
        filters = self.current_filter()
        load = self._load_entries
        if self.load_task.run(lambda _ctx: load(filters),
                              lambda rows: self._show_rows(filters, rows)) is not None:
            self.count_label.setText("読み込んでいます…")

    def clear_filters(self) -> None:
        self.actor_combo.setCurrentIndex(0)
        self.actor_combo.setEditText(ALL)
        self.action_combo.setCurrentIndex(0)
        self.pupil_edit.clear()
        self.period_check.setChecked(False)
        self.apply_filters()

    def _load_ended(self) -> None:
        if not self._loaded:
            self.count_label.setText("読み込めませんでした。")

    def _show_rows(self, filters: AuditFilter, rows: list[AuditRow]) -> None:
        self._loaded = True
        self.applied_filter = filters
        self.model.set_rows(rows)
        narrowed = filters != AuditFilter()
        self.count_label.setText(
            f"{format_count(len(rows))}件" + ("（条件で絞り込み中）" if narrowed else "")
        )
        known = {self.actor_combo.itemText(i) for i in range(self.actor_combo.count())}
        for actor in sorted({r.actor for r in rows} - known):
            self.actor_combo.addItem(actor)

    @property
    def loaded(self) -> bool:
        return self._loaded

    # -- export and verification -----------------------------------------------------------

    def _ask_export_path(self) -> Path | None:
        return ask_save_path(self, "監査ログを出力", "監査ログ", chosen_format(self.encoding_combo))

    def show_status(self, message: str, *, error: bool = False, notice: bool = False) -> None:
        self.status_label.show_message(message, error=error, notice=notice)

    def export(self) -> None:
        """Save the rows matching the applied filters (as shown) to a CSV file."""
        chosen = self.choose_export_path()
        if chosen is None:
            return
        fmt = chosen_format(self.encoding_combo)
        path, encoding = with_suffix(chosen, fmt), text_encoding(fmt)
        filters = self.applied_filter
        export = self._export_csv

        def done(result: ExportResult) -> None:
            self.last_export = result
            self.show_status(f"{format_count(result.rows)}件を出力しました: "
                             f"{result.path}{replaced_note(result)}")

        def start(overwrite: bool) -> None:
            self.export_task.run(lambda _ctx: export(path, filters, encoding, overwrite), done)

        self.overwrite_question = confirm_overwrite(self, [path], start)

    def verify(self) -> None:
        verify = self._verify_chain
        if self.verify_task.running:
            return
        self.show_status("改ざん検査をしています…", notice=True)

        def done(check: ChainCheck) -> None:
            self.last_check = check
            self.acknowledge_button.setVisible(
                self._acknowledge is not None and not check.ok and check.pending_breaks > 0)
            message = format_phrase(check.message, self._style)
            if check.ok:
                # The check is itself an entry: the list, reloaded, shows one more.
                self.show_status(f"改ざん検査: 異常はありません。{message}"
                                 "この検査も監査ログに記録しました。")
            else:
                self.show_status(
                    f"改ざん検査で異常が見つかりました: {message}\n"
                    "記録を変更せずに、デジタル戦略室と事業全体総括職員に連絡してください。",
                    error=True,
                )
            self.apply_filters()  # the check is in the log now: list and count include it

        self.verify_task.run(lambda _ctx: verify(), done)

    def ask_acknowledge(self) -> AcknowledgeDialog | None:
        check, acknowledge = self.last_check, self._acknowledge
        if check is None or acknowledge is None or not check.pending_breaks:
            return None
        dialog = AcknowledgeDialog(check, self._style, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def submit() -> None:
            reason = dialog.reason_edit.text()
            dialog.set_busy(True)

            def done(after: ChainCheck) -> None:
                if alive(dialog):
                    dialog.accept()
                self.last_check = after
                self.acknowledge_button.setVisible(not after.ok and after.pending_breaks > 0)
                self.show_status(f"確認済みにしました。{format_phrase(after.message, self._style)}",
                                 error=not after.ok)
                self.apply_filters()  # the acknowledgment is in the log now

            def refused(message: str) -> None:
                if alive(dialog):
                    dialog.set_busy(False)
                    dialog.show_error(message)
                else:
                    self.show_status(message, error=True)

            self.acknowledge_task.run(lambda _ctx: acknowledge(reason), done,
                                      on_user_error=refused)

        dialog.submitted.connect(submit)
        self.dialog = dialog
        dialog.open()
        return dialog
