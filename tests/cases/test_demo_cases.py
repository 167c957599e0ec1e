"""The demo city comes with a few cases in each domain, so the case pages show something."""

from __future__ import annotations

from toda_desktop.cases.model import CaseDomain
from toda_desktop.composition import SignedIn


def test_the_demo_city_has_cases_with_a_reviewed_meeting_and_a_review_due_soon(
    sessions: dict[str, SignedIn]
) -> None:
    lead = sessions["project_lead"].cases
    demo = [c for c in lead.list_cases() if c.opened_by.startswith("デモ 総括")]
    assert {c.domain for c in demo} == set(CaseDomain)
    detail = lead.read_case(demo[0].key)
    assert len(detail.meetings) == 2 and detail.meetings[0].review is not None
    reviewed = detail.meetings[0]
    assert reviewed.review is not None  # every action answered, and moved on from 未着手
    assert {o.action_id for o in reviewed.review.outcomes} == {a.id for a in reviewed.actions}
    assert all(a.status.value != "planned" for a in reviewed.actions)
    assert detail.meetings[1].review is None and detail.meetings[1].actions
    assert all(c.pupil_name and c.next_review for c in demo)
    due = {d.case_key for d in sessions["truancy_support"].cases.reviews_due()}
    truancy = {c.key for c in demo if c.domain is CaseDomain.TRUANCY}
    assert truancy and truancy <= due
