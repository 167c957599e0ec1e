"""Reading one pupil's data for the karte: header, per-kind summaries, chart series, and
records with their provenance (optionally narrowed to the rows behind one chart point).

Column names come from the registry (checked identifiers); values are always bound.
"""

from __future__ import annotations

from dataclasses import dataclass

from kernel.school_calendar import SchoolMonth, school_year_end, school_year_start
from storage.connection import Connection
from storage.registry import DatasetKind
from storage.school_calendar_sql import month_from_order, month_order

# The survey item master, one row per (instrument, year, item): 肯定的回答 and 領域 do not
# depend on the grade within an item code. Items without a year apply to every year. Only a
# choice item (回答の種類 empty or 選択肢) has positive answers: a score, rate or category
# item (AiGROW, RST, Q-U) never counts towards the share of positive answers.
ITEMS_CTE = (
    "items AS (SELECT survey_code, school_year, item_code,"
    " CASE WHEN max(coalesce(answer_type, '選択肢')) = '選択肢' THEN"
    " ',' || replace(replace(max(positive_answers), ' ', ''), '、', ',') || ',' END AS pos,"
    " max(domain) AS domain, max(item_text) AS item_text"
    " FROM ds_survey_items GROUP BY survey_code, school_year, item_code)"
)


def items_join(alias: str) -> str:
    """Joins the response ``alias`` to its item (year-specific first, then year-less) as
    ``iy`` / ``ia``."""
    return (
        f" LEFT JOIN items iy ON iy.survey_code = {alias}.survey_code"
        f" AND iy.school_year = {alias}.school_year AND iy.item_code = {alias}.item_code"
        f" LEFT JOIN items ia ON ia.survey_code = {alias}.survey_code"
        f" AND ia.school_year IS NULL AND ia.item_code = {alias}.item_code"
    )


def positive(alias: str) -> str:
    return f"(instr(coalesce(iy.pos, ia.pos), ',' || {alias}.answer || ',') > 0)"


DOMAIN = "coalesce(iy.domain, ia.domain, '')"


@dataclass(frozen=True)
class HeaderRow:
    pupil_id: int
    address_code: str
    name: str
    name_kana: str
    birth_date: str | None
    sex: str | None
    school_year: int | None
    school_code: str | None
    school_name: str | None
    school_type: str | None
    grade: int | None
    class_name: str | None
    seat_number: int | None
    pref_id: str | None
    google_account: str | None


def header(conn: Connection, pupil_id: int) -> HeaderRow | None:
    st = conn.execute(
        "SELECT id, address_code, name, name_kana, birth_date, sex FROM ds_students WHERE id = ?",
        (pupil_id,),
    ).fetchone()
    if st is None:
        return None
    en = conn.execute(
        "SELECT e.school_year, e.school_code, sc.school_name, sc.school_type, e.grade,"
        " e.class_name, e.seat_number FROM ds_enrollments e"
        " LEFT JOIN ds_schools sc ON sc.school_code = e.school_code"
        " WHERE e.pupil_id = ? ORDER BY e.school_year DESC, e.id DESC LIMIT 1",
        (pupil_id,),
    ).fetchone() or (None,) * 7

    def latest(column: str) -> str | None:
        row = conn.execute(
            f"SELECT {column} FROM ds_enrollments WHERE pupil_id = ? AND {column} IS NOT NULL"
            f" AND {column} != '' ORDER BY school_year DESC, id DESC LIMIT 1",
            (pupil_id,),
        ).fetchone()
        return None if row is None else str(row[0])

    return HeaderRow(
        pupil_id=int(st[0]), address_code=str(st[1]), name=str(st[2] or ""),
        name_kana=str(st[3] or ""), birth_date=_str(st[4]), sex=_str(st[5]),
        school_year=_int(en[0]), school_code=_str(en[1]), school_name=_str(en[2]),
        school_type=_str(en[3]), grade=_int(en[4]), class_name=_str(en[5]),
        seat_number=_int(en[6]), pref_id=latest("pref_id"),
        google_account=latest("google_account"),
    )


def _str(value: object) -> str | None:
    return None if value is None else str(value)


def _int(value: object) -> int | None:
    return None if value is None else int(str(value))


def _float(value: object) -> float | None:
    return None if value is None else float(str(value))


@dataclass(frozen=True)
class KindSummary:
    kind: str
    count: int
    latest: str | None  # ISO date, "YYYY-MM" (calendar month) or "YYYY" (school year)
    last_imported: str | None  # ISO timestamp of the newest batch holding these rows


def _pupil_key(kind: DatasetKind) -> str:
    return "t.id" if kind.master else "t.pupil_id"


def summary(conn: Connection, kind: DatasetKind, pupil_id: int) -> KindSummary:
    if kind.event_date is not None:
        latest = f"max(t.{kind.event_date})"
    elif kind.year_column is not None and kind.has_column("month"):
        latest = f"max(t.school_year * 100 + {month_order('t.month')})"
    elif kind.year_column is not None:
        latest = "max(t.school_year)"
    else:
        latest = "NULL"
    row = conn.execute(
        f"SELECT count(*), {latest}, max(b.imported_at) FROM {kind.table} t"
        f" LEFT JOIN import_batches b ON b.id = t.batch_id WHERE {_pupil_key(kind)} = ?",
        (pupil_id,),
    ).fetchone()
    value = row[1]
    text: str | None
    if value is None:
        text = None
    elif kind.event_date is None and kind.has_column("month"):
        text = str(month_from_order(*divmod(int(value), 100)))
    else:
        text = str(value)
    return KindSummary(kind.name, int(row[0]), text, _str(row[2]))


def coverage(conn: Connection, kind: DatasetKind) -> str | None:
    """How far the kind's data goes in the whole store (not one pupil's): the latest day
    (ISO), calendar month (``YYYY-MM``) or school year (``YYYY``) any row holds; None when
    the kind has no rows or no period. The karte says which periods it can show at all."""
    if kind.event_date is not None:
        day = conn.execute(f"SELECT max({kind.event_date}) FROM {kind.table}").fetchone()[0]
        return None if day is None else str(day)[:10]
    year_column = kind.year_column
    if year_column is None:
        return None
    year = conn.execute(f"SELECT max({year_column}) FROM {kind.table}").fetchone()[0]
    if year is None:
        return None
    if not kind.has_column("month"):
        return str(int(year))
    order = conn.execute(
        f"SELECT max({month_order('month')}) FROM {kind.table} WHERE {year_column} = ?",
        (year,)).fetchone()[0]
    return str(int(year)) if order is None else str(month_from_order(int(year), int(order)))


def coverage_signature(conn: Connection, kind: DatasetKind) -> tuple[int, int, int]:
    """Changes whenever ``coverage`` may: a row added (the table's largest rowid), a batch
    of the kind imported or rolled back. Cheap (no scan), so the service can keep coverage."""
    newest = conn.execute(f"SELECT max(rowid) FROM {kind.table}").fetchone()[0]
    batches, committed = conn.execute(
        "SELECT count(*), coalesce(sum(status = 'committed'), 0) FROM import_batches"
        " WHERE kind = ?", (kind.name,)).fetchone()
    return int(newest or 0), int(batches), int(committed)


def enrolled_years(conn: Connection, pupil_id: int) -> list[int]:
    return [int(r[0]) for r in conn.execute(
        "SELECT DISTINCT school_year FROM ds_enrollments WHERE pupil_id = ? ORDER BY 1",
        (pupil_id,))]


# -- chart series --------------------------------------------------------------------------


@dataclass(frozen=True)
class AttendanceMonth:
    school_year: int
    month: int
    school_days: int | None
    absence_days: int | None
    sick_days: int | None
    accident_days: int | None
    suspension_days: int | None
    late_count: int | None
    early_leave_count: int | None


def attendance(conn: Connection, pupil_id: int) -> list[AttendanceMonth]:
    """Monthly attendance (several rows of one month, e.g. after a transfer, are added)."""
    rows = conn.execute(
        "SELECT school_year, month, sum(school_days), sum(absence_days), sum(sick_days),"
        " sum(accident_days), sum(suspension_days), sum(late_count), sum(early_leave_count)"
        " FROM ds_attendance_monthly WHERE pupil_id = ? GROUP BY school_year, month",
        (pupil_id,),
    ).fetchall()
    return [AttendanceMonth(int(r[0]), int(r[1]), *(_int(v) for v in r[2:])) for r in rows]


def health_visits_by_month(
    conn: Connection, pupil_id: int
) -> list[tuple[SchoolMonth, str, int]]:
    """(calendar month, symptom, visits)."""
    return [
        (SchoolMonth.parse(str(m)), str(s or "未記入"), int(n))
        for m, s, n in conn.execute(
            "SELECT substr(visit_date, 1, 7) AS m, symptom, count(*)"
            " FROM ds_health_room_visits WHERE pupil_id = ? AND visit_date IS NOT NULL"
            " GROUP BY m, symptom",
            (pupil_id,),
        )
    ]


def long_absence(conn: Connection, pupil_id: int) -> list[tuple[int, int, int | None, bool]]:
    """(school year, month, cumulative absence days, 不登校)."""
    return [
        (int(y), int(m), _int(d), bool(t))
        for y, m, d, t in conn.execute(
            "SELECT school_year, month, max(absence_days), max(coalesce(truancy, 0))"
            " FROM ds_long_absence WHERE pupil_id = ? GROUP BY school_year, month",
            (pupil_id,),
        )
    ]


def academic(conn: Connection, pupil_id: int) -> list[tuple[int, str, float | None,
                                                             float | None]]:
    """(school year, subject, level, correct rate)."""
    return [
        (int(y), str(s), _float(lv), _float(cr))
        for y, s, lv, cr in conn.execute(
            "SELECT school_year, subject, avg(level), avg(correct_rate)"
            " FROM ds_academic_results WHERE pupil_id = ? GROUP BY school_year, subject",
            (pupil_id,),
        )
    ]


@dataclass(frozen=True)
class SurveyScore:
    survey_code: str
    school_year: int
    round: int
    first_date: str | None
    domain: str
    positive: int
    answered: int


def survey_scores(conn: Connection, pupil_id: int) -> list[SurveyScore]:
    """Positive answers per instrument, year, round and domain (items with a 肯定的回答)."""
    rows = conn.execute(
        f"WITH {ITEMS_CTE} SELECT r.survey_code, r.school_year, coalesce(r.round, 1),"
        f" min(r.survey_date), {DOMAIN} AS dom, sum({positive('r')}), count(*)"
        f" FROM ds_survey_responses r{items_join('r')}"
        " WHERE r.pupil_id = ? AND coalesce(iy.pos, ia.pos) IS NOT NULL AND r.answer IS NOT NULL"
        " GROUP BY r.survey_code, r.school_year, coalesce(r.round, 1), dom",
        (pupil_id,),
    ).fetchall()
    return [SurveyScore(str(r[0]), int(r[1]), int(r[2]), _str(r[3]), str(r[4]), int(r[5]),
                        int(r[6])) for r in rows]


def attendance_terms(conn: Connection, pupil_id: int
                     ) -> list[tuple[int, str, int | None, int | None, int | None]]:
    """Per-term totals (year, term, school days, absence days, sick days), in term order."""
    rows = conn.execute(
        "SELECT school_year, term, sum(school_days), sum(absence_days), sum(sick_days)"
        " FROM ds_attendance_term WHERE pupil_id = ? GROUP BY school_year, term"
        " ORDER BY school_year, CASE term WHEN '1学期' THEN 1 WHEN '前期' THEN 1"
        " WHEN '2学期' THEN 2 WHEN '後期' THEN 2 ELSE 3 END",
        (pupil_id,),
    ).fetchall()
    return [(int(r[0]), str(r[1]), _int(r[2]), _int(r[3]), _int(r[4])) for r in rows]


@dataclass(frozen=True)
class InstrumentAnswer:
    survey_code: str
    school_year: int
    round: int | None
    survey_date: str | None
    item_code: str
    answer: object  # a number (score, rate) or a text (category)


def instrument_answers(conn: Connection, pupil_id: int,
                       codes: tuple[str, ...]) -> list[InstrumentAnswer]:
    """Answers of the instruments whose answers are scores, rates or categories."""
    if not codes:
        return []
    marks = ", ".join("?" for _ in codes)
    rows = conn.execute(
        "SELECT survey_code, school_year, round, survey_date, item_code, answer"
        f" FROM ds_survey_responses WHERE pupil_id = ? AND survey_code IN ({marks})"
        " AND answer IS NOT NULL ORDER BY survey_code, school_year, coalesce(round, 0), id",
        (pupil_id, *codes),
    ).fetchall()
    return [InstrumentAnswer(str(r[0]), int(r[1]), _int(r[2]), _str(r[3]), str(r[4]), r[5])
            for r in rows]


# -- records with provenance ---------------------------------------------------------------


@dataclass(frozen=True)
class RecordFilter:
    """Narrows a pupil's records to those behind one chart point."""

    school_year: int | None = None
    month: int | None = None  # calendar month within ``school_year``
    equals: tuple[tuple[str, object], ...] = ()  # (column, value)
    survey_domain: str | None = None  # survey responses: items of this 領域


@dataclass(frozen=True)
class ProvenancedRows:
    columns: tuple[str, ...]  # registry keys of the stored columns, then any extra columns
    extra_columns: tuple[str, ...]  # for survey responses: item_text, domain, positive
    rows: tuple[tuple[object, ...], ...]
    ids: tuple[int, ...]
    batch_ids: tuple[int | None, ...]
    sources: tuple[str, ...]
    imported_at: tuple[str, ...]


def _order(kind: DatasetKind) -> str:
    if kind.year_column is not None and kind.has_column("month"):
        return f"t.school_year, {month_order('t.month')}"
    if kind.event_date is not None:
        return f"t.{kind.event_date}"
    if kind.year_column is not None:
        return f"t.{kind.year_column}"
    return "t.id"


def _scope(kind: DatasetKind, where: RecordFilter, params: list[object]) -> list[str]:
    out: list[str] = []
    year, month = where.school_year, where.month
    if year is not None:
        if kind.year_column is not None:
            out.append("t.school_year = ?")
            params.append(year)
        elif kind.event_date is not None:
            out.append(f"t.{kind.event_date} BETWEEN ? AND ?")
            params += [school_year_start(year).isoformat(), school_year_end(year).isoformat()]
    if month is not None:
        if kind.has_column("month"):
            out.append("t.month = ?")
            params.append(month)
        elif kind.event_date is not None:
            out.append(f"substr(t.{kind.event_date}, 6, 2) = ?")
            params.append(f"{month:02d}")
    for column, value in where.equals:
        kind.column(column)  # refuses unknown columns
        if value is None:
            out.append(f"t.{column} IS NULL")
        else:
            out.append(f"t.{column} = ?")
            params.append(value)
    return out


def records(
    conn: Connection, kind: DatasetKind, pupil_id: int, where: RecordFilter | None = None
) -> ProvenancedRows:
    columns = tuple(c.key for c in kind.stored_columns)
    params: list[object] = [pupil_id]
    conditions = [f"{_pupil_key(kind)} = ?"]
    if where is not None:
        conditions += _scope(kind, where, params)
    survey = kind.name == "survey_responses"
    extra: tuple[str, ...] = ()
    with_items = ""
    joins = ""
    extra_sql = ""
    if survey:
        extra = ("item_text", "domain", "positive")
        with_items = f"WITH {ITEMS_CTE} "
        joins = items_join("t")
        extra_sql = (", coalesce(iy.item_text, ia.item_text), coalesce(iy.domain, ia.domain),"
                     " CASE WHEN coalesce(iy.pos, ia.pos) IS NULL THEN NULL ELSE"
                     f" {positive('t')} END")
        if where is not None and where.survey_domain is not None:
            conditions.append("coalesce(iy.domain, ia.domain) = ?")
            params.append(where.survey_domain)
    raw = conn.execute(
        f"{with_items}SELECT t.id, t.batch_id, coalesce(b.source_name, ''),"
        f" coalesce(b.imported_at, ''), {', '.join('t.' + c for c in columns)}{extra_sql}"
        f" FROM {kind.table} t LEFT JOIN import_batches b ON b.id = t.batch_id{joins}"
        f" WHERE {' AND '.join(conditions)} ORDER BY {_order(kind)}, t.id",
        params,
    ).fetchall()
    return ProvenancedRows(
        columns=(*columns, *extra),
        extra_columns=extra,
        rows=tuple(tuple(r[4:]) for r in raw),
        ids=tuple(int(r[0]) for r in raw),
        batch_ids=tuple(_int(r[1]) for r in raw),
        sources=tuple(str(r[2]) for r in raw),
        imported_at=tuple(str(r[3]) for r in raw),
    )
