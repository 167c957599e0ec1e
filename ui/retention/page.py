"""保存期間の管理 (the project lead): the retention classes, and purges planned, approved, run.

The page shows how long each kind of record is kept and what happens at the end, then the
latest purge plan as a table of counts per kind and school year (never a name). 「削除計画を
作る（試算）」 counts what has passed its retention and changes nothing; 「承認する」 is the
lead's approval of those counts; 「実行する」 removes them, with progress and 中止 (honoured
until the records are gone), and the deletion certificate goes into the audit log. Every call
runs off the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kernel.date_style import DateStyle
from kernel.progress import CancelFlag, Progress
from toda_desktop.formatting import format_count, format_date, format_datetime
from toda_desktop.retention.views import ClassView, PlanView, RunResult, related_lines
from toda_desktop.staff import staff_label
from ui import style
from ui.background import BackgroundRunner, TaskContext
from ui.dialogs import confirm
from ui.page_header import PageHeader, ProgressStrip, StatusLine
from ui.page_task import PageTask
from ui.retention.models import ClassesModel, PlanModel
from ui.table_model import make_view

TITLE = "保存期間の管理"
Load = Callable[[], tuple[list[ClassView], PlanView | None]]
MakePlan = Callable[[], PlanView]
Approve = Callable[[int], PlanView]
Run = Callable[[int, Progress, CancelFlag], RunResult]


class RetentionPage(QWidget):
    """The page; ``make_plan``/``approve``/``run`` are None for a role without the
    function (their buttons are then not shown)."""

    def __init__(
        self,
        load: Load,
        make_plan: MakePlan | None,
        approve: Approve | None,
        run: Run | None,
        runner: BackgroundRunner,
        date_style: DateStyle,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._load, self._make_plan, self._approve, self._run = load, make_plan, approve, run
        self._style = date_style
        self.plan: PlanView | None = None
        self.loaded = False
        self.confirmation: QMessageBox | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(10)
        header = PageHeader(TITLE)
        self.refresh_button = header.add_refresh(self.reload)
        layout.addLayout(header)
        note = QLabel(
            "記録の種類ごとの保存期間は、児童生徒が卒業・転出した日（最後に在籍した年度の"
            "3月31日）から数えます。期間を過ぎた記録は、削除計画（試算）を作り、"
            "事業全体総括職員が承認してから削除します。学籍に関する記録は、期間の後も"
            "氏名・生年月日・番号を消した仮名の形で残り、学校ごとの集計に使えます。")
        note.setWordWrap(True)
        note.setStyleSheet(style.MUTED)
        layout.addWidget(note)

        classes_title = QLabel("保存期間の区分")
        classes_title.setStyleSheet(style.SECTION_TITLE)
        layout.addWidget(classes_title)
        self.classes_model = ClassesModel(self)
        self.classes_table = make_view(self.classes_model, "保存期間の区分", self,
                                       widths=(170, 130, 190, 360), stretch=4)
        self.classes_table.setMinimumHeight(150)
        layout.addWidget(self.classes_table, 2)

        plan_title = QLabel("削除計画")
        plan_title.setStyleSheet(style.SECTION_TITLE)
        layout.addWidget(plan_title)
        self.summary = QLabel("削除計画はまだありません。")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.unseen = QLabel("")
        self.unseen.setWordWrap(True)
        self.unseen.setStyleSheet(style.NOTICE_TEXT)
        self.unseen.hide()
        layout.addWidget(self.unseen)

        actions = QHBoxLayout()
        self.plan_button = QPushButton("削除計画を作る（試算）")
        self.plan_button.setToolTip("保存期間を過ぎた記録を数えます。記録は変更しません。")
        self.plan_button.clicked.connect(self.make_plan)
        self.approve_button = QPushButton("承認する…")
        self.approve_button.setToolTip("この削除計画を承認します。実行は承認のあとに行えます。")
        self.approve_button.clicked.connect(self.ask_approve)
        self.run_button = QPushButton("実行する…")
        self.run_button.setToolTip("承認済みの削除計画を実行します。削除した記録は元に戻せません。")
        self.run_button.clicked.connect(self.ask_run)
        for button, allowed in ((self.plan_button, make_plan), (self.approve_button, approve),
                                (self.run_button, run)):
            actions.addWidget(button)
            button.setVisible(allowed is not None)
        actions.addStretch(1)
        layout.addLayout(actions)
        self.strip = ProgressStrip(self)
        layout.addWidget(self.strip)
        self.status_label = StatusLine()
        layout.addWidget(self.status_label)

        self.plan_model = PlanModel(date_style, self)
        self.plan_table = make_view(self.plan_model, "削除計画の内容", self,
                                    widths=(190, 190, 110, 200, 90, 100), stretch=6)
        self.plan_table.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.Interactive)
        layout.addWidget(self.plan_table, 3)

        self.load_task = PageTask(self, runner, "保存期間の情報を読み込んでいます…",
                                  status=self.status_label, busy=[self.refresh_button])
        self.plan_task = PageTask(self, runner, "削除計画を作っています…",
                                  status=self.status_label, writes=True)
        self.approve_task = PageTask(self, runner, "承認しています…",
                                     status=self.status_label, writes=True)
        self.run_task = PageTask(self, runner, "削除計画を実行しています", strip=self.strip,
                                 status=self.status_label, writes=True)
        for task in (self.load_task, self.plan_task, self.approve_task, self.run_task):
            task.started.connect(self._update_buttons)
            task.ended.connect(self._update_buttons)
        self._update_buttons()

    # -- loading ---------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return any(t.running for t in (self.load_task, self.plan_task, self.approve_task,
                                       self.run_task))

    def activated(self) -> None:
        self.reload()

    def reload(self) -> None:
        load = self._load
        self.load_task.run(lambda _ctx: load(), self._show_loaded)

    def _show_loaded(self, loaded: tuple[list[ClassView], PlanView | None]) -> None:
        classes, plan = loaded
        self.classes_model.set_lines(classes)
        self.loaded = True
        self.show_plan(plan)

    def show_plan(self, plan: PlanView | None) -> None:
        self.plan = plan
        self.plan_model.set_lines(() if plan is None else plan.lines)
        if plan is None:
            self.summary.setText("削除計画はまだありません。「削除計画を作る（試算）」で、"
                                 "保存期間を過ぎた記録を数えられます。")
            self.unseen.hide()
        else:
            self.summary.setText(self._summary(plan))
            self.unseen.setText(
                "鍵または権限がないため、この計画に含まれていない種類があります: "
                + "、".join(plan.unseen) + "。それらは鍵を持つ職員の計画で扱います。")
            self.unseen.setVisible(bool(plan.unseen))
        self._update_buttons()

    def _summary(self, plan: PlanView) -> str:
        s = self._style
        parts = [f"計画 {plan.id}（{plan.status_label}）: {format_date(plan.as_of, s)}の時点で"
                 f"保存期間を過ぎた記録 {format_count(plan.records)}件。",
                 f"作成 {staff_label(plan.made_by)} {format_datetime(plan.made_at, s)}"]
        if plan.approved_by and plan.approved_at:
            parts.append(f"、承認 {staff_label(plan.approved_by)} "
                         f"{format_datetime(plan.approved_at, s)}")
        if plan.run_by and plan.run_at:
            parts.append(f"、実行 {staff_label(plan.run_by)} {format_datetime(plan.run_at, s)}")
        return "".join(parts) + "。"

    def _update_buttons(self, *_args: object) -> None:
        plan, busy = self.plan, self.busy
        self.plan_button.setEnabled(not busy)
        self.approve_button.setEnabled(not busy and plan is not None and plan.approvable)
        self.run_button.setEnabled(not busy and plan is not None and plan.runnable)

    # -- plan, approve, run ----------------------------------------------------------------

    def make_plan(self) -> None:
        make = self._make_plan
        if make is None or self.busy:
            return

        def done(plan: PlanView) -> None:
            self.show_plan(plan)
            self.status_label.show_message(
                f"削除計画 {plan.id} を作りました（試算。記録は変更していません）。"
                if plan.records else "保存期間を過ぎた記録はありません。")

        self.plan_task.run(lambda _ctx: make(), done)

    def ask_approve(self) -> None:
        plan, approve = self.plan, self._approve
        if plan is None or approve is None or not plan.approvable or self.busy:
            return
        self.confirmation = confirm(
            self, "削除計画の承認",
            f"削除計画 {plan.id}（{format_count(plan.records)}件）を承認しますか？",
            lambda: self._start_approve(plan.id, approve),
            yes_text="承認する",
            informative="承認した内容は、実行されるまで変わりません。計画を作った後に"
                        "データが変わったときは、実行の前に計画を作り直します。")

    def _start_approve(self, plan_id: int, approve: Approve) -> None:
        self.approve_task.run(lambda _ctx: approve(plan_id), self._approved)

    def _approved(self, plan: PlanView) -> None:
        self.show_plan(plan)
        self.status_label.show_message(f"削除計画 {plan.id} を承認しました。")

    def ask_run(self) -> None:
        plan, run = self.plan, self._run
        if plan is None or run is None or not plan.runnable or self.busy:
            return
        self.confirmation = confirm(
            self, "削除計画の実行",
            f"削除計画 {plan.id} の記録 {format_count(plan.records)}件を削除・仮名化しますか？",
            lambda: self._start_run(plan.id, run),
            yes_text="実行する",
            informative="削除した記録は元に戻せません。削除証明が監査ログに記録されます。"
                        "なお、実行より前に作ったバックアップには、削除した記録が残ります。")

    def _start_run(self, plan_id: int, run: Run) -> None:
        def task(ctx: TaskContext) -> RunResult:
            return run(plan_id, ctx.progress, ctx.cancelled)

        self.run_task.run(task, self._ran, on_cancelled=lambda: self.status_label.show_message(
            "中止しました。記録は変更していません。"))

    def _ran(self, result: RunResult) -> None:
        self.show_plan(result.plan)
        related = "、".join(related_lines(result.related))
        message = (f"削除計画 {result.plan.id} を実行し、削除証明を監査ログに記録しました"
                   + (f"（併せて削除: {related}）" if related else "") + "。")
        if result.log_left:
            message += ("一部のファイルは他の利用者が使用中のため、整理を終えられませんでした。"
                        "利用者の少ないときに、新しい削除計画（0件でも可）を承認・実行すると、"
                        "すべてのファイルを整理します。")
        self.status_label.show_message(message)


def page_calls(service: Any, may: Callable[[str], bool]) -> tuple[
        Load, MakePlan | None, Approve | None, Run | None]:
    """The service calls the page uses, by the role's functions."""
    def load() -> tuple[list[ClassView], PlanView | None]:
        return service.classes(), service.current()

    def run(plan_id: int, progress: Progress, cancel: CancelFlag) -> RunResult:
        return service.run(plan_id, progress=progress, cancel=cancel)  # type: ignore[no-any-return]

    return (load, service.make_plan if may("retention") else None,
            service.approve if may("retention_approve") else None,
            run if may("retention") else None)
