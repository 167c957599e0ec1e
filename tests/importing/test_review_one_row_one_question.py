"""A wide form's row gives an item per answer, all about one person: the 名寄せ queue asks once
and one decision settles them all (found by QA: 18 questions per pupil for an AiGROW file)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from storage.connection import Connection, transaction
from storage.repos import batches, imports
from tests.importing.helpers import lead_on_new_store
from toda_desktop.composition import SignedIn

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "files"


@pytest.fixture
def signed(store_path: Path) -> Iterator[SignedIn]:
    registers = [FIXTURES / n for n in ("students.csv", "schools.csv", "enrollments_2024.csv")]
    with lead_on_new_store(store_path, registers) as signed:
        yield signed


def _queue_one_row(signed: SignedIn) -> None:
    person = {"name": "青木 一郎", "school_code": "13101", "grade": 3}
    candidates = [{"pupil_id": 1, "score": 80.0, "evidence": "氏名が一致"}]

    def write(conn: Connection) -> None:
        with transaction(conn):
            batch = batches.create(conn, "survey_responses", "AiGROW結果_2024.csv",
                                   "0" * 64, "lead", at=datetime(2026, 4, 1, 9))
            imports.enqueue(conn, batch, "survey_responses", "AiGROW結果_2024.csv", [
                (5, "fp-aoki", person | {"survey_code": "AIGROW", "school_year": 2024,
                                        "round": 1, "item_code": item, "answer": answer},
                 candidates, "氏名だけが一致します")
                for item, answer in (("SELF_EFFICACY", 55), ("GRIT", 48), ("EMPATHY", 61))
            ])

    signed.store.db.call(write)


def test_the_items_of_one_row_about_one_person_are_one_question(signed: SignedIn) -> None:
    _queue_one_row(signed)
    assert signed.review.open_count() == 1
    shown = signed.review.open_items()
    assert len(shown) == 1
    assert shown[0].siblings == 2  # the page says 「2件（この判断がまとめて適用されます）」


def test_one_decision_stores_every_answer_of_the_row(signed: SignedIn) -> None:
    _queue_one_row(signed)
    item = signed.review.open_items()[0]
    signed.review.decide(item.id, 1)
    assert signed.review.open_count() == 0
    stored = signed.store.db.call(lambda c: c.execute(
        "SELECT item_code, answer, source_row FROM ds_survey_responses WHERE pupil_id = 1"
        " ORDER BY item_code").fetchall())
    assert stored == [("EMPATHY", 61, 5), ("GRIT", 48, 5), ("SELF_EFFICACY", 55, 5)]
