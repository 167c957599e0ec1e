"""The model's input tables as DataFrames, built chunk by chunk as the store reads them.

Each chunk of rows becomes a small DataFrame whose text columns are categoricals at once, and
the chunks are joined column by column (categories united), so a city's million rows are never
held as Python tuples all at once: that copy, beside the frames, made training through the
store peak above 1 GB, and the freed tuples kept the process's heap large for the whole grid.
The frames equal what one ``DataFrame`` of all the rows followed by
:func:`analysis.risk.panel.compact_frame` gave (the same dtypes, categories in sorted order).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from pandas.api.types import union_categoricals

from analysis.risk.panel import compact_frame
from storage.connection import Connection
from storage.repos import risk as repo

# Tables whose text columns the model's inputs keep as categoricals (see compact_inputs);
# the others are small and keep their text as it is.
COMPACT = frozenset({"long_absence", "health_room", "consultations", "survey", "academic"})


def _join(parts: list[pd.Series], compact: bool) -> pd.Series:
    """One column from its chunks, with the dtype one DataFrame of all its rows would get."""
    if all(isinstance(p.dtype, pd.CategoricalDtype) for p in parts):
        filled = [p for p in parts if len(p.cat.categories)]
        if not filled:
            return pd.concat(parts, ignore_index=True)
        none = filled[0].cat.categories[:0]  # chunks of missing values only: no categories
        parts = [p if len(p.cat.categories) else p.cat.set_categories(none) for p in parts]
        if len({p.cat.categories.dtype for p in parts}) == 1:
            return pd.Series(union_categoricals(parts, sort_categories=True, ignore_order=True))
    elif len({p.dtype for p in parts}) == 1:
        return pd.concat(parts, ignore_index=True)
    # Chunks that disagree (e.g. one of missing values only): infer from all values, rare.
    values = pd.concat([p.astype(object) for p in parts], ignore_index=True).tolist()
    frame = _compacted(pd.DataFrame({"v": values}), compact)
    return frame["v"]


def _compacted(frame: pd.DataFrame, compact: bool) -> pd.DataFrame:
    out = compact_frame(frame) if compact else frame
    assert out is not None
    return out


def table_frame(table: repo.Table, compact: bool) -> pd.DataFrame:
    """One table's rows as a DataFrame, text as categoricals when ``compact``."""
    columns = list(table.columns)
    parts: list[pd.DataFrame] = []
    for rows in table.chunks:
        part = pd.DataFrame(rows, columns=columns)
        del rows
        parts.append(_compacted(part, compact))
    if not parts:
        return _compacted(pd.DataFrame([], columns=columns), compact)
    if len(parts) == 1:
        return parts[0]
    joined = {c: _join([p[c] for p in parts], compact) for c in columns}
    parts.clear()
    return pd.DataFrame(joined, columns=columns)


def read_frames(
    conn: Connection,
    kinds: Iterable[str],
    years: tuple[int, int] | None = None,
    chunk_rows: int = repo.CHUNK_ROWS,
) -> dict[str, pd.DataFrame]:
    """The panel tables of ``kinds`` (see ``storage.repos.risk.read_panel``) as DataFrames;
    to be run inside one store call."""
    return {kind: table_frame(table, kind in COMPACT)
            for kind, table in repo.read_panel(conn, kinds, years, chunk_rows).items()}
