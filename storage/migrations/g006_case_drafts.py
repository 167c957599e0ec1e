"""Group step 6 (issue 14): a case draft names its pupil.

A draft (``case_drafts``, the autosaved state of a case form) holds what a person typed about
a child. Until now it named only its case, so a draft written before the case existed was
tied to no pupil and the retention purge could not find it. ``pupil_id`` ties every draft to
its pupil (filled here from the case where the draft has one); the purge removes a pupil's
drafts with the pupil's records, and drafts older than the keeping time are removed by the
purge and by the case service (``storage.repos.cases.DRAFT_KEEP``). An index on ``saved_at``
makes that expiry cheap.

Written out in full so that this step never changes.
"""

from __future__ import annotations

from storage.connection import Connection
from storage.key_groups import KeyGroup
from storage.registry import Registry

STATEMENTS = (
    "ALTER TABLE {s}.case_drafts ADD COLUMN pupil_id INTEGER",
    "UPDATE {s}.case_drafts SET pupil_id = (SELECT c.pupil_id FROM {s}.case_files c"
    " WHERE c.id = case_drafts.case_id) WHERE case_id IS NOT NULL",
    "CREATE INDEX {s}.case_drafts_pupil ON case_drafts (pupil_id)",
    "CREATE INDEX {s}.case_drafts_saved ON case_drafts (saved_at)",
)


def migrate(conn: Connection, schema: str, group: KeyGroup, registry: Registry) -> None:
    """Add the pupil to the drafts of the three case domains' group files."""
    from storage.migrations.g004_cases import case_groups

    if group.name in case_groups(registry):
        for statement in STATEMENTS:
            conn.execute(statement.format(s=schema))
