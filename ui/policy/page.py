"""権限設定 (the project lead): the permission map as a table that can be changed.

The table shows roles × functions (●/×), 卒業・転出した児童生徒 and each role's data domains,
all in Japanese. A double-click (or Enter) switches a function or opens the choice of data
areas; 保存… lists the changes, asks, and saves through ``PolicyAdminService.update`` (which
validates again, refuses to drop a role in use and logs the change); it applies from the
next sign-in. The map's TOML text (``policy_to_toml``) is for the few who need it: behind
「詳細（設定ファイル）」, where it can also be edited directly (issue 16: staff who are not
programmers edit through the table and never see English keys unless they ask).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from toda_desktop.errors import user_message
from toda_desktop.policy.model import (
    Policy,
    describe_policy_changes,
    parse_policy_text,
    policy_changes,
    policy_to_toml,
)
from ui import style
from ui.background import BackgroundRunner
from ui.dialogs import confirm
from ui.page_header import PageHeader, StatusLine
from ui.page_task import PageTask
from ui.policy.domains_dialog import DomainsDialog
from ui.policy.matrix import COLUMNS, FORMER, PolicyMatrixModel, legend_text
from ui.policy.register_export import RegisterExport, RegisterExportButton
from ui.table_model import make_view

DOMAINS_WIDTH = 150  # 見られるデータ: longer text is cut with … (whole on hover)
APPLIES_NEXT_TIME = (
    "変更は次回のサインインから適用されます（サインイン中の利用者には、"
    "次にサインインしたときに適用されます）。"
)


class PolicyPage(QWidget):
    """The 権限設定 page. Loads the saved map on first activation."""

    def __init__(
        self,
        current_text: Callable[[], str],
        update: Callable[[str], None],
        runner: BackgroundRunner,
        parent: QWidget | None = None,
        *,
        export_register: RegisterExport | None = None,
    ) -> None:
        super().__init__(parent)
        self._current_text = current_text
        self._update = update
        self._saved_text = ""
        self._table_text = ""  # the text last written from the table
        self._loaded = False
        self.confirmation: QMessageBox | None = None
        self.dialog: QDialog | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(10)
        header = PageHeader("権限設定")
        layout.addLayout(header)
        note = QLabel(
            "役割ごとに、使える機能（●）と見られるデータの範囲を定めます。"
            "サービスがすべての操作でこの設定を確かめます。" + APPLIES_NEXT_TIME
        )
        note.setWordWrap(True)
        note.setStyleSheet(style.MUTED)
        layout.addWidget(note)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setChildrenCollapsible(False)

        matrix_box = QWidget()
        matrix_layout = QVBoxLayout(matrix_box)
        matrix_layout.setContentsMargins(0, 0, 0, 0)
        heading = QLabel("役割ごとの設定")
        heading.setStyleSheet(style.SECTION_TITLE)
        matrix_layout.addWidget(heading)
        how = QLabel("●・× または「見られるデータ」をダブルクリック（またはEnterキー）すると"
                     "変更できます。変更は「保存…」で確定します。")
        how.setWordWrap(True)
        how.setStyleSheet(style.MUTED)
        matrix_layout.addWidget(how)
        self._matrix_heading = heading
        self.model = PolicyMatrixModel(self)
        self.table = make_view(self.model, "役割と機能の一覧", row_height=26)
        # One cell is one setting: cells are chosen, not rows.
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.setWordWrap(False)  # one line per role; cut text shows on hover
        self.table.activated.connect(self.change_cell)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table (to 保存…), arrows move
        columns = self.table.horizontalHeader()
        columns.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # What a role sees, and whether it finds former pupils, next to the role's name (the
        # functions follow): no scrolling to the right for the settings that matter most.
        for visual, logical in ((1, PolicyMatrixModel.DOMAINS_COLUMN),
                                (2, COLUMNS.index(FORMER) + 1)):
            columns.moveSection(columns.visualIndex(logical), visual)
        columns.setSectionResizeMode(PolicyMatrixModel.DOMAINS_COLUMN,
                                     QHeaderView.ResizeMode.Interactive)
        columns.resizeSection(PolicyMatrixModel.DOMAINS_COLUMN, DOMAINS_WIDTH)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)  # whole text on hover
        matrix_layout.addWidget(self.table, 1)
        self.message_label = StatusLine()
        matrix_layout.addWidget(self.message_label)
        buttons = QHBoxLayout()
        self.details_button = QPushButton("詳細（設定ファイル）")
        self.details_button.setCheckable(True)
        self.details_button.setToolTip("設定ファイルの本文（TOML形式）を表示し、直接編集できます")
        self.details_button.toggled.connect(self.show_details)
        self.revert_button = QPushButton("編集を取り消す")
        self.revert_button.clicked.connect(self.revert)
        self.save_button = QPushButton("保存…")
        self.save_button.setMinimumWidth(110)
        self.save_button.clicked.connect(self.save)
        buttons.addWidget(self.details_button)
        buttons.addStretch(1)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.save_button)
        matrix_layout.addLayout(buttons)
        splitter.addWidget(matrix_box)

        editor_box = QWidget()
        editor_layout = QVBoxLayout(editor_box)
        editor_layout.setContentsMargins(0, 6, 0, 0)
        editor_head = QHBoxLayout()
        editor_title = QLabel("設定ファイルの編集")
        editor_title.setStyleSheet(style.SECTION_TITLE)
        editor_hint = QLabel("（TOML形式。# で始まる行は説明です）")
        editor_hint.setStyleSheet(style.MUTED)
        self.legend_button = QPushButton("名前の説明を表示")
        self.legend_button.setCheckable(True)
        self.legend_button.toggled.connect(self._toggle_legend)
        editor_head.addWidget(editor_title)
        editor_head.addWidget(editor_hint)
        editor_head.addStretch(1)
        editor_head.addWidget(self.legend_button)
        editor_layout.addLayout(editor_head)
        self.legend_label = QLabel(legend_text())
        self.legend_label.setWordWrap(True)
        self.legend_label.setStyleSheet(style.MUTED)
        self.legend_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.legend_label.hide()
        editor_layout.addWidget(self.legend_label)
        self.editor = QPlainTextEdit()
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font = QFont(self.font())
        font.setFamilies([mono.family(), self.font().family()])  # Japanese falls back
        self.editor.setFont(font)
        self.editor.setAccessibleName("権限設定の内容")
        self.editor.textChanged.connect(self._text_changed)
        editor_layout.addWidget(self.editor, 1)
        self.register_button: RegisterExportButton | None = None  # 個人情報ファイル簿 (issue 13)
        if export_register is not None:
            self.register_button = RegisterExportButton(export_register, runner,
                                                        self.message_label, self)
            header.add_action(self.register_button)

        splitter.addWidget(editor_box)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        self.details_box = editor_box
        editor_box.hide()  # the text only behind 「詳細（設定ファイル）」
        self.splitter = splitter
        layout.addWidget(splitter, 1)
        self.load_task = PageTask(self, runner, "権限設定を読み込んでいます…")
        self.save_task = PageTask(self, runner, "権限設定を保存しています…",
                                  status=self.message_label, busy=[self.save_button],
                                  writes=True)
        self.save_task.ended.connect(self._text_changed)
        self._text_changed()

    def show_details(self, shown: bool) -> None:
        """The map's text (with English keys) below the table, or not."""
        if self.details_button.isChecked() != shown:
            self.details_button.setChecked(shown)  # (calls back here)
            return
        self.details_box.setVisible(shown)
        self.details_button.setText("詳細を隠す" if shown else "詳細（設定ファイル）")
        if shown:
            self._size_matrix()

    def _toggle_legend(self, shown: bool) -> None:
        self.legend_label.setVisible(shown)
        self.legend_button.setText("名前の説明を隠す" if shown else "名前の説明を表示")

    # -- loading ---------------------------------------------------------------------------

    @property
    def loading(self) -> bool:
        return self.load_task.running

    def activated(self) -> None:
        if not self._loaded:
            self.reload()

    def reload(self) -> None:
        current = self._current_text
        self.load_task.run(lambda _ctx: current(), self._show_text)

    def _show_text(self, text: str) -> None:
        self._loaded = True
        self._saved_text = text
        self.editor.setPlainText(text)
        self._show_matrix(text)

    def _show_matrix(self, text: str) -> None:
        try:
            self.model.set_policy(parse_policy_text(text))
        except Exception as exc:
            message = user_message(exc)
            if message is None:
                raise
            self.show_message(message, error=True)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().resizeSection(PolicyMatrixModel.DOMAINS_COLUMN,
                                                    DOMAINS_WIDTH)
        self._size_matrix()

    def _size_matrix(self) -> None:
        """With the text shown: room for every role in the table (the text takes the rest)."""
        if not self.details_box.isVisible():
            return  # the table has the page
        table = self.table
        wanted = (
            table.horizontalHeader().height()
            + table.verticalHeader().length()
            + 2 * table.frameWidth()
            + 4
        )
        heading = self._matrix_heading.sizeHint().height()
        below = self.save_button.sizeHint().height() + self.message_label.sizeHint().height()
        total = sum(self.splitter.sizes())
        top = min(wanted + heading + below + 40, max(total - 220, 160))
        self.splitter.setSizes([top, max(total - top, 220)])

    @property
    def loaded(self) -> bool:
        return self._loaded

    @property
    def modified(self) -> bool:
        return self.editor.toPlainText() != self._saved_text

    def _text_changed(self) -> None:
        modified = self._loaded and self.modified
        self.save_button.setEnabled(modified)
        self.revert_button.setEnabled(modified)
        if not self._loaded:
            return
        try:  # the table follows the text while it is valid
            policy = parse_policy_text(self.editor.toPlainText())
        except Exception as exc:
            if user_message(exc) is None:
                raise
            return
        current = self.table.currentIndex()
        self.model.set_policy(policy)
        if current.isValid():
            self.table.setCurrentIndex(self.model.index(current.row(), current.column()))

    # -- changing a cell -------------------------------------------------------------------

    def change_cell(self, index: QModelIndex) -> QDialog | None:
        """A function cell switches ●/×; the data cell opens the choice of data areas."""
        if not index.isValid() or self.model.policy is None:
            return None
        if self._hand_edited():
            return None
        function = self.model.function_at(index.column())
        if function is not None:
            self._apply(self.model.toggled(index.row(), function))
            return None
        if index.column() != PolicyMatrixModel.DOMAINS_COLUMN:
            return None
        role = self.model.roles[index.row()]
        dialog = DomainsDialog(role, self)

        def chosen() -> None:
            self._apply(self.model.with_domains(index.row(), dialog.domains()))

        dialog.accepted.connect(chosen)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        self.dialog = dialog
        return dialog

    def _hand_edited(self) -> bool:
        """The text holds changes typed by hand: a change in the table would rewrite it and
        lose them (and their notes), so it is refused with a word."""
        if self.editor.toPlainText() in (self._saved_text, self._table_text):
            return False
        self.show_message(
            "設定ファイルを直接編集中です。表で変更するには、先に「保存…」するか"
            "「編集を取り消す」を押してください。", error=True)
        return True

    def _apply(self, policy: Policy) -> None:
        """Write the changed map into the editor (checked again on 保存). A change that would
        make the map unusable (no role left with 管理機能 …) is refused at once."""
        if self._hand_edited():
            return
        text = policy_to_toml(policy)
        try:
            parse_policy_text(text)
        except Exception as exc:
            message = user_message(exc)
            if message is None:
                raise
            self.show_message(f"この変更はできません: {message}", error=True)
            return
        self._table_text = text
        self.editor.setPlainText(self._table_text)
        self.show_message("変更はまだ保存されていません。「保存…」で確定します。")

    def show_message(self, message: str, *, error: bool = False) -> None:
        self.message_label.show_message(message, error=error)

    # -- saving ----------------------------------------------------------------------------

    def revert(self) -> None:
        self.editor.setPlainText(self._saved_text)
        self.show_message("")

    def save(self) -> None:
        """Check the text, ask, then save it through the service on the worker."""
        text = self.editor.toPlainText()
        try:
            policy = parse_policy_text(text)
        except Exception as exc:
            message = user_message(exc)
            if message is None:
                raise
            self.show_message(message, error=True)
            return
        self.show_message("")
        try:
            saved = parse_policy_text(self._saved_text)
        except Exception:  # (an unreadable saved map: nothing to compare with)
            changes = []
        else:
            labels = {r.key: r.label for r in (*saved.roles, *policy.roles)}
            changes = describe_policy_changes(policy_changes(saved, policy), labels)
        listed = ("\n".join(f"・{c}" for c in changes)
                  or "（役割ごとの機能とデータの範囲は変わりません）")
        self.confirmation = confirm(
            self,
            "権限設定の保存",
            f"権限設定を保存しますか？\n\n{listed}",
            lambda: self._save(text),
            yes_text="保存する",
            informative=APPLIES_NEXT_TIME + "\n変更内容は監査ログに記録されます。",
        )

    def _save(self, text: str) -> None:
        update = self._update

        def saved(_result: None) -> None:
            self._saved_text = text
            self._show_matrix(text)
            self.show_message("権限設定を保存しました。" + APPLIES_NEXT_TIME)

        self.save_task.run(lambda _ctx: update(text), saved)
