"""Group step 2 (issue 13): the pseudonyms of de-identified pupils, in the master's group file.

When a pupil's identifying retention (学籍に関する記録) has ended, name, kana, birth date and
IDs are removed from the pupil's rows and the pupil keeps only a pseudonym: a random token,
not derived from any ID, so that it links nothing outside the store
(``storage.repos.retention``). ``pupil_pseudonyms`` says which pupils are de-identified (a
later plan leaves them alone) and with which token. It lives beside ``ds_students`` in the
master's group file, under that group's key.

Written out in full so that this step never changes.
"""

from __future__ import annotations

from storage.connection import Connection
from storage.key_groups import KeyGroup
from storage.migrations.g001_groups import home_group
from storage.registry import Registry

PSEUDONYMS = """
    CREATE TABLE IF NOT EXISTS {s}.pupil_pseudonyms (
        pupil_id INTEGER PRIMARY KEY,
        pseudonym TEXT NOT NULL UNIQUE,
        made_at TEXT NOT NULL
    )
"""


def migrate(conn: Connection, schema: str, group: KeyGroup, registry: Registry) -> None:
    if group.name == home_group(registry, registry.master.name):
        conn.execute(PSEUDONYMS.format(s=schema))
