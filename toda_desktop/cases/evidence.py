"""What the data shows around a case meeting, for its review (issue 14).

Read through the karte's repository functions and only from the kinds the reader may see and
holds the key of (``gate.sees``): a bullying-support reader gets no attendance, exactly as
the karte shows none. Monthly figures: absence days and health-room visits in the three
months before the meeting's month against the months after it up to the review (the
meeting's own month is shown but counted in neither); survey rounds of the year before the
meeting and since, as the share of positive answers.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, timedelta

from kernel.school_calendar import SchoolMonth, calendar_year
from storage.repos import karte as karte_repo
from toda_desktop.cases.model import Evidence, MonthAbsence, SurveyRound
from toda_desktop.context import ServiceContext
from toda_desktop.karte.service import survey_name

BEFORE_MONTHS = 3
SURVEYS_BEFORE = timedelta(days=365)
SOURCES = {"attendance_monthly": "出欠", "health_room_visits": "保健室利用",
           "survey_responses": "アンケート"}


def _period(month: SchoolMonth, meeting: SchoolMonth) -> bool | None:
    """True after the meeting's month, False before it, None for the month itself."""
    if month == meeting:
        return None
    return (month.year, month.month) > (meeting.year, meeting.month)


def _months(meeting_on: date, as_of: date) -> list[SchoolMonth]:
    start = SchoolMonth(meeting_on.year, meeting_on.month)
    for _ in range(BEFORE_MONTHS):
        start = start.previous()
    end = SchoolMonth(as_of.year, as_of.month)
    out = []
    m = start
    while (m.year, m.month) <= (end.year, end.month):
        out.append(m)
        m = m.next()
    return out


def _mean(values: list[int]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def read_evidence(ctx: ServiceContext, pupil_id: int, meeting_on: date, as_of: date
                  ) -> Evidence:
    gate = ctx.gate
    months = _months(meeting_on, as_of)
    meeting = SchoolMonth(meeting_on.year, meeting_on.month)
    absence: tuple[MonthAbsence, ...] | None = None
    before = after = None
    if gate.sees("attendance_monthly"):
        rows = ctx.db.call(lambda c: karte_repo.attendance(c, pupil_id),
                           kind="attendance_monthly")
        by_month = {SchoolMonth(calendar_year(r.school_year, r.month), r.month): r for r in rows}
        absence = tuple(
            MonthAbsence(m, by_month[m].absence_days if m in by_month else None,
                         by_month[m].school_days if m in by_month else None,
                         _period(m, meeting)) for m in months)
        before = _mean([a.absence_days for a in absence
                        if a.after is False and a.absence_days is not None])
        after = _mean([a.absence_days for a in absence
                       if a.after is True and a.absence_days is not None])
    health_before = health_after = None
    if gate.sees("health_room_visits"):
        visits = ctx.db.call(lambda c: karte_repo.health_visits_by_month(c, pupil_id),
                             kind="health_room_visits")
        per_month: dict[SchoolMonth, int] = defaultdict(int)
        for m, _symptom, n in visits:
            per_month[m] += n
        health_before = sum(per_month.get(m, 0) for m in months
                            if _period(m, meeting) is False)
        health_after = sum(per_month.get(m, 0) for m in months if _period(m, meeting) is True)
    surveys: tuple[SurveyRound, ...] | None = None
    if gate.sees("survey_responses"):
        scores = ctx.db.call(lambda c: karte_repo.survey_scores(c, pupil_id),
                             kind="survey_responses")
        rounds: dict[tuple[str, int, int], list[karte_repo.SurveyScore]] = defaultdict(list)
        for s in scores:
            rounds[(s.survey_code, s.school_year, s.round)].append(s)
        found = []
        for (code, year, rnd), parts in rounds.items():
            first = min((p.first_date for p in parts if p.first_date), default=None)
            day = date.fromisoformat(first[:10]) if first else None
            if day is None or not meeting_on - SURVEYS_BEFORE <= day <= as_of:
                continue
            answered = sum(p.answered for p in parts)
            share = round(100.0 * sum(p.positive for p in parts) / answered, 1) \
                if answered else None
            found.append(SurveyRound(code, survey_name(code), year, rnd, day, share,
                                     day >= meeting_on))
        surveys = tuple(sorted(found, key=lambda r: (r.first_date or date.min, r.survey_code)))
    missing = [label for kind, label in SOURCES.items() if not gate.sees(kind)]
    withheld = (f"{'・'.join(missing)}のデータは、閲覧できる範囲に含まれないため表示していません。"
                if missing else "")
    return Evidence(meeting_on, as_of, absence, before, after, health_before, health_after,
                    surveys, withheld)


def evidence_to_json(e: Evidence) -> str:
    """The snapshot kept with a review."""
    return json.dumps({
        "meeting_on": e.meeting_on.isoformat(), "as_of": e.as_of.isoformat(),
        "absence": None if e.absence is None else [
            [str(a.month), a.absence_days, a.school_days, a.after] for a in e.absence],
        "absence_before": e.absence_before, "absence_after": e.absence_after,
        "health_before": e.health_before, "health_after": e.health_after,
        "surveys": None if e.surveys is None else [
            [s.survey_code, s.survey_name, s.school_year, s.round,
             None if s.first_date is None else s.first_date.isoformat(), s.positive_share,
             s.after] for s in e.surveys],
        "withheld": e.withheld,
    }, ensure_ascii=False)


def evidence_from_json(text: str) -> Evidence | None:
    data = json.loads(text or "{}")
    if not data:
        return None
    return Evidence(
        meeting_on=date.fromisoformat(data["meeting_on"]), as_of=date.fromisoformat(data["as_of"]),
        absence=None if data["absence"] is None else tuple(
            MonthAbsence(SchoolMonth.parse(m), d, sd, after)
            for m, d, sd, after in data["absence"]),
        absence_before=data["absence_before"], absence_after=data["absence_after"],
        health_before=data["health_before"], health_after=data["health_after"],
        surveys=None if data["surveys"] is None else tuple(
            SurveyRound(c, n, y, r, None if d is None else date.fromisoformat(d), sh, after)
            for c, n, y, r, d, sh, after in data["surveys"]),
        withheld=data.get("withheld", ""),
    )
