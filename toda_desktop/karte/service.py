"""The pupil karte (児童生徒カルテ): header, 連携情報, charts and records — within the map.

A role sees only the dataset kinds its domains allow: a kind it may not see is not listed,
has no chart and no records (not even a count). Every opening, records view and click-through
is audit-logged with the pupil affected. Charts are plain data: one x axis (keys for the
click-through, short labels, school-year boundaries) and aligned series; the UI draws them.
``source_records(pupil, chart, x, series)`` answers "which records are behind this point".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from kernel.school_calendar import SCHOOL_MONTHS, SchoolMonth, calendar_year
from storage.connection import Connection
from storage.registry import DatasetKind
from storage.repos import datasets
from storage.repos import karte as repo
from storage.repos.karte import RecordFilter
from toda_desktop.context import ServiceContext
from toda_desktop.errors import UserFacingError
from toda_desktop.instruments import instrument, instruments
from toda_desktop.phrase import Phrase, SchoolYear, phrase
from toda_desktop.policy.model import ID_LABELS
from toda_desktop.search.former import require_not_former
from toda_desktop.withheld import withheld_notice

# Instruments named in the interchange format (DATA_FORMAT.md); unknown codes show as is.
SURVEY_NAMES = {
    "PREF_Q": "県学調児童生徒質問紙",
    "LESSON": "授業がわかる調査",
    "SCHOOL_LIFE": "学校生活アンケート",
    "HAPPY": "しあわせアンケート",
    "QU": "Q-Uアンケート",
    "AIGROW": "非認知能力調査",
    "RST": "Reading Skills Test",
}
SURVEY_DOMAINS = ("学習", "友人関係", "教師関係", "家庭", "生活", "自己肯定感")
OVERALL = "全体"
SUBJECTS = ("国語", "算数", "数学", "英語", "理科", "社会")
SYMPTOMS = ("内科", "外科", "心因", "その他", "未記入")
# Record tables the karte shows as lists (each only to roles that see the kind).
RECORD_KINDS = ("consultations", "bullying_records", "case_meetings", "support_records")
CHART_KINDS = {
    "attendance": "attendance_monthly",
    "health_room": "health_room_visits",
    "long_absence": "long_absence",
    "academic": "academic_results",
    "survey": "survey_responses",
}


# A code column → (the key and header of the name shown beside it in record lists).
NAME_COLUMNS = {"school_code": ("school_name", "学校名"), "survey_code": ("survey_name", "調査名")}


def survey_name(code: str) -> str:
    return SURVEY_NAMES.get(code, code)


# -- plain data for the UI -----------------------------------------------------------------


@dataclass(frozen=True)
class Identifier:
    key: str
    label: str
    value: str


@dataclass(frozen=True)
class KarteHeader:
    pupil_id: int
    name: str
    name_kana: str
    birth_date: date | None
    sex: str
    school_year: int | None  # of the current (latest) enrollment
    school_code: str
    school_name: str
    grade: int | None
    class_name: str
    seat_number: int | None
    identifiers: tuple[Identifier, ...]  # only the IDs the role may see
    as_of: date | None  # the data shown is as of this import date (the page writes it)


@dataclass(frozen=True)
class LinkedData:
    """One line of 連携情報: a dataset the role may see, with count and latest date."""

    kind: str
    label: str
    section: str
    count: int
    latest: Phrase  # a day, a month or a school year as a value; 「—」 when none
    latest_date: date | None
    last_imported: datetime | None


@dataclass(frozen=True)
class ChartSeries:
    key: str  # passed back to ``source_records``
    label: str
    values: tuple[float | None, ...]  # aligned with the chart's x; None = no record
    style: str  # "stack" (stacked bars), "bar" or "line"


@dataclass(frozen=True)
class KarteChart:
    key: str  # "attendance", "health_room", "long_absence", "academic", "survey:<code>"
    title: str
    kind: str  # the dataset kind behind it
    unit: str
    x: tuple[str, ...]  # point keys: "YYYY-MM" (calendar month), "YYYY" (year), "YYYY-R"
    x_labels: tuple[Phrase, ...]  # 「6月」, or 「2024年度 第1回」 with the year as a value
    year_starts: tuple[int, ...]  # x index where each school year begins
    years: tuple[int, ...]  # the school year of each entry of year_starts
    series: tuple[ChartSeries, ...]
    y_range: tuple[float, float] | None = None

    @property
    def name(self) -> str:
        """The title without its note in brackets: 「保健室利用（月別）」 → 「保健室利用」."""
        return self.title.split("（", 1)[0]

    @property
    def has_data(self) -> bool:
        return any(v not in (None, 0) for s in self.series for v in s.values)


@dataclass(frozen=True)
class Provenance:
    batch_id: int | None
    source_name: str
    imported_at: datetime | None  # (the page writes it in the user's date style)


@dataclass(frozen=True)
class KarteRecords:
    kind: str
    label: str
    title: Phrase  # what the rows are, e.g. 「出欠状況（月次） 2024年6月」 (month as a value)
    headers: tuple[str, ...]
    keys: tuple[str, ...]
    types: tuple[str, ...]  # each column's registry type ("" for survey item extras)
    rows: tuple[tuple[object, ...], ...]
    record_ids: tuple[int, ...]
    provenance: tuple[Provenance, ...]


Period = date | SchoolMonth | SchoolYear


@dataclass(frozen=True)
class KindCoverage:
    """How far one kind's data goes in the store (issue 16): 「出欠状況（月次）: 令和8年3月分まで」.
    A pupil with no record after ``until`` may simply have none yet: the karte says so."""

    kind: str
    label: str
    until: Period  # the latest day, calendar month or school year any row of the kind holds


@dataclass(frozen=True)
class Karte:
    header: KarteHeader
    linked: tuple[LinkedData, ...]
    charts: tuple[KarteChart, ...]
    record_kinds: tuple[str, ...]  # record tables to show as lists (consultations, …)
    opened_at: datetime
    withheld: str = ""  # one line: the role's kinds left out for want of their key (issue 12)
    coverage: tuple[KindCoverage, ...] = ()  # per kind the role sees, in the registry's order


# -- axes ----------------------------------------------------------------------------------


def _month_key(school_year: int, month: int) -> str:
    """The chart key ``YYYY-MM`` (calendar month) of ``month`` in ``school_year``."""
    return str(SchoolMonth(calendar_year(school_year, month), month))


def _month_axis(years: Iterable[int]) -> tuple[list[str], list[Phrase], list[int], list[int]]:
    x: list[str] = []
    labels: list[Phrase] = []
    starts: list[int] = []
    year_list: list[int] = []
    for year in sorted(set(years)):
        starts.append(len(x))
        year_list.append(year)
        for m in SCHOOL_MONTHS:
            x.append(_month_key(year, m))
            labels.append((f"{m}月",))
    return x, labels, starts, year_list


def _parse_month(x: str) -> tuple[int, int]:
    """(school year, calendar month) of a chart key; ValueError when malformed."""
    month = SchoolMonth.parse(x)
    return month.school_year, month.month


def point_source(
    chart_key: str, x: str, series_key: str | None = None
) -> tuple[str, RecordFilter, Phrase]:
    """(dataset kind, filter, title) of the records behind one chart point."""
    try:
        if chart_key in ("attendance", "long_absence"):
            year, month = _parse_month(x)
            kind = CHART_KINDS[chart_key]
            return kind, RecordFilter(school_year=year, month=month), _month_title(x)
        if chart_key == "health_room":
            year, month = _parse_month(x)
            equals: tuple[tuple[str, object], ...] = ()
            if series_key:
                equals = (("symptom", None if series_key == "未記入" else series_key),)
            title = phrase(_month_title(x), f" {series_key}" if series_key else "")
            return ("health_room_visits",
                    RecordFilter(school_year=year, month=month, equals=equals), title)
        if chart_key == "academic":
            year = int(x)
            equals = (("subject", series_key),) if series_key else ()
            return ("academic_results", RecordFilter(school_year=year, equals=equals),
                    phrase(SchoolYear(year), f" {series_key}" if series_key else ""))
        if chart_key == "attendance_term":
            year_text, term = x.split("-", 1)
            return ("attendance_term", RecordFilter(school_year=int(year_text),
                                                    equals=(("term", term),)),
                    (SchoolYear(int(year_text)), f" {term}"))
        if chart_key.startswith("instrument:"):
            code = chart_key.split(":", 1)[1]
            year_text, round_text = x.split("-")
            year, rnd = int(year_text), int(round_text)
            equals = (("survey_code", code), ("round", rnd or None))
            if series_key:
                equals += (("item_code", series_key),)
            inst = instrument(code)
            name = inst.name if inst is not None else survey_name(code)
            return ("survey_responses", RecordFilter(school_year=year, equals=equals),
                    phrase(f"{name} ", SchoolYear(year), f" 第{rnd}回" if rnd else ""))
        if chart_key.startswith("survey:"):
            code = chart_key.split(":", 1)[1]
            year_text, round_text = x.split("-")
            year, rnd = int(year_text), int(round_text)
            domain = None if series_key in (None, "", OVERALL) else series_key
            title = phrase(f"{survey_name(code)} ", SchoolYear(year),
                           f" 第{rnd}回" + (f" {domain}" if domain else ""))
            return ("survey_responses",
                    RecordFilter(school_year=year,
                                 equals=(("survey_code", code), ("round", rnd)),
                                 survey_domain=domain), title)
    except (ValueError, KeyError):
        pass
    raise UserFacingError("グラフの項目が正しくありません。")


def _month_title(x: str) -> Phrase:
    return (SchoolMonth.parse(x),)


# -- charts --------------------------------------------------------------------------------


def attendance_chart(rows: list[repo.AttendanceMonth], enrolled: list[int]) -> KarteChart:
    x, labels, starts, years = _month_axis([*enrolled, *(r.school_year for r in rows)])
    by_key = {_month_key(r.school_year, r.month): r for r in rows}

    def series(key: str, label: str, style: str,
               value: Callable[[repo.AttendanceMonth], int | None]) -> ChartSeries:
        values: list[float | None] = []
        for k in x:
            r = by_key.get(k)
            v = None if r is None else value(r)
            values.append(None if v is None else float(v))
        return ChartSeries(key, label, tuple(values), style)

    def other(r: repo.AttendanceMonth) -> int | None:
        if r.absence_days is None:
            return None
        known = (r.sick_days or 0) + (r.accident_days or 0) + (r.suspension_days or 0)
        return max(0, r.absence_days - known)

    return KarteChart(
        key="attendance", title="出欠（月別）", kind="attendance_monthly", unit="日・回",
        x=tuple(x), x_labels=tuple(labels), year_starts=tuple(starts),
        years=tuple(years),
        series=(
            series("sick_days", "病気欠席", "stack", lambda r: r.sick_days),
            series("accident_days", "事故欠席", "stack", lambda r: r.accident_days),
            series("suspension_days", "出席停止・忌引", "stack", lambda r: r.suspension_days),
            series("other_absence", "その他の欠席", "stack", other),
            series("late_count", "遅刻", "line", lambda r: r.late_count),
            series("early_leave_count", "早退", "line", lambda r: r.early_leave_count),
        ),
    )


def health_room_chart(rows: list[tuple[SchoolMonth, str, int]], enrolled: list[int]) -> KarteChart:
    years = [*enrolled, *(m.school_year for m, _, _ in rows)]
    x, labels, starts, years = _month_axis(years)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for month, symptom, n in rows:
        counts[(symptom, str(month))] += n
    present = {s for s, _ in counts}
    order = [s for s in SYMPTOMS if s in present] + sorted(present - set(SYMPTOMS))
    series = tuple(
        ChartSeries(s, s, tuple(float(counts.get((s, k), 0)) for k in x), "stack")
        for s in order or ["内科"]
    )
    return KarteChart(
        key="health_room", title="保健室利用（月別）", kind="health_room_visits", unit="回",
        x=tuple(x), x_labels=tuple(labels), year_starts=tuple(starts),
        years=tuple(years), series=series,
    )


def long_absence_chart(rows: list[tuple[int, int, int | None, bool]],
                       enrolled: list[int]) -> KarteChart:
    x, labels, starts, years = _month_axis([*enrolled, *(r[0] for r in rows)])
    days = {_month_key(y, m): d for y, m, d, _ in rows}
    truant = {_month_key(y, m): t for y, m, _, t in rows}
    return KarteChart(
        key="long_absence", title="長期欠席（年度内の累計欠席日数）", kind="long_absence",
        unit="日", x=tuple(x), x_labels=tuple(labels), year_starts=tuple(starts),
        years=tuple(years),
        series=(
            ChartSeries("absence_days", "累計欠席日数", tuple(
                None if days.get(k) is None else float(days[k] or 0) for k in x), "bar"),
            ChartSeries("truancy", "不登校", tuple(
                (1.0 if truant[k] else 0.0) if k in truant else None for k in x), "flag"),
        ),
    )


def academic_chart(rows: list[tuple[int, str, float | None, float | None]],
                   enrolled: list[int]) -> KarteChart:
    years = sorted({r[0] for r in rows} or set(enrolled))
    levels = {(s, y): lv for y, s, lv, _ in rows}
    subjects = {s for _, s, _, _ in rows}
    order = [s for s in SUBJECTS if s in subjects] + sorted(subjects - set(SUBJECTS))
    x = tuple(str(y) for y in years)
    return KarteChart(
        key="academic", title="学力（県学調 学力レベル）", kind="academic_results",
        unit="レベル", x=x, x_labels=tuple((SchoolYear(y),) for y in years),
        year_starts=tuple(range(len(years))), years=tuple(years),
        series=tuple(
            ChartSeries(s, s, tuple(levels.get((s, y)) for y in years), "line") for s in order
        ),
        y_range=(1.0, 12.0),
    )


def survey_charts(scores: list[repo.SurveyScore]) -> list[KarteChart]:
    by_code: dict[str, list[repo.SurveyScore]] = defaultdict(list)
    for s in scores:
        by_code[s.survey_code].append(s)
    charts = []
    for code in sorted(by_code, key=lambda c: (list(SURVEY_NAMES).index(c)
                                               if c in SURVEY_NAMES else 99, c)):
        rows = by_code[code]
        points = sorted({(s.school_year, s.round) for s in rows})
        first: dict[tuple[int, int], str] = {}
        for s in rows:
            if s.first_date and (s.school_year, s.round) not in first:
                first[(s.school_year, s.round)] = s.first_date
        x = tuple(f"{y}-{r}" for y, r in points)
        labels = []
        for y, r in points:
            month = first.get((y, r))
            labels.append((SchoolYear(y), f" 第{r}回" + (f"（{int(month[5:7])}月）" if month
                                                          else "")))
        starts, year_list = [], []
        for i, (y, _) in enumerate(points):
            if i == 0 or points[i - 1][0] != y:
                starts.append(i)
                year_list.append(y)
        cells = {(s.domain, s.school_year, s.round): s for s in rows}
        domains = {s.domain for s in rows}
        order = [d for d in SURVEY_DOMAINS if d in domains] + sorted(
            domains - set(SURVEY_DOMAINS))

        def pct(positive: int, answered: int) -> float | None:
            return None if answered == 0 else round(100.0 * positive / answered, 1)

        series = []
        totals = []
        for y, r in points:
            here = [s for s in rows if (s.school_year, s.round) == (y, r)]
            totals.append(pct(sum(s.positive for s in here), sum(s.answered for s in here)))
        series.append(ChartSeries(OVERALL, OVERALL, tuple(totals), "line"))
        for d in order:
            values = []
            for y, r in points:
                c = cells.get((d, y, r))
                values.append(None if c is None else pct(c.positive, c.answered))
            series.append(ChartSeries(d, d or "（領域なし）", tuple(values), "line"))
        charts.append(KarteChart(
            key=f"survey:{code}", title=f"{survey_name(code)}（肯定的回答の割合）",
            kind="survey_responses", unit="%", x=x, x_labels=tuple(labels),
            year_starts=tuple(starts), years=tuple(year_list), series=tuple(series),
            y_range=(0.0, 100.0),
        ))
    return charts


def term_chart(rows: list[tuple[int, str, int | None, int | None, int | None]]) -> KarteChart:
    """Attendance per term (junior-high term reports). A term total is its own point: it is
    never spread over months, so it stays out of the monthly chart and the risk features."""
    x = tuple(f"{y}-{t}" for y, t, *_ in rows)
    starts, year_list = [], []
    for i, (y, *_) in enumerate(rows):
        if i == 0 or rows[i - 1][0] != y:
            starts.append(i)
            year_list.append(y)
    return KarteChart(
        key="attendance_term", title="出欠（学期）", kind="attendance_term", unit="日",
        x=x, x_labels=tuple((SchoolYear(y), f" {t}") for y, t, *_ in rows),
        year_starts=tuple(starts), years=tuple(year_list),
        series=(
            ChartSeries("absence_days", "欠席日数", tuple(
                None if r[3] is None else float(r[3]) for r in rows), "bar"),
            ChartSeries("sick_days", "うち病気欠席", tuple(
                None if r[4] is None else float(r[4]) for r in rows), "line"),
            ChartSeries("school_days", "授業日数", tuple(
                None if r[2] is None else float(r[2]) for r in rows), "line"),
        ),
    )


def instrument_charts(answers: list[repo.InstrumentAnswer]) -> list[KarteChart]:
    """One chart per instrument whose answers are scores or rates (AiGROW, RST, Q-U's
    points): a line per item over the rounds. A category (Q-U's 群) is written under its
    round, and a category that calls for attention is marked ※, so the karte shows
    「第1回（学級生活不満足群※）」 beside the points of that round."""
    by_code: dict[str, list[repo.InstrumentAnswer]] = defaultdict(list)
    for a in answers:
        by_code[a.survey_code].append(a)
    charts = []
    for code in sorted(by_code):
        inst = instrument(code)
        if inst is None:
            continue
        rows = by_code[code]
        points = sorted({(a.school_year, a.round or 0) for a in rows})
        x = tuple(f"{y}-{r}" for y, r in points)
        labels: list[Phrase] = []
        for y, r in points:
            here = [a for a in rows if (a.school_year, a.round or 0) == (y, r)]
            groups = [str(a.answer) for a in here if inst.answer_of(a.item_code) == "category"]
            shown = "・".join(g + ("※" if g in inst.concern else "") for g in groups)
            labels.append(phrase(SchoolYear(y), (f" 第{r}回" if r else "")
                                 + (f"（{shown}）" if shown else "")))
        starts, year_list = [], []
        for i, (y, _) in enumerate(points):
            if i == 0 or points[i - 1][0] != y:
                starts.append(i)
                year_list.append(y)
        items = [i for i in dict.fromkeys(a.item_code for a in rows)
                 if inst.answer_of(i) != "category"]
        series = []
        for item in items:
            values: list[float | None] = []
            for y, r in points:
                found = [_number(a.answer) for a in rows
                         if a.item_code == item and (a.school_year, a.round or 0) == (y, r)]
                numbers = [v for v in found if v is not None]
                values.append(round(sum(numbers) / len(numbers), 3) if numbers else None)
            series.append(ChartSeries(item, inst.item_label(item), tuple(values), "line"))
        y_range = (inst.min, inst.max) if inst.min is not None and inst.max is not None \
            else None
        charts.append(KarteChart(
            key=f"instrument:{code}", title=inst.name, kind="survey_responses",
            unit="割合" if inst.answer == "rate" else "点", x=x, x_labels=tuple(labels),
            year_starts=tuple(starts), years=tuple(year_list), series=tuple(series),
            y_range=y_range,
        ))
    return charts


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None


# -- the service ---------------------------------------------------------------------------


def _latest_label(kind: DatasetKind, text: str | None) -> tuple[Phrase, date | None]:
    """The latest record's day, month or school year as a value (and as a day to sort by)."""
    if not text:
        return ("—",), None
    if len(text) == 4 and text.isdigit():
        return (SchoolYear(int(text)),), None
    if len(text) == 7:
        month = SchoolMonth.parse(text)
        return (month,), month.first_day
    try:
        d = date.fromisoformat(text[:10])
    except ValueError:
        return (text,), None
    return (d,), d


def _period(text: str) -> Period | None:
    """A stored period (``coverage``'s text) as a value: a day, a month or a school year."""
    try:
        if len(text) == 4 and text.isdigit():
            return SchoolYear(int(text))
        if len(text) == 7:
            return SchoolMonth.parse(text)
        return date.fromisoformat(text[:10])
    except ValueError:
        return None  # (a malformed stored value: no coverage rather than a wrong one)


def kind_coverage(kinds: Iterable[DatasetKind], texts: Iterable[str | None]
                  ) -> tuple[KindCoverage, ...]:
    out = []
    for kind, text in zip(kinds, texts, strict=True):
        until = _period(text) if text else None
        if until is not None:
            out.append(KindCoverage(kind.name, kind.label, until))
    return tuple(out)


def _datetime(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


class KarteService:
    def __init__(self, context: ServiceContext) -> None:
        self._ctx = context
        # kind → (signature, coverage text): a full scan per kind is read again only when
        # the kind's rows or batches changed (``repo.coverage_signature``).
        self._coverage: dict[str, tuple[tuple[int, int, int], str | None]] = {}

    def _covered(self, conn: Connection, kind: DatasetKind) -> str | None:
        signature = repo.coverage_signature(conn, kind)
        kept = self._coverage.get(kind.name)
        if kept is not None and kept[0] == signature:
            return kept[1]
        text = repo.coverage(conn, kind)
        self._coverage[kind.name] = (signature, text)
        return text

    def _kind(self, kind_name: str) -> DatasetKind:
        return self._ctx.gate.require_kind("view", kind_name, pupil=True)

    def open(self, pupil_id: int) -> Karte:
        """Everything the karte shows for the role, read in one go; audit-logged."""
        ctx = self._ctx
        ctx.gate.require("view")
        visible = [k for k in ctx.gate.visible_kinds() if k.pupil]
        names = {k.name for k in visible}
        if ctx.registry.master.name not in names:
            raise UserFacingError("基本情報の鍵をお持ちでないため、カルテを開けません。")
        require_not_former(ctx, pupil_id, "view_karte")

        def read(conn: Connection) -> tuple[repo.HeaderRow | None, list[repo.KindSummary],
                                            list[KarteChart], list[str | None]]:
            head = repo.header(conn, pupil_id)
            if head is None:
                return None, [], [], []
            summaries = [repo.summary(conn, k, pupil_id) for k in visible]
            covered = [self._covered(conn, k) for k in visible]
            enrolled = repo.enrolled_years(conn, pupil_id)
            charts: list[KarteChart] = []
            if "attendance_monthly" in names:
                charts.append(attendance_chart(repo.attendance(conn, pupil_id), enrolled))
            if "attendance_term" in names:
                charts.append(term_chart(repo.attendance_terms(conn, pupil_id)))
            if "health_room_visits" in names:
                charts.append(health_room_chart(repo.health_visits_by_month(conn, pupil_id),
                                                enrolled))
            if "long_absence" in names:
                charts.append(long_absence_chart(repo.long_absence(conn, pupil_id), enrolled))
            if "academic_results" in names:
                charts.append(academic_chart(repo.academic(conn, pupil_id), enrolled))
            if "survey_responses" in names:
                charts += survey_charts(repo.survey_scores(conn, pupil_id))
                charts += instrument_charts(repo.instrument_answers(
                    conn, pupil_id, tuple(i.code for i in instruments())))
            return head, summaries, charts, covered

        head, summaries, charts, covered = ctx.db.call(read)
        if head is None:
            raise UserFacingError("その児童生徒は見つかりません。")
        linked = []
        for kind, s in zip(visible, summaries, strict=True):
            label, latest = _latest_label(kind, s.latest)
            linked.append(LinkedData(kind.name, kind.label, kind.karte_section, s.count, label,
                                     latest, _datetime(s.last_imported)))
        imported = [d for d in (x.last_imported for x in linked) if d is not None]
        identifiers = []
        values = {"address_code": head.address_code, "pref_id": head.pref_id,
                  "google_account": head.google_account}
        for key in ctx.gate.visible_ids():
            value = values[key]
            if value:
                identifiers.append(Identifier(key, ID_LABELS[key], value))
        header = KarteHeader(
            pupil_id=head.pupil_id, name=head.name, name_kana=head.name_kana,
            birth_date=_date(head.birth_date), sex=head.sex or "",
            school_year=head.school_year, school_code=head.school_code or "",
            school_name=head.school_name or head.school_code or "", grade=head.grade,
            class_name=head.class_name or "", seat_number=head.seat_number,
            identifiers=tuple(identifiers),
            as_of=max(imported).date() if imported else None,
        )
        record_kinds = tuple(k for k in RECORD_KINDS if k in names)
        ctx.log("view_karte", pupil_id=pupil_id,
                detail={"datasets": len(linked), "charts": len(charts)})
        return Karte(header=header, linked=tuple(linked), charts=tuple(charts),
                     record_kinds=record_kinds, opened_at=ctx.now(),
                     withheld=withheld_notice(ctx.gate),
                     coverage=kind_coverage(visible, covered))

    def records(self, pupil_id: int, kind_name: str) -> KarteRecords:
        """All records of one linked dataset, each with its provenance; audit-logged."""
        kind = self._kind(kind_name)
        return self._records(pupil_id, kind, None, (kind.label,), {})

    def source_records(
        self, pupil_id: int, chart_key: str, x: str, series_key: str | None = None
    ) -> KarteRecords:
        """The records behind one chart point (click-through); audit-logged."""
        kind_name, where, title = point_source(chart_key, x, series_key)
        kind = self._kind(kind_name)
        return self._records(pupil_id, kind, where, phrase(f"{kind.label} ", title),
                             {"chart": chart_key, "x": x, "series": series_key})

    def _records(self, pupil_id: int, kind: DatasetKind, where: RecordFilter | None,
                 title: Phrase, detail: dict[str, object]) -> KarteRecords:
        ctx = self._ctx
        require_not_former(ctx, pupil_id, "view_records")
        raw = ctx.db.call(lambda c: repo.records(c, kind, pupil_id, where))
        ctx.log("view_records", target=kind.name,
                pupil_id=pupil_id, detail={**detail, "rows": len(raw.rows)})
        extra_labels = {"item_text": "設問文", "domain": "領域", "positive": "肯定的回答"}
        extra_types = {"positive": "bool"}
        hidden = ctx.gate.hidden_ids()
        keep = [i for i, c in enumerate(raw.columns) if c not in hidden]
        # Codes staff do not read as such get their names beside them (学校名, 調査名).
        named: dict[str, Mapping[str, str]] = {}
        if "school_code" in raw.columns:
            named["school_code"] = ctx.db.call(datasets.school_names)
        if "survey_code" in raw.columns:
            named["survey_code"] = SURVEY_NAMES
        columns: list[str] = []
        headers: list[str] = []
        types: list[str] = []
        for i in keep:
            c = raw.columns[i]
            columns.append(c)
            headers.append(extra_labels[c] if c in raw.extra_columns else kind.column(c).label)
            types.append(extra_types.get(c, "") if c in raw.extra_columns else kind.column(c).type)
            if c in named:
                columns.append(NAME_COLUMNS[c][0])
                headers.append(NAME_COLUMNS[c][1])
                types.append("text")

        def shown(row: tuple[object, ...]) -> tuple[object, ...]:
            out: list[object] = []
            for i in keep:
                out.append(row[i])
                if raw.columns[i] in named:
                    out.append(named[raw.columns[i]].get(str(row[i]), ""))
            return tuple(out)

        return KarteRecords(
            kind=kind.name, label=kind.label, title=title, headers=tuple(headers),
            keys=tuple(columns), types=tuple(types),
            rows=tuple(shown(row) for row in raw.rows), record_ids=raw.ids,
            provenance=tuple(
                Provenance(b, s, _datetime(t))
                for b, s, t in zip(raw.batch_ids, raw.sources, raw.imported_at, strict=True)
            ),
        )
