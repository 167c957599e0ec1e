"""A key holder renews data keys on purpose (a suspected leak), and sessions elsewhere that
still hold the old key are stopped with a clear message instead of writing into a file that
is no longer the store's (issue 13)."""

from __future__ import annotations

from pathlib import Path

import pytest

from devices import Scanner, scanner_for_store
from storage.errors import KeysRenewed
from storage.keys import KeyFile
from toda_desktop.accounts.grants import ROTATIONS_DUE
from toda_desktop.audit.service import AuditFilter
from toda_desktop.composition import Application, SignedIn
from toda_desktop.errors import PermissionDenied, UserFacingError
from toda_desktop.store_setup import DEMO_PASSWORD

GROUP = "bullying"


def _scanner(kind: str) -> Scanner:
    return scanner_for_store(kind)


def _sign_in(path: Path, login: str) -> SignedIn:
    return Application(path, scanner_factory=_scanner).sign_in(login, DEMO_PASSWORD)


def _renewals(signed: SignedIn) -> list[tuple[str, str]]:
    return [(r.outcome_label, r.detail_text) for r in reversed(
        signed.audit_view.entries(AuditFilter(action="key_rotated")))]


def test_the_lead_renews_a_key_for_a_suspected_leak_and_both_steps_are_logged(
    demo_store_path: Path,
) -> None:
    lead = _sign_in(demo_store_path, "demo-lead")
    try:
        before = {s.group: s for s in lead.key_rotation.key_groups()}
        assert before[GROUP].held and before[GROUP].holders >= 2
        progress: list[float] = []
        renewed = lead.key_rotation.rotate([GROUP], "leak_suspected", progress=progress.append)
        assert renewed == (before[GROUP].label,)
        assert progress[-1] == 1.0
        after = {s.group: s for s in lead.key_rotation.key_groups()}
        assert after[GROUP].generation == before[GROUP].generation + 1
        assert after[GROUP].holders == before[GROUP].holders  # every holder keeps it
        assert _renewals(lead)[-2:] == [
            ("開始", "理由: 漏えいの疑い"), ("成功", "鍵の世代: 2、理由: 漏えいの疑い")]
    finally:
        lead.sign_out()
    holder = _sign_in(demo_store_path, "demo-bullying")  # the other holder reads on
    try:
        assert holder.store.keys.holds(GROUP)
        assert holder.overview() is not None
    finally:
        holder.sign_out()


def test_no_reason_or_a_key_not_held_is_refused_and_the_refusal_logged(
    demo_store_path: Path,
) -> None:
    it = _sign_in(demo_store_path, "demo-it")
    try:
        states = it.key_rotation.key_groups()
        assert states and not any(s.held for s in states)  # the IT administrator holds none
        with pytest.raises(UserFacingError, match="理由"):
            it.key_rotation.rotate([GROUP], "because")
        with pytest.raises(PermissionDenied, match="お持ちでないため"):
            it.key_rotation.rotate([GROUP], "leak_suspected")
    finally:
        it.sign_out()
    assert KeyFile.load(demo_store_path).generations[GROUP] == 1
    lead = _sign_in(demo_store_path, "demo-lead")
    try:
        assert ("拒否", "データの鍵の区分: いじめ、理由: 鍵を持っていない") in _renewals(lead)
    finally:
        lead.sign_out()


def test_a_role_without_admin_cannot_list_or_renew_keys(demo_store_path: Path) -> None:
    holder = _sign_in(demo_store_path, "demo-bullying")
    try:
        with pytest.raises(PermissionDenied):
            holder.key_rotation.key_groups()
        with pytest.raises(PermissionDenied):
            holder.key_rotation.rotate([GROUP], "leak_suspected")
    finally:
        holder.sign_out()


def test_a_key_renewed_on_purpose_is_no_longer_waiting_to_be_renewed(
    demo_store_path: Path,
) -> None:
    lead = _sign_in(demo_store_path, "demo-lead")
    try:
        lead.store.db.call(lambda c: c.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
            (ROTATIONS_DUE, f'["{GROUP}", "attendance-truancy"]')))
        assert {s.group for s in lead.key_rotation.key_groups() if s.due} == {
            GROUP, "attendance-truancy"}
        lead.key_rotation.rotate([GROUP], "holder_left")
        assert {s.group for s in lead.key_rotation.key_groups() if s.due} == {
            "attendance-truancy"}
    finally:
        lead.sign_out()


def test_a_session_holding_the_old_key_is_asked_to_sign_in_again_and_writes_nothing(
    demo_store_path: Path,
) -> None:
    other = _sign_in(demo_store_path, "demo-bullying")  # another PC, signed in before
    lead = _sign_in(demo_store_path, "demo-lead")
    try:
        assert other.overview() is not None
        lead.key_rotation.rotate([GROUP], "leak_suspected")
        for call in (other.overview, lambda: other.search.search("デモ"),
                     lambda: other.own_password.change_password(
                         DEMO_PASSWORD, "another passphrase 99")):
            with pytest.raises(UserFacingError, match="もう一度サインインしてください"):
                call()
        with pytest.raises(KeysRenewed):  # nor can it give the old key to anyone
            other.store.grant_groups("demo-lead", [GROUP])
        denied = [r.detail_text for r in lead.audit_view.entries(
            AuditFilter(actor="demo-bullying", action="permission_denied"))]
        assert denied == ["理由: 別の画面でのデータの鍵の更新"]  # logged once
    finally:
        other.sign_out()
        lead.sign_out()
    again = _sign_in(demo_store_path, "demo-bullying")  # signing in again is all it takes
    try:
        assert again.overview() is not None
    finally:
        again.sign_out()
