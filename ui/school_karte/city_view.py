"""The city view: every school side by side as small multiples in school-code order, with
drill-down school → grade → class (a path of buttons above the tiles goes back up), and the
city's growth, correlations and push-support counts in tabs beside it.

Tiles of a school's grades and classes come from that school's karte (the page loads it when
a school tile is opened: ``school_opened``); a class tile opens the karte at that class
(``karte_requested``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from kernel.date_style import DateStyle
from ui.pupil_tables import RecordsModel
from ui.school_karte.adapt import (
    SCHOOL_LEVEL,
    Level,
    domains_of,
    group_tiles,
    level_label,
    school_tiles,
)
from ui.school_karte.growth import GrowthPanel
from ui.school_karte.multiples import Multiples
from ui.school_karte.school_view import legend_row, muted, scrolled
from ui.school_karte.tables import (
    CORRELATION_COLUMNS,
    CorrelationRow,
    SupportRow,
    correlation_rows,
    support_columns,
    support_table,
    table_tab,
)

if TYPE_CHECKING:
    from toda_desktop.school_karte.models import CityView, SchoolKarte, SurveyInfo

TABS = ("学校・学年・学級", "伸び（全校）", "相関（全校）", "プッシュ型支援（全校）")


class CityPanel(QWidget):
    school_opened = Signal(str)  # school code: the page loads its karte for the drill-down
    karte_requested = Signal(str, object)  # school code, Level: open the karte there

    def __init__(self, date_style: DateStyle, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._style = date_style
        self.view: CityView | None = None
        self.karte: SchoolKarte | None = None  # the school drilled into
        self.level: Level | None = None  # None: the city (school tiles)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        layout.addWidget(self.tabs, 1)
        self.tabs.addTab(self._tiles_tab(), TABS[0])
        self.growth = GrowthPanel()
        self.tabs.addTab(scrolled(self.growth), TABS[1])
        self.tabs.addTab(self._correlation_tab(), TABS[2])
        self.tabs.addTab(self._support_tab(), TABS[3])

    # -- tabs ------------------------------------------------------------------------------

    def _tiles_tab(self) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.setContentsMargins(4, 8, 4, 4)
        layout.setSpacing(6)
        choices = QHBoxLayout()
        self.survey_combo = QComboBox()
        self.survey_combo.setAccessibleName("調査")
        self.domain_combo = QComboBox()
        self.domain_combo.setAccessibleName("領域")
        for combo in (self.survey_combo, self.domain_combo):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        choices.addWidget(QLabel("調査:"))
        choices.addWidget(self.survey_combo)
        choices.addSpacing(10)
        choices.addWidget(QLabel("領域:"))
        choices.addWidget(self.domain_combo)
        choices.addSpacing(16)
        self.path = QHBoxLayout()
        self.path.setSpacing(4)
        choices.addLayout(self.path)
        choices.addStretch(1)
        self.karte_button = QPushButton("この学校のカルテを開く")
        self.karte_button.clicked.connect(self._open_karte)
        self.karte_button.hide()
        choices.addWidget(self.karte_button)
        layout.addLayout(choices)
        layout.addLayout(legend_row())
        self.hint = muted("")
        layout.addWidget(self.hint)
        self.multiples = Multiples()
        self.multiples.opened.connect(self._tile_opened)
        area = scrolled(self.multiples)
        layout.addWidget(area, 1)
        self.survey_combo.currentIndexChanged.connect(self._survey_chosen)
        self.domain_combo.currentIndexChanged.connect(self._draw_tiles)
        return tab

    def _correlation_tab(self) -> QWidget:
        self.correlation_model: RecordsModel[CorrelationRow] = RecordsModel(
            CORRELATION_COLUMNS, self)
        tab, self.correlation_view = table_tab(
            "市の児童生徒を単位とした相関と、学校を単位とした相関（各校の肯定的回答の割合と伸び・"
            "欠席率）です。学校単位の相関は学校の数が少なく、区間が広くなります。相関は因果を示す"
            "ものではありません。",
            self.correlation_model, "相関（全校）", (170, 60, 90, 130, 190, 60, 190))
        return tab

    def _support_tab(self) -> QWidget:
        self.support_model: RecordsModel[SupportRow] = RecordsModel(support_columns([]), self)
        tab, self.support_view = table_tab(
            "学校・学年ごとのプッシュ型支援の件数です（学校コードの順）。学級ごとの件数は各校の"
            "カルテにあります。10人未満の集団と、差し引きでそれが分かってしまう集団は数を表示しません。",
            self.support_model, "プッシュ型支援の件数（全校）", (190, 200))
        return tab

    # -- content ---------------------------------------------------------------------------

    @property
    def names(self) -> dict[str, str]:
        return {} if self.view is None else {s.code: s.name for s in self.view.schools}

    @property
    def survey(self) -> SurveyInfo | None:
        view = self.view
        index = self.survey_combo.currentIndex()
        if view is None or not 0 <= index < len(view.surveys):
            return None
        return view.surveys[index]

    def show_view(self, view: CityView) -> None:
        chosen = self.survey_combo.currentData()
        self.view = view
        self.karte = None
        self.level = None
        self.survey_combo.blockSignals(True)
        self.survey_combo.clear()
        for survey in view.surveys:
            self.survey_combo.addItem(survey.name, survey.code)
        index = self.survey_combo.findData(chosen)
        self.survey_combo.setCurrentIndex(max(index, 0))
        self.survey_combo.blockSignals(False)
        self._survey_chosen()
        names = self.names
        self.growth.show_growth(view.growth, names)
        self.correlation_model.set_rows(correlation_rows(view.correlations, view.surveys, None))
        groups = []
        for s in view.schools:
            groups.append((s.code, SCHOOL_LEVEL))
            grades = sorted({c.grade for c in view.support
                             if c.school_code == s.code and c.grade is not None})
            groups += [(s.code, (g, None)) for g in grades]
        headers, rows = support_table(view.support, groups, self._style, names)
        self.support_model.columns = support_columns(headers)
        self.support_model.set_rows(rows)
        header = self.support_view.horizontalHeader()
        for column in range(2, len(headers) + 2):
            header.resizeSection(column, 92)

    def show_school(self, karte: SchoolKarte, level: Level = SCHOOL_LEVEL) -> None:
        """Drilled into a school (its grades) or a grade (its classes)."""
        self.karte = karte
        self.level = level
        self._draw_tiles()

    def go_to_city(self) -> None:
        self.karte = None
        self.level = None
        self._draw_tiles()

    def _survey_chosen(self) -> None:
        domain = self.domain_combo.currentText()
        self.domain_combo.blockSignals(True)
        self.domain_combo.clear()
        survey = self.survey
        if survey is not None and self.view is not None:
            self.domain_combo.addItems(domains_of(self.view.results, survey.code))
            index = self.domain_combo.findText(domain)
            self.domain_combo.setCurrentIndex(max(index, 0))
        self.domain_combo.blockSignals(False)
        self._draw_tiles()

    def _draw_tiles(self) -> None:
        view, survey, domain = self.view, self.survey, self.domain_combo.currentText()
        self._draw_path()
        if view is None or survey is None or not domain:
            self.multiples.set_tiles([])
            self.hint.setText("表示できる調査結果がありません。")
            return
        karte, level = self.karte, self.level
        if karte is None or level is None:
            self.multiples.set_tiles(school_tiles(view.schools, view.results, view.support,
                                                  survey, domain))
            self.hint.setText(
                f"{survey.name}・{domain}（領域全体）の肯定的回答の割合を回ごとに示します。"
                "点線は市の値、縦線は95%区間です。学校は学校コードの順です。"
                "学校をクリックすると学年ごと、さらに学級ごとに見られます。")
            return
        code = karte.school.code
        self.multiples.set_tiles(group_tiles(karte.results, karte.support, code, level,
                                             survey, domain))
        where = karte.school.name if level == SCHOOL_LEVEL else (
            f"{karte.school.name} {level_label(level)}")
        below = "学年" if level == SCHOOL_LEVEL else "学級"
        self.hint.setText(
            f"{where}の{below}ごとの{survey.name}・{domain}です。点線は市の同じ学年の値です。"
            + ("学年をクリックすると学級ごとに見られます。" if level == SCHOOL_LEVEL
               else "学級をクリックすると、その学級の学校カルテを開きます。"))

    def _draw_path(self) -> None:
        while self.path.count():
            item = self.path.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        karte, level = self.karte, self.level
        steps: list[tuple[str, Level | None]] = [("市全体", None)]
        if karte is not None and level is not None:
            steps.append((karte.school.name, SCHOOL_LEVEL))
            if level != SCHOOL_LEVEL:
                steps.append((level_label(level), level))
        for i, (text, target) in enumerate(steps):
            if i:
                self.path.addWidget(QLabel("›"))
            if i == len(steps) - 1:
                label = QLabel(f"<b>{text}</b>")
                self.path.addWidget(label)
                continue
            button = QPushButton(text)
            button.setFlat(True)
            button.setStyleSheet("color: #1f5fa8; text-decoration: underline; padding: 2px 4px;")
            button.clicked.connect(lambda _c=False, t=target: self._go_up(t))
            self.path.addWidget(button)
        self.karte_button.setVisible(karte is not None and level is not None)

    def _go_up(self, target: Level | None) -> None:
        if target is None or self.karte is None:
            self.go_to_city()
        else:
            self.show_school(self.karte, target)

    def _tile_opened(self, key: str) -> None:
        karte, level = self.karte, self.level
        if karte is None or level is None:
            self.school_opened.emit(key)
            return
        grade_text, _sep, class_name = key.partition("|")
        target: Level = (int(grade_text), class_name or None)
        if class_name:
            self.karte_requested.emit(karte.school.code, target)
        else:
            self.show_school(karte, target)

    def _open_karte(self) -> None:
        if self.karte is not None:
            self.karte_requested.emit(self.karte.school.code, self.level or SCHOOL_LEVEL)
