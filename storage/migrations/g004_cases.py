"""Group step 4 (issue 14): support cases (児童生徒理解・支援シート) in their domain's file.

A case belongs to one 領域 — 不登校, いじめ or 教育相談 — and its tables live in the group file
of that domain's dataset (長期欠席調査, いじめ等の記録, 教育相談・SC/SSW相談), encrypted under
that group's key: a role's key opens only its own domains' cases, as it does their records.
The same tables exist in each of the three files; the case repository always names them with
the file's schema (``storage.repos.cases``).

* ``case_files`` — one case: the pupil, the 共通シート (the child, the family, the support so
  far), where it came from (an alert, an extraction, a search, an import), its state.
* ``case_year_sheets`` — the 学年別シート: one per school year (the year's situation and plan).
* ``case_meetings`` — ケース会議・検討会等記録: date, attendees with their roles, the child's
  and the guardian's wishes, assessment and strengths, long- and short-term goals, the next
  review date; ``unknown_json`` keeps an imported file's values that fit no field.
* ``case_actions`` — the actions a meeting agreed (what, owner, due date, status).
* ``case_reviews`` — the review of a meeting: was it done, did it work, and the evidence the
  data showed at the time (a snapshot, so the record says what was seen then).
* ``case_notes`` — notes; those of a restricted kind (child protection, health) are listed
  without their text and opened only by a deliberate, audit-logged call.
* ``case_history`` — every change, field by field (who, when, old, new, reason).
* ``case_drafts`` — a form's unsaved state per user (autosave), so nothing is lost on an idle
  lock or a crash.

Nothing is deleted: a withdrawn case, meeting, action, review or note keeps its row with
``status = 'withdrawn'`` and the reason. Written out in full so that this step never changes.
"""

from __future__ import annotations

from storage.connection import Connection
from storage.key_groups import KeyGroup
from storage.registry import Registry

# The dataset kind whose group file holds each domain's cases.
CASE_HOMES = {"truancy": "long_absence", "bullying": "bullying_records",
              "consultation": "consultations"}

TABLES = (
    """
    CREATE TABLE {s}.case_files (
        id INTEGER PRIMARY KEY,
        pupil_id INTEGER NOT NULL,
        domain TEXT NOT NULL CHECK (domain IN ('truancy', 'bullying', 'consultation')),
        title TEXT NOT NULL DEFAULT '',
        profile TEXT NOT NULL DEFAULT '',
        family TEXT NOT NULL DEFAULT '',
        support_history TEXT NOT NULL DEFAULT '',
        source TEXT NOT NULL DEFAULT 'manual'
            CHECK (source IN ('manual', 'alert', 'extraction', 'search', 'import')),
        source_ref TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed', 'withdrawn')),
        status_reason TEXT NOT NULL DEFAULT '',
        opened_by TEXT NOT NULL,
        opened_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )
    """,
    "CREATE INDEX {s}.case_files_pupil ON case_files (pupil_id, status)",
    "CREATE INDEX {s}.case_files_source ON case_files (source, source_ref)",
    """
    CREATE TABLE {s}.case_year_sheets (
        id INTEGER PRIMARY KEY,
        case_id INTEGER NOT NULL REFERENCES case_files(id),
        school_year INTEGER NOT NULL,
        school_name TEXT NOT NULL DEFAULT '',
        grade TEXT NOT NULL DEFAULT '',
        homeroom_teacher TEXT NOT NULL DEFAULT '',
        situation TEXT NOT NULL DEFAULT '',
        goal TEXT NOT NULL DEFAULT '',
        plan TEXT NOT NULL DEFAULT '',
        evaluation TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL DEFAULT 'recorded' CHECK (status IN ('recorded', 'withdrawn')),
        status_reason TEXT NOT NULL DEFAULT '',
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (case_id, school_year)
    )
    """,
    """
    CREATE TABLE {s}.case_meetings (
        id INTEGER PRIMARY KEY,
        case_id INTEGER NOT NULL REFERENCES case_files(id),
        held_on TEXT NOT NULL,
        meeting_type TEXT NOT NULL DEFAULT 'ケース会議',
        attendees_json TEXT NOT NULL DEFAULT '[]',
        child_wish TEXT NOT NULL DEFAULT '',
        guardian_wish TEXT NOT NULL DEFAULT '',
        assessment TEXT NOT NULL DEFAULT '',
        strengths TEXT NOT NULL DEFAULT '',
        long_goal TEXT NOT NULL DEFAULT '',
        short_goal TEXT NOT NULL DEFAULT '',
        next_review TEXT,
        unknown_json TEXT NOT NULL DEFAULT '{{}}',
        status TEXT NOT NULL DEFAULT 'recorded' CHECK (status IN ('recorded', 'withdrawn')),
        status_reason TEXT NOT NULL DEFAULT '',
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL
    )
    """,
    "CREATE INDEX {s}.case_meetings_case ON case_meetings (case_id, held_on)",
    "CREATE INDEX {s}.case_meetings_review ON case_meetings (next_review)",
    """
    CREATE TABLE {s}.case_actions (
        id INTEGER PRIMARY KEY,
        case_id INTEGER NOT NULL REFERENCES case_files(id),
        meeting_id INTEGER NOT NULL REFERENCES case_meetings(id),
        what TEXT NOT NULL,
        owner TEXT NOT NULL DEFAULT '',
        due TEXT,
        status TEXT NOT NULL DEFAULT 'planned'
            CHECK (status IN ('planned', 'in_progress', 'done', 'stopped', 'withdrawn')),
        status_reason TEXT NOT NULL DEFAULT '',
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL
    )
    """,
    "CREATE INDEX {s}.case_actions_case ON case_actions (case_id, status)",
    """
    CREATE TABLE {s}.case_reviews (
        id INTEGER PRIMARY KEY,
        case_id INTEGER NOT NULL REFERENCES case_files(id),
        meeting_id INTEGER NOT NULL REFERENCES case_meetings(id),
        reviewed_on TEXT NOT NULL,
        done TEXT NOT NULL CHECK (done IN ('done', 'partly', 'not_done')),
        worked TEXT NOT NULL CHECK (worked IN ('worked', 'partly', 'not_worked', 'unclear')),
        comment TEXT NOT NULL DEFAULT '',
        outcomes_json TEXT NOT NULL DEFAULT '[]',
        evidence_json TEXT NOT NULL DEFAULT '{{}}',
        status TEXT NOT NULL DEFAULT 'recorded' CHECK (status IN ('recorded', 'withdrawn')),
        status_reason TEXT NOT NULL DEFAULT '',
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL
    )
    """,
    "CREATE INDEX {s}.case_reviews_meeting ON case_reviews (meeting_id)",
    """
    CREATE TABLE {s}.case_notes (
        id INTEGER PRIMARY KEY,
        case_id INTEGER NOT NULL REFERENCES case_files(id),
        kind TEXT NOT NULL CHECK (kind IN ('general', 'child_protection', 'health')),
        written_on TEXT NOT NULL,
        text TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'recorded' CHECK (status IN ('recorded', 'withdrawn')),
        status_reason TEXT NOT NULL DEFAULT '',
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL
    )
    """,
    "CREATE INDEX {s}.case_notes_case ON case_notes (case_id)",
    """
    CREATE TABLE {s}.case_history (
        id INTEGER PRIMARY KEY,
        case_id INTEGER NOT NULL,
        entity TEXT NOT NULL,
        entity_id INTEGER NOT NULL,
        field TEXT NOT NULL,
        old_value TEXT,
        new_value TEXT,
        reason TEXT NOT NULL DEFAULT '',
        changed_by TEXT NOT NULL,
        changed_at TEXT NOT NULL
    )
    """,
    "CREATE INDEX {s}.case_history_case ON case_history (case_id, id)",
    """
    CREATE TABLE {s}.case_drafts (
        owner TEXT NOT NULL,
        form_key TEXT NOT NULL,
        case_id INTEGER,
        saved_at TEXT NOT NULL,
        payload TEXT NOT NULL,
        PRIMARY KEY (owner, form_key)
    )
    """,
)


def case_groups(registry: Registry) -> set[str]:
    """The groups whose files hold case tables (a registry without a domain's kind keeps
    that domain's cases in the master's group)."""
    from storage.migrations.g001_groups import home_group

    return {home_group(registry, kind) for kind in CASE_HOMES.values()}


def migrate(conn: Connection, schema: str, group: KeyGroup, registry: Registry) -> None:
    """Create the case tables in the three case domains' group files only."""
    if group.name in case_groups(registry):
        for statement in TABLES:
            conn.execute(statement.format(s=schema))
