"""不登校の早期把握 on the karte, for roles that may see alerts (none other gets the section).

It shows where the pupil stands in the newest lists: on them, the band (高/中/低) with its
text, the reasons and the staff's latest mark; not on them, 「各校k人までの一覧には入っていません」
with k the size the service reports — never words that read as an all-clear, since a short
list per school leaves out most children who need looking after — and the pupil's earlier
listing if there was one. For roles that also see the survey, the survey domains against the
grade. Risk is a band with reasons, never a number or a rank. Both are read on the worker
after the karte itself; the risk service checks and audit-logs each call. When lists are made
or an alert is marked (the shell's ``changed``), the karte marks the section ``stale`` and
reads it again when it is in sight. Compact (a short window, issue 16): the list, band and mark
stay, with the April note and the words that it is no all-clear; the reasons, the band's text
and the survey wait behind 「詳しく表示」.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from analysis.risk.bands import EVENT_DEFINITION
from kernel.date_style import DateStyle
from toda_desktop.formatting import format_datetime, format_month, format_school_year
from toda_desktop.risk.alert_csv import APRIL_BAND_NOTE
from ui import style
from ui.background import BackgroundRunner
from ui.page_task import PageTask
from ui.risk.alerts_page import UNMARKED, is_april
from ui.risk.common import muted, section_title, show_band

if TYPE_CHECKING:
    from kernel.school_calendar import SchoolMonth
    from toda_desktop.risk import KarteRisk
    from toda_desktop.risk.survey_domains import SurveyDomains

    Explanations = Callable[[int], KarteRisk]
    DomainJudgments = Callable[[int], SurveyDomains]

TITLE = "不登校の早期把握"
CAUTION = "帯と理由は、様子を確かめるきっかけの目安です。子どもへのラベルではありません。"
NO_LIST_YET = "見守りアラートの一覧はまだ作成されていません。"
NOT_LISTED = "各校{top}人までの一覧には入っていません"
NOT_ALL_CLEAR = ("一覧は学校ごとに先に様子を確かめる数人だけを示すものです。"
                 "入っていないことは、心配がないという意味ではありません。")
NO_SURVEY = "調査回答の記録はありません。"
NORMS_NOTE = "{year}の回答から。学年平均は{at}に計算したものです。"
SURVEY_TITLE = "調査の領域別の回答（同じ学年との比較）"
WEAK_COLOR = style.BELOW_GRADE_COLOR  # not band 中's orange (issue 16)


@dataclass(frozen=True)
class RiskFacts:
    risk: KarteRisk
    domains: SurveyDomains | None  # None: not shown to this role


def read_facts(pupil_id: int, explanations: Explanations,
               domain_judgments: DomainJudgments | None) -> RiskFacts:
    """On the worker: the latest alert, then the survey domains (given only to roles that
    see the survey)."""
    domains = None if domain_judgments is None else domain_judgments(pupil_id)
    return RiskFacts(explanations(pupil_id), domains)


class KarteRiskSection(QFrame):
    """The card under the karte header; :meth:`load` reads it on the runner."""

    loaded = Signal(object)  # RiskFacts (for tests)
    compact_toggled = Signal(bool)  # the user chose 詳しく表示 / 簡単に表示

    def __init__(self, pupil_id: int, explanations: Explanations,
                 domain_judgments: DomainJudgments | None, runner: BackgroundRunner,
                 date_style: DateStyle, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pupil_id = pupil_id
        self._explanations = explanations
        self._domain_judgments = domain_judgments
        self._style = date_style
        self.facts: RiskFacts | None = None
        self.stale = False  # the lists changed since it was read: read again when in sight
        self._again = False
        self.load_task = PageTask(self, runner, "早期把握の情報を読み込んでいます…",
                                  progress_dialog=False)
        self.load_task.ended.connect(self._load_ended)
        self.setObjectName("infoCard")
        self.setStyleSheet(style.CARD)
        self.setAccessibleName(TITLE)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(18, 8, 18, 10)
        outer.setSpacing(4)
        top = QHBoxLayout()
        title = section_title(TITLE)
        title.setToolTip(EVENT_DEFINITION)  # what 「不登校」 counts, on hover
        top.addWidget(title)
        top.addSpacing(12)
        self.caution_label = muted(CAUTION)
        top.addWidget(self.caution_label, 1)
        self.compact = False
        self.details_button = QPushButton("簡単に表示")
        self.details_button.setFlat(True)
        self.details_button.setToolTip("理由と調査の回答を表示するか、一行にまとめるかを切り替えます")
        self.details_button.clicked.connect(self._toggle_compact)
        top.addWidget(self.details_button)
        outer.addLayout(top)
        self.message_label = muted("読み込んでいます…")
        outer.addWidget(self.message_label)

        self.body = QWidget()
        body = QHBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(24)
        alert = QVBoxLayout()
        alert.setSpacing(4)
        # Not on the newest lists: said as such, with why that is no all-clear.
        self.standing_label = QLabel("")
        self.standing_label.setWordWrap(True)
        self.standing_label.setStyleSheet("font-weight: bold;")
        self.standing_label.setAccessibleName("一覧との関係")
        alert.addWidget(self.standing_label)
        self.standing_note = muted(NOT_ALL_CLEAR)
        alert.addWidget(self.standing_note)
        head = QHBoxLayout()
        self.month_label = QLabel("")
        self.month_label.setStyleSheet("font-weight: bold;")
        self.band_label = QLabel("")
        self.band_label.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.band_text_label = QLabel("")
        self.band_text_label.setWordWrap(True)
        self.band_text_label.setToolTip(EVENT_DEFINITION)
        self.status_label = QLabel("")
        self.status_label.setAccessibleName("職員の記録")
        self.status_label.setToolTip("「見守りアラート」画面で記録した最新の状態です")
        head.addWidget(self.month_label)
        head.addSpacing(8)
        head.addWidget(self.band_label, 0, Qt.AlignmentFlag.AlignVCenter)
        head.addStretch(1)
        head.addWidget(self.status_label)
        alert.addLayout(head)
        alert.addWidget(self.band_text_label)
        self.april_band_label = QLabel(APRIL_BAND_NOTE)  # beside the band it explains
        self.april_band_label.setWordWrap(True)
        self.april_band_label.setStyleSheet(style.NOTICE_TEXT)
        alert.addWidget(self.april_band_label)
        self.reasons_label = QLabel("")
        self.reasons_label.setWordWrap(True)
        self.reasons_label.setAccessibleName("理由")
        self.reasons_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        alert.addWidget(self.reasons_label)
        alert.addStretch(1)
        body.addLayout(alert, 1)

        self.survey_box = QWidget()
        survey = QVBoxLayout(self.survey_box)
        survey.setContentsMargins(0, 0, 0, 0)
        survey.setSpacing(2)
        survey_title = QLabel(SURVEY_TITLE)
        survey_title.setStyleSheet("font-weight: bold;")
        survey.addWidget(survey_title)
        self.survey_lines = QVBoxLayout()
        self.survey_lines.setSpacing(2)
        survey.addLayout(self.survey_lines)
        self.norms_label = muted("")
        self.norms_label.setAccessibleName("学年平均の計算日時")
        self.norms_label.setToolTip("学年平均は取込のたびに計算し直します")
        self.norms_label.hide()
        survey.addWidget(self.norms_label)
        survey.addStretch(1)
        self.domain_labels: list[QLabel] = []
        body.addWidget(self.survey_box, 1)
        self.survey_box.setVisible(domain_judgments is not None)
        self.body.hide()
        outer.addWidget(self.body)

    def load(self) -> None:
        """Read the section (again after the one running, if one runs)."""
        self.stale = False
        if self.load_task.running:
            self._again = True
            return
        pupil_id, explain, judge = self._pupil_id, self._explanations, self._domain_judgments
        self.load_task.run(lambda _ctx: read_facts(pupil_id, explain, judge),
                           self.show_facts, on_user_error=self.show_error)

    def _load_ended(self) -> None:
        if self._again:
            self._again = False
            self.load()

    def show_facts(self, facts: RiskFacts) -> None:
        self.facts = facts
        self.message_label.hide()
        standing = facts.risk
        latest = standing.latest
        if standing.list_month is None:
            self.standing_label.setText(NO_LIST_YET)
        elif not standing.on_latest_list:
            self.standing_label.setText(
                f"{self._month(standing.list_month)}: "
                + NOT_LISTED.format(top=standing.top) + "。")
        self.standing_label.setVisible(not standing.on_latest_list)
        self.standing_note.setVisible(standing.list_month is not None
                                      and not standing.on_latest_list)
        for widget in (self.month_label, self.band_label, self.band_text_label,
                       self.status_label, self.reasons_label):
            widget.setVisible(latest is not None)
        self.april_band_label.setVisible(latest is not None and is_april(latest.month))
        if latest is not None:
            earlier = "" if standing.on_latest_list else "前に入った一覧: "
            self.month_label.setText(f"{earlier}{self._month(latest.month)}の見守りアラート")
            show_band(self.band_label, self.band_text_label, latest.band, latest.band_text)
            self.status_label.setText(f"職員の記録: {latest.status or UNMARKED}")
            self.status_label.setStyleSheet(style.MUTED if latest.status is None else
                                            "font-weight: bold;")
            self.reasons_label.setText("理由\n" + "\n".join(f"・{r}" for r in latest.reasons))
        self._show_domains(facts.domains)
        self.body.show()
        self._apply_compact()
        self.loaded.emit(facts)

    def set_compact(self, compact: bool) -> None:
        """One line (list, band, mark) or the whole section."""
        if compact != self.compact:
            self.compact = compact
            self._apply_compact()

    def _toggle_compact(self) -> None:
        self.set_compact(not self.compact)
        self.compact_toggled.emit(self.compact)

    def _apply_compact(self) -> None:
        self.details_button.setText("詳しく表示" if self.compact else "簡単に表示")
        facts = self.facts
        if facts is None:
            return
        latest = facts.risk.latest
        full = not self.compact
        self.band_text_label.setVisible(latest is not None and full)
        self.reasons_label.setVisible(latest is not None and full)
        self.survey_box.setVisible(facts.domains is not None and full)

    def _show_domains(self, domains: SurveyDomains | None) -> None:
        self.survey_box.setVisible(domains is not None)
        for label in self.domain_labels:
            label.deleteLater()
        self.domain_labels = []
        if domains is None:
            return
        judgments = domains.judgments
        lines = [(f"・{d.text}", d.weak) for d in judgments] or [(NO_SURVEY, False)]
        for text, weak in lines:
            label = QLabel(text)
            label.setWordWrap(True)
            label.setStyleSheet(f"color: {WEAK_COLOR}; font-weight: bold;" if weak
                                else "" if judgments else style.MUTED)
            self.survey_lines.addWidget(label)
            self.domain_labels.append(label)
        computed = domains.norms_computed_at
        self.norms_label.setVisible(bool(judgments) and computed is not None)
        if judgments and computed is not None and domains.school_year is not None:
            self.norms_label.setText(NORMS_NOTE.format(
                year=format_school_year(domains.school_year, self._style),
                at=format_datetime(computed, self._style)))

    def show_error(self, message: str) -> None:
        self.body.hide()
        self.message_label.setText(message)
        self.message_label.setStyleSheet(f"color: {style.ERROR_COLOR};")
        self.message_label.show()

    def texts(self) -> list[str]:
        """What the section shows (for tests)."""
        labels = [self.standing_label, self.standing_note, self.month_label, self.band_label,
                  self.band_text_label, self.april_band_label, self.status_label,
                  self.reasons_label, *self.domain_labels, self.norms_label]
        return [label.text() for label in labels if not label.isHidden() and label.text()]

    def _month(self, month: SchoolMonth) -> str:
        return format_month(month, self._style)
