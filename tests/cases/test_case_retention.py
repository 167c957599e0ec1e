"""Support cases follow the 'support' retention class: counted in the plan, deleted by the run
with everything in them (no page of any file keeps their text), five years after the pupil
left; a pupil still enrolled keeps them."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from storage.repos import leavers
from tests.retention.helpers import FIVE_YEARS_ON, sign_in
from tests.retention.pages import plaintext
from toda_desktop.cases.model import (
    ActionInput,
    CaseDomain,
    CommonSheet,
    MeetingInput,
    NoteKind,
)
from toda_desktop.composition import SignedIn


def _pages(signed: SignedIn) -> bytes:
    store = signed.store
    found = plaintext(store.path, bytes(store.keys.system))
    for group, path in zip(store.held_groups, store.group_files(), strict=True):
        found += plaintext(path, bytes(store.keys.groups[group.name]))
    return found


def _rows(signed: object, case_number: int) -> int:
    def count(conn: object) -> int:
        total = 0
        for table, column in (("case_files", "id"), ("case_meetings", "case_id"),
                              ("case_actions", "case_id"), ("case_notes", "case_id"),
                              ("case_history", "case_id")):
            total += int(conn.execute(  # type: ignore[attr-defined]
                f"SELECT count(*) FROM g_truancy.{table} WHERE {column} = ?",
                (case_number,)).fetchone()[0])
        return total
    return int(signed.store.db.call(count))  # type: ignore[attr-defined]


@pytest.mark.slow
def test_a_leavers_case_goes_with_the_support_class_and_a_current_pupils_stays(
    demo_store_path: Path
) -> None:
    lead = sign_in(demo_store_path, "project_lead", FIVE_YEARS_ON)
    try:
        gone = lead.store.db.call(leavers.leavers)[0].pupil_id
        current = int(lead.store.db.call(lambda c: c.execute(
            "SELECT pupil_id FROM ds_enrollments WHERE school_year ="
            " (SELECT max(school_year) FROM ds_enrollments) LIMIT 1").fetchone()[0]))
        cases = {}
        for pupil in (gone, current):
            case = lead.cases.open_case(pupil, CaseDomain.TRUANCY, title="経過観察",
                                        common=CommonSheet(family=f"家庭の事情{pupil}号"))
            lead.cases.add_meeting(case.key, MeetingInput(
                date(2024, 1, 15), actions=(ActionInput(f"面談{pupil}番"),)))
            lead.cases.add_note(case.key, NoteKind.HEALTH, f"通院中{pupil}番")
            cases[pupil] = int(case.key.split(":")[1])
        assert _rows(lead, cases[gone]) > 0
        # drafts: the leaver's (of the case, and of a case not yet made), a leaver's without
        # any case, one of the current pupil's case, and one expired long ago
        no_case = next(p.pupil_id for p in lead.store.db.call(leavers.leavers)
                       if p.pupil_id != gone)
        for form, pupil, case_key in (
                ("common", gone, f"truancy:{cases[gone]}"), ("new", gone, None),
                ("new", no_case, None), ("common", current, f"truancy:{cases[current]}"),
                ("old", current, None)):
            lead.cases.save_draft(CaseDomain.TRUANCY, f"{form}:{pupil}",
                                  {"family": f"下書き{form}{pupil}号"}, case=case_key,
                                  pupil_id=None if case_key else pupil)
        old = (lead.context.now() - timedelta(days=40)).isoformat(timespec="seconds")
        lead.store.db.call(lambda c: c.execute(
            "UPDATE g_truancy.case_drafts SET saved_at = ? WHERE form_key = ?",
            (old, f"old:{current}")), kind="long_absence")

        plan = lead.retention.make_plan()
        lines = [line for line in plan.lines if line.kind == "support_cases"]
        assert [(line.label, line.class_label, line.records, line.pupils) for line in lines] == [
            ("支援ケース（ケース会議の記録など）", "支援に関する記録", 1, 1)]
        result = lead.retention.run(lead.retention.approve(plan.id).id)
        assert result.related.get("case_items", 0) > 0
        assert _rows(lead, cases[gone]) == 0
        assert _rows(lead, cases[current]) > 0
        still = {c.pupil_id for c in lead.cases.list_cases(statuses=())}
        assert current in still and gone not in still
        pages = _pages(lead)
        for text in (f"家庭の事情{gone}号", f"面談{gone}番", f"通院中{gone}番"):
            assert text.encode() not in pages
        assert f"家庭の事情{current}号".encode() in pages
        left = lead.store.db.call(lambda c: sorted(str(r[0]) for r in c.execute(
            "SELECT form_key FROM g_truancy.case_drafts")), kind="long_absence")
        assert left == [f"common:{current}"]
        for text in (f"下書きcommon{gone}号", f"下書きnew{gone}号", f"下書きnew{no_case}号",
                     f"下書きold{current}号"):
            assert text.encode() not in pages
    finally:
        lead.sign_out()
