"""One school's karte, tab by tab: 調査結果 (every cell with n and its interval), 比較 (the
same grade and the same pupils last year), 分布 (the school's histograms against the city's),
伸び, 相関, 基礎情報 and プッシュ型支援. The survey and the group (the school, a grade or a
class) are chosen above the tabs and apply to the first three."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from kernel.date_style import DateStyle
from ui import style
from ui.pupil_tables import RecordsModel
from ui.school_karte.adapt import (
    SCHOOL_LEVEL,
    Level,
    at_level,
    comparison_grid,
    domain_key,
    level_label,
    levels_below,
    results_grid,
    round_label,
)
from ui.school_karte.charts import Trend, TrendChart
from ui.school_karte.distribution import Histogram, HistogramPlot
from ui.school_karte.grid import ResultsModel, results_view, size_columns
from ui.school_karte.growth import GrowthPanel
from ui.school_karte.tables import (
    BASIC_COLUMNS,
    CORRELATION_COLUMNS,
    BasicRow,
    CorrelationRow,
    SupportRow,
    basic_rows,
    correlation_rows,
    plain_table,
    support_columns,
    support_table,
    table_tab,
)
from ui.school_karte.wording import RULE_NOTE, legend_items

if TYPE_CHECKING:
    from toda_desktop.school_karte.models import SchoolKarte, SurveyInfo, SurveyResult

COMPARE_NOTE = ("「前年度の同じ学年」はこの学校の同じ学年（同じ組）の前年度、"
                "「同じ児童生徒の前年度」はいまの児童生徒が前年度に答えた結果で、"
                "それぞれ当時の市の値と比べています。")
DISTRIBUTION_TAB = 2
TABS = ("調査結果", "比較", "分布", "伸び", "相関", "基礎情報", "プッシュ型支援")


def muted(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet(style.MUTED)
    return label


def legend_row() -> QHBoxLayout:
    """The states as chips with mark and words (also what grey print shows)."""
    row = QHBoxLayout()
    row.setSpacing(6)
    for state in legend_items():
        chip = QLabel(f"{state.mark} {state.words}")
        chip.setStyleSheet(f"color: {state.fg}; background: {state.bg}; border: 1px solid"
                           " #c5cbd3; border-radius: 3px; padding: 2px 8px;")
        row.addWidget(chip)
    row.addStretch(1)
    return row


def scrolled(content: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidget(content)
    return area


class SchoolView(QWidget):
    """The tabs of one school's karte; ``show_karte`` fills them."""

    def __init__(self, date_style: DateStyle, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._style = date_style
        self.karte: SchoolKarte | None = None
        self.names: dict[str, str] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        choices = QHBoxLayout()
        self.choices = choices  # the page puts its school list first
        self.survey_combo = QComboBox()
        self.survey_combo.setAccessibleName("調査")
        self.level_combo = QComboBox()
        self.level_combo.setAccessibleName("集団")
        self.round_combo = QComboBox()
        self.round_combo.setAccessibleName("回")
        for text, combo in (("調査:", self.survey_combo), ("集団:", self.level_combo),
                            ("回（比較・分布）:", self.round_combo)):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            choices.addWidget(QLabel(text))
            choices.addWidget(combo)
            choices.addSpacing(10)
        choices.addStretch(1)
        layout.addLayout(choices)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        layout.addWidget(self.tabs, 1)
        self.results_model = ResultsModel(self)
        self.compare_model = ResultsModel(self)
        self.tabs.addTab(self._grid_tab(self.results_model, "調査結果"), TABS[0])
        self.tabs.addTab(self._grid_tab(self.compare_model, "比較", compare=True), TABS[1])
        self.tabs.addTab(self._distribution_tab(), TABS[2])
        self.growth = GrowthPanel()
        self.tabs.addTab(scrolled(self.growth), TABS[3])
        self.tabs.addTab(self._correlation_tab(), TABS[4])
        self.tabs.addTab(self._basic_tab(), TABS[5])
        self.tabs.addTab(self._support_tab(), TABS[6])
        self.tabs.currentChanged.connect(self._tab_changed)
        self.survey_combo.currentIndexChanged.connect(self._survey_chosen)
        self.level_combo.currentIndexChanged.connect(self._redraw)
        self.round_combo.currentIndexChanged.connect(self._redraw)

    # -- tabs ------------------------------------------------------------------------------

    def _tab_changed(self, index: int) -> None:
        """The survey and group apply to the first three tabs, the round to 比較 and 分布:
        elsewhere they are greyed out, so that nobody reads the growth as the chosen class."""
        self.survey_combo.setEnabled(index <= 2)
        self.level_combo.setEnabled(index <= 2)
        self.round_combo.setEnabled(index in (1, 2))
        if index == DISTRIBUTION_TAB and self._distributions_due is not None:
            self._draw_distributions(*self._distributions_due)

    def _grid_tab(self, model: ResultsModel, name: str, *, compare: bool = False) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.setContentsMargins(4, 8, 4, 4)
        layout.setSpacing(4)
        layout.addLayout(legend_row())
        note = muted("")
        layout.addWidget(note)
        view = results_view(model, name)
        layout.addWidget(view, 1)
        if compare:
            self.compare_view, self.compare_note = view, note
        else:
            self.results_view, self.results_note = view, note
        return tab

    def _distribution_tab(self) -> QWidget:
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(4, 8, 4, 8)
        layout.addWidget(muted(
            "平均だけでなく散らばりを見るための図です。児童生徒一人ひとりの肯定的回答の割合を"
            "20%ごとに区切り、その区間に入る児童生徒の割合を示します。棒はこの集団、階段状の点線は"
            "市の同じ学年です。10人未満の集団は描きません。"))
        self.distribution_note = muted("")
        layout.addWidget(self.distribution_note)
        self.histograms = QGridLayout()
        self.histograms.setHorizontalSpacing(18)
        self.histograms.setVerticalSpacing(12)
        layout.addLayout(self.histograms)
        layout.addStretch(1)
        self.histogram_plots: list[HistogramPlot] = []
        self._distributions_due: tuple[list[SurveyResult], SurveyInfo, int] | None = None
        return scrolled(content)

    def _correlation_tab(self) -> QWidget:
        self.correlation_model: RecordsModel[CorrelationRow] = RecordsModel(
            CORRELATION_COLUMNS, self)
        tab, self.correlation_view = table_tab(
            "調査の領域（肯定的回答の割合）と、学力レベルの伸び・欠席率との相関です。相関は"
            "関連の強さを示すだけで、原因と結果を示すものではありません。区間が0をまたぐときは"
            "関連がはっきりしません。10人未満の集団は表示しません。",
            self.correlation_model, "相関", (170, 60, 90, 130, 190, 60, 190))
        return tab

    def _basic_tab(self) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.setContentsMargins(4, 8, 4, 4)
        layout.addWidget(muted("学校基礎情報の年度ごとの推移です（学級数は在籍から数えています）。"))
        self.basic_model: RecordsModel[BasicRow] = RecordsModel(BASIC_COLUMNS, self)
        self.basic_view = plain_table(self.basic_model, "基礎情報",
                                      (120, 110, 90, 90, 110, 160, 120))
        layout.addWidget(self.basic_view)
        charts = QHBoxLayout()
        charts.setSpacing(18)
        self.size_chart = TrendChart("児童生徒数・学級数・教職員数", "人・学級")
        self.rate_chart = TrendChart("就学援助率・特別支援学級在籍率・日本語指導率", "%")
        charts.addWidget(self.size_chart, 1)
        charts.addWidget(self.rate_chart, 1)
        layout.addLayout(charts)
        layout.addStretch(1)
        return scrolled(tab)

    def _support_tab(self) -> QWidget:
        self.support_model: RecordsModel[SupportRow] = RecordsModel(support_columns([]), self)
        tab, self.support_view = table_tab(
            "プッシュ型支援の3基準に当てはまる児童生徒の数、見守りアラート（確認の状況別）と"
            "相談（種別）の月ごとの件数です。児童生徒の名前は表示しません。10人未満の集団は"
            "数を表示しません。",
            self.support_model, "プッシュ型支援の件数", (120, 200))
        return tab

    # -- content ---------------------------------------------------------------------------

    @property
    def survey(self) -> SurveyInfo | None:
        karte = self.karte
        index = self.survey_combo.currentIndex()
        if karte is None or not 0 <= index < len(karte.surveys):
            return None
        return karte.surveys[index]

    @property
    def level(self) -> Level:
        data = self.level_combo.currentData()
        return data if isinstance(data, tuple) else SCHOOL_LEVEL

    def show_karte(self, karte: SchoolKarte, names: dict[str, str],
                   level: Level = SCHOOL_LEVEL) -> None:
        self.karte = karte
        self.names = names
        code = karte.school.code
        chosen = self.survey_combo.currentData()  # kept from school to school
        for combo in (self.survey_combo, self.level_combo):
            combo.blockSignals(True)
            combo.clear()
        for survey in karte.surveys:
            self.survey_combo.addItem(survey.name, survey.code)
        self.survey_combo.setCurrentIndex(max(self.survey_combo.findData(chosen), 0))
        levels = [SCHOOL_LEVEL]
        for grade in levels_below(karte.results, karte.support, code, SCHOOL_LEVEL):
            levels.append(grade)
            levels += levels_below(karte.results, karte.support, code, grade)
        for lv in levels:
            self.level_combo.addItem(("　" if lv[1] else "") + level_label(lv), lv)
        self.level_combo.setCurrentIndex(max(levels.index(level) if level in levels else 0, 0))
        for combo in (self.survey_combo, self.level_combo):
            combo.blockSignals(False)
        self._survey_chosen()
        self.growth.show_growth(karte.growth, names, focus=code, effect=karte.effect)
        self.correlation_model.set_rows(correlation_rows(karte.correlations, karte.surveys,
                                                         karte.school.name))
        basics = basic_rows(karte.basic_info, self._style)
        self.basic_model.set_rows(basics)
        self.basic_view.setFixedHeight(self.basic_view.horizontalHeader().height() + 6
                                       + 26 * max(len(basics), 1))
        years = [row.year for row in basics]
        info = [row.info for row in basics]
        self.size_chart.set_trends(years, [
            Trend("児童生徒数", tuple(None if i.pupils is None else float(i.pupils) for i in info)),
            Trend("学級数", tuple(None if i.classes is None else float(i.classes) for i in info)),
            Trend("教職員数", tuple(None if i.staff is None else float(i.staff) for i in info))])
        self.rate_chart.set_trends(years, [
            Trend("就学援助率", tuple(i.welfare_rate for i in info)),
            Trend("特別支援学級在籍率", tuple(i.special_needs_rate for i in info)),
            Trend("日本語指導率", tuple(i.japanese_support_rate for i in info))])
        headers, rows = support_table(karte.support, [(code, lv) for lv in levels], self._style)
        self.support_model.columns = support_columns(headers)
        self.support_model.set_rows(rows)
        header = self.support_view.horizontalHeader()
        for column in range(2, len(headers) + 2):
            header.resizeSection(column, 92)

    def select_level(self, level: Level) -> None:
        index = self.level_combo.findData(level)
        if index >= 0:
            self.level_combo.setCurrentIndex(index)

    def _survey_chosen(self) -> None:
        survey = self.survey
        self.round_combo.blockSignals(True)
        self.round_combo.clear()
        if survey is not None:
            for n in survey.rounds:
                self.round_combo.addItem(round_label(survey, n), n)
            self.round_combo.setCurrentIndex(len(survey.rounds) - 1)
        self.round_combo.blockSignals(False)
        self._redraw()

    def _results(self) -> list[SurveyResult]:
        karte, survey = self.karte, self.survey
        if karte is None or survey is None:
            return []
        return at_level(karte.results, karte.school.code, survey.code, self.level)

    def _redraw(self) -> None:
        survey = self.survey
        if survey is None:
            self.results_model.set_grid([], [])
            self.compare_model.set_grid([], [])
            self.results_note.setText("この年度の調査結果はありません。")
            self.compare_note.setText("")
            return
        self.results_note.setText(f"{RULE_NOTE}{survey.positive_rule}")
        self.compare_note.setText(f"{COMPARE_NOTE}{RULE_NOTE}")
        results = self._results()
        self.results_model.set_grid(*results_grid(results, survey))
        size_columns(self.results_view)
        round_no = self.round_combo.currentData()
        if not isinstance(round_no, int):
            round_no = survey.rounds[-1] if survey.rounds else 0
        self.compare_model.set_grid(*comparison_grid(results, round_no))
        size_columns(self.compare_view)
        self._draw_distributions(results, survey, round_no)

    def _draw_distributions(self, results: list[SurveyResult], survey: SurveyInfo,
                            round_no: int) -> None:
        """Only when the tab is on screen; plots are kept and reused (making one costs
        about 60 ms of the GUI thread, drawing into it very little)."""
        if self.tabs.currentIndex() != DISTRIBUTION_TAB:
            self._distributions_due = (results, survey, round_no)
            return
        self._distributions_due = None
        chosen = sorted((r for r in results if r.round == round_no and r.item_code is None),
                        key=lambda r: domain_key(r.domain))
        shown = 0
        for r in chosen:
            d = r.distribution
            if d.group is None or d.city is None or r.current.n is None:
                continue
            if shown == len(self.histogram_plots):
                plot = HistogramPlot("", "肯定的回答の割合（児童生徒ごと、%）")
                plot.setMinimumWidth(380)
                plot.plot.setFixedHeight(190)
                plot.note.hide()  # the tab says how to read them, once
                self.histograms.addWidget(plot, shown // 2, shown % 2)
                self.histogram_plots.append(plot)
            plot = self.histogram_plots[shown]
            plot.title_label.setText(r.domain)
            plot.set_histogram(Histogram(d.edges, d.group, d.city, r.current.n, 0))
            plot.show()
            shown += 1
        for plot in self.histogram_plots[shown:]:
            plot.hide()
        missing = len(chosen) - shown
        self.distribution_note.setText(
            f"{level_label(self.level)}・{round_label(survey, round_no)}。" + (
                f"10人未満などで描かない領域が{missing}つあります。" if missing else ""))
        self.distribution_note.setAlignment(Qt.AlignmentFlag.AlignLeft)
