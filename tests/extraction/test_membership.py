"""Membership (在籍している学校・学年) is a condition type of its own (issue 11).

An older version saved it as an ``in`` Threshold on the enrollments' school or grade; such
definitions keep loading (as a Membership) and find the same pupils as before, which is
checked on the small demo city against the threshold the older version evaluated.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from storage.connection import Connection, transaction
from storage.registry import default_registry
from storage.repos import extraction as saved_repo
from tests.conftest import copy_store
from tests.search.helpers import demo_sessions
from toda_desktop.composition import SignedIn
from toda_desktop.errors import UserFacingError
from toda_desktop.extraction import (
    Extraction,
    FieldTest,
    Group,
    Membership,
    Period,
    Threshold,
    from_json,
    to_json,
)
from toda_desktop.extraction.engine import describe, kinds_used, validate
from toda_desktop.extraction.service import ExtractionResult, ExtractionService
from toda_desktop.formatting import format_phrase

# What the 所属 editor of the older version saved: written out by hand, as it lies in the store.
OLD_SCHOOL = {
    "type": "threshold", "kind": "enrollments", "field": "school_code", "op": "in",
    "value": ["SCHOOL"], "period": {"type": "period", "year_offset": -1, "round": None,
                                    "month": None},
    "aggregate": "any", "where": [], "label": "学校が第一小学校のいずれか（前年度）",
    "enabled": True, "negate": True,
}
OLD_GRADE = {
    "type": "threshold", "kind": "enrollments", "field": "grade", "op": "in",
    "value": [4, 5], "period": None, "aggregate": "any", "where": [], "label": "",
    "enabled": False, "negate": False,
}


def _old_json(*leaves: dict[str, object], name: str = "旧形式の所属") -> str:
    return json.dumps({"format": 1, "name": name, "school_year": None, "description": "",
                       "root": {"type": "group", "op": "and", "items": list(leaves),
                                "label": "", "enabled": True, "negate": False}},
                      ensure_ascii=False)


def _with(leaf: dict[str, object], **changes: object) -> dict[str, object]:
    return {**leaf, **changes}


def test_an_old_membership_threshold_loads_as_a_membership_with_everything_kept() -> None:
    loaded = from_json(_old_json(_with(OLD_SCHOOL, value=["11101", "11102"]), OLD_GRADE))
    assert loaded.root.items == (
        Membership("school_code", ("11101", "11102"), year_offset=-1,
                   label="学校が第一小学校のいずれか（前年度）", negate=True),
        Membership("grade", (4, 5), year_offset=None, enabled=False),
    )
    # Saved again, it is written in the new form and reads back unchanged.
    assert '"type": "membership"' in to_json(loaded)
    assert '"type": "threshold"' not in to_json(loaded)
    assert from_json(to_json(loaded)) == loaded


def test_a_month_or_round_of_an_old_membership_is_dropped_as_it_never_narrowed() -> None:
    leaf = _with(OLD_GRADE, period={"type": "period", "year_offset": 0, "round": 2,
                                    "month": 6})
    assert from_json(_old_json(leaf)).root.items == (Membership("grade", (4, 5), enabled=False),)


@pytest.mark.parametrize("leaf", [
    _with(OLD_SCHOOL, op="not_in"),
    _with(OLD_SCHOOL, op="=="),
    _with(OLD_GRADE, aggregate="count"),
    _with(OLD_GRADE, field="seat_number"),
    _with(OLD_GRADE, kind="students", field="sex", value=["女"]),
    _with(OLD_GRADE, where=[{"type": "test", "field": "class_name", "op": "==",
                             "value": "1"}]),
    _with(OLD_GRADE, value=[4.5]),
])
def test_other_thresholds_stay_thresholds(leaf: dict[str, object]) -> None:
    (node,) = from_json(_old_json(leaf)).root.items
    assert isinstance(node, Threshold)


def test_a_membership_reads_the_enrollments_and_is_checked() -> None:
    registry = default_registry()
    extraction = Extraction("所属", Group("and", (Membership("grade", (4,)),)))
    assert kinds_used(extraction) == {"enrollments"}
    validate(extraction, registry)
    for bad, message in ((Membership("class_name", ("1",)), "所属の種類「class_name」"),
                         (Membership("grade", ()), "学校または学年を1つ以上")):
        with pytest.raises(UserFacingError, match=message):
            validate(Extraction("所属", Group("and", (bad,))), registry)
    # Switched off, it is not checked (as any other condition).
    validate(Extraction("所属", Group("and", (Membership("grade", (), enabled=False),))),
             registry)


def test_a_membership_is_worded_with_its_year_as_a_value() -> None:
    registry = default_registry()

    def text(node: Membership, year: int | None = 2025) -> str:
        return format_phrase(describe(node, registry, year))

    assert text(Membership("school_code", ("11101", "11102"))) == \
        "2025年度に在籍している学校が11101・11102のいずれか"
    assert text(Membership("grade", (5,), year_offset=-1)) == "2024年度に在籍している学年が5"
    assert text(Membership("grade", (5,), year_offset=-1), None) == "前年度に在籍している学年が5"
    assert text(Membership("grade", (4, 5), year_offset=None, negate=True)) == \
        "次に該当しない: いずれかの年度に在籍している学年が4・5のいずれか"
    assert text(Membership("grade", (4,), label="学年が小4のいずれか")) == "学年が小4のいずれか"


# -- the same pupils as the older threshold, on the small demo city --------------------------


@pytest.fixture(scope="module")
def lead(_demo_store_template: Path, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[SignedIn]:
    path = copy_store(_demo_store_template, tmp_path_factory.mktemp("membership") / "d.tdb")
    with demo_sessions(path, ("project_lead",)) as signed:
        yield signed["project_lead"]


@pytest.fixture(autouse=True)
def _no_leaked_threads() -> None:
    """Module-scoped sessions; the fixture closes them."""


def _run(signed: SignedIn, *leaves: Threshold | Membership) -> ExtractionResult:
    return ExtractionService(signed.context).run(Extraction("所属", Group("and", leaves)))


def _found(result: ExtractionResult) -> list[tuple[int, tuple[object, ...]]]:
    return [(r.pupil_id, tuple(v.value for v in r.values)) for r in result.rows]


def _cases(signed: SignedIn) -> list[tuple[str, tuple[str | int, ...], int | None, bool]]:
    options = signed.search.filter_options()
    schools = tuple(s.code for s in options.schools)
    grades = options.grades
    assert len(schools) >= 3 and len(grades) >= 3
    return [
        ("school_code", schools[:1], 0, False),
        ("school_code", schools[1:3], -1, False),
        ("school_code", schools[:2], 0, True),
        ("grade", grades[:1], 0, False),
        ("grade", grades[1:3], -1, True),
        ("grade", (grades[-3],), -2, False),  # still enrolled two years on
        ("school_code", (schools[-1],), None, False),
        ("grade", grades[:2], None, True),
    ]


def _threshold(target: str, values: tuple[str | int, ...], offset: int | None,
               negate: bool) -> Threshold:
    return Threshold("enrollments", target, "in", values,
                     period=None if offset is None else Period(offset), negate=negate)


def test_a_membership_finds_the_pupils_the_older_threshold_found(lead: SignedIn) -> None:
    for target, values, offset, negate in _cases(lead):
        old = _run(lead, _threshold(target, values, offset, negate))
        new = _run(lead, Membership(target, values, year_offset=offset, negate=negate))
        assert {r.pupil_id for r in new.rows} == {r.pupil_id for r in old.rows}, values
        assert [c.pupils for c in new.counts] == [c.pupils for c in old.counts]
        assert new.rows, (target, values, offset, negate)  # a case that finds someone
        if offset is not None:  # within one year it also shows the same enrollment
            assert _found(new) == _found(old)


def test_a_membership_combines_with_other_conditions_as_the_threshold_did(
    lead: SignedIn,
) -> None:
    target, values, offset, _ = _cases(lead)[1]
    girls = Threshold("students", "sex", "==", "女", period=None)
    old = _run(lead, _threshold(target, values, offset, False), girls)
    new = _run(lead, Membership(target, values, year_offset=offset), girls)
    assert _found(new) == _found(old) and new.rows


def _store_raw(conn: Connection, name: str, text: str) -> int:
    with transaction(conn):
        return saved_repo.save(conn, name, text, "demo-lead", at=datetime(2026, 4, 1, 9))


def test_a_saved_extraction_in_the_old_form_lists_opens_and_runs_as_before(
    lead: SignedIn,
) -> None:
    target, values, offset, _ = _cases(lead)[1]
    leaf = _with(OLD_SCHOOL, value=list(values), negate=False,
                 period={"type": "period", "year_offset": offset, "round": None,
                         "month": None})
    text = _old_json(leaf, name="旧版で保存した所属")
    saved_id = lead.store.db.call(lambda c: _store_raw(c, "旧版で保存した所属", text))
    service = ExtractionService(lead.context)
    assert "旧版で保存した所属" in [s.name for s in service.saved()]
    opened = service.get(saved_id).extraction
    assert opened.root.items == (Membership(target, values, year_offset=offset,
                                            label=str(OLD_SCHOOL["label"])),)
    found = service.run_saved(saved_id)
    assert _found(found) == _found(_run(lead, _threshold(target, values, offset, False)))
    assert [format_phrase(c) for c in found.conditions] == [OLD_SCHOOL["label"]]


def test_a_narrowed_enrollment_threshold_is_still_a_threshold_that_runs(lead: SignedIn) -> None:
    options = lead.search.filter_options()
    narrowed = Threshold("enrollments", "grade", "in", options.grades[:1],
                         where=(FieldTest("class_name", "==", "1"),))
    assert isinstance(from_json(to_json(Extraction("x", Group("and", (narrowed,))))
                                ).root.items[0], Threshold)
    assert _run(lead, narrowed).rows
