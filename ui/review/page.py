"""名寄せ確認 (roles with ``import``): rows the importer could not link safely to one pupil.

For the selected item the file's row and its candidates stand side by side, field by field
(fields that agree are green, those that differ orange), with the score and the evidence.
The reviewer confirms a candidate, names another pupil by 宛名番号, or says no pupil matches.
Keyboard: ↑/↓ move through the items, ←/→ choose the candidate, Enter confirms it. After a
decision the next item is shown. Decisions are remembered by the service, so the next import
of the same source links those rows without asking, and each is written to the audit log.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from kernel.date_style import DateStyle
from toda_desktop.errors import UserFacingError
from toda_desktop.formatting import format_count, format_date
from ui import style
from ui.background import BackgroundRunner, TaskContext, alive
from ui.dialogs import FormDialog, confirm
from ui.page_header import StatusLine, title_row
from ui.page_task import PageTask
from ui.review.models import (
    AGREE_BACKGROUND,
    CHOSEN_BACKGROUND,
    DIFFER_BACKGROUND,
    ComparisonModel,
    ReviewItemsModel,
    ReviewLine,
    file_date,
    placement_text,
    review_line,
)

if TYPE_CHECKING:
    from toda_desktop.review.service import ReviewService

DescribePupil = Callable[[int], str]
REMEMBERED_TEXT = (
    "自動で照合できなかった行です。ファイルの行と候補の児童生徒を見比べて決めてください。"
    "ここでの判断は記憶され、同じ提出元のファイルを次に取り込むときは確認なしで照合されます。"
    "判断はすべて監査ログに記録されます。"
)
KEYS_TEXT = "↑↓キー: 行を移動　←→キー: 候補を選ぶ　Enterキー: 選んだ候補で確定"
TIE_STATUS = "一致度が同じ候補があります。候補を選んでから確定してください。"
TIE_TEXT = ("一致度が同じ候補があるため、候補は選ばれていません。在籍の年度やこのファイルの"
            "ほかの行などの手がかりを見比べて、候補の列をクリックするか←→キーで選んでください。")
ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
ITEMS_HEIGHT = 100  # three rows of the queue; the comparison and its clues get the rest


class OtherPupilDialog(FormDialog):
    """「別の児童生徒を指定…」: the reviewer names the pupil by 宛名番号, sees who it is,
    then decides."""

    def __init__(self, line: ReviewLine, parent: QWidget | None = None) -> None:
        item = line.item
        super().__init__(
            "別の児童生徒を指定", "探す", parent,
            intro=(f"「{item.source_name}」{item.source_row}行目（{line.name or '氏名なし'}）を"
                   "結び付ける児童生徒の宛名番号を入力してください。"),
        )
        self.found: tuple[str, int] | None = None  # (宛名番号, pupil id) shown to the user
        self.code_edit = QLineEdit()
        self.code_edit.setMaxLength(20)
        self.code_edit.setPlaceholderText("例: 0012345678")
        self.code_edit.textChanged.connect(self._code_changed)
        self.form.addRow("宛名番号", self.code_edit)
        self.found_label = QLabel("")
        self.found_label.setWordWrap(True)
        self.found_label.setStyleSheet(style.NOTICE_TEXT)
        self.found_label.hide()
        self.form.addRow("", self.found_label)

    def problem(self) -> str | None:
        code = self.code_edit.text().strip()
        if not code:
            return "宛名番号を入力してください。"
        if not code.isdigit():
            return "宛名番号は数字で入力してください。"
        return None

    def show_found(self, code: str, pupil_id: int, who: str) -> None:
        self.found = (code, pupil_id)
        self.found_label.setText(
            f"宛名番号 {code} の児童生徒が見つかりました" + (f": {who}" if who else "。")
            + "\nこの児童生徒でよければ「この児童生徒に決める」を押してください。"
        )
        self.found_label.show()
        self.ok_button.setText("この児童生徒に決める")
        self.adjustSize()

    def _code_changed(self, _text: str) -> None:
        if self.found is not None:
            self.found = None
            self.found_label.hide()
            self.ok_button.setText("探す")


class ReviewPage(QWidget):
    """The 名寄せ確認 page. ``open_count_changed`` carries the number of open items."""

    open_count_changed = Signal(int)
    decision_recorded = Signal(str)  # the kind of a row that was taken in

    def __init__(
        self,
        review: ReviewService,
        labels_of: Callable[[str], Mapping[str, str]],
        runner: BackgroundRunner,
        describe_pupil: DescribePupil | None = None,
        parent: QWidget | None = None,
        date_style: DateStyle = DateStyle.SEIREKI,
    ) -> None:
        super().__init__(parent)
        self._review = review
        self._labels_of = labels_of  # (the service now labels the row's values itself)
        self._style = date_style
        self._describe_pupil = describe_pupil
        self._loaded = False
        self.stale = True
        self.dialog: OtherPupilDialog | None = None
        self.confirmation: QMessageBox | None = None
        self.decided: list[tuple[int, int | None]] = []  # (item id, pupil id) this session

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(8)
        header_row, self.count_label, self.refresh_button = title_row(
            "名寄せ確認", self.reload, style.SECTION_TITLE
        )
        layout.addLayout(header_row)
        note = QLabel(REMEMBERED_TEXT)
        note.setWordWrap(True)
        note.setStyleSheet(style.MUTED)
        layout.addWidget(note)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setChildrenCollapsible(False)
        self.items_model = ReviewItemsModel(self, date_style)
        self.items_table = QTableView()
        self.items_table.setModel(self.items_model)
        self.items_table.setAlternatingRowColors(True)
        self.items_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.items_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.items_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.items_table.setWordWrap(False)
        self.items_table.verticalHeader().setVisible(False)
        self.items_table.verticalHeader().setDefaultSectionSize(26)
        self.items_table.setAccessibleName("確認待ちの行")
        header = self.items_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate((130, 200, 70, 120, 135)):
            header.resizeSection(column, width)
        header.setStretchLastSection(True)
        self.items_table.selectionModel().currentRowChanged.connect(self._item_changed)
        self.items_table.installEventFilter(self)
        splitter.addWidget(self.items_table)
        splitter.addWidget(self._build_detail())
        splitter.setSizes([ITEMS_HEIGHT, 420])
        splitter.setStretchFactor(0, 1)  # a taller window shows more of both,
        splitter.setStretchFactor(1, 3)  # most of it for the comparison
        layout.addWidget(splitter, 1)
        self.load_task = PageTask(self, runner, "確認待ちの行を読み込んでいます…",
                                  status=self.status_label)
        # A decision is a write: recorded although 中止 (a sign-out) came too late, it is
        # shown as recorded and the row leaves the queue.
        self.decide_task = PageTask(self, runner, "確認結果を記録しています…",
                                    status=self.status_label, writes=True)
        for task in (self.load_task, self.decide_task):
            task.started.connect(self._update_buttons)
        self.load_task.ended.connect(self._update_buttons)
        self.decide_task.ended.connect(self._work_ended)
        self._show_line(None)

    def _build_detail(self) -> QWidget:
        detail = QWidget()
        layout = QVBoxLayout(detail)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.setSpacing(6)
        self.item_title = QLabel("")
        self.item_title.setStyleSheet(style.SECTION_TITLE)
        self.item_title.setWordWrap(True)
        layout.addWidget(self.item_title)
        self.reason_label = QLabel("")
        self.reason_label.setWordWrap(True)
        self.reason_label.setStyleSheet(style.NOTICE_TEXT)
        layout.addWidget(self.reason_label)

        side = QHBoxLayout()
        side.setSpacing(12)
        left = QVBoxLayout()
        self.comparison_model = ComparisonModel(self, self._style)
        self.comparison = QTableView()
        self.comparison.setModel(self.comparison_model)
        self.comparison.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.comparison.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.comparison.setWordWrap(True)
        self.comparison.setAccessibleName("ファイルの行と候補の比較")
        self.comparison.setToolTip("候補の列をクリックすると、その候補を選びます")
        self.comparison.clicked.connect(
            lambda index: self.select_candidate(index.column() - 1) if index.column() else None)
        self.comparison.horizontalHeader().sectionClicked.connect(
            lambda section: self.select_candidate(section - 1) if section else None)
        self.comparison.verticalHeader().setDefaultSectionSize(28)
        self.comparison.verticalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.comparison.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.Stretch)
        self.comparison.installEventFilter(self)
        left.addWidget(self.comparison, 1)
        legend = QHBoxLayout()
        for colour, text in ((AGREE_BACKGROUND, "一致"), (DIFFER_BACKGROUND, "不一致"),
                             (CHOSEN_BACKGROUND, "選択中の候補")):
            swatch = QLabel("　")
            swatch.setFixedWidth(18)
            swatch.setStyleSheet(f"background: {colour}; border: 1px solid #c8ccd0;")
            legend.addWidget(swatch)
            legend.addWidget(QLabel(text))
            legend.addSpacing(10)
        legend.addStretch(1)
        left.addLayout(legend)
        side.addLayout(left, 1)

        box = QFrame()
        box.setObjectName("infoCard")
        box.setStyleSheet(style.CARD)
        box.setFixedWidth(250)
        box_layout = QVBoxLayout(box)
        box_layout.setContentsMargins(12, 8, 12, 8)
        heading = QLabel("行のほかの値")
        heading.setStyleSheet("font-weight: bold;")
        box_layout.addWidget(heading)
        self.values_form = QFormLayout()
        self.values_form.setHorizontalSpacing(10)
        self.values_form.setVerticalSpacing(2)
        box_layout.addLayout(self.values_form)
        box_layout.addStretch(1)
        side.addWidget(box)
        layout.addLayout(side, 1)

        actions = QHBoxLayout()
        self.confirm_button = QPushButton("この児童生徒で確定")
        self.confirm_button.setDefault(True)
        self.confirm_button.setMinimumHeight(34)
        self.confirm_button.clicked.connect(self.confirm_selected)
        self.other_button = QPushButton("別の児童生徒を指定…")
        self.other_button.clicked.connect(self.open_other_pupil)
        self.reject_button = QPushButton("該当者なし…")
        self.reject_button.setToolTip("どの候補でもないとき。この行は取り込みません。")
        self.reject_button.clicked.connect(self.ask_reject)
        self.choice_label = QLabel("")
        self.choice_label.setStyleSheet(style.MUTED)
        self.choice_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.choice_label.setWordWrap(True)
        actions.addWidget(self.confirm_button)
        actions.addWidget(self.choice_label, 1)
        actions.addWidget(self.other_button)
        actions.addWidget(self.reject_button)
        layout.addLayout(actions)
        keys = QLabel(KEYS_TEXT)
        keys.setStyleSheet(style.MUTED)
        keys.setWordWrap(True)
        layout.addWidget(keys)
        self.status_label = StatusLine()
        layout.addWidget(self.status_label)
        return detail

    # -- loading ---------------------------------------------------------------------------

    @property
    def loaded(self) -> bool:
        return self._loaded

    @property
    def busy(self) -> bool:
        return self.load_task.running or self.decide_task.running

    def mark_stale(self) -> None:
        """New imports (or a rollback) changed the queue: reload when next shown."""
        self.stale = True
        if self.isVisible() and not self.busy:
            self.reload()

    def activated(self) -> None:
        if self.stale and not self.busy:
            self.reload()
        self.items_table.setFocus()

    def reload(self) -> None:
        if self.load_task.running:
            return
        self.stale = False
        review = self._review
        self.load_task.run(lambda _ctx: [review_line(item) for item in review.open_items()],
                           self._show_lines)

    def _show_lines(self, lines: list[ReviewLine]) -> None:
        self.items_model.set_lines(lines)
        self._loaded = True
        self._count_changed()
        if lines:
            self.items_table.selectRow(0)
        else:
            self._show_line(None)

    def _count_changed(self) -> None:
        count = self.items_model.rowCount()
        self.count_label.setText(f"確認待ち {format_count(count)}件" if count else "")
        self.open_count_changed.emit(count)

    # -- the selected item -----------------------------------------------------------------

    def current_line(self) -> ReviewLine | None:
        index = self.items_table.currentIndex()
        if not index.isValid() or index.row() >= len(self.items_model.lines):
            return None
        return self.items_model.lines[index.row()]

    def _item_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._show_line(self.items_model.lines[current.row()] if current.isValid() else None)

    def _show_line(self, line: ReviewLine | None) -> None:
        self.comparison_model.set_line(line)
        while self.values_form.rowCount():
            self.values_form.removeRow(0)
        if line is None:
            done = self._loaded and not self.items_model.lines
            self.item_title.setText("確認待ちの行はありません。" if done else "")
            self.reason_label.hide()
            self._update_buttons()
            return
        item = line.item
        self.item_title.setText(
            f"「{item.source_name}」{item.source_row}行目（{item.kind_label}）"
        )
        self.reason_label.setText(f"自動で照合しなかった理由: {item.reason}")
        self.reason_label.show()
        for label, value in line.extra:
            value_label = QLabel(file_date(value, self._style))  # a date in the user's style
            value_label.setWordWrap(True)
            self.values_form.addRow(f"{label}:", value_label)
        if not line.extra:
            self.values_form.addRow(QLabel("—"))
        self._candidate_changed()  # (the model chose the best candidate, or none on a tie)

    def selected_candidate(self) -> Any | None:
        return self.comparison_model.chosen_candidate

    def select_candidate(self, number: int) -> None:
        self.comparison_model.choose(number)
        self._candidate_changed()

    def _candidate_changed(self) -> None:
        candidate, model = self.selected_candidate(), self.comparison_model
        if candidate is None or model.chosen is None:
            self.choice_label.setText(TIE_TEXT if model.tied else "")
            self.choice_label.setStyleSheet(f"color: {style.ERROR_COLOR};" if model.tied
                                            else style.MUTED)
        else:
            self.choice_label.setStyleSheet(style.MUTED)
            number = model.chosen + 1
            self.choice_label.setText(
                f"選択中: 候補{number}　{candidate.label}"
            )
        self._update_buttons()

    def _update_buttons(self) -> None:
        line = self.current_line()
        free = line is not None and not self.busy
        self.confirm_button.setEnabled(free and self.selected_candidate() is not None)
        self.other_button.setEnabled(free)
        self.reject_button.setEnabled(free)
        self.refresh_button.setEnabled(not self.busy)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Enter confirms the chosen candidate; ←/→ choose it (from the item list too)."""
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            if key in ENTER_KEYS:
                self.confirm_selected()
                return True
            if key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
                self.comparison_model.step(1 if key == Qt.Key.Key_Right else -1)
                self._candidate_changed()
                return True
        return super().eventFilter(watched, event)

    # -- decisions -------------------------------------------------------------------------

    def show_status(self, message: str, *, error: bool = False) -> None:
        self.status_label.show_message(message, error=error)

    def confirm_selected(self) -> None:
        line, candidate = self.current_line(), self.selected_candidate()
        if line is not None and candidate is None and self.comparison_model.tied:
            self.show_status(TIE_STATUS, error=True)  # Enter on a tie links nothing
            return
        if line is None or candidate is None or self.busy:
            return
        self._decide(
            line, candidate.pupil_id,
            f"{line.item.source_row}行目を{candidate.label}に結び付けました。",
        )

    def ask_reject(self) -> None:
        line = self.current_line()
        if line is None or self.busy:
            return
        item = line.item
        self.confirmation = confirm(
            self,
            "該当者なし",
            f"「{item.source_name}」{item.source_row}行目（{line.name or '氏名なし'}）は、"
            "どの児童生徒にも当たらないとして取り込みませんか？",
            lambda: self._decide(line, None,
                                 f"{line.item.source_row}行目を「該当者なし」にしました。"
                                 "この行は取り込みません。"),
            yes_text="該当者なしにする",
            informative="この判断は記憶され、同じ提出元の次の取込でもこの行は取り込まれません。",
        )

    def open_other_pupil(self) -> OtherPupilDialog | None:
        line = self.current_line()
        if line is None or self.busy:
            return None
        dialog = OtherPupilDialog(line, self)
        review, describe = self._review, self._describe_pupil
        item_id = line.item.id

        def run(task: Callable[[TaskContext], Any], done: Callable[[Any], None],
                label: str) -> None:
            dialog.set_busy(True)

            def refused(message: str) -> None:
                if alive(dialog):
                    dialog.show_error(message)
                else:  # closed meanwhile (Esc, or the idle lock)
                    self.show_status(message, error=True)

            def ended() -> None:
                if alive(dialog):
                    dialog.set_busy(False)

            # (Finding the pupil is a read on the same task: one step of the dialog at a time.)
            self.decide_task.run(task, done, label=label, on_user_error=refused,
                                 on_ended=ended)

        def submit() -> None:
            code = dialog.code_edit.text().strip()
            if dialog.found is not None and dialog.found[0] == code:
                pupil_id = dialog.found[1]

                def decided(_result: None) -> None:
                    if alive(dialog):
                        dialog.accept()
                    self._decided(line, pupil_id, f"{line.item.source_row}行目を宛名番号 {code}"
                                  " の児童生徒に結び付けました。")

                run(lambda _ctx: review.decide(item_id, pupil_id), decided,
                    "確認結果を記録しています…")
                return

            def find(_ctx: object) -> tuple[int, str]:
                pupil_id = review.find_pupil(code)
                if pupil_id is None:
                    raise UserFacingError(f"宛名番号「{code}」の児童生徒は見つかりません。")
                return pupil_id, describe(pupil_id) if describe is not None else ""

            def found(result: tuple[int, str]) -> None:
                if not alive(dialog):
                    return
                dialog.clear_error()
                dialog.show_found(code, *result)

            run(find, found, "児童生徒を探しています…")

        dialog.submitted.connect(submit)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _r: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _decide(self, line: ReviewLine, pupil_id: int | None, done_text: str) -> None:
        review, item_id = self._review, line.item.id
        self.decide_task.run(lambda _ctx: review.decide(item_id, pupil_id),
                             lambda _r: self._decided(line, pupil_id, done_text),
                             on_user_error=self._refused)

    def _refused(self, message: str) -> None:
        self.show_status(message, error=True)
        self.stale = True  # e.g. someone else decided it meanwhile: show the queue as it is

    def _work_ended(self) -> None:
        self._update_buttons()
        if self.stale and self.isVisible():
            self.reload()

    def _decided(self, line: ReviewLine, pupil_id: int | None, done_text: str) -> None:
        self.decided.append((line.item.id, pupil_id))
        if pupil_id is not None:
            self.decision_recorded.emit(line.item.kind)
        row = self.items_model.remove(line.item.id)
        remaining = self.items_model.rowCount()
        self._count_changed()
        self.show_status(done_text + (
            "次に同じ行を取り込むときは、この判断に従って自動で照合されます。"
            if pupil_id is not None else ""))
        if remaining:
            self.items_table.selectRow(min(max(row, 0), remaining - 1))
        else:
            self._show_line(None)
        self.items_table.setFocus()


def describe_pupil_with(review: ReviewService,
                        date_style: DateStyle = DateStyle.SEIREKI) -> DescribePupil:
    """Name, birth date and school of a pupil (for 「別の児童生徒を指定」), so the reviewer sees
    whom the 宛名番号 names."""

    def describe(pupil_id: int) -> str:
        card = review.describe_pupil(pupil_id)
        if card is None:
            return ""
        parts = [card.name, format_date(card.birth_date, date_style) if card.birth_date else "",
                 placement_text(card.placement, date_style) if card.placement else ""]
        return "・".join(p for p in parts if p)

    return describe
