"""The one check before an export file exists: the right in the map, the purpose, and above
the lead's number of pupils a valid, unused approval of the same person for the same export.

``authorize`` is what ``export_log.logged_export`` calls, and what an export that writes
several files (the research extract) calls itself once before its first file; ``release``
gives an approval back when the file could not be written.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

from storage.repos import export_approvals as repo
from storage.repos import meta
from toda_desktop.context import ServiceContext
from toda_desktop.errors import UserFacingError
from toda_desktop.export_purpose.catalog import (
    AGGREGATE_FUNCTION,
    IDENTIFIABLE_FUNCTION,
    ExportSpec,
)
from toda_desktop.export_purpose.model import DEFAULT_THRESHOLD, Purpose, validated

THRESHOLD_KEY = "export_bulk_threshold"
REFUSED = "export_refused"  # the audit action of an export refused here (no file, no entry)


@dataclass(frozen=True)
class Authorization:
    """What the export's audit entries carry (purpose, pupils, approval), and the approval
    used, if any."""

    detail: dict[str, Any] = field(default_factory=dict)
    approval_id: int | None = None


def threshold(ctx: ServiceContext) -> int:
    """The lead's number: an identifiable export of more pupils needs an approval."""
    text = ctx.db.call(lambda c: meta.get(c, THRESHOLD_KEY))
    return DEFAULT_THRESHOLD if text is None else int(text)


def purpose_entries(ctx: ServiceContext) -> list[str]:
    return [p.label for p in ctx.db.call(repo.purposes)]


def require_right(ctx: ServiceContext, spec: ExportSpec) -> None:
    """The map's function for this export (``export`` includes ``export_aggregate``)."""
    if spec.function == AGGREGATE_FUNCTION and ctx.gate.may(IDENTIFIABLE_FUNCTION):
        ctx.gate.require(IDENTIFIABLE_FUNCTION)  # (still asks the session)
        return
    ctx.gate.require(spec.function)


def _refuse(ctx: ServiceContext, spec: ExportSpec, target: str | None, reason: str,
            message: str, **extra: Any) -> UserFacingError:
    # Refused whether or not the log can take the entry (a busy store must not let it pass).
    with contextlib.suppress(Exception):
        ctx.log(REFUSED, outcome="denied", target=target,
                detail={"export": spec.key, "reason": reason, **extra})
    return UserFacingError(message)


MISSING = ("個人を特定できる出力には、出力の目的の指定が必要です。目的を一覧から選んでください"
           "（コマンドラインでは --purpose で指定します）。")


def authorize(ctx: ServiceContext, spec: ExportSpec, *, purpose: Purpose | None, pupils: int,
              scope: str = "", target: str | None = None) -> Authorization:
    """Check (and, with an approval, use) before the file: refused with a Japanese reason
    and an audit entry (出力の拒否) when anything is missing.

    ``pupils``: how many different pupils the file names (not rows); ``scope``: what an
    approval is bound to besides the export (a dataset kind's name, a month; "" for a
    result list); ``target``: the audit entry's target of a refusal."""
    require_right(ctx, spec)
    if not spec.needs_purpose:
        return Authorization()
    if purpose is None or not (purpose.choice.strip() or purpose.approval_id is not None):
        raise _refuse(ctx, spec, target, "no_purpose", MISSING)
    limit = threshold(ctx)
    detail: dict[str, Any] = {"export": spec.key, "pupils": pupils}
    if purpose.approval_id is None:
        stated = validated(purpose, purpose_entries(ctx))
        if pupils > limit or spec.approval_always:
            more = "" if spec.approval_always else f"{limit:,}人を超える"
            raise _refuse(
                ctx, spec, target, "no_approval",
                f"{more}この出力（{pupils:,}人分）には、事業全体総括職員の承認が必要です。"
                "出力の画面で承認を依頼し、承認されたら承認番号を指定して出力してください"
                "（コマンドラインでは --approval）。", pupils=pupils, threshold=limit)
        return Authorization({**detail, "purpose": stated.text})
    return _use_approval(ctx, spec, scope, target, purpose, pupils, detail)


def _use_approval(ctx: ServiceContext, spec: ExportSpec, scope: str, target: str | None,
                  purpose: Purpose, pupils: int, detail: dict[str, Any]) -> Authorization:
    approval_id = purpose.approval_id
    assert approval_id is not None
    row = ctx.db.call(lambda c: repo.approval(c, approval_id))
    now = ctx.now()
    number = f"承認番号 {approval_id} "
    why = None
    if row is None or row.requested_by != ctx.actor.login_id:
        why = ("not_found", f"{number}は、あなたの依頼にはありません。")
    elif row.status == "pending":
        why = ("pending", f"{number}はまだ承認されていません。")
    elif row.status == "declined":
        why = ("declined", f"{number}の依頼は承認されませんでした。")
    elif row.status == "used":
        why = ("used", f"{number}は既に使われています（承認は1回の出力に限ります）。")
    elif row.valid_until is None or row.valid_until < now:
        why = ("expired", f"{number}は有効期限が切れています。もう一度承認を依頼してください。")
    elif row.export != spec.key or row.target != scope:
        why = ("other_export", f"{number}は別の出力（{row.description}）のための承認です。")
    elif pupils > row.pupils:
        why = ("more_pupils", f"{number}で承認された人数（{row.pupils:,}人）より多い"
                              f"{pupils:,}人分は出力できません。")
    elif purpose.choice.strip() and Purpose(purpose.choice, purpose.note).text != row.purpose:
        why = ("other_purpose", f"{number}で承認された目的は「{row.purpose}」です。"
                                "目的を変えるときは、もう一度承認を依頼してください。")
    if why is None and not ctx.db.call(lambda c: repo.use(c, approval_id, now)):
        why = ("used", f"{number}は既に使われています（承認は1回の出力に限ります）。")
    if why is not None:
        raise _refuse(ctx, spec, target, why[0], why[1], approval=approval_id)
    assert row is not None
    return Authorization({**detail, "purpose": row.purpose, "approval": approval_id,
                          "approved_by": row.decided_by}, approval_id)


def release(ctx: ServiceContext, authorization: Authorization) -> None:
    """The file was not written: its approval may be used again (the same day)."""
    approval_id = authorization.approval_id
    if approval_id is not None:
        ctx.db.call(lambda c: repo.give_back(c, approval_id))
