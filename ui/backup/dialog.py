"""バックアップを作成… (ファイル menu, and offered at sign-out when the last one is old).

Where the backup goes and how many generations are kept; the copy runs on the worker with
its progress in the dialog and 中止 (which removes the partial copy). Shown only to
administrators who hold every data key (``BackupService.may_create``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import cast

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from kernel.date_style import DateStyle
from toda_desktop.backup.service import MAX_KEEP, BackupDone, BackupSettings
from toda_desktop.formatting import format_bytes, format_datetime
from ui.background import BackgroundOp, BackgroundRunner, TaskContext, alive
from ui.dialogs import FormDialog

INTRO = ("データベースと、データの領域ごとのファイル・鍵ファイル・監査ログの控えを、"
         "暗号化したまま写して検証します。作成中も、他の利用者は作業を続けられます。"
         "保存先は、データベースとは別のドライブや共有フォルダーにしてください。")
# create(folder, generations to keep, days after which sign-out offers one, task context)
CreateBackup = Callable[[Path, int, int, TaskContext], BackupDone]


class BackupDialog(FormDialog):
    def __init__(self, settings: BackupSettings, create: CreateBackup,
                 runner: BackgroundRunner, parent: QWidget | None = None,
                 question: str | None = None, date_style: DateStyle = DateStyle.SEIREKI,
                 ) -> None:
        super().__init__("バックアップを作成", "作成する", parent,
                         intro=(question + "\n\n" if question else "") + INTRO)
        self._create, self._runner = create, runner
        self._op: BackgroundOp[BackupDone] | None = None
        self.result_done: BackupDone | None = None
        if question:
            self.cancel_button.setText("作成しない")
        self.folder_edit = QLineEdit(str(settings.folder or ""))
        self.folder_edit.setPlaceholderText("例: E:\\toda-backup")
        self.folder_edit.setAccessibleName("保存先")
        browse = QPushButton("参照…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.folder_edit, 1)
        row.addWidget(browse)
        self.form.addRow("保存先", row)
        self.keep_spin = QSpinBox()
        self.keep_spin.setRange(1, MAX_KEEP)
        self.keep_spin.setValue(settings.keep)
        self.keep_spin.setSuffix(" 世代")
        self.keep_spin.setAccessibleName("残す世代")
        self.keep_spin.setToolTip("これより古いバックアップは、新しいものの検証が済んでから"
                                  "削除します。")
        self.form.addRow("残す世代", self.keep_spin)
        self.offer_spin = QSpinBox()
        self.offer_spin.setRange(1, 90)
        self.offer_spin.setValue(max(1, round(settings.offer_after.total_seconds() / 86400)))
        self.offer_spin.setSuffix(" 日")
        self.offer_spin.setAccessibleName("サインアウト時に勧める間隔")
        self.offer_spin.setToolTip("前回のバックアップからこの日数がたつと、サインアウトのときに"
                                   "作成を勧めます。")
        self.form.addRow("サインアウト時に勧める間隔", self.offer_spin)
        self.last_label = QLabel(_last(settings.last_at, date_style))
        self.form.addRow("前回のバックアップ", self.last_label)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setAccessibleName("進み具合")
        self.progress.hide()
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.status_label.hide()
        layout = cast(QVBoxLayout, self.layout())
        layout.insertWidget(layout.count() - 1, self.progress)
        layout.insertWidget(layout.count() - 1, self.status_label)
        self.submitted.connect(self._start)
        self.setMinimumWidth(520)

    def problem(self) -> str | None:
        if not self.folder_edit.text().strip():
            return "保存先のフォルダーを指定してください。"
        return None

    def _browse(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "バックアップの保存先",
                                                  self.folder_edit.text())
        if chosen:
            self.folder_edit.setText(chosen)

    def _start(self) -> None:
        folder, keep = Path(self.folder_edit.text().strip()), self.keep_spin.value()
        days = self.offer_spin.value()
        self._running(True)
        self.status_label.setText("バックアップを作成しています…")
        op = self._runner.run(
            lambda ctx: self._create(folder, keep, days, ctx), on_success=self._succeeded,
            parent=self, label="バックアップを作成しています…", cancellable=True,
            progress_dialog=False, on_user_error=self._failed, on_cancelled=self._cancelled,
            on_progress=lambda f: self.progress.setValue(int(f * 1000)), writes=True)
        op.finished.connect(self._ended)
        self._op = op

    def _running(self, running: bool) -> None:
        self.ok_button.setEnabled(not running)
        self.folder_edit.setEnabled(not running)
        self.keep_spin.setEnabled(not running)
        self.offer_spin.setEnabled(not running)
        self.progress.setVisible(running)
        self.status_label.show()
        self.cancel_button.setText("中止" if running else self.cancel_button.text())
        if running:
            self.progress.setValue(0)
            self.cancel_button.clicked.disconnect()
            self.cancel_button.clicked.connect(self._cancel)

    def _cancel(self) -> None:
        if self._op is not None:
            self.cancel_button.setEnabled(False)
            self.status_label.setText("中止しています…")
            self._op.cancel()

    def _succeeded(self, done: BackupDone) -> None:
        if not alive(self):
            return
        self.result_done = done
        self.last_label.setText("たった今")
        removed = f"古い世代を {done.removed} 個削除しました。" if done.removed else ""
        self.status_label.setText(
            f"バックアップを作成し、検証しました（{format_bytes(done.size)}）。"
            f"{removed}\n{done.path}")
        self.ok_button.hide()
        self.cancel_button.setText("閉じる")

    def _failed(self, message: str) -> None:
        if alive(self):
            self.status_label.setText("")
            self.show_error(message)

    def _cancelled(self) -> None:
        if alive(self):
            self.status_label.setText("中止しました。作りかけのものは削除しました。"
                                      "データベースは変更していません。")

    def _ended(self) -> None:
        if not alive(self):
            return
        self._op = None
        self.ok_button.setEnabled(self.result_done is None)
        self.folder_edit.setEnabled(True)
        self.keep_spin.setEnabled(True)
        self.offer_spin.setEnabled(True)
        self.progress.hide()
        self.cancel_button.setEnabled(True)
        if self.result_done is None:
            self.cancel_button.setText("閉じる")
        self.cancel_button.clicked.disconnect()
        self.cancel_button.clicked.connect(self.accept if self.result_done else self.reject)


def _last(when: datetime | None, style: DateStyle) -> str:
    return "まだ作成していません" if when is None else format_datetime(when, style)


def open_backup_dialog(
    parent: QWidget, settings: Callable[[], BackupSettings], create: CreateBackup,
    runner: BackgroundRunner, *, question: str | None = None,
    then: Callable[[], None] | None = None, date_style: DateStyle = DateStyle.SEIREKI,
) -> None:
    """Read the settings on the worker, then open the dialog; ``then`` runs when it closes
    (sign-out goes on after the offer, whatever was chosen)."""

    def show(current: BackupSettings) -> None:
        if not alive(parent):
            return
        dialog = BackupDialog(current, create, runner, parent, question, date_style)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if then is not None:
            dialog.finished.connect(lambda _result: then())
        dialog.open()

    def refused(message: str) -> None:
        if then is not None:
            then()

    runner.run(lambda _ctx: settings(), on_success=show, parent=parent,
               progress_dialog=False, on_user_error=refused if then else None)
