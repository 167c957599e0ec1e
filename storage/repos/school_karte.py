"""Aggregating SQL of the school karte (issue 15): every query returns group totals, never a
pupil row. Groups are classes (school, grade, class of the pupil's last enrollment row of the
school year); the analysis adds classes up to grades, schools and the city.

How a pupil's answer counts as positive: the item master's 肯定的回答 for a choice item (as the
karte and the extraction read it), else a rule the caller passes (``PositiveRule``: a Q-U
group that counts as positive, an AiGROW score at or above a threshold). An answer neither
covers is left out. Values are always bound; column names are fixed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from storage.connection import Connection
from storage.repos.karte import ITEMS_CTE

SHARE_BINS = (0.2, 0.4, 0.6, 0.8)  # upper edges of the first four bins of a pupil's share


@dataclass(frozen=True)
class PositiveRule:
    """Positivity of an instrument without 肯定的回答 in the item master. ``item_code`` "*"
    covers every item of the survey; ``categories``: answers that count as positive;
    ``at_least``: a score at or above it counts as positive. ``domain``: the domain its
    items are shown under."""

    survey_code: str
    item_code: str
    domain: str
    categories: tuple[str, ...] = ()
    at_least: float | None = None


@dataclass(frozen=True)
class PositivityGroup:
    """One class's total for a (survey, round, domain, item); ``item_code`` "" = the domain
    as a whole (each pupil's answers in the domain averaged first). ``group_year``: the
    school year of the enrollment the pupils are grouped by."""

    group_year: int
    school_code: str
    grade: int
    class_name: str
    survey_code: str
    round: int
    domain: str
    item_code: str
    n: int
    share_sum: float
    bins: tuple[int, int, int, int, int]


def _enrolled(year_param: str = "?") -> str:
    """Each pupil's last enrollment row of a school year."""
    return (
        "en AS (SELECT e.pupil_id, e.school_code, e.grade, coalesce(e.class_name, '') AS"
        " class_name FROM ds_enrollments e WHERE e.id IN (SELECT max(id) FROM ds_enrollments"
        f" WHERE school_year = {year_param} GROUP BY pupil_id)"
        " AND e.school_code IS NOT NULL AND e.grade IS NOT NULL)"
    )


def _enrolled_years(years: Sequence[int], params: list[object], school_filter: str = ""
                    ) -> str:
    """Each pupil's last enrollment row of each of ``years`` (column ``year``)."""
    marks = ", ".join("?" for _ in years)
    params.extend(years)
    return (
        "eny AS MATERIALIZED (SELECT e.school_year AS year, e.pupil_id, e.school_code, e.grade,"
        " coalesce(e.class_name, '') AS class_name FROM ds_enrollments e WHERE e.id IN"
        f" (SELECT max(id) FROM ds_enrollments WHERE school_year IN ({marks})"
        " GROUP BY pupil_id, school_year)"
        f" AND e.school_code IS NOT NULL AND e.grade IS NOT NULL{school_filter})"
    )


def _rules_cte(rules: Sequence[PositiveRule], params: list[object]) -> str:
    values = []
    for r in rules:
        values.append("(?, ?, ?, ?, ?)")
        params.extend([r.survey_code, r.item_code, r.domain,
                       "," + ",".join(r.categories) + "," if r.categories else None,
                       r.at_least])
    if not values:
        return ("rules(survey_code, item_code, domain, cats, at_least) AS"
                " (SELECT NULL, NULL, NULL, NULL, NULL WHERE 0)")
    return ("rules(survey_code, item_code, domain, cats, at_least) AS (VALUES "
            + ", ".join(values) + ")")


POSITIVE = (
    "CASE WHEN itm.pos IS NOT NULL THEN instr(itm.pos, ',' || r.answer || ',') > 0"
    " WHEN ru.cats IS NOT NULL THEN instr(ru.cats, ',' || r.answer || ',') > 0"
    " WHEN ru.at_least IS NOT NULL AND typeof(r.answer) IN ('integer', 'real')"
    " THEN r.answer >= ru.at_least END"
)


def _answers(where: str) -> str:
    """``itm``: each item's positive answers and domain in the year (its year's master row
    first, then a year-less one; one parameter: the year); ``ans``: each answer with its
    domain and whether it is positive (NULL: not counted)."""
    return (
        " itm AS MATERIALIZED (SELECT survey_code, item_code,"
        " coalesce(max(CASE WHEN school_year IS NOT NULL THEN pos END),"
        " max(CASE WHEN school_year IS NULL THEN pos END)) AS pos,"
        " coalesce(max(CASE WHEN school_year IS NOT NULL THEN domain END),"
        " max(CASE WHEN school_year IS NULL THEN domain END)) AS domain"
        " FROM items WHERE school_year = ? OR school_year IS NULL"
        " GROUP BY survey_code, item_code),"
        " ans AS (SELECT r.pupil_id, r.survey_code, coalesce(r.round, 1) AS round,"
        " r.item_code, coalesce(itm.domain, ru.domain, '') AS domain,"
        f" {POSITIVE} AS pos FROM ds_survey_responses r"
        " LEFT JOIN itm ON itm.survey_code = r.survey_code AND itm.item_code = r.item_code"
        " LEFT JOIN rules ru ON ru.survey_code = r.survey_code"
        f" AND ru.item_code IN ('*', r.item_code) WHERE {where})"
    )


@dataclass(frozen=True)
class ItemLabel:
    survey_code: str
    item_code: str
    item_text: str
    domain: str


def item_labels(conn: Connection, school_year: int) -> list[ItemLabel]:
    """Each item's text and domain in a school year (year-less master rows as well)."""
    rows = conn.execute(
        "SELECT survey_code, item_code, max(item_text), max(coalesce(domain, ''))"
        " FROM ds_survey_items WHERE school_year = ? OR school_year IS NULL"
        " GROUP BY survey_code, item_code ORDER BY survey_code, item_code", (school_year,))
    return [ItemLabel(str(r[0]), str(r[1]), str(r[2] or ""), str(r[3] or "")) for r in rows]


@dataclass(frozen=True)
class SchoolRow:
    school_code: str
    school_name: str
    school_type: str


def schools(conn: Connection) -> list[SchoolRow]:
    """Every school, in school-code order."""
    return [SchoolRow(str(r[0]), str(r[1] or r[0]), str(r[2] or ""))
            for r in conn.execute("SELECT school_code, max(school_name), max(school_type)"
                                  " FROM ds_schools GROUP BY school_code ORDER BY school_code")]


def school_years(conn: Connection) -> list[int]:
    """School years with enrollments, in order."""
    return [int(r[0]) for r in conn.execute(
        "SELECT DISTINCT school_year FROM ds_enrollments WHERE school_year IS NOT NULL"
        " ORDER BY school_year")]


def survey_rounds(conn: Connection, school_year: int) -> list[tuple[str, int]]:
    """(survey, round) answered in the school year."""
    return [(str(r[0]), int(r[1])) for r in conn.execute(
        "SELECT DISTINCT survey_code, coalesce(round, 1) FROM ds_survey_responses"
        " WHERE school_year = ? ORDER BY 1, 2", (school_year,))]


# -- growth and outcomes --------------------------------------------------------------------


@dataclass(frozen=True)
class GrowthRow:
    """One pupil's levels (mean over subjects) last year and this year, with the school and
    grade of this year. Read only by the service's estimate; no pupil ID is carried."""

    school_code: str
    grade: int
    prior: float
    current: float


_LEVELS = (
    "lv AS MATERIALIZED (SELECT pupil_id, school_year, avg(level) AS level"
    " FROM ds_academic_results"
    " WHERE school_year IN (?, ?) AND level IS NOT NULL GROUP BY pupil_id, school_year)"
)


def growth_rows(conn: Connection, school_year: int) -> list[GrowthRow]:
    """Pupils enrolled in ``school_year`` with a 県学調 level in it and in the year before."""
    sql = (
        f"WITH {_enrolled()}, {_LEVELS}"
        " SELECT en.school_code, en.grade, p.level, c.level FROM en"
        " JOIN lv c ON c.pupil_id = en.pupil_id AND c.school_year = ?"
        " JOIN lv p ON p.pupil_id = en.pupil_id AND p.school_year = ?"
        " ORDER BY en.school_code, en.grade"
    )
    params = (school_year, school_year - 1, school_year, school_year, school_year - 1)
    return [GrowthRow(str(r[0]), int(r[1]), float(r[2]), float(r[3]))
            for r in conn.execute(sql, params)]


@dataclass(frozen=True)
class MomentRow:
    """Sums over a school's pupils of x (an item's or a domain's positive share, 0–1) and y
    (the outcome): enough for the correlation without the pupils. ``item_code`` "" = the
    domain as a whole."""

    school_code: str
    survey_code: str
    round: int
    domain: str
    n: int
    sx: float
    sy: float
    sxx: float
    syy: float
    sxy: float
    item_code: str = ""


OUTCOMES = ("growth", "absence")


@dataclass(frozen=True)
class OutcomeMoments:
    outcome: str  # growth | absence
    row: MomentRow


@dataclass(frozen=True)
class YearAggregates:
    groups: list[PositivityGroup]
    moments: list[OutcomeMoments]


def year_aggregates(
    conn: Connection, answer_year: int, group_years: Sequence[int],
    rules: Sequence[PositiveRule], *, school_code: str | None = None,
    outcomes: Sequence[str] = (),
) -> YearAggregates:
    """One pass over the answers of ``answer_year``:

    - class totals of pupils' positive shares (per item and per domain), the pupils grouped
      by their class in each of ``group_years`` (the same year; the next one for "the same
      pupils last year");
    - per school (of ``answer_year``, which must then be among ``group_years``) and (survey,
      round, domain): moments of pupils' domain shares against each of ``outcomes``: their
      growth in 県学調 level from the year before (``growth``) and their absence rate in
      percent of school days (``absence``).

    ``school_code``: only that school's pupils."""
    if any(o not in OUTCOMES for o in outcomes):
        raise ValueError(outcomes)
    if outcomes and answer_year not in group_years:
        raise ValueError("moments need the answers' own year among the group years")
    params: list[object] = []
    rules_sql = _rules_cte(rules, params)
    school_filter = " AND e.school_code = ?" if school_code is not None else ""
    eny = _enrolled_years(group_years, params, school_filter)
    if school_code is not None:
        params.append(school_code)
    ctes = []
    if "growth" in outcomes:
        ctes.append(
            f"{_LEVELS}, yg AS MATERIALIZED (SELECT c.pupil_id, c.level - p.level AS y FROM lv c"
            " JOIN lv p ON p.pupil_id = c.pupil_id AND p.school_year = ?"
            " WHERE c.school_year = ?)")
        params += [answer_year, answer_year - 1, answer_year - 1, answer_year]
    if "absence" in outcomes:
        ctes.append(
            "ya AS MATERIALIZED (SELECT pupil_id, 100.0 * sum(absence_days) / sum(school_days)"
            " AS y"
            " FROM ds_attendance_monthly WHERE school_year = ? AND school_days > 0"
            " GROUP BY pupil_id)")
        params.append(answer_year)
    where = "r.school_year = ?"
    params += [answer_year, answer_year]  # the item master's year, the answers' year
    if school_code is not None:
        where += " AND r.pupil_id IN (SELECT pupil_id FROM eny)"
    bins = ", ".join(
        f"sum(share >= {lo} AND share < {hi})" if lo else f"sum(share < {hi})"
        for lo, hi in zip((0.0, *SHARE_BINS[:-1]), SHARE_BINS, strict=True))
    selects = [
        "SELECT 'groups', eny.year, eny.school_code, eny.grade, eny.class_name,"
        " s.survey_code, s.round, s.domain, s.item_code, count(*), sum(s.share),"
        f" {bins}, sum(s.share >= {SHARE_BINS[-1]})"
        + (", NULL, NULL, NULL, NULL, NULL" if outcomes else "")
        + " FROM shares s JOIN eny ON eny.pupil_id = s.pupil_id"
        " GROUP BY eny.year, eny.school_code, eny.grade, eny.class_name, s.survey_code,"
        " s.round, s.domain, s.item_code"]
    if outcomes:
        # Both outcomes in one join: each its own n (pupils with that outcome).
        sums = []
        joins = []
        for o in OUTCOMES:
            if o in outcomes:
                y = "yg" if o == "growth" else "ya"
                joins.append(f" LEFT JOIN {y} ON {y}.pupil_id = x.pupil_id")
                sums.append(
                    f"count({y}.y), sum(CASE WHEN {y}.y IS NOT NULL THEN x.share END),"
                    f" sum({y}.y), sum(CASE WHEN {y}.y IS NOT NULL THEN x.share * x.share END),"
                    f" sum({y}.y * {y}.y), sum(x.share * {y}.y)")
            else:
                sums.append("0, 0, 0, 0, 0, 0")
        selects.append(
            "SELECT 'moments', NULL, en.school_code, NULL, NULL, x.survey_code, x.round,"
            f" x.domain, x.item_code, {', '.join(sums)}"
            " FROM shares x JOIN eny en ON en.pupil_id = x.pupil_id AND en.year = ?"
            + "".join(joins)
            + " GROUP BY en.school_code, x.survey_code, x.round, x.domain, x.item_code")
        params.append(answer_year)
    sql = (
        f"WITH {ITEMS_CTE}, {rules_sql}, {eny}, {''.join(c + ', ' for c in ctes)}"
        f"{_answers(where)},"
        # Each pupil's positive answers and answers per item (several subjects: several),
        # and per domain.
        " pi AS MATERIALIZED (SELECT pupil_id, survey_code, round, domain, item_code,"
        " sum(pos) AS k, count(*) AS m FROM ans WHERE pos IS NOT NULL"
        " GROUP BY pupil_id, survey_code, round, domain, item_code),"
        " pd AS MATERIALIZED (SELECT pupil_id, survey_code, round, domain,"
        " 1.0 * sum(k) / sum(m) AS share FROM pi GROUP BY pupil_id, survey_code, round,"
        " domain),"
        " shares AS (SELECT pupil_id, survey_code, round, domain, item_code,"
        " 1.0 * k / m AS share FROM pi UNION ALL SELECT pupil_id, survey_code, round, domain,"
        " '', share FROM pd) "
        + " UNION ALL ".join(selects)
    )
    out = YearAggregates([], [])
    for r in conn.execute(sql, params):
        if r[0] == "groups":
            out.groups.append(PositivityGroup(
                group_year=int(r[1]), school_code=str(r[2]), grade=int(r[3]),
                class_name=str(r[4]), survey_code=str(r[5]), round=int(r[6]),
                domain=str(r[7]), item_code=str(r[8]), n=int(r[9]), share_sum=float(r[10]),
                bins=(int(r[11]), int(r[12]), int(r[13]), int(r[14]), int(r[15]))))
        else:
            for k, o in enumerate(OUTCOMES):
                base = 9 + 6 * k
                if o not in outcomes or not r[base]:
                    continue
                out.moments.append(OutcomeMoments(o, MomentRow(
                    str(r[2]), str(r[5]), int(r[6]), str(r[7]), int(r[base]),
                    float(r[base + 1]), float(r[base + 2]), float(r[base + 3]),
                    float(r[base + 4]), float(r[base + 5]), item_code=str(r[8]))))
    return out


def positivity_groups(
    conn: Connection, answer_year: int, group_years: Sequence[int],
    rules: Sequence[PositiveRule], *, school_code: str | None = None,
) -> list[PositivityGroup]:
    """The class totals of ``year_aggregates`` alone."""
    return year_aggregates(conn, answer_year, group_years, rules,
                           school_code=school_code).groups


def correlation_moments(conn: Connection, school_year: int, rules: Sequence[PositiveRule],
                        outcomes: Sequence[str] = OUTCOMES) -> list[OutcomeMoments]:
    """The moments of ``year_aggregates`` alone (per school, survey, round and domain)."""
    return year_aggregates(conn, school_year, (school_year,), rules,
                           outcomes=outcomes).moments


@dataclass(frozen=True)
class AbsenceRow:
    school_code: str
    pupils: int
    absence_days: float
    school_days: float


def absence_by_school(conn: Connection, school_year: int) -> list[AbsenceRow]:
    """Absence days and school days of each school's pupils in the year."""
    sql = (
        f"WITH {_enrolled()} SELECT en.school_code, count(DISTINCT a.pupil_id),"
        " sum(a.absence_days), sum(a.school_days) FROM ds_attendance_monthly a"
        " JOIN en ON en.pupil_id = a.pupil_id WHERE a.school_year = ?"
        " GROUP BY en.school_code ORDER BY en.school_code")
    return [AbsenceRow(str(r[0]), int(r[1]), float(r[2] or 0), float(r[3] or 0))
            for r in conn.execute(sql, (school_year, school_year))]


# -- basic information ----------------------------------------------------------------------


@dataclass(frozen=True)
class ContextRow:
    """A row of 学校基礎情報 (school lane): grade None for the whole school."""

    school_year: int
    school_code: str
    grade: int | None
    pupils: int | None
    staff: int | None
    welfare_rate: float | None
    special_needs_rate: float | None
    japanese_support_rate: float | None


def _opt_int(v: object) -> int | None:
    return None if v is None or v == "" else int(float(str(v)))


def _opt_float(v: object) -> float | None:
    return None if v is None or v == "" else float(str(v))


def context_rows(conn: Connection, school_code: str | None = None) -> list[ContextRow]:
    """学校基礎情報 rows without a class (school and grade rows), by school, year and grade.
    Runs on the school lane (nothing joins it with pupil tables)."""
    sql = ("SELECT school_year, school_code, grade, max(pupil_count), max(staff_count),"
           " max(welfare_rate), max(special_needs_rate), max(japanese_support_rate)"
           " FROM ds_school_context WHERE (class_name IS NULL OR class_name = '')")
    params: list[object] = []
    if school_code is not None:
        sql += " AND school_code = ?"
        params.append(school_code)
    sql += " GROUP BY school_year, school_code, grade ORDER BY school_code, school_year, grade"
    return [ContextRow(int(r[0]), str(r[1]), _opt_int(r[2]), _opt_int(r[3]), _opt_int(r[4]),
                       _opt_float(r[5]), _opt_float(r[6]), _opt_float(r[7]))
            for r in conn.execute(sql, params)]


def class_counts(conn: Connection) -> dict[tuple[str, int], int]:
    """(school, year) → number of classes (distinct grade and class among enrollments)."""
    return {(str(r[0]), int(r[1])): int(r[2]) for r in conn.execute(
        "SELECT school_code, school_year, count(DISTINCT grade || '-' || coalesce(class_name, ''))"
        " FROM ds_enrollments WHERE school_code IS NOT NULL GROUP BY school_code, school_year")}


# -- push-support counts --------------------------------------------------------------------


@dataclass(frozen=True)
class MonthCount:
    """A count per school, grade, class and calendar month ("YYYY-MM"); ``status`` the alert's
    latest mark ("" none yet) or the consultation type."""

    school_code: str
    grade: int
    class_name: str
    month: str
    status: str
    count: int


def alert_counts(conn: Connection, school_year: int, top: int) -> list[MonthCount]:
    """Alerts of each month's shown list (the latest model that scored the month, places up
    to ``top`` per school) by the pupils' class and the alert's latest mark."""
    months = [f"{school_year}-{m:02d}" for m in range(4, 13)] + [
        f"{school_year + 1}-{m:02d}" for m in range(1, 4)]
    marks = ",".join("?" for _ in months)
    sql = (
        f"WITH {_enrolled()}, shown AS (SELECT month, max(model_id) AS model_id"
        f" FROM risk_alerts WHERE month IN ({marks}) GROUP BY month)"
        " SELECT a.school_code, coalesce(en.grade, 0), coalesce(en.class_name, ''), a.month,"
        " coalesce((SELECT s.status FROM risk_alert_status s WHERE s.alert_id = a.id"
        " ORDER BY s.id DESC LIMIT 1), '') AS mark, count(*)"
        " FROM risk_alerts a JOIN shown ON shown.month = a.month"
        " AND shown.model_id = a.model_id LEFT JOIN en ON en.pupil_id = a.pupil_id"
        " WHERE a.rank <= ? GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5")
    params: list[object] = [school_year, *months, top]
    return [MonthCount(str(r[0]), int(r[1]), str(r[2]), str(r[3])[:7], str(r[4]), int(r[5]))
            for r in conn.execute(sql, params)]


def consultation_counts(conn: Connection, school_year: int) -> list[MonthCount]:
    """Consultations (教育相談・SC/SSW) of the school year by the pupils' class, month and type."""
    sql = (
        f"WITH {_enrolled()} SELECT en.school_code, en.grade, en.class_name,"
        " substr(c.consult_date, 1, 7), coalesce(c.consult_type, ''), count(*)"
        " FROM ds_consultations c JOIN en ON en.pupil_id = c.pupil_id"
        " WHERE c.consult_date >= ? AND c.consult_date < ?"
        " GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5")
    params = (school_year, f"{school_year}-04-01", f"{school_year + 1}-04-01")
    return [MonthCount(str(r[0]), int(r[1]), str(r[2]), str(r[3]), str(r[4]), int(r[5]))
            for r in conn.execute(sql, params)]


def has_table(conn: Connection, table: str) -> bool:
    """Whether a table is attached on this connection (a group whose key is not held is
    not)."""
    for schema in [str(r[1]) for r in conn.execute("PRAGMA database_list")]:
        row = conn.execute(
            f'SELECT 1 FROM "{schema}".sqlite_master WHERE type = \'table\' AND name = ?',
            (table,)).fetchone()
        if row is not None:
            return True
    return False


def class_sizes(conn: Connection, school_year: int) -> list[tuple[str, int, str, int]]:
    """(school, grade, class, pupils) of the school year (each pupil's last enrollment)."""
    return [(str(r[0]), int(r[1]), str(r[2]), int(r[3])) for r in conn.execute(
        f"WITH {_enrolled()} SELECT school_code, grade, class_name, count(*) FROM en"
        " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3", (school_year,))]
