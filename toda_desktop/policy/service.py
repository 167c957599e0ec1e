"""The project lead edits the permission map; the store keeps its own copy.

A store starts with the bundled map (resources/policy.toml). An edit is validated, saved in
the store's meta table and audit-logged with what changed; it applies from the next sign-in.
Keys follow at once: a data group a role no longer sees is revoked from its accounts and its
key rotated; a group a role newly sees is given by the editor from the keys the editor holds.
"""

from __future__ import annotations

from resources import resource_path
from storage.database import Database
from storage.repos import accounts, meta
from storage.store import Store
from toda_desktop.accounts.grants import give_held_keys, rotate_or_defer, withdraw_extra
from toda_desktop.context import ServiceContext
from toda_desktop.errors import UserFacingError
from toda_desktop.policy.model import Policy, default_policy, parse_policy_text, policy_changes

META_KEY = "policy_toml"


def store_policy(db: Database) -> Policy:
    """The map in force for this store."""
    text = db.call(lambda c: meta.get(c, META_KEY))
    return default_policy() if text is None else parse_policy_text(text)


class PolicyAdminService:
    def __init__(self, context: ServiceContext, store: Store) -> None:
        self._ctx = context
        self._store = store

    def current_text(self) -> str:
        self._ctx.gate.require("policy_edit")
        text = self._ctx.db.call(lambda c: meta.get(c, META_KEY))
        return text if text is not None else resource_path("policy.toml").read_text("utf-8")

    def update(self, text: str) -> None:
        ctx = self._ctx
        ctx.gate.require("policy_edit")
        new = parse_policy_text(text)
        roles_in_use = {a.role for a in ctx.db.call(accounts.all_accounts)}
        missing = roles_in_use - {r.key for r in new.roles}
        old = store_policy(ctx.db)
        if missing:
            labels = {r.key: r.label for r in old.roles}
            raise UserFacingError(
                "使用中の役割が設定から消えるため保存できません: "
                + "、".join(f"{labels.get(k, k)}（{k}）" for k in sorted(missing))
            )
        ctx.db.call(lambda c: meta.put(c, META_KEY, text))
        ctx.log("policy_changed", detail={"changes": policy_changes(old, new)})
        self._keys_follow(new)

    def _keys_follow(self, new: Policy) -> None:
        ctx, store = self._ctx, self._store
        lost: set[str] = set()
        for row in ctx.db.call(accounts.all_accounts):
            if not store.keyfile.has_account(row.login_id):
                continue
            target = f"account:{row.login_id}"
            removed = withdraw_extra(store, new, ctx.registry, row)
            if removed:
                lost.update(removed)
                ctx.log("keys_revoked", target=target, detail={"groups": list(removed)})
            given = give_held_keys(store, new, ctx.registry, row, ctx.actor.login_id)
            if given:
                ctx.log("keys_granted", target=target, detail={"groups": list(given)})
        if lost:
            rotated, deferred = rotate_or_defer(store, lost)
            for group in rotated:
                ctx.log("key_rotated", target=f"key_group:{group}")
            if deferred:
                ctx.log("key_rotation_due", detail={"groups": list(deferred)})
