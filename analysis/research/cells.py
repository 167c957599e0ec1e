"""Cell suppression of a two-way table of counts, with complementary suppression.

The table is published with its row totals, column totals and grand total. A count from 1
to ``threshold - 1`` (a total too) is suppressed (primary); a zero is published, since it
counts no one. A line (a row with its total, a column with its total, the totals row, the
totals column) with exactly one suppressed entry would give it away by subtraction, so
complementary cells are suppressed too: in such a line, the smallest published non-zero
entry (the grand total last). When no line has a single suppressed entry, the suppressed
entries are checked together: if the published table's equations still fix one of them
exactly (a suppressed entry outside every cycle of suppressions), the smallest published
non-zero entry of its row is suppressed as well, and the lines are checked again.

What it cannot do: bounds. Counts are non-negative, so a reader can still narrow a
suppressed cell to an interval (never to one value); the threshold on the published cells
and complementary cells that are as small as possible keep those intervals wide in
practice, but no interval width is guaranteed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

THRESHOLD = 10
TOTAL = "合計"


@dataclass(frozen=True)
class SuppressedTable:
    """``counts``: the table with its totals (row and column labelled ``合計``);
    ``suppressed``: True where the count is not published."""

    counts: pd.DataFrame
    suppressed: pd.DataFrame
    primary: int
    complementary: int

    def published(self) -> pd.DataFrame:
        """The counts as published: suppressed entries missing (nullable integers)."""
        return self.counts.astype("Int64").mask(self.suppressed)


def with_totals(table: pd.DataFrame) -> pd.DataFrame:
    """The counts with a 合計 column and a 合計 row."""
    out = table.astype("int64").copy()
    out[TOTAL] = out.sum(axis=1)
    out.loc[TOTAL] = out.sum(axis=0)
    return out


def _lines(rows: int, cols: int) -> list[list[tuple[int, int]]]:
    """Every additive line of the table with totals (last row and column are the totals)."""
    return ([[(r, c) for c in range(cols)] for r in range(rows)]
            + [[(r, c) for r in range(rows)] for c in range(cols)])


def _complement(values: np.ndarray, mask: np.ndarray, line: list[tuple[int, int]]
                ) -> tuple[int, int] | None:
    """The entry to suppress beside a line's single suppression: smallest non-zero published
    value, the grand total only if nothing else is left, then the first by position."""
    grand = (values.shape[0] - 1, values.shape[1] - 1)
    candidates = [p for p in line if not mask[p] and values[p] > 0]
    if not candidates:
        return None
    return min(candidates, key=lambda p: (p == grand, values[p], p))


def _determined(mask: np.ndarray) -> list[tuple[int, int]]:
    """Suppressed entries the line equations fix exactly: those whose unit vector lies in
    the row space of the equations restricted to the suppressed entries."""
    unknowns = [tuple(p) for p in np.argwhere(mask)]
    if not unknowns:
        return []
    index = {p: i for i, p in enumerate(unknowns)}
    rows, cols = mask.shape
    equations = []
    for line in _lines(rows, cols):
        vector = np.zeros(len(unknowns))
        for p in line:
            if p in index:
                vector[index[p]] = 1.0
        if vector.any():
            equations.append(vector)
    matrix = np.array(equations)
    # Null space of the equations: an unknown is fixed iff it is zero in every null vector.
    _, singular, vt = np.linalg.svd(matrix)
    rank = int((singular > 1e-9).sum())
    null = vt[rank:]
    if null.shape[0] == 0:
        return list(unknowns)
    return [p for p, i in index.items() if np.abs(null[:, i]).max() < 1e-9]


def suppress(table: pd.DataFrame, threshold: int = THRESHOLD) -> SuppressedTable:
    """Suppress ``table``'s small counts and their complements (see the module docstring);
    ``table`` holds the inner cells only (non-negative integers)."""
    full = with_totals(table)
    values = full.to_numpy(dtype=np.int64)
    if (values < 0).any():
        raise ValueError("counts are never negative")
    primary = (values > 0) & (values < threshold)
    mask = primary.copy()
    rows, cols = values.shape
    lines = _lines(rows, cols)
    while True:
        changed = False
        for line in lines:
            if sum(bool(mask[p]) for p in line) == 1:
                pick = _complement(values, mask, line)
                if pick is not None:
                    mask[pick] = True
                    changed = True
        if changed:
            continue
        fixed = _determined(mask)
        if not fixed:
            break
        r, c = fixed[0]
        pick = _complement(values, mask, [(r, j) for j in range(cols)]) or _complement(
            values, mask, [(i, c) for i in range(rows)])
        if pick is None:  # nothing non-zero left to hide it with: hide the zeros as well
            zeros = [tuple(p) for p in np.argwhere(~mask)]
            if not zeros:
                break
            pick = zeros[0]
        mask[pick] = True
    suppressed = pd.DataFrame(mask, index=full.index, columns=full.columns)
    return SuppressedTable(counts=full, suppressed=suppressed, primary=int(primary.sum()),
                           complementary=int(mask.sum() - primary.sum()))
