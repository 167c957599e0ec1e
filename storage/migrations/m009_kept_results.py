"""Migration 9: nothing in the store file (store format 2, issue 12).

In format 1 this step made the kept analysis results (survey norms, 要因分析 reports) and the
triggers that drop them; they are aggregates of pupil data, so in format 2 they live in the
group files (``g001_groups``) and the triggers, which cross files, are TEMP triggers made at
each open (``storage.kept_results``). The step stays so that the numbering does not change.
"""

from __future__ import annotations

from storage.connection import Connection


def migrate(conn: Connection) -> None:
    del conn  # nothing: see the module's docstring
