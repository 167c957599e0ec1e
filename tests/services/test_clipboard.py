"""Copies of table cells (Ctrl+C, issue 16) are checked and logged like small exports:
pupils' cells need 出力, totals need 集計の出力, at most 100 rows, and every copy is logged
with the page, counts and pupils, never with the cells."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import copy_store
from tests.search.helpers import demo_sessions
from toda_desktop.audit.service import AuditFilter
from toda_desktop.clipboard import MAX_COPY_ROWS
from toda_desktop.composition import SignedIn
from toda_desktop.errors import PermissionDenied, UserFacingError


@pytest.fixture(scope="module")
def sessions(_demo_store_template: Path, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[dict[str, SignedIn]]:
    path = copy_store(_demo_store_template, tmp_path_factory.mktemp("clip") / "demo.tdb")
    with demo_sessions(path, ("project_lead", "director", "liaison")) as signed:
        yield signed


@pytest.fixture(autouse=True)
def _no_leaked_threads() -> None:
    """Sessions here live for the whole module; the module fixture closes them."""


def _copies(signed: SignedIn, actor: str) -> list[object]:
    return [e for e in signed.audit_view.entries(AuditFilter(action="copy_cells", actor=actor))]


def test_a_copy_of_pupils_cells_is_logged_with_the_pupils_and_counts(
    sessions: dict[str, SignedIn],
) -> None:
    lead = sessions["project_lead"]
    lead.clipboard.record_copy("児童生徒カルテ", 3, 2, (17,))
    lead.clipboard.record_copy("児童生徒検索", 2, 7, (4, 5))
    entries = _copies(lead, "demo-lead")
    assert len(entries) == 2
    karte = next(e for e in entries if e.pupil_id == 17)
    assert karte.target == ("画面 児童生徒カルテ",)
    assert "件数: 3" in str(karte.detail) and "列: 2" in str(karte.detail)
    search = next(e for e in entries if e.target == ("画面 児童生徒検索",))
    assert search.pupil_id is None and "児童生徒数: 2" in str(search.detail)
    assert "4" in str(search.detail) and "5" in str(search.detail)


def test_pupils_cells_need_export_and_totals_need_aggregate_export(
    sessions: dict[str, SignedIn],
) -> None:
    director, liaison = sessions["director"], sessions["liaison"]
    with pytest.raises(PermissionDenied):
        director.clipboard.record_copy("児童生徒検索", 1, 3, (4,))
    with pytest.raises(PermissionDenied):  # a table that cannot tell counts as pupils'
        director.clipboard.record_copy("見守りアラート", 1, 3, None)
    director.clipboard.record_copy("データ概要", 4, 3, ())  # totals: 集計の出力
    with pytest.raises(PermissionDenied):
        liaison.clipboard.record_copy("データ概要", 4, 3, ())
    lead = sessions["project_lead"]
    assert len(_copies(lead, "demo-director")) == 1
    assert not _copies(lead, "demo-liaison")
    denied = lead.audit_view.entries(AuditFilter(actor="demo-director"))
    assert any(e.outcome_label == "拒否" for e in denied)  # the refusals are logged too


def test_more_than_the_limit_goes_through_a_file_export(sessions: dict[str, SignedIn]) -> None:
    lead = sessions["project_lead"]
    before = len(_copies(lead, "demo-lead"))
    with pytest.raises(UserFacingError, match="出力"):
        lead.clipboard.record_copy("抽出", MAX_COPY_ROWS + 1, 7, tuple(range(MAX_COPY_ROWS + 1)))
    assert len(_copies(lead, "demo-lead")) == before
