"""Migration 5: truancy-risk models, monthly alerts and the alert status history (issue 6).

- ``risk_models``: one row per trained model version: configuration, evaluation metrics and
  model card (JSON), the data version it was trained on, who and when, and the fitted model
  itself (a BLOB that only ever lives inside the encrypted store).
- ``risk_alerts``: the monthly lists (list month ``YYYY-MM``, pupil, school, rank within the
  school, band 高/中/低, reasons as JSON, model). One row per month, model and pupil.
- ``risk_alert_status``: the human step, kept as history (確認済み / 見守り / 支援開始 /
  対象外 with a note, who and when); the latest row is the alert's current status.
"""

from __future__ import annotations

from storage.connection import Connection

STATEMENTS = (
    """
    CREATE TABLE risk_models (
        id INTEGER PRIMARY KEY,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        data_version TEXT NOT NULL,
        config_json TEXT NOT NULL,
        metrics_json TEXT NOT NULL,
        card_json TEXT NOT NULL,
        model BLOB NOT NULL,
        status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired'))
    )
    """,
    """
    CREATE TABLE risk_alerts (
        id INTEGER PRIMARY KEY,
        month TEXT NOT NULL,
        pupil_id INTEGER NOT NULL,
        school_code TEXT NOT NULL,
        rank INTEGER NOT NULL CHECK (rank >= 1),
        band TEXT NOT NULL CHECK (band IN ('高', '中', '低')),
        reasons_json TEXT NOT NULL,
        model_id INTEGER NOT NULL REFERENCES risk_models(id),
        created_at TEXT NOT NULL,
        UNIQUE (month, model_id, pupil_id)
    )
    """,
    "CREATE INDEX risk_alerts_month ON risk_alerts (month, model_id, school_code, rank)",
    "CREATE INDEX risk_alerts_pupil ON risk_alerts (pupil_id)",
    """
    CREATE TABLE risk_alert_status (
        id INTEGER PRIMARY KEY,
        alert_id INTEGER NOT NULL REFERENCES risk_alerts(id),
        status TEXT NOT NULL CHECK (status IN ('確認済み', '見守り', '支援開始', '対象外')),
        note TEXT NOT NULL DEFAULT '',
        marked_by TEXT NOT NULL,
        marked_at TEXT NOT NULL
    )
    """,
    "CREATE INDEX risk_alert_status_alert ON risk_alert_status (alert_id, id)",
)


def migrate(conn: Connection) -> None:
    for statement in STATEMENTS:
        conn.execute(statement)
