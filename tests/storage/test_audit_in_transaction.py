"""An entry written inside the caller's transaction: it commits or rolls back with the work."""

from __future__ import annotations

import pytest

from storage import audit
from storage.connection import Connection, transaction
from storage.store import Store
from toda_desktop.audit.signer import account_signer
from toda_desktop.audit.trail import AuditTrail, PendingEntry


def _trail(store: Store) -> AuditTrail:
    return AuditTrail(store, signer=account_signer(store, "lead"))


def _actions(store: Store) -> list[str]:
    return store.db.call(lambda c: [str(r[0]) for r in c.execute(
        "SELECT action FROM audit_log ORDER BY id")])


def test_an_entry_inside_a_transaction_that_rolls_back_is_gone_with_it(
    test_store: Store,
) -> None:
    trail = _trail(test_store)

    def work(conn: Connection) -> None:
        with transaction(conn):
            trail.record_within(conn, "lead", "import", detail={"batch_id": 1})
            raise RuntimeError("the import failed before its commit")

    with pytest.raises(RuntimeError):
        test_store.db.call(work)
    assert _actions(test_store) == ["store_created"]
    assert trail.verify().ok


def test_settling_late_never_moves_the_anchor_back_past_a_later_entry(
    test_store: Store,
) -> None:
    """Between the commit and ``settle`` another thread may append: the anchor stays at the
    newest entry."""
    trail = _trail(test_store)

    def work(conn: Connection) -> PendingEntry:
        with transaction(conn):
            return trail.record_within(conn, "lead", "import", detail={"batch_id": 1})

    pending = test_store.db.call(work)
    trail.record("lead", "view_karte")
    trail.settle(pending)
    head = test_store.db.call(audit.head)
    assert audit.read_anchor_file(test_store.path).head == head
    assert _actions(test_store) == ["store_created", "import", "view_karte"]
    assert trail.verify().ok
