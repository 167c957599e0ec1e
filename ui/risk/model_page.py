"""予測モデル (roles with ``analysis``): the current truancy-risk model, honestly evaluated.

The first tab, 「わかりやすい説明」, says what the model does and how often it is right in
words and natural frequencies (``ui.risk.plain``) for 室長 and 課長; the technical tabs follow
for analysts, and a 用語集 (``ui.risk.glossary``) explains every statistical word, also as
tooltips (issue 16). Then the generated model card (Japanese, from the service), the
metrics of the model beside the simple baselines with their bootstrap intervals, a
reliability curve and the recall at top-k, and the fairness audit (recall and false-positive
rate by group, with the gaps).
「モデルを学習し直す」 runs the candidate grid in the background (minutes; a quick option with
a few candidates is offered for trying) with progress and 中止 on the page;
「評価し直す」 repeats the held-out evaluation on the current data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QTextBlockFormat, QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from analysis.risk.bands import EVENT_DEFINITION
from kernel.date_style import DateStyle
from toda_desktop.errors import NoModelYet
from toda_desktop.formatting import format_count, format_datetime
from ui import style
from ui.background import BackgroundRunner
from ui.dialogs import confirm
from ui.page import RISK_MODEL
from ui.page_header import PageHeader, ProgressStrip, StatusLine
from ui.page_task import PageTask
from ui.risk.charts import BarSeries, RecallBars, ReliabilityChart
from ui.risk.common import (
    Column,
    RecordsModel,
    fit_height,
    make_table,
    muted,
    pct,
    points_with_interval,
    section_title,
    with_interval,
    year_label,
)
from ui.risk.glossary import glossary_view, tip_for_text
from ui.risk.plain import PlainSection, plain_sections, what_it_uses

if TYPE_CHECKING:
    from analysis.risk.report import Evaluation, Interval, Scoring
    from toda_desktop.risk import ModelInfo, Reevaluation, RiskService, TrainResult

NO_MODEL_TEXT = ("学習済みのモデルがまだありません。「モデルを学習し直す」で学習してください"
                 "（初めての方は「試しに少ない候補で学習する」から）。")
KS = (3, 5, 10)
MODEL_KEY = "model"
PLAIN_TAB = "わかりやすい説明"
GLOSSARY_TAB = "用語集"

# (key, label, tooltip, how to write it)
METRICS: tuple[tuple[str, str, str, str], ...] = (
    ("recall@3", "各校3人の一覧の再現率",
     "新たに不登校となった児童生徒のうち、前月の一覧（各校3人）に入っていた割合", "pct"),
    ("recall@5", "各校5人の一覧の再現率",
     "新たに不登校となった児童生徒のうち、前月の一覧（各校5人）に入っていた割合"
     "（市の運用: 毎月5人）", "pct"),
    ("recall@10", "各校10人の一覧の再現率",
     "新たに不登校となった児童生徒のうち、前月の一覧（各校10人）に入っていた割合", "pct"),
    ("precision@5", "各校5人の一覧の適合率",
     "一覧（各校5人）に入った児童生徒のうち、翌月に不登校となった割合。"
     "多くは不登校になりません", "pct"),
    ("auc", "ROC-AUC（見分けの正確さ）",
     "1に近いほど、不登校となる児童生徒とならない児童生徒をよく見分けています"
     "（0.5は偶然と同じ）", "num3"),
    ("pr_auc", "PR-AUC（まれな出来事での正確さ）",
     "不登校のようにまれな出来事での見分けの正確さ。1に近いほどよい", "num3"),
    ("brier", "Brierスコア（見込みの誤差）",
     "見込みと実際の差の大きさ。小さいほどよい", "num5"),
)


@dataclass(frozen=True)
class MetricRow:
    label: str
    tooltip: str
    cells: tuple[str, ...]


@dataclass(frozen=True)
class FairnessRow:
    attribute: str
    group: str
    n: int
    events: int
    recall: float | None
    fpr: float | None
    small: bool


@dataclass(frozen=True)
class GapRow:
    attribute: str
    recall_gap: float | None
    fpr_gap: float | None


# Short column and legend names; the model card spells each rule out in full. 「病気除く」:
# counting only absence other than 病気欠席 and 出席停止・忌引 (the reason-aware rankings).
SHORT_NAMES = {
    "cum_abs": "基準: 今年度の累積欠席",
    "abs_rate_last": "基準: 先月の欠席率",
    "proj_next": "基準: 翌月末の見込み累積欠席",
    "cum_ns": "基準（病気除く）: 今年度の累積欠席",
    "ns_rate_last": "基準（病気除く）: 先月の欠席率",
    "proj_ns_next": "基準（病気除く）: 翌月末の見込み累積欠席",
}


def scoring_names(evaluation: Evaluation) -> list[tuple[str, str]]:
    return [(key, "モデル" if key == MODEL_KEY else SHORT_NAMES.get(key) or rep.label or key)
            for key, rep in evaluation.scorings.items()]


def _metric(rep: Scoring, metric: str) -> Interval | None:
    """One of the rows of METRICS of a scoring."""
    if metric.startswith("recall@"):
        return rep.recall.get(int(metric.removeprefix("recall@")))
    if metric.startswith("precision@"):
        return rep.precision.get(int(metric.removeprefix("precision@")))
    entry: Interval | None = getattr(rep, metric)
    return entry


def _write(entry: Interval | None, how: str) -> str:
    if how == "pct":
        return with_interval(entry)
    return with_interval(entry, percent=False, digits=5 if how == "num5" else 3)


def metric_rows(evaluation: Evaluation) -> list[MetricRow]:
    names = scoring_names(evaluation)
    scorings = [evaluation.scorings[key] for key, _n in names]
    rows = [MetricRow(label, _with_glossary(tip, label),
                      tuple(_write(_metric(rep, metric), how) for rep in scorings))
            for metric, label, tip, how in METRICS]
    rows.append(MetricRow(
        "先行期間（平均）", "一覧に入ってから不登校となるまでの平均の月数",
        tuple("—" if rep.lead_time.mean is None else f"{rep.lead_time.mean:.1f}か月"
              for rep in scorings)))
    rows.append(MetricRow(
        "一覧の安定性", "前月の一覧にもいた児童生徒の割合",
        tuple(pct(rep.stability) for rep in scorings)))
    return rows


def _with_glossary(tip: str, label: str) -> str:
    extra = tip_for_text(label)
    return f"{tip}\n\n{extra}" if extra else tip


def difference_rows(evaluation: Evaluation) -> tuple[list[str], list[MetricRow]]:
    baselines = [(k, n) for k, n in scoring_names(evaluation) if k != MODEL_KEY]
    tip = "モデル − 基準（同じ学校・月どうしで比べた差）"
    rows = [MetricRow(f"各校{k}人の一覧の再現率の差", tip,
                      tuple(points_with_interval(evaluation.difference(k, b))
                            for b, _n in baselines))
            for k in KS]
    return [n for _k, n in baselines], rows


def fairness_rows(evaluation: Evaluation) -> tuple[list[FairnessRow], list[GapRow]]:
    model = evaluation.fairness.get(MODEL_KEY) or {}
    groups: list[FairnessRow] = []
    gaps: list[GapRow] = []
    for attribute, audit in model.items():
        for g in audit.groups:
            groups.append(FairnessRow(attribute, g.group, g.n, g.events, g.recall, g.fpr,
                                      g.small))
        gaps.append(GapRow(attribute, audit.recall_gap, audit.fpr_gap))
    return groups, gaps


def bar_summary(evaluation: Evaluation) -> tuple[str, bool]:
    """The bar and the choice between the model and the simple rankings in plain words, and
    whether the bar was met."""
    bar = evaluation.bar
    if bar is None:
        return "", False
    goal = "達成" if bar.at_least_target else "未達"
    target = pct(bar.target, 0)
    lines = [f"各校5人の一覧の再現率 {pct(bar.recall5)}（目標 {target}以上: {goal}）。"]
    if bar.beats_reason_blind:
        lines.append("欠席の理由を区別しない単純な並べ方は、どれも区間を超えて上回っています。")
    else:
        lines.append("欠席の理由を区別しない単純な並べ方の一部とは、差が不確かさの範囲内です。")
    if bar.not_worse_than_reason_aware:
        lines.append("病気欠席を除いて数える単純な並べ方と比べても同じかそれ以上です。")
    else:
        worse = [r.label for r in bar.reason_aware
                 if r.difference is not None and r.difference < 0]
        lines.append("病気欠席を除いて数える単純な並べ方（" + "、".join(worse)
                     + "）を下回っています。")
    if evaluation.simple_chosen:
        lines.append("学習の検証でモデルが単純な並べ方に及ばなかったため、"
                     "一覧にはその単純な並べ方を使っています（モデルカード参照）。")
    return "".join(lines[:2]) + "\n" + "".join(lines[2:]), bar.met


FAIRNESS_COLUMNS: list[Column[FairnessRow]] = [
    Column("属性", lambda r: r.attribute),
    Column("群", lambda r: r.group + ("（参考）" if r.small else ""),
           tooltip=lambda r: "不登校が10人未満の群は参考値です" if r.small else ""),
    Column("人月", lambda r: format_count(r.n), sort=lambda r: r.n, right=True),
    Column("不登校", lambda r: format_count(r.events), sort=lambda r: r.events, right=True),
    Column("再現率", lambda r: pct(r.recall), right=True,
           tooltip=lambda r: "不登校となった人のうち、一覧に入った割合"),
    Column("偽陽性率", lambda r: pct(r.fpr, 2), right=True,
           tooltip=lambda r: tip_for_text("偽陽性率")),
]
GAP_COLUMNS: list[Column[GapRow]] = [
    Column("属性", lambda r: r.attribute),
    Column("再現率の差（最大−最小）", lambda r: pct(r.recall_gap), right=True),
    Column("偽陽性率の差（最大−最小）", lambda r: pct(r.fpr_gap, 2), right=True),
]


def _metric_columns(headers: Sequence[str]) -> list[Column[MetricRow]]:
    columns: list[Column[MetricRow]] = [Column("指標", lambda r: r.label,
                                               tooltip=lambda r: r.tooltip)]
    for i, header in enumerate(headers):
        columns.append(Column(header, _cell(i), right=True, tooltip=lambda r: r.tooltip))
    return columns


def _cell(i: int) -> Callable[[MetricRow], str]:
    return lambda row: row.cells[i]


def model_info(risk: RiskService) -> ModelInfo | None:
    """The current model, or None before the first training (not an error: the page says
    how to train one)."""
    try:
        return risk.model_info()
    except NoModelYet:
        return None


def spaced_lines(view: QTextBrowser, percent: int = 145) -> None:
    """Looser lines for long Japanese text (the card reads like a document)."""
    cursor = QTextCursor(view.document())
    cursor.select(QTextCursor.SelectionType.Document)
    block = QTextBlockFormat()
    block.setLineHeight(percent, QTextBlockFormat.LineHeightTypes.ProportionalHeight.value)
    cursor.mergeBlockFormat(block)
    view.moveCursor(QTextCursor.MoveOperation.Start)


class RiskModelPage(QWidget):
    """The 予測モデル page. ``shown`` fires when a model (or an evaluation) is displayed."""

    shown = Signal()
    trained = Signal(int)  # new model id
    store_changed = Signal(object)  # frozenset[str]: a new model (the shell's ``changed``)

    def __init__(
        self,
        risk: RiskService,
        runner: BackgroundRunner,
        date_style: DateStyle,
        *,
        n_boot: int = 1000,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._risk = risk
        self._runner = runner
        self._style = date_style
        self._n_boot = n_boot
        self._loaded = False
        self.info: ModelInfo | None = None
        self.evaluation: Evaluation | None = None
        self.last_train: TrainResult | None = None
        self.confirmation: QMessageBox | None = None

        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 20, 24, 20)
        outer.setSpacing(10)
        title_row = PageHeader("予測モデル")
        title_row.status.setText("不登校の早期把握モデル（病気による欠席は対象外）")
        self.refresh_button = title_row.add_refresh(self.reload)
        outer.addLayout(title_row)
        # What the model predicts, spelled out once (the other words say 不登校 for short).
        self.event_label = muted(EVENT_DEFINITION)
        self.event_label.setAccessibleName("予測する出来事")
        outer.addWidget(self.event_label)

        card = QFrame()
        card.setObjectName("infoCard")
        card.setStyleSheet(style.CARD)
        card_layout = QVBoxLayout(card)
        card_layout.setContentsMargins(14, 10, 14, 10)
        card_layout.setSpacing(4)
        self.model_label = QLabel("読み込んでいます…")
        self.model_label.setStyleSheet("font-size: 12pt; font-weight: bold;")
        self.model_label.setWordWrap(True)
        self.facts_label = muted("")
        self.bar_label = QLabel("")
        self.bar_label.setWordWrap(True)
        self.bar_label.hide()
        card_layout.addWidget(self.model_label)
        card_layout.addWidget(self.facts_label)
        outer.addWidget(card)

        actions = QHBoxLayout()
        self.train_button = QPushButton("モデルを学習し直す…")
        self.train_button.setToolTip("いまのデータで候補のモデルを比べ直し、新しいモデルを作ります")
        self.train_button.clicked.connect(self.ask_train)
        self.quick_check = QCheckBox("試しに少ない候補で学習する（1分ほど）")
        self.quick_check.setToolTip(
            "すべての候補（数百通り）を比べると数分〜10分ほどかかります。"
            "操作を試すときは、少ない候補で短時間に学習できます")
        self.evaluate_button = QPushButton("評価し直す")
        self.evaluate_button.setToolTip("いまのモデルの設定を、いまのデータで評価し直します（数十秒）")
        self.evaluate_button.clicked.connect(self.evaluate)
        actions.addWidget(self.train_button)
        actions.addWidget(self.quick_check)
        actions.addSpacing(16)
        actions.addWidget(self.evaluate_button)
        actions.addStretch(1)
        outer.addLayout(actions)
        self.progress = ProgressStrip()
        outer.addWidget(self.progress)
        self.status_line = StatusLine()
        outer.addWidget(self.status_line)
        controls = [self.refresh_button, self.train_button, self.quick_check,
                    self.evaluate_button]
        self.load_task = PageTask(self, runner, "モデルの情報を読み込んでいます…",
                                  status=self.status_line, busy=controls)
        # Training stores a new model: finished although 中止 came too late, it is reported
        # as the new model it is (never as 「中止しました」 while the lists already use it).
        self.train_task = PageTask(self, runner, "モデルを学習しています…",
                                   status=self.status_line, strip=self.progress, busy=controls,
                                   writes=True)
        self.evaluate_task = PageTask(self, runner, "評価し直しています…",
                                      status=self.status_line, strip=self.progress,
                                      busy=controls)
        for task in (self.load_task, self.train_task, self.evaluate_task):
            task.ended.connect(self._update_buttons)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self._build_plain_tab(), PLAIN_TAB)
        self.card_view = QTextBrowser()
        self.card_view.setOpenExternalLinks(False)
        self.card_view.setAccessibleName("モデルカード")
        self.card_view.document().setDocumentMargin(16)
        self.card_view.document().setDefaultStyleSheet(
            "table { border-collapse: collapse; } td, th { padding: 3px 6px; }"
            " th { background: #eef2f6; }")
        self.tabs.addTab(self.card_view, "モデルカード")
        self.tabs.addTab(self._build_metrics_tab(), "評価指標")
        self.tabs.addTab(self._build_charts_tab(), "グラフ")
        self.tabs.addTab(self._build_fairness_tab(), "公平性")
        self.tabs.addTab(glossary_view(), GLOSSARY_TAB)
        for tab in range(1, self.tabs.count() - 1):
            self.tabs.setTabToolTip(tab, "分析担当の方向けの詳しい内容です。"
                                         "言葉の意味は「用語集」にあります。")
        outer.addWidget(self.tabs, 1)
        self._update_buttons()

    # -- tabs ------------------------------------------------------------------------------

    def _scroll(self, content: QWidget) -> QScrollArea:
        area = QScrollArea()
        area.setWidgetResizable(True)
        area.setFrameShape(QFrame.Shape.NoFrame)
        area.setWidget(content)
        return area

    def _build_plain_tab(self) -> QWidget:
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(8, 12, 8, 12)
        layout.setSpacing(6)
        self.plain_box = QVBoxLayout()
        self.plain_box.setSpacing(6)
        self.plain_sections: list[PlainSection] = []
        layout.addLayout(self.plain_box)
        self.plain_empty = muted("モデルを学習すると、ここに結果がわかりやすく表示されます。")
        layout.addWidget(self.plain_empty)
        layout.addWidget(muted(
            "詳しい数値と統計の指標は「モデルカード」「評価指標」「グラフ」「公平性」のタブ"
            "（分析担当の方向け）に、言葉の意味は「用語集」にあります。"))
        layout.addStretch(1)
        return self._scroll(content)

    def _show_plain(self, evaluation: Evaluation) -> None:
        """Fill the plain view (its labels are made again for each evaluation)."""
        while self.plain_box.count():
            item = self.plain_box.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.plain_sections = plain_sections(
            evaluation, year_label(evaluation.test_year, self._style))
        for section in self.plain_sections:
            heading = section_title(section.title)
            heading.setContentsMargins(0, 8, 0, 0)
            self.plain_box.addWidget(heading)
            for line in section.lines:
                label = QLabel("・" + line)
                label.setWordWrap(True)
                label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                label.setStyleSheet("font-size: 11pt;")
                self.plain_box.addWidget(label)
        self.plain_empty.hide()

    def _build_metrics_tab(self) -> QWidget:
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(4, 10, 4, 10)
        self.metrics_note = muted("")
        layout.addWidget(self.metrics_note)
        # The bar in the analysts' words (the plain view says it for everyone, issue 16).
        layout.addWidget(self.bar_label)
        layout.addWidget(section_title("モデルと単純な基準"))
        self.metrics_model: RecordsModel[MetricRow] = RecordsModel(_metric_columns([]), self)
        self.metrics_table = make_table(self.metrics_model, "評価指標", (250,),
                                        stretch_last=False)
        layout.addWidget(self.metrics_table)
        layout.addWidget(section_title("再現率の差（モデル − 基準）"))
        self.diff_model: RecordsModel[MetricRow] = RecordsModel(_metric_columns([]), self)
        self.diff_table = make_table(self.diff_model, "基準との差", (250,), stretch_last=False)
        layout.addWidget(self.diff_table)
        layout.addWidget(muted(
            "かっこ内は95%区間（学校×月を単位とするブートストラップ）です。差の区間が0をまたぐときは、"
            "基準より良いとは言えません。"))
        layout.addStretch(1)
        return self._scroll(content)

    def _build_charts_tab(self) -> QWidget:
        content = QWidget()
        layout = QHBoxLayout(content)
        layout.setContentsMargins(4, 10, 4, 10)
        layout.setSpacing(24)
        self.recall_chart = RecallBars()
        self.reliability_chart = ReliabilityChart()
        layout.addWidget(self.recall_chart, 1)
        layout.addWidget(self.reliability_chart, 1)
        return content

    def _build_fairness_tab(self) -> QWidget:
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(4, 10, 4, 10)
        layout.addWidget(muted(
            "一覧（各校5人）が属性によって偏っていないかの点検です。"
            "性別・学年・校種などはモデルの入力には使わず、この点検にだけ使います。"
            "不登校が10人未満の群は参考値です。「—」は、不登校となった人がいない群が"
            "あるなどで計算できないことを示します。"))
        layout.addWidget(section_title("差（群のあいだの最大と最小の差）"))
        self.gap_model: RecordsModel[GapRow] = RecordsModel(GAP_COLUMNS, self)
        self.gap_table = make_table(self.gap_model, "公平性の差", (160, 220, 220),
                                    stretch_last=False)
        layout.addWidget(self.gap_table)
        layout.addWidget(section_title("属性ごとの再現率と偽陽性率"))
        self.fairness_model: RecordsModel[FairnessRow] = RecordsModel(FAIRNESS_COLUMNS, self)
        self.fairness_table = make_table(self.fairness_model, "公平性の点検",
                                         (160, 180, 100, 100, 110, 110), row_height=26,
                                         stretch_last=False)
        layout.addWidget(self.fairness_table, 1)
        return content

    # -- loading ---------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self.load_task.running or self.training or self.evaluating

    @property
    def training(self) -> bool:
        return self.train_task.running

    @property
    def evaluating(self) -> bool:
        return self.evaluate_task.running

    @property
    def loaded(self) -> bool:
        return self._loaded

    def activated(self) -> None:
        if not self._loaded and not self.busy:
            self.reload()

    def data_changed(self, kinds: frozenset[str]) -> None:
        """A model trained elsewhere (the shell's ``changed``): show it when next shown."""
        if RISK_MODEL in kinds and not self.busy:
            self._loaded = False
            if self.isVisible():
                self.reload()

    def reload(self) -> None:
        risk = self._risk
        self.load_task.run(lambda _ctx: model_info(risk), self._show_info,
                           on_user_error=self._info_failed)

    def _info_failed(self, message: str) -> None:
        self.info = None
        self.status_line.show_message(message, error=True)
        self._update_buttons()

    def _no_model_yet(self) -> None:
        self.info = None
        self.model_label.setText("学習済みのモデルはまだありません")
        self.facts_label.setText("")
        self.status_line.show_message(NO_MODEL_TEXT, notice=True)
        self._update_buttons()

    def _show_info(self, info: ModelInfo | None) -> None:
        if info is None:
            self._no_model_yet()
            return
        self.info = info
        self._loaded = True
        name, settings = info.config_name or info.config_label, info.config_settings
        simple = info.simple_chosen
        simple_text = (f"いまの一覧の作り方: {name.removeprefix('基準: ')}"
                       "（単純な並べ方。モデルは使っていません）")
        evaluation = info.evaluation
        uses = what_it_uses(evaluation) if evaluation is not None else name
        self.model_label.setText(simple_text if simple
                                 else f"いまのモデル: {uses} から見込みを計算します")
        technical = f"計算方法: {name}" + (f"（設定: {settings}）" if settings else "")
        self.model_label.setToolTip("\n\n".join(
            t for t in (technical, tip_for_text(name)) if t))
        data = info.data_extent or f"データ版 {info.data_version}"
        self.facts_label.setText(
            f"モデル番号 {info.id}　学習: {format_datetime(info.created_at, self._style)}"
            f"　学習した人: {info.created_by}　データ: {data}")
        self.facts_label.setToolTip(
            f"データ版 {info.data_version}（取込の内容から作る識別子です。"
            "データが変わると変わります）")
        self.card_view.setMarkdown(info.card)
        spaced_lines(self.card_view)
        self._show_evaluation(info.evaluation, None)
        self._update_buttons()
        self.shown.emit()

    def _show_evaluation(self, evaluation: Evaluation | None,
                         redone: Reevaluation | None) -> None:
        self.evaluation = evaluation
        if evaluation is None:
            return
        self._show_plain(evaluation)
        text, met = bar_summary(evaluation)
        self.bar_label.setText(text)
        self.bar_label.setToolTip(tip_for_text("再現率"))
        self.bar_label.setStyleSheet(style.OK_TEXT if met else style.NOTICE_TEXT)
        self.bar_label.setVisible(bool(text))
        note = (f"{year_label(evaluation.test_year, self._style)}を学習に使わずに評価しました"
                f"（評価した月 {len(evaluation.months)}か月、学校 "
                f"{format_count(evaluation.schools)}校、新たに不登校となった延べ "
                f"{format_count(evaluation.events)}人）。")
        if redone is not None:
            note = "評価し直した結果です。" + note
            if redone.data_changed:
                note += "モデルを学習した後にデータが変わっています。必要なら学習し直してください。"
        self.metrics_note.setText(note)
        names = [n for _k, n in scoring_names(evaluation)]
        self.metrics_model.columns = _metric_columns(names)
        self.metrics_model.set_rows(metric_rows(evaluation))
        self._size_columns(self.metrics_table, len(names))
        fit_height(self.metrics_table)
        baseline_names, diffs = difference_rows(evaluation)
        self.diff_model.columns = _metric_columns([f"対 {n}" for n in baseline_names])
        self.diff_model.set_rows(diffs)
        self._size_columns(self.diff_table, len(baseline_names))
        fit_height(self.diff_table)
        groups, gaps = fairness_rows(evaluation)
        self.fairness_model.set_rows(groups)
        self.gap_model.set_rows(gaps)
        fit_height(self.gap_table)
        self._draw_charts(evaluation)

    def _size_columns(self, table: Any, count: int) -> None:
        """Each column at least as wide as its name (the names of the reason-aware rankings
        were cut off at 1366×768); the table scrolls sideways instead."""
        header = table.horizontalHeader()
        metrics = header.fontMetrics()
        model = table.model()
        header.resizeSection(0, 230)
        for column in range(1, count + 1):
            name = str(model.headerData(column, Qt.Orientation.Horizontal) or "")
            header.resizeSection(column, max(215, metrics.horizontalAdvance(name) + 24))

    def _draw_charts(self, evaluation: Evaluation) -> None:
        series = []
        for key, name in scoring_names(evaluation):
            entries = [evaluation.scorings[key].recall.get(k) for k in KS]
            series.append(BarSeries(name, tuple(e.value if e else None for e in entries),
                                    tuple(e.lo if e else None for e in entries),
                                    tuple(e.hi if e else None for e in entries)))
        self.recall_chart.set_series(KS, series)
        points = (evaluation.model.reliability if evaluation.model else None) or ()
        self.reliability_chart.set_points([(p.predicted, p.observed) for p in points])

    def _update_buttons(self) -> None:
        """(While a task runs, its busy list keeps these disabled.)"""
        busy = self.busy
        self.refresh_button.setEnabled(not busy)
        self.train_button.setEnabled(not busy)
        self.quick_check.setEnabled(not busy)
        self.evaluate_button.setEnabled(not busy and self.info is not None)

    # -- training --------------------------------------------------------------------------

    def ask_train(self) -> None:
        if self.busy:
            return
        quick = self.quick_check.isChecked()
        how = ("少ない候補で短時間に学習します"
               "（試用向け。性能はすべての候補より劣ることがあります）。"
               if quick else "すべての候補を比べるため、数分〜10分ほどかかります。")
        self.confirmation = confirm(
            self, "モデルの学習", "いまのデータでモデルを学習し直しますか？",
            lambda: self.train(quick=quick), yes_text="学習する",
            informative=(how + "学習中もほかの画面は使えます。新しいモデルは、これから作る月の"
                         "一覧に使われます。すでに作った月の一覧と記録は変わりません。"),
        )

    def train(self, *, quick: bool) -> None:
        if self.busy:
            return
        risk = self._risk
        self.status_line.clear_message()

        def done(result: TrainResult) -> None:
            self.last_train = result
            self.status_line.show_message(
                f"新しいモデル（番号 {result.model_id}）を学習しました。"
                f"候補 {result.grid_size}通りを比べ、所要 {result.seconds:.0f}秒でした。")
            self.trained.emit(result.model_id)
            self.store_changed.emit(frozenset({RISK_MODEL}))

        self.train_task.run(
            lambda ctx: risk.train(quick=quick, progress=ctx.progress, cancel=ctx.cancelled),
            done,
            label="モデルを学習しています…" + ("（少ない候補）" if quick else ""),
            on_cancelled=lambda: self.status_line.show_message(
                "学習を中止しました。これまでのモデルがそのまま使われます。", notice=True),
            on_ended=self._train_ended,
        )
        self._update_buttons()

    def _train_ended(self) -> None:
        if self.last_train is not None and (self.info is None
                                            or self.info.id != self.last_train.model_id):
            self.reload()  # the new model's card and evaluation

    def cancel(self) -> None:
        """中止 of the training or the evaluation that runs."""
        self.train_task.cancel()
        self.evaluate_task.cancel()

    # -- evaluation ------------------------------------------------------------------------

    def evaluate(self) -> None:
        if self.busy or self.info is None:
            return
        risk, n_boot = self._risk, self._n_boot
        self.status_line.clear_message()

        def done(report: Reevaluation) -> None:
            self._show_evaluation(report.evaluation, report)
            self.status_line.show_message("いまのデータで評価し直しました（モデルカードは学習時のままです）。")
            self.shown.emit()

        self.evaluate_task.run(
            lambda ctx: risk.evaluate(n_boot=n_boot, progress=ctx.progress,
                                      cancel=ctx.cancelled),
            done,
            on_cancelled=lambda: self.status_line.show_message("評価を中止しました。", notice=True),
        )
        self._update_buttons()
