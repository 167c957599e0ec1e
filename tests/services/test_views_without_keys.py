"""Pages that span data domains read only the kinds whose key the account holds, and say what
they leave out (QA after issue 12: the IT administrator's データ概要 failed with "no such
table", and a role waiting for a key was told nothing on データ概要 or 児童生徒検索).

Accounts sign in to the real demo city with their own passwords; a missing key is the same
account's store opened without that group's key, as before the project lead grants it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.group_files import file_groups
from storage.registry import default_registry
from tests.risk.conftest import sign_in
from tests.storage.test_key_files_insider import _reopen_with
from toda_desktop.composition import SignedIn
from toda_desktop.errors import UserFacingError
from toda_desktop.extraction.model import CountInWindow, Extraction, Group
from toda_desktop.search.service import SearchFilters

REGISTRY = default_registry()
NOTE = ("鍵をお持ちでない領域（いじめ等の記録）は含まれていません。"
        "鍵の付与は事業全体総括職員にご依頼ください。")


def test_the_it_administrators_overview_reads_only_the_store_file(
    demo_store_path: Path,
) -> None:
    it = sign_in(demo_store_path, "it_admin")
    try:
        assert it.store.held_groups == ()  # no data key at all: no group file attached
        overview = it.overview()
        assert overview.pupil_count is None  # the pupil table is in the basic group's file
        assert overview.datasets == () and overview.school_years == ()
        assert overview.store_size_bytes > 0
        assert overview.integrity.message  # the store's health is still told
        assert overview.last_import is not None and overview.last_import.row_count is None
        assert overview.withheld == ""  # the role sees no data: nothing is withheld from it
    finally:
        it.sign_out()


def test_a_role_waiting_for_a_key_is_told_on_the_overview_and_in_search_results(
    demo_store_path: Path,
) -> None:
    groups = tuple(g.name for g in file_groups(REGISTRY) if g.name != "bullying")
    signed, _ = _reopen_with(sign_in(demo_store_path, "director"), groups)
    try:
        overview = signed.overview()
        assert overview.withheld == NOTE
        assert "bullying_records" not in {d.kind for d in overview.datasets}
        assert overview.pupil_count is not None and overview.pupil_count > 0
        results = signed.search.search("", _any_school(signed))
        assert results.hits and results.withheld == NOTE
    finally:
        signed.sign_out()


def test_every_key_held_means_no_note(demo_store_path: Path) -> None:
    lead = sign_in(demo_store_path, "project_lead")
    try:
        assert lead.overview().withheld == ""
        assert lead.search.search("", _any_school(lead)).withheld == ""
    finally:
        lead.sign_out()


def test_without_the_basic_key_the_overview_counts_what_is_held_and_no_pupil_total(
    demo_store_path: Path,
) -> None:
    signed, _ = _reopen_with(sign_in(demo_store_path, "director"), ("attendance-truancy",))
    try:
        overview = signed.overview()
        assert overview.pupil_count is None
        shown = {d.kind for d in overview.datasets}
        assert "attendance_monthly" in shown and "enrollments" not in shown
        assert "児童生徒基本情報" in overview.withheld and "事業全体総括職員" in overview.withheld
    finally:
        signed.sign_out()


def test_without_the_basic_key_a_pupil_dataset_export_says_which_key_it_needs(
    demo_store_path: Path, tmp_path: Path
) -> None:
    signed, _ = _reopen_with(sign_in(demo_store_path, "project_lead"), ("attendance-truancy",))
    try:
        with pytest.raises(UserFacingError, match="児童生徒基本情報の鍵が必要です"):
            signed.records.export_dataset("attendance_monthly", tmp_path / "a.csv")
        assert not (tmp_path / "a.csv").exists()
    finally:
        signed.sign_out()


def _any_school(signed: SignedIn) -> SearchFilters:
    return SearchFilters(school_code=signed.search.filter_options().schools[0].code)


def test_without_the_basic_key_the_review_queue_says_which_key_it_needs(
    demo_store_path: Path,
) -> None:
    signed, _ = _reopen_with(sign_in(demo_store_path, "project_lead"), ("bullying",))
    try:
        assert signed.review.open_count() >= 0  # the queue's bookkeeping is in the store file
        for action in (signed.review.open_items, lambda: signed.review.find_pupil("1"),
                       lambda: signed.review.describe_pupil(1),
                       lambda: signed.review.decide(1, None)):
            with pytest.raises(UserFacingError, match="児童生徒基本情報の鍵が必要です"):
                action()
    finally:
        signed.sign_out()


def test_without_the_basic_key_an_extraction_says_which_key_it_needs(
    demo_store_path: Path,
) -> None:
    signed, _ = _reopen_with(sign_in(demo_store_path, "project_lead"), ("bullying",))
    try:
        bullying = Extraction("いじめ", Group(items=(CountInWindow("bullying_records", 1, 365),)))
        with pytest.raises(UserFacingError, match="抽出には児童生徒基本情報の鍵が必要です"):
            signed.extraction.run(bullying)
    finally:
        signed.sign_out()
