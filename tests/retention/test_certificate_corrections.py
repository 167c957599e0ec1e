"""The deletion certificate counts every row a purge removed: the corrections of 見守りアラート
marks (issue 16) go with their alerts and are counted beside the marks (issue 13)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.retention.helpers import FIVE_YEARS_ON, sign_in
from toda_desktop.audit.service import AuditFilter


def _plant_corrected_alert(conn: object) -> int:
    """An alert of a leaver whose monthly attendance is due, with a mark and its correction."""
    c = conn
    pupil = c.execute(  # type: ignore[attr-defined]
        "SELECT pupil_id FROM ds_attendance_monthly WHERE pupil_id IN (SELECT pupil_id"
        " FROM ds_enrollments GROUP BY pupil_id HAVING max(school_year) < 2025)"
        " ORDER BY pupil_id LIMIT 1").fetchone()[0]
    model = c.execute(  # type: ignore[attr-defined]
        "INSERT INTO risk_models (created_at, created_by, data_version, config_json,"
        " metrics_json, card_json, model) VALUES ('2024-05-01T09:00:00', 'demo-lead', 'v',"
        " '{}', '{}', '{}', x'00')").lastrowid
    alert = c.execute(  # type: ignore[attr-defined]
        "INSERT INTO risk_alerts (month, pupil_id, school_code, rank, band, reasons_json,"
        " model_id, created_at) VALUES ('2023-10', ?, 'S', 1, '高', '[]', ?,"
        " '2023-10-01T09:00:00')", (pupil, model)).lastrowid
    marks = [c.execute(  # type: ignore[attr-defined]
        "INSERT INTO risk_alert_status (alert_id, status, note, marked_by, marked_at)"
        " VALUES (?, ?, '', 'demo-truancy', '2023-10-02T09:00:00')", (alert, status)).lastrowid
        for status in ("対象外", "見守り")]
    c.execute(  # type: ignore[attr-defined]
        "INSERT INTO risk_alert_corrections (status_id, alert_id, reason, corrected_by,"
        " corrected_at) VALUES (?, ?, '別の児童生徒の記録', 'demo-truancy',"
        " '2023-10-03T09:00:00')", (marks[0], alert))
    return int(alert)


def test_the_certificate_counts_the_removed_alert_mark_corrections(
    demo_store_path: Path,
) -> None:
    lead = sign_in(demo_store_path, "project_lead", FIVE_YEARS_ON)
    try:
        alert = lead.store.db.call(_plant_corrected_alert)
        plan = lead.retention.approve(lead.retention.make_plan().id)
        result = lead.retention.run(plan.id)
        assert result.related["risk_alert_corrections"] == 1
        assert result.related["risk_alert_status"] >= 2
        left = lead.store.db.call(lambda c: c.execute(
            "SELECT count(*) FROM risk_alert_corrections WHERE alert_id = ?",
            (alert,)).fetchone()[0])
        assert left == 0
        entry = lead.audit_view.entries(AuditFilter(action="retention_certificate"))[0]
        stored = lead.store.db.call(lambda c: c.execute(
            "SELECT detail FROM audit_log WHERE id = ?", (entry.id,)).fetchone()[0])
        assert json.loads(stored)["related"]["risk_alert_corrections"] == 1
        assert "見守りアラートの確認の訂正" in entry.detail_text
    finally:
        lead.sign_out()
