"""Only a key's holder renews it, and アカウント管理 says so (QA of issue 12's key groups).

The IT administrator holds no data key: asking it to renew the keys due used to answer
"renewed" and write a fresh 「更新待ち 成功」 entry for each click while nothing changed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.keys import KeyFile
from tests.services.test_key_grants import NEW_PASSWORD, _app
from toda_desktop.audit.service import AuditFilter
from toda_desktop.errors import UserFacingError
from toda_desktop.store_setup import DEMO_PASSWORD


def _actions(app_session: object, after_id: int = 0) -> list[tuple[str, str, str]]:
    rows = app_session.audit_view.entries(AuditFilter())  # type: ignore[attr-defined]
    return [(r.actor, r.action, r.outcome_label) for r in rows if r.id > after_id]


def _last_id(app_session: object) -> int:
    rows = app_session.audit_view.entries(AuditFilter())  # type: ignore[attr-defined]
    return max(r.id for r in rows)


def test_the_it_admin_cannot_renew_a_key_it_does_not_hold_and_nothing_is_logged_as_done(
    demo_store_path: Path,
) -> None:
    app = _app(demo_store_path)
    it = app.sign_in("demo-it", DEMO_PASSWORD)
    it.account_admin.change_role("demo-liaison", "bullying_support")  # other_department due
    due = it.account_admin.due_rotations()
    assert due.labels == ("他部局",)
    assert due.renewable == ()
    assert due.holders == ("事業全体総括職員",)
    generations = dict(KeyFile.load(demo_store_path).generations)
    before = _last_id(it)
    for _click in range(2):
        with pytest.raises(UserFacingError, match="事業全体総括職員）だけが更新できます"):
            it.account_admin.complete_rotations()
    added = _actions(it, after_id=before)
    assert added  # the refusals are on record
    assert ("demo-it", "key_rotation_due", "成功") not in added
    assert ("demo-it", "key_rotated", "成功") not in added
    assert all(outcome != "成功" for _actor, action, outcome in added if action.startswith("key"))
    assert it.account_admin.rotations_due() == ("他部局",)
    it.sign_out()
    assert dict(KeyFile.load(demo_store_path).generations) == generations


def test_the_holder_renews_the_keys_due_and_is_told_which(demo_store_path: Path) -> None:
    app = _app(demo_store_path)
    it = app.sign_in("demo-it", DEMO_PASSWORD)
    it.account_admin.change_role("demo-liaison", "bullying_support")
    it.sign_out()
    lead = app.sign_in("demo-lead", DEMO_PASSWORD)
    due = lead.account_admin.due_rotations()
    assert due.renewable == ("他部局",) and due.others_message == ""
    assert lead.account_admin.complete_rotations() == ("他部局",)
    assert lead.account_admin.due_rotations().labels == ()
    assert lead.account_admin.complete_rotations() == ()  # nothing due: nothing logged
    rotated = [a for a in _actions(lead) if a[1] == "key_rotated"]
    lead.sign_out()
    assert rotated == [("demo-lead", "key_rotated", "成功")]


def test_a_key_already_due_is_not_logged_as_due_again(demo_store_path: Path) -> None:
    app = _app(demo_store_path)
    it = app.sign_in("demo-it", DEMO_PASSWORD)
    it.account_admin.change_role("demo-liaison", "bullying_support")  # other_department due
    it.account_admin.set_enabled("demo-center", False)  # held every group
    it.sign_out()
    lead = app.sign_in("demo-lead", DEMO_PASSWORD)
    due_details = [r.detail_text for r in lead.audit_view.entries(AuditFilter())
                   if r.action == "key_rotation_due"]
    lead.sign_out()
    assert len(due_details) == 2
    assert sum("他部局" in text for text in due_details) == 1, due_details


def test_group_labels_name_each_key_once_in_plain_words(demo_store_path: Path) -> None:
    app = _app(demo_store_path)
    it = app.sign_in("demo-it", DEMO_PASSWORD)
    waits = it.account_admin.create("new-lead", "新任 総括", "project_lead", NEW_PASSWORD)
    it.sign_out()
    assert waits is not None and waits.waiting_for_owner
    labels = waits.missing_labels
    assert len(set(labels)) == len(labels)
    assert {"保健室利用", "学校健診", "学校（個人情報なし）", "他部局"} <= set(labels)
    assert not any("関連" in label for label in labels)


def test_creating_tells_whether_the_new_account_still_waits_for_keys(
    demo_store_path: Path,
) -> None:
    app = _app(demo_store_path)
    lead = app.sign_in("demo-lead", DEMO_PASSWORD)
    assert lead.account_admin.create("by-lead", "新任 分析", "data_analyst", NEW_PASSWORD) is None
    lead.sign_out()
    it = app.sign_in("demo-it", DEMO_PASSWORD)
    waits = it.account_admin.create("by-it", "新任 分析", "data_analyst", NEW_PASSWORD)
    it.sign_out()
    assert waits is not None and waits.waiting_for_owner and not waits.can_complete
