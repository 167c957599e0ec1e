"""The main window after sign-in: a page list on the left, the current page on the right.

Pages are added by the shell (:mod:`ui.shell`), which builds them with the services they
need; the window itself knows nothing about data. A page may define ``activated()``, called
each time it is shown, to load or refresh lazily, and ``data_changed(kinds)`` (see
:mod:`ui.page`). Pages may be grouped under a section heading (管理). When the session
locks, :meth:`MainWindow.show_lock` takes the whole content out of the window (it is not
merely disabled or covered) and shows the lock screen instead.

The window never grows past the screen (issue 16): it opens within the screen's available
area, and the pages sit in one scroll area whose size follows only the page in sight, so a
page that fills (見守りアラート) scrolls inside instead of stretching the window. The
menu bar carries the user's name and サインアウト (no toolbar), to leave a laptop's 697
pixels to the pages. Keys: F1 opens the help for the page in sight, Ctrl+F goes to
児童生徒検索, Ctrl+P calls the page's ``print_page()`` (disabled for pages without one),
Ctrl+C in a table copies the selected cells (``ui.table_copy``, logged by the shell).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QColor,
    QFont,
    QKeySequence,
    QPainter,
    QResizeEvent,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QProgressDialog,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from toda_desktop.models import SignedInUser, StoreHeader
from ui import style
from ui.branding import window_title
from ui.help.window import HelpWindow
from ui.page import activate, notify_changed
from ui.table_copy import selected_cells

NAV_STYLE = (
    "QListWidget#navigation { background: #f3f5f8; border: none; border-right: 1px solid #d0d7de;"
    " font-size: 11pt; outline: 0; }"
    " QListWidget#navigation::item { padding: 2px 14px; }"
    f" QListWidget#navigation::item:selected {{ background: {style.ACCENT}; color: white; }}"
)
PAGE_ROLE = Qt.ItemDataRole.UserRole + 1
BADGE_ROLE = Qt.ItemDataRole.UserRole + 2
BADGE_COLOR = "#c62828"
NAV_ITEM_HEIGHT = 32  # rows shrink towards the least when the pages would not fit
NAV_ITEM_LEAST = 21  # (every page of the project lead fits 697 pixels without scrolling)
NAV_HEADING_HEIGHT = 22
DEFAULT_SIZE = QSize(1200, 780)


class CurrentPageStack(QStackedWidget):
    """The pages; its size hints are those of the page in sight only, so a hidden page
    that grew (a filled list) does not make the window (or the scroll area) grow."""

    def __init__(self) -> None:
        super().__init__()
        self.currentChanged.connect(lambda _i: self.updateGeometry())

    def sizeHint(self) -> QSize:
        page = self.currentWidget()
        return page.sizeHint() if page is not None else super().sizeHint()

    def minimumSizeHint(self) -> QSize:
        page = self.currentWidget()
        if page is None:
            return super().minimumSizeHint()
        return page.minimumSizeHint().expandedTo(page.minimumSize())

    def heightForWidth(self, _width: int) -> int:
        """None: the scroll area would take the tallest page's preferred height (the stacked
        layout answers for all pages) as the least, and scroll where the page fits."""
        return -1


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
    copy_requested = Signal(object)  # CopiedCells: the shell logs the copy, then copies

    def __init__(self, session: SignedInUser, header: StoreHeader) -> None:
        super().__init__()
        self._closing_by_shell = False
        self._last_section: str | None = None
        self._content: QWidget | None = None  # the pages while the lock screen is shown
        self.setWindowTitle(
            window_title(header.kind_label, f"{session.display_name}（{session.role_label}）")
        )
        self._search_title: str | None = None
        self.can_print = True  # the shell says whether the role may (``print``)
        self._help: HelpWindow | None = None
        self.resize(fitted_size(DEFAULT_SIZE, self))

        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        banner = style.store_kind_banner(header.store_kind, header.kind_label)
        if banner is not None:  # slim: the pages need the height more than the strip
            banner.setStyleSheet(banner.styleSheet() + " padding: 1px;")
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
        self.pages = CurrentPageStack()
        # A page taller than the room scrolls here as a whole; the window does not grow.
        self.page_scroll = QScrollArea()
        self.page_scroll.setWidgetResizable(True)
        self.page_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.page_scroll.setWidget(self.pages)
        body.addWidget(self.navigation)
        body.addWidget(self.page_scroll, 1)
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
        self.print_action = QAction("印刷…", self)
        self.print_action.setShortcut(QKeySequence.StandardKey.Print)
        self.print_action.setToolTip("表示中の画面を印刷します（印刷できる画面のみ）")
        self.print_action.triggered.connect(self.print_current)
        self.print_action.setEnabled(False)
        file_menu = self.menuBar().addMenu("ファイル(&F)")
        file_menu.addAction(self.print_action)
        file_menu.addSeparator()
        file_menu.addAction(self.password_action)
        file_menu.addAction(self.backup_action)
        file_menu.addAction(self.sign_out_action)
        file_menu.addSeparator()
        file_menu.addAction(quit_action)

        self.copy_action = QAction("表の選択したセルをコピー", self)
        self.copy_action.setShortcut(QKeySequence.StandardKey.Copy)
        self.copy_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.copy_action.triggered.connect(self.copy_cells)
        self.search_action = QAction("児童生徒を検索", self)
        self.search_action.setShortcut(QKeySequence.StandardKey.Find)
        self.search_action.triggered.connect(self.go_to_search)
        self.search_action.setEnabled(False)
        edit_menu = self.menuBar().addMenu("編集(&E)")
        edit_menu.addAction(self.copy_action)
        edit_menu.addAction(self.search_action)

        self.help_action = QAction("この画面の使い方", self)
        self.help_action.setShortcut(QKeySequence.StandardKey.HelpContents)
        self.help_action.triggered.connect(lambda: self.open_help(self.current_title()))
        contents_action = QAction("使い方の目次", self)
        contents_action.triggered.connect(lambda: self.open_help(None))
        help_menu = self.help_menu = self.menuBar().addMenu("ヘルプ(&H)")
        help_menu.addAction(self.help_action)
        help_menu.addAction(contents_action)
        for action in (self.print_action, self.copy_action, self.search_action,
                       self.help_action, self.sign_out_action):
            self.addAction(action)  # the keys work wherever the focus is in the window

        # The user and サインアウト in the menu bar's corner instead of a toolbar row.
        corner = self._corner = QWidget(self)  # (kept: PySide does not keep it alive)
        corner_row = QHBoxLayout(corner)
        corner_row.setContentsMargins(0, 0, 6, 0)
        corner_row.setSpacing(8)
        corner_row.addWidget(QLabel(f"{session.display_name} さん"))
        self.sign_out_button = QPushButton("サインアウト")
        self.sign_out_button.setToolTip("サインアウト（Ctrl+Shift+Q）")
        self.sign_out_button.setFlat(True)
        self.sign_out_button.clicked.connect(self.sign_out_action.trigger)
        corner_row.addWidget(self.sign_out_button)
        self.menuBar().setCornerWidget(corner, Qt.Corner.TopRightCorner)

        status = self.statusBar()
        for text in (
            f"利用者: {session.display_name}",
            f"役割: {session.role_label}",
            f"データベース: {header.kind_label}",
        ):
            label = QLabel(text)
            label.setContentsMargins(8, 0, 8, 0)
            status.addPermanentWidget(label)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_navigation()

    def _fit_navigation(self) -> None:
        """Menu rows as tall as NAV_ITEM_HEIGHT, lower (to NAV_ITEM_LEAST) when every page
        would not fit otherwise: the menu does not scroll on a laptop."""
        items = [self.navigation.item(i) for i in range(self.navigation.count())]
        pages = [i for i in items if i is not None and i.data(PAGE_ROLE) is not None]
        headings = len(items) - len(pages)
        if not pages:
            return
        room = self.navigation.viewport().height() - headings * NAV_HEADING_HEIGHT - 8
        height = max(NAV_ITEM_LEAST, min(NAV_ITEM_HEIGHT, room // len(pages)))
        for item in pages:
            if item.sizeHint().height() != height:
                item.setSizeHint(QSize(180, height))

    def showEvent(self, event: QShowEvent) -> None:
        """ヘルプ stays the last menu (the shell may add menus after the window is built)."""
        bar, help_action = self.menuBar(), self.help_menu.menuAction()
        if bar.actions() and bar.actions()[-1] is not help_action:
            bar.removeAction(help_action)
            bar.addAction(help_action)
        super().showEvent(event)

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
            heading.setSizeHint(QSize(180, NAV_HEADING_HEIGHT))
            self.navigation.addItem(heading)
        self._last_section = section
        index = self.pages.addWidget(page)
        item = QListWidgetItem(("　" if section else "") + title)
        item.setData(PAGE_ROLE, index)
        item.setData(Qt.ItemDataRole.AccessibleTextRole, title)
        item.setSizeHint(QSize(180, NAV_ITEM_HEIGHT))
        self.navigation.addItem(item)
        if self.navigation.currentItem() is None:
            self.navigation.setCurrentItem(item)
        self._fit_navigation()

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
        self.page_scroll.verticalScrollBar().setValue(0)
        self.print_action.setEnabled(self.current_print() is not None)
        activate(self.pages.currentWidget())

    def current_title(self) -> str | None:
        item = self.navigation.currentItem()
        if item is None or item.data(PAGE_ROLE) is None:
            return None
        return str(item.data(Qt.ItemDataRole.AccessibleTextRole))

    # -- keys: print, search, copy, help ---------------------------------------------------

    def set_can_print(self, allowed: bool) -> None:
        """Without ``print`` the pages' print_page() does nothing: Ctrl+P stays disabled."""
        self.can_print = allowed
        self.print_action.setEnabled(self.current_print() is not None)

    def current_print(self) -> Callable[[], None] | None:
        """The page in sight's ``print_page`` (the print contract), if it has one and the
        role may print."""
        if not self.can_print:
            return None
        page = self.pages.currentWidget()
        action = getattr(page, "print_page", None)
        return action if callable(action) else None

    def print_current(self) -> None:
        action = self.current_print()
        if action is not None and not self.locked:
            action()

    def set_search_page(self, title: str) -> None:
        """The page Ctrl+F goes to (the shell names 児童生徒検索 when the role has it)."""
        self._search_title = title
        self.search_action.setEnabled(True)

    def go_to_search(self) -> None:
        if self._search_title is None or self.locked:
            return
        page = self.show_page(self._search_title)
        edit = getattr(page, "query_edit", None)
        if isinstance(edit, QLineEdit):
            edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
            edit.selectAll()

    def copy_cells(self) -> None:
        """Ctrl+C: the focused table's selected cells as they are shown; the shell logs the
        copy and puts them on the clipboard. In a text field, the field copies as usual."""
        focus = QApplication.focusWidget()
        if not isinstance(focus, QAbstractItemView):
            copy = getattr(focus, "copy", None)  # a text field that let the key through
            if callable(copy):
                copy()
            return
        if self.locked or focus is self.navigation:  # (the menu holds no data)
            return
        cells = selected_cells(focus, self.current_title() or "")
        if cells is not None:
            self.copy_requested.emit(cells)

    def open_help(self, page_title: str | None) -> HelpWindow:
        """The manual beside the window (offline, bundled): the page's topic or the contents."""
        if self._help is None:
            self._help = HelpWindow(self)
        self._help.show_topic_for(page_title)
        self._help.show()
        self._help.raise_()
        return self._help

    # -- the lock screen -------------------------------------------------------------------

    @property
    def locked(self) -> bool:
        return self._content is not None

    def show_lock(self, lock_screen: QWidget) -> None:
        """Hide every piece of data: dialogs are closed, the pages leave the window."""
        if self._content is not None:
            return
        if self._help is not None:  # (no data in it, but the lock screen stands alone)
            self._help.hide()
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


def fitted_size(wanted: QSize, widget: QWidget) -> QSize:
    """``wanted`` within the available area of the widget's screen (less the frame)."""
    screen = widget.screen() or QApplication.primaryScreen()
    if screen is None:
        return wanted
    room = screen.availableGeometry().size() - QSize(16, 40)  # the frame and title bar
    return wanted.boundedTo(room)
