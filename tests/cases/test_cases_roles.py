"""Who sees and changes which cases: the map's domains and the keys of their files."""

from __future__ import annotations

import pytest

from toda_desktop.audit.service import AuditFilter
from toda_desktop.cases.model import CaseDomain, CaseStatus, CommonSheet
from toda_desktop.composition import SignedIn
from toda_desktop.errors import PermissionDenied


def test_a_case_opened_by_truancy_support_is_read_back_with_its_common_sheet(
    sessions: dict[str, SignedIn], pupil: int
) -> None:
    cases = sessions["truancy_support"].cases
    made = cases.open_case(pupil, CaseDomain.TRUANCY, title="登校しぶり",
                           common=CommonSheet(profile="絵が得意", family="母と二人"))
    assert made.key.startswith("truancy:") and made.status is CaseStatus.OPEN
    assert made.pupil_name and made.label.startswith("不登校-")
    detail = cases.read_case(made.key)
    assert detail.common == CommonSheet("絵が得意", "母と二人", "")
    assert detail.summary.title == "登校しぶり"
    assert made.key in {c.key for c in cases.list_cases()}


def test_each_support_role_sees_only_its_own_domains_cases(
    sessions: dict[str, SignedIn], pupil: int
) -> None:
    truancy = sessions["truancy_support"].cases.open_case(pupil, CaseDomain.TRUANCY)
    bullying = sessions["bullying_support"].cases.open_case(pupil, CaseDomain.BULLYING)
    consult = sessions["project_lead"].cases.open_case(pupil, CaseDomain.CONSULTATION)
    seen = {role: {c.key for c in sessions[role].cases.list_cases()}
            for role in ("truancy_support", "bullying_support", "project_lead", "director")}
    assert {truancy.key, consult.key} <= seen["truancy_support"]
    assert bullying.key not in seen["truancy_support"]
    assert bullying.key in seen["bullying_support"]
    assert not {truancy.key, consult.key} & seen["bullying_support"]
    assert {truancy.key, bullying.key, consult.key} <= seen["project_lead"]
    assert {truancy.key, bullying.key, consult.key} <= seen["director"]
    with pytest.raises(PermissionDenied):
        sessions["truancy_support"].cases.read_case(bullying.key)
    with pytest.raises(PermissionDenied):
        sessions["bullying_support"].cases.read_case(truancy.key)


def test_viewing_roles_without_case_edit_cannot_open_or_change_cases(
    sessions: dict[str, SignedIn], pupil: int
) -> None:
    made = sessions["project_lead"].cases.open_case(pupil, CaseDomain.TRUANCY)
    director = sessions["director"].cases
    assert director.read_case(made.key).may_edit is False
    with pytest.raises(PermissionDenied):
        director.open_case(pupil, CaseDomain.TRUANCY)
    with pytest.raises(PermissionDenied):
        director.update_common(made.key, CommonSheet(profile="書き換え"))
    for role in ("liaison", "it_admin"):
        with pytest.raises(PermissionDenied):
            sessions[role].cases.read_case(made.key)
        assert sessions[role].cases.domains() == ()


def test_reading_a_case_is_audit_logged_with_its_pupil(
    sessions: dict[str, SignedIn], pupil: int
) -> None:
    made = sessions["truancy_support"].cases.open_case(pupil, CaseDomain.TRUANCY)
    sessions["director"].cases.read_case(made.key)
    entries = sessions["project_lead"].audit_view.entries(
        AuditFilter(action="case_view", pupil_id=pupil))
    assert any(e.actor == "demo-director" for e in entries)
