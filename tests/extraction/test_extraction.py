"""Conditions as data: thresholds, changes, counts in a window, membership, AND/OR/NOT;
saving and re-running; export; and the permission map over fields and runs."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.registry import default_registry
from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD, TEST_SCRYPT_N, copy_store
from tests.extraction import town
from tests.search.helpers import add_rows, demo_sessions, sign_in
from toda_desktop.audit.service import AuditFilter
from toda_desktop.composition import SignedIn
from toda_desktop.errors import OperationCancelled, PermissionDenied, UserFacingError
from toda_desktop.export_purpose.model import Purpose
from toda_desktop.extraction import (
    Change,
    CountInWindow,
    Extraction,
    FieldMeasure,
    FieldTest,
    Group,
    Membership,
    Period,
    SurveyPositivity,
    Threshold,
    from_json,
    push_support_preset,
    to_json,
)
from toda_desktop.extraction.engine import describe, validate
from toda_desktop.extraction.service import ExtractionService
from toda_desktop.formatting import format_phrase
from toda_desktop.store_setup import create_empty_store

PURPOSE = Purpose("ケース会議の資料")  # (the purpose rules: test_export_purpose.py)

@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SignedIn]:
    path = tmp_path_factory.mktemp("extraction-town") / "town.tdb"
    create_empty_store(path, "test", LEAD_LOGIN, LEAD_PASSWORD,
                       scrypt_n=TEST_SCRYPT_N).store.close()
    session = sign_in(path, LEAD_LOGIN, LEAD_PASSWORD)
    town.build(session)
    yield session
    session.sign_out()


@pytest.fixture(autouse=True)
def _no_leaked_threads() -> None:
    """Module-scoped sessions; their fixtures close them."""


def run(signed: SignedIn, *items: object, op: str = "and",
        year: int | None = None) -> dict[str, list[str]]:
    extraction = Extraction("テスト", Group(op, tuple(items)))  # type: ignore[arg-type]
    result = ExtractionService(signed.context).run(extraction, school_year=year)
    return {r.name.split("　")[1]: [format_phrase(v.value) for v in r.values]
            for r in result.rows}


def test_threshold_in_any_month(signed: SignedIn) -> None:
    found = run(signed, Threshold("attendance_monthly", "absence_days", ">=", 5))
    assert found == {"P1": ["7（2025年6月）"]}  # P3's 9 days were the year before
    found = run(signed, Threshold("attendance_monthly", "absence_days", ">=", 5, period=None))
    assert set(found) == {"P1", "P3"}
    found = run(signed, Threshold("attendance_monthly", "absence_days", ">=", 5,
                                  period=Period(-1, month=6)))
    assert found == {"P3": ["9（2024年6月）"]}


def test_threshold_on_an_aggregate(signed: SignedIn) -> None:
    found = run(signed, Threshold("academic_results", "level", "<=", 4, aggregate="avg"))
    assert set(found) == {"P4", "P5", "P6", "P7", "P8", "P9"}
    assert found["P4"] == ["平均 4"]
    found = run(signed, Threshold("survey_responses", "answer", ">=", 1, aggregate="count",
                                  where=(FieldTest("survey_code", "==", "HAPPY"),)))
    assert len(found) == 10 and found["P1"] == ["件数 4"]


def test_membership(signed: SignedIn) -> None:
    found = run(signed, Threshold("enrollments", "seat_number", "in", (1, 2, 10)))
    assert set(found) == {"P1", "P2", "P10"}
    found = run(signed, Threshold("enrollments", "school_code", "in", ("11101",)),
                Threshold("students", "sex", "==", "女", period=None))
    assert set(found) == {"P2", "P4", "P6", "P8", "P10"}
    assert found["P2"] == ["11101（2025年度）", "女"]


def test_changes_between_years_and_rounds(signed: SignedIn) -> None:
    found = run(signed, Change(FieldMeasure("academic_results", "level"), Period(-1), Period(0),
                               "rose"))
    assert found == {"P3": ["2024年度 4.0 → 2025年度 5.0（+1.0）"]}
    found = run(signed, Change(SurveyPositivity("HAPPY", domain="生活"),
                               Period(0, round=1), Period(0, round=2), "rose"))
    assert set(found) == {"P5"}  # the reversed item: 3 (no) → 2 (yes)
    found = run(signed, Change(SurveyPositivity("LESSON", subject="算数"),
                               Period(0, round=1), Period(0, round=2), "fell", amount=100))
    assert set(found) == {"P1", "P3", "P5", "P6", "P7", "P8", "P9", "P10"}  # 算数 100% → 0%


def test_counts_over_a_window(signed: SignedIn) -> None:
    found = run(signed, CountInWindow("health_room_visits", min_count=3, window_days=30))
    assert found == {"P4": ["最多3回（2025年5月25日までの30日間）"]}
    # P5: 5/1, 6/15, 8/1 (93 days); P6: 9/1, 9/8, 11/20 (81 days)
    assert set(run(signed, CountInWindow("health_room_visits", 3, 100))) == {"P4", "P5", "P6"}
    assert set(run(signed, CountInWindow("health_room_visits", 3, 92))) == {"P4", "P6"}
    found = run(signed, CountInWindow("health_room_visits", 2, 10,
                                      where=(FieldTest("symptom", "==", "心因"),)))
    assert set(found) == {"P6"}


def test_and_or_not(signed: SignedIn) -> None:
    visits = CountInWindow("health_room_visits", 3, 100)
    absent = Threshold("attendance_monthly", "absence_days", ">=", 5)
    assert set(run(signed, visits, absent, op="or")) == {"P1", "P4", "P5", "P6"}
    assert set(run(signed, visits, absent, op="and")) == set()
    not_p = Group("or", (visits, absent), negate=True)
    assert set(run(signed, not_p)) == {f"P{i}" for i in (2, 3, 7, 8, 9, 10)}
    off = Threshold("attendance_monthly", "absence_days", ">=", 5, enabled=False)
    assert len(run(signed, off)) == 10  # nothing switched on: the whole population
    negated = run(signed, Threshold("long_absence", "absence_days", ">=", 30, aggregate="max",
                                    negate=True))
    assert "P6" not in negated and negated["P9"] == ["最大 20"]


def test_condition_counts_help_tuning(signed: SignedIn) -> None:
    result = ExtractionService(signed.context).run(push_support_preset())
    assert result.population == 10
    assert [c.pupils for c in result.counts] == [9, 8, 9, 9]


def test_a_run_reports_progress_and_can_be_cancelled(signed: SignedIn) -> None:
    service = ExtractionService(signed.context)
    seen: list[float] = []
    result = service.run(push_support_preset(), progress=seen.append)
    assert seen == sorted(set(seen)) and seen[-1] == 1.0
    assert len(seen) == len(result.conditions) == 4
    with pytest.raises(OperationCancelled) as caught:
        service.run(push_support_preset(), cancel=lambda: True)
    assert str(caught.value) == "抽出を中止しました。"
    saved = service.save(push_support_preset())
    calls: list[float] = []
    with pytest.raises(OperationCancelled):  # stops between conditions
        service.run_saved(saved.id, progress=calls.append, cancel=lambda: bool(calls))
    assert calls == [0.25]


def test_json_round_trip_and_relative_years() -> None:
    preset = push_support_preset()
    assert from_json(to_json(preset)) == preset
    tree = Extraction("複合", Group("or", (
        CountInWindow("health_room_visits", 3, 30, where=(FieldTest("symptom", "in",
                                                                   ("内科", "心因")),)),
        Group("and", (Membership("grade", (4, 5)),), negate=True),
    )), school_year=2025, description="説明")
    assert from_json(to_json(tree)) == tree
    with pytest.raises(UserFacingError):
        from_json('{"name": "x", "root": {"type": "bogus"}}')
    with pytest.raises(UserFacingError):
        from_json("not json")


def test_change_directions() -> None:
    fell = Change(SurveyPositivity("X"), Period(0, round=1), Period(0, round=2))
    assert fell.holds(50, 40) and not fell.holds(50, 50)
    assert Change(fell.measure, fell.before, fell.after, "fell", 10).holds(50, 40)
    assert not Change(fell.measure, fell.before, fell.after, "fell", 10.5).holds(50, 40)
    same = Change(fell.measure, fell.before, fell.after, "same_or_fell")
    assert same.holds(5, 5) and same.holds(5, 4) and not same.holds(5, 5.5)
    assert Change(fell.measure, fell.before, fell.after, "same_or_rose").holds(5, 5)


def test_validation_says_what_is_wrong_in_japanese() -> None:
    registry = default_registry()
    bad = [
        Threshold("nope", "x", ">=", 1),
        Threshold("schools", "school_name", "==", "x"),  # not a pupil dataset
        Threshold("attendance_monthly", "nope", ">=", 1),
        Threshold("attendance_monthly", "absence_days", "LIKE", 1),
        Threshold("attendance_monthly", "absence_days", ">=", 1, aggregate="median"),
        Threshold("students", "name", ">=", 1, aggregate="sum"),
        CountInWindow("attendance_monthly", 3, 30),  # no event date
        CountInWindow("health_room_visits", 0, 30),
        Change(FieldMeasure("students", "name"), Period(-1), Period(0)),
        Change(FieldMeasure("academic_results", "level"), Period(-1), Period(0), "sideways"),
    ]
    for leaf in bad:
        with pytest.raises(UserFacingError) as info:
            validate(Extraction("x", Group("and", (leaf,))), registry)
        assert info.value.message_ja
    with pytest.raises(UserFacingError, match="名前"):
        validate(Extraction(" ", Group()), registry)
    validate(Extraction("x", Group("and", (Threshold("nope", "x", ">=", 1, enabled=False),))),
             registry)


def test_descriptions_read_as_japanese() -> None:
    registry = default_registry()
    text = format_phrase(describe(Threshold("attendance_monthly", "absence_days", ">=", 5,
                                            period=Period(0, month=6)), registry, 2025))
    assert text == "出欠状況（月次） 2025年度 6月: 欠席日数が5以上（いずれかの記録）"
    text = format_phrase(describe(CountInWindow("health_room_visits", 3, 30), registry))
    assert text == "保健室利用が当該年度に30日以内で3回以上"
    text = format_phrase(describe(
        Change(SurveyPositivity("LESSON"), Period(0, round=1), Period(0, round=2)),
        registry, 2025))
    assert text == "授業がわかる調査の肯定的回答の割合が2025年度 第1回→2025年度 第2回で低下"


def test_saved_extractions_rerun_on_new_data(signed: SignedIn) -> None:
    service = ExtractionService(signed.context)
    saved = service.save(push_support_preset())
    assert saved.created_by == LEAD_LOGIN
    again = service.save(push_support_preset())  # same name: replaced, not duplicated
    assert again.id == saved.id
    assert [s.name for s in service.saved()] == [saved.name]
    before = {r.pupil_id for r in service.run_saved(saved.id).rows}
    # New data: P4's lesson answers of round 2 change, so P4's lesson positivity now falls.
    add_rows(signed.store, "survey_responses", [
        {"address_code": town.address("P4"), "survey_code": "LESSON", "school_year": 2025,
         "round": 3, "survey_date": "2026-02-10", "subject": "国語", "item_code": "LE-1",
         "answer": 1}], source="追加.csv")
    preset_r3 = push_support_preset()
    lesson = preset_r3.root.items[2]
    assert isinstance(lesson, Change)
    from dataclasses import replace

    changed = replace(lesson, after=Period(0, round=3))
    tree = preset_r3.with_root(replace(preset_r3.root, items=(
        *preset_r3.root.items[:2], changed, preset_r3.root.items[3])))
    renamed = replace(tree, name="第3回で比較")
    second = service.save(renamed)
    assert town.name("P4") in {r.name for r in service.run_saved(second.id).rows}
    assert {r.pupil_id for r in service.run_saved(saved.id).rows} == before
    service.delete(second.id)
    assert [s.name for s in service.saved()] == [saved.name]
    with pytest.raises(UserFacingError):
        service.get(second.id)


def test_export_holds_the_visible_columns_and_is_logged(signed: SignedIn, tmp_path: Path) -> None:
    service = ExtractionService(signed.context)
    result = service.run(push_support_preset())
    out = service.export(result, tmp_path / "push.csv", purpose=PURPOSE)
    assert out.rows == len(result.rows)
    with (tmp_path / "push.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:8] == ["宛名番号", "氏名", "カナ", "学校", "学年", "組", "番号", "生年月日"]
    assert rows[0][8:] == [format_phrase(c) for c in result.conditions]
    assert {r[1] for r in rows[1:]} == {town.name(p) for p in town.EXPECTED}
    service.export(result, tmp_path / "push.xlsx", purpose=PURPOSE)
    assert (tmp_path / "push.xlsx").stat().st_size > 0
    entries = signed.audit_view.entries(AuditFilter(action="export"))
    assert entries[0].target_text == f"抽出 {result.name}"
    runs = signed.audit_view.entries(AuditFilter(action="extraction"))
    assert runs and result.name in (runs[0].target or "")


# -- roles (demo city) ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(_demo_store_template: Path, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[dict[str, SignedIn]]:
    path = copy_store(_demo_store_template, tmp_path_factory.mktemp("extr-roles") / "d.tdb")
    with demo_sessions(path, ("project_lead", "truancy_support", "bullying_support",
                              "liaison", "it_admin")) as s:
        yield s


def test_fields_list_only_what_the_role_sees(demo: dict[str, SignedIn]) -> None:
    kinds = {r: {f.kind for f in ExtractionService(s.context).fields()}
             for r, s in demo.items() if r != "it_admin"}
    assert kinds["truancy_support"] == {"students", "enrollments", "attendance_monthly",
                                        "attendance_term", "health_room_visits", "long_absence",
                                        "consultations"}
    assert kinds["bullying_support"] == {"students", "enrollments", "bullying_records"}
    assert kinds["liaison"] == {"students", "enrollments", "infant_checkups", "preschool"}
    assert {"academic_results", "survey_responses"} <= kinds["project_lead"]
    fields = {(f.kind, f.field) for f in ExtractionService(demo["project_lead"].context).fields()}
    assert ("students", "address_code") not in fields and ("students", "name") not in fields
    assert ("enrollments", "school_code") in fields
    assert ExtractionService(demo["truancy_support"].context).surveys() == ()
    codes = {s.code for s in ExtractionService(demo["project_lead"].context).surveys()}
    assert {"LESSON", "HAPPY"} <= codes


def test_a_run_on_unseen_data_is_refused_and_logged(demo: dict[str, SignedIn]) -> None:
    truancy = ExtractionService(demo["truancy_support"].context)
    with pytest.raises(PermissionDenied):
        truancy.run(push_support_preset())
    # With the academic and survey criteria switched off the preset is within its map.
    from toda_desktop.extraction import PushSupportOptions

    own = push_support_preset(PushSupportOptions(academic=False, lesson=False, happy=False))
    assert truancy.run(own).rows
    lead = demo["project_lead"]
    rows = lead.audit_view.entries(AuditFilter(actor="demo-truancy",
                                                             action="permission_denied"))
    assert any(r.target_text == "抽出: 県学調結果" for r in rows)
    with pytest.raises(PermissionDenied):
        ExtractionService(demo["bullying_support"].context).run(Extraction("x", Group("and", (
            Threshold("consultations", "consult_type", "==", "SC"),))))


def test_the_preset_is_offered_only_with_criteria_the_role_can_use(
    demo: dict[str, SignedIn]
) -> None:
    """Found by QA: the preset button was offered to roles for which it could only fail."""
    lead = ExtractionService(demo["project_lead"].context)
    assert lead.push_support_locked() == frozenset()
    full = lead.push_support_options()
    assert full is not None and full.academic and full.lesson and full.happy
    for role in ("truancy_support", "bullying_support", "liaison"):
        assert ExtractionService(demo[role].context).push_support_options() is None
    assert ExtractionService(demo["truancy_support"].context).push_support_locked() == frozenset(
        {"academic", "lesson", "happy"})  # 長期欠席 is truancy data: that switch stays


def test_saved_extractions_say_whether_a_role_can_use_them(demo: dict[str, SignedIn],
                                                           tmp_path: Path) -> None:
    lead = ExtractionService(demo["project_lead"].context)
    saved = lead.save(push_support_preset())
    listed = {s.id: s for s in ExtractionService(demo["truancy_support"].context).saved()}
    assert saved.id not in listed  # it reads 県学調結果: not even listed (issue 12, 13)
    with pytest.raises(PermissionDenied):
        ExtractionService(demo["truancy_support"].context).run_saved(saved.id)
    with pytest.raises(PermissionDenied):
        ExtractionService(demo["truancy_support"].context).delete(saved.id)
    result = lead.run(push_support_preset())
    with pytest.raises(PermissionDenied):  # no export function for this role
        ExtractionService(demo["truancy_support"].context).export(result, tmp_path / "x.csv",
                                                                  purpose=PURPOSE)
    assert not (tmp_path / "x.csv").exists()


def test_the_it_admin_cannot_extract(demo: dict[str, SignedIn]) -> None:
    it = ExtractionService(demo["it_admin"].context)
    for action in (it.fields, it.saved, lambda: it.run(push_support_preset())):
        with pytest.raises(PermissionDenied):
            action()
