"""Retention: a dry run (the plan), the project lead's approval, then the purge and its
certificate.

* ``make_plan`` (function ``retention``) counts, per kind and school year, the records whose
  retention has ended by a day (never after today): nothing changes. It covers the kinds the
  account may see and holds the keys of; the plan names the others (``unseen``), which wait
  for someone holding their keys.
* ``approve`` (function ``retention_approve``, the project lead in the default map) approves
  the plan as shown. The planner may approve their own plan: the default map gives both
  functions to the project lead alone, and a small office may have one; the approval is
  still a second, deliberate act on the counts, and the audit entry says whether the
  approver made the plan.
* ``run`` (function ``retention``) needs an approved plan, the keys of every group it covers,
  and data that still gives the same records (a digest of their numbers): otherwise the
  plan is made again. The records go inside one transaction with the deletion certificate
  (audit entry ``retention_certificate``: counts per kind and year only); then each file
  touched is checkpointed, truncated and vacuumed so that no bytes remain.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from kernel.progress import CancelFlag, Progress
from storage.connection import Connection, transaction
from storage.errors import Cancelled
from storage.key_groups import group_of, key_groups
from storage.placement import schemas_with
from storage.registry import DatasetKind
from storage.repos import cases as cases_repo
from storage.repos import leavers
from storage.repos import retention as repo
from storage.repos import retention_files as files_repo
from storage.repos import retention_plans as plans
from storage.store import Store
from toda_desktop.audit.trail import PendingEntry
from toda_desktop.clock import today
from toda_desktop.context import ServiceContext
from toda_desktop.errors import PermissionDenied, UserFacingError
from toda_desktop.retention.pseudonyms import new_pseudonym
from toda_desktop.retention.views import (
    ClassView,
    PlanView,
    RunResult,
    certificate_lines,
    class_views,
    plan_view,
)
from toda_desktop.search.keys import refresh_search_index
from toda_desktop.staff import staff_book

PLAN, APPROVE = "retention", "retention_approve"


class RetentionService:
    def __init__(self, context: ServiceContext, store: Store) -> None:
        self._ctx = context
        self._store = store  # the files and keys to clean after a purge

    # -- reading ------------------------------------------------------------------------------

    def _require_any(self) -> None:
        gate = self._ctx.gate
        gate.require(PLAN if gate.may(PLAN) or not gate.may(APPROVE) else APPROVE)

    def classes(self) -> list[ClassView]:
        """The retention classes with their kinds (no personal data)."""
        self._require_any()
        return class_views(self._ctx.registry)

    def current(self) -> PlanView | None:
        """The latest plan, whatever its state."""
        self._require_any()
        record = self._ctx.db.call(plans.latest_plan)
        return None if record is None else self._view(record)

    def plan(self, plan_id: int) -> PlanView:
        self._require_any()
        return self._view(self._get(plan_id))

    # -- the dry run --------------------------------------------------------------------------

    def _ending_kinds(self) -> list[DatasetKind]:
        registry = self._ctx.registry
        return [k for k in registry.kinds if k.pupil and registry.retention_of(k.name).ends]

    def make_plan(self, as_of: date | None = None) -> PlanView:
        """Count what would go by ``as_of`` (default today); nothing is removed."""
        ctx = self._ctx
        ctx.gate.require(PLAN)
        now_day = today(ctx.clock)
        as_of = as_of or now_day
        if as_of > now_day:
            raise UserFacingError("保存期間の終了は、今日より後の日付では判定できません。")
        registry = ctx.registry
        if not ctx.gate.sees(registry.master.name):
            raise PermissionDenied("卒業・転出の日は在籍の記録から求めるため、"
                                   "児童生徒基本情報の鍵が必要です。")
        ending = self._ending_kinds()
        seen = [k for k in ending if ctx.gate.sees(k.name)]
        unseen = [k.name for k in ending if k not in seen]
        groups = sorted({group_of(registry, k.name).name for k in seen})
        made_at = ctx.now().isoformat(timespec="seconds")
        actor = ctx.actor.login_id

        def work(conn: Connection) -> tuple[int, PendingEntry]:
            latest = leavers.latest_school_year(conn)
            if latest is None:
                raise UserFacingError(
                    "在籍の記録がないため、卒業・転出した児童生徒を判定できません。")
            counts, digest = repo.summarize(conn, repo.due(conn, registry, seen, as_of, latest),
                                            self._case_dues(conn, groups, as_of, latest))
            with transaction(conn):
                plan_id = plans.save_plan(conn, made_at=made_at, made_by=actor, as_of=as_of,
                                         latest_year=latest, groups=groups, unseen=unseen,
                                         digest=digest, counts=counts)
                pending = ctx.trail.record_within(
                    conn, actor, "retention_plan", target=f"retention_plan:{plan_id}",
                    detail={"date": as_of.isoformat(), "records": sum(c.records for c in counts),
                            "unseen": [registry.kind(k).label for k in unseen]})
            return plan_id, pending

        plan_id, pending = ctx.db.call(work)
        ctx.trail.settle(pending)
        return self._view(self._get(plan_id))

    # -- approval -----------------------------------------------------------------------------

    def approve(self, plan_id: int) -> PlanView:
        ctx = self._ctx
        ctx.gate.require(APPROVE)
        actor = ctx.actor.login_id
        at = ctx.now().isoformat(timespec="seconds")

        def work(conn: Connection) -> tuple[bool, plans.PlanRecord | None, PendingEntry | None]:
            with transaction(conn):
                record = plans.get_plan(conn, plan_id)
                if record is None or not plans.approve(conn, plan_id, actor, at):
                    return False, record, None
                pending = ctx.trail.record_within(
                    conn, actor, "retention_approve", target=f"retention_plan:{plan_id}",
                    detail={"records": sum(c.records for c in record.rows),
                            "own_plan": record.made_by == actor,
                            "digest": record.digest[:plans.DIGEST_SHOWN]})
            return True, record, pending

        ok, record, pending = ctx.db.call(work)
        if pending is not None:
            ctx.trail.settle(pending)
        if not ok:
            raise UserFacingError(self._not_waiting(record))
        return self._view(self._get(plan_id))

    @staticmethod
    def _not_waiting(record: plans.PlanRecord | None) -> str:
        if record is None:
            return "その計画はありません。"
        return {
            plans.APPROVED: "この計画は承認済みです。",
            plans.DONE: "この計画は実行済みです。",
            plans.WITHDRAWN: "この計画は新しい計画に置き換えられました。"
                            "最新の計画を確認してください。",
        }.get(record.status, "この計画は承認できません。")

    # -- the purge ----------------------------------------------------------------------------

    def run(self, plan_id: int, progress: Progress | None = None,
            cancel: CancelFlag | None = None) -> RunResult:
        """Remove what the approved plan counted; the certificate goes into the audit log in
        the same transaction. Cancel is honoured until the records are gone (then the files
        are cleaned to the end)."""
        ctx = self._ctx
        ctx.gate.require(PLAN)
        record = self._get(plan_id)
        if record.status != plans.APPROVED:
            ctx.log("retention_run", outcome="denied", target=f"retention_plan:{plan_id}",
                    detail={"status": record.status})
            raise UserFacingError(
                "この計画はまだ承認されていません。事業全体総括職員の承認を受けてから実行してください。"
                if record.status == plans.PLANNED else self._not_waiting(record))
        registry = ctx.registry
        kinds = [k for k in self._ending_kinds()
                 if group_of(registry, k.name).name in record.groups]
        lacking = [k for k in kinds if not ctx.gate.sees(k.name)]
        if lacking:
            ctx.log("retention_run", outcome="denied", target=f"retention_plan:{plan_id}",
                    detail={"reason": "not_a_holder"})
            labels = "、".join(dict.fromkeys(k.label for k in lacking))
            raise PermissionDenied(f"この計画には、鍵をお持ちでない領域（{labels}）が"
                                   "含まれているため、実行できません。")
        self._require_signed_approval(record)
        as_of = date.fromisoformat(record.as_of)
        actor = ctx.actor.login_id
        at = ctx.now().isoformat(timespec="seconds")

        def step(fraction: float) -> None:
            if cancel is not None and cancel():
                raise Cancelled()
            if progress is not None:
                progress(0.8 * fraction)

        def work(conn: Connection) -> tuple[repo.PurgeResult, PendingEntry]:
            latest = leavers.latest_school_year(conn)
            dues = [] if latest is None else repo.due(conn, registry, kinds, as_of, latest)
            cases = [] if latest is None else self._case_dues(conn, record.groups, as_of, latest)
            _, digest = repo.summarize(conn, dues, cases)
            if latest != record.latest_year or digest != record.digest:
                raise UserFacingError("計画を作った後にデータが変わりました。"
                                      "計画を作り直して、もう一度承認を受けてください。")
            with transaction(conn):
                result = repo.purge(conn, dues, new_pseudonym=new_pseudonym, made_at=at,
                                    reindex=refresh_search_index, progress=step, cases=cases)
                step(1.0)
                plans.mark_done(conn, plan_id, actor, at, result.counts)
                pending = ctx.trail.record_within(
                    conn, actor, "retention_certificate", target=f"retention_plan:{plan_id}",
                    detail=_certificate(record, result, registry_labels=self._labels()))
            files_repo.reanalyze(conn, result.schemas)
            return result, pending

        try:
            result, pending = ctx.db.call(work)
        except Cancelled:
            ctx.log("retention_run", outcome="cancelled", target=f"retention_plan:{plan_id}")
            raise
        ctx.trail.settle(pending)
        # A plan with nothing to remove cleans every file (how files left busy by another
        # session at an earlier run get cleaned).
        schemas = result.schemas if record.rows else ("main", *(
            g.schema for g in self._store.held_groups))
        files = files_repo.files_of(self._store, schemas)
        left = 0
        for done, (path, key) in enumerate(files):
            if progress is not None:
                progress(0.8 + 0.2 * done / len(files))
            left += not files_repo.scrub_file(path, key)
        if progress is not None:
            progress(1.0)
        return RunResult(plan=self._view(self._get(plan_id)), related=dict(result.related),
                         files=len(files), log_left=left)

    def _require_signed_approval(self, record: plans.PlanRecord) -> None:
        """The approval is the approver's signed audit entry, on an intact chain: a plan row
        set to 承認済み by hand (the store file is writable with the system key every account
        holds), or changed after the approval, is refused."""
        ctx = self._ctx
        report = ctx.trail.verify()
        approved = None if record.approved_by is None else ctx.db.call(
            lambda c: plans.approved_digest(c, record.id, str(record.approved_by)))
        if report.ok and approved == record.digest[:plans.DIGEST_SHOWN]:
            return
        ctx.log("retention_run", outcome="denied", target=f"retention_plan:{record.id}",
                detail={"reason": "audit_chain" if not report.ok else "approval_missing"})
        if not report.ok:
            raise UserFacingError("監査ログの検証で異常が見つかったため、削除を実行できません。"
                                  "監査ログの画面で検証し、管理者に確認を依頼してください。")
        raise UserFacingError("この計画の承認が監査ログの記録と一致しません。"
                              "計画を作り直して、もう一度承認を受けてください。")

    def _case_dues(self, conn: Connection, groups: Sequence[str], as_of: date,
                   latest: int) -> list[repo.CaseDue]:
        """The support cases (issue 14) due in the case files of the plan's groups: the
        ``support`` class counted from the pupil's leaving, as every class is."""
        registry = self._ctx.registry
        if "support" not in {c.key for c in registry.retention_classes}:
            return []
        cls = registry.retention("support")
        if not cls.ends or cls.years is None:
            return []
        holders = set(schemas_with(conn, "case_files"))
        schemas = [g.schema for g in key_groups(registry)
                   if g.name in groups and g.schema in holders]
        cutoff = repo.cutoff_year(as_of, cls.years)
        return [repo.CaseDue(s, tuple(cases_repo.due_cases(conn, s, cutoff, latest)))
                for s in schemas]

    # -- helpers ------------------------------------------------------------------------------

    def _labels(self) -> dict[str, str]:
        return {k.name: k.label for k in self._ctx.registry.kinds}

    def _get(self, plan_id: int) -> plans.PlanRecord:
        record = self._ctx.db.call(lambda c: plans.get_plan(c, plan_id))
        if record is None:
            raise UserFacingError("その計画はありません。")
        return record

    def _view(self, record: plans.PlanRecord) -> PlanView:
        gate = self._ctx.gate
        staff = self._ctx.db.call(staff_book)
        return plan_view(record, self._ctx.registry, staff, may_approve=gate.may(APPROVE),
                         may_run=gate.may(PLAN))


def _certificate(record: plans.PlanRecord, result: repo.PurgeResult,
                 registry_labels: dict[str, str]) -> dict[str, object]:
    """The deletion certificate: counts per kind and school year, nothing else."""
    counts: Sequence[repo.DueCount] = result.counts
    return {
        "plan_id": record.id,
        "date": record.as_of,
        "approved_by": record.approved_by,
        "records": sum(c.records for c in counts),
        "certificate": certificate_lines(counts, registry_labels),
        "related": {k: v for k, v in result.related.items() if v},
    }


__all__ = ["APPROVE", "PLAN", "RetentionService"]
