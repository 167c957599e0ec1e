"""Every export is on record before its file exists (issue 12, finding 5): the review found an
export file written with no 出力 entry when the log write found the store busy. Now the
entry comes first; if it cannot be written there is no file, and the outcome follows."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from storage.store import Store
from tests.search.helpers import sign_in
from toda_desktop.audit.service import AuditFilter
from toda_desktop.composition import SignedIn
from toda_desktop.errors import UserFacingError
from toda_desktop.export_files import ExportResult
from toda_desktop.export_purpose.model import Purpose
from toda_desktop.store_setup import DEMO_LOGINS, DEMO_PASSWORD

LEAD = DEMO_LOGINS["project_lead"][0]
Export = Callable[[Path], ExportResult]
PURPOSE = Purpose("ケース会議の資料")


# Each prepares what it exports first (a search or a run is itself logged), then exports.
def _search(lead: SignedIn) -> Export:
    results = lead.search.search("山")
    assert results.hits
    return lambda path: lead.search.export(results, path, purpose=PURPOSE)


def _extraction(lead: SignedIn) -> Export:
    service = lead.extraction
    result = service.run(service.push_support_preset())
    assert result.rows  # the small city has pupils meeting the three criteria
    return lambda path: service.export(result, path, purpose=PURPOSE)


def _dataset(lead: SignedIn) -> Export:
    return lambda path: lead.records.export_dataset("students", path, purpose=PURPOSE)


def _audit(lead: SignedIn) -> Export:
    return lambda path: lead.audit_view.export_csv(path)


EXPORTS = {"search": (_search, "export"), "extraction": (_extraction, "export"),
           "dataset": (_dataset, "export"), "audit": (_audit, "audit_export")}


@pytest.fixture
def lead(demo_store_path: Path) -> Iterator[SignedIn]:
    signed = sign_in(demo_store_path, LEAD, DEMO_PASSWORD)
    signed.export_purposes.set_threshold(1_000_000)  # approvals: test_export_purpose.py
    yield signed
    signed.sign_out()


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(EXPORTS))
def test_no_file_is_written_when_the_audit_log_cannot_take_the_entry(
    lead: SignedIn, demo_store_path: Path, tmp_path: Path, kind: str
) -> None:
    prepare, action = EXPORTS[kind]
    export = prepare(lead)
    out = tmp_path / "out"
    out.mkdir()
    path = out / f"{kind}.xlsx"
    # Another process (a second connection to the same store) holds the write lock.
    other = Store.open(demo_store_path, LEAD, DEMO_PASSWORD)
    try:
        other.db.call(lambda conn: conn.execute("BEGIN IMMEDIATE"))
        with pytest.raises(UserFacingError) as raised:
            export(path)
        other.db.call(lambda conn: conn.execute("ROLLBACK"))
    finally:
        other.close()
    message = raised.value.message_ja
    assert "記録できなかったため、ファイルは作成していません" in message
    assert "使用中" in message  # and why: the store is busy
    assert list(out.iterdir()) == []  # no file, no staging file
    # Once the store is free the same export works, with its entry first.
    written = export(path)
    entries = [e for e in lead.audit_view.entries(AuditFilter(action=action))
               if path.name in e.detail_text]
    outcomes = {e.outcome_label: e for e in entries}
    assert len(entries) == 2 and written.rows > 0
    assert set(outcomes) == {"開始", "成功"}
    assert outcomes["開始"].id < outcomes["成功"].id
    assert f"件数: {written.rows}" in outcomes["成功"].detail_text
    assert f"件数: {written.rows}" in outcomes["開始"].detail_text  # rows known beforehand


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc takes no new files")
def test_a_write_that_fails_after_its_entry_is_logged_as_failed(
    lead: SignedIn, tmp_path: Path
) -> None:
    path = Path("/proc/self/検索結果.csv")  # a folder that exists but takes no file
    with pytest.raises(UserFacingError, match="書き込めません"):
        _search(lead)(path)
    entries = [e for e in lead.audit_view.entries(AuditFilter(action="export"))
               if path.name in e.detail_text]
    assert sorted(e.outcome_label for e in entries) == ["失敗", "開始"]


def test_a_refused_path_writes_neither_entry_nor_file(lead: SignedIn, tmp_path: Path) -> None:
    existing = tmp_path / "既存.csv"
    existing.write_bytes(b"earlier")
    before = len(lead.audit_view.entries(AuditFilter(action="export")))
    with pytest.raises(UserFacingError, match="既にあります"):
        _dataset(lead)(existing)
    assert len(lead.audit_view.entries(AuditFilter(action="export"))) == before
    assert existing.read_bytes() == b"earlier"
    assert _dataset(lead)(existing.with_name("既存2.csv")).rows > 0
