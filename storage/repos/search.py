"""Pupil search: keeping the search index (migration 4) right, and querying it.

The storage layer does not normalize names itself (that is ``analysis.names``); the caller
passes the key functions in :class:`IndexKeys`, and queries arrive as already normalized
:class:`Term` keys. Every value is bound; FTS5 query text is built only as quoted phrases, so
nothing a user types is read as FTS syntax.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from storage.connection import Connection, DatabaseError
from storage.repos import leavers

CHUNK = 500
ID_KINDS = ("address_code", "pref_id", "google_account")
_MAX_CHAR = "\U0010ffff"


@dataclass(frozen=True)
class IndexKeys:
    """How stored values become search keys (given by the caller)."""

    name: Callable[[str], str]
    kana: Callable[[str], str]
    kana_sort: Callable[[str], str]
    ident: Callable[[str, str], tuple[str, ...]]  # (id kind, value) -> searchable forms


@dataclass(frozen=True)
class Term:
    """One word of a query, as keys: a pupil matches when any of its parts matches."""

    name: str = ""  # name search key, matched as a substring ("" = not by name)
    kana: str = ""  # kana search key, matched as a substring
    ids: tuple[tuple[str, str], ...] = ()  # (id kind, value) matched exactly
    id_prefixes: tuple[tuple[str, str], ...] = ()  # (id kind, value) matched as a prefix

    @property
    def empty(self) -> bool:
        return not (self.name or self.kana or self.ids or self.id_prefixes)


@dataclass(frozen=True)
class Filters:
    school_year: int | None = None
    school_code: str | None = None
    grade: int | None = None
    class_name: str | None = None
    # The store's latest school year, to leave former pupils out (``storage.repos.leavers``'
    # rule, per school) for roles that do not need them. Not a filter the user sets.
    former_left_out: int | None = None

    @property
    def any(self) -> bool:
        return any(v is not None for v in
                   (self.school_year, self.school_code, self.grade, self.class_name))


@dataclass(frozen=True)
class PupilRow:
    pupil_id: int
    name: str
    name_kana: str
    birth_date: str | None
    sex: str | None
    address_code: str
    school_year: int | None
    school_code: str | None
    school_name: str | None
    grade: int | None
    class_name: str | None
    seat_number: int | None
    rank: int


# -- keeping the index right ---------------------------------------------------------------


def grams(key: str) -> str:
    """The 1- and 2-character grams of a key as words for the ``unicode61`` FTS table."""
    seen: dict[str, None] = {}
    for i, ch in enumerate(key):
        seen.setdefault(ch, None)
        if i + 1 < len(key):
            seen.setdefault(key[i: i + 2], None)
    return " ".join(seen)


def pending_count(conn: Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM search_pending").fetchone()[0])


def any_pending(conn: Connection) -> bool:
    """Whether a change waits to be indexed (cheaper than counting). Never without the
    basic group's key: the index and its queue are in that group's file (issue 12)."""
    try:
        return conn.execute("SELECT 1 FROM search_pending LIMIT 1").fetchone() is not None
    except DatabaseError as exc:
        if "no such table" in str(exc):
            return False
        raise


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start: start + CHUNK]


def _marks(n: int) -> str:
    return ", ".join("?" for _ in range(n))


def _delete(conn: Connection, ids: Sequence[int]) -> None:
    marks = _marks(len(ids))
    conn.execute(f"DELETE FROM search_pupils WHERE pupil_id IN ({marks})", tuple(ids))
    conn.execute(f"DELETE FROM search_trigrams WHERE rowid IN ({marks})", tuple(ids))
    conn.execute(f"DELETE FROM search_grams WHERE rowid IN ({marks})", tuple(ids))
    conn.execute(f"DELETE FROM search_ids WHERE pupil_id IN ({marks})", tuple(ids))
    conn.execute(f"DELETE FROM search_pending WHERE pupil_id IN ({marks})", tuple(ids))


def _index(conn: Connection, keys: IndexKeys, ids: Sequence[int]) -> int:
    marks = _marks(len(ids))
    students = conn.execute(
        f"SELECT id, name, name_kana, address_code FROM ds_students WHERE id IN ({marks})",
        tuple(ids),
    ).fetchall()
    latest: dict[int, tuple[int, int]] = {}
    id_values: dict[int, set[tuple[str, str]]] = {}
    for pid, enrollment_id, year, pref, google in conn.execute(
        "SELECT pupil_id, id, school_year, pref_id, google_account FROM ds_enrollments"
        f" WHERE pupil_id IN ({marks})",
        tuple(ids),
    ):
        pid = int(pid)
        have = latest.get(pid)
        if have is None or (int(year), int(enrollment_id)) > have:
            latest[pid] = (int(year), int(enrollment_id))
        values = id_values.setdefault(pid, set())
        if pref:
            values.update(("pref_id", v) for v in keys.ident("pref_id", str(pref)))
        if google:
            values.update(("google_account", v) for v in keys.ident("google_account", str(google)))
    pupils, trigram_rows, gram_rows, id_rows = [], [], [], []
    for pid, name, kana, address in students:
        pid = int(pid)
        name_key = keys.name(str(name or ""))
        kana_key = keys.kana(str(kana or ""))
        year, enrollment = latest.get(pid, (None, None))
        pupils.append((pid, name_key, kana_key, keys.kana_sort(str(kana or "")), year, enrollment))
        trigram_rows.append((pid, name_key, kana_key))
        gram_rows.append((pid, grams(name_key), grams(kana_key)))
        values = id_values.get(pid, set())
        if address:
            values.update(("address_code", v) for v in keys.ident("address_code", str(address)))
        id_rows += [(kind, value, pid) for kind, value in values]
    conn.executemany(
        "INSERT INTO search_pupils (pupil_id, name_key, kana_key, kana_sort, latest_year,"
        " latest_enrollment_id) VALUES (?, ?, ?, ?, ?, ?)",
        pupils,
    )
    conn.executemany("INSERT INTO search_trigrams (rowid, name, kana) VALUES (?, ?, ?)",
                     trigram_rows)
    conn.executemany("INSERT INTO search_grams (rowid, name, kana) VALUES (?, ?, ?)", gram_rows)
    conn.executemany("INSERT OR IGNORE INTO search_ids (kind, value, pupil_id) VALUES (?, ?, ?)",
                     id_rows)
    return len(pupils)


def refresh(conn: Connection, keys: IndexKeys, pupil_ids: Iterable[int] | None = None) -> int:
    """Rebuild the index rows of these pupils (all when None); the caller owns the
    transaction. Returns the number of pupils indexed."""
    if pupil_ids is None:
        for table in ("search_pupils", "search_trigrams", "search_grams", "search_ids",
                      "search_pending"):
            conn.execute(f"DELETE FROM {table}")
        for table in ("search_trigrams", "search_grams"):
            conn.execute(f"INSERT INTO {table} ({table}) VALUES ('optimize')")
        ids = [int(r[0]) for r in conn.execute("SELECT id FROM ds_students ORDER BY id")]
        return sum(_index(conn, keys, chunk) for chunk in _chunks(ids))
    wanted = sorted({int(i) for i in pupil_ids})
    done = 0
    for chunk in _chunks(wanted):
        _delete(conn, chunk)
        done += _index(conn, keys, chunk)
    return done


def refresh_pending(conn: Connection, keys: IndexKeys) -> int:
    """Bring the pupils queued by the triggers up to date; the caller owns the transaction."""
    ids = [int(r[0]) for r in conn.execute("SELECT pupil_id FROM search_pending")]
    if not ids:
        return 0
    return refresh(conn, keys, ids)


# -- queries -------------------------------------------------------------------------------


def _phrase(column: str, key: str) -> str:
    return f'{column} : "{key.replace(chr(34), chr(34) * 2)}"'


def _term_sql(term: Term, params: list[object]) -> str:
    parts = []
    for column, key in (("name", term.name), ("kana", term.kana)):
        if not key:
            continue
        table = "search_trigrams" if len(key) >= 3 else "search_grams"
        parts.append(f"SELECT rowid AS pid FROM {table} WHERE {table} MATCH ?")
        params.append(_phrase(column, key))
    for kind, value in term.ids:
        parts.append("SELECT pupil_id AS pid FROM search_ids WHERE kind = ? AND value = ?")
        params += [kind, value]
    for kind, value in term.id_prefixes:
        parts.append("SELECT pupil_id AS pid FROM search_ids"
                     " WHERE kind = ? AND value >= ? AND value < ?")
        params += [kind, value, value + _MAX_CHAR]
    return " UNION ".join(parts)


def _filter_sql(filters: Filters, params: list[object]) -> str:
    out = []
    for column, value in (("school_code", filters.school_code), ("grade", filters.grade)):
        if value is not None:
            out.append(f" AND e.{column} = ?")
            params.append(value)
    if filters.class_name is not None:
        # A store imported before class names were normalised may hold 「1組」 for class 1.
        out.append(" AND e.class_name IN (?, ?)")
        params += [filters.class_name, f"{filters.class_name}組"]
    return "".join(out)


def _since_sql(filters: Filters, pupil: str, params: list[object]) -> str:
    """`` AND`` the pupil (an SQL expression) is not former, when asked: the leavers' rule
    over the index's last enrolled year (kept per pupil by the triggers)."""
    if filters.former_left_out is None:
        return ""
    former, former_params = leavers.former_sql("s_f.pupil_id", "s_f.latest_year",
                                               filters.former_left_out)
    params += former_params
    return (f" AND NOT EXISTS (SELECT 1 FROM search_pupils s_f WHERE s_f.pupil_id = {pupil}"
            f" AND {former})")


def _joined(keys: Sequence[str]) -> str | None:
    """The words typed one after another (「タカハシ」「ユ」 → 「タカハシユ」), when each has
    a key of this sort; the index keys have no spaces, so this is how a full name reads."""
    return "".join(keys) if keys and all(keys) else None


def _rank_sql(terms: Sequence[Term]) -> tuple[str, list[object]]:
    """Best matches first: 0 the whole name or kana as typed (the words run together),
    1 a name or kana that starts with all the words in order (「タカハシ　ユ」 lists ユア
    before シュン and ヒュウガ, whose ユ is in the middle), 2 one that starts with the first
    word, 3 the rest."""
    whole_name = _joined([t.name for t in terms])
    whole_kana = _joined([t.kana for t in terms])
    first_name, first_kana = terms[0].name or None, terms[0].kana or None
    starts = "(substr(s.{0}, 1, length(?)) = ?)"
    sql = (
        "CASE WHEN s.name_key = ? OR s.kana_key = ? THEN 0"
        f" WHEN {starts.format('name_key')} OR {starts.format('kana_key')} THEN 1"
        f" WHEN {starts.format('name_key')} OR {starts.format('kana_key')} THEN 2"
        " ELSE 3 END"
    )
    params: list[object] = [whole_name, whole_kana, whole_name, whole_name, whole_kana,
                            whole_kana, first_name, first_name, first_kana, first_kana]
    return sql, params


def _candidates(
    conn: Connection, terms: Sequence[Term], filters: Filters, limit: int
) -> list[tuple[int, int | None, int]]:
    """(pupil id, enrollment id to show, rank) in result order."""
    params: list[object] = []
    if not terms:
        if filters.school_year is None:
            raise ValueError("a search without words needs a school year")
        params.append(filters.school_year)
        where = _filter_sql(filters, params) + _since_sql(filters, "e.pupil_id", params)
        params.append(limit)
        sql = (
            "SELECT e.pupil_id, max(e.id), 0 FROM ds_enrollments e"
            f" WHERE e.school_year = ?{where} GROUP BY e.pupil_id"
            " ORDER BY e.school_code, e.grade, e.class_name, e.seat_number, e.pupil_id LIMIT ?"
        )
        return [(int(a), int(b), int(c)) for a, b, c in conn.execute(sql, params)]
    ctes = [f"t{i}(pid) AS ({_term_sql(t, params)})" for i, t in enumerate(terms)]
    hits = " INTERSECT ".join(f"SELECT pid FROM t{i}" for i in range(len(terms)))
    rank, rank_params = _rank_sql(terms)
    if filters.any:
        year = "?" if filters.school_year is not None else "s.latest_year"
        join_params: list[object] = [] if filters.school_year is None else [filters.school_year]
        where = _filter_sql(filters, join_params)
        since = _since_sql(filters, "s.pupil_id", join_params)
        sql = (
            f"WITH {', '.join(ctes)}, hits(pid) AS ({hits})"
            f" SELECT s.pupil_id, max(e.id), {rank} AS rank"
            " FROM hits h JOIN search_pupils s ON s.pupil_id = h.pid"
            " JOIN ds_enrollments e ON e.pupil_id = s.pupil_id"
            f" AND e.school_year = {year}{where}"
            f" WHERE 1{since}"
            " GROUP BY s.pupil_id ORDER BY rank, s.kana_sort, s.pupil_id LIMIT ?"
        )
        params = [*params, *rank_params, *join_params, limit]
    else:
        since_params: list[object] = []
        since = _since_sql(filters, "s.pupil_id", since_params)
        sql = (
            f"WITH {', '.join(ctes)}, hits(pid) AS ({hits})"
            f" SELECT s.pupil_id, s.latest_enrollment_id, {rank} AS rank"
            " FROM hits h JOIN search_pupils s ON s.pupil_id = h.pid"
            f" WHERE 1{since}"
            " ORDER BY rank, s.kana_sort, s.pupil_id LIMIT ?"
        )
        params = [*params, *rank_params, *since_params, limit]
    return [
        (int(a), None if b is None else int(b), int(c)) for a, b, c in conn.execute(sql, params)
    ]


def search(
    conn: Connection, terms: Sequence[Term], filters: Filters, limit: int
) -> list[PupilRow]:
    """Pupils matching every term (and the filters), best first; at most ``limit`` rows."""
    terms = [t for t in terms if not t.empty]
    found = _candidates(conn, terms, filters, limit)
    if not found:
        return []
    details: dict[int, tuple[object, ...]] = {}
    for chunk in _chunks([p for p, _, _ in found]):
        marks = _marks(len(chunk))
        for row in conn.execute(
            "SELECT id, name, name_kana, birth_date, sex, address_code FROM ds_students"
            f" WHERE id IN ({marks})", tuple(chunk)
        ):
            details[int(row[0])] = tuple(row)
    enrollments: dict[int, tuple[object, ...]] = {}
    enrollment_ids = [e for _, e, _ in found if e is not None]
    for chunk in _chunks(enrollment_ids):
        marks = _marks(len(chunk))
        for row in conn.execute(
            "SELECT e.id, e.school_year, e.school_code, sc.school_name, e.grade, e.class_name,"
            " e.seat_number FROM ds_enrollments e"
            " LEFT JOIN ds_schools sc ON sc.school_code = e.school_code"
            f" WHERE e.id IN ({marks})", tuple(chunk)
        ):
            enrollments[int(row[0])] = tuple(row)
    out = []
    for pid, enrollment_id, rank in found:
        st = details.get(pid)
        if st is None:
            continue
        en = enrollments.get(enrollment_id or -1, (None,) * 7)
        out.append(PupilRow(
            pupil_id=pid,
            name=str(st[1] or ""),
            name_kana=str(st[2] or ""),
            birth_date=None if st[3] is None else str(st[3]),
            sex=None if st[4] is None else str(st[4]),
            address_code=str(st[5] or ""),
            school_year=_int(en[1]),
            school_code=None if en[2] is None else str(en[2]),
            school_name=None if en[3] is None else str(en[3]),
            grade=_int(en[4]),
            class_name=None if en[5] is None else str(en[5]),
            seat_number=_int(en[6]),
            rank=rank,
        ))
    return out


def _int(value: object) -> int | None:
    return None if value is None else int(str(value))


# -- filter choices ------------------------------------------------------------------------


@dataclass(frozen=True)
class FilterChoices:
    school_years: tuple[int, ...]
    schools: tuple[tuple[str, str, str], ...]  # (code, name, type)
    grades: tuple[int, ...]
    classes: tuple[str, ...]


def filter_choices(
    conn: Connection, school_year: int | None = None, school_code: str | None = None,
    grade: int | None = None,
) -> FilterChoices:
    years = tuple(int(r[0]) for r in conn.execute(
        "SELECT DISTINCT school_year FROM ds_enrollments ORDER BY school_year DESC"))
    schools = tuple(
        (str(c), str(n or c), str(t or ""))
        for c, n, t in conn.execute(
            "SELECT school_code, school_name, school_type FROM ds_schools"
            " ORDER BY school_type DESC, school_code")
    )
    params: list[object] = []
    where = []
    for column, value in (("school_year", school_year), ("school_code", school_code)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    grades = tuple(int(r[0]) for r in conn.execute(
        f"SELECT DISTINCT grade FROM ds_enrollments{clause} ORDER BY grade", params))
    if grade is not None:
        where.append("grade = ?")
        params.append(grade)
        clause = f" WHERE {' AND '.join(where)}"
    classes = tuple({_class_choice(str(r[0])) for r in conn.execute(
        f"SELECT DISTINCT class_name FROM ds_enrollments{clause}", params)})
    return FilterChoices(years, schools, grades, tuple(sorted(classes, key=_class_order)))


def _class_choice(name: str) -> str:
    """A class as the filter offers it: an older store's 「1組」 is class 「1」."""
    return name[:-1] if name.endswith("組") and name[:-1].isdigit() else name


def _class_order(name: str) -> tuple[int, int, str]:
    return (0, int(name), name) if name.isdigit() else (1, 0, name)


def latest_school_year(conn: Connection) -> int | None:
    value = conn.execute("SELECT max(school_year) FROM ds_enrollments").fetchone()[0]
    return None if value is None else int(value)


def address_codes(conn: Connection, pupil_ids: Iterable[int]) -> set[str]:
    """The 宛名番号 of these pupils (to leave their rows out of a dataset export)."""
    out: set[str] = set()
    for chunk in _chunks(sorted({int(i) for i in pupil_ids})):
        out.update(str(r[0]) for r in conn.execute(
            f"SELECT address_code FROM ds_students WHERE id IN ({_marks(len(chunk))})",
            tuple(chunk)))
    return out
