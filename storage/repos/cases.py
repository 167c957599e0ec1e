"""Support cases (issue 14): the tables of group step 4, always named with their file's schema.

The same case tables exist in the files of three key groups (不登校, いじめ, 教育相談), so
an unqualified name would reach whichever file SQLite searches first: every statement here
takes the schema (``case_schema``) of the domain's file. Nothing here deletes a case's rows
except the retention purge (``purge_pupils``); the service withdraws instead, and every
change of a field is written to ``case_history`` in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.connection import Connection
from storage.placement import schema_of, schemas_with

# The columns a service may change through ``update_fields`` (what the history records).
EDITABLE: dict[str, tuple[str, ...]] = {
    "case_files": ("title", "profile", "family", "support_history", "status",
                   "status_reason"),
    "case_year_sheets": ("school_name", "grade", "homeroom_teacher", "situation", "goal",
                         "plan", "evaluation", "status", "status_reason"),
    "case_meetings": ("held_on", "meeting_type", "attendees_json", "child_wish",
                      "guardian_wish", "assessment", "strengths", "long_goal", "short_goal",
                      "next_review", "status", "status_reason"),
    "case_actions": ("what", "owner", "due", "status", "status_reason"),
    "case_reviews": ("status", "status_reason"),
    "case_notes": ("status", "status_reason"),
}
# The history's word for each table.
ENTITIES = {"case_files": "case", "case_year_sheets": "year_sheet", "case_meetings": "meeting",
            "case_actions": "action", "case_reviews": "review", "case_notes": "note"}
CASE_TABLES = ("case_history", "case_drafts", "case_notes", "case_reviews", "case_actions",
               "case_meetings", "case_year_sheets", "case_files")


def _stamp(at: datetime) -> str:
    return at.isoformat(timespec="seconds")


def case_schema(conn: Connection, home_kind: str) -> str | None:
    """The schema of the file holding the cases of the domain whose dataset is ``home_kind``
    (None when this connection has not attached that file: the key is not held)."""
    holders = schemas_with(conn, "case_files")
    schema = schema_of(conn, f"ds_{home_kind}")
    if schema is not None and schema in holders:
        return schema
    return None


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _opt(value: object) -> str | None:
    return None if value is None else str(value)


# -- cases ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseRow:
    id: int
    pupil_id: int
    domain: str
    title: str
    profile: str
    family: str
    support_history: str
    source: str
    source_ref: str
    status: str
    status_reason: str
    opened_by: str
    opened_at: str
    updated_at: str
    next_review: str | None  # the earliest review not yet recorded of a recorded meeting
    open_actions: int
    meetings: int


CASE_COLUMNS = ("id, pupil_id, domain, title, profile, family, support_history, source,"
                " source_ref, status, status_reason, opened_by, opened_at, updated_at")


def _case_select(s: str) -> str:
    return (
        f"SELECT {', '.join('c.' + c.strip() for c in CASE_COLUMNS.split(','))},"
        f" (SELECT min(m.next_review) FROM {s}.case_meetings m WHERE m.case_id = c.id"
        "   AND m.status = 'recorded' AND m.next_review IS NOT NULL AND NOT EXISTS ("
        f"     SELECT 1 FROM {s}.case_reviews r WHERE r.meeting_id = m.id"
        "       AND r.status = 'recorded')),"
        f" (SELECT count(*) FROM {s}.case_actions a WHERE a.case_id = c.id"
        "   AND a.status IN ('planned', 'in_progress')),"
        f" (SELECT count(*) FROM {s}.case_meetings m WHERE m.case_id = c.id"
        "   AND m.status = 'recorded')"
        f" FROM {s}.case_files c"
    )


def _case_row(r: Sequence[object]) -> CaseRow:
    return CaseRow(
        id=int(str(r[0])), pupil_id=int(str(r[1])), domain=str(r[2]), title=_text(r[3]),
        profile=_text(r[4]), family=_text(r[5]), support_history=_text(r[6]),
        source=str(r[7]), source_ref=_text(r[8]), status=str(r[9]), status_reason=_text(r[10]),
        opened_by=str(r[11]), opened_at=str(r[12]), updated_at=str(r[13]),
        next_review=_opt(r[14]), open_actions=int(str(r[15])), meetings=int(str(r[16])),
    )


def insert_case(conn: Connection, s: str, *, pupil_id: int, domain: str,
                fields: Mapping[str, str], source: str, source_ref: str, by: str,
                at: datetime) -> int:
    """A new case; its opening and every filled field are written to the history."""
    names = [k for k in ("title", "profile", "family", "support_history") if k in fields]
    cur = conn.execute(
        f"INSERT INTO {s}.case_files (pupil_id, domain, source, source_ref, opened_by,"
        f" opened_at, updated_at{''.join(', ' + n for n in names)})"
        f" VALUES (?, ?, ?, ?, ?, ?, ?{', ?' * len(names)})",
        (pupil_id, domain, source, source_ref, by, _stamp(at), _stamp(at),
         *(fields[n] for n in names)),
    )
    case_id = int(cur.lastrowid or 0)
    add_history(conn, s, case_id, "case", case_id, "status", None, "open", by, at)
    for n in names:
        if fields[n]:
            add_history(conn, s, case_id, "case", case_id, n, None, fields[n], by, at)
    return case_id


def get_case(conn: Connection, s: str, case_id: int) -> CaseRow | None:
    row = conn.execute(f"{_case_select(s)} WHERE c.id = ?", (case_id,)).fetchone()
    return None if row is None else _case_row(row)


def list_cases(conn: Connection, s: str, *, statuses: Sequence[str] = (),
               pupil_id: int | None = None, source: str | None = None,
               source_ref: str | None = None) -> list[CaseRow]:
    where: list[str] = []
    params: list[object] = []
    if statuses:
        where.append(f"c.status IN ({','.join('?' for _ in statuses)})")
        params += list(statuses)
    if pupil_id is not None:
        where.append("c.pupil_id = ?")
        params.append(pupil_id)
    if source is not None:
        where.append("c.source = ?")
        params.append(source)
    if source_ref is not None:
        where.append("c.source_ref = ?")
        params.append(source_ref)
    sql = _case_select(s) + (" WHERE " + " AND ".join(where) if where else "")
    return [_case_row(r) for r in conn.execute(sql + " ORDER BY c.id", params)]


def touch_case(conn: Connection, s: str, case_id: int, at: datetime) -> None:
    conn.execute(f"UPDATE {s}.case_files SET updated_at = ? WHERE id = ?", (_stamp(at), case_id))


def owner_case(conn: Connection, s: str, table: str, row_id: int) -> int | None:
    """The case a meeting, action, review, note or year sheet belongs to."""
    if table not in ENTITIES or table == "case_files":
        raise ValueError(table)
    row = conn.execute(f"SELECT case_id FROM {s}.{table} WHERE id = ?", (row_id,)).fetchone()
    return None if row is None else int(row[0])


def item_status(conn: Connection, s: str, table: str, row_id: int) -> str | None:
    """The status of a meeting, action, review, note or year sheet (None: no such row)."""
    if table not in ENTITIES or table == "case_files":
        raise ValueError(table)
    row = conn.execute(f"SELECT status FROM {s}.{table} WHERE id = ?", (row_id,)).fetchone()
    return None if row is None else str(row[0])


# -- history and field changes -------------------------------------------------------------


def add_history(conn: Connection, s: str, case_id: int, entity: str, entity_id: int,
                field: str, old: str | None, new: str | None, by: str, at: datetime,
                reason: str = "") -> None:
    conn.execute(
        f"INSERT INTO {s}.case_history (case_id, entity, entity_id, field, old_value,"
        " new_value, reason, changed_by, changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (case_id, entity, entity_id, field, old, new, reason, by, _stamp(at)),
    )


def update_fields(conn: Connection, s: str, table: str, row_id: int, case_id: int,
                  changes: Mapping[str, str | None], by: str, at: datetime,
                  reason: str = "") -> list[tuple[str, str | None, str | None]]:
    """Write the changed fields of one row and one history entry per field that really
    changed; returns (field, old, new) of those. Unknown columns are refused."""
    allowed = EDITABLE[table]
    bad = [k for k in changes if k not in allowed]
    if bad:
        raise ValueError(f"not editable in {table}: {bad}")
    names = list(changes)
    if not names:
        return []
    row = conn.execute(f"SELECT {', '.join(names)} FROM {s}.{table} WHERE id = ?",
                       (row_id,)).fetchone()
    if row is None:
        raise KeyError(row_id)
    changed = [(n, _opt(old), changes[n]) for n, old in zip(names, row, strict=True)
               if _opt(old) != changes[n]]
    if not changed:
        return []
    conn.execute(f"UPDATE {s}.{table} SET {', '.join(n + ' = ?' for n, _, _ in changed)}"
                 " WHERE id = ?", (*(new for _, _, new in changed), row_id))
    for n, old, new in changed:
        add_history(conn, s, case_id, ENTITIES[table], row_id, n, old, new, by, at, reason)
    touch_case(conn, s, case_id, at)
    return changed


LINKED_ALERT = "linked_alert"  # history field: an alert taken up by an existing case


def linked_alerts(conn: Connection, s: str) -> dict[int, list[str]]:
    """Case id → the alert ids linked to it after it was opened (from its history)."""
    out: dict[int, list[str]] = {}
    for case_id, alert in conn.execute(
        f"SELECT case_id, new_value FROM {s}.case_history WHERE field = ? ORDER BY id",
        (LINKED_ALERT,),
    ):
        out.setdefault(int(case_id), []).append(str(alert))
    return out


@dataclass(frozen=True)
class HistoryRow:
    id: int
    entity: str
    entity_id: int
    field: str
    old_value: str | None
    new_value: str | None
    reason: str
    changed_by: str
    changed_at: str


def history(conn: Connection, s: str, case_id: int) -> list[HistoryRow]:
    return [HistoryRow(int(r[0]), str(r[1]), int(r[2]), str(r[3]), _opt(r[4]), _opt(r[5]),
                       _text(r[6]), str(r[7]), str(r[8]))
            for r in conn.execute(
                "SELECT id, entity, entity_id, field, old_value, new_value, reason, changed_by,"
                f" changed_at FROM {s}.case_history WHERE case_id = ? ORDER BY id", (case_id,))]


def _insert(conn: Connection, s: str, table: str, case_id: int, values: Mapping[str, object],
            by: str, at: datetime, *, history_fields: Iterable[str] = ()) -> int:
    """Insert one row (with created_by/at) and write its filled fields to the history."""
    names = ["case_id", *values, "created_by", "created_at"]
    params = [case_id, *values.values(), by, _stamp(at)]
    cur = conn.execute(f"INSERT INTO {s}.{table} ({', '.join(names)})"
                       f" VALUES ({', '.join('?' for _ in names)})", params)
    row_id = int(cur.lastrowid or 0)
    entity = ENTITIES[table]
    add_history(conn, s, case_id, entity, row_id, "status", None, "recorded"
                if "status" not in values else str(values["status"]), by, at)
    for n in history_fields:
        value = values.get(n)
        if value not in (None, "", "[]"):
            add_history(conn, s, case_id, entity, row_id, n, None, str(value), by, at)
    touch_case(conn, s, case_id, at)
    return row_id


# -- 学年別シート ----------------------------------------------------------------------------


YEAR_FIELDS = ("school_name", "grade", "homeroom_teacher", "situation", "goal", "plan",
               "evaluation")


@dataclass(frozen=True)
class YearSheetRow:
    id: int
    case_id: int
    school_year: int
    fields: dict[str, str]
    status: str
    status_reason: str
    created_by: str
    created_at: str


def year_sheet_id(conn: Connection, s: str, case_id: int, school_year: int) -> int | None:
    row = conn.execute(f"SELECT id FROM {s}.case_year_sheets WHERE case_id = ?"
                       " AND school_year = ?", (case_id, school_year)).fetchone()
    return None if row is None else int(row[0])


def insert_year_sheet(conn: Connection, s: str, case_id: int, school_year: int,
                      fields: Mapping[str, str], by: str, at: datetime) -> int:
    values: dict[str, object] = {"school_year": school_year}
    values.update({k: fields[k] for k in YEAR_FIELDS if k in fields})
    return _insert(conn, s, "case_year_sheets", case_id, values, by, at,
                   history_fields=["school_year", *YEAR_FIELDS])


def year_sheets(conn: Connection, s: str, case_id: int) -> list[YearSheetRow]:
    out = []
    for r in conn.execute(
        f"SELECT id, case_id, school_year, {', '.join(YEAR_FIELDS)}, status, status_reason,"
        f" created_by, created_at FROM {s}.case_year_sheets WHERE case_id = ?"
        " ORDER BY school_year", (case_id,)
    ):
        n = len(YEAR_FIELDS)
        out.append(YearSheetRow(int(r[0]), int(r[1]), int(r[2]),
                                {k: _text(v) for k, v in zip(YEAR_FIELDS, r[3:3 + n],
                                                             strict=True)},
                                str(r[3 + n]), _text(r[4 + n]), str(r[5 + n]), str(r[6 + n])))
    return out


# -- meetings, actions, reviews ------------------------------------------------------------


MEETING_FIELDS = ("held_on", "meeting_type", "attendees_json", "child_wish", "guardian_wish",
                  "assessment", "strengths", "long_goal", "short_goal", "next_review")


@dataclass(frozen=True)
class MeetingRow:
    id: int
    case_id: int
    fields: dict[str, str | None]
    unknown_json: str
    status: str
    status_reason: str
    created_by: str
    created_at: str


def insert_meeting(conn: Connection, s: str, case_id: int, fields: Mapping[str, str | None],
                   unknown_json: str, by: str, at: datetime) -> int:
    values: dict[str, object] = {k: fields[k] for k in MEETING_FIELDS if k in fields}
    values["unknown_json"] = unknown_json
    return _insert(conn, s, "case_meetings", case_id, values, by, at,
                   history_fields=MEETING_FIELDS)


def meetings(conn: Connection, s: str, case_id: int) -> list[MeetingRow]:
    n = len(MEETING_FIELDS)
    return [MeetingRow(int(r[0]), int(r[1]),
                       {k: _opt(v) for k, v in zip(MEETING_FIELDS, r[2:2 + n], strict=True)},
                       str(r[2 + n]), str(r[3 + n]), _text(r[4 + n]), str(r[5 + n]),
                       str(r[6 + n]))
            for r in conn.execute(
                f"SELECT id, case_id, {', '.join(MEETING_FIELDS)}, unknown_json, status,"
                f" status_reason, created_by, created_at FROM {s}.case_meetings"
                " WHERE case_id = ? ORDER BY held_on, id", (case_id,))]


def recorded_meeting_keys(conn: Connection, s: str, pupil_ids: Iterable[int]
                          ) -> set[tuple[int, str, str]]:
    """(pupil, 開催日, 会議の種類) of every recorded meeting of these pupils' cases, whatever
    the case's status: an import skips a row whose meeting is already one of them."""
    ids = sorted(set(pupil_ids))
    found: set[tuple[int, str, str]] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        found |= {(int(r[0]), str(r[1]), str(r[2])) for r in conn.execute(
            f"SELECT c.pupil_id, m.held_on, m.meeting_type FROM {s}.case_meetings m"
            f" JOIN {s}.case_files c ON c.id = m.case_id WHERE m.status = 'recorded'"
            f" AND c.pupil_id IN ({','.join('?' for _ in chunk)})", chunk)}
    return found


@dataclass(frozen=True)
class ActionRow:
    id: int
    case_id: int
    meeting_id: int
    what: str
    owner: str
    due: str | None
    status: str
    status_reason: str


def insert_action(conn: Connection, s: str, case_id: int, meeting_id: int, what: str,
                  owner: str, due: str | None, status: str, by: str, at: datetime) -> int:
    return _insert(conn, s, "case_actions", case_id,
                   {"meeting_id": meeting_id, "what": what, "owner": owner, "due": due,
                    "status": status}, by, at, history_fields=("what", "owner", "due"))


def actions(conn: Connection, s: str, case_id: int) -> list[ActionRow]:
    return [ActionRow(int(r[0]), int(r[1]), int(r[2]), str(r[3]), _text(r[4]), _opt(r[5]),
                      str(r[6]), _text(r[7]))
            for r in conn.execute(
                "SELECT id, case_id, meeting_id, what, owner, due, status, status_reason"
                f" FROM {s}.case_actions WHERE case_id = ? ORDER BY id", (case_id,))]


@dataclass(frozen=True)
class ReviewRow:
    id: int
    case_id: int
    meeting_id: int
    reviewed_on: str
    done: str
    worked: str
    comment: str
    outcomes_json: str
    evidence_json: str
    status: str
    status_reason: str
    created_by: str
    created_at: str


def insert_review(conn: Connection, s: str, case_id: int, meeting_id: int, *,
                  reviewed_on: str, done: str, worked: str, comment: str, outcomes_json: str,
                  evidence_json: str, by: str, at: datetime) -> int:
    return _insert(conn, s, "case_reviews", case_id,
                   {"meeting_id": meeting_id, "reviewed_on": reviewed_on, "done": done,
                    "worked": worked, "comment": comment, "outcomes_json": outcomes_json,
                    "evidence_json": evidence_json}, by, at,
                   history_fields=("reviewed_on", "done", "worked", "comment"))


def reviews(conn: Connection, s: str, case_id: int) -> list[ReviewRow]:
    return [ReviewRow(int(r[0]), int(r[1]), int(r[2]), str(r[3]), str(r[4]), str(r[5]),
                      _text(r[6]), str(r[7]), str(r[8]), str(r[9]), _text(r[10]), str(r[11]),
                      str(r[12]))
            for r in conn.execute(
                "SELECT id, case_id, meeting_id, reviewed_on, done, worked, comment,"
                " outcomes_json, evidence_json, status, status_reason, created_by, created_at"
                f" FROM {s}.case_reviews WHERE case_id = ? ORDER BY id", (case_id,))]


# -- notes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoteRow:
    id: int
    case_id: int
    kind: str
    written_on: str
    text: str
    status: str
    status_reason: str
    created_by: str
    created_at: str


def insert_note(conn: Connection, s: str, case_id: int, kind: str, written_on: str,
                text: str, by: str, at: datetime) -> int:
    """The text itself is not copied into the history (a restricted note's text stays in its
    one row); the history records that a note of this kind was written."""
    return _insert(conn, s, "case_notes", case_id,
                   {"kind": kind, "written_on": written_on, "text": text}, by, at,
                   history_fields=("kind", "written_on"))


def notes(conn: Connection, s: str, case_id: int) -> list[NoteRow]:
    return [NoteRow(int(r[0]), int(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]),
                    _text(r[6]), str(r[7]), str(r[8]))
            for r in conn.execute(
                "SELECT id, case_id, kind, written_on, text, status, status_reason, created_by,"
                f" created_at FROM {s}.case_notes WHERE case_id = ? ORDER BY written_on, id",
                (case_id,))]


# -- due reviews ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DueRow:
    case_id: int
    pupil_id: int
    meeting_id: int
    held_on: str
    next_review: str
    case_opened_by: str
    meeting_by: str


def due_reviews(conn: Connection, s: str, until: str) -> list[DueRow]:
    """Recorded meetings of open cases whose review (none recorded yet) is due by ``until``."""
    return [DueRow(int(r[0]), int(r[1]), int(r[2]), str(r[3]), str(r[4]), str(r[5]),
                   str(r[6]))
            for r in conn.execute(
                "SELECT c.id, c.pupil_id, m.id, m.held_on, m.next_review, c.opened_by,"
                f" m.created_by FROM {s}.case_meetings m JOIN {s}.case_files c"
                " ON c.id = m.case_id WHERE c.status = 'open' AND m.status = 'recorded'"
                " AND m.next_review IS NOT NULL AND m.next_review <= ? AND NOT EXISTS ("
                f"  SELECT 1 FROM {s}.case_reviews r WHERE r.meeting_id = m.id"
                "   AND r.status = 'recorded') ORDER BY m.next_review, c.id", (until,))]


# -- drafts --------------------------------------------------------------------------------

# How long an autosaved draft is kept. A draft is not a record: it exists so that a form
# survives an idle lock, a crash or a session that ran out, and is meant to be saved (or
# thrown away) within days. Thirty days cover a long holiday weekend, a week of illness and
# the weeks between a meeting and its write-up, and stay well inside the six weeks to a
# meeting's review; text about a child left longer in a draft has no history and no
# reader, so it goes. A draft older than this is not offered again and is deleted the next
# time a draft of its domain is saved or discarded, and by the retention purge.
DRAFT_KEEP = timedelta(days=30)


@dataclass(frozen=True)
class DraftRow:
    owner: str
    form_key: str
    case_id: int | None
    pupil_id: int | None
    saved_at: str
    payload: str


def draft_cutoff(now: datetime) -> str:
    """The oldest ``saved_at`` still kept at ``now``."""
    return _stamp(now - DRAFT_KEEP)


def save_draft(conn: Connection, s: str, owner: str, form_key: str, case_id: int | None,
               pupil_id: int, payload: str, at: datetime) -> bool:
    """Insert or replace; True when the draft is new (an expired one counts as gone)."""
    drop_expired_drafts(conn, s, at)
    new = conn.execute(f"SELECT 1 FROM {s}.case_drafts WHERE owner = ? AND form_key = ?",
                       (owner, form_key)).fetchone() is None
    conn.execute(f"INSERT OR REPLACE INTO {s}.case_drafts (owner, form_key, case_id, pupil_id,"
                 " saved_at, payload) VALUES (?, ?, ?, ?, ?, ?)",
                 (owner, form_key, case_id, pupil_id, _stamp(at), payload))
    return new


def drafts(conn: Connection, s: str, owner: str, now: datetime, form_key: str | None = None
           ) -> list[DraftRow]:
    """The owner's drafts not yet expired at ``now`` (newest first)."""
    sql = (f"SELECT owner, form_key, case_id, pupil_id, saved_at, payload FROM {s}.case_drafts"
           " WHERE owner = ? AND saved_at >= ?")
    params: list[object] = [owner, draft_cutoff(now)]
    if form_key is not None:
        sql += " AND form_key = ?"
        params.append(form_key)
    return [DraftRow(str(r[0]), str(r[1]), None if r[2] is None else int(r[2]),
                     None if r[3] is None else int(r[3]), str(r[4]), str(r[5]))
            for r in conn.execute(sql + " ORDER BY saved_at DESC", params)]


def delete_draft(conn: Connection, s: str, owner: str, form_key: str, now: datetime) -> bool:
    """A draft is the user's own unsaved form, not a record: discarding it deletes it."""
    drop_expired_drafts(conn, s, now)
    cur = conn.execute(f"DELETE FROM {s}.case_drafts WHERE owner = ? AND form_key = ?",
                       (owner, form_key))
    return cur.rowcount > 0


def drop_expired_drafts(conn: Connection, s: str, now: datetime) -> int:
    """Delete every user's drafts in this file older than ``DRAFT_KEEP``."""
    cur = conn.execute(f"DELETE FROM {s}.case_drafts WHERE saved_at < ?", (draft_cutoff(now),))
    return max(cur.rowcount, 0)


def purge_drafts(conn: Connection, pupil_ids: Iterable[int], made_at: str) -> dict[str, int]:
    """For the retention purge (inside its transaction): delete, in every case file attached,
    the drafts of these pupils and every draft expired at ``made_at`` (ISO time of the run);
    returns the rows deleted per schema (only schemas where some went)."""
    now = datetime.fromisoformat(made_at)
    ids = sorted({int(p) for p in pupil_ids})
    out: dict[str, int] = {}
    for s in schemas_with(conn, "case_drafts"):
        gone = drop_expired_drafts(conn, s, now)
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            cur = conn.execute(f"DELETE FROM {s}.case_drafts WHERE pupil_id IN"
                               f" ({','.join('?' for _ in chunk)})", chunk)
            gone += max(cur.rowcount, 0)
        if gone:
            out[s] = gone
    return out


# -- pupils named on cases -----------------------------------------------------------------


@dataclass(frozen=True)
class PupilLine:
    pupil_id: int
    name: str
    school_name: str
    grade: int | None
    class_name: str
    school_year: int | None = None  # the year of that enrollment


def pupil_lines(conn: Connection, pupil_ids: Iterable[int]) -> dict[int, PupilLine]:
    """氏名 and the latest enrollment (学校・学年・組) of each pupil (master group)."""
    ids = sorted({int(i) for i in pupil_ids})
    out: dict[int, PupilLine] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ",".join("?" for _ in chunk)
        for r in conn.execute(
            "SELECT s.id, s.name, coalesce(sc.school_name, e.school_code), e.grade,"
            " e.class_name, e.school_year FROM ds_students s LEFT JOIN ds_enrollments e ON e.id = ("
            "  SELECT id FROM ds_enrollments WHERE pupil_id = s.id"
            "  ORDER BY school_year DESC, id DESC LIMIT 1)"
            " LEFT JOIN ds_schools sc ON sc.school_code = e.school_code"
            f" WHERE s.id IN ({marks})", chunk,
        ):
            out[int(r[0])] = PupilLine(int(r[0]), _text(r[1]), _text(r[2]),
                                       None if r[3] is None else int(r[3]), _text(r[4]),
                                       None if r[5] is None else int(r[5]))
    return out


def pupil_exists(conn: Connection, pupil_id: int) -> bool:
    return conn.execute("SELECT 1 FROM ds_students WHERE id = ?",
                        (pupil_id,)).fetchone() is not None


# -- the demo city ------------------------------------------------------------------------


DEMO_SOURCES = {
    # 不登校: pupils of the latest year flagged 不登校 in 長期欠席調査, most absent first
    "truancy": ("SELECT la.pupil_id FROM ds_long_absence la WHERE la.truancy = 1"
                " AND la.school_year = ({latest}) GROUP BY la.pupil_id"
                " ORDER BY max(la.absence_days) DESC, la.pupil_id"),
    # いじめ: victims recognised in the latest year
    "bullying": ("SELECT b.pupil_id FROM ds_bullying_records b WHERE b.role = '被害'"
                 " AND b.recognized_date >= ({latest}) || '-04-01' GROUP BY b.pupil_id"
                 " ORDER BY min(b.recognized_date), b.pupil_id"),
    # 教育相談: pupils with SC/SSW consultations in the latest year, most first
    "consultation": ("SELECT c.pupil_id FROM ds_consultations c WHERE c.consult_type IN"
                     " ('SC', 'SSW') AND c.consult_date >= ({latest}) || '-04-01'"
                     " GROUP BY c.pupil_id ORDER BY count(*) DESC, c.pupil_id"),
}


def demo_pupils(conn: Connection, domain: str, limit: int) -> list[int]:
    """For the demo city's cases: pupils of the latest school year whose records suggest a
    case in ``domain`` (enrolled that year, so every role of the domain finds them)."""
    latest = "SELECT max(school_year) FROM ds_enrollments"
    sql = (f"SELECT pupil_id FROM ({DEMO_SOURCES[domain].format(latest=latest)})"
           f" WHERE pupil_id IN (SELECT pupil_id FROM ds_enrollments WHERE school_year = ("
           f"{latest})) LIMIT ?")
    return [int(r[0]) for r in conn.execute(sql, (limit,))]


def latest_school_year(conn: Connection) -> int | None:
    row = conn.execute("SELECT max(school_year) FROM ds_enrollments").fetchone()
    return None if row is None or row[0] is None else int(row[0])


# -- retention -----------------------------------------------------------------------------


def due_cases(conn: Connection, s: str, cutoff_year: int,
              latest_year: int) -> list[tuple[int, int, int]]:
    """(case id, pupil id, last enrolled school year) of the cases in this file whose pupil
    has left (``storage.repos.leavers.former_sql``, the rule every retention class counts
    from) with a last enrolled year before ``cutoff_year``."""
    from storage.repos import leavers

    former, params = leavers.former_sql("l.pupil_id", "l.last_year", latest_year)
    return [(int(r[0]), int(r[1]), int(r[2])) for r in conn.execute(
        "WITH l AS (SELECT pupil_id, max(school_year) AS last_year FROM ds_enrollments"
        " GROUP BY pupil_id HAVING max(school_year) < ?)"
        f" SELECT c.id, c.pupil_id, l.last_year FROM {s}.case_files c"
        f" JOIN l ON l.pupil_id = c.pupil_id WHERE {former} ORDER BY c.id",
        (cutoff_year, *params))]


def purge_cases(conn: Connection, s: str, case_ids: Sequence[int]) -> int:
    """Delete these cases and everything in them (meetings, actions, reviews, notes, year
    sheets, history, drafts), inside the caller's transaction (the retention purge, with
    ``secure_delete`` on); returns the rows deleted besides the cases themselves."""
    total = 0
    for start in range(0, len(case_ids), 500):
        chunk = list(case_ids[start:start + 500])
        marks = ",".join("?" for _ in chunk)
        # The pupils' drafts too, also those written before a case existed (no case_id).
        cur = conn.execute(f"DELETE FROM {s}.case_drafts WHERE pupil_id IN (SELECT pupil_id"
                           f" FROM {s}.case_files WHERE id IN ({marks}))", chunk)
        total += max(cur.rowcount, 0)
        for table in CASE_TABLES:
            column = "id" if table == "case_files" else "case_id"
            cur = conn.execute(f"DELETE FROM {s}.{table} WHERE {column} IN ({marks})", chunk)
            if table != "case_files":
                total += max(cur.rowcount, 0)
    return total


def dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
