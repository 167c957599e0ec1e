"""The 名寄せ review queue hands over typed fields (keys, dates, numbers), not sentences: the
screen and the command line write them in their own style and compare them field by field."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest

from storage.connection import Connection, transaction
from storage.repos import batches, imports
from tests.importing.helpers import lead_on_new_store
from toda_desktop.composition import SignedIn
from toda_desktop.review.service import Placement, RowValue

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "files"


@pytest.fixture
def signed(store_path: Path) -> Iterator[SignedIn]:
    registers = [FIXTURES / n for n in ("students.csv", "schools.csv", "enrollments_2024.csv")]
    with lead_on_new_store(store_path, registers) as signed:
        yield signed


def _queue(signed: SignedIn, pupil_id: int) -> None:
    person = {"name": "青木 一郎", "birth_date": "2015-05-01", "school_year": 2024,
              "school_code": "13101", "grade": 3, "class_name": "1"}
    candidates = [{"pupil_id": pupil_id, "score": 80.0, "evidence": "氏名が一致"}]

    def write(conn: Connection) -> None:
        with transaction(conn):
            batch = batches.create(conn, "health_room_visits", "保健室来室.csv", "0" * 64, "lead",
                                   at=datetime(2024, 6, 4))
            imports.enqueue(conn, batch, "health_room_visits", "保健室来室.csv", [
                (7, "fp-aoki", person | {"visit_date": "2024-06-03", "reason": "頭痛"},
                 candidates, "氏名だけが一致します")])

    signed.store.db.call(write)


def test_an_item_carries_the_rows_values_by_key_and_the_candidates_placement(
    signed: SignedIn
) -> None:
    pupil_id = signed.review.find_pupil("0000101")
    assert pupil_id is not None
    _queue(signed, pupil_id)
    [item] = signed.review.open_items()
    assert item.siblings == 0
    by_key = {v.key: v for v in item.person}
    assert by_key["school_year"] == RowValue("school_year", by_key["school_year"].label, "2024")
    assert by_key["birth_date"].value == "2015-05-01" and by_key["name"].label == "氏名"
    assert {v.key for v in item.data} >= {"visit_date"}
    [candidate] = item.candidates
    assert candidate.pupil_id == pupil_id and candidate.name == "青木　一郎"
    assert candidate.birth_date == date(2015, 5, 1)
    assert candidate.placement == Placement(school_year=2024, school_code="13101",
                                            school_name="さくら小学校", grade=3,
                                            class_name="1", seat_number=1)


def test_a_pupil_named_by_address_code_is_described_with_typed_fields(
    signed: SignedIn
) -> None:
    pupil_id = signed.review.find_pupil("0000102")
    assert pupil_id is not None
    card = signed.review.describe_pupil(pupil_id)
    assert card is not None and card.evidence == "宛名番号で指定"
    assert card.birth_date == date(2015, 8, 12)
    assert card.placement is not None and card.placement.school_year == 2024
    assert card.placement.grade == 3 and card.placement.seat_number == 2
    assert signed.review.describe_pupil(999_999) is None
