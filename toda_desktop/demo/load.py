"""Writing a generated city straight into a store, one import batch per dataset kind.

The frames carry the registry's column keys; pupil datasets carry the true ``address_code``,
which is turned into the store's ``pupil_id`` here (the generator knows the truth, so no
名寄せ is needed). Everything on one lane of the store goes in one transaction (the school
lane's 学校 kinds in a second one, after the pupils', issue 12): a cancelled load leaves
nothing of that lane; the demo setup removes a store whose load did not finish.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Collection, Iterator
from datetime import date, datetime
from typing import Any

import pandas as pd

from kernel.progress import CancelFlag, Progress
from storage.connection import Connection, transaction
from storage.registry import DatasetKind, Registry
from storage.repos import batches, datasets
from storage.store import Store
from toda_desktop.clock import Clock, system_clock
from toda_desktop.demo import DemoCity
from toda_desktop.search.keys import refresh_search_index

SOURCE_NAME = "デモ都市ジェネレータ"


def _column_values(series: pd.Series) -> list[Any]:
    """Python scalars for sqlite (numpy/pandas ones become int/float/str); missing → None."""
    values = series.astype(object).where(series.notna().to_numpy(), None).tolist()
    if values and isinstance(next((v for v in values if v is not None), None), date):
        return [None if v is None else v.isoformat() for v in values]
    return values


def _rows(frame: pd.DataFrame, columns: list[str]) -> Iterator[tuple[Any, ...]]:
    return zip(*(_column_values(frame[c]) for c in columns), strict=True)


def _frame_digest(kind: DatasetKind, frame: pd.DataFrame) -> str:
    digest = hashlib.sha256(kind.name.encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def write_city(
    conn: Connection,
    registry: Registry,
    city: DemoCity,
    imported_by: str,
    *,
    at: datetime | None = None,
    progress: Progress | None = None,
    cancel: CancelFlag | None = None,
    only: Collection[str] | None = None,
) -> dict[str, int]:
    """Insert every frame of the city (of the kinds ``only``, if given) in one transaction;
    returns rows written per kind (``at``: the batches' import time, the system clock's when
    not given).

    Takes a bare connection so that the benchmark can run the very same code on plain SQLite.
    """
    imported_at = at or system_clock()
    kinds = sorted((k for k in registry.kinds if only is None or k.name in only),
                   key=lambda k: not k.master)
    total_rows = sum(len(city.frames[k.name]) for k in kinds) or 1
    written: dict[str, int] = {}
    done = 0
    with transaction(conn):
        pupil_ids: dict[str, int] = {}
        for kind in kinds:
            frame = city.frames[kind.name]
            stored = [c.key for c in kind.stored_columns]
            batch_id = batches.create(
                conn, kind.name, SOURCE_NAME, _frame_digest(kind, frame), imported_by,
                at=imported_at,
            )
            if kind.links_to_pupil:
                frame = frame.assign(pupil_id=frame["address_code"].astype(str).map(pupil_ids))
                if frame["pupil_id"].isna().any():
                    raise ValueError(f"{kind.name}: rows refer to pupils not in the master")
                columns = ["pupil_id", *stored]
            else:
                columns = stored
            base = done

            def step(n: int, base: int = base) -> None:
                if progress is not None:
                    progress(min(1.0, (base + n) / total_rows))

            count = datasets.insert_rows(
                conn,
                kind,
                columns,
                _rows(frame, columns),
                batch_id=batch_id,
                progress=step,
                cancel=cancel,
            )
            batches.set_row_count(conn, batch_id, count)
            written[kind.name] = count
            done += count
            if kind.master:
                pupil_ids = datasets.pupil_ids_by_address(conn, kind)
        # Build the search index now, so that the first search does not pay for it.
        if any(k.master for k in kinds):
            refresh_search_index(conn)
    return written


def load_city(
    store: Store,
    city: DemoCity,
    imported_by: str,
    *,
    progress: Progress | None = None,
    cancel: CancelFlag | None = None,
    clock: Clock = system_clock,
) -> dict[str, int]:
    """Write the city into an open store, on its database thread."""
    at = clock()
    lanes: dict[int, list[str]] = {}
    for kind in store.registry.kinds:
        lanes.setdefault(store.db.lane_of(kind.name), []).append(kind.name)
    total = sum(len(city.frames[k.name]) for k in store.registry.kinds) or 1
    written: dict[str, int] = {}
    done = 0
    for lane in sorted(lanes):  # the main lane (the pupils) first
        names = lanes[lane]
        share = sum(len(city.frames[n]) for n in names) / total
        base = done / total

        def part(f: float, base: float = base, share: float = share) -> None:
            if progress is not None:
                progress(base + share * f)

        written |= store.db.call(
            functools.partial(write_city, registry=store.registry, city=city,
                              imported_by=imported_by, at=at, progress=part, cancel=cancel,
                              only=names),
            kind=names[0],
        )
        done += sum(len(city.frames[n]) for n in names)
    return written
