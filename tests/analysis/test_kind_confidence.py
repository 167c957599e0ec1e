"""Recognizing a file's kind is sure only when the file says so: a health-room log missing
its date once passed for 在籍 (confidence 0.42) and an overwrite damaged 31,430 records
(issue 10, point 4). Hand-written files with real irregularities."""

from __future__ import annotations

from pathlib import Path

from analysis.headers import map_headers, recognize_kind
from analysis.textio import read_table
from storage.registry import default_registry

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "files"
REGISTRY = default_registry()
CLEAR = 0.6  # the command line's threshold (importing.service.CLEAR_CONFIDENCE)


def _guess(name: str):  # type: ignore[no-untyped-def]
    return recognize_kind(read_table(FIXTURES / name).headers, REGISTRY.kinds)


def test_a_health_room_log_missing_its_date_is_not_a_confident_enrollment() -> None:
    guess = _guess("hokenshitsu_2024_05.csv")
    assert guess.kind == "enrollments"  # the best guess, but far from sure
    assert guess.confidence < 0.5
    assert "確信度が低いため" in guess.explanation


def test_real_registers_and_logs_are_recognized_clearly() -> None:
    for name, kind in (("students.csv", "students"), ("schools.csv", "schools"),
                       ("enrollments_2024.csv", "enrollments"),
                       ("enrollments_2024_corrected.csv", "enrollments"),
                       ("hoken_2024_06.csv", "health_room_visits")):
        guess = _guess(name)
        assert guess.kind == kind, name
        assert guess.confidence >= CLEAR + 0.2, (name, guess.confidence)


def test_a_register_of_person_columns_only_is_not_a_health_checkup() -> None:
    """学校健診 shares every column of 在籍 but its measurements: without any of them a
    file is not a health checkup, and the runner-up falls well behind."""
    guess = _guess("enrollments_2024.csv")
    runner_up = guess.scores[1]
    assert runner_up.kind == "health_checkups"
    assert runner_up.score < guess.scores[0].score / 2


def test_a_year_derived_from_another_column_is_noted_as_such() -> None:
    kind = REGISTRY.kind("health_room_visits")
    mapping = map_headers(["年度", "利用日", "宛名番号", "備考"], kind.columns,
                          derived={"年度": "利用日"})
    assert mapping.derived == {0: "見出し「年度」は「利用日」から求めるため、この列は読みません。"}
    assert mapping.unknown == (3,)
    assert "「備考」 は対応する列がないため取り込みません。" in mapping.messages
    assert not any("「年度」 は対応する列がない" in m for m in mapping.messages)
