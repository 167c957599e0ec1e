"""Cell suppression with complementary cells on hand-made tables: each rule by name."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from analysis.research.cells import TOTAL, suppress


def table(rows: list[list[int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, index=[f"S{i}" for i in range(len(rows))],
                        columns=[str(c + 1) for c in range(len(rows[0]))])


def lines(frame: pd.DataFrame) -> list[list[tuple[object, object]]]:
    return ([[(r, c) for c in frame.columns] for r in frame.index]
            + [[(r, c) for r in frame.index] for c in frame.columns])


def recoverable_by_subtraction(result) -> list[tuple[object, object]]:  # type: ignore[no-untyped-def]
    """Suppressed entries equal to a line's total less the line's published entries."""
    found = []
    counts, mask = result.counts, result.suppressed
    for line in lines(counts):
        total = line[-1]
        inner = line[:-1]
        for entry in line:
            if not mask.loc[entry]:
                continue
            if entry == total:
                guess = sum(int(counts.loc[p]) for p in inner if not mask.loc[p])
                others = [p for p in inner if mask.loc[p]]
            else:
                if mask.loc[total]:
                    continue
                guess = int(counts.loc[total]) - sum(
                    int(counts.loc[p]) for p in inner if not mask.loc[p] and p != entry)
                others = [p for p in inner if mask.loc[p] and p != entry]
            if not others and guess == int(counts.loc[entry]):
                found.append(entry)
    return found


def test_a_count_under_ten_is_suppressed() -> None:
    result = suppress(table([[20, 3], [12, 30]]))
    assert result.suppressed.loc["S0", "2"]
    assert result.primary == 1


def test_no_published_count_lies_between_one_and_nine() -> None:
    result = suppress(table([[20, 3, 15], [12, 30, 40], [25, 25, 5]]))
    published = result.published().to_numpy()
    values = published[~pd.isna(published)].astype(int)
    assert not ((values > 0) & (values < 10)).any()


def test_a_zero_is_published_because_it_counts_no_one() -> None:
    result = suppress(table([[0, 20], [15, 30]]))
    assert not result.suppressed.to_numpy().any()
    assert result.published().loc["S0", "1"] == 0


def test_a_small_total_is_suppressed_like_a_cell() -> None:
    result = suppress(table([[4, 3], [12, 30]]))
    assert result.suppressed.loc["S0", TOTAL]


def test_a_lone_suppression_in_a_row_gets_a_complementary_cell() -> None:
    result = suppress(table([[20, 3, 15], [40, 30, 12]]))
    row = result.suppressed.loc["S0"]
    assert row.sum() >= 2
    assert result.complementary >= 1


def test_the_complementary_cell_is_the_smallest_published_one_of_the_line() -> None:
    result = suppress(table([[50, 3, 15], [40, 30, 12], [60, 60, 60]]))
    # Row S0 needs a second suppression: 15 (not 50); column 2 needs one: 30 (not 60).
    assert result.suppressed.loc["S0", "3"] and not result.suppressed.loc["S0", "1"]
    assert result.suppressed.loc["S1", "2"]


def test_no_suppressed_cell_equals_a_total_minus_the_published_cells() -> None:
    rng = np.random.default_rng(3)
    for _ in range(200):
        rows, cols = int(rng.integers(2, 6)), int(rng.integers(2, 6))
        counts = rng.choice([0, 1, 2, 5, 8, 9, 10, 12, 30, 80], size=(rows, cols))
        result = suppress(table(counts.tolist()))
        assert recoverable_by_subtraction(result) == []


def test_no_suppressed_cell_is_fixed_by_the_tables_equations_together() -> None:
    rng = np.random.default_rng(5)
    for _ in range(100):
        counts = rng.choice([0, 3, 10, 20, 40], size=(3, 4))
        result = suppress(table(counts.tolist()))
        mask = result.suppressed.to_numpy()
        if not mask.any():
            continue
        # Two fillings of the suppressed entries that keep every published total: found
        # by moving around a cycle of suppressed entries; the solver's null space must
        # move each suppressed entry.
        unknowns = [tuple(p) for p in np.argwhere(mask)]
        index = {p: i for i, p in enumerate(unknowns)}
        rows, cols = mask.shape
        equations = []
        for line in ([[(r, c) for c in range(cols)] for r in range(rows)]
                     + [[(r, c) for r in range(rows)] for c in range(cols)]):
            vector = np.zeros(len(unknowns))
            for p in line:
                if p in index:
                    vector[index[p]] = 1.0
            equations.append(vector)
        matrix = np.array(equations)
        for p, i in index.items():
            unit = np.zeros(len(unknowns))
            unit[i] = 1.0
            assert np.linalg.matrix_rank(np.vstack([matrix, unit])) > np.linalg.matrix_rank(
                matrix), f"suppressed entry {p} is fixed by the totals"


def test_the_totals_are_the_sums_of_the_inner_cells() -> None:
    result = suppress(table([[20, 3], [12, 30]]))
    counts = result.counts
    assert counts.loc["S0", TOTAL] == 23 and counts.loc[TOTAL, "1"] == 32
    assert counts.loc[TOTAL, TOTAL] == 65


def test_a_table_with_nothing_small_suppresses_nothing() -> None:
    result = suppress(table([[20, 13], [12, 30]]))
    assert result.primary == 0 and result.complementary == 0


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError):
        suppress(table([[-1, 20], [12, 30]]))


def test_every_small_cell_of_a_single_row_table_is_protected() -> None:
    for values in itertools.product([0, 4, 12], repeat=3):
        result = suppress(table([list(values)]))
        assert recoverable_by_subtraction(result) == []
