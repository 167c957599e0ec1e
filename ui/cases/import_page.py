"""ケース会議記録の取込: a spreadsheet of case meetings (docs/DATA_FORMAT_CASES.md) brought in
by office staff, in two steps.

1. 内容を確認する — a check that writes nothing: how many rows and meetings, how many new
   cases, and every error and warning with its row and the file's header (never a cell's
   value, the service words them so).
2. 取り込む — offered only after a check without errors of the same file (unchanged since)
   and the same 領域; all rows or none.

Both run off the GUI thread with progress and 中止 in the page; a stopped or refused import
leaves the cases as they were (the service writes in one transaction). Only roles that may
import cases get this page (``CaseService.may_import``); the service checks again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from toda_desktop.cases.model import CaseDomain
from toda_desktop.formatting import format_count
from ui import style
from ui.background import BackgroundRunner, TaskContext
from ui.cases.widgets import muted
from ui.page_header import PageHeader, ProgressStrip, StatusLine
from ui.page_task import PageTask
from ui.table_model import LinesTableModel, make_view

if TYPE_CHECKING:
    from toda_desktop.cases.service import CaseService, ImportReport

TITLE = "ケース会議記録の取込"
FILE_FILTER = "表計算・CSVファイル (*.csv *.xlsx *.txt);;すべてのファイル (*)"
FROM_FILE = "ファイルの「領域」の列に従う"
INTRO = (
    "学校や事務局が表計算ソフトでまとめたケース会議の記録を取り込みます。1行が1人の児童生徒の"
    "1回の会議です。児童生徒は宛名番号（または年度・学校コード・学年・組・出席番号など）で特定し、"
    "その児童生徒の対応中のケース（ないときは新しいケース）に会議の記録として加えます。"
    "まず「内容を確認する」で確かめ、問題がなければ「取り込む」を押してください。"
    "一部の行だけが取り込まれることはありません（問題が1つでもあれば、何も取り込みません）。"
    "既に記録されている会議（同じケース・開催日・会議の種類）の行は、重ねて取り込みません。"
)
COLUMNS_HELP = (
    "主な列: 宛名番号、領域（不登校・いじめ・教育相談）、開催日（必須）、会議の種類、出席者、"
    "本人の願い、保護者の願い、見立て、よさ・強み、長期目標、短期目標、手立て1〜5・担当1〜5・"
    "期限1〜5、次回振り返り日。表題の行、見出しの言い換え、和暦、全角の数字はそのまま読めます。"
    "形式にない列の値は、会議の記録の「その他の項目」として残します。"
)
ERROR, WARNING = "エラー", "注意"


@dataclass(frozen=True)
class Finding:
    """One line of the check: its kind, the row and header it names, what was found."""

    level: str
    row: str
    header: str
    text: str


def finding(level: str, message: str) -> Finding:
    """Split the service's 「3行目「期日２」: …」 into row, header and text for the table."""
    row, header, rest = "", "", message
    head, sep, tail = message.partition("行目")
    if sep and head.isdigit() and tail[:1] in ("「", ":", "："):  # not 「1行目は表題…」
        row, rest = head, tail
        if rest.startswith("「") and "」" in rest:
            header, _, rest = rest[1:].partition("」")
        rest = rest.removeprefix(":").removeprefix("：").strip()
    return Finding(level, row, header, rest)


class FindingsModel(LinesTableModel[Finding]):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(("種類", "行", "列（見出し）", "内容"), parent)

    def cells(self, line: Finding) -> tuple[str, ...]:
        return (line.level, line.row or "—", line.header or "—", line.text)


@dataclass(frozen=True)
class Checked:
    """What a check without errors was made of (the import is offered for that only)."""

    path: Path
    stamp: tuple[int, int]  # size, modification time (ns): the file unchanged since
    domain: CaseDomain | None


def file_stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


class CaseImportPage(QWidget):
    """Choose a file, check it, import it; ``imported`` after a committed import."""

    imported = Signal()
    checked = Signal(object)  # ImportReport of a check
    finished = Signal(object)  # ImportReport of an import

    def __init__(self, service: CaseService, runner: BackgroundRunner,
                 domains: Sequence[CaseDomain],
                 parent: QWidget | None = None, *,
                 choose: Callable[[QWidget], Path | None] | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._choose = choose or self._ask_file
        self._checked: Checked | None = None
        self.report: ImportReport | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(8)
        layout.addLayout(PageHeader(TITLE))
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        layout.addWidget(muted(COLUMNS_HELP))

        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        grid.addWidget(QLabel("ファイル"), 0, 0)
        self.file_edit = QLineEdit()
        self.file_edit.setReadOnly(True)
        self.file_edit.setPlaceholderText("「ファイルを選ぶ」から、CSV または Excel（.xlsx）の"
                                          "ファイルを選んでください")
        self.file_edit.setAccessibleName("取り込むファイル")
        grid.addWidget(self.file_edit, 0, 1)
        self.choose_button = QPushButton("ファイルを選ぶ…")
        self.choose_button.clicked.connect(self.choose_file)
        grid.addWidget(self.choose_button, 0, 2)
        grid.addWidget(QLabel("領域"), 1, 0)
        self.domain_combo = QComboBox()
        self.domain_combo.setAccessibleName("取り込む領域")
        self.domain_combo.addItem(FROM_FILE, None)
        for domain in domains:
            self.domain_combo.addItem(f"すべて{domain.label}として取り込む", domain.value)
        self.domain_combo.currentIndexChanged.connect(lambda _i: self._forget_check())
        grid.addWidget(self.domain_combo, 1, 1)
        grid.setColumnStretch(1, 1)
        layout.addLayout(grid)

        buttons = QHBoxLayout()
        self.check_button = QPushButton("内容を確認する（まだ取り込みません）")
        self.check_button.clicked.connect(self.check)
        self.import_button = QPushButton("取り込む")
        self.import_button.setToolTip("確認で問題がなかったファイルを、すべての行まとめて"
                                      "取り込みます")
        self.import_button.clicked.connect(self.run_import)
        buttons.addWidget(self.check_button)
        buttons.addWidget(self.import_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.strip = ProgressStrip()
        layout.addWidget(self.strip)
        self.status_line = StatusLine()
        layout.addWidget(self.status_line)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("確認の結果")
        layout.addWidget(self.summary)
        self.model = FindingsModel(self)
        self.table = make_view(self.model, "確認で見つかったこと", self, widths=(60, 50, 160))
        layout.addWidget(self.table, 1)
        layout.addStretch(0)  # takes the height while the table is hidden (before a check)
        self.task = PageTask(self, runner, "ファイルを確認しています…", status=self.status_line,
                             strip=self.strip, writes=True,
                             busy=(self.choose_button, self.check_button, self.import_button,
                                   self.domain_combo))
        self.task.ended.connect(self._update)
        self._show_report(None)
        self._update()

    # -- the file ----------------------------------------------------------------------------

    def _ask_file(self, parent: QWidget) -> Path | None:
        name, _filter = QFileDialog.getOpenFileName(parent, "取り込むファイルを選ぶ", "",
                                                    FILE_FILTER)
        return Path(name) if name else None

    def choose_file(self) -> None:
        chosen = self._choose(self)
        if chosen is not None:
            self.set_file(chosen)

    def set_file(self, path: Path) -> None:
        self.file_edit.setText(str(path))
        self.file_edit.setToolTip(str(path))
        self._forget_check()
        self.status_line.clear_message()

    def path(self) -> Path | None:
        text = self.file_edit.text().strip()
        return Path(text) if text else None

    def domain(self) -> CaseDomain | None:
        value = self.domain_combo.currentData()
        return CaseDomain(value) if value else None

    def _forget_check(self) -> None:
        self._checked = None
        self._update()

    @property
    def may_import(self) -> bool:
        """A check without errors of this very file (unchanged) and 領域."""
        path, checked = self.path(), self._checked
        return (checked is not None and path == checked.path
                and checked.domain is self.domain() and file_stamp(path) == checked.stamp)

    def _update(self) -> None:
        if self.task.running:
            return
        self.check_button.setEnabled(self.path() is not None)
        self.import_button.setEnabled(self.may_import)

    # -- check and import --------------------------------------------------------------------

    def check(self) -> None:
        path, domain = self.path(), self.domain()
        if path is None:
            return
        stamp = file_stamp(path)
        if stamp is None:
            self.status_line.show_message("ファイルを開けません。場所と名前を確かめてください。",
                                          error=True)
            return
        service = self._service
        self._checked = None
        self.status_line.clear_message()

        def task(ctx: TaskContext) -> ImportReport:
            return service.import_file(path, domain=domain, dry_run=True,
                                       progress=ctx.progress, cancelled=ctx.cancelled)

        def done(report: ImportReport) -> None:
            self._show_report(report)
            if not report.errors:
                self._checked = Checked(path, stamp, domain)
            self.checked.emit(report)

        self.task.run(task, done, label="ファイルを確認しています…",
                      on_cancelled=lambda: self.status_line.show_message(
                          "確認を中止しました。", notice=True))

    def run_import(self) -> None:
        if not self.may_import:
            self.status_line.show_message("ファイルが確認の後に変わったか、まだ確認していません。"
                                          "もう一度「内容を確認する」を押してください。",
                                          error=True)
            self._forget_check()
            return
        path, domain = self.path(), self.domain()
        assert path is not None
        service = self._service

        def task(ctx: TaskContext) -> ImportReport:
            return service.import_file(path, domain=domain, progress=ctx.progress,
                                       cancelled=ctx.cancelled)

        def done(report: ImportReport) -> None:
            self._checked = None
            self._show_report(report)
            if report.committed:
                self.imported.emit()
            self.finished.emit(report)

        def cancelled() -> None:
            self._checked = None
            self.status_line.show_message("取込を中止しました。ケースの記録は変わっていません"
                                          "（何も取り込んでいません）。", notice=True)

        self.task.run(task, done, label="取り込んでいます…", on_cancelled=cancelled)

    def cancel(self) -> None:
        self.task.cancel()

    # -- the result --------------------------------------------------------------------------

    def _show_report(self, report: ImportReport | None) -> None:
        self.report = report
        if report is None:
            self.summary.setText("")
            self.summary.hide()
            self.model.set_lines([])
            self.table.hide()
            return
        lines = ([finding(ERROR, e) for e in report.errors]
                 + [finding(WARNING, w) for w in report.warnings])
        self.model.set_lines(lines)
        self.table.setVisible(bool(lines))
        counts = (f"{format_count(report.rows)}行、会議の記録 {format_count(report.meetings)}件"
                  if report.rows else "取り込める行がありません")
        if report.skipped:
            counts += f"（記録済みのため取り込まない会議 {format_count(report.skipped)}件）"
        if report.committed:
            text = (f"「{report.file}」を取り込みました（{counts}、新しいケース "
                    f"{format_count(report.cases_opened)}件）。「支援ケース」「支援の予定」で"
                    "確かめられます。")
            css = style.OK_TEXT
        elif report.errors:
            text = (f"「{report.file}」: {counts}。エラーが{format_count(len(report.errors))}件"
                    "あるため、取り込めません（何も取り込んでいません）。下の表の行と列を"
                    "ファイルで直してから、もう一度確認してください。")
            css = style.ERROR_TEXT
        else:
            notes = (f"注意が{format_count(len(report.warnings))}件あります（取り込めますが、"
                     "内容を確かめてください）。" if report.warnings else "問題はありません。")
            text = (f"「{report.file}」を確認しました: {counts}、新しく作られるケース "
                    f"{format_count(report.new_cases)}件。{notes}"
                    "よければ「取り込む」を押してください。")
            css = style.OK_TEXT
        self.summary.setText(text)
        self.summary.setStyleSheet(css)
        self.summary.show()
