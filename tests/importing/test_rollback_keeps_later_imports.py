"""Rolling back one import takes away only what no other import in force holds (found by QA:
rolling back a file deleted four rows that a later, still committed file had delivered too)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.importing.helpers import lead_on_new_store
from toda_desktop.composition import SignedIn

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "files"
HEADER = "宛名番号,年度,月,授業日数,欠席日数,遅刻,早退\n"
MAY = ["0000101,2024,5,20,1,0,0", "0000102,2024,5,20,0,1,0", "0000103,2024,5,20,3,0,0"]


@pytest.fixture
def signed(store_path: Path) -> Iterator[SignedIn]:
    registers = [FIXTURES / n for n in ("students.csv", "schools.csv", "enrollments_2024.csv")]
    with lead_on_new_store(store_path, registers) as signed:
        yield signed


def _import(signed: SignedIn, path: Path, lines: list[str], *, overwrite: bool = False) -> int:
    path.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    preview = signed.importing.preview(signed.importing.inspect(path, "attendance_monthly"))
    return signed.importing.commit(preview, overwrite=overwrite).batch_id


def _stored(signed: SignedIn) -> list[tuple[object, ...]]:
    return signed.store.db.call(lambda c: c.execute(
        "SELECT p.address_code, a.absence_days, a.batch_id FROM ds_attendance_monthly a"
        " JOIN ds_students p ON p.id = a.pupil_id ORDER BY p.address_code").fetchall())


def test_rows_a_later_import_also_holds_stay_and_belong_to_it(
    signed: SignedIn, tmp_path: Path
) -> None:
    first = _import(signed, tmp_path / "出欠_さくら小_5月.csv", MAY[:2])
    later = _import(signed, tmp_path / "出欠_市集計_5月.csv", MAY)  # 2 identical + 1 new
    undone = signed.importing.rollback(first)
    assert undone.removed == {} and undone.kept == {"attendance_monthly": 2}
    assert _stored(signed) == [("0000101", 1, later), ("0000102", 0, later),
                               ("0000103", 3, later)]
    gone = signed.importing.rollback(later)
    assert gone.removed == {"attendance_monthly": 3} and _stored(signed) == []


def test_rows_no_other_import_holds_are_deleted(signed: SignedIn, tmp_path: Path) -> None:
    first = _import(signed, tmp_path / "出欠_さくら小_5月.csv", MAY[:2])
    _import(signed, tmp_path / "出欠_さくら小_6月.csv", ["0000101,2024,6,20,2,0,0"])
    undone = signed.importing.rollback(first)
    assert undone.removed == {"attendance_monthly": 2} and undone.kept == {}
    assert [r[:2] for r in _stored(signed)] == [("0000101", 2)]


def test_an_overwrite_is_not_undone_into_a_rolled_back_import(
    signed: SignedIn, tmp_path: Path
) -> None:
    first = _import(signed, tmp_path / "出欠_6月.csv", MAY[:1])
    second = _import(signed, tmp_path / "出欠_6月_修正.csv", ["0000101,2024,5,20,4,0,0"],
                     overwrite=True)
    assert _stored(signed) == [("0000101", 4, second)]
    undone = signed.importing.rollback(first)
    assert undone.removed == {} and undone.restored == 0  # the record is the second's now
    undone = signed.importing.rollback(second)
    assert undone.restored == 0 and undone.removed == {"attendance_monthly": 1}
    assert _stored(signed) == []  # not brought back as the rolled-back first file's row


def test_undoing_an_overwrite_brings_back_the_earlier_value(
    signed: SignedIn, tmp_path: Path
) -> None:
    first = _import(signed, tmp_path / "出欠_6月.csv", MAY[:1])
    second = _import(signed, tmp_path / "出欠_6月_修正.csv", ["0000101,2024,5,20,4,0,0"],
                     overwrite=True)
    undone = signed.importing.rollback(second)
    assert undone.restored == 1 and undone.removed == {}
    assert _stored(signed) == [("0000101", 1, first)]
