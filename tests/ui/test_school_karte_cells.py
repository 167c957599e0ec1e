"""How one result cell of the school karte reads (no Qt event loop needed): every shown cell
has n and its interval, a suppressed one no number at all, states in words and marks."""

from __future__ import annotations

from ui.school_karte.adapt import level_label
from ui.school_karte.grid import GridCell
from ui.school_karte.wording import LOOKS


def test_a_cell_reads_value_city_difference_n_and_interval() -> None:
    first, second, third = GridCell("below", 52.9, 77.2, -24.3, 17, 31.0, 73.8).lines()
    assert first == "52.9%　市 77.2%　差 -24.3"
    assert second == "▼ 市より低い"
    assert third == "n=17　95%区間 31.0〜73.8"


def test_a_difference_that_rounds_to_zero_is_written_without_a_sign() -> None:
    assert "差 ±0.0" in GridCell("uncertain", 88.2, 88.25, -0.04, 17, 65.7, 96.7).lines()[0]


def test_a_suppressed_cell_shows_no_number() -> None:
    text = "".join(GridCell("suppressed").lines())
    assert "少人数" in text and not any(ch.isdigit() for ch in text)


def test_every_state_has_a_mark_and_words_not_only_a_colour() -> None:
    for state in ("above", "below", "uncertain", "within", "suppressed"):
        look = LOOKS[state]
        assert look.mark and look.words


def test_groups_are_named_as_staff_name_them() -> None:
    assert level_label((None, None)) == "学校全体"
    assert level_label((4, None)) == "4年"
    assert level_label((4, "2")) == "4年 2組"
    assert level_label((4, "なかよし")) == "4年 なかよし"
