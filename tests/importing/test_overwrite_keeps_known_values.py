"""An overwrite replaces values, never erases them, and shows every change first; a corrected
file under a new name does not queue its rows for review twice (issue 10, points 4 and 9)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from kernel.date_style import DateStyle
from tests.importing.helpers import lead_on_new_store
from toda_desktop.composition import SignedIn

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "files"
ENROLLMENT_COLUMNS = ("pupil_id, school_year, school_code, grade, class_name, seat_number,"
                      " pref_id, google_account")


@pytest.fixture
def signed(store_path: Path) -> Iterator[SignedIn]:
    registers = [FIXTURES / n for n in ("students.csv", "schools.csv", "enrollments_2024.csv")]
    with lead_on_new_store(store_path, registers) as signed:
        yield signed


def _enrollments(signed: SignedIn) -> list[tuple[object, ...]]:
    return signed.store.db.call(lambda c: c.execute(
        f"SELECT {ENROLLMENT_COLUMNS} FROM ds_enrollments ORDER BY pupil_id").fetchall())


def test_blank_cells_are_not_conflicts_and_the_preview_lists_every_change(
    signed: SignedIn,
) -> None:
    preview = signed.importing.preview(
        signed.importing.inspect(FIXTURES / "enrollments_2024_corrected.csv"))
    assert preview.counts["identical"] == 4  # only blanks where the store knows the value
    assert preview.counts["conflicts"] == 1
    [change] = preview.changes
    assert (change.row, change.record_id, change.column, change.old, change.new) == (
        4, int(preview.to_overwrite["id"].iloc[0]), "県学調番号", "P24-0103", "P24-1103")
    # Named as staff know the record, never by the store's pupil id.
    assert change.record == "上田　健太（宛名番号 0000103）・2024年度・さくら小学校・3年・1組・3番"
    assert change.text(DateStyle.WAREKI) == (
        "上田　健太（宛名番号 0000103）・令和6年度・さくら小学校・3年・1組・3番")


def test_an_overwrite_never_blanks_a_stored_value_and_rollback_restores_it(
    signed: SignedIn,
) -> None:
    before = _enrollments(signed)
    assert all(row[6] and row[7] for row in before)  # 県学調番号 and Google all known
    preview = signed.importing.preview(
        signed.importing.inspect(FIXTURES / "enrollments_2024_corrected.csv"))
    result = signed.importing.commit(preview, overwrite=True)
    assert result.overwritten == 1
    after = _enrollments(signed)
    assert all(row[6] and row[7] for row in after)  # nothing erased
    changed = [(b[6], a[6]) for b, a in zip(before, after, strict=True) if b != a]
    assert changed == [("P24-0103", "P24-1103")]
    signed.importing.rollback(result.batch_id)
    assert _enrollments(signed) == before


def test_a_health_room_log_taken_for_enrollments_cannot_damage_them(signed: SignedIn) -> None:
    """The measured accident: forced to 在籍 and overwritten, it blanked 県学調番号 and
    Googleアカウント. Now its rows only lack values the store has: identical, not conflicts."""
    before = _enrollments(signed)
    inspection = signed.importing.inspect(FIXTURES / "hokenshitsu_2024_05.csv")
    assert inspection.kind is not None and inspection.kind.name == "enrollments"
    assert inspection.guess.confidence < 0.6
    forced = signed.importing.inspect(FIXTURES / "hokenshitsu_2024_05.csv", "enrollments")
    preview = signed.importing.preview(forced)
    assert preview.counts["conflicts"] == 0 and preview.changes == []
    assert not preview.changes_with(True)
    assert _enrollments(signed) == before


def test_a_corrected_file_under_a_new_name_does_not_queue_its_rows_again(
    signed: SignedIn, tmp_path: Path
) -> None:
    first = signed.importing.preview(signed.importing.inspect(FIXTURES / "hoken_2024_06.csv"))
    assert first.counts["review"] == 2 and first.counts["error_rows"] == 1
    assert signed.importing.commit(first).queued == 2
    corrected = tmp_path / "保健室_6月分_修正版.csv"
    shutil.copyfile(FIXTURES / "hoken_2024_06_corrected.csv", corrected)
    again = signed.importing.preview(signed.importing.inspect(corrected))
    assert again.counts["already_waiting"] == 2 and again.to_review == []
    result = signed.importing.commit(again)
    assert result.queued == 0 and result.inserted == 1  # the corrected 6/30 visit
    assert signed.review.open_count() == 2
