"""Reading a 100,000-entry audit log whose pupil-linked entries are sealed.

The log holds 100,000 entries, every other one sealed (a pupil's karte opened), written by
2,000 sessions (one content key each, as each session seals its own). Timed: the audit screen's
default read (newest 5,000, opened) against the same read without opening; and the pupil
filter, which opens every sealed entry and compares, against the same filter on a log of the
same size written in clear (an indexed column). Printed, not asserted (goal: the pupil filter
under 5 s on this machine; the default read under 1 s).

Run: ``.venv/bin/python -m pytest -m benchmark -s tests/benchmarks/test_bench_audit_seal.py``
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from storage import audit, audit_seal
from storage.connection import Connection, transaction
from storage.key_groups import AUDIT_READER_GROUP
from tests.benchmarks.conftest import median_seconds, report
from tests.conftest import TEST_SCRYPT_N
from toda_desktop.audit.signer import account_signer
from toda_desktop.store_setup import DEMO_LOGINS, DEMO_PASSWORD, create_demo_store

ENTRIES = 100_000
PER_SESSION = 50
PUPIL = 4242
LEAD = DEMO_LOGINS["project_lead"][0]


def _fill(path: Path, *, sealed: bool) -> None:
    from storage.store import Store

    with Store.open(path, LEAD, DEMO_PASSWORD) as store:
        signer = account_signer(store, LEAD)
        when = datetime(2026, 4, 1, 9, 0)

        def write(conn: Connection) -> None:
            reader = audit_seal.reader_public(conn)
            assert reader is not None
            the_store = audit.store_id(conn)
            with transaction(conn):
                seal = None
                for n in range(ENTRIES):
                    if n % PER_SESSION == 0:
                        seal = audit_seal.SessionSeal(reader, the_store) if sealed else None
                    pupil = PUPIL if n % 997 == 0 else 1000 + n % 3000
                    if n % 2:
                        audit.append(conn, signer, actor=LEAD, action="view_karte",
                                     pupil_id=pupil, detail={"datasets": 3, "charts": 0},
                                     at=when, seal=seal)
                    else:
                        audit.append(conn, signer, actor=LEAD, action="view_overview",
                                     detail={"parts": ["counts"]}, at=when)

        store.db.call(write)


def _measure(path: Path, label: str) -> dict[str, float]:
    from storage.store import Store

    times: dict[str, float] = {}
    with Store.open(path, LEAD, DEMO_PASSWORD) as store:
        privates = store.db.call(audit_seal.reader_privates, kind=AUDIT_READER_GROUP)
        the_store = store.db.call(audit.store_id)

        def opened() -> list[audit.AuditEntry]:
            opener = audit_seal.Opener(privates, the_store)
            return store.db.call(lambda c: audit.query(c, opener=opener))

        def by_pupil() -> list[audit.AuditEntry]:
            opener = audit_seal.Opener(privates, the_store)
            return store.db.call(lambda c: audit.query(c, pupil_id=PUPIL, opener=opener))

        found = by_pupil()
        assert len([e for e in found if e.action == "view_karte"]) == len(
            [n for n in range(1, ENTRIES, 2) if n % 997 == 0])
        times[f"{label} newest 5000"] = median_seconds(opened, repeat=3)
        times[f"{label} pupil filter"] = median_seconds(by_pupil, repeat=3)
        times[f"{label} newest 5000, not opened"] = median_seconds(
            lambda: store.db.call(audit.query), repeat=3)
    return times


def test_reading_a_sealed_100k_log(tmp_path: Path) -> None:
    times: dict[str, float] = {}
    for sealed in (True, False):
        label = "sealed" if sealed else "clear"
        path = tmp_path / label / "city.tdb"
        created = create_demo_store(path, seed=7, small=True, scrypt_n=TEST_SCRYPT_N)
        created.store.close()
        _fill(path, sealed=sealed)
        times.update(_measure(path, label))
    report("newest 5000 entries, opened", times["sealed newest 5000"],
           times["sealed newest 5000, not opened"], "not opened")
    report("pupil filter on 100k entries (sealed, opened)", times["sealed pupil filter"],
           times["clear pupil filter"], "clear log, indexed column")
