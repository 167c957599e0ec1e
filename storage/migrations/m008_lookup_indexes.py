"""Migration 8: nothing in the store file (store format 2, issue 12).

In format 1 this step added the plain lookup index of ``ds_survey_items``; in format 2 every
dataset table lives in its group's file, where ``storage.schema.LOOKUP_INDEXES`` makes it with
the table. The step stays so that the numbering of the store file's steps does not change.
"""

from __future__ import annotations

from storage.connection import Connection


def migrate(conn: Connection) -> None:
    del conn  # nothing: see the module's docstring
