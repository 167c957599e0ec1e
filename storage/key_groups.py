"""Key groups: which tables are encrypted under which key (issue 12).

The permission map's data domains become cryptographic. Dataset kinds that every role sees or
misses together (same domain, same access topics) share one key and one SQLCipher file beside
the store; a role holds exactly the keys of the groups whose kinds it sees. ``system`` is the
store file itself (accounts, audit log, import bookkeeping): every account holds its key and
it holds no pupil data.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.registry import DatasetKind, Registry

SYSTEM_GROUP = "system"


@dataclass(frozen=True)
class KeyGroup:
    """Kinds sharing a key. ``name`` is safe in a file name and, as ``schema``, in SQL."""

    name: str
    domain: str
    topics: frozenset[str]
    kinds: tuple[str, ...]

    @property
    def schema(self) -> str:
        """The SQL schema name under which the group's file is attached."""
        return "g_" + self.name.replace("-", "_")


def group_name(kind: DatasetKind) -> str:
    """``domain`` or ``domain-topic-…`` for the topics beyond the domain's own name."""
    extra = sorted(t for t in kind.topics if t != kind.domain)
    return "-".join([kind.domain, *extra])


def key_groups(registry: Registry) -> tuple[KeyGroup, ...]:
    """Every group of the registry, in the registry's order of first appearance."""
    members: dict[str, list[DatasetKind]] = {}
    for kind in registry.kinds:
        members.setdefault(group_name(kind), []).append(kind)
    return tuple(
        KeyGroup(name, kinds[0].domain, frozenset(kinds[0].topics), tuple(k.name for k in kinds))
        for name, kinds in members.items()
    )


def group_of(registry: Registry, kind_name: str) -> KeyGroup:
    for group in key_groups(registry):
        if kind_name in group.kinds:
            return group
    raise KeyError(kind_name)
