"""Group step 5 (issue 16): corrections of 見守りアラート marks, beside the marks.

A mark (``risk_alert_status``) is never changed or erased: a wrong one is withdrawn by a
correction row that names it, with who withdrew it, when and why. The alert's current mark is
the newest mark of its listing that no correction withdrew (``storage.repos.risk``); the
history shows both. ``alert_id`` is kept on the row so that retention removes corrections
with their alerts.

Written out in full so that this step never changes.
"""

from __future__ import annotations

from storage.connection import Connection
from storage.key_groups import KeyGroup
from storage.registry import Registry

CORRECTIONS = """
    CREATE TABLE {s}.risk_alert_corrections (
        id INTEGER PRIMARY KEY,
        status_id INTEGER NOT NULL UNIQUE REFERENCES risk_alert_status(id),
        alert_id INTEGER NOT NULL REFERENCES risk_alerts(id),
        reason TEXT NOT NULL CHECK (length(reason) > 0),
        corrected_by TEXT NOT NULL,
        corrected_at TEXT NOT NULL
    )
"""
INDEX = "CREATE INDEX {s}.risk_alert_corrections_alert ON risk_alert_corrections (alert_id)"


def migrate(conn: Connection, schema: str, group: KeyGroup, registry: Registry) -> None:
    """Create the corrections table in the group file that holds the alert lists."""
    from storage.migrations.g001_groups import RISK_HOME, home_group

    if group.name == home_group(registry, RISK_HOME):
        conn.execute(CORRECTIONS.format(s=schema))
        conn.execute(INDEX.format(s=schema))
