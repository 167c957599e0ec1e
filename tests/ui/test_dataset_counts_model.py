"""The counts table model over plain dataclasses: columns, totals, sorting, year styles."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt

from toda_desktop.models import DatasetCount
from ui.overview.counts_model import DatasetCountsModel, TotalsLastProxy

pytestmark = pytest.mark.gui

DATASETS = (
    DatasetCount("enrollments", "在籍", {2023: 1200, 2024: 1210, 2025: 1190}, 3600),
    DatasetCount(
        "infant_checkups",
        "乳幼児健診",
        {2015: 10, 2016: 20, 2019: 5, 2021: 7, 2022: 1},
        43,
        date(2022, 5, 19),
    ),
    DatasetCount("schools", "学校", {}, 18),
)


def _headers(model: DatasetCountsModel) -> list[str]:
    return [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]


def test_recent_years_get_columns_and_older_years_are_summed(qapp: object) -> None:
    model = DatasetCountsModel("seireki")
    model.set_counts(DATASETS, (2023, 2024, 2025))
    assert _headers(model) == [
        "データの種類",
        "それ以前",
        "2021年度",
        "2022年度",
        "2023年度",
        "2024年度",
        "2025年度",
        "合計",
        "最新の日付",
    ]
    assert model.index(1, 1).data() == "35"  # 2015 + 2016 + 2019
    assert model.index(0, 1).data() == "—"
    assert model.index(0, 4).data() == "1,200"
    assert model.index(1, 8).data() == "2022年5月19日"
    assert model.index(2, 7).data() == "18"
    # Totals row: per column and overall.
    assert model.index(3, 0).data() == "合計"
    assert model.index(3, 1).data() == "35"
    assert model.index(3, 7).data() == "3,661"

    model.set_recent_years(None)
    assert "それ以前" not in _headers(model)
    assert model.shown_years == (2015, 2016, 2019, 2021, 2022, 2023, 2024, 2025)


def test_wareki_headers(qapp: object) -> None:
    model = DatasetCountsModel("wareki")
    model.set_counts(DATASETS, ())
    headers = _headers(model)
    assert headers[2:7] == ["令和3年度", "令和4年度", "令和5年度", "令和6年度", "令和7年度"]
    assert model.index(1, 8).data() == "令和4年5月19日"


def test_proxy_sorts_numbers_and_keeps_totals_last(qapp: object) -> None:
    model = DatasetCountsModel("seireki")
    model.set_counts(DATASETS, ())
    proxy = TotalsLastProxy()
    proxy.setSourceModel(model)
    total_col = model.columnCount() - 2
    proxy.sort(total_col, Qt.SortOrder.DescendingOrder)
    assert [proxy.index(r, 0).data() for r in range(4)] == ["在籍", "乳幼児健診", "学校", "合計"]
    proxy.sort(total_col, Qt.SortOrder.AscendingOrder)
    assert [proxy.index(r, 0).data() for r in range(4)] == ["学校", "乳幼児健診", "在籍", "合計"]
    proxy.sort(0, Qt.SortOrder.AscendingOrder)
    assert proxy.index(3, 0).data() == "合計"


def test_empty_store_has_no_rows(qapp: object) -> None:
    model = DatasetCountsModel("wareki")
    model.set_counts((), ())
    assert model.rowCount() == 0
    assert _headers(model) == ["データの種類", "合計", "最新の日付"]
