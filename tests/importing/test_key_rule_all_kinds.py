"""For every kind: rows whose optional key parts are blank pass the preview only if they commit.

The preview once skipped keys with a blank part while the store's unique index reads a blank
as '' (issue 10): the commit died. The rule is now one (``DatasetKind.unique_key`` with
blank = ''), so for every kind with optional key parts two rows that share the key with those
parts blank are either reported (conflict, duplicate) or stored — never a failed commit.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.registry import ColumnSpec, DatasetKind, default_registry
from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD, TEST_SCRYPT_N
from toda_desktop.composition import Application, SignedIn
from toda_desktop.store_setup import create_empty_store

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "values"
SAMPLES = {
    "date": ("2024-05-07", "2024-05-08"), "time": ("08:30", "09:30"), "int": ("1", "2"),
    "school_year": ("2024", "2024"), "month": ("5", "6"), "grade": ("3", "4"),
    "code": ("X1", "X2"), "text": ("あ", "い"), "bool": ("1", "0"), "list": ("3,4", "4"),
    "float": ("100", "101"), "percent": ("10", "20"), "email": ("a@toda.jp", "b@toda.jp"),
    "digits": ("0000100001", "0000100001"), "answer": ("3", "満足群"),
}
BLANK_KEY_KINDS = [
    k for k in default_registry().kinds
    if k.links_to_pupil and any(k.key_may_be_blank(c) for c in k.natural_key)
]


def _sample(col: ColumnSpec, which: int) -> str:
    if col.type == "enum":
        return col.values[min(which, len(col.values) - 1)]
    if col.min is not None and col.type in ("int", "float"):
        return str(int(col.min) + which)
    return SAMPLES[col.type][which]


def _rows(kind: DatasetKind) -> tuple[list[str], list[list[str]]]:
    """Two rows of one pupil sharing the key, its optional parts blank, differing in the
    first stored column outside the key (identical if every column is in the key), and the
    first of them again for another pupil."""
    key = set(kind.natural_key)
    cols = [c for c in kind.columns if c.key == "address_code"
            or (c.stored and (c.required or c.key in key))]
    others = [c for c in kind.stored_columns if c.key not in key and not c.required]
    varying = others[0] if others else None
    if varying is not None:
        cols.append(varying)
    if not any(c.key == "address_code" for c in cols):
        cols.insert(0, default_registry().master.column("address_code"))
    header = [c.label for c in cols]
    rows = []
    for which in (0, 1):
        row = []
        for c in cols:
            if c.key == "address_code":
                row.append("0000100001")
            elif c.key in key and kind.key_may_be_blank(c.key):
                row.append("")
            elif c is varying:
                row.append(_sample(c, which))
            else:
                row.append(_sample(c, 0))
        rows.append(row)
    other = list(rows[0])
    other[[c.key for c in cols].index("address_code")] = "0000100002"
    return header, [*rows, other]


@pytest.fixture
def signed(store_path: Path) -> Iterator[SignedIn]:
    create_empty_store(store_path, "test", LEAD_LOGIN, LEAD_PASSWORD,
                       scrypt_n=TEST_SCRYPT_N).store.close()
    app = Application(store_path)
    session = app.sign_in(LEAD_LOGIN, LEAD_PASSWORD)
    session.importing.commit(session.importing.preview(
        session.importing.inspect(FIXTURES / "students.csv")))
    yield session
    app.close()


def test_kinds_with_optional_key_parts_are_known() -> None:
    names = {k.name for k in BLANK_KEY_KINDS}
    assert {"health_room_visits", "survey_responses", "consultations",
            "bullying_records", "preschool"} <= names


@pytest.mark.parametrize("kind", BLANK_KEY_KINDS, ids=lambda k: k.name)
def test_what_the_preview_passes_commits_and_a_second_import_adds_nothing(
    signed: SignedIn, tmp_path: Path, kind: DatasetKind
) -> None:
    header, rows = _rows(kind)
    path = tmp_path / f"{kind.name}.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])
    preview = signed.importing.preview(signed.importing.inspect(path, kind.name))
    assert preview.counts["error_rows"] == 0, preview.issues.to_string()
    codes = set(preview.issues["code"])
    keep = kind.repeats  # every column in the key: the identical rows may be two visits
    if kind.repeats:
        assert "duplicate_row" in codes and preview.counts["repeats"] == 1
    else:
        assert "duplicate_conflict" in codes
    # The other pupil's row; for visits also the first of the two identical ones.
    assert preview.counts["new"] == (2 if kind.repeats else 1)
    result = signed.importing.commit(preview, keep_repeats=keep)
    assert result.inserted == preview.counts["new"] + (1 if keep else 0)
    again = signed.importing.preview(signed.importing.inspect(path, kind.name),
                                    keep_repeats=keep)
    assert again.counts["new"] == 0 and again.counts["identical"] == result.inserted
