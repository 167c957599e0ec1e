"""The school karte service (issue 15): aggregates only, within the permission map.

Every entry needs the ``school_karte`` function; each section needs the dataset kinds it is
made from (within the role's need to know and with the group's key in hand), else it is left
out with a note. Nothing that leaves holds a pupil's name or ID: the storage layer returns
class totals (the growth estimate reads pupils' levels without IDs), and groups under 10
pupils are suppressed here, before a result is built. Every view is audit-logged.

The city's totals are read once per school year and data version (a digest of the import
batches) and kept in memory for the session, so a school karte opened from the city view
only slices what was read.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace
from typing import TypeVar

import pandas as pd

from analysis.school_karte.correlation import ZERO, Moments, from_moments, from_values
from analysis.school_karte.disclosure import (
    FIRST,
    SECOND,
    Suppression,
    pairs_from_groups,
    suppression,
)
from analysis.school_karte.intervals import MIN_PUPILS
from analysis.school_karte.positivity import (
    PositivityRow,
    empty_groups,
    positivity_rows,
)
from analysis.school_karte.value_added import COVARIATES, ValueAdded, estimate
from kernel.progress import CancelFlag, Progress
from storage.connection import Connection
from storage.registry import Registry
from storage.repos import risk as risk_repo
from storage.repos import school_karte as repo
from toda_desktop.context import ServiceContext
from toda_desktop.errors import OperationCancelled, UserFacingError
from toda_desktop.extraction.engine import Evaluation, evaluate
from toda_desktop.extraction.model import (
    Change,
    CountInWindow,
    Extraction,
    Membership,
    SurveyPositivity,
    Threshold,
)
from toda_desktop.extraction.presets import push_support_preset
from toda_desktop.karte.service import SURVEY_NAMES, survey_name
from toda_desktop.school_karte.models import (
    CAPTION,
    BasicInfo,
    CityView,
    CorrelationResult,
    Outcome,
    SchoolInfo,
    SchoolKarte,
    SupportCount,
    SupportMeasure,
    SurveyInfo,
    SurveyResult,
)
from toda_desktop.school_karte.rules import RULES, rule_text
from toda_desktop.withheld import withheld_notice

T = TypeVar("T")
FUNCTION = "school_karte"
SURVEY_KINDS = ("survey_responses", "survey_items", "enrollments")
GROWTH_KINDS = ("academic_results", "enrollments", "school_context")
ALERT_TOP = 5  # places per school in a month's shown list (the alert screen's default)
CANCELLED = "学校カルテの集計を中止しました。"
Key = tuple[object, ...]


@dataclass(frozen=True)
class _Sections:
    surveys: bool
    growth: bool
    absence: bool
    basic: bool
    push_support: bool
    alerts: bool
    consultations: bool


def _key(r: PositivityRow | SurveyResult) -> Key:
    return (r.grade, r.class_name, r.survey_code, r.round, r.domain, r.item_code)


class SchoolKarteService:
    def __init__(self, context: ServiceContext) -> None:
        self._ctx = context
        self._cache: dict[Key, object] = {}
        self._pending: dict[Key, Future[object]] = {}
        self._lock = threading.Lock()
        self._local = threading.local()

    # -- entries ---------------------------------------------------------------------------

    def school_years(self) -> tuple[int, ...]:
        """School years with enrollments (for a year picker)."""
        self._ctx.gate.require(FUNCTION)
        return tuple(self._ctx.db.read(repo.school_years, kind="enrollments"))

    def schools(self) -> tuple[SchoolInfo, ...]:
        """Every school, in school-code order."""
        self._ctx.gate.require(FUNCTION)
        return tuple(SchoolInfo(s.school_code, s.school_name, s.school_type)
                     for s in self._ctx.db.read(repo.schools, kind="schools"))

    def school_karte(self, school_code: str, school_year: int | None = None, *,
                     progress: Progress | None = None, cancel: CancelFlag | None = None
                     ) -> SchoolKarte:
        """One school's karte (see ``_school_karte``)."""
        self._ctx.gate.require(FUNCTION)
        with self._pinned():
            return self._school_karte(school_code, school_year, progress, cancel)

    def city_view(self, school_year: int | None = None, *, progress: Progress | None = None,
                  cancel: CancelFlag | None = None) -> CityView:
        """All schools side by side (see ``_city_view``)."""
        self._ctx.gate.require(FUNCTION)
        with self._pinned():
            return self._city_view(school_year, progress, cancel)

    def _school_karte(self, school_code: str, school_year: int | None,
                      progress: Progress | None, cancel: CancelFlag | None) -> SchoolKarte:
        """One school's karte: survey cells of the school, its grades and classes with the
        comparisons, its basic information over the years, the growth estimate of every school
        (the funnel and caterpillar need them; the school's own is ``SchoolKarte.effect``),
        correlations within the school and the push-support counts of its grades and classes."""
        ctx = self._ctx
        ctx.gate.require(FUNCTION)
        schools = {s.code: s for s in self.schools()}
        if school_code not in schools:
            raise UserFacingError("その学校コードの学校は登録されていません。")
        years = self.school_years()
        year = self._year(school_year, years)
        sections = self._sections()
        step = _Stepper(progress, cancel)
        self._prefetch(self._long_reads(year, sections, city=False))
        growth = self._growth(year) if sections.growth else None  # see ``_city_view``
        step(0.3)
        results: tuple[SurveyResult, ...] = ()
        if sections.surveys:
            results = self._survey_results(year, [school_code], classes=True, step=step)
        step(0.7)
        correlations = self._correlations(year, sections, school_code, results, growth)
        step(0.8)
        basic = self._basic_info([school_code]) if sections.basic else ()
        support = self._support(year, sections, [school_code], classes=True)
        step(1.0)
        ctx.log("school_karte_view", target=f"school:{school_code}",
                detail={"school_year": year})
        return SchoolKarte(
            school=schools[school_code], school_year=year, school_years=years,
            surveys=self._survey_infos(results), results=results, basic_info=basic,
            growth=growth, correlations=correlations, support=support, caption=CAPTION,
            notes=self._notes(sections, growth),
        )

    def _city_view(self, school_year: int | None, progress: Progress | None,
                   cancel: CancelFlag | None) -> CityView:
        """All schools side by side (school-code order): school and grade cells, basic
        information, growth, school-level correlations and push-support counts per school and
        grade. Classes are in each school's karte."""
        ctx = self._ctx
        ctx.gate.require(FUNCTION)
        schools = self.schools()
        years = self.school_years()
        year = self._year(school_year, years)
        sections = self._sections()
        step = _Stepper(progress, cancel)
        codes = [s.code for s in schools]
        self._prefetch(self._long_reads(year, sections, city=True))
        # The growth estimate first: its reads are short and on other lanes, so it is
        # made while the answers are still being read.
        growth = self._growth(year) if sections.growth else None
        step(0.3)
        results: tuple[SurveyResult, ...] = ()
        if sections.surveys:
            results = self._survey_results(year, None, classes=False, step=step)
        step(0.7)
        correlations = self._correlations(year, sections, None, results, growth)
        step(0.8)
        basic = self._basic_info(codes) if sections.basic else ()
        support = self._support(year, sections, codes, classes=False)
        step(1.0)
        ctx.log("school_karte_city", target="市全体", detail={"school_year": year})
        return CityView(
            school_year=year, school_years=years, schools=schools,
            surveys=self._survey_infos(results), results=results, basic_info=basic,
            growth=growth, correlations=correlations, support=support, caption=CAPTION,
            notes=self._notes(sections, growth),
        )

    # -- sections --------------------------------------------------------------------------

    def _sections(self) -> _Sections:
        sees = self._ctx.gate.sees
        surveys = all(sees(k) for k in SURVEY_KINDS)
        return _Sections(
            surveys=surveys,
            growth=all(sees(k) for k in GROWTH_KINDS),
            absence=sees("attendance_monthly") and sees("enrollments"),
            basic=sees("school_context") and sees("enrollments"),
            push_support=surveys and sees("academic_results") and sees("long_absence"),
            alerts=sees("attendance_monthly") and sees("enrollments"),
            consultations=sees("consultations") and sees("enrollments"),
        )

    def _notes(self, s: _Sections, growth: ValueAdded | None) -> tuple[str, ...]:
        notes = []
        if not s.surveys:
            notes.append("調査回答を閲覧できないため、調査結果は表示しません。")
        if not s.growth:
            notes.append("県学調結果または学校基礎情報を閲覧できないため、成長（付加価値）は"
                         "表示しません。")
        if not s.basic:
            notes.append("学校基礎情報を閲覧できないため、基礎情報は表示しません。")
        if not s.push_support:
            notes.append("プッシュ型支援の3基準に必要なデータを閲覧できないため、該当者数は"
                         "表示しません。")
        if growth is not None:
            notes.extend(growth.warnings)
        withheld = withheld_notice(self._ctx.gate)
        if withheld:
            notes.append(withheld)
        return tuple(notes)

    @staticmethod
    def _year(school_year: int | None, years: Sequence[int]) -> int:
        if not years:
            raise UserFacingError("在籍データがないため、学校カルテを作れません。")
        if school_year is None:
            return years[-1]
        if school_year not in years:
            raise UserFacingError(f"{school_year}年度の在籍データはありません。")
        return school_year

    # -- cache -----------------------------------------------------------------------------

    def _version(self) -> str:
        """The data version; read once per view (``_pinned``), not once per cached part."""
        pinned: str | None = getattr(self._local, "version", None)
        return pinned if pinned is not None else self._ctx.db.read(risk_repo.data_version)

    @contextlib.contextmanager
    def _pinned(self) -> Iterator[None]:
        self._local.version = self._ctx.db.read(risk_repo.data_version)
        try:
            with _collector_paused():
                yield
        finally:
            self._settle()
            self._local.version = None

    def _cached(self, key: Key, make: Callable[[], T]) -> T:
        full = (self._version(), *key)
        with self._lock:
            if full in self._cache:
                return self._cache[full]  # type: ignore[return-value]
            pending = self._pending.get(full)
        if pending is not None:
            value = pending.result()  # a read started by ``_prefetch``
            with self._lock:
                self._pending.pop(full, None)
                self._cache[full] = value
            return value  # type: ignore[return-value]
        value = make()
        with self._lock:
            if len(self._cache) > 64:
                self._cache.clear()
            self._cache[full] = value
        return value

    def _read(self, task: Callable[[Connection], T], kind: str) -> T:
        return self._ctx.db.read(task, kind=kind)

    def _prefetch(self, reads: Sequence[tuple[Key, Callable[[Connection], object], str]]
                  ) -> None:
        """Start the reads not yet cached at once (each lane of the store has its own
        readers) and return: ``_cached`` waits for a read when its part is built, so the
        view's own work (the growth estimate, say) runs while the long reads go on, and a
        cold view waits for the longest read, not for their sum."""
        version = self._version()
        with self._lock:
            missing = [(k, task, kind) for k, task, kind in reads
                       if (version, *k) not in self._cache
                       and (version, *k) not in self._pending]
        for k, task, kind in missing:
            future = self._ctx.db.submit_read(task, kind=kind)
            with self._lock:
                self._pending[(version, *k)] = future

    def _settle(self) -> None:
        """After a view: wait for the reads it started and did not use (a view left by an
        error or a cancel), caching what they read; a failed one is read again when next
        needed."""
        with self._lock:
            pending = list(self._pending.items())
        for full, future in pending:
            try:
                value = future.result()
            except Exception:  # read again (and raised) when next needed
                with self._lock:
                    self._pending.pop(full, None)
                continue
            with self._lock:
                if self._pending.pop(full, None) is not None:
                    self._cache[full] = value

    def _long_reads(self, year: int, s: _Sections, *, city: bool
                    ) -> list[tuple[Key, Callable[[Connection], object], str]]:
        reads: list[tuple[Key, Callable[[Connection], object], str]] = []
        # In the order the view needs them (the readers of a lane take them in turn): the
        # growth estimate's short read first, so that the estimate is made while the
        # answers are read, then this year's answers, last year's and the rest.
        if s.growth:
            reads.append((("growth-rows", year), functools.partial(
                repo.growth_rows, school_year=year), "academic_results"))
        if s.growth or s.basic:
            reads.append((("context",), repo.context_rows, "school_context"))
        if s.surveys:
            for answer_year in (year, year - 1):
                key, task = self._aggregates_read(answer_year, year, s, self._store_years())
                reads.append((key, task, "survey_responses"))
        if s.push_support:
            reads.append((("push-eval", year), functools.partial(
                _evaluate_push, registry=self._ctx.registry, year=year), "survey_responses"))
        if s.surveys and s.absence and city:
            reads.append((("absence", year), functools.partial(
                repo.absence_by_school, school_year=year), "attendance_monthly"))
        if s.consultations:
            reads.append((("consultations", year), functools.partial(
                repo.consultation_counts, school_year=year), "consultations"))
        reads.append((("sizes-rows", year), functools.partial(
            repo.class_sizes, school_year=year), "enrollments"))
        return reads

    # -- surveys ---------------------------------------------------------------------------

    @staticmethod
    def _outcomes(s: _Sections) -> tuple[str, ...]:
        return tuple(o for o, ok in (("growth", s.growth), ("absence", s.absence)) if ok)

    def _store_years(self) -> tuple[int, ...]:
        return self._cached(("years",), lambda: tuple(self._read(repo.school_years,
                                                                 "enrollments")))

    def _aggregates_read(self, answer_year: int, year: int, s: _Sections,
                         years: Sequence[int]
                         ) -> tuple[Key, Callable[[Connection], repo.YearAggregates]]:
        """The one pass over ``answer_year``'s answers a view of ``year`` needs: the answers
        by that year's classes and, when the store has the next year, by the next year's
        (the same pupils a year later; the suppression needs both whichever year is viewed);
        with this year's answers the correlation moments."""
        group_years = (answer_year,) + ((answer_year + 1,) if answer_year + 1 in years
                                        else ())
        outcomes = self._outcomes(s) if answer_year == year else ()
        counts = _push_pairs(year) if answer_year == year and s.push_support else ()
        task = functools.partial(repo.year_aggregates, answer_year=answer_year,
                                 group_years=group_years, rules=RULES, outcomes=outcomes,
                                 pupil_counts=counts)
        return ("aggregates", answer_year, group_years, outcomes, counts), task

    def _aggregates(self, answer_year: int, year: int) -> repo.YearAggregates:
        key, task = self._aggregates_read(answer_year, year, self._sections(),
                                          self._store_years())
        value = self._cached(key, lambda: self._read(task, "survey_responses"))
        assert isinstance(value, repo.YearAggregates)
        return value

    def _groups(self, answer_year: int, group_year: int, year: int) -> pd.DataFrame:
        """Class totals of ``answer_year``'s answers by the classes of ``group_year``."""
        frame = self._aggregates(answer_year, year).frames.get(group_year)
        return empty_groups() if frame is None else frame

    def _suppression(self, answer_year: int, year: int) -> Suppression:
        """The cells of ``answer_year``'s answers hidden in every view (see
        ``analysis.school_karte.disclosure``), decided once on the whole city."""
        def make() -> Suppression:
            agg = self._aggregates(answer_year, year)
            if agg.pairs is not None:
                return suppression(agg.pairs)
            return suppression(pairs_from_groups(self._groups(answer_year, answer_year,
                                                              year)))
        return self._cached(("suppression", answer_year), make)

    def _labels(self, year: int) -> dict[tuple[str, str], str]:
        def make() -> dict[tuple[str, str], str]:
            labels = self._read(lambda c: repo.item_labels(c, year), "survey_items")
            return {(x.survey_code, x.item_code): x.item_text for x in labels}
        return self._cached(("labels", year), make)

    def _survey_results(self, year: int, schools: Sequence[str] | None, *, classes: bool,
                        step: _Stepper) -> tuple[SurveyResult, ...]:
        now = positivity_rows(self._groups(year, year, year), schools, classes=classes,
                              hidden=self._suppression(year, year), side=FIRST)
        step(0.35)
        before = self._suppression(year - 1, year)
        last = {(r.school_code, *_key(r)): r.cell for r in positivity_rows(
            self._groups(year - 1, year - 1, year), schools, classes=classes,
            hidden=before, side=FIRST)}
        step(0.4)
        cohort = {(r.school_code, *_key(r)): r.cell for r in positivity_rows(
            self._groups(year - 1, year, year), schools, classes=classes,
            hidden=before, side=SECOND)}
        step(0.45)
        labels = self._labels(year)
        out = []
        for r in now:
            k = (r.school_code, *_key(r))
            out.append(SurveyResult(
                school_code=r.school_code, grade=r.grade, class_name=r.class_name,
                survey_code=r.survey_code, round=r.round, domain=r.domain,
                item_code=r.item_code,
                item_text="" if r.item_code is None else labels.get(
                    (r.survey_code, r.item_code), r.item_code),
                current=r.cell, distribution=r.distribution,
                same_grade_last_year=last.get(k), same_pupils_last_year=cohort.get(k),
            ))
        return tuple(out)

    @staticmethod
    def _survey_infos(results: Iterable[SurveyResult]) -> tuple[SurveyInfo, ...]:
        rounds: dict[str, set[int]] = {}
        for r in results:
            rounds.setdefault(r.survey_code, set()).add(r.round)
        order = list(SURVEY_NAMES)
        codes = sorted(rounds, key=lambda c: (order.index(c) if c in order else 99, c))
        return tuple(SurveyInfo(c, survey_name(c), tuple(sorted(rounds[c])), rule_text(c))
                     for c in codes)

    # -- growth ----------------------------------------------------------------------------

    def _context(self) -> list[repo.ContextRow]:
        return self._cached(("context",), lambda: self._read(repo.context_rows,
                                                             "school_context"))

    def _growth(self, year: int) -> ValueAdded:
        def make() -> ValueAdded:
            rows = self._cached(("growth-rows", year), lambda: self._read(
                lambda c: repo.growth_rows(c, year), "academic_results"))
            pupils = pd.DataFrame(
                [(r.school_code, r.grade, r.prior, r.current) for r in rows],
                columns=["school_code", "grade", "prior", "current"])
            ctx_rows = [r for r in self._context() if r.school_year == year and r.grade is None]
            schools = pd.DataFrame(
                [(r.school_code, r.welfare_rate, r.special_needs_rate, r.japanese_support_rate)
                 for r in ctx_rows], columns=["school_code", *COVARIATES])
            return estimate(pupils, schools)
        return self._cached(("growth", year), make)

    # -- correlations ----------------------------------------------------------------------

    def _moments(self, year: int, outcome: Outcome) -> list[repo.MomentRow]:
        return [m.row for m in self._aggregates(year, year).moments if m.outcome == outcome]

    def _absence_rates(self, year: int) -> dict[str, float]:
        rows = self._cached(("absence", year), lambda: self._read(
            lambda c: repo.absence_by_school(c, year), "attendance_monthly"))
        return {r.school_code: 100.0 * r.absence_days / r.school_days
                for r in rows if r.school_days > 0 and r.pupils >= MIN_PUPILS}

    def _correlations(self, year: int, s: _Sections, school: str | None,
                      results: Sequence[SurveyResult], growth: ValueAdded | None
                      ) -> tuple[CorrelationResult, ...]:
        if not s.surveys:
            return ()
        outcomes: list[Outcome] = []
        if s.growth:
            outcomes.append("growth")
        if s.absence:
            outcomes.append("absence")
        out: list[CorrelationResult] = []
        for outcome in outcomes:
            city: dict[tuple[str, int, str, str], Moments] = {}
            own: dict[tuple[str, int, str, str], Moments] = {}
            for m in self._moments(year, outcome):
                k = (m.survey_code, m.round, m.domain, m.item_code)
                mm = Moments(m.n, m.sx, m.sy, m.sxx, m.syy, m.sxy)
                city[k] = city.get(k, ZERO) + mm
                if m.school_code == school:
                    own[k] = mm
            for k in sorted(city):
                item = k[3] or None
                out.append(CorrelationResult(k[0], k[1], k[2], outcome, "pupil", None,
                                             from_moments(city[k]), item))
                if school is not None:
                    out.append(CorrelationResult(k[0], k[1], k[2], outcome, "pupil", school,
                                                 from_moments(own.get(k, ZERO)), item))
            if school is None:
                out.extend(self._school_level(year, outcome, results, growth))
        return tuple(out)

    def _school_level(self, year: int, outcome: Outcome, results: Sequence[SurveyResult],
                      growth: ValueAdded | None) -> list[CorrelationResult]:
        if outcome == "growth":
            y = {} if growth is None else {e.school_code: e.effect for e in growth.effects}
        else:
            y = self._absence_rates(year)
        by_key: dict[tuple[str, int, str, str], dict[str, float]] = {}
        for r in results:
            if r.grade is None and r.current.value is not None:
                key = (r.survey_code, r.round, r.domain, r.item_code or "")
                by_key.setdefault(key, {})[r.school_code] = r.current.value
        out = []
        for k in sorted(by_key):
            codes = sorted(set(by_key[k]) & set(y))
            out.append(CorrelationResult(
                k[0], k[1], k[2], outcome, "school", None,
                from_values([by_key[k][c] for c in codes], [y[c] for c in codes]),
                k[3] or None))
        return out

    # -- basic information -----------------------------------------------------------------

    def _basic_info(self, schools: Sequence[str]) -> tuple[BasicInfo, ...]:
        classes = self._cached(("classes",), lambda: self._read(repo.class_counts,
                                                                "enrollments"))
        wanted = set(schools)
        return tuple(
            BasicInfo(r.school_code, r.school_year, r.pupils, classes.get(
                (r.school_code, r.school_year)), r.staff, r.welfare_rate,
                r.special_needs_rate, r.japanese_support_rate)
            for r in self._context() if r.grade is None and r.school_code in wanted)

    # -- push-support counts ---------------------------------------------------------------

    def _push_support(self, year: int) -> tuple[dict[Key, int], dict[Key, int]]:
        """(matched, enrolled) per (school, grade, class) of the preset's base year."""
        def make() -> tuple[dict[Key, int], dict[Key, int]]:
            registry = self._ctx.registry
            ev = self._cached(("push-eval", year), lambda: self._read(
                functools.partial(_evaluate_push, registry=registry, year=year),
                "survey_responses"))
            assert isinstance(ev, Evaluation)
            who = ev.matched
            if _push_pairs(year):
                counts = self._aggregates(year, year).pupil_counts
                who = who & _survey_matches(year, counts, frozenset(ev.population))
            matched: dict[Key, int] = {}
            enrolled: dict[Key, int] = {}
            for pid, p in ev.population.items():
                k: Key = (p.school_code or "", p.grade or 0, p.class_name or "")
                enrolled[k] = enrolled.get(k, 0) + 1
                if pid in who:
                    matched[k] = matched.get(k, 0) + 1
            return matched, enrolled
        return self._cached(("push", year), make)

    def _support(self, year: int, s: _Sections, schools: Sequence[str], *, classes: bool
                 ) -> tuple[SupportCount, ...]:
        wanted = set(schools)
        sizes = self._group_sizes(year)
        out: list[SupportCount] = []

        def add(rows: Iterable[tuple[Key, str | None, str, int]],
                measure: SupportMeasure) -> None:
            totals: dict[tuple[Key, str | None, str], int] = {}
            for (school, grade, cls), month, status, count in rows:
                if school not in wanted:
                    continue
                # Classes always: what is withheld to protect a class must be the same
                # in the city view (no classes) as in the school's karte.
                levels: list[Key] = [(school, None, None), (school, grade, None),
                                     (school, grade, cls)]
                for level in levels:
                    kk = (level, month, status)
                    totals[kk] = totals.get(kk, 0) + count
            for (level, month, status), count in totals.items():
                size = sizes.get(level, 0)
                school, grade, cls = level
                out.append(SupportCount(
                    str(school), None if grade is None else int(str(grade)),
                    None if cls is None else str(cls), measure, month, status,
                    count if size >= MIN_PUPILS else None))

        if s.push_support:
            matched, enrolled = self._push_support(year)
            add(((k, None, "", matched.get(k, 0)) for k in enrolled), "push_support")
        if s.alerts and self._read(lambda c: repo.has_table(c, "risk_alerts"),
                                   "attendance_monthly"):
            alerts = self._cached(("alerts", year), lambda: self._read(
                lambda c: repo.alert_counts(c, year, ALERT_TOP), "attendance_monthly"))
            add((((a.school_code, a.grade, a.class_name), a.month, a.status, a.count)
                 for a in alerts), "alert")
        if s.consultations:
            consults = self._cached(("consultations", year), lambda: self._read(
                lambda c: repo.consultation_counts(c, year), "consultations"))
            add((((a.school_code, a.grade, a.class_name), a.month, a.status, a.count)
                 for a in consults), "consultation")
        out = complementary_counts(out)
        if not classes:
            out = [c for c in out if c.class_name is None]
        out.sort(key=lambda c: (c.school_code, -1 if c.grade is None else c.grade,
                                c.class_name or "", c.measure, c.month or "", c.status))
        return tuple(out)

    def _group_sizes(self, year: int) -> dict[Key, int]:
        """Pupils enrolled per school, grade and class (the suppression's denominators)."""
        def make() -> dict[Key, int]:
            sizes: dict[Key, int] = {}
            rows = self._cached(("sizes-rows", year), lambda: self._read(
                lambda c: repo.class_sizes(c, year), "enrollments"))
            for g in rows:
                for level in ((g[0], None, None), (g[0], g[1], None), (g[0], g[1], g[2])):
                    sizes[level] = sizes.get(level, 0) + g[3]
            return sizes
        return self._cached(("sizes", year), make)


def complementary_counts(counts: list[SupportCount]) -> list[SupportCount]:
    """Counts of a school's grades (a grade's classes) add up to the total above them, so
    one withheld count among them would be the total minus the others: withhold the
    smallest shown sibling too, or, with no shown sibling, the total itself. Repeated until
    no line has a single withheld count (withholding a total can open the line above)."""
    out = list(counts)
    changed = True
    while changed:
        changed = False
        lines: dict[Key, list[int]] = {}
        parents: dict[Key, int] = {}
        for i, c in enumerate(out):
            what = (c.measure, c.month, c.status)
            if c.grade is None:
                parents[(c.school_code, None, *what)] = i
            elif c.class_name is None:
                lines.setdefault((c.school_code, None, *what), []).append(i)
                parents[(c.school_code, c.grade, *what)] = i
            else:
                lines.setdefault((c.school_code, c.grade, *what), []).append(i)
        for line, members in lines.items():
            hidden = [i for i in members if out[i].count is None]
            shown = [i for i in members if out[i].count is not None]
            if len(hidden) != 1:
                continue
            parent = parents.get(line)
            if shown:
                i = min(shown, key=lambda k: (out[k].count or 0, out[k].class_name or "",
                                              out[k].grade or 0))
                out[i] = replace(out[i], count=None)
                changed = True
            elif parent is not None and out[parent].count is not None:
                out[parent] = replace(out[parent], count=None)
                changed = True
    return out


_gc_lock = threading.Lock()
_gc_holders = 0
_gc_was_enabled = False


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a view is built: a view makes some
    hundred thousand small objects, and each full collection walks the whole heap (about
    0.3-0.4 s of a cold city view). Nothing built here forms reference cycles that need
    it; reference counting still frees everything. Nested and concurrent views share one
    pause; the last to finish restores the collector as it was."""
    global _gc_holders, _gc_was_enabled
    with _gc_lock:
        if _gc_holders == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_holders += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_holders -= 1
            if _gc_holders == 0 and _gc_was_enabled:
                gc.enable()


def _survey_leaf(node: object) -> bool:
    """A change of survey positivity between two rounds of the base year, over every item
    and subject: counted from the survey totals' own read of the answers."""
    return (isinstance(node, Change) and isinstance(node.measure, SurveyPositivity)
            and node.measure.domain is None and node.measure.subject is None
            and node.before.year_offset == 0 and node.after.year_offset == 0
            and node.before.month is None and node.after.month is None
            and node.before.round is not None and node.after.round is not None)


def _push_split(year: int) -> tuple[Extraction, tuple[Change, ...]]:
    """The push-support preset as (the preset without its survey changes, those changes)
    when it is a plain AND of leaves (it is); else (the preset, ())."""
    preset = push_support_preset(school_year=year)
    root = preset.root
    if root.op != "and" or root.negate or not root.enabled or not all(
            isinstance(i, Threshold | Change | CountInWindow | Membership)
            for i in root.items):
        return preset, ()
    survey = tuple(i for i in root.items if isinstance(i, Change) and i.enabled
                   and _survey_leaf(i))
    if not survey:
        return preset, ()
    rest = tuple(replace(i, enabled=False) if i in survey else i for i in root.items)
    return replace(preset, root=replace(root, items=rest)), survey


def _push_pairs(year: int) -> tuple[tuple[str, int], ...]:
    """(survey, round) whose per-pupil counts the push-support criteria read."""
    pairs: list[tuple[str, int]] = []
    for leaf in _push_split(year)[1]:
        assert isinstance(leaf.measure, SurveyPositivity)
        for period in (leaf.before, leaf.after):
            pair = (leaf.measure.survey_code, int(period.round or 0))
            if pair not in pairs:
                pairs.append(pair)
    return tuple(pairs)


def _survey_matches(year: int, counts: dict[tuple[str, int], dict[int, tuple[int, int]]],
                    universe: frozenset[int]) -> frozenset[int]:
    """The pupils meeting every survey change of the preset, as the engine decides it
    (a positive share in percent on both rounds; a negated leaf takes the rest)."""
    out = universe
    for leaf in _push_split(year)[1]:
        assert isinstance(leaf.measure, SurveyPositivity)
        code = leaf.measure.survey_code
        before, after = ({p: 100.0 * pos / n for p, (pos, n) in counts.get(
            (code, int(period.round or 0)), {}).items() if n}
            for period in (leaf.before, leaf.after))
        hit = frozenset(p for p in before.keys() & after.keys()
                        if leaf.holds(before[p], after[p])) & universe
        out = out & ((universe - hit) if leaf.negate else hit)
    return out


def _evaluate_push(conn: Connection, registry: Registry, year: int) -> Evaluation:
    """The push-support preset on ``year`` without its survey changes (those are counted
    from the survey totals' read, ``_survey_matches``); its pupils never leave the
    service."""
    return evaluate(conn, registry, _push_split(year)[0], year, explain=False)


class _Stepper:
    def __init__(self, progress: Progress | None, cancel: CancelFlag | None) -> None:
        self._progress = progress
        self._cancel = cancel

    def __call__(self, fraction: float) -> None:
        if self._cancel is not None and self._cancel():
            raise OperationCancelled(CANCELLED)
        if self._progress is not None:
            self._progress(fraction)


__all__ = ["SchoolKarteService"]
