"""Which audit entries are sealed, and who opens them (``storage.audit_seal``).

An entry is sealed — its target, pupil id and detail written as one ciphertext only the audit
reader opens — when it concerns a pupil: it names a pupil (a print of one pupil's sheet
does), a support case or a pupil's alert, it belongs to an action that is about pupils (a
search, a karte, records, a copy of cells, a case step), or its detail lists pupils or
search words. A print of several pupils keeps its serial and counts in clear, as the print
log beside it does. Entries the
chain or everyday functions read are never sealed: key registrations, the log's own
integrity entries, signed approvals of retention plans, sign-ins.

Readers: roles with ``audit_view`` that see the pupil register (the project lead), and the
recovery identity — they hold the ``audit_reader`` key group. The IT administrator reads the
audit log too but sees no pupil details; it does not hold the group.
"""

from __future__ import annotations

from typing import Any

from storage import audit, audit_outside
from storage.audit_seal import Opener, reader_privates
from storage.database import Database
from storage.key_groups import AUDIT_READER_GROUP
from storage.repos.retention_plans import APPROVE_ACTION

# Targets that name a pupil, a case or a pupil's alert.
PUPIL_TARGETS = ("truancy:", "bullying:", "consultation:", "risk_alert:", "pupil:")
# Actions about pupils, whatever their target.
PUPIL_ACTIONS = frozenset({
    "search", "view_karte", "view_records", "edit", "copy_cells", "risk_alert_history",
    "risk_alert_mark", "risk_alert_mark_corrected", "risk_explanations", "review_decision",
    "review_find_pupil", "review_view", "view_survey_domains",
})
CASE_ACTION_PREFIX = "case_"  # every step of a support case (issue 14)
# Detail keys that name pupils or what was searched.
PUPIL_DETAIL_KEYS = frozenset({"pupil_id", "pupil_ids", "query", "word_digests"})
# Entries read in clear by the chain and everyday functions.
CLEAR_ACTIONS = frozenset({
    audit.STORE_CREATED, audit.SELF_REGISTERED, *audit.REGISTERING_ACTIONS,
    audit.BREAK_ACTION, audit.ACK_ACTION, audit.RESTORE_ACTION,
    audit_outside.SET_ACTION, audit_outside.UNREACHABLE_ACTION, APPROVE_ACTION,
    "sign_in", "recovery_sign_in", "sign_out",
})


def concerns_pupil(action: str, target: str | None, pupil_id: int | None,
                   detail: dict[str, Any] | None) -> bool:
    """Whether an entry's target, pupil and detail are written sealed."""
    if action in CLEAR_ACTIONS:
        return False
    return (pupil_id is not None
            or action in PUPIL_ACTIONS
            or action.startswith(CASE_ACTION_PREFIX)
            or (target is not None and target.startswith(PUPIL_TARGETS))
            or (detail is not None and not PUPIL_DETAIL_KEYS.isdisjoint(detail)))


def reader_opener(db: Database) -> Opener | None:
    """What opens sealed entries for this session: the reader keys it holds (None: the
    account does not hold the ``audit_reader`` group, e.g. the IT administrator)."""
    privates = db.call(reader_privates, kind=AUDIT_READER_GROUP)
    if not privates:
        return None
    return Opener(privates, db.call(audit.store_id))


__all__ = ["concerns_pupil", "reader_opener"]
