"""支援ケース on the 児童生徒カルテ: the pupil's cases in the reader's domains, the open
actions and the next review, with 「ケースを開く」 and 「新しいケース」.

A self-contained widget: the shell gives the karte a factory that makes one per opened
karte (the karte does not import this feature). It reads on the worker when made and again
when a case changes (``reload``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kernel.date_style import DateStyle
from toda_desktop.cases.model import CaseStatus, PupilCases
from toda_desktop.formatting import format_date
from ui import style
from ui.background import BackgroundRunner
from ui.cases.widgets import muted
from ui.page_task import PageTask

if TYPE_CHECKING:
    from toda_desktop.cases.service import CaseService

TITLE = "支援ケース"
MAX_ACTIONS = 5


class KarteCasesSection(QFrame):
    """The pupil's support cases, open actions and next review."""

    loaded = Signal()

    def __init__(self, pupil_id: int, service: CaseService, runner: BackgroundRunner,
                 date_style: DateStyle, open_case: Callable[[str], None],
                 open_pupil: Callable[[int], None], *, may_edit: bool,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pupil_id = pupil_id
        self._service = service
        self._style = date_style
        self._open_case = open_case
        self.cases: PupilCases | None = None
        self.setObjectName("infoCard")
        self.setStyleSheet(style.CARD)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 10, 16, 10)
        layout.setSpacing(6)
        head = QHBoxLayout()
        title = QLabel(TITLE)
        title.setStyleSheet(style.SECTION_TITLE)
        head.addWidget(title)
        self.review_label = QLabel("")
        head.addSpacing(12)
        head.addWidget(self.review_label, 1)
        self.new_button = QPushButton("新しいケース", self)
        self.new_button.setToolTip("この児童生徒の支援ケース（児童生徒理解・支援シート）を始めます")
        self.new_button.clicked.connect(lambda: open_pupil(pupil_id))
        self.new_button.setVisible(may_edit)
        head.addWidget(self.new_button)
        layout.addLayout(head)
        self.body = QWidget()
        layout.addWidget(self.body)
        self.message = muted("読み込んでいます…")
        layout.addWidget(self.message)
        self.task = PageTask(self, runner, "支援ケースを読み込んでいます…",
                             progress_dialog=False)
        self.open_buttons: dict[str, QPushButton] = {}
        self.reload()

    def reload(self) -> None:
        service, pupil_id = self._service, self.pupil_id
        self.task.run(lambda _ctx: service.cases_for_pupil(pupil_id), self._show,
                      on_user_error=self._refused)

    def _refused(self, message: str) -> None:
        self.message.setText(message)
        self.message.show()

    def _show(self, cases: PupilCases) -> None:
        self.cases = cases
        ds = self._style
        old = self.body
        self.body = QWidget()
        self.layout().replaceWidget(old, self.body)  # type: ignore[union-attr]
        old.hide()
        old.deleteLater()
        grid = QGridLayout(self.body)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(12)
        self.open_buttons = {}
        for row, case in enumerate(cases.cases):
            review = (f"次回の見直し {format_date(case.next_review, ds)}"
                      if case.next_review else "見直しの予定なし")
            name = QLabel(f"<b>{case.label}</b>　{case.title or ''}")
            state = QLabel(case.status.label)
            state.setStyleSheet("font-weight: bold;" if case.status is CaseStatus.OPEN
                                else style.MUTED)
            detail = QLabel(f"会議 {case.meetings}回　未完了の支援 {case.open_actions}件　{review}")
            detail.setStyleSheet(style.MUTED)
            button = QPushButton("ケースを開く")
            button.clicked.connect(lambda _c=False, key=case.key: self._open_case(key))
            self.open_buttons[case.key] = button
            for column, widget in enumerate((name, state, detail, button)):
                grid.addWidget(widget, row, column)
        grid.setColumnStretch(2, 1)
        start = len(cases.cases)
        if cases.open_actions:
            heading = QLabel("未完了の支援")
            heading.setStyleSheet("font-weight: bold;")
            grid.addWidget(heading, start, 0, 1, 4)
            for n, item in enumerate(cases.open_actions[:MAX_ACTIONS]):
                a = item.action
                due = f"{format_date(a.due, ds)}まで" if a.due else "期限なし"
                line = QLabel(f"・{a.what}（{a.owner or '担当未定'}、{due}、{a.status.label}）"
                              f"　{item.case_label}")
                line.setWordWrap(True)
                grid.addWidget(line, start + 1 + n, 0, 1, 4)
            more = len(cases.open_actions) - MAX_ACTIONS
            if more > 0:
                grid.addWidget(muted(f"ほか{more}件（ケースを開くとすべて表示します）"),
                               start + 1 + MAX_ACTIONS, 0, 1, 4)
        if cases.next_review is not None:
            self.review_label.setText(f"次回の見直し: {format_date(cases.next_review, ds)}")
        else:
            self.review_label.setText("")
        texts = []
        if not cases.cases:
            texts.append("この児童生徒の支援ケースはありません。")
        if cases.withheld:
            texts.append(cases.withheld)
        self.message.setText("".join(texts))
        self.message.setVisible(bool(texts))
        self.body.show()  # with its content
        self.loaded.emit()
