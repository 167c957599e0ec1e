"""Migration 4: pupil search (issue 5)."""

from __future__ import annotations

from storage.connection import Connection


def migrate(conn: Connection) -> None:
    """Filled by the search work; empty until then (no store outside tests exists yet)."""
