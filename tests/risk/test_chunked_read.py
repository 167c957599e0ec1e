"""The model's inputs are read from the store in chunks: the frames must equal what reading
every row at once gave (one DataFrame of all rows, text compacted to categoricals)."""

from __future__ import annotations

from itertools import chain
from pathlib import Path

import pandas as pd
import pytest

from analysis.risk.panel import compact_frame
from storage.connection import Connection
from storage.repos import risk as repo
from tests.risk.conftest import sign_in
from toda_desktop.risk.frames import COMPACT, read_frames, table_frame


def _all_at_once(
    conn: Connection, years: tuple[int, int] | None
) -> dict[str, pd.DataFrame]:
    """The frames as the service built them before: every row fetched, then one DataFrame."""
    out: dict[str, pd.DataFrame] = {}
    for kind, table in repo.read_panel(conn, repo.PANEL_KINDS, years).items():
        frame = pd.DataFrame(list(chain.from_iterable(table.chunks)),
                             columns=list(table.columns))
        compacted = compact_frame(frame) if kind in COMPACT else frame
        assert compacted is not None
        out[kind] = compacted
    return out


@pytest.mark.parametrize("years", [None, (2024, 2025), (1990, 1990)])
def test_chunked_read_gives_the_frames_of_reading_all_rows_at_once(
    demo_store_path: Path, years: tuple[int, int] | None
) -> None:
    lead = sign_in(demo_store_path, "project_lead")
    try:
        db = lead.store.db
        before = db.call(lambda c: _all_at_once(c, years))
        # 97 rows a chunk: every large table spans many chunks, each with other categories.
        chunked = db.call(lambda c: read_frames(c, repo.PANEL_KINDS, years, chunk_rows=97))
    finally:
        lead.sign_out()
    assert set(chunked) == set(before) >= {"attendance", "enrollments", "survey"}
    if years != (1990, 1990):
        assert len(before["attendance"]) > 97 and len(before["survey"]) > 97
    for kind, frame in before.items():
        pd.testing.assert_frame_equal(chunked[kind], frame, check_exact=True, obj=kind)


def test_each_chunk_holds_at_most_the_rows_asked_for(demo_store_path: Path) -> None:
    lead = sign_in(demo_store_path, "project_lead")
    try:
        sizes = lead.store.db.call(lambda c: [
            len(rows) for rows in repo.read_panel(c, ("attendance",), None, 500)["attendance"]
            .chunks])
    finally:
        lead.sign_out()
    assert len(sizes) > 1 and max(sizes) == 500 and 0 < sizes[-1] <= 500


@pytest.mark.parametrize("compact", [True, False])
@pytest.mark.parametrize("chunk_rows", [1, 2, 3, 6])
def test_chunks_of_missing_values_only_keep_the_dtype_of_all_rows(
    compact: bool, chunk_rows: int
) -> None:
    # Written by hand: a symptom and a count left empty over whole chunks, as a health-room
    # log kept without symptoms for a term gives.
    rows: list[tuple[object, ...]] = [
        (1, None, None, 2.5), (2, None, None, None), (3, "内科", 4, 1.0),
        (4, "心因", None, 2.0), (5, None, 7, None), (6, "外科", 1, 3.0),
    ]
    columns = ("pupil_id", "symptom", "count", "share")
    chunks = iter([rows[i : i + chunk_rows] for i in range(0, len(rows), chunk_rows)])
    expected = pd.DataFrame(rows, columns=list(columns))
    if compact:
        expected = expected.astype({"symptom": "category"})
    got = table_frame(repo.Table(columns, chunks), compact)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
