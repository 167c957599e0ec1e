"""What the school karte service returns: frozen values, numbers as numbers (the screen and
the printed sheet format them), no pupil names or IDs anywhere.

Re-exported from the analysis: ``Cell`` (value, n, 95% interval, city value, difference and
``tone``), ``Distribution``, ``Interval``, ``Correlation``, ``SchoolEffect``, ``FunnelPoint``
and ``ValueAdded``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from analysis.school_karte.correlation import Correlation
from analysis.school_karte.intervals import MIN_PUPILS, RULE_POINTS, Interval, Tone
from analysis.school_karte.positivity import BIN_EDGES, Cell, Distribution
from analysis.school_karte.value_added import FunnelPoint, SchoolEffect, ValueAdded

# Printed under every view and sheet of the school karte (issue 15).
CAPTION = ("この学校カルテの数値は、学校の改善に役立てるための関連の傾向です。"
           "学校や教職員を評価・順位づけするものではありません。"
           "人数の少ない集団の差の多くは偶然のばらつきです。")
UNCERTAIN_LABEL = "差は不確か"
SUPPRESSED_LABEL = f"{MIN_PUPILS}人未満のため表示しません"
TONE_LABELS: dict[Tone, str] = {
    "above": f"市より{RULE_POINTS:g}ポイント以上高い",
    "below": f"市より{RULE_POINTS:g}ポイント以上低い",
    "uncertain": UNCERTAIN_LABEL,
    "within": f"市との差は{RULE_POINTS:g}ポイント未満",
    "suppressed": SUPPRESSED_LABEL,
    "none": "市の値なし",
}


@dataclass(frozen=True)
class SchoolInfo:
    code: str
    name: str
    school_type: str  # 小学校 / 中学校


@dataclass(frozen=True)
class SurveyInfo:
    code: str
    name: str
    rounds: tuple[int, ...]
    positive_rule: str  # what counts as a positive answer, in Japanese


@dataclass(frozen=True)
class SurveyResult:
    """One cell of the survey tables. ``grade`` None: the whole school; ``class_name`` None:
    the whole grade; ``item_code`` None: the whole domain. The comparisons are the same
    school's same grade (and class name) last year, and the same pupils' answers last year
    (wherever they were then) against the city's pupils of the same grade then."""

    school_code: str
    grade: int | None
    class_name: str | None
    survey_code: str
    round: int
    domain: str
    item_code: str | None
    item_text: str  # the item's text ("" for a domain)
    current: Cell
    distribution: Distribution
    same_grade_last_year: Cell | None  # None: no such cell last year
    same_pupils_last_year: Cell | None


@dataclass(frozen=True)
class BasicInfo:
    """学校基礎情報 of one school year (rates in percent); None: not given."""

    school_code: str
    school_year: int
    pupils: int | None
    classes: int | None
    staff: int | None
    welfare_rate: float | None
    special_needs_rate: float | None
    japanese_support_rate: float | None


Outcome = Literal["growth", "absence"]


@dataclass(frozen=True)
class CorrelationResult:
    """A survey domain or item (per survey and round) against an outcome. ``level`` pupil: over the
    pupils of ``school_code`` (None: the whole city); school: over schools, each school's
    positivity against its growth effect or absence rate."""

    survey_code: str
    round: int
    domain: str
    outcome: Outcome
    level: Literal["pupil", "school"]
    school_code: str | None
    correlation: Correlation
    item_code: str | None = None  # None: the domain as a whole


SupportMeasure = Literal["push_support", "alert", "consultation"]


@dataclass(frozen=True)
class SupportCount:
    """Push-support counts. ``push_support``: pupils meeting the three criteria of the
    preset (month None); ``alert``: alerts of the month's shown list by their latest mark
    (``status`` "" when not yet marked); ``consultation``: consultations of the month by type.
    ``count`` None: the group has fewer than 10 pupils (suppressed)."""

    school_code: str
    grade: int | None
    class_name: str | None
    measure: SupportMeasure
    month: str | None  # "YYYY-MM"
    status: str
    count: int | None


@dataclass(frozen=True)
class SchoolKarte:
    school: SchoolInfo
    school_year: int
    school_years: tuple[int, ...]  # years the store holds (for a year picker)
    surveys: tuple[SurveyInfo, ...]
    results: tuple[SurveyResult, ...]  # school, grade and class cells
    basic_info: tuple[BasicInfo, ...]  # every year held, oldest first
    growth: ValueAdded | None  # all schools (code order); None: academic data not seen
    correlations: tuple[CorrelationResult, ...]
    support: tuple[SupportCount, ...]
    caption: str
    notes: tuple[str, ...]  # sections left out (no permission or key), model warnings

    @property
    def effect(self) -> SchoolEffect | None:
        """This school's growth effect (None when not estimated)."""
        if self.growth is None:
            return None
        return next((e for e in self.growth.effects if e.school_code == self.school.code), None)


@dataclass(frozen=True)
class CityView:
    school_year: int
    school_years: tuple[int, ...]
    schools: tuple[SchoolInfo, ...]  # school-code order, always
    surveys: tuple[SurveyInfo, ...]
    results: tuple[SurveyResult, ...]  # school and grade cells of every school
    basic_info: tuple[BasicInfo, ...]
    growth: ValueAdded | None
    correlations: tuple[CorrelationResult, ...]
    support: tuple[SupportCount, ...]  # school and grade level
    caption: str
    notes: tuple[str, ...]


__all__ = ["BIN_EDGES", "CAPTION", "MIN_PUPILS", "RULE_POINTS", "TONE_LABELS",
           "UNCERTAIN_LABEL", "BasicInfo", "Cell", "CityView", "Correlation",
           "CorrelationResult", "Distribution", "FunnelPoint", "Interval", "SchoolEffect",
           "SchoolInfo", "SchoolKarte", "SupportCount", "SurveyInfo", "SurveyResult", "Tone",
           "ValueAdded"]
