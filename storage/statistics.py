"""The query planner's statistics (``sqlite_stat1``): when they are gathered, and how much.

Without statistics SQLite guesses every index to be equally selective; for the survey join
behind 要因分析, training and the karte it then chose the year index once per survey item and
read the year's answers again for each (issue 11). Gathering them is cheap with an analysis
limit (each index is sampled, not read whole): well under a second on a full city.

- after opening and migrating (``refresh_statistics``): tables never analyzed, or whose size
  changed much since, are analyzed; on an up-to-date store this does nothing;
- after an import commits (``refresh_after_import``): the tables it wrote, whatever their
  growth, since one school year more changes which index pays off;
- before the writer closes, ``PRAGMA optimize`` (``storage.database``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

from storage.connection import Connection, DatabaseError
from storage.placement import table_names

# Rows sampled per index (SQLite's advice for ``PRAGMA optimize`` is a few hundred to a few
# thousand); enough to tell a per-pupil index from a per-year one.
ANALYSIS_LIMIT = 1000
# 0x02: run ANALYZE where needed; 0x10000: look at every table, not only those this
# connection has used (it has just opened).
_OPTIMIZE_ALL = 0x10002


def refresh_statistics(conn: Connection) -> None:
    """Analyze the tables whose statistics are missing or stale (outside a transaction).

    Statistics only speed queries up: a page that cannot be read must not stop the store
    from opening (the integrity check is where damage is found and reported)."""
    with contextlib.suppress(DatabaseError):
        conn.execute(f"PRAGMA optimize = {_OPTIMIZE_ALL:#x}")


def refresh_after_import(conn: Connection, tables: Iterable[str]) -> None:
    """Re-analyze ``tables`` (checked table names) after a commit wrote to them; call it on
    the writer, outside the import's transaction (it writes ``sqlite_stat1`` in its own)."""
    known = table_names(conn)  # in the store file or an attached group's file
    previous = int(conn.execute("PRAGMA analysis_limit").fetchone()[0])
    conn.execute(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT:d}")
    try:
        for table in sorted(set(tables) & known):
            conn.execute(f'ANALYZE "{table}"')
    finally:
        conn.execute(f"PRAGMA analysis_limit = {previous:d}")
