"""Migration 5: nothing in the store file (store format 2, issue 12).

In format 1 this step made the truancy-risk tables (models, monthly alerts, alert status);
they hold pupil-level results of the attendance data, so in format 2 they live in the
attendance group's file (``g001_groups``). The step stays so that the numbering of the store
file's steps does not change.
"""

from __future__ import annotations

from storage.connection import Connection


def migrate(conn: Connection) -> None:
    del conn  # nothing: see the module's docstring
