"""和暦: the era parser and formatters (public functions used across the app)."""

from __future__ import annotations

from datetime import date

import pytest

from analysis.wareki import (
    WarekiError,
    format_era_date,
    format_era_year,
    format_school_year,
    parse_era_date,
    parse_era_year,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("令和4年4月1日", date(2022, 4, 1)), ("R4.4.1", date(2022, 4, 1)),
     ("R04/04/01", date(2022, 4, 1)), ("H31.4.30", date(2019, 4, 30)),
     ("令和元年5月1日", date(2019, 5, 1)), ("平成元年1月8日", date(1989, 1, 8)),
     ("昭和64年1月7日", date(1989, 1, 7)), ("Ｒ４．４．１", date(2022, 4, 1))],
)
def test_parse_era_date(text: str, expected: date) -> None:
    assert parse_era_date(text) == expected


@pytest.mark.parametrize("text", ["平成31年5月1日", "令和元年4月30日", "昭和64年1月8日",
                                  "R4.2.30", "令和", "2022/4/1"])
def test_parse_era_date_refuses(text: str) -> None:
    with pytest.raises(WarekiError):
        parse_era_date(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("令和4年", 2022), ("R4", 2022), ("令和元年度", 2019), ("H31年度", 2019),
     ("平成元年", 1989), ("Ｓ６４", 1989), ("令和 6 年度", 2024)],
)
def test_parse_era_year(text: str, expected: int) -> None:
    assert parse_era_year(text) == expected


@pytest.mark.parametrize("text", ["平成32年", "昭和65年", "令和0年", "R", "2022"])
def test_parse_era_year_refuses(text: str) -> None:
    with pytest.raises(WarekiError):
        parse_era_year(text)


def test_formatters_unchanged() -> None:
    assert format_era_date(date(2019, 5, 1)) == "令和元年5月1日"
    assert format_era_date(date(2019, 4, 30)) == "平成31年4月30日"
    assert format_era_year(2024) == "令和6年"
    assert format_school_year(2019, "wareki") == "令和元年度"
    assert format_school_year(2024) == "2024年度"
