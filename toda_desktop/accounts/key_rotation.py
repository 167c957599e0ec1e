"""Renewing data keys on purpose (issue 13): a key holder suspects a leak, or a holder left.

Keys also rotate by themselves when a person loses a group (``grants.rotate_or_defer``);
this is the deliberate act. Only an administrator (``admin``) who holds a group's key can
renew it, since the new key is sealed from the old one's holder. Each renewal is logged
before it starts (開始, with the reason) and after it (成功 or 失敗, with the new
generation): a process killed in between leaves the 開始 entry alone, and the key file's
generation (``keys list``) says whether the switch happened. Sessions elsewhere that still
hold the old key are refused and asked to sign in again (``Store.require_current_keys``).

The store file's own key (``system``) is not renewed: see docs/SECURITY.md.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from kernel.progress import CancelFlag, Progress
from storage.errors import StoreError
from storage.key_groups import key_groups
from storage.repos import meta
from storage.store import Store
from toda_desktop.accounts.grants import ROTATIONS_DUE, group_label, rotations_due
from toda_desktop.context import ServiceContext
from toda_desktop.errors import PermissionDenied, UserFacingError

# Why a key is renewed (stored as the code, shown in these words).
REASONS = {
    "leak_suspected": "漏えいの疑い",
    "holder_left": "鍵を持つ職員の異動・退職",
    "routine": "定期的な更新",
}


@dataclass(frozen=True)
class KeyGroupState:
    """One data key as the key file describes it: no person, no secret."""

    group: str
    label: str
    generation: int
    holders: int  # accounts holding the key (the recovery key not counted)
    held: bool  # the signed-in account holds it (and so may renew it)
    due: bool  # waiting to be renewed since a person lost it


class KeyRotationService:
    """Needs the store: rotation rewrites a group's file and the key file."""

    def __init__(self, context: ServiceContext, store: Store) -> None:
        self._ctx = context
        self._store = store

    def key_groups(self) -> list[KeyGroupState]:
        """Every data key with its generation and number of holders."""
        self._ctx.gate.require("admin")
        registry = self._ctx.registry
        groups = key_groups(registry)
        per_domain = Counter(g.domain for g in groups)
        keyfile = self._store.keyfile
        due = set(rotations_due(self._store))
        holders = {g.name: sum(1 for slot in keyfile.accounts
                               if g.name in keyfile.slot_groups(slot)) for g in groups}
        return [
            KeyGroupState(
                group=g.name,
                label=group_label(registry, g, shared_domain=per_domain[g.domain] > 1),
                generation=int(keyfile.generations.get(g.name, 1)),
                holders=holders[g.name],
                held=self._store.keys.holds(g.name),
                due=g.name in due,
            )
            for g in groups
        ]

    def rotate(
        self, groups: Iterable[str], reason: str, progress: Progress | None = None,
        cancel: CancelFlag | None = None,
    ) -> tuple[str, ...]:
        """Renew the keys of ``groups`` (all must be held); returns their labels. A cancel
        stops before the next group, never within one."""
        self._ctx.gate.require("admin")
        if reason not in REASONS:
            raise UserFacingError("鍵を更新する理由を選んでください。")
        wanted = sorted(set(groups))
        if not wanted:
            raise UserFacingError("更新するデータの鍵を選んでください。")
        states = {s.group: s for s in self.key_groups()}
        unknown = [g for g in wanted if g not in states]
        if unknown:
            raise UserFacingError("そのデータの鍵の区分はありません。")
        not_held = [g for g in wanted if not states[g].held]
        if not_held:
            self._ctx.log("key_rotated", outcome="denied",
                          detail={"groups": not_held, "reason": "not_a_holder"})
            raise PermissionDenied(
                f"「{'、'.join(states[g].label for g in not_held)}」の鍵をお持ちでないため、"
                "更新できません。その鍵を持つ職員に依頼してください。")
        done: list[str] = []
        for step, group in enumerate(wanted):
            if cancel is not None and cancel() and done:
                break
            if progress is not None:
                progress(step / len(wanted))
            self._rotate_one(group, reason)
            done.append(group)
        self._clear_due(done)
        if progress is not None:
            progress(1.0)
        return tuple(states[g].label for g in done)

    def _rotate_one(self, group: str, reason: str) -> None:
        target = f"key_group:{group}"
        self._ctx.log("key_rotated", outcome="started", target=target,
                      detail={"reason": reason})
        try:
            generation = self._store.rotate_group_key(group)
        except StoreError as exc:
            self._ctx.log("key_rotated", outcome="failed", target=target,
                          detail={"reason": reason})
            raise UserFacingError(exc.message_ja) from None
        self._ctx.log("key_rotated", target=target,
                      detail={"reason": reason, "generation": generation})

    def _clear_due(self, renewed: Iterable[str]) -> None:
        """A key renewed on purpose is no longer waiting to be renewed."""
        due = set(rotations_due(self._store))
        left = sorted(due - set(renewed))
        if left != sorted(due):
            text = json.dumps(left)
            self._ctx.db.call(lambda c: meta.put(c, ROTATIONS_DUE, text))
