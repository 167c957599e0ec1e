"""The lead's side of purpose-bound exports, and the requester's: the list of purposes, the
number of pupils above which an identifiable export needs approval, requests and decisions.

The lead is the role that may change the permission map (``policy_edit``); a requester is
any role with ``export``. Nobody decides on their own request while another active account
may decide (separation of duties); a city with one lead account cannot have four eyes, so
there the lead's own decision is allowed and marked in the log (``own_request``). An
approval is valid on the day it is given, for one export by the requester. Every change is
audit-logged; requests keep counts and descriptions, never a pupil.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, time

from storage.repos import accounts, meta
from storage.repos import export_approvals as repo
from storage.repos.export_approvals import ApprovalRow, PurposeRow
from toda_desktop.context import ServiceContext
from toda_desktop.errors import PermissionDenied, UserFacingError
from toda_desktop.export_purpose import catalog
from toda_desktop.export_purpose.check import (
    THRESHOLD_KEY,
    purpose_entries,
    require_right,
    threshold,
)
from toda_desktop.export_purpose.model import Purpose, clean_label, clean_note, validated
from toda_desktop.staff import Staff, staff_book, staff_of

LEAD_FUNCTION = "policy_edit"
MAX_THRESHOLD = 1_000_000
# Roles the bundled map gives aggregate exports only (issue 13); a map stored earlier may
# still give them "export" — the lead is told so on the approvals page.
AGGREGATE_ONLY_ROLES = ("director", "section_chief", "center_director")

__all__ = ["ApprovalRow", "ApprovalView", "ExportOptions", "ExportPurposeService", "PurposeRow"]


@dataclass(frozen=True, kw_only=True)
class ApprovalView(ApprovalRow):
    """A request as the lead's page shows it: who asked and who decided, by name."""

    requester: Staff
    decider: Staff | None


def _views(rows: list[ApprovalRow], staff: dict[str, Staff]) -> list[ApprovalView]:
    return [ApprovalView(**{f.name: getattr(r, f.name) for f in fields(ApprovalRow)},
                         requester=staff_of(staff, r.requested_by),
                         decider=None if r.decided_by is None else staff_of(staff, r.decided_by))
            for r in rows]


@dataclass(frozen=True)
class ExportOptions:
    """What the export dialog offers: the lead's list, the number, and whether this export
    needs an approval and which of the requester's approvals it could use."""

    purposes: list[str]
    threshold: int
    needs_approval: bool
    approvals: list[ApprovalRow]
    description: str


class ExportPurposeService:
    def __init__(self, context: ServiceContext) -> None:
        self._ctx = context

    # -- the list and the number (everyone who exports reads them; the lead edits) ------------

    def purposes(self) -> list[str]:
        """The active entries, in the lead's order (the dialog adds その他)."""
        self._ctx.gate.require_session("export_purposes")
        return purpose_entries(self._ctx)

    def purpose_rows(self) -> list[PurposeRow]:
        self._ctx.gate.require(LEAD_FUNCTION)
        return self._ctx.db.call(repo.purposes)

    def add_purpose(self, label: str) -> int:
        ctx = self._ctx
        ctx.gate.require(LEAD_FUNCTION)
        label = clean_label(label)
        if label in purpose_entries(ctx):
            raise UserFacingError(f"「{label}」は既に一覧にあります。")
        purpose_id = ctx.db.call(lambda c: repo.add_purpose(c, label, ctx.now()))
        ctx.log("export_purpose_added", detail={"id": purpose_id, "label": label})
        return purpose_id

    def remove_purpose(self, purpose_id: int) -> None:
        """Take an entry off the list; old records keep its words."""
        ctx = self._ctx
        ctx.gate.require(LEAD_FUNCTION)
        label = ctx.db.call(lambda c: repo.retire_purpose(c, purpose_id, ctx.now()))
        if label is None:
            raise UserFacingError("その目的は一覧にありません。")
        ctx.log("export_purpose_removed", detail={"id": purpose_id, "label": label})

    def threshold(self) -> int:
        self._ctx.gate.require_session("export_threshold")
        return threshold(self._ctx)

    def set_threshold(self, pupils: int) -> None:
        ctx = self._ctx
        ctx.gate.require(LEAD_FUNCTION)
        if not 1 <= pupils <= MAX_THRESHOLD:
            raise UserFacingError(f"人数は1から{MAX_THRESHOLD:,}までで指定してください。")
        old = threshold(ctx)
        ctx.db.call(lambda c: meta.put(c, THRESHOLD_KEY, str(pupils)))
        ctx.log("export_threshold_changed", detail={"old": old, "new": pupils})

    # -- requests -----------------------------------------------------------------------------

    def _describe(self, spec: catalog.ExportSpec, scope: str) -> str:
        """What the lead reads: the export and, for a dataset, its kind's label."""
        registry = self._ctx.registry
        what = registry.kind(scope).label if scope in registry.names else scope
        return f"{spec.label}（{what}）" if what else spec.label

    def request(self, export: str, purpose: Purpose, pupils: int, scope: str = "") -> int:
        """Ask the lead to approve one export of ``pupils`` pupils; returns the request's
        number. The export itself counts again and refuses more pupils than approved."""
        ctx = self._ctx
        ctx.gate.require_session("export")  # before reading any argument
        spec = catalog.spec(export)
        require_right(ctx, spec)
        if not spec.needs_purpose:
            raise UserFacingError("この出力には承認は要りません。")
        if pupils < 0:
            raise UserFacingError("人数が正しくありません。")
        stated = validated(purpose, purpose_entries(ctx))
        description = self._describe(spec, scope)
        request_id = ctx.db.call(lambda c: repo.add_request(
            c, requested_by=ctx.actor.login_id, at=ctx.now(), export=spec.key, target=scope,
            description=description, pupils=pupils, purpose=stated.text))
        ctx.log("export_approval_requested", target=f"export_approval:{request_id}",
                detail={"export": spec.key, "pupils": pupils, "purpose": stated.text})
        return request_id

    def request_dataset(self, kind_name: str, purpose: Purpose) -> int:
        """A request for the command line's ``export`` of a whole pupil dataset, counting
        its pupils here."""
        ctx = self._ctx
        kind = ctx.gate.require_kind("export", kind_name)
        if not kind.pupil:
            raise UserFacingError("児童生徒を含まないデータの出力には、承認は要りません。")
        pupils = ctx.db.call(lambda c: repo.dataset_pupils(c, kind))
        return self.request(catalog.DATASET.key, purpose, pupils, scope=kind.name)

    def my_requests(self, limit: int = 50) -> list[ApprovalRow]:
        ctx = self._ctx
        ctx.gate.require_session("export_approvals")
        return ctx.db.call(lambda c: repo.approvals(c, requested_by=ctx.actor.login_id,
                                                    limit=limit))

    def usable_approvals(self, export: str, pupils: int, scope: str = ""
                         ) -> list[ApprovalRow]:
        """The requester's approvals this export could use now (same export, enough
        pupils, still valid, not used)."""
        now = self._ctx.now()
        return [r for r in self.my_requests()
                if r.status == "approved" and r.export == export and r.target == scope
                and r.pupils >= pupils and r.valid_until is not None and r.valid_until >= now]

    def options(self, export: str, pupils: int, scope: str = "") -> ExportOptions:
        self._ctx.gate.require_session("export")
        spec = catalog.spec(export)
        require_right(self._ctx, spec)
        limit = threshold(self._ctx)
        needs = spec.approval_always or pupils > limit
        return ExportOptions(purpose_entries(self._ctx), limit, needs,
                             self.usable_approvals(export, pupils, scope) if needs else [],
                             self._describe(spec, scope))

    # -- decisions ----------------------------------------------------------------------------

    def identifiable_export_roles(self) -> list[str]:
        """The labels of 室長・課長・所長 to whom the map in force still gives ``export``
        (a map saved before the bundled one changed keeps its words)."""
        self._ctx.gate.require(LEAD_FUNCTION)
        policy = self._ctx.gate.policy
        return [r.label for r in policy.roles
                if r.key in AGGREGATE_ONLY_ROLES and r.may(catalog.IDENTIFIABLE_FUNCTION)]

    def pending(self) -> list[ApprovalView]:
        self._ctx.gate.require(LEAD_FUNCTION)
        return _views(*self._ctx.db.call(
            lambda c: (repo.approvals(c, status="pending"), staff_book(c))))

    def decided(self, limit: int = 50) -> list[ApprovalView]:
        """Recent decisions (approved, declined, used), newest first."""
        self._ctx.gate.require(LEAD_FUNCTION)
        rows, staff = self._ctx.db.call(
            lambda c: (repo.approvals(c, limit=limit * 2), staff_book(c)))
        return _views([r for r in rows if r.status != "pending"][:limit], staff)

    def approve(self, request_id: int, note: str = "") -> datetime:
        """Approve for one export today; returns until when it is valid."""
        now = self._ctx.now()
        until = datetime.combine(now.date(), time(23, 59, 59))
        self._decide(request_id, approved=True, note=note, until=until)
        return until

    def decline(self, request_id: int, note: str = "") -> None:
        self._decide(request_id, approved=False, note=note, until=None)

    def _other_deciders(self) -> bool:
        """Whether an active account other than the actor's may decide on requests."""
        ctx = self._ctx
        policy = ctx.gate.policy
        deciders = {r.key for r in policy.roles if r.may(LEAD_FUNCTION)}
        return any(a.status == "active" and a.role in deciders
                   and a.login_id != ctx.actor.login_id
                   for a in ctx.db.call(accounts.all_accounts))

    def _decide(self, request_id: int, *, approved: bool, note: str,
                until: datetime | None) -> None:
        ctx = self._ctx
        ctx.gate.require(LEAD_FUNCTION)
        note = clean_note(note)
        row = ctx.db.call(lambda c: repo.approval(c, request_id))
        if row is None:
            raise UserFacingError(f"依頼番号 {request_id} はありません。")
        own = row.requested_by == ctx.actor.login_id
        if own and self._other_deciders():
            ctx.log("permission_denied", outcome="denied",
                    target=f"export_approval:{request_id}", detail={"reason": "own_request"})
            raise PermissionDenied("ご自身の依頼は承認・却下できません（別の担当者が判断します）。")
        done = ctx.db.call(lambda c: repo.decide(c, request_id, approved=approved,
                                                 by=ctx.actor.login_id, at=ctx.now(),
                                                 note=note, valid_until=until))
        if not done:
            raise UserFacingError(f"依頼番号 {request_id} は既に判断されています。")
        ctx.log("export_approval_approved" if approved else "export_approval_declined",
                target=f"export_approval:{request_id}",
                detail={"export": row.export, "pupils": row.pupils, "purpose": row.purpose,
                        **({"note": note} if note else {}),
                        **({"own_request": True} if own else {}),
                        **({"expires_at": until.isoformat(timespec="seconds")} if until else {})})
