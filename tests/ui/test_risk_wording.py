"""The words of the risk screens follow the model's target and the no-rank rule (issue 10).

The model predicts a 不登校 onset (不登校 in the 長期欠席調査, or 30 days of absence other than
illness, 出席停止・忌引), not 長期欠席 for any reason; and no screen ranks pupils (the order
within a school is 確認の順, a list is 「各校k人」). Every text a user can see or hover on the
見守りアラート and 予測モデル pages and in the karte's risk section is collected — labels,
buttons, tab names, table cells and headers, tooltips, the model card, chart ticks — at an
office laptop's 1366×768, against a real small demo city with a quickly trained model.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pyqtgraph as pg
import pytest
from PySide6.QtCore import QAbstractItemModel, QModelIndex, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QLabel,
    QListWidget,
    QTabWidget,
    QTextBrowser,
    QWidget,
)
from pytestqt.qtbot import QtBot

from analysis.risk.bands import BAND_TEXT, EVENT_DEFINITION, EVENT_SHORT
from analysis.risk.report import Evaluation
from kernel.school_calendar import SchoolMonth
from tests.conftest import copy_store
from tests.risk.conftest import sign_in as sign_in_service
from tests.ui.conftest import ShellFactory
from tests.ui.flows import WAIT_MS, sign_in
from tests.ui.risk_windows import RiskWindows
from toda_desktop.audit.service import DETAIL_LABELS, AuditFilter, describe_detail
from toda_desktop.composition import SignedIn
from toda_desktop.formatting import format_phrase
from toda_desktop.risk import RiskService
from ui.background import BackgroundRunner
from ui.error_reporting import ErrorReporter
from ui.karte.page import KartePage, KarteView
from ui.karte.risk_section import KarteRiskSection
from ui.main_window import MainWindow
from ui.risk.alerts_page import BAND_LEGEND, AlertsPage
from ui.risk.charts import WORD_JOINER
from ui.risk.model_page import RiskModelPage, bar_summary
from ui.risk.pages import ALERTS_TITLE, MODEL_TITLE

pytestmark = pytest.mark.gui

SCREEN = (1366, 768)
OCTOBER = SchoolMonth(2025, 10)
RANK_WORDS = ("順位", "上位", "ランキング", "ランク", "rank")
# 長期欠席 is the survey's name (長期欠席調査); elsewhere it may only say what is NOT predicted.
OLD_TARGET = re.compile(r"長期欠席(?!調査)")
EXPLAINED = ("病気による長期欠席", "長期欠席の約2割")

Opened = Callable[[str], tuple[MainWindow, SignedIn]]


def wrong_words(texts: Iterable[str]) -> list[str]:
    """Texts that rank pupils or name the old target (long absence for any reason)."""
    found = []
    for text in texts:
        rest = text
        for phrase in EXPLAINED:
            rest = rest.replace(phrase, "")
        if any(w in text.lower() for w in RANK_WORDS) or OLD_TARGET.search(rest):
            found.append(text)
    return found


def _model_texts(model: QAbstractItemModel) -> list[str]:
    texts = []
    top = QModelIndex()
    for column in range(model.columnCount(top)):
        texts.append(str(model.headerData(column, Qt.Orientation.Horizontal) or ""))
    for row in range(model.rowCount(top)):
        for column in range(model.columnCount(top)):
            index = model.index(row, column)
            for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                texts.append(str(model.data(index, role) or ""))
    return texts


def _axis_ticks(plot: pg.PlotWidget) -> list[str]:
    """Fixed tick labels (``setTicks``) of a chart's axes; pyqtgraph keeps them only in
    ``_tickLevels``."""
    texts = []
    for name in ("left", "bottom"):
        for level in plot.getAxis(name)._tickLevels or []:
            texts += [str(label) for _value, label in level]
    return texts


def seen_texts(root: QWidget) -> list[str]:
    """Every text of the visible widgets under ``root``: what they show, their tooltips and
    accessible names, item views' cells and headers, tab names, combo items, rich text."""
    texts: list[str] = []
    for widget in [root, *root.findChildren(QWidget)]:
        if not widget.isVisible():
            continue
        texts += [widget.toolTip(), widget.accessibleName()]
        if isinstance(widget, (QLabel, QAbstractButton)):
            texts.append(widget.text())
        if isinstance(widget, QTextBrowser):
            texts.append(widget.toPlainText())
        if isinstance(widget, QTabWidget):
            texts += [widget.tabText(i) for i in range(widget.count())]
        if isinstance(widget, QComboBox):
            texts += [widget.itemText(i) for i in range(widget.count())]
        if isinstance(widget, QListWidget):
            texts += [widget.item(i).text() for i in range(widget.count())]
            texts += [widget.item(i).toolTip() for i in range(widget.count())]
        elif isinstance(widget, QAbstractItemView) and widget.model() is not None:
            texts += _model_texts(widget.model())
        if isinstance(widget, pg.PlotWidget):
            texts += _axis_ticks(widget)
    # (Chart legends join the letters of a name so that it never wraps inside.)
    return [t.replace(WORD_JOINER, "").replace("\u00a0", " ") for t in texts if t]


@pytest.fixture(scope="module")
def listed_store(
    _demo_store_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The small demo city with a quick model and the lists of October."""
    path = copy_store(_demo_store_template, tmp_path_factory.mktemp("wording") / "demo.tdb")
    lead = sign_in_service(path, "project_lead")
    try:
        risk = RiskService(lead.context)
        risk.train(quick=True)
        risk.evaluate(n_boot=50)
        risk.score(OCTOBER)
    finally:
        lead.sign_out()
    return path


@pytest.fixture
def open_window(
    app_font: QFont, qtbot: QtBot, runner: BackgroundRunner, reporter: ErrorReporter,
    tmp_path: Path, listed_store: Path,
) -> Iterator[Opened]:
    """A main window with the risk pages of a role, on a fresh copy of a store."""
    windows = RiskWindows(runner, tmp_path, listed_store, SCREEN)
    yield windows
    windows.close(reporter)


def _cut_headers(table: QAbstractItemView) -> list[str]:
    """Column headers wider than their column (shown cut off with "…")."""
    header = table.horizontalHeader()  # type: ignore[attr-defined]
    metrics = header.fontMetrics()
    model = table.model()
    cut = []
    for column in range(model.columnCount(QModelIndex())):
        text = str(model.headerData(column, Qt.Orientation.Horizontal) or "")
        if metrics.horizontalAdvance(text) + 12 > header.sectionSize(column):
            cut.append(text)
    return cut


def _shot(qtbot: QtBot, widget: QWidget, path: Path) -> None:
    qtbot.wait(80)
    widget.grab().save(str(path))


# -- the words themselves -------------------------------------------------------------------


def test_the_rule_finds_rank_words_and_the_old_target_but_lets_the_survey_name_stand() -> None:
    assert wrong_words(["学校内の順位で一覧に入っています"])
    assert wrong_words(["上位5人の再現率"])
    assert wrong_words(["翌月に長期欠席となる見込み"])
    assert wrong_words(["新たに長期欠席となった児童生徒のうち"])
    assert not wrong_words(["長期欠席調査で理由が「不登校」と報告される"])
    assert not wrong_words(["病気による長期欠席は予測の対象ではありません"])
    assert not wrong_words(["確認の順", "各校5人の一覧の再現率"])


def test_band_words_name_the_new_target_and_never_a_rank() -> None:
    assert not wrong_words([*BAND_TEXT.values(), *BAND_LEGEND.values()])
    assert "不登校" in BAND_TEXT["高"] and EVENT_SHORT in BAND_LEGEND["高"]
    assert "病気欠席" in EVENT_DEFINITION and "出席停止・忌引" in EVENT_DEFINITION
    assert "長期欠席調査" in EVENT_DEFINITION and "30日" in EVENT_DEFINITION


def test_bar_summary_words_rank_no_pupil_whichever_way_the_comparison_went() -> None:
    aware = [{"key": "cum_ns", "label": "今年度の病気・出席停止以外の累積欠席日数の順",
              "difference": -0.02}]
    for beats, not_worse, simple in ((True, True, False), (False, False, True)):
        evaluation = {"bar": {"recall@5": 0.55, "target": 0.6, "at_least_target": False,
                              "reason_blind": [], "beats_reason_blind": beats,
                              "reason_aware": aware, "not_worse_than_reason_aware": not_worse,
                              "met": beats and not_worse},
                      "choice": {"simple_chosen": simple}}
        text, _met = bar_summary(Evaluation.from_json({"test_year": 2025, **evaluation,
                                                         "config": {"family": "hgb",
                                                                    "feature_set": "core"}}))
        assert text and not wrong_words([text])
        assert "各校5人の一覧の再現率" in text
        assert ("単純な並べ方を使っています" in text) is simple


# -- the screens ----------------------------------------------------------------------------


def test_alert_screen_words_follow_the_new_target_and_rank_no_pupil(
    qtbot: QtBot, open_window: Opened, screenshot_dir: Path
) -> None:
    window, _signed = open_window("project_lead")
    window.show()
    qtbot.waitExposed(window)
    page = window.show_page(ALERTS_TITLE)
    assert isinstance(page, AlertsPage)
    qtbot.waitUntil(lambda: bool(page.alerts) and not page.busy, timeout=WAIT_MS)
    page.select_month(OCTOBER)
    qtbot.waitUntil(lambda: not page.busy and page.month == OCTOBER and bool(page.alerts)
                    and page.alerts[0].month == OCTOBER, timeout=WAIT_MS)
    seen: list[str] = []
    for code in page.school_codes():
        page.select_school(code)
        for alert in list(page.model.rows):
            page.select_alert(alert.id)
            seen += seen_texts(window)
    assert not wrong_words(seen)
    assert any(EVENT_SHORT in t for t in seen)  # the legend names the target
    assert EVENT_DEFINITION in seen  # and says on hover what 「不登校」 counts
    low = [a for a in page.alerts if a.band == "低"]
    if low:  # a 低 pupil on a list: the words say why, without a rank
        page.select_alert(low[0].id)
        assert "数人" in page.band_text_label.text()
    _shot(qtbot, window, screenshot_dir / "risk_wording_alerts_1366.png")


def test_model_screen_words_follow_the_new_target_and_rank_no_pupil(
    qtbot: QtBot, open_window: Opened, screenshot_dir: Path
) -> None:
    window, _signed = open_window("project_lead")
    window.show()
    qtbot.waitExposed(window)
    page = window.show_page(MODEL_TITLE)
    assert isinstance(page, RiskModelPage)
    qtbot.waitUntil(lambda: page.loaded and not page.busy, timeout=WAIT_MS)
    assert page.event_label.isVisible() and page.event_label.text() == EVENT_DEFINITION
    seen: list[str] = []
    for tab in range(page.tabs.count()):
        page.tabs.setCurrentIndex(tab)
        qtbot.wait(40)
        seen += seen_texts(window)
        _shot(qtbot, window, screenshot_dir / f"risk_wording_model_tab{tab}_1366.png")
    assert not wrong_words(seen)
    assert any("各校5人の一覧の再現率" in t for t in seen)
    for table in (page.metrics_table, page.diff_table):
        assert not _cut_headers(table)
    assert "各校5人" in _axis_ticks(page.recall_chart.plot)
    assert "不登校" in page.recall_chart.note.text()


def test_training_audit_entry_names_every_detail_truthfully(listed_store: Path) -> None:
    lead = sign_in_service(listed_store, "project_lead")
    try:
        rows = [*lead.audit_view.entries(AuditFilter(action="risk_train")),
                *lead.audit_view.entries(AuditFilter(action="risk_evaluate"))]
    finally:
        lead.sign_out()
    assert {r.action for r in rows} >= {"risk_train", "risk_evaluate"}
    for row in rows:
        text = row.detail_text
        assert text and not re.search(r"[A-Za-z_]+@?\d*:", text), text
        assert not wrong_words([row.detail_text])
    train = next(r for r in rows if r.action == "risk_train")
    assert "病気欠席を除いて数える単純な並べ方の最良の再現率" in train.detail_text
    assert re.search(r"モデルの再現率（評価年度・各校5人の一覧）: \d+\.\d%", train.detail_text)
    for key in ("config", "grid", "recall@5", "baseline_recall@5", "test_year"):
        assert key in DETAIL_LABELS
    assert (format_phrase(describe_detail('{"recall@5": 0.718}'))
            == "モデルの再現率（評価年度・各校5人の一覧）: 71.8%")


# -- the karte --------------------------------------------------------------------------------


def _karte(qtbot: QtBot, window: MainWindow, pupil_id: int) -> KarteRiskSection:
    page = window.show_page("児童生徒カルテ")
    assert isinstance(page, KartePage)
    with qtbot.waitSignal(page.opened, timeout=WAIT_MS) as opened:
        page.open_pupil(pupil_id)
    view = opened.args[0]
    assert isinstance(view, KarteView)
    section = view.risk_section
    assert section is not None
    qtbot.waitUntil(lambda: section.facts is not None, timeout=WAIT_MS)
    return section


def test_karte_risk_section_words_follow_the_new_target_and_rank_no_pupil(
    qtbot: QtBot, make_shell: ShellFactory, tmp_path: Path, listed_store: Path,
    screenshot_dir: Path,
) -> None:
    path = copy_store(listed_store, tmp_path / "karte" / "demo.tdb")
    lead = sign_in_service(path, "project_lead")
    try:
        alerts = RiskService(lead.context).alerts(OCTOBER)
        listed_ids = {a.pupil_id for a in alerts}
        low = next((a for a in alerts if a.band == "低"), alerts[0])
        unlisted = next(int(r[0]) for r in lead.store.db.call(lambda c: c.execute(
            "SELECT DISTINCT pupil_id FROM ds_attendance_monthly").fetchall())
            if int(r[0]) not in listed_ids)
    finally:
        lead.sign_out()
    assert low.pupil_id is not None
    shell = make_shell(path)
    window = sign_in(qtbot, shell, "demo-lead")
    window.resize(*SCREEN)
    for pupil_id, name in ((low.pupil_id, "listed"), (unlisted, "unlisted")):
        section = _karte(qtbot, window, pupil_id)
        texts = seen_texts(section)
        assert not wrong_words(texts), texts
        assert EVENT_DEFINITION in texts  # what 「不登校」 counts, on hover
        if name == "unlisted":
            assert any("各校5人までの一覧には入っていません" in t for t in texts)
        _shot(qtbot, window, screenshot_dir / f"risk_wording_karte_{name}_1366.png")
