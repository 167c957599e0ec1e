"""The main window after sign-in: a page list on the left, the current page on the right.

Pages are added by the shell (:mod:`ui.app`), which builds them with the services they need;
the window itself knows nothing about data. A page may define ``activated()``, called each
time it is shown, to load or refresh lazily.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QSizePolicy,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from toda_desktop.models import Session, StoreHeader
from ui import style
from ui.branding import window_title

NAV_STYLE = (
    "QListWidget#navigation { background: #f3f5f8; border: none; border-right: 1px solid #d0d7de;"
    " font-size: 11pt; outline: 0; }"
    " QListWidget#navigation::item { padding: 10px 14px; }"
    f" QListWidget#navigation::item:selected {{ background: {style.ACCENT}; color: white; }}"
)


class MainWindow(QMainWindow):
    """Shell of the signed-in application; emits requests, the shell acts on them."""

    sign_out_requested = Signal()
    quit_requested = Signal()

    def __init__(self, session: Session, header: StoreHeader) -> None:
        super().__init__()
        self._closing_by_shell = False
        self.setWindowTitle(
            window_title(header.kind_label, f"{session.display_name}（{session.role_label}）")
        )
        self.resize(1200, 780)

        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        banner = style.store_kind_banner(header.store_kind, header.kind_label)
        if banner is not None:
            outer.addWidget(banner)
        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        self.navigation = QListWidget()
        self.navigation.setObjectName("navigation")
        self.navigation.setStyleSheet(NAV_STYLE)
        self.navigation.setFixedWidth(200)
        self.navigation.setAccessibleName("メニュー")
        self.pages = QStackedWidget()
        body.addWidget(self.navigation)
        body.addWidget(self.pages, 1)
        outer.addLayout(body, 1)
        self.setCentralWidget(central)
        self.navigation.currentRowChanged.connect(self._show_page)

        self.sign_out_action = QAction("サインアウト", self)
        self.sign_out_action.setShortcut(QKeySequence("Ctrl+Shift+Q"))
        self.sign_out_action.triggered.connect(self.sign_out_requested)
        quit_action = QAction("終了", self)
        quit_action.triggered.connect(self.close)
        file_menu = self.menuBar().addMenu("ファイル")
        file_menu.addAction(self.sign_out_action)
        file_menu.addSeparator()
        file_menu.addAction(quit_action)

        toolbar = QToolBar("ツールバー")
        toolbar.setMovable(False)
        toolbar.setIconSize(QSize(16, 16))
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        toolbar.addWidget(spacer)
        toolbar.addWidget(QLabel(f"{session.display_name} さん　"))
        toolbar.addAction(self.sign_out_action)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)

        status = self.statusBar()
        for text in (
            f"利用者: {session.display_name}",
            f"役割: {session.role_label}",
            f"データベース: {header.kind_label}",
        ):
            label = QLabel(text)
            label.setContentsMargins(8, 0, 8, 0)
            status.addPermanentWidget(label)

    def add_page(self, title: str, page: QWidget) -> None:
        """Append a page to the navigation; the first page added is shown first."""
        self.pages.addWidget(page)
        item = QListWidgetItem(title)
        item.setSizeHint(QSize(180, 40))
        self.navigation.addItem(item)
        if self.navigation.count() == 1:
            self.navigation.setCurrentRow(0)

    def page_titles(self) -> list[str]:
        return [self.navigation.item(i).text() for i in range(self.navigation.count())]

    def _show_page(self, row: int) -> None:
        if row < 0:
            return
        self.pages.setCurrentIndex(row)
        page = self.pages.widget(row)
        activated = getattr(page, "activated", None)
        if callable(activated):
            activated()

    def close_from_shell(self) -> None:
        """Close without asking the shell again (after sign-out)."""
        self._closing_by_shell = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._closing_by_shell:
            super().closeEvent(event)
            return
        # Closing the window ends the application; the shell signs out first.
        event.ignore()
        self.quit_requested.emit()
