"""The scanner backends a store accepts, recorded when it was made (migration 10)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.connection import Connection


@dataclass(frozen=True)
class AcceptedBackend:
    name: str
    version: str
    digest: str
    simulator: bool


def accepted(conn: Connection) -> tuple[AcceptedBackend, ...]:
    rows = conn.execute(
        "SELECT name, version, digest, simulator FROM scanner_backends ORDER BY name"
    )
    return tuple(AcceptedBackend(str(r[0]), str(r[1]), str(r[2]), bool(r[3])) for r in rows)


def record(conn: Connection, backends: tuple[AcceptedBackend, ...], at: datetime) -> None:
    for b in backends:
        conn.execute(
            "INSERT INTO scanner_backends (name, version, digest, simulator, recorded_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (b.name, b.version, b.digest, int(b.simulator), at.isoformat(timespec="seconds")),
        )


def forget_vendors(conn: Connection) -> None:
    """Before recording a new set of vendor backends (the simulators' rows stay)."""
    conn.execute("DELETE FROM scanner_backends WHERE simulator = 0")
