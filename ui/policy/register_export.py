"""「個人情報ファイル簿を出力…」 on the 権限設定 page: the register of personal-information files
(made by ``RegisterService`` from the registry and the saved map) as Excel, CSV or Markdown.

The service checks the role and logs the export; the button only asks where, asks before
replacing a file, runs the export on the worker and says what was written."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QPushButton, QWidget

from toda_desktop.export_files import ExportResult
from ui.background import BackgroundRunner
from ui.export_flow import confirm_overwrite
from ui.page_header import StatusLine
from ui.page_task import PageTask

TITLE = "個人情報ファイル簿を出力"
# The save dialog's choices, each with the suffix that decides the format.
FILTERS = {"Excelファイル (*.xlsx)": ".xlsx", "CSVファイル (*.csv)": ".csv",
           "Markdown (*.md)": ".md"}
RegisterExport = Callable[[Path, bool], ExportResult]  # (path, overwrite)


class RegisterExportButton(QPushButton):
    def __init__(self, export: RegisterExport, runner: BackgroundRunner, status: StatusLine,
                 parent: QWidget) -> None:
        super().__init__(TITLE + "…", parent)
        self.setToolTip("登録されているデータの種類・保存期間・権限設定から、個人情報ファイル簿"
                        "（個人情報保護法 第75条）を作成します。個人情報そのものは含みません。")
        self._export = export
        self._status = status
        self.task = PageTask(parent, runner, "個人情報ファイル簿を作成しています…",
                             status=status, busy=[self])
        self.overwrite_question: QMessageBox | None = None
        self.last_result: ExportResult | None = None
        self.clicked.connect(self.start)

    def choose_path(self) -> Path | None:
        """The save dialog (replaced in tests); the suffix follows the chosen file type."""
        chosen, file_filter = QFileDialog.getSaveFileName(
            self, TITLE, "個人情報ファイル簿.xlsx", ";;".join(FILTERS),
            options=QFileDialog.Option.DontConfirmOverwrite)
        if not chosen:
            return None
        path = Path(chosen)
        if path.suffix.lower() not in FILTERS.values():
            path = path.with_name(path.name + FILTERS.get(file_filter, ".xlsx"))
        return path

    def start(self) -> None:
        path = self.choose_path()
        if path is None:
            return
        export = self._export

        def done(result: ExportResult) -> None:
            self.last_result = result
            self._status.show_message(
                f"個人情報ファイル簿（{result.rows}ファイル分）を出力しました: {result.path}")

        def go(overwrite: bool) -> None:
            self.task.run(lambda _ctx: export(path, overwrite), done)

        self.overwrite_question = confirm_overwrite(self, [path], go)
