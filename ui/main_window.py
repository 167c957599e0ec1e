"""The main window after sign-in: a page list on the left, the current page on the right.

Pages are added by the shell (:mod:`ui.shell`), which builds them with the services they
need; the window itself knows nothing about data. A page may define ``activated()``, called
each time it is shown, to load or refresh lazily, and ``data_changed(kinds)`` (see
:mod:`ui.page`). Pages may be grouped under a section heading (管理). When the session
locks, :meth:`MainWindow.show_lock` takes the whole content out of the window (it is not
merely disabled or covered) and shows the lock screen instead.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QColor, QFont, QKeySequence, QPainter
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QProgressDialog,
    QSizePolicy,
    QStackedWidget,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from toda_desktop.models import SignedInUser, StoreHeader
from ui import style
from ui.branding import window_title
from ui.page import activate, notify_changed

NAV_STYLE = (
    "QListWidget#navigation { background: #f3f5f8; border: none; border-right: 1px solid #d0d7de;"
    " font-size: 11pt; outline: 0; }"
    " QListWidget#navigation::item { padding: 10px 14px; }"
    f" QListWidget#navigation::item:selected {{ background: {style.ACCENT}; color: white; }}"
)
PAGE_ROLE = Qt.ItemDataRole.UserRole + 1
BADGE_ROLE = Qt.ItemDataRole.UserRole + 2
BADGE_COLOR = "#c62828"


class BadgeDelegate(QStyledItemDelegate):
    """Draws an item as usual plus, if it has one, a count in a red pill on the right
    (e.g. the open items of 名寄せ確認)."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        super().paint(painter, option, index)
        badge = index.data(BADGE_ROLE)
        if not badge:
            return
        text = str(badge)
        painter.save()
        font = QFont(option.font)
        font.setBold(True)
        font.setPointSizeF(max(font.pointSizeF() - 1.5, 7))
        painter.setFont(font)
        metrics = painter.fontMetrics()
        width = max(metrics.horizontalAdvance(text) + 12, 22)
        height = metrics.height() + 4
        rect = option.rect
        pill = QRect(rect.right() - width - 10, rect.center().y() - height // 2 + 1, width,
                     height)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(BADGE_COLOR))
        painter.drawRoundedRect(pill, height / 2, height / 2)
        painter.setPen(QColor("white"))
        painter.drawText(pill, int(Qt.AlignmentFlag.AlignCenter), text)
        painter.restore()


class MainWindow(QMainWindow):
    """Shell of the signed-in application; emits requests, the shell acts on them."""

    sign_out_requested = Signal()
    password_change_requested = Signal()
    backup_requested = Signal()
    quit_requested = Signal()

    def __init__(self, session: SignedInUser, header: StoreHeader) -> None:
        super().__init__()
        self._closing_by_shell = False
        self._last_section: str | None = None
        self._content: QWidget | None = None  # the pages while the lock screen is shown
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
        self.navigation.setItemDelegate(BadgeDelegate(self.navigation))
        self.pages = QStackedWidget()
        body.addWidget(self.navigation)
        body.addWidget(self.pages, 1)
        outer.addLayout(body, 1)
        self.setCentralWidget(central)
        self.navigation.currentItemChanged.connect(self._show_page)

        self.sign_out_action = QAction("サインアウト", self)
        self.sign_out_action.setShortcut(QKeySequence("Ctrl+Shift+Q"))
        self.sign_out_action.triggered.connect(self.sign_out_requested)
        quit_action = QAction("終了", self)
        quit_action.triggered.connect(self.close)
        self.password_action = QAction("パスワードの変更…", self)
        self.password_action.triggered.connect(self.password_change_requested)
        # For administrators holding every data key (the shell shows it): issue 13.
        self.backup_action = QAction("バックアップを作成…", self)
        self.backup_action.triggered.connect(self.backup_requested)
        self.backup_action.setVisible(False)
        file_menu = self.menuBar().addMenu("ファイル")
        file_menu.addAction(self.password_action)
        file_menu.addAction(self.backup_action)
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

    def add_page(self, title: str, page: QWidget, section: str | None = None) -> None:
        """Append a page to the navigation, under ``section`` if given (a heading is added
        when the section changes); the first page added is shown first."""
        if section is not None and section != self._last_section:
            heading = QListWidgetItem(section)
            heading.setFlags(Qt.ItemFlag.NoItemFlags)
            font = heading.font()
            font.setBold(True)
            font.setPointSizeF(max(font.pointSizeF() - 1, 8))
            heading.setFont(font)
            heading.setSizeHint(QSize(180, 34))
            self.navigation.addItem(heading)
        self._last_section = section
        index = self.pages.addWidget(page)
        item = QListWidgetItem(("　" if section else "") + title)
        item.setData(PAGE_ROLE, index)
        item.setData(Qt.ItemDataRole.AccessibleTextRole, title)
        item.setSizeHint(QSize(180, 40))
        self.navigation.addItem(item)
        if self.navigation.currentItem() is None:
            self.navigation.setCurrentItem(item)

    def _page_items(self) -> list[QListWidgetItem]:
        items = (self.navigation.item(i) for i in range(self.navigation.count()))
        return [item for item in items if item.data(PAGE_ROLE) is not None]

    def page_widgets(self) -> list[QWidget]:
        """Every page, in the navigation's order."""
        widgets = (self.pages.widget(int(item.data(PAGE_ROLE))) for item in self._page_items())
        return [widget for widget in widgets if widget is not None]

    def data_changed(self, kinds: frozenset[str]) -> None:
        """Tell every page that the store changed in ``kinds`` (while locked the pages
        are off screen, so each reloads when next shown)."""
        notify_changed(self.page_widgets(), kinds)

    def page_titles(self) -> list[str]:
        return [str(item.data(Qt.ItemDataRole.AccessibleTextRole)) for item in self._page_items()]

    def set_badge(self, title: str, count: int, tip: str = "") -> None:
        """Show ``count`` beside a page's name in the navigation (nothing when 0)."""
        for item in self._page_items():
            if item.data(Qt.ItemDataRole.AccessibleTextRole) == title:
                item.setData(BADGE_ROLE, f"{count:,}" if count > 0 else None)
                item.setToolTip(tip if count > 0 else "")
                return

    def badge(self, title: str) -> str | None:
        for item in self._page_items():
            if item.data(Qt.ItemDataRole.AccessibleTextRole) == title:
                value = item.data(BADGE_ROLE)
                return None if value is None else str(value)
        raise KeyError(title)

    def show_page(self, title: str) -> QWidget:
        """Select a page by its title (as the user would click it); returns the page."""
        for item in self._page_items():
            if item.data(Qt.ItemDataRole.AccessibleTextRole) == title:
                self.navigation.setCurrentItem(item)
                page = self.pages.currentWidget()
                assert page is not None
                return page
        raise KeyError(title)

    def _show_page(self, item: QListWidgetItem | None, _previous: object = None) -> None:
        if item is None or item.data(PAGE_ROLE) is None:
            return
        self.pages.setCurrentIndex(int(item.data(PAGE_ROLE)))
        activate(self.pages.currentWidget())

    # -- the lock screen -------------------------------------------------------------------

    @property
    def locked(self) -> bool:
        return self._content is not None

    def show_lock(self, lock_screen: QWidget) -> None:
        """Hide every piece of data: dialogs are closed, the pages leave the window."""
        if self._content is not None:
            return
        for dialog in self.findChildren(QDialog):
            if dialog.isVisible() and not isinstance(dialog, QProgressDialog):
                dialog.reject()
        self._content = self.takeCentralWidget()  # out of the window while locked
        self.setCentralWidget(lock_screen)
        lock_screen.show()  # now, not at the layout's next turn

    def show_content(self) -> None:
        """Back from the lock screen (after the palm was verified again)."""
        content, self._content = self._content, None
        if content is None:
            return
        lock_screen = self.takeCentralWidget()
        self.setCentralWidget(content)
        content.show()
        if lock_screen is not None:
            lock_screen.deleteLater()
        page = self.pages.currentWidget()
        if page is not None:
            page.setFocus()

    def close_from_shell(self) -> None:
        """Close without asking the shell again (after sign-out)."""
        self._closing_by_shell = True
        content, self._content = self._content, None
        if content is not None:
            # Signed out from the lock screen: the pages, taken out of the window, are no
            # longer destroyed with it; free them (and the pupil data in their models) here.
            content.deleteLater()
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._closing_by_shell:
            super().closeEvent(event)
            return
        # Closing the window ends the application; the shell signs out first.
        event.ignore()
        self.quit_requested.emit()
