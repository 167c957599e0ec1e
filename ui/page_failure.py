"""What a page shows when its work failed unexpectedly (a bug, a missing library, a store
that went away): inline, on the page itself, never an empty page that says nothing.

The notice says in Japanese that the figures or the list could not be made (or, for work
that changes the store, that it may not have finished), what to do (もう一度試す; if it
persists, tell the administrator) and the error id under which the reporter logged the
exception. It never shows the exception's text: that may quote pupil data.
:class:`ui.page_task.PageTask` puts it on every page the same way.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QBoxLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui import style

READ_HEADLINE = "予期しないエラーのため、この画面の数値や一覧を作れませんでした。"
READ_ADVICE = (
    "「もう一度試す」を押してください。同じ表示が続く場合は、エラー番号 {error_id} を"
    "システム管理者（デジタル戦略室）にお伝えください。"
)
WRITE_HEADLINE = "予期しないエラーのため、処理を最後まで行えなかった可能性があります。"
WRITE_ADVICE = (
    "画面を開き直して結果が反映されているか確かめ、必要ならもう一度行ってください。"
    "問題が続く場合は、エラー番号 {error_id} をシステム管理者（デジタル戦略室）に"
    "お伝えください。"
)
RETRY_TEXT = "もう一度試す"


class FailureNotice(QFrame):
    """The inline notice of an unexpected failure; hidden until :meth:`show_failure`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pageFailureNotice")
        self.setStyleSheet(
            "QFrame#pageFailureNotice { background: #fdecea; border: 1px solid #f5c2c0;"
            " border-radius: 4px; } QLabel { border: none; background: transparent; }"
            f" QLabel#pageFailureHeadline {{ color: {style.ERROR_COLOR}; font-weight: bold; }}"
        )
        self.setAccessibleName("エラーのお知らせ")
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 8, 8, 8)
        texts = QVBoxLayout()
        texts.setSpacing(2)
        self.headline = QLabel("")
        self.headline.setObjectName("pageFailureHeadline")
        self.headline.setWordWrap(True)
        self.advice = QLabel("")
        self.advice.setWordWrap(True)
        self.advice.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        texts.addWidget(self.headline)
        texts.addWidget(self.advice)
        row.addLayout(texts, 1)
        self.retry_button = QPushButton(RETRY_TEXT)
        self.retry_button.setToolTip("同じ読み込みをもう一度行います")
        self.close_button = QPushButton("閉じる")
        self.close_button.clicked.connect(self.hide)
        row.addWidget(self.retry_button, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self.error_id = ""
        self._retry: Callable[[], object] | None = None
        self.retry_button.clicked.connect(self._retry_clicked)
        self.hide()

    def show_failure(self, error_id: str, *, writes: bool,
                     retry: Callable[[], object] | None) -> None:
        """``writes``: the work changes the store (no retry offered: it may have happened)."""
        self.error_id = error_id
        self.headline.setText(WRITE_HEADLINE if writes else READ_HEADLINE)
        advice = WRITE_ADVICE if writes else READ_ADVICE
        self.advice.setText(advice.format(error_id=error_id))
        self._retry = None if writes else retry
        self.retry_button.setVisible(self._retry is not None)
        self.show()

    def text(self) -> str:
        return f"{self.headline.text()}\n{self.advice.text()}"

    def _retry_clicked(self) -> None:
        retry = self._retry
        self.hide()
        if retry is not None:
            retry()


def _find(layout: QLayout, widget: QWidget) -> tuple[QBoxLayout, int] | None:
    """The box layout (at any depth under ``layout``) that holds ``widget``, and its index."""
    for index in range(layout.count()):
        item = layout.itemAt(index)
        if item is None:
            continue
        if item.widget() is widget and isinstance(layout, QBoxLayout):
            return layout, index
        inner = item.layout()
        if inner is not None and (found := _find(inner, widget)) is not None:
            return found
    return None


def place_notice(page: QWidget, near: QWidget | None) -> FailureNotice | None:
    """A notice inside ``page``: right under ``near`` (the task's status line) when it is
    in the page's layout, else under the page's title row (its layout's first item when
    that is a row), else at the top. None when the page has no box layout to hold it."""
    layout = page.layout()
    if not isinstance(layout, QBoxLayout):
        return None
    notice = FailureNotice(page)
    found = _find(layout, near) if near is not None else None
    if found is not None:
        host, index = found
        host.insertWidget(index + 1, notice)
        return notice
    first = layout.itemAt(0) if layout.count() else None
    index = 1 if first is not None and first.layout() is not None else 0
    layout.insertWidget(index, notice)
    return notice
