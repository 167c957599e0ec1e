"""Who approved a research extract: the one place the rule sits (issue 13, 目的と承認).

A research extract is 仮名加工情報, still personal data: it is made for a registered project
with a stated purpose, and the project lead approves it. When the maker holds
``research_approve`` (the project lead in the default map), the maker is the approver; any
other maker needs a project the lead has approved (``ResearchService.approve_project``), and
the approver recorded is that lead. The purpose helper's general export approvals, when they
land, replace ``approver_for`` (the service calls nothing else for the decision).
"""

from __future__ import annotations

from storage.repos.research import ProjectRow
from toda_desktop.context import ServiceContext
from toda_desktop.errors import PermissionDenied

APPROVE = "research_approve"
NOT_APPROVED = ("研究プロジェクト「{name}」は、事業全体総括職員の承認がまだありません。"
                "承認を受けてから作成してください。")


def approver_for(ctx: ServiceContext, project: ProjectRow) -> str:
    """The login ID recorded as the extract's approver, or a refusal (logged)."""
    if ctx.gate.may(APPROVE):
        return ctx.actor.login_id
    if project.approved_by is None:
        ctx.log("permission_denied", outcome="denied", target=f"research_extract:{project.name}",
                detail={"reason": "not_approved"})
        raise PermissionDenied(NOT_APPROVED.format(name=project.name))
    return project.approved_by
