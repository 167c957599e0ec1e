"""Where a table lives now that each key group has its own file (issue 12).

A query names tables unqualified and SQLite finds them in the store file (``main``) or in
whichever group file holds them; these helpers answer "is it here at all?" across every
attached file, since ``sqlite_master`` alone lists only the store file's tables.
"""

from __future__ import annotations

from storage.connection import Connection


def group_schemas(conn: Connection) -> list[str]:
    """The attached group files' schema names (``g_<group>``), in attachment order."""
    return [str(r[1]) for r in conn.execute("PRAGMA database_list") if str(r[1]).startswith("g_")]


def table_names(conn: Connection) -> set[str]:
    """Every table this connection can read: the store file's and each attached group's."""
    return {str(r[0]) for r in conn.execute(
        "SELECT name FROM pragma_table_list WHERE schema != 'temp' AND type IN ('table', 'virtual')"
    )}


def schema_of(conn: Connection, table: str) -> str | None:
    """The schema that holds ``table`` (``main`` or ``g_…``), None when no attached file does:
    the group's key is not held."""
    row = conn.execute("SELECT schema FROM pragma_table_list WHERE name = ? AND schema != 'temp'"
                       " ORDER BY schema = 'main' DESC LIMIT 1", (table,)).fetchone()
    return None if row is None else str(row[0])


def has_table(conn: Connection, table: str) -> bool:
    return schema_of(conn, table) is not None


def schemas_with(conn: Connection, table: str) -> list[str]:
    """Every schema holding a table of this name (a per-group table such as review_queue)."""
    return [str(r[0]) for r in conn.execute(
        "SELECT schema FROM pragma_table_list WHERE name = ? AND schema != 'temp'"
        " ORDER BY schema", (table,))]
