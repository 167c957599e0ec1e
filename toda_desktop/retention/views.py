"""What the retention screens and commands show: classes, plans and results in words.

Counts, kind names and school years only: a plan never names a pupil.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from storage.registry import ACTION_LABELS, Registry
from storage.repos import retention as repo
from storage.repos import retention_plans as plans
from toda_desktop.staff import Staff, staff_of

DERIVED_LABELS = {repo.RISK_ALERTS: "見守りアラート",
                  repo.SUPPORT_CASES: "支援ケース（ケース会議の記録など）"}  # issue 14
STATUS_LABELS = {
    plans.PLANNED: "承認待ち",
    plans.APPROVED: "承認済み（未実行）",
    plans.DONE: "実行済み",
    plans.WITHDRAWN: "取り下げ（新しい計画に置き換え）",
}
RELATED_LABELS = {
    "review_queue": "名寄せ確認待ちの行",
    "linkage_decisions": "名寄せの判断の記憶",
    "batch_overwrites": "取込の取消に備えた元の値",
    "batch_confirmations": "取込の確認の記録",
    "risk_alert_status": "見守りアラートの確認の記録",
    "risk_alert_corrections": "見守りアラートの確認の訂正",
    repo.CASE_ITEMS: "支援ケースの会議・手立て・記録・変更履歴・下書き",  # issue 14
}


@dataclass(frozen=True)
class ClassView:
    key: str
    label: str
    basis: str
    period: str  # 卒業・転出からN年 / 期限なし
    action: str  # in words
    kinds: tuple[str, ...]  # labels of the kinds in the class


@dataclass(frozen=True)
class PlanLine:
    kind: str
    label: str
    class_label: str
    school_year: int
    action: str
    action_label: str
    records: int
    pupils: int
    done: int | None  # what the run removed (None before the run)


@dataclass(frozen=True)
class PlanView:
    id: int
    made_at: datetime
    made_by: Staff
    as_of: date
    latest_year: int
    status: str
    status_label: str
    approved_by: Staff | None
    approved_at: datetime | None
    run_by: Staff | None
    run_at: datetime | None
    lines: tuple[PlanLine, ...]
    unseen: tuple[str, ...]  # labels of the kinds the plan could not see (no key or domain)
    may_approve: bool
    may_run: bool

    @property
    def records(self) -> int:
        return sum(line.records for line in self.lines)

    @property
    def approvable(self) -> bool:
        return self.may_approve and self.status == plans.PLANNED

    @property
    def runnable(self) -> bool:
        return self.may_run and self.status == plans.APPROVED


@dataclass(frozen=True)
class RunResult:
    plan: PlanView
    related: dict[str, int]
    files: int  # files cleaned (checkpointed, truncated, vacuumed)
    log_left: int  # files another session kept busy (a plan of 0 records cleans them all)


def class_views(registry: Registry) -> list[ClassView]:
    out = []
    for cls in registry.retention_classes:
        kinds = tuple(k.label for k in registry.kinds if k.retention == cls.key)
        out.append(ClassView(cls.key, cls.label, cls.basis, cls.period_label, cls.action_label,
                             kinds))
    return out


def _label(registry: Registry, kind: str) -> tuple[str, str]:
    """(kind label, class label) of a plan line's kind."""
    if kind in registry.names:
        return registry.kind(kind).label, registry.retention_of(kind).label
    if kind == repo.SUPPORT_CASES and "support" in {c.key for c in registry.retention_classes}:
        return DERIVED_LABELS[kind], registry.retention("support").label
    source = registry.retention_of("attendance_monthly") if (
        "attendance_monthly" in registry.names) else None
    return DERIVED_LABELS.get(kind, kind), "" if source is None else source.label


def _line(registry: Registry, count: repo.DueCount, done: int | None) -> PlanLine:
    label, class_label = _label(registry, count.kind)
    return PlanLine(count.kind, label, class_label, count.school_year, count.action,
                    ACTION_LABELS.get(count.action, count.action), count.records, count.pupils,
                    done)


def plan_view(record: plans.PlanRecord, registry: Registry, staff: dict[str, Staff], *,
              may_approve: bool, may_run: bool) -> PlanView:
    done = {(c.kind, c.school_year, c.action): c.records for c in record.done}
    lines = tuple(_line(registry, c, done.get((c.kind, c.school_year, c.action))
                        if record.status == plans.DONE else None) for c in record.rows)
    unseen = tuple(dict.fromkeys(
        registry.kind(k).label if k in registry.names else k for k in record.unseen))
    return PlanView(
        id=record.id, made_at=datetime.fromisoformat(record.made_at),
        made_by=staff_of(staff, record.made_by),
        as_of=date.fromisoformat(record.as_of), latest_year=record.latest_year,
        status=record.status, status_label=STATUS_LABELS.get(record.status, record.status),
        approved_by=_who(staff, record.approved_by), approved_at=_when(record.approved_at),
        run_by=_who(staff, record.run_by), run_at=_when(record.run_at), lines=lines, unseen=unseen,
        may_approve=may_approve, may_run=may_run)


def certificate_lines(counts: Sequence[repo.DueCount], labels: dict[str, str]) -> list[str]:
    """One line per kind and school year: 「出欠状況（月次） 2023年度 削除 120件（12人）」."""
    return [
        f"{labels.get(c.kind, DERIVED_LABELS.get(c.kind, c.kind))} {c.school_year}年度"
        f" {ACTION_LABELS.get(c.action, c.action)} {c.records}件（{c.pupils}人）"
        for c in counts
    ]


def related_lines(related: dict[str, int]) -> Iterable[str]:
    return (f"{RELATED_LABELS.get(k, k)} {v}件" for k, v in related.items() if v)


def _who(staff: dict[str, Staff], login_id: str | None) -> Staff | None:
    return None if login_id is None else staff_of(staff, login_id)


def _when(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


__all__ = ["ClassView", "PlanLine", "PlanView", "RunResult", "certificate_lines",
           "class_views", "plan_view", "related_lines"]
