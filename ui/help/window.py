"""The manual's window: the topics on the left, the page on the right (offline, bundled).

Links between pages (``[取込](import.md)``) open the other topic in the same window; links
to anything else are not followed (the manual never opens a browser or the network).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ui.help.topics import TOPICS, Topic, topic, topic_for, topic_text

KEY_ROLE = Qt.ItemDataRole.UserRole


class HelpWindow(QDialog):
    """Non-modal: the user reads it beside the page it explains."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("ヘルプ（使い方）")
        self.setModal(False)
        self.resize(860, 600)
        layout = QVBoxLayout(self)
        body = QHBoxLayout()
        self.topic_list = QListWidget()
        self.topic_list.setAccessibleName("ヘルプの項目")
        self.topic_list.setFixedWidth(190)
        self.topic_list.setStyleSheet("QListWidget::item { padding: 5px 8px; }")
        for t in TOPICS:
            item = QListWidgetItem(t.title)
            item.setData(KEY_ROLE, t.key)
            self.topic_list.addItem(item)
        self.browser = QTextBrowser()
        self.browser.setAccessibleName("ヘルプの本文")
        self.browser.setOpenLinks(False)
        self.browser.setOpenExternalLinks(False)
        self.browser.anchorClicked.connect(self._link)
        body.addWidget(self.topic_list)
        body.addWidget(self.browser, 1)
        layout.addLayout(body, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("閉じる")
        buttons.rejected.connect(self.hide)
        layout.addWidget(buttons)
        self.topic_list.currentItemChanged.connect(self._chosen)
        self.shown_key = ""

    def show_topic_for(self, page_title: str | None) -> Topic:
        chosen = topic_for(page_title)
        self.show_topic(chosen.key)
        return chosen

    def show_topic(self, key: str) -> None:
        for row in range(self.topic_list.count()):
            item = self.topic_list.item(row)
            if item is not None and item.data(KEY_ROLE) == key:
                self.topic_list.setCurrentItem(item)
                break
        self._render(key)

    def _chosen(self, item: QListWidgetItem | None, _previous: object = None) -> None:
        if item is not None:
            self._render(str(item.data(KEY_ROLE)))

    def _render(self, key: str) -> None:
        if key == self.shown_key:
            return
        self.shown_key = key
        self.browser.setMarkdown(topic_text(topic(key).key))
        self.browser.verticalScrollBar().setValue(0)

    def _link(self, url: QUrl) -> None:
        name = url.path().rsplit("/", 1)[-1]
        if url.scheme() in ("", "file") and name.endswith(".md"):
            key = name[: -len(".md")]
            if any(t.key == key for t in TOPICS):
                self.show_topic(key)
