"""The city's push-support preset (プッシュ型支援の3基準), as an ordinary extraction.

Pupils enrolled in the base school year who are **not in long absence** and whose

1. academic level (県学調 学力レベル, mean over subjects) stayed the same or fell from the
   year before, **and**
2. lesson-understanding positivity (授業がわかる調査) fell from round 1 (June) to round 2
   (December), **and**
3. happiness-survey positivity (しあわせアンケート) fell from round 1 (June) to round 2
   (January).

Each criterion can be switched off and tuned (thresholds, tolerance, rounds, instrument
codes, a single subject); the result is a normal :class:`Extraction`, so it can be edited,
saved under a name and re-run on next year's data.
"""

from __future__ import annotations

from dataclasses import dataclass

from toda_desktop.extraction.model import (
    Change,
    Extraction,
    FieldMeasure,
    FieldTest,
    Group,
    Period,
    SurveyPositivity,
    Threshold,
)

PRESET_NAME = "プッシュ型支援の基準"


@dataclass(frozen=True)
class PushSupportOptions:
    # 長期欠席ではない: no long-absence record of this many days or more in the base year
    no_long_absence: bool = True
    long_absence_days: int = 30
    # 学力レベルが前年度から同じか低下: mean level this year - last year <= tolerance
    academic: bool = True
    academic_tolerance: float = 0.0
    academic_subject: str | None = None  # None: mean over all subjects
    # 授業がわかる調査の肯定的回答が第1回→第2回で低下 (by at least ``lesson_min_drop`` points)
    lesson: bool = True
    lesson_survey: str = "LESSON"
    lesson_from_round: int = 1
    lesson_to_round: int = 2
    lesson_min_drop: float = 0.0
    lesson_subject: str | None = None
    # しあわせアンケートの肯定的回答が6月→1月で低下
    happy: bool = True
    happy_survey: str = "HAPPY"
    happy_from_round: int = 1
    happy_to_round: int = 2
    happy_min_drop: float = 0.0


def push_support_preset(
    options: PushSupportOptions | None = None, school_year: int | None = None,
    name: str = PRESET_NAME,
) -> Extraction:
    o = options or PushSupportOptions()
    academic_where = (
        (FieldTest("subject", "==", o.academic_subject),) if o.academic_subject else ()
    )
    items = (
        Threshold(
            kind="long_absence", field="absence_days", op=">=", value=o.long_absence_days,
            period=Period(0), aggregate="max", negate=True, enabled=o.no_long_absence,
            label=f"長期欠席ではない（当該年度の長期欠席調査で欠席{o.long_absence_days}日以上なし）",
        ),
        Change(
            measure=FieldMeasure("academic_results", "level", "avg", academic_where),
            before=Period(-1), after=Period(0), direction="same_or_fell",
            amount=o.academic_tolerance, enabled=o.academic,
            label="学力レベルが前年度から同じか低下"
            + (f"（{o.academic_subject}）" if o.academic_subject else ""),
        ),
        Change(
            measure=SurveyPositivity(o.lesson_survey, subject=o.lesson_subject),
            before=Period(0, round=o.lesson_from_round),
            after=Period(0, round=o.lesson_to_round),
            direction="fell", amount=o.lesson_min_drop, enabled=o.lesson,
            label=f"授業がわかる調査の肯定的回答が第{o.lesson_from_round}回→"
                  f"第{o.lesson_to_round}回で低下"
                  + (f"（{o.lesson_min_drop:g}ポイント以上）" if o.lesson_min_drop else ""),
        ),
        Change(
            measure=SurveyPositivity(o.happy_survey),
            before=Period(0, round=o.happy_from_round),
            after=Period(0, round=o.happy_to_round),
            direction="fell", amount=o.happy_min_drop, enabled=o.happy,
            label=f"しあわせアンケートの肯定的回答が第{o.happy_from_round}回→"
                  f"第{o.happy_to_round}回で低下"
                  + (f"（{o.happy_min_drop:g}ポイント以上）" if o.happy_min_drop else ""),
        ),
    )
    return Extraction(
        name=name, root=Group("and", items), school_year=school_year,
        description="長期欠席ではなく、学力・授業理解・しあわせアンケートの3基準すべてに該当する"
                    "児童生徒（早期の支援の検討のため）。",
    )

CURRENT_YEAR = Period()


def instrument_condition(
    survey_code: str, op: str, value: int | float | str | tuple[str, ...], *,
    period: Period | None = CURRENT_YEAR, label: str = "",
) -> Threshold:
    """A condition on the answers of one instrument: 「Q-Uの群が学級生活不満足群」 is
    ``instrument_condition("QU", "==", "学級生活不満足群")``, 「AiGROWの得点が40未満の項目が
    ある」 is ``instrument_condition("AIGROW", "<", 40)``. Numbers compare as numbers and
    categories as text, so a score never matches a category condition and the reverse."""
    return Threshold("survey_responses", "answer", op, value, period=period,
                     where=(FieldTest("survey_code", "==", survey_code),), label=label)
