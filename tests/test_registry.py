"""The dataset registry matches the interchange format v1 (DATA_FORMAT.md) column by column."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from storage.registry import default_registry

FORMAT_DOC = Path(__file__).resolve().parents[1] / "docs" / "DATA_FORMAT.md"
SHARED_DOC = Path(__file__).resolve().parents[2] / "shared" / "DATA_FORMAT.md"
DOMAIN_WORDS = {"other department": "other_department"}


def _format_table() -> dict[str, tuple[str, list[str], str]]:
    text = FORMAT_DOC.read_text(encoding="utf-8")
    section = text.split("## Dataset kinds", 1)[1].split("Survey codes", 1)[0]
    rows = {}
    for line in section.splitlines():
        match = re.match(r"^\| `(\w+)` \| (.+?) \| (.+?) \| (.+?) \|$", line)
        if match:
            name, label, columns, domain = match.groups()
            without_notes = re.sub(r"\s*\([^)]*\)", "", columns)
            rows[name] = (label, [c.strip() for c in without_notes.split(",")], domain)
    return rows


FORMAT = _format_table()
# Kinds the format names in prose but not (yet) in its table: per-term attendance ("per-term
# attendance ... reshaped") and the 県学調 teacher questionnaire ("answered per school").
PROSE_KINDS = {"attendance_term", "school_questionnaire"}


def test_every_kind_of_the_format_is_registered_and_nothing_else() -> None:
    assert len(FORMAT) == 15
    assert set(default_registry().names) == set(FORMAT) | PROSE_KINDS


def test_kinds_named_only_in_prose_have_the_domains_the_format_implies() -> None:
    registry = default_registry()
    term = registry.kind("attendance_term")
    assert term.domain == "attendance" and "truancy" in term.topics and term.pupil
    questionnaire = registry.kind("school_questionnaire")
    assert questionnaire.domain == "school" and not questionnaire.pupil
    assert not questionnaire.person_ref_columns


@pytest.mark.parametrize("name", sorted(FORMAT))
def test_columns_labels_required_and_domain_match_the_format(name: str) -> None:
    label, columns, domain_text = FORMAT[name]
    kind = default_registry().kind(name)
    assert kind.label == label
    by_label = {c.label: c for c in kind.columns}
    for raw in columns:
        column_label = raw.rstrip("*").strip()
        required = raw.endswith("*")
        if column_label == "person ref":
            assert kind.links_to_pupil and kind.person_ref_columns
            continue
        assert column_label in by_label, f"{name}: {column_label} missing"
        assert by_label[column_label].required == required, f"{name}.{column_label}"
    domain_word = domain_text.split(" (")[0].strip()
    assert kind.domain == DOMAIN_WORDS.get(domain_word, domain_word)
    truancy_related = "truancy" in kind.topics and kind.domain != "truancy"
    assert ("truancy-related" in domain_text) == truancy_related


def test_header_variants_named_by_the_format_are_synonyms() -> None:
    registry = default_registry()
    students = registry.kind("students")
    assert {"氏名（カナ）", "ｼﾒｲ", "フリガナ"} <= set(students.column("name_kana").synonyms)
    assert "生年月日(西暦)" in students.column("birth_date").synonyms


def test_person_references_cover_every_id_of_the_format() -> None:
    attendance = default_registry().kind("attendance_monthly")
    refs = {c.ref for c in attendance.person_ref_columns}
    assert {"address_code", "school_code", "grade", "class_name", "seat_number", "pref_id",
            "google_account", "name", "name_kana", "birth_date", "sex"} <= refs


def test_vendored_format_is_the_shared_one() -> None:
    if not SHARED_DOC.exists():
        pytest.skip("shared/ is not beside this checkout")
    assert FORMAT_DOC.read_text(encoding="utf-8") == SHARED_DOC.read_text(encoding="utf-8")


def test_data_dictionary_in_docs_is_generated_from_the_registry() -> None:
    from toda_desktop.data_dictionary import render

    docs = Path(__file__).resolve().parents[1] / "docs" / "DATA_DICTIONARY.md"
    assert docs.read_text(encoding="utf-8") == render(), (
        "regenerate: python -m toda_desktop dictionary --out docs/DATA_DICTIONARY.md"
    )
