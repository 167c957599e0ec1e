"""Truancy-risk tables (migration 5) and the monthly panel data the model reads.

The panel reader hands out each table's rows a chunk at a time (``fetchmany``), so that the
service can turn them into compact columns as they arrive: a city's 1.7 million panel rows
held as Python tuples took about 600 MB, several times their columns. Survey answers are
reduced in SQL to the share of positively answered items per pupil, round and item domain (the
item of an answer is the one of the pupil's grade that year), so that millions of answer rows
never leave the database.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from kernel.school_calendar import SchoolMonth, calendar_year, school_year_start
from storage.connection import Connection
from storage.placement import table_names

ALERT_STATUSES = ("確認済み", "見守り", "支援開始", "対象外")


def _str(value: object) -> str | None:
    return None if value is None else str(value)


def _stamp(at: datetime) -> str:
    return at.isoformat(timespec="seconds")


CHUNK_ROWS = 50_000


@dataclass(frozen=True)
class Table:
    """One table of the panel: its column names and its rows, fetched ``CHUNK_ROWS`` at a
    time while ``chunks`` is iterated (inside the store call that read it)."""

    columns: tuple[str, ...]
    chunks: Iterator[list[tuple[object, ...]]]


def _query(conn: Connection, sql: str, params: Sequence[object], chunk_rows: int) -> Table:
    cur = conn.execute(sql, tuple(params))
    columns = tuple(d[0] for d in cur.description)

    def chunks() -> Iterator[list[tuple[object, ...]]]:
        while rows := cur.fetchmany(chunk_rows):
            yield rows

    return Table(columns, chunks())


def _tables(conn: Connection) -> set[str]:
    return table_names(conn)  # the store file's and the attached groups' (issue 12)


def _years(years: tuple[int, int] | None, column: str = "school_year") -> tuple[str, list[object]]:
    if years is None:
        return "", []
    return f" WHERE {column} BETWEEN ? AND ?", [years[0], years[1]]


def _dates(years: tuple[int, int] | None, column: str) -> tuple[str, list[object]]:
    if years is None:
        return "", []
    return (f" WHERE {column} >= ? AND {column} < ?",
            [school_year_start(years[0]).isoformat(), school_year_start(years[1] + 1).isoformat()])


# Each pupil's share of positive answers per survey, round and domain (the ``survey`` table);
# a WHERE on ``r`` goes between the two parts. CROSS JOIN keeps the answers as the outer loop
# (each finds its enrollment and its item by index): the plan SQLite picked otherwise scanned
# a year's answers once per survey item, 17 s of the demo city's 25 s panel read (now 3.5 s,
# the same rows).
SURVEY_SHARES = (
    "SELECT r.pupil_id, r.school_year, r.survey_code, r.round,"
    " min(r.survey_date) AS survey_date, i.domain,"
    " avg(instr(',' || replace(i.positive_answers, ' ', '') || ',',"
    "           ',' || r.answer || ',') > 0) AS positive_share"
    " FROM ds_survey_responses r"
    " CROSS JOIN ds_enrollments e ON e.pupil_id = r.pupil_id AND e.school_year = r.school_year"
    " CROSS JOIN ds_survey_items i ON i.survey_code = r.survey_code"
    "  AND i.school_year = r.school_year AND i.grade = e.grade"
    "  AND i.item_code = r.item_code"
)
SURVEY_SHARES_GROUPS = " GROUP BY r.pupil_id, r.school_year, r.survey_code, r.round, i.domain"

PANEL_KINDS = ("attendance", "enrollments", "schools", "long_absence", "health_room",
               "consultations", "survey", "academic", "pupils", "school_context")
# Panel tables kept on another lane than the pupil groups (issue 12: 学校 has its own file,
# attached to a connection of its own): panel name → the dataset kind whose lane reads it.
# ``read_panel`` reads them only on a connection of that lane; nothing joins them with a
# pupil table in SQL (the fairness audit joins them in pandas).
OTHER_LANE = {"school_context": "school_context"}


def read_panel(
    conn: Connection,
    kinds: Iterable[str] = PANEL_KINDS,
    years: tuple[int, int] | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> dict[str, Table]:
    """The tables of the model's inputs (see ``analysis.risk.panel.RiskInputs``), limited to
    the school years ``years`` (inclusive) when given. Kinds whose table is missing are
    left out. Each table's rows arrive as its ``chunks`` are iterated, which must happen
    within the same store call."""
    have = _tables(conn)
    out: dict[str, Table] = {}
    wanted = set(kinds)

    def _table(conn: Connection, sql: str, params: Sequence[object] = ()) -> Table:
        return _query(conn, sql, params, chunk_rows)

    if "attendance" in wanted and "ds_attendance_monthly" in have:
        where, params = _years(years)
        out["attendance"] = _table(
            conn,
            "SELECT pupil_id, school_year, month, school_days, absence_days, sick_days,"
            " accident_days, suspension_days, late_count, early_leave_count"
            f" FROM ds_attendance_monthly{where}",
            params,
        )
    if "enrollments" in wanted and "ds_enrollments" in have:
        where, params = _years(None if years is None else (years[0], years[1] + 1))
        out["enrollments"] = _table(
            conn,
            "SELECT pupil_id, school_year, school_code, grade, special_needs_class,"
            f" japanese_support FROM ds_enrollments{where} ORDER BY id",
            params,
        )
    if "schools" in wanted and "ds_schools" in have:
        out["schools"] = _table(conn, "SELECT school_code, school_type FROM ds_schools")
    if "long_absence" in wanted and "ds_long_absence" in have:
        where, params = _years(years)
        out["long_absence"] = _table(
            conn,
            "SELECT pupil_id, school_year, month, absence_days, truancy"
            f" FROM ds_long_absence{where}",
            params,
        )
    if "health_room" in wanted and "ds_health_room_visits" in have:
        where, params = _dates(years, "visit_date")
        out["health_room"] = _table(
            conn, f"SELECT pupil_id, visit_date, symptom FROM ds_health_room_visits{where}",
            params,
        )
    if "consultations" in wanted and "ds_consultations" in have:
        where, params = _dates(years, "consult_date")
        out["consultations"] = _table(
            conn, f"SELECT pupil_id, consult_date FROM ds_consultations{where}", params
        )
    if "survey" in wanted and {"ds_survey_responses", "ds_survey_items"} <= have:
        where, params = _years(years, "r.school_year")
        out["survey"] = _table(conn, f"{SURVEY_SHARES}{where}{SURVEY_SHARES_GROUPS}", params)
    if "academic" in wanted and "ds_academic_results" in have:
        where, params = _years(years)
        out["academic"] = _table(
            conn,
            f"SELECT pupil_id, school_year, subject, level FROM ds_academic_results{where}",
            params,
        )
    if "pupils" in wanted and "ds_students" in have:
        out["pupils"] = _table(conn, "SELECT id AS pupil_id, sex FROM ds_students")
    if "school_context" in wanted and "ds_school_context" in have:
        # One 就学援助率 per school and year (pupil-weighted over its rows), audit only.
        out["school_context"] = _table(
            conn,
            "SELECT school_year, school_code,"
            " sum(welfare_rate * coalesce(pupil_count, 1)) / sum(coalesce(pupil_count, 1))"
            " AS welfare_rate FROM ds_school_context WHERE welfare_rate IS NOT NULL"
            " GROUP BY school_year, school_code",
        )
    return out


def attendance_months(conn: Connection) -> list[SchoolMonth]:
    """The calendar months with monthly attendance, in time order (rows keep the school
    year and the calendar month: January 2026 is stored as 2025, 1)."""
    if "ds_attendance_monthly" not in _tables(conn):
        return []
    rows = conn.execute(
        "SELECT DISTINCT school_year, month FROM ds_attendance_monthly").fetchall()
    return sorted(SchoolMonth(calendar_year(int(y), int(m)), int(m)) for y, m in rows)


def school_years(conn: Connection) -> list[int]:
    """School years that have monthly attendance."""
    if "ds_attendance_monthly" not in _tables(conn):
        return []
    rows = conn.execute(
        "SELECT DISTINCT school_year FROM ds_attendance_monthly ORDER BY school_year"
    ).fetchall()
    return [int(r[0]) for r in rows]


def survey_years(conn: Connection, pupil_id: int) -> list[int]:
    """School years in which this pupil answered a survey, oldest first."""
    rows = conn.execute(
        "SELECT DISTINCT school_year FROM ds_survey_responses WHERE pupil_id = ?"
        " ORDER BY school_year", (pupil_id,)).fetchall()
    return [int(r[0]) for r in rows]


def address_codes(conn: Connection, pupil_ids: Iterable[int]) -> dict[int, str]:
    ids = sorted({int(i) for i in pupil_ids})
    out: dict[int, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" for _ in chunk)
        for pid, code in conn.execute(
            f"SELECT id, address_code FROM ds_students WHERE id IN ({marks})", chunk
        ):
            out[int(pid)] = str(code)
    return out


@dataclass(frozen=True)
class PupilNames:
    """Who an alert's pupil is: 氏名 and the enrollment (学年・組) of one school year."""

    name: str
    grade: int | None
    class_name: str | None


def pupil_names(
    conn: Connection, pupil_ids: Iterable[int], school_year: int
) -> dict[int, PupilNames]:
    """氏名 of the pupils, with 学年 and 組 of their enrollment in ``school_year`` (the last
    registered one if there are several; None where the pupil has none that year)."""
    have = _tables(conn)
    if "ds_students" not in have:
        return {}
    join = "ds_enrollments" in have
    ids = sorted({int(i) for i in pupil_ids})
    out: dict[int, PupilNames] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" for _ in chunk)
        if join:
            sql = (
                "SELECT s.id, s.name, e.grade, e.class_name FROM ds_students s"
                " LEFT JOIN ds_enrollments e ON e.id = ("
                "   SELECT max(id) FROM ds_enrollments"
                "   WHERE pupil_id = s.id AND school_year = ?)"
                f" WHERE s.id IN ({marks})"
            )
            params: list[object] = [school_year, *chunk]
        else:
            sql = f"SELECT s.id, s.name, NULL, NULL FROM ds_students s WHERE s.id IN ({marks})"
            params = list(chunk)
        for pid, name, grade, class_name in conn.execute(sql, params):
            out[int(pid)] = PupilNames(
                "" if name is None else str(name),
                None if grade is None else int(grade),
                None if class_name is None else str(class_name),
            )
    if join:
        _grades_before_the_roster(conn, out, school_year)
    return out


def _grades_before_the_roster(
    conn: Connection, pupils: dict[int, PupilNames], school_year: int
) -> None:
    """Pupils without an enrollment in ``school_year`` yet (an April list made before the new
    roster is imported): the grade moved up from their latest earlier enrollment, no 組."""
    missing = sorted(pid for pid, p in pupils.items() if p.grade is None)
    for start in range(0, len(missing), 500):
        chunk = missing[start : start + 500]
        marks = ",".join("?" for _ in chunk)
        rows = conn.execute(
            "SELECT e.pupil_id, e.grade, e.school_year FROM ds_enrollments e"
            " WHERE e.id = (SELECT max(id) FROM ds_enrollments x WHERE x.pupil_id = e.pupil_id"
            "   AND x.school_year = (SELECT max(school_year) FROM ds_enrollments y"
            "     WHERE y.pupil_id = e.pupil_id AND y.school_year < ?))"
            f" AND e.pupil_id IN ({marks})",
            [school_year, *chunk],
        )
        for pid, grade, year in rows:
            if grade is None:
                continue
            moved = int(grade) + school_year - int(year)
            if 1 <= moved <= 9:
                pupils[int(pid)] = replace(pupils[int(pid)], grade=moved)


def data_version(conn: Connection) -> str:
    """A short digest of the committed import batches: changes whenever the data does."""
    digest = hashlib.sha256()
    for row in conn.execute(
        "SELECT id, kind, content_sha256, status FROM import_batches ORDER BY id"
    ):
        digest.update("|".join(str(v) for v in row).encode())
        digest.update(b"\n")
    return digest.hexdigest()[:16]


def data_extent(conn: Connection) -> tuple[int, int]:
    """(the last committed import's number, how many committed imports): the data version
    in words staff can check against 取込履歴."""
    row = conn.execute(
        "SELECT coalesce(max(id), 0), count(*) FROM import_batches WHERE status = 'committed'"
    ).fetchone()
    return int(row[0]), int(row[1])


# -- model versions -------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelRow:
    id: int
    created_at: str
    created_by: str
    data_version: str
    config_json: str
    metrics_json: str
    card_json: str
    status: str


_MODEL_COLUMNS = ("id, created_at, created_by, data_version, config_json, metrics_json,"
                  " card_json, status")


def _model_row(raw: Sequence[object]) -> ModelRow:
    return ModelRow(int(str(raw[0])), str(raw[1]), str(raw[2]), str(raw[3]), str(raw[4]),
                    str(raw[5]), str(raw[6]), str(raw[7]))


def insert_model(
    conn: Connection,
    *,
    created_by: str,
    data_version: str,
    config_json: str,
    metrics_json: str,
    card_json: str,
    model: bytes,
    at: datetime,
) -> int:
    cur = conn.execute(
        "INSERT INTO risk_models (created_at, created_by, data_version, config_json,"
        " metrics_json, card_json, model) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (_stamp(at), created_by, data_version, config_json, metrics_json, card_json, model),
    )
    new_id = int(cur.lastrowid or 0)
    conn.execute("UPDATE risk_models SET status = 'retired' WHERE id <> ? AND status = 'active'",
                 (new_id,))
    return new_id


def latest_model(conn: Connection) -> ModelRow | None:
    raw = conn.execute(
        f"SELECT {_MODEL_COLUMNS} FROM risk_models WHERE status = 'active'"
        " ORDER BY id DESC LIMIT 1"
    ).fetchone()
    return None if raw is None else _model_row(raw)


def get_model(conn: Connection, model_id: int) -> ModelRow | None:
    raw = conn.execute(f"SELECT {_MODEL_COLUMNS} FROM risk_models WHERE id = ?",
                       (model_id,)).fetchone()
    return None if raw is None else _model_row(raw)


def model_blob(conn: Connection, model_id: int) -> bytes:
    raw = conn.execute("SELECT model FROM risk_models WHERE id = ?", (model_id,)).fetchone()
    if raw is None:
        raise KeyError(model_id)
    return bytes(raw[0])


# -- alerts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertRow:
    id: int
    month: SchoolMonth  # stored as its text ``YYYY-MM`` (the month the list is for)
    pupil_id: int
    school_code: str
    rank: int
    band: str
    reasons_json: str
    model_id: int
    status: str | None
    note: str | None


@dataclass(frozen=True)
class StatusRow:
    id: int
    alert_id: int
    status: str
    note: str
    marked_by: str
    marked_at: str
    # Withdrawn by a correction (issue 16): why, by whom, when; None while in force.
    withdrawn_reason: str | None = None
    withdrawn_by: str | None = None
    withdrawn_at: str | None = None


def insert_alerts(
    conn: Connection,
    month: SchoolMonth,
    model_id: int,
    rows: Iterable[tuple[int, str, int, str, str]],
    *,
    at: datetime,
) -> int:
    """Add (pupil_id, school_code, rank, band, reasons_json) rows; a pupil already listed for
    the month by this model keeps its row (and its status history). Returns rows added."""
    now = _stamp(at)
    before = conn.total_changes
    conn.executemany(
        "INSERT OR IGNORE INTO risk_alerts (month, pupil_id, school_code, rank, band,"
        " reasons_json, model_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(str(month), pid, school, rank, band, reasons, model_id, now)
         for pid, school, rank, band, reasons in rows],
    )
    return int(conn.total_changes - before)


# A mark belongs to the pupil's listing in a month, not to one model's row: when the month is
# scored again by a newer model, the pupil's alert shows (and continues) the same history.
# A mark withdrawn by a correction stays in the history but is no longer in force.
_SAME_LISTING = (
    "SELECT st.id FROM risk_alert_status st JOIN risk_alerts o ON o.id = st.alert_id"
    " WHERE o.month = a.month AND o.pupil_id = a.pupil_id"
    " AND st.id NOT IN (SELECT status_id FROM risk_alert_corrections)"
)
_ALERT_SELECT = (
    "SELECT a.id, a.month, a.pupil_id, a.school_code, a.rank, a.band, a.reasons_json,"
    " a.model_id, s.status, s.note FROM risk_alerts a"
    " LEFT JOIN risk_alert_status s ON s.id = ("
    f"   SELECT max(id) FROM ({_SAME_LISTING}))"
)


def _alert_row(raw: Sequence[object]) -> AlertRow:
    return AlertRow(
        int(str(raw[0])), SchoolMonth.parse(str(raw[1])), int(str(raw[2])), str(raw[3]),
        int(str(raw[4])),
        str(raw[5]), str(raw[6]), int(str(raw[7])),
        None if raw[8] is None else str(raw[8]), None if raw[9] is None else str(raw[9]),
    )


def latest_scoring_model(conn: Connection, month: SchoolMonth) -> int | None:
    """The model that scored this month last (its list is the one shown)."""
    raw = conn.execute("SELECT max(model_id) FROM risk_alerts WHERE month = ?",
                       (str(month),)).fetchone()
    return None if raw is None or raw[0] is None else int(raw[0])


def alerts_for_month(
    conn: Connection, month: SchoolMonth, model_id: int, top: int | None = None
) -> list[AlertRow]:
    sql = _ALERT_SELECT + " WHERE a.month = ? AND a.model_id = ?"
    params: list[object] = [str(month), model_id]
    if top is not None:
        sql += " AND a.rank <= ?"
        params.append(top)
    sql += " ORDER BY a.school_code, a.rank"
    return [_alert_row(r) for r in conn.execute(sql, params)]


def alerts_for_pupil(conn: Connection, pupil_id: int) -> list[AlertRow]:
    sql = _ALERT_SELECT + " WHERE a.pupil_id = ? ORDER BY a.month DESC, a.id DESC"
    return [_alert_row(r) for r in conn.execute(sql, (pupil_id,))]


def get_alert(conn: Connection, alert_id: int) -> AlertRow | None:
    raw = conn.execute(_ALERT_SELECT + " WHERE a.id = ?", (alert_id,)).fetchone()
    return None if raw is None else _alert_row(raw)


def add_status(
    conn: Connection, alert_id: int, status: str, note: str, marked_by: str, *, at: datetime
) -> int:
    if status not in ALERT_STATUSES:
        raise ValueError(status)
    cur = conn.execute(
        "INSERT INTO risk_alert_status (alert_id, status, note, marked_by, marked_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (alert_id, status, note, marked_by, _stamp(at)),
    )
    return int(cur.lastrowid or 0)


def status_history(conn: Connection, alert_id: int) -> list[StatusRow]:
    """Every mark of the alert's pupil in the alert's month (whichever model listed them),
    withdrawn ones with their correction."""
    return [
        StatusRow(int(r[0]), int(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]),
                  _str(r[6]), _str(r[7]), _str(r[8]))
        for r in conn.execute(
            "SELECT st.id, st.alert_id, st.status, st.note, st.marked_by, st.marked_at,"
            " c.reason, c.corrected_by, c.corrected_at"
            " FROM risk_alert_status st JOIN risk_alerts o ON o.id = st.alert_id"
            " JOIN risk_alerts a ON a.id = ?"
            " LEFT JOIN risk_alert_corrections c ON c.status_id = st.id"
            " WHERE o.month = a.month AND o.pupil_id = a.pupil_id ORDER BY st.id",
            (alert_id,),
        )
    ]


def mark_in_force(conn: Connection, alert_id: int) -> StatusRow | None:
    """The newest mark of the alert's listing that no correction withdrew."""
    rows = [r for r in status_history(conn, alert_id) if r.withdrawn_by is None]
    return rows[-1] if rows else None


def withdraw_mark(conn: Connection, status_id: int, alert_id: int, reason: str,
                  corrected_by: str, *, at: datetime) -> None:
    """Withdraw one mark (kept, with the correction beside it); a mark is withdrawn once."""
    conn.execute(
        "INSERT INTO risk_alert_corrections (status_id, alert_id, reason, corrected_by,"
        " corrected_at) VALUES (?, ?, ?, ?, ?)",
        (status_id, alert_id, reason, corrected_by, _stamp(at)),
    )


def shown_models(conn: Connection) -> dict[SchoolMonth, int]:
    """Month → the model whose list the screen shows for it (the latest that scored it)."""
    return {SchoolMonth.parse(str(m)): int(i) for m, i in conn.execute(
        "SELECT month, max(model_id) FROM risk_alerts GROUP BY month")}


def list_size(conn: Connection, month: SchoolMonth, model_id: int) -> int:
    """How many places each school's list of that month holds (the largest 確認の順)."""
    size = conn.execute("SELECT max(rank) FROM risk_alerts WHERE month = ? AND model_id = ?",
                        (str(month), model_id)).fetchone()[0]
    return int(size or 0)
