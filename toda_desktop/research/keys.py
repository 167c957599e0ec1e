"""The research projects' key group at sign-in (issue 13): made once, keys moved into it.

A store made before the ``research`` key group keeps the project keys in the master's file,
where every holder of the basic key could read them. When an account whose role makes
research extracts (``research_export``) and which holds the basic key signs in:

1. if no one holds the ``research`` key yet, a new one is made and sealed to this account, to
   the recovery identity and to every other active account whose role has
   ``research_export`` and which holds the basic key (they could read the project keys before,
   so nothing widens; an account whose password an administrator chose waits, as for any
   key — ``accounts.grants.may_receive_from``);
2. if this account holds it, the keys still in the master's file are moved into the research
   file and the old column is removed without leaving bytes (``storage.research_keys``).

Both steps are logged. A failure (a full disk, a file another program holds) is logged and
does not stop the sign-in: the next research holder's sign-in tries again.
"""

from __future__ import annotations

from storage.connection import DatabaseError
from storage.errors import StoreError
from storage.key_groups import RESEARCH_GROUP
from storage.research_keys import move_project_keys
from storage.store import Store
from toda_desktop.accounts.grants import first_holders
from toda_desktop.context import ServiceContext

FUNCTION = "research_export"


def prepare_research_keys(ctx: ServiceContext, store: Store) -> None:
    """Make the ``research`` key group and move the project keys into it, when this
    account's role makes research extracts and it holds the basic key."""
    master = store.registry.master.name
    if not ctx.gate.may(FUNCTION) or master not in store.held_kinds:
        return
    try:
        if not store.keyfile.holder_slots(RESEARCH_GROUP):
            holders = first_holders(store, ctx.gate.policy, ctx.actor.login_id, RESEARCH_GROUP)
            if store.add_key_group(RESEARCH_GROUP, holders):
                ctx.log("key_group_created", target=f"key_group:{RESEARCH_GROUP}",
                        detail={"accounts": len(holders)})
        moved = move_project_keys(store)
        if moved is not None:
            ctx.log("research_keys_moved", target=f"key_group:{RESEARCH_GROUP}",
                    detail={"projects": moved})
    except (OSError, StoreError, DatabaseError) as exc:
        ctx.log("research_keys_moved", outcome="failed", target=f"key_group:{RESEARCH_GROUP}",
                detail={"error": type(exc).__name__})


__all__ = ["prepare_research_keys"]
