"""Retention in SQL: what is due, the purge that removes it, and the plans that approve it.

What is due on a day (``as_of``) follows the registry's retention classes and the leave rule
of ``storage.repos.leavers`` (its ``former_sql``, the same SQL search uses): the rows of
kind K of every former pupil whose last enrolled school year Y satisfies
``Y < school_year_of(as_of) - years(K)`` (the period ended on 31 March of ``Y + years``).
A ``delete`` class deletes those rows; the ``pseudonymise`` class (the pupil master and
enrolments, 学籍) removes name, kana, birth date and IDs and leaves a random pseudonym in
the name (``pupil_pseudonyms`` remembers who is done).

Everything built from the removed rows goes with them: 見守りアラート and their status
history, the 名寄せ review items and remembered decisions naming the pupil, the values kept
for an import's rollback (a rollback must never bring purged values back), the
confirmations of the removed records, the search index entries, and the kept analysis
results drawn from the kinds that lost rows (computed again when next asked for).

No bytes may remain: ``secure_delete`` is on for every file touched while the rows go, the
search index's FTS5 tables are rebuilt (their ``secure-delete`` option, set at creation,
removes the words; ``optimize`` merges the segments), and afterwards each touched file's
write-ahead log is checkpointed and truncated, the file is vacuumed, and the log is
truncated again, and the planner's statistics, whose samples hold index keys, are
gathered again (``storage.repos.retention_files``). Plans: ``storage.repos.retention_plans``.

Only the kinds passed in are considered: the caller passes those the account may see and
holds the keys of. Counts and record numbers, never values, leave this module.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from kernel.school_calendar import school_year_of
from storage.connection import Connection
from storage.kept_results import SOURCES as KEPT_SOURCES
from storage.placement import group_schemas, schema_of, schemas_with
from storage.registry import DELETE, PSEUDONYMISE, DatasetKind, Registry
from storage.repos import leavers
from storage.school_calendar_sql import school_year_of_date

CHUNK = 500
# Derived rows counted in plans and certificates beside the dataset kinds.
RISK_ALERTS = "risk_alerts"
# Support cases (issue 14): a case and everything in it go together, counted as one record,
# when the support class (``[retention.support]``) of its pupil has ended.
SUPPORT_CASES = "support_cases"
CASE_ITEMS = "case_items"  # the meetings, actions, notes and history that went with them
# Bookkeeping removed with the rows it names (counted as totals in the certificate).
RELATED = ("review_queue", "linkage_decisions", "batch_overwrites", "batch_confirmations",
           "risk_alert_status", "risk_alert_corrections")


@dataclass(frozen=True)
class DueCount:
    """What a plan would remove (or a run removed) of one kind in one school year."""

    kind: str  # a dataset kind's name, or RISK_ALERTS
    school_year: int
    action: str  # DELETE or PSEUDONYMISE
    records: int
    pupils: int


@dataclass(frozen=True)
class Due:
    """The due records of one kind: (record id, pupil id, school year) each."""

    kind: DatasetKind
    action: str
    rows: tuple[tuple[int, int, int], ...]


@dataclass(frozen=True)
class CaseDue:
    """The due cases of one case file: (case id, pupil id, last enrolled year) each."""

    schema: str
    rows: tuple[tuple[int, int, int], ...]


@dataclass(frozen=True)
class PurgeResult:
    counts: tuple[DueCount, ...]
    related: dict[str, int]
    schemas: tuple[str, ...]  # the files written to (``main`` and ``g_…``)


def cutoff_year(as_of: date, years: int) -> int:
    """Pupils whose last enrolled year is before this are due for a retention of ``years``."""
    return school_year_of(as_of) - years


def _year_sql(kind: DatasetKind) -> str:
    """The school year a row counts in: its own year column, the year of its date, or the
    pupil's last enrolled year."""
    if kind.year_column is not None:
        return f"coalesce(t.{kind.year_column}, l.last_year)"
    if kind.event_date is not None:
        return f"coalesce({school_year_of_date('t.' + kind.event_date)}, l.last_year)"
    return "l.last_year"


def _due_sql(kind: DatasetKind, action: str, as_of: date, years: int,
             latest_year: int) -> tuple[str, tuple[object, ...]]:
    pupil = "t.id" if kind.master else "t.pupil_id"
    skip_done = (" AND NOT EXISTS (SELECT 1 FROM pupil_pseudonyms p"
                 f" WHERE p.pupil_id = {pupil})") if action == PSEUDONYMISE else ""
    former, params = leavers.former_sql("l.pupil_id", "l.last_year", latest_year)
    sql = (
        "WITH l AS (SELECT pupil_id, max(school_year) AS last_year FROM ds_enrollments"
        " GROUP BY pupil_id HAVING max(school_year) < ?)"
        f" SELECT t.id, {pupil}, {_year_sql(kind)} FROM {kind.table} t"
        f" JOIN l ON l.pupil_id = {pupil} WHERE {former}{skip_done} ORDER BY t.id"
    )
    return sql, (cutoff_year(as_of, years), *params)


def due(conn: Connection, registry: Registry, kinds: Iterable[DatasetKind], as_of: date,
        latest_year: int) -> list[Due]:
    """The due records of each of ``kinds`` (kinds whose class never ends are skipped):
    rows of former pupils (``storage.repos.leavers.former_sql``) whose period has ended."""
    out = []
    for kind in kinds:
        cls = registry.retention(kind.retention)
        if not cls.ends or cls.years is None or not kind.pupil:
            continue
        sql, params = _due_sql(kind, cls.action, as_of, cls.years, latest_year)
        rows = tuple((int(a), int(b), int(c)) for a, b, c in conn.execute(sql, params))
        out.append(Due(kind, cls.action, rows))
    return out


def _alert_rows(conn: Connection, pupils: Sequence[int]) -> list[tuple[int, int, int]]:
    """(alert id, pupil id, school year of its month) of the pupils' 見守りアラート."""
    if schema_of(conn, RISK_ALERTS) is None:
        return []
    out: list[tuple[int, int, int]] = []
    for chunk in _chunks(pupils):
        out += [(int(a), int(b), int(c)) for a, b, c in conn.execute(
            f"SELECT id, pupil_id, {school_year_of_date('month')} FROM risk_alerts"
            f" WHERE pupil_id IN ({_marks(len(chunk))}) ORDER BY id", tuple(chunk))]
    return out


def _alerts_due(conn: Connection, dues: Sequence[Due]) -> list[tuple[int, int, int]]:
    """The alerts go with the monthly attendance they were computed from."""
    pupils = sorted({p for d in dues if d.action == DELETE and d.kind.name == "attendance_monthly"
                     for _, p, _ in d.rows})
    return _alert_rows(conn, pupils)


def _counts(kind: str, action: str, rows: Iterable[tuple[int, int, int]]) -> list[DueCount]:
    by_year: dict[int, tuple[int, set[int]]] = {}
    for _, pupil, year in rows:
        records, pupils = by_year.get(year, (0, set()))
        pupils.add(pupil)
        by_year[year] = (records + 1, pupils)
    return [DueCount(kind, year, action, records, len(pupils))
            for year, (records, pupils) in sorted(by_year.items())]


def summarize(conn: Connection, dues: Sequence[Due], cases: Sequence[CaseDue] = ()
              ) -> tuple[list[DueCount], str]:
    """Counts per kind and school year, and a digest of the due record numbers (it tells a
    run whether the data changed since the plan; record numbers are not personal data)."""
    digest = hashlib.sha256()
    counts: list[DueCount] = []
    for d in dues:
        counts += _counts(d.kind.name, d.action, d.rows)
        digest.update(f"{d.kind.name}:{d.action}:".encode())
        digest.update(",".join(str(r) for r, _, _ in d.rows).encode())
        digest.update(b"\n")
    alerts = _alerts_due(conn, dues)
    counts += _counts(RISK_ALERTS, DELETE, alerts)
    digest.update(f"{RISK_ALERTS}:".encode() + ",".join(str(r) for r, _, _ in alerts).encode())
    if cases:  # (a plan without case files keeps the digest it always had)
        counts += _counts(SUPPORT_CASES, DELETE, [r for c in cases for r in c.rows])
        for c in cases:
            digest.update(f"\n{SUPPORT_CASES}:{c.schema}:".encode()
                          + ",".join(str(r) for r, _, _ in c.rows).encode())
    return counts, digest.hexdigest()


# -- the purge ------------------------------------------------------------------------------


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start: start + CHUNK]


def _marks(n: int) -> str:
    return ", ".join("?" for _ in range(n))


def _delete_in(conn: Connection, table: str, column: str, ids: Sequence[int],
               where: str = "", params: Sequence[object] = ()) -> int:
    done = 0
    for chunk in _chunks(ids):
        cur = conn.execute(f"DELETE FROM {table} WHERE {column} IN ({_marks(len(chunk))}){where}",
                           (*chunk, *params))
        done += max(cur.rowcount, 0)
    return done


def secure_delete_on(conn: Connection, schemas: Iterable[str]) -> None:
    """Freed and overwritten content is zeroed in these files from now on."""
    for schema in schemas:
        conn.execute(f"PRAGMA {schema}.secure_delete = ON")


def touched_schemas(conn: Connection, dues: Sequence[Due]) -> list[str]:
    """The files a purge of ``dues`` writes to: the store file and each group file holding a
    due kind, the search index or the alerts."""
    schemas = {"main"}
    for d in dues:
        if d.rows:
            schema = schema_of(conn, d.kind.table)
            if schema is not None:
                schemas.add(schema)
    for table in ("search_pupils", RISK_ALERTS):
        schema = schema_of(conn, table)
        if schema is not None and any(d.rows for d in dues):
            schemas.add(schema)
    return sorted(schemas)


def _drop_kept_results(conn: Connection, kinds: Iterable[str]) -> None:
    """Kept analysis results drawn from kinds that lost rows are computed again when asked."""
    for kind in kinds:
        for table in KEPT_SOURCES.get(kind, ()):
            if schema_of(conn, table) is not None:
                conn.execute(f"DELETE FROM {table}")


def _count(related: dict[str, int], changed: set[str], table: str, schema: str,
           removed: int) -> None:
    related[table] += removed
    if removed:
        changed.add(schema)


def _related_of_records(conn: Connection, kind: DatasetKind, ids: Sequence[int],
                        related: dict[str, int], changed: set[str]) -> None:
    """Rollback values and import confirmations of these records."""
    for table in ("batch_overwrites", "batch_confirmations"):
        for schema in schemas_with(conn, table):
            _count(related, changed, table, schema, _delete_in(
                conn, f"{schema}.{table}", "record_id", ids, " AND kind = ?", (kind.name,)))


def _related_of_pupils(conn: Connection, pupils: Sequence[int], kinds: Sequence[str] | None,
                       related: dict[str, int], changed: set[str]) -> None:
    """Review items linked to these pupils (of ``kinds``; None: of every kind) and, for every
    kind, the remembered 名寄せ decisions."""
    for schema in schemas_with(conn, "review_queue"):
        table = f"{schema}.review_queue"
        for kind in (None,) if kinds is None else kinds:
            where, params = ("", ()) if kind is None else (" AND kind = ?", (kind,))
            _count(related, changed, "review_queue", schema,
                   _delete_in(conn, table, "pupil_id", pupils, where, params))
    if kinds is None:
        for schema in schemas_with(conn, "linkage_decisions"):
            _count(related, changed, "linkage_decisions", schema, _delete_in(
                conn, f"{schema}.linkage_decisions", "pupil_id", pupils))


def _delete_alerts(conn: Connection, alert_ids: Sequence[int], related: dict[str, int]) -> None:
    # Corrections name the marks they withdrew: they go first, counted like the marks.
    related["risk_alert_corrections"] += _delete_in(conn, "risk_alert_corrections", "alert_id",
                                                    alert_ids)
    related["risk_alert_status"] += _delete_in(conn, "risk_alert_status", "alert_id", alert_ids)
    _delete_in(conn, RISK_ALERTS, "id", alert_ids)


def _pseudonymise(conn: Connection, d: Due, pseudonyms: dict[int, str], made_at: str) -> None:
    """Identifying columns emptied; the master's name becomes the pupil's pseudonym."""
    columns = [c for c in d.kind.identifying_columns]
    if not columns:
        return
    sets = ", ".join(f"{c.key} = ?" if c.ref == "name" else f"{c.key} = NULL" for c in columns)
    named = any(c.ref == "name" for c in columns)
    for record_id, pupil, _ in d.rows:
        params: list[object] = [pseudonyms[pupil]] if named else []
        conn.execute(f"UPDATE {d.kind.table} SET {sets} WHERE id = ?", (*params, record_id))
    if d.kind.master:
        conn.executemany(
            "INSERT INTO pupil_pseudonyms (pupil_id, pseudonym, made_at) VALUES (?, ?, ?)",
            [(pupil, pseudonyms[pupil], made_at) for _, pupil, _ in d.rows])


def purge(
    conn: Connection,
    dues: Sequence[Due],
    *,
    new_pseudonym: Callable[[], str],
    made_at: str,
    reindex: Callable[[Connection, Sequence[int]], object],
    progress: Callable[[float], None] | None = None,
    cases: Sequence[CaseDue] = (),
) -> PurgeResult:
    """Remove what ``dues`` names, inside the caller's transaction. ``new_pseudonym`` gives
    a fresh random token (tried again on the rare clash); ``reindex`` rebuilds the search
    index rows of the given pupils (the caller knows the search keys)."""
    related = dict.fromkeys(RELATED, 0)
    alerts = _alerts_due(conn, dues)
    counts = [c for d in dues for c in _counts(d.kind.name, d.action, d.rows)]
    counts += _counts(RISK_ALERTS, DELETE, alerts)
    changed = set(touched_schemas(conn, dues))
    # On in every attached file before anything goes: bookkeeping naming the pupils may lie
    # in any group's file.
    secure_delete_on(conn, ["main", *group_schemas(conn)])
    _delete_alerts(conn, [a for a, _, _ in alerts], related)
    if any(c.rows for c in cases):
        from storage.repos import cases as cases_repo

        counts += _counts(SUPPORT_CASES, DELETE, [r for c in cases for r in c.rows])
        related[CASE_ITEMS] = 0
        for c in cases:
            if c.rows:
                related[CASE_ITEMS] += cases_repo.purge_cases(conn, c.schema,
                                                              [r for r, _, _ in c.rows])
                changed.add(c.schema)
    from storage.repos.cases import purge_drafts  # (issue 14) drafts of these pupils, expired

    of = {p for d in dues for _, p, _ in d.rows} | {p for c in cases for _, p, _ in c.rows}
    for schema, gone in purge_drafts(conn, of, made_at).items():
        related[CASE_ITEMS] = related.get(CASE_ITEMS, 0) + gone
        changed.add(schema)
    pseudonymised: set[int] = {p for d in dues if d.action == PSEUDONYMISE and d.kind.master
                               for _, p, _ in d.rows}
    taken = {str(r[0]) for r in conn.execute("SELECT pseudonym FROM pupil_pseudonyms")} if (
        pseudonymised) else set()
    pseudonyms: dict[int, str] = {}
    for pupil in sorted(pseudonymised):
        token = new_pseudonym()
        while token in taken:
            token = new_pseudonym()
        taken.add(token)
        pseudonyms[pupil] = token
    emptied: list[str] = []
    for step, d in enumerate(dues):
        if progress is not None:
            progress(step / max(len(dues), 1))
        if not d.rows:
            continue
        ids = [r for r, _, _ in d.rows]
        _related_of_records(conn, d.kind, ids, related, changed)
        if d.action == DELETE:
            pupils = sorted({p for _, p, _ in d.rows})
            _related_of_pupils(conn, pupils, [d.kind.name], related, changed)
            _delete_in(conn, d.kind.table, "id", ids)
            emptied.append(d.kind.name)
        else:
            _pseudonymise(conn, d, pseudonyms, made_at)
    if pseudonymised:
        _related_of_pupils(conn, sorted(pseudonymised), None, related, changed)
    if schema_of(conn, "pupil_pseudonyms") is not None:
        # Review items of pupils de-identified by an earlier run that could not reach this
        # group's file (its key was not held then) still carry the row as imported.
        for schema in schemas_with(conn, "review_queue"):
            cur = conn.execute(f"DELETE FROM {schema}.review_queue WHERE pupil_id IN"
                               " (SELECT pupil_id FROM pupil_pseudonyms)")
            _count(related, changed, "review_queue", schema, max(cur.rowcount, 0))
    _drop_kept_results(conn, emptied)
    touched = sorted({p for d in dues if d.kind.name in ("students", "enrollments")
                      for _, p, _ in d.rows} | pseudonymised)
    if touched and schema_of(conn, "search_pupils") is not None:
        reindex(conn, touched)
        for table in ("search_trigrams", "search_grams"):
            conn.execute(f"INSERT INTO {table} ({table}) VALUES ('optimize')")
    if progress is not None:
        progress(1.0)
    return PurgeResult(tuple(counts), related, tuple(sorted(changed)))


__all__ = [
    "CASE_ITEMS", "RELATED", "RISK_ALERTS", "SUPPORT_CASES", "CaseDue", "Due", "DueCount",
    "PurgeResult", "cutoff_year", "due", "purge",
    "secure_delete_on", "summarize", "touched_schemas",
]
