"""Which data keys an account should hold, and giving or withdrawing them.

The permission map says which key groups a role sees; the key file says which keys an account
holds. Keys are given only by someone who holds them (the key is taken from the giver's own
unlocked keys) and only within the receiving account's role. A key pair whose password an
administrator chose receives keys only from that same administrator, or after its owner has
changed the password: an administrator who knows a password never receives, through that
account, a key someone else gave. A withdrawn key is rotated by a holder.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from storage.key_groups import (
    AUDIT_READER_GROUP,
    RESEARCH_GROUP,
    SYSTEM_GROUP,
    KeyGroup,
    group_of,
    key_groups,
)
from storage.registry import Registry
from storage.repos import accounts, meta
from storage.store import Store
from toda_desktop.policy.model import Policy, Role

RESEARCH_LABEL = "研究プロジェクトの鍵"  # the research group (issue 13)
AUDIT_READER_LABEL = "監査ログの児童生徒に関する記録"  # the audit reader's key
ROTATIONS_DUE = "key_rotations_due"  # meta key: groups whose key waits for a holder to rotate


def role_groups(role: Role, registry: Registry) -> frozenset[str]:
    """The key groups whose dataset kinds the role sees (kinds of a group are seen together),
    and the research projects' keys for a role that makes research extracts (issue 13); the
    audit reader's key for a role that reads the audit log and sees the pupil register."""
    return frozenset(g.name for g in key_groups(registry) if _holds(role, registry, g))


def _holds(role: Role, registry: Registry, group: KeyGroup) -> bool:
    if group.name == RESEARCH_GROUP:
        return role.may("research_export")
    if group.name == AUDIT_READER_GROUP:
        return role.may("audit_view") and role.sees(registry.master)
    return role.sees(registry.kind(group.kinds[0]))


def group_label(registry: Registry, group: KeyGroup, *, shared_domain: bool) -> str:
    """The domain's word (「出欠」「学校（個人情報なし）」); where several groups share a domain,
    the labels of the group's dataset kinds (「保健室利用」「学校健診」) tell them apart."""
    from toda_desktop.data_dictionary import DOMAIN_LABELS

    if group.name == RESEARCH_GROUP:
        return RESEARCH_LABEL
    if group.name == AUDIT_READER_GROUP:
        return AUDIT_READER_LABEL
    if shared_domain:
        return "・".join(registry.kind(k).label for k in group.kinds)
    return DOMAIN_LABELS.get(group.domain, group.domain)


def group_labels(registry: Registry, names: Iterable[str]) -> tuple[str, ...]:
    wanted = set(names)
    groups = key_groups(registry)
    per_domain = Counter(g.domain for g in groups)
    return tuple(group_label(registry, g, shared_domain=per_domain[g.domain] > 1)
                 for g in groups if g.name in wanted)


def holder_roles(policy: Policy, registry: Registry, groups: Iterable[str]) -> tuple[str, ...]:
    """Labels of the administrator roles that hold every one of ``groups`` (who can give or
    renew them here)."""
    wanted = set(groups)
    return tuple(r.label for r in policy.roles
                 if r.may("admin") and wanted <= role_groups(r, registry))


@dataclass(frozen=True)
class KeyPlan:
    """``missing``: groups the role sees that the account does not hold yet; ``extra``:
    groups it holds that its role no longer sees."""

    missing: frozenset[str]
    extra: frozenset[str]


def key_plan(store: Store, policy: Policy, registry: Registry, row: accounts.AccountRow
             ) -> KeyPlan:
    wanted = role_groups(policy.role(row.role), registry) if row.status == "active" \
        else frozenset()
    held = store.keyfile.granted_groups(row.login_id) - {SYSTEM_GROUP}
    return KeyPlan(missing=wanted - held, extra=held - wanted)


def may_receive_from(store: Store, login_id: str, giver_login: str) -> bool:
    """Whether keys may be sealed to the account's key pair by ``giver_login``: the account
    chose its own password, or the giver itself set it (and so gains nothing)."""
    keyfile = store.keyfile
    if not keyfile.has_account(login_id):
        return False
    set_by = keyfile.set_by_slot(login_id)
    return keyfile.set_by_self(login_id) or set_by == keyfile.account_slot(giver_login)


def first_holders(store: Store, policy: Policy, giver_login: str, group: str) -> list[str]:
    """Who a new key group is sealed to when ``giver_login`` makes it at sign-in: the giver
    first, then every other active account whose role holds ``group`` and which holds the
    basic key already (so nothing widens), and which may receive keys from the giver (an
    account whose password an administrator chose waits, as for any key)."""
    basic = group_of(store.registry, store.registry.master.name).name
    out = [giver_login]
    for row in store.db.call(accounts.all_accounts):
        if row.login_id == giver_login or row.status != "active":
            continue
        try:
            role = policy.role(row.role)
        except KeyError:
            continue
        if (group in role_groups(role, store.registry)
                and basic in store.keyfile.granted_groups(row.login_id)
                and may_receive_from(store, row.login_id, giver_login)):
            out.append(row.login_id)
    return out


def give_held_keys(store: Store, policy: Policy, registry: Registry,
                   row: accounts.AccountRow, giver_login: str) -> tuple[str, ...]:
    """Grant the account the groups its role sees that the giver holds; returns them."""
    if row.status != "active" or not may_receive_from(store, row.login_id, giver_login):
        return ()
    plan = key_plan(store, policy, registry, row)
    giving = sorted(g for g in plan.missing if store.keys.holds(g))
    if not giving:
        return ()
    return store.grant_groups(row.login_id, giving)


def withdraw_extra(store: Store, policy: Policy, registry: Registry,
                   row: accounts.AccountRow) -> tuple[str, ...]:
    """Revoke the groups the account's role no longer sees (no key is needed to revoke)."""
    extra = sorted(key_plan(store, policy, registry, row).extra)
    if extra:
        store.revoke_groups(row.login_id, extra)
    return tuple(extra)


def rotations_due(store: Store) -> tuple[str, ...]:
    text = store.db.call(lambda c: meta.get(c, ROTATIONS_DUE))
    return tuple(json.loads(text)) if text else ()


def _set_rotations_due(store: Store, groups: Iterable[str]) -> None:
    text = json.dumps(sorted(set(groups)))
    store.db.call(lambda c: meta.put(c, ROTATIONS_DUE, text))


def rotate_or_defer(store: Store, groups: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A person lost these groups: rotate each key this store's account holds now, and
    leave the others due for a holder. Returns (rotated, deferred)."""
    rotated, deferred = [], []
    for group in sorted(set(groups) | set(rotations_due(store))):
        if store.keys.holds(group):
            store.rotate_group_key(group)
            rotated.append(group)
        else:
            deferred.append(group)
    _set_rotations_due(store, deferred)
    return tuple(rotated), tuple(deferred)
