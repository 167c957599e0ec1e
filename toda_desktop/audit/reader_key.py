"""The audit reader's key group at sign-in: made once for a store made before sealing.

A store made before the audit log sealed its pupil-linked parts has no ``audit_reader``
group (a new store has it from the start). When an account whose role reads the audit log
and sees pupils (``audit_view`` and the pupil register, i.e. the project lead) and which
holds the basic key signs in, the group is made: a new key pair (group step 8), its key
sealed to this account, to the recovery identity and to every other active account whose
role holds the group (an account whose password an administrator chose waits, as for any
key). From then on every session seals its pupil-linked entries; earlier entries stay as
they were written (re-encrypting them would break their signatures).

A reader also checks, at each sign-in, that every reader public key in the store file is one
of the key pairs it holds: someone holding only the store key could replace or add one to
have later entries sealed to themselves. A foreign key is logged as a problem and a new
pair, newer than any, is made so that writers seal to the real reader again.
"""

from __future__ import annotations

from storage import audit_seal
from storage.connection import DatabaseError
from storage.errors import StoreError
from storage.key_groups import AUDIT_READER_GROUP
from storage.store import Store
from toda_desktop.accounts.grants import first_holders, role_groups
from toda_desktop.context import ServiceContext

CREATED = "key_group_created"
MISMATCH = "audit_reader_key_mismatch"


def prepare_audit_reader(ctx: ServiceContext, store: Store) -> None:
    """Make the ``audit_reader`` group when this account's role reads it and the store has
    none; check the reader's public key when this account holds the group."""
    if AUDIT_READER_GROUP not in role_groups(ctx.gate.role, store.registry):
        return
    if store.registry.master.name not in store.held_kinds:
        return
    target = f"key_group:{AUDIT_READER_GROUP}"
    try:
        if not store.keyfile.holder_slots(AUDIT_READER_GROUP):
            holders = first_holders(store, ctx.gate.policy, ctx.actor.login_id, AUDIT_READER_GROUP)
            if store.add_key_group(AUDIT_READER_GROUP, holders):
                ctx.log(CREATED, target=target, detail={"accounts": len(holders)})
        privates = store.db.call(audit_seal.reader_privates, kind=AUDIT_READER_GROUP)
        wrong = store.db.call(lambda c: audit_seal.mismatched_readers(c, privates))
        newest = store.db.call(audit_seal.reader_public)
        if privates and newest is not None and newest.id in wrong:  # what writers use
            store.db.call(audit_seal.renew_reader, kind=AUDIT_READER_GROUP)
            ctx.log(MISMATCH, outcome="problem", target=target,
                    detail={"id": newest.id})
    except (OSError, StoreError, DatabaseError) as exc:
        ctx.log(CREATED, outcome="failed", target=target, detail={"error": type(exc).__name__})


__all__ = ["prepare_audit_reader"]
