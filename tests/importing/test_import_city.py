"""The demo city's messy files, imported end to end and measured against the ground truth."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD, TEST_SCRYPT_N
from tests.importing.helpers import all_truth as truth
from tests.importing.helpers import import_all, ordered_files, stored_links
from toda_desktop.composition import Application, SignedIn
from toda_desktop.demo import DemoConfig, generate_city, write_interchange_files
from toda_desktop.store_setup import create_empty_store


@pytest.fixture(scope="module")
def messy_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    city = generate_city(DemoConfig.small(seed=11))
    out = tmp_path_factory.mktemp("messy")
    write_interchange_files(city, out, messy=True, seed=11)
    return out


@pytest.fixture
def signed(store_path: Path) -> Iterator[SignedIn]:
    create_empty_store(store_path, "test", LEAD_LOGIN, LEAD_PASSWORD,
                       scrypt_n=TEST_SCRYPT_N).store.close()
    app = Application(store_path)
    session = app.sign_in(LEAD_LOGIN, LEAD_PASSWORD)
    yield session
    app.close()


def _with_truth(signed: SignedIn, files: Path) -> pd.DataFrame:
    # A reshaped form stores several rows per file row (one per month, term or item).
    links = stored_links(signed).drop_duplicates()
    merged = links.merge(truth(files), on=["file", "excel_row"], how="left")
    assert merged["address_code"].notna().all(), "every stored row has a ground-truth row"
    return merged


@pytest.mark.slow
def test_messy_city_links_without_a_single_wrong_link(signed: SignedIn, messy_files: Path) -> None:
    import_all(signed, messy_files)
    merged = _with_truth(signed, messy_files)
    wrong = merged[merged["linked"] != merged["address_code"]]
    assert wrong.empty, wrong.head().to_string()
    person_rows = truth(messy_files)
    person_rows = person_rows[~person_rows["kind"].isin(["students", "schools", "school_context",
                                                         "survey_items",
                                                         "school_questionnaire"])]
    automation = len(merged) / len(person_rows)
    assert automation >= 0.97, f"automatic linkage {automation:.3f}"

    # Every row not linked is in review with its true pupil among the candidates …
    true_by_row = truth(messy_files).set_index(["file", "excel_row"])["address_code"]
    items = signed.review.open_items()
    assert items
    for item in items:
        expected = true_by_row[(item.source_name, item.source_row)]
        assert expected in {c.address_code for c in item.candidates}, item.reason
    # … and the reviewer's decisions make the rest link on the next import.
    by_code = {c.address_code: c.pupil_id for i in items for c in i.candidates}
    for item in items:
        signed.review.decide(item.id, by_code[true_by_row[(item.source_name, item.source_row)]])
    import_all(signed, messy_files)
    merged = _with_truth(signed, messy_files)
    assert (merged["linked"] == merged["address_code"]).all()
    # What is left unstored is the files' own duplicates (dropped on purpose, reported).
    originals = person_rows[~person_rows["flags"].str.contains("duplicate")]
    stored = originals.merge(merged[["file", "excel_row"]], on=["file", "excel_row"])
    assert len(stored) / len(originals) >= 0.995
    assert not signed.review.open_items()


def test_reimport_is_idempotent_and_rollback_removes_one_batch(
    signed: SignedIn, messy_files: Path
) -> None:
    first = ordered_files(messy_files)[:5]  # students, schools, enrollments of three years
    for path in first:
        signed.importing.commit(signed.importing.preview(signed.importing.inspect(path)))
    count = signed.store.db.call(lambda c: c.execute(
        "SELECT count(*) FROM ds_enrollments").fetchone()[0])
    again = signed.importing.preview(signed.importing.inspect(first[2]))
    assert again.counts["new"] == 0 and again.counts["identical"] > 0
    assert not again.has_changes
    attendance = next(p for p in ordered_files(messy_files) if p.name.startswith("attendance"))
    result = signed.importing.commit(signed.importing.preview(signed.importing.inspect(attendance)))
    before = {k: signed.store.db.call(lambda c, k=k: c.execute(
        f"SELECT count(*) FROM ds_{k}").fetchone()[0]) for k in ("attendance_monthly",
                                                             "enrollments")}
    assert before["attendance_monthly"] == result.inserted
    undone = signed.importing.rollback(result.batch_id)
    assert undone.removed == {"attendance_monthly": result.inserted} and not undone.kept
    assert signed.store.db.call(lambda c: c.execute(
        "SELECT count(*) FROM ds_attendance_monthly").fetchone()[0]) == 0
    assert signed.store.db.call(lambda c: c.execute(
        "SELECT count(*) FROM ds_enrollments").fetchone()[0]) == count
    assert all(i.source_name != attendance.name for i in signed.review.open_items())
    from toda_desktop.errors import UserFacingError

    with pytest.raises(UserFacingError, match="取り消されています"):
        signed.importing.rollback(result.batch_id)
    # The master cannot be rolled back while later batches refer to its pupils.
    with pytest.raises(UserFacingError, match="参照しているため"):
        signed.importing.rollback(1)
