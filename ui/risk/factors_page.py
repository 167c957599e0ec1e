"""要因分析 (roles with ``analysis``): how absence goes with survey domains and academic level.

For each candidate factor: a single regression (the factor alone) and a post-double-selection
(double lasso) estimate controlling for the other factors, grade, school and the adjustment
attributes, each with its 95% interval — as a table and a forest plot — and the service's
plain-language caution that these are associations, not causes. Results are for the city's
policy thinking, never for judging a child. The first tab (issue 16) says what was found in
words — 「授業日100日あたり約◯日」 — for 室長 and 課長; the estimates, intervals and forest
plot are on the second tab for analysts, and a 用語集 explains 単回帰, ダブルLASSO and 95%区間.

The analysis reads a year of the city's data (seconds to minutes), so it runs only when
「分析する」 is pressed. Its report is kept per data version: opening the page (or choosing a
year) shows the last analysis of that year at once, with when it was computed, as long as
the data have not changed since. The analysis runs on the analysis worker (so reading on
other pages does not queue behind it), with its progress and 中止 on the page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QLabel,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from kernel.date_style import DateStyle
from toda_desktop.formatting import format_count, format_datetime
from ui import style
from ui.background import BackgroundRunner
from ui.page import datasets_changed
from ui.page_header import PageHeader, ProgressStrip, StatusLine
from ui.page_task import PageTask
from ui.risk.charts import ForestPlot, ForestRow
from ui.risk.common import (
    Column,
    RecordsModel,
    fit_height,
    make_table,
    muted,
    year_label,
)
from ui.risk.glossary import glossary_view, tip_for_text

if TYPE_CHECKING:
    from analysis.factors import FactorReport, FactorResult
    from toda_desktop.risk.factor_reports import KeptFactors

    Kept = Callable[[int | None], KeptFactors | None]

RUN = "分析する"
RUN_AGAIN = "分析し直す"
NOT_YET = ("{year}について、今のデータでの分析結果はまだありません。「分析する」を押すと分析します"
           "（市全体の1年分のデータを読むため、数十秒から数分かかります）。")
COMPUTED = "この結果は{at}に分析したものです（そのあとデータは変わっていません）。"

DOMAIN_NAMES = {"家庭": "家庭", "学習": "学習", "教師関係": "教師との関係",
                "友人関係": "友人との関係", "生活": "生活", "自己肯定感": "自己肯定感"}
CONTROL_NAMES = {"grade": "学年", "school_code": "学校", "female": "性別",
                 "special_needs_class": "特別支援学級", "japanese_support": "日本語指導",
                 "academic": "学力"}


def control_name(name: str) -> str:
    """A control of the double lasso in plain Japanese (one-hot columns by their variable)."""
    base = name.removesuffix(":欠測")
    missing = "（未回答）" if base != name else ""
    if base.startswith("survey:"):
        domain = base.split(":", 1)[1]
        return f"調査「{DOMAIN_NAMES.get(domain, domain)}」{missing}"
    for key, label in CONTROL_NAMES.items():
        if base == key or base.startswith(key + "_"):
            return label + missing
    return base


def control_summary(names: Sequence[str]) -> str:
    seen: list[str] = []
    for name in names:
        label = control_name(name)
        if label not in seen:
            seen.append(label)
    return "、".join(seen) if seen else "なし"


def short_label(label: str) -> str:
    """「調査「友人との関係」の肯定的回答」 → 「友人との関係（調査）」 for the chart's axis."""
    if label.startswith("調査「") and "」" in label:
        return label[3 : label.index("」")] + "（調査）"
    return label.split("（", 1)[0]


def estimate_text(coef: float, lo: float, hi: float) -> str:
    return f"{coef:+.2f}（{lo:+.2f}〜{hi:+.2f}）"


@dataclass(frozen=True)
class FactorRow:
    label: str
    unit: str
    n: int
    single: tuple[float, float, float]
    adjusted: tuple[float, float, float]
    controls: str
    text: str

    @property
    def clear(self) -> bool:
        _c, lo, hi = self.adjusted
        return lo > 0 or hi < 0


@dataclass(frozen=True)
class FactorView:
    school_year: int
    outcome: str
    n: int
    caution: str
    rows: list[FactorRow]
    computed_at: datetime | None = None


def factor_view(kept: KeptFactors, describe: Callable[[FactorReport], Sequence[str]]
                ) -> FactorView:
    report = kept.report
    return FactorView(report.school_year, report.outcome, report.n, report.caution,
                      factor_rows(report, describe(report)), kept.computed_at)


def factor_rows(report: FactorReport, texts: Sequence[str]) -> list[FactorRow]:
    def est(e: Any) -> tuple[float, float, float]:
        return float(e.coef), float(e.lo), float(e.hi)

    results: Sequence[FactorResult] = report.results
    return [FactorRow(r.label, r.unit, r.n, est(r.single), est(r.adjusted),
                      control_summary(r.controls_selected), text)
            for r, text in zip(results, texts, strict=True)]


def service_texts(report: FactorReport) -> list[str]:
    """The service's plain-Japanese sentence per factor (same order as the results)."""
    from toda_desktop.risk import RiskService

    return [str(r["text"]) for r in RiskService.factor_report_json(report)["results"]]


def plain_findings(rows: Sequence[FactorRow]) -> list[str]:
    """What the analysis found, in words: the factors with a clear association (after the
    other factors are taken into account) as days per 100 school days, then those without."""
    lines = []
    unclear = []
    for row in rows:
        coef = row.adjusted[0]
        if not row.clear:
            unclear.append(short_label(row.label))
            continue
        how = "多い" if coef > 0 else "少ない"
        lines.append(f"{row.label}が{row.unit}高い児童生徒ほど、欠席が{how}傾向がはっきり"
                     f"見られました（授業日100日あたり約{abs(coef):.1f}日）。")
    if unclear:
        lines.append("次の要因は、欠席との関連がはっきりしませんでした: "
                     + "、".join(unclear) + "。")
    if not lines:
        lines.append("分析できる要因がありませんでした（回答のある人数が足りません）。")
    return lines


FACTOR_COLUMNS: list[Column[FactorRow]] = [
    Column("要因", lambda r: r.label, tooltip=lambda r: r.text),
    Column("単位", lambda r: r.unit),
    Column("人数", lambda r: format_count(r.n), sort=lambda r: r.n, right=True),
    Column("単回帰（95%区間）", lambda r: estimate_text(*r.single), sort=lambda r: r.single[0],
           right=True, tooltip=lambda r: tip_for_text("単回帰 95%区間")),
    Column("ダブルLASSO（95%区間）", lambda r: estimate_text(*r.adjusted),
           sort=lambda r: r.adjusted[0], right=True,
           color=lambda r: None if r.clear else style.MUTED_COLOR,
           tooltip=lambda r: f"{r.text}\n\n{tip_for_text('ダブルLASSO')}"),
    Column("調整に選ばれた変数", lambda r: r.controls, tooltip=lambda r: r.controls),
]


PLAIN_TAB = "わかりやすい説明"
DETAILS_TAB = "詳しい結果"
GLOSSARY_TERMS = ("関連", "単回帰", "ダブルLASSO", "95%区間")


def _scrolled(content: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidget(content)
    return area


class FactorsPage(QWidget):
    """The 要因分析 page. ``shown`` fires when a report is displayed, ``checked`` when the
    page has looked for a kept report of the chosen year (found or not)."""

    shown = Signal()
    checked = Signal()

    def __init__(
        self,
        factor_analysis: Callable[..., KeptFactors],
        school_years: Callable[[], list[int]],
        runner: BackgroundRunner,
        date_style: DateStyle,
        *,
        kept: Kept | None = None,
        analysis_runner: BackgroundRunner | None = None,
        describe: Callable[[FactorReport], Sequence[str]] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """``factor_analysis(year, progress=, cancel=)`` runs and keeps the analysis;
        ``kept(year)`` gives the year's kept report if the data have not changed since.
        The analysis runs on ``analysis_runner`` when given, so that other pages' reading
        does not queue behind it."""
        super().__init__(parent)
        self._analyse = factor_analysis
        self._kept = kept
        self._describe = describe or service_texts
        self._school_years = school_years
        self._style = date_style
        self._years_loaded = False
        self.view: FactorView | None = None

        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 0, 24, 12)
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(0, 20, 0, 4)
        layout.setSpacing(10)
        title_row = PageHeader("要因分析", spacing=16)
        self.year_combo = QComboBox()
        self.year_combo.setMinimumWidth(120)
        self.year_combo.setAccessibleName("年度")
        self.year_combo.activated.connect(lambda _i: self.look_up())
        title_row.add_lead(QLabel("年度:"), self.year_combo)
        self.run_button = QPushButton(RUN)
        self.run_button.setToolTip("選んだ年度のデータで要因分析をします（数十秒から数分かかります）")
        self.run_button.clicked.connect(self.analyse)
        title_row.add_action(self.run_button)
        layout.addLayout(title_row)

        self.caution_label = QLabel("")
        self.caution_label.setWordWrap(True)
        self.caution_label.setStyleSheet(style.NOTICE_TEXT)
        self.caution_label.setAccessibleName("結果を読むときの注意")
        self.caution_label.hide()
        layout.addWidget(self.caution_label)
        self.summary_label = muted("")
        layout.addWidget(self.summary_label)
        self.computed_label = muted("")
        self.computed_label.setAccessibleName("分析した日時")
        self.computed_label.hide()
        layout.addWidget(self.computed_label)
        self.progress = ProgressStrip()
        layout.addWidget(self.progress)
        self.status_line = StatusLine()
        layout.addWidget(self.status_line)
        self.look_task = PageTask(self, runner, "前回の要因分析を確かめています…",
                                  status=self.status_line, progress_dialog=False)
        # The analysis keeps its report: one that finished although 中止 came too late is
        # kept all the same, so it is shown.
        self.analysis_task = PageTask(self, analysis_runner or runner, "要因分析をしています…",
                                      status=self.status_line, strip=self.progress,
                                      writes=True)
        for task in (self.look_task, self.analysis_task):
            task.started.connect(self._update_buttons)
            task.ended.connect(self._update_buttons)

        # 「わかりやすい説明」: what was found, in words (issue 16).
        plain = QWidget()
        plain_layout = QVBoxLayout(plain)
        plain_layout.setContentsMargins(8, 12, 8, 12)
        plain_layout.setSpacing(8)
        self.plain_label = QLabel("")
        self.plain_label.setWordWrap(True)
        self.plain_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.plain_label.setStyleSheet("font-size: 11pt;")
        self.plain_label.setAccessibleName("分析の結果（わかりやすい説明）")
        plain_layout.addWidget(self.plain_label)
        plain_layout.addWidget(muted(
            "「はっきり見られた」は、ほかの要因（学年、学校、調査のほかの領域など）の影響を"
            "差し引いても、偶然とは考えにくい関連があったことを示します。数値と区間、図は"
            "「詳しい結果」タブ（分析担当の方向け）に、言葉の意味は「用語集」にあります。"))
        plain_layout.addStretch(1)

        details = QWidget()
        details_layout = QVBoxLayout(details)
        details_layout.setContentsMargins(4, 10, 4, 10)
        self.model: RecordsModel[FactorRow] = RecordsModel(FACTOR_COLUMNS, self)
        self.table = make_table(self.model, "要因ごとの推定値", (250, 80, 60, 170, 190))
        self.table.selectionModel().selectionChanged.connect(self._row_changed)
        details_layout.addWidget(self.table)
        self.reading_label = QLabel("")
        self.reading_label.setWordWrap(True)
        self.reading_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reading_label.setStyleSheet("padding: 4px 2px;")
        details_layout.addWidget(self.reading_label)
        self.chart = ForestPlot()
        details_layout.addWidget(self.chart)
        for widget in (self.table, self.chart):  # until there is a report to show
            widget.hide()
        details_layout.addWidget(muted(
            "単回帰: その要因だけを見た関連。ダブルLASSO: ほかの要因（調査のほかの領域、学力、"
            "学年、学校、性別、特別支援学級、日本語指導）のうち関係の強いものを統計的に選んで"
            "調整した関連です。区間が0をまたぐ要因は、関連がはっきりしません（表では灰色）。"))
        details_layout.addStretch(1)
        outer.addWidget(content)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(_scrolled(plain), PLAIN_TAB)
        self.scroll_area = _scrolled(details)
        self.tabs.addTab(self.scroll_area, DETAILS_TAB)
        self.tabs.setTabToolTip(1, "分析担当の方向けの詳しい結果です。言葉の意味は「用語集」に"
                                   "あります。")
        self.tabs.addTab(glossary_view(GLOSSARY_TERMS), "用語集")
        outer.addWidget(self.tabs, 1)
        self._update_buttons()

    # -- loading ---------------------------------------------------------------------------

    @property
    def _loading(self) -> bool:
        return self.look_task.running or self.analysis_task.running

    @property
    def busy(self) -> bool:
        return self._loading

    @property
    def loaded(self) -> bool:
        return self.view is not None

    def activated(self) -> None:
        """On opening the page: the years, and the chosen (at first the latest) year's kept
        report if the data have not changed since; the analysis runs only on 「分析する」."""
        if not self._loading:
            self.look_up()

    def data_changed(self, kinds: frozenset[str]) -> None:
        """An import or a rollback: the report shown is of older data, and a year may have
        come. Looked up again now if in sight (else on showing, as always)."""
        if datasets_changed(kinds) and self.isVisible() and not self._loading:
            self.look_up()

    def chosen_year(self) -> int | None:
        data = self.year_combo.currentData()
        return None if data is None else int(data)

    def select_year(self, year: int) -> None:
        index = self.year_combo.findData(year)
        if index >= 0:
            self.year_combo.setCurrentIndex(index)

    def look_up(self) -> None:
        """Show the chosen year's kept report, or say how to get one (quick: no analysis)."""
        if self._loading:
            return
        self.status_line.clear_message()
        kept_of, describe, years_of = self._kept, self._describe, self._school_years
        year = self.chosen_year()

        def task(_ctx: Any) -> tuple[list[int] | None, int | None, FactorView | None]:
            years = years_of()  # an import may have added one
            asked = year if year in years else max(years) if years else None
            kept = None if kept_of is None or asked is None else kept_of(asked)
            return years, asked, None if kept is None else factor_view(kept, describe)

        self.look_task.run(task, self._looked_up)

    def analyse(self) -> None:
        """Run the analysis of the chosen year (the latest at first) and keep it."""
        if self._loading:
            return
        self.status_line.clear_message()
        analyse, describe, years_of = self._analyse, self._describe, self._school_years
        year = self.chosen_year()
        need_years = not self._years_loaded

        def task(ctx: Any) -> tuple[list[int] | None, FactorView]:
            years = years_of() if need_years else None
            kept = analyse(year, progress=ctx.progress, cancel=ctx.cancelled)
            return years, factor_view(kept, describe)

        self.analysis_task.run(
            task, self._show,
            on_cancelled=lambda: self.status_line.show_message(
                "要因分析を中止しました。", notice=True))

    def _update_buttons(self) -> None:
        self.run_button.setEnabled(not self._loading)
        self.year_combo.setEnabled(not self._loading and self.year_combo.count() > 0)

    def _fill_years(self, years: list[int] | None) -> None:
        if years is not None:
            self._years_loaded = True
            self.year_combo.clear()
            for year in sorted(years, reverse=True):
                self.year_combo.addItem(year_label(year, self._style), year)

    def _looked_up(self, result: tuple[list[int] | None, int | None, FactorView | None]
                   ) -> None:
        years, asked, view = result
        self._fill_years(years)
        if asked is not None:
            self.select_year(asked)
        if view is not None:
            self._show((None, view))
        else:
            self._clear()
            if asked is not None:
                self.status_line.show_message(
                    NOT_YET.format(year=year_label(asked, self._style)), notice=True)
        self.checked.emit()

    def _clear(self) -> None:
        """No report shown (another year was chosen, or none is kept)."""
        self.view = None
        self.run_button.setText(RUN)
        for label in (self.caution_label, self.computed_label):
            label.hide()
        self.summary_label.setText("")
        self.plain_label.setText("")
        self.reading_label.setText("")
        self.model.set_rows([])
        self.table.hide()
        self.chart.hide()

    def _show(self, result: tuple[list[int] | None, FactorView]) -> None:
        years, view = result
        self._fill_years(years)
        self.select_year(view.school_year)
        self.view = view
        self.run_button.setText(RUN_AGAIN)
        self.computed_label.setVisible(view.computed_at is not None)
        if view.computed_at is not None:
            self.computed_label.setText(
                COMPUTED.format(at=format_datetime(view.computed_at, self._style)))
        self.caution_label.setText("結果を読むときの注意: " + view.caution)
        self.caution_label.show()
        self.summary_label.setText(
            f"{year_label(view.school_year, self._style)}の{view.outcome}について、"
            f"対象 {format_count(view.n)}人。数値は、要因が1単位（調査は肯定的回答の割合"
            "10ポイント、学力は1レベル）高いときの欠席率の差（ポイント）の平均です。")
        self.plain_label.setText("\n\n".join(plain_findings(view.rows)))
        self.model.set_rows(view.rows)
        self.table.show()
        fit_height(self.table)
        self.chart.show()
        self.chart.set_rows(
            [ForestRow(short_label(r.label), r.single, r.adjusted) for r in view.rows],
            "欠席率の差（ポイント）")
        if view.rows:
            self.table.selectRow(0)
        else:
            self.reading_label.setText("分析できる要因がありませんでした（回答のある人数が足りません）。")
        self.shown.emit()

    def _row_changed(self, *_args: object) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            self.reading_label.setText("")
            return
        row = self.model.rows[rows[0].row()]
        self.reading_label.setText(f"読み方: {row.text}")
