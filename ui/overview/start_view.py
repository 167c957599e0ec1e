"""データ概要's first tab, 「今日の確認」: the start of the day for the signed-in role.

Renders a :class:`DayStart` (typed values from ``toda_desktop.overview``) in the user's date
style; a part that is ``None`` is a part the role does not see, and its card is left out.
A card whose page the role has offers a button to open it (``open_requested``: its title).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kernel.date_style import DateStyle
from kernel.school_calendar import SchoolMonth
from toda_desktop.formatting import (
    format_count,
    format_datetime,
    format_month,
    format_percent,
    format_school_year,
)
from toda_desktop.overview.day import AbsenceTrend, DayStart, SinceLastSignIn
from ui import style

ALERTS_PAGE = "見守りアラート"
REVIEW_PAGE = "名寄せ確認"
SCHEDULE_PAGE = "支援の予定"  # ui.cases' page (feature homes do not import each other)
HISTORY_PAGE = "取込履歴"
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
COLUMNS = 3  # of the small cards


def _card(title: str) -> tuple[QFrame, QVBoxLayout]:
    card = QFrame()
    card.setObjectName("infoCard")
    card.setStyleSheet(style.CARD)
    layout = QVBoxLayout(card)
    layout.setContentsMargins(14, 8, 14, 8)
    layout.setSpacing(4)
    heading = QLabel(title)
    heading.setStyleSheet(style.SECTION_TITLE)
    layout.addWidget(heading)
    return card, layout


def _text(text: str = "", css: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if css:
        label.setStyleSheet(css)
    return label


def _headline(text: str = "") -> QLabel:
    return _text(text, "font-size: 14pt; font-weight: bold;")


def since_lines(since: SinceLastSignIn | None, first: bool) -> list[str]:
    """What changed since the last sign-in, one line per kind of change."""
    if since is None:
        return ["今回が初めてのサインインです。"] if first else []
    lines = [f"取込: {item.label} {format_count(item.batches)}回"
             f"（{format_count(item.rows)}件）" for item in since.imports]
    if since.lists_made:
        lines.append(f"見守りアラートの一覧: {format_count(since.lists_made)}か月分を作成")
    if since.marks:
        lines.append(f"見守りアラートへの記入: {format_count(since.marks)}件")
    return lines or ["前回のサインインのあと、取込や一覧の作成はありません。"]


def absence_headline(trend: AbsenceTrend, date_style: DateStyle) -> tuple[str, str]:
    """(headline, detail) of the city's absence this year against last year."""
    year = format_school_year(trend.school_year, date_style)
    months = [m for m in trend.months if m.this_year is not None]
    span = ""
    if months:
        first = SchoolMonth.of(trend.school_year, months[0].offset).month
        last = SchoolMonth.of(trend.school_year, months[-1].offset).month
        span = f"{first}月〜{last}月" if first != last else f"{first}月"
    head = f"{year}（{span}）の欠席率 {format_percent(trend.this_year)}"
    if trend.last_year is None or trend.this_year is None:
        return head, "前年度の同じ時期のデータはありません。"
    diff = (trend.this_year - trend.last_year) * 100
    if abs(diff) < 0.05:
        how = "前年度とほぼ同じです"
    else:
        how = f"前年度より {abs(diff):.1f}ポイント{'高い' if diff > 0 else '低い'}です"
    return head, (f"前年度の同じ時期は {format_percent(trend.last_year)}。{how}"
                  "（市全体の欠席日数 ÷ 授業日数。病気による欠席も含みます）。")


class StartOfDayView(QWidget):
    """The cards of the start of the day; ``show_day`` fills them."""

    open_requested = Signal(str)  # the title of the page to open

    def __init__(self, date_style: DateStyle, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._style = date_style
        self.day: DayStart | None = None
        self._open: dict[str, QPushButton] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 8, 4, 4)
        layout.setSpacing(10)
        self.greeting = _text("読み込んでいます…", "font-size: 12pt;")
        self.greeting.setAccessibleName("前回のサインイン")
        layout.addWidget(self.greeting)
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(12)
        layout.addLayout(grid)
        layout.addStretch(1)

        self.since_card, lay = _card("前回のサインインから")
        self.since_label = _text()
        lay.addWidget(self.since_label)
        lay.addStretch(1)

        self.alerts_card, lay = _card("見守りアラート")
        self.alerts_headline = _headline()
        self.alerts_detail = _text(css=style.MUTED)
        lay.addWidget(self.alerts_headline)
        lay.addWidget(self.alerts_detail)
        lay.addStretch(1)
        lay.addLayout(self._open_button("一覧を開く", ALERTS_PAGE))

        self.review_card, lay = _card("名寄せ確認")
        self.review_headline = _headline()
        self.review_detail = _text(css=style.MUTED)
        lay.addWidget(self.review_headline)
        lay.addWidget(self.review_detail)
        lay.addStretch(1)
        lay.addLayout(self._open_button("名寄せ確認を開く", REVIEW_PAGE))

        self.reviews_due_card, lay = _card("支援の見直し")
        self.reviews_due_headline = _headline()
        self.reviews_due_detail = _text("見直しの時期が来た支援計画の数です。", style.MUTED)
        lay.addWidget(self.reviews_due_headline)
        lay.addWidget(self.reviews_due_detail)
        lay.addStretch(1)
        lay.addLayout(self._open_button("支援の予定を開く", SCHEDULE_PAGE))

        self.absence_card, lay = _card("欠席の傾向（市全体）")
        self.absence_headline = _headline()
        self.absence_detail = _text(css=style.MUTED)
        self.absence_table = QTableWidget(2, 0)
        self.absence_table.setAccessibleName("月ごとの欠席率")
        self.absence_table.setVerticalHeaderLabels(["今年度", "前年度"])
        self.absence_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.absence_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.absence_table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.absence_table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.absence_table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.Stretch)
        self.absence_table.horizontalHeader().setMinimumSectionSize(52)
        lay.addWidget(self.absence_headline)
        lay.addWidget(self.absence_detail)
        lay.addWidget(self.absence_table)

        self.imports_card, lay = _card("最近の取込")
        self.imports_label = _text()
        lay.addWidget(self.imports_label)
        lay.addStretch(1)
        self.history_row = self._open_button("取込履歴を開く", HISTORY_PAGE)
        lay.addLayout(self.history_row)

        self._grid = grid
        self._cards = (self.since_card, self.alerts_card, self.review_card,
                       self.reviews_due_card, self.absence_card, self.imports_card)
        for card in self._cards:
            card.hide()

    def _open_button(self, text: str, title: str) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addStretch(1)
        button = QPushButton(text)
        button.clicked.connect(lambda: self.open_requested.emit(title))
        self._open[title] = button
        row.addWidget(button)
        return row

    def open_buttons(self) -> dict[str, QPushButton]:
        """「…を開く」 by the title of the page it opens."""
        return dict(self._open)

    def set_pages(self, titles: set[str]) -> None:
        """Offer 「…を開く」 only for the pages the main window has."""
        for title, button in self.open_buttons().items():
            button.setVisible(title in titles)

    def show_day(self, day: DayStart) -> None:
        self.day = day
        style_ = self._style
        if day.last_sign_in is None:
            self.greeting.setText(f"{day.display_name}さん、ようこそ。")
        else:
            self.greeting.setText(
                f"{day.display_name}さん、前回のサインインは"
                f" {format_datetime(day.last_sign_in, style_)} でした。")
        self.since_label.setText("\n".join(since_lines(day.since, day.last_sign_in is None)))

        if day.alerts is not None:
            alerts = day.alerts
            self.alerts_headline.setText(
                f"まだ記入のない児童生徒 {format_count(alerts.unmarked)}人")
            self.alerts_detail.setText(
                f"{format_month(alerts.month, style_)}の一覧（各校5人、計"
                f" {format_count(alerts.listed)}人）のうち、確認の記入がまだの人数です。")
        elif day.may_see_alerts:
            self.alerts_headline.setText("一覧はまだありません")
            self.alerts_detail.setText("月ごとの一覧が作られると、ここに記入の状況が出ます。")
        if day.review_waiting is not None:
            self.review_headline.setText(f"確認待ち {format_count(day.review_waiting)}件")
            self.review_detail.setText(
                "取込で同じ人か決めきれなかった行です。" if day.review_waiting
                else "確認を待っている行はありません。")
        if day.reviews_due is not None:
            self.reviews_due_headline.setText(f"見直し時期 {format_count(day.reviews_due)}件")
        if day.absence is not None:
            head, detail = absence_headline(day.absence, style_)
            self.absence_headline.setText(head)
            self.absence_detail.setText(detail)
            self._fill_absence(day.absence)
        self.imports_label.setText(self._imports_text(day))
        self._place_cards(day)

    def _imports_text(self, day: DayStart) -> str:
        if not day.recent_imports:
            return "取込はまだありません。"
        lines = []
        hidden = [item for item in day.recent_imports if item.rows is None]
        for item in day.recent_imports:
            if item.rows is not None:
                lines.append(f"{format_datetime(item.at, self._style)}　{item.kind_label} "
                             f"{format_count(item.rows)}件（{item.imported_by}）")
        if hidden:  # one line, not one per import the role may not see
            latest = format_datetime(max(item.at for item in hidden), self._style)
            lines.append(f"{'ほかに' if lines else ''}担当外のデータの取込が"
                         f"{format_count(len(hidden))}件あります（最新 {latest}。種類・件数・"
                         "取込者は表示しません）。")
        return "\n".join(lines)

    def _fill_absence(self, trend: AbsenceTrend) -> None:
        table = self.absence_table
        table.setColumnCount(len(trend.months))
        table.setHorizontalHeaderLabels(
            [f"{SchoolMonth.of(trend.school_year, m.offset).month}月" for m in trend.months])
        for col, month in enumerate(trend.months):
            for row, value in enumerate((month.this_year, month.last_year)):
                item = QTableWidgetItem(format_percent(value))
                item.setTextAlignment(_RIGHT)
                table.setItem(row, col, item)
        table.resizeRowsToContents()
        height = (table.horizontalHeader().sizeHint().height()
                  + table.verticalHeader().length() + 2 * table.frameWidth())
        table.setFixedHeight(height)
        table.setVisible(bool(trend.months))

    def _place_cards(self, day: DayStart) -> None:
        """Three columns of the cards the role sees (so that they fit 1366×697 without
        scrolling, issue 16); the absence trend across all of them, 最近の取込 (long lines)
        across the rest of the last row, or a row of its own when one column is left."""
        for card in self._cards:
            self._grid.removeWidget(card)
            card.hide()
        small = [self.since_card]
        if day.may_see_alerts:
            small.append(self.alerts_card)
        if day.review_waiting is not None:
            small.append(self.review_card)
        if day.reviews_due is not None:
            small.append(self.reviews_due_card)
        row = 0
        if day.absence is not None:
            self._grid.addWidget(self.absence_card, 0, 0, 1, COLUMNS)
            self.absence_card.show()
            row = 1
        for i, card in enumerate(small):
            self._grid.addWidget(card, row + i // COLUMNS, i % COLUMNS)
            card.show()
        used = len(small) % COLUMNS
        last_row = row + (len(small) - 1) // COLUMNS
        if used == 0 or COLUMNS - used < 2:
            self._grid.addWidget(self.imports_card, last_row + 1, 0, 1, COLUMNS)
        else:
            self._grid.addWidget(self.imports_card, last_row, used, 1, COLUMNS - used)
        self.imports_card.show()
        for column in range(COLUMNS):
            self._grid.setColumnStretch(column, 1)

    def visible_cards(self) -> list[str]:
        """The titles of the cards shown (for tests and the smoke run)."""
        out = []
        for card in self._cards:
            if card.isVisibleTo(self):
                heading = card.findChild(QLabel)
                out.append(heading.text() if heading is not None else "")
        return out
