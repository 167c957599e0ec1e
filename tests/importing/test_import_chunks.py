"""A file imported in chunks of a few rows gives exactly what it gives in one chunk.

The preview links, hashes and compares a large file ``chunk_rows`` rows at a time, and the
commit converts the rows to insert again chunk by chunk (issue 10, point 10: memory). These
tests split hand-written files into chunks of 1–3 rows, so that repeats, in-file conflicts,
stored conflicts, review rows, totals rows and unlinked rows fall across chunk borders, and
compare everything the preview shows and everything the commit stores with one chunk.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD, TEST_SCRYPT_N
from toda_desktop.composition import Application, SignedIn
from toda_desktop.errors import UserFacingError
from toda_desktop.importing.service import ImportPreview
from toda_desktop.store_setup import create_empty_store

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ONE_CHUNK = 100_000

# A health-room log (CP932) from the values fixtures, with rows added at the end: a visit of
# a pupil the register does not know, a 合計 row, a visit on a date that does not exist,
# repeats of visits far above them (so that a repeat and its first row sit in different
# chunks), and two visits at one time that differ in their symptom (two visits, not one).
HOKEN_EXTRA = (
    "9999999999,存在 しない,2024/5/15,,,頭痛\r\n"
    "合計,,,,,\r\n"
    "0000100002,佐藤 花子,2024/5/32,,,腹痛\r\n"
    "0000100002,佐藤 花子,R6.5.8,10:20,10:35,腹痛\r\n"
    "0000100001,山田 太郎,2024/5/7,,,頭痛\r\n"
    "0000100004,高橋 美咲,2024/5/10,09:00,,発熱\r\n"
    "0000100004,高橋 美咲,2024/5/10,09:00,,頭痛\r\n"
)

ATTENDANCE_HEADER = "宛名番号,年度,月,授業日数,欠席日数,病気欠席,遅刻,早退\n"
PUPILS = ["0000100001", "0000100002", "0000100003", "0000100004"]


def _attendance_first() -> str:
    rows = [f"{p},2024,{m},20,{i % 3},{i % 2},0,0"
            for i, (p, m) in enumerate((p, m) for m in (4, 5, 6) for p in PUPILS)]
    return ATTENDANCE_HEADER + "\n".join(rows) + "\n"


def _attendance_second() -> str:
    """The same register sent again: some months corrected (conflicts with the store), some
    cells left empty (the stored value stands: identical), new months, a row repeated, and
    two rows with one key and different values far apart in the file."""
    rows = []
    for i, (p, m) in enumerate((p, m) for m in (4, 5, 6) for p in PUPILS):
        absent = i % 3
        if m == 5 and p in PUPILS[:2]:
            absent += 2  # corrected: differs from the store
        sick = "" if m == 6 else str(i % 2)  # blank: the stored value stands
        rows.append(f"{p},2024,{m},20,{absent},{sick},0,0")
    rows += [f"{p},2024,7,18,1,0,1,0" for p in PUPILS]
    rows.insert(3, rows[-1])  # a repeat of a later row, in another chunk
    rows.append(f"{PUPILS[2]},2024,8,15,0,0,0,0")
    rows.insert(1, f"{PUPILS[2]},2024,8,15,3,0,0,0")  # same key as the last row, other values
    return ATTENDANCE_HEADER + "\n".join(rows) + "\n"


def _signed(folder: Path, register: list[Path]) -> tuple[Application, SignedIn]:
    store = folder / "city.tdb"
    store.parent.mkdir(parents=True)
    create_empty_store(store, "test", LEAD_LOGIN, LEAD_PASSWORD,
                       scrypt_n=TEST_SCRYPT_N).store.close()
    app = Application(store)
    signed = app.sign_in(LEAD_LOGIN, LEAD_PASSWORD)
    for path in register:
        signed.importing.commit(signed.importing.preview(signed.importing.inspect(path)))
    return app, signed


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[Any]:
    """A factory of stores holding a register, closed at the end."""
    opened: list[Application] = []

    def make(name: str, register: list[Path]) -> SignedIn:
        app, signed = _signed(tmp_path / name, register)
        opened.append(app)
        return signed

    yield make
    for app in opened:
        app.close()


def _summary(preview: ImportPreview) -> dict[str, Any]:
    """Everything the wizard and the command line show of a preview."""
    return {
        "counts": preview.counts,
        "issues": preview.issues.reset_index(drop=True).astype(object).to_dict("records"),
        "review": [(r[0], r[1], r[2], r[3], r[4]) for r in preview.to_review],
        "changes": preview.changes,
        "unknown": preview.unknown_values,
        "repeats": preview.repeat_rows.astype(object).to_dict("index"),
        "overwrite": preview.to_overwrite.astype(object).to_dict("index"),
        "insert": preview.to_insert.astype(object).to_dict("index"),
        "can_commit": preview.can_commit,
    }


def _stored(signed: SignedIn, table: str) -> list[tuple[object, ...]]:
    columns = [r[1] for r in signed.store.db.call(
        lambda c: c.execute(f"PRAGMA table_info({table})").fetchall())
        if r[1] not in ("id", "batch_id", "imported_at", "created_at", "updated_at")]
    return signed.store.db.call(lambda c: c.execute(
        f"SELECT {', '.join(columns)} FROM {table} ORDER BY source_row, {', '.join(columns)}"
    ).fetchall())


def _copy(name: str, folder: Path, extra: str = "") -> Path:
    target = folder / name
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(FIXTURES / "values" / name, target)
    if extra:
        with target.open("ab") as f:
            f.write(extra.encode("cp932"))
    return target


@pytest.mark.parametrize("chunk", [1, 2, 3])
@pytest.mark.parametrize("keep_repeats", [False, True])
def test_a_log_in_tiny_chunks_previews_and_stores_exactly_as_in_one_chunk(
    stores: Any, tmp_path: Path, chunk: int, keep_repeats: bool
) -> None:
    path = _copy("hoken_2024.csv", tmp_path / "files", HOKEN_EXTRA)
    register = [FIXTURES / "values" / "students.csv"]
    whole, split = stores("whole", register), stores("split", register)
    split.importing.chunk_rows = chunk
    previews = [s.importing.preview(s.importing.inspect(path), keep_repeats=keep_repeats)
                for s in (whole, split)]
    one, many = (_summary(p) for p in previews)
    assert one == many
    codes = set(previews[0].issues["code"])
    assert {"unlinked", "totals_row", "duplicate_row" if not keep_repeats else "repeated_row",
            "type", "unknown_value"} <= codes
    results = [s.importing.commit(p, keep_repeats=True) for s, p in zip((whole, split), previews,
                                                                        strict=True)]
    assert results[0].inserted == results[1].inserted > 0
    assert _stored(whole, "ds_health_room_visits") == _stored(split, "ds_health_room_visits")


@pytest.mark.parametrize("chunk", [1, 3])
def test_review_rows_and_a_bad_date_in_tiny_chunks_are_found_as_in_one_chunk(
    stores: Any, chunk: int
) -> None:
    files = FIXTURES / "files"
    register = [files / "students.csv", files / "schools.csv", files / "enrollments_2024.csv"]
    whole, split = stores("whole", register), stores("split", register)
    split.importing.chunk_rows = chunk
    path = files / "hoken_2024_06.csv"
    previews = [s.importing.preview(s.importing.inspect(path)) for s in (whole, split)]
    assert _summary(previews[0]) == _summary(previews[1])
    assert previews[0].counts["review"] >= 2 and len(previews[0].to_review) >= 2
    for s, p in zip((whole, split), previews, strict=True):
        s.importing.commit(p)
    assert _stored(whole, "ds_health_room_visits") == _stored(split, "ds_health_room_visits")
    waiting = ("SELECT source_row, fingerprint FROM g_health_truancy.review_queue"
               " ORDER BY source_row")  # the visits' group file (issue 12)
    assert whole.store.db.call(lambda c: c.execute(waiting).fetchall()) == \
        split.store.db.call(lambda c: c.execute(waiting).fetchall())


@pytest.mark.parametrize("chunk", [1, 2, 3])
def test_conflicts_with_the_store_across_chunk_borders_are_shown_and_overwritten_alike(
    stores: Any, tmp_path: Path, chunk: int
) -> None:
    register = [FIXTURES / "values" / "students.csv"]
    whole, split = stores("whole", register), stores("split", register)
    first, second = tmp_path / "出欠_2024-06.csv", tmp_path / "出欠_2024-07.csv"
    first.write_text(_attendance_first(), encoding="utf-8")
    second.write_text(_attendance_second(), encoding="utf-8")
    for s in (whole, split):
        s.importing.commit(s.importing.preview(s.importing.inspect(first)))
    split.importing.chunk_rows = chunk
    previews = [s.importing.preview(s.importing.inspect(second)) for s in (whole, split)]
    assert _summary(previews[0]) == _summary(previews[1])
    counts = previews[0].counts
    assert counts["conflicts"] == 2 and counts["new"] == 4 and counts["identical"] == 10
    assert counts["duplicates_in_file"] == 3 and len(previews[0].changes) == 2
    results = [s.importing.commit(p, overwrite=True) for s, p in zip((whole, split), previews,
                                                                    strict=True)]
    assert results[0] == results[1]
    assert _stored(whole, "ds_attendance_monthly") == _stored(split, "ds_attendance_monthly")


def test_the_preview_keeps_a_sample_of_the_rows_to_insert_and_counts_them_all(
    stores: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import toda_desktop.importing.service as service

    monkeypatch.setattr(service, "SAMPLE_ROWS", 5)
    signed = stores("store", [FIXTURES / "values" / "students.csv"])
    signed.importing.chunk_rows = 2
    path = tmp_path / "出欠_2024-06.csv"
    path.write_text(_attendance_first(), encoding="utf-8")
    preview = signed.importing.preview(signed.importing.inspect(path))
    assert len(preview.to_insert) == 5 and preview.counts["new"] == 12
    assert list(preview.to_insert.index) == [2, 3, 4, 5, 6]
    assert signed.importing.commit(preview).inserted == 12
    assert pd.Series([r[3] for r in _stored(signed, "ds_attendance_monthly")]).notna().all()


def test_a_commit_that_would_store_another_number_of_rows_than_previewed_stores_nothing(
    stores: Any, tmp_path: Path
) -> None:
    """The commit converts the rows again; if their number is not the one the user agreed
    to, the transaction is rolled back with a Japanese message."""
    signed = stores("store", [FIXTURES / "values" / "students.csv"])
    signed.importing.chunk_rows = 5
    path = tmp_path / "出欠_2024-06.csv"
    path.write_text(_attendance_first(), encoding="utf-8")
    preview = signed.importing.preview(signed.importing.inspect(path))
    preview.counts["new"] -= 1  # as if the preview had shown one row fewer
    with pytest.raises(UserFacingError, match="確認したときと合わない"):
        signed.importing.commit(preview)
    assert _stored(signed, "ds_attendance_monthly") == []
    assert not [b for b in signed.importing.batches() if b.kind == "attendance_monthly"]
