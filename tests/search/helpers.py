"""Shared by the search, karte and extraction tests: signing in with a scripted palm, and a
hand-made town whose every row is known (inserted through the same repository as imports,
so the search-index triggers see them as they would see an import)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from devices import FakeClock, Scanner, Simulator, SimulatorConfig, require_real_scanner_for
from storage.connection import Connection, transaction
from storage.registry import default_registry
from storage.repos import batches, datasets
from storage.store import Store
from toda_desktop.composition import Application, SignedIn
from toda_desktop.store_setup import DEMO_LOGINS, DEMO_PASSWORD


def sign_in(path: Path, login: str, password: str) -> SignedIn:
    sim = Simulator(SimulatorConfig(seed=1), clock=FakeClock())

    def factory(kind: str) -> Scanner:
        require_real_scanner_for(kind, sim)
        return sim

    return Application(path, scanner_factory=factory).sign_in(login, password)


@contextmanager
def demo_sessions(path: Path, roles: Sequence[str] = tuple(DEMO_LOGINS)
                  ) -> Iterator[dict[str, SignedIn]]:
    signed = {role: sign_in(path, DEMO_LOGINS[role][0], DEMO_PASSWORD) for role in roles}
    try:
        yield signed
    finally:
        for s in signed.values():
            s.sign_out()


def add_rows(store: Store, kind_name: str, rows: Sequence[Mapping[str, object]],
             source: str = "テスト.csv") -> int:
    """Insert rows of one kind (pupil kinds refer to pupils by ``address_code``) in one batch."""
    kind = default_registry().kind(kind_name)

    def write(conn: Connection) -> int:
        with transaction(conn):
            batch = batches.create(conn, kind.name, source, f"sha-{source}-{kind.name}", "lead",
                                   at=datetime(2026, 4, 1, 9))
            columns = [c.key for c in kind.stored_columns
                       if any(c.key in r for r in rows)]
            values = []
            if kind.links_to_pupil:
                ids = datasets.pupil_ids_by_address(conn, default_registry().master)
                columns_out = ["pupil_id", *columns]
                for r in rows:
                    values.append((ids[str(r["address_code"])], *(r.get(c) for c in columns)))
            else:
                columns_out = columns
                values = [tuple(r.get(c) for c in columns) for r in rows]
            n = datasets.insert_rows(conn, kind, columns_out, values, batch_id=batch)
            batches.set_row_count(conn, batch, n)
            return n

    return store.db.call(write)
