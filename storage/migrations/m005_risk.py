"""Migration 5: truancy-risk models, scores and alerts (issue 6)."""

from __future__ import annotations

from storage.connection import Connection


def migrate(conn: Connection) -> None:
    """Filled by the risk work; empty until then (no store outside tests exists yet)."""
