"""The numbered migrations of the core schema, one module each (``mNNN_<what>.py``); the order
is ``storage.schema.MIGRATIONS``. A step, once released, never changes."""

from __future__ import annotations

from storage.connection import Connection


def execute_script(conn: Connection, script: str) -> None:
    """Run statements one by one: ``executescript`` would commit the open transaction."""
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)
