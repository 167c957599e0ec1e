"""Key groups: which tables are encrypted under which key (issue 12).

The permission map's data domains become cryptographic. Dataset kinds that every role sees or
misses together (same domain, same access topics) share one key and one SQLCipher file beside
the store; a role holds exactly the keys of the groups whose kinds it sees. ``system`` is the
store file itself (accounts, audit log, import bookkeeping): every account holds its key and
it holds no pupil data.

One group follows a function instead of a domain: ``research`` holds the research projects'
pseudonymisation keys (issue 13). A project key turns an extract's pseudonyms back into
pupils, so it is sealed only to roles with ``research_export`` (which hold the pupil register
too), never to every holder of the basic key. It has a file of its own like any group, and no
dataset kind. ``audit_reader`` is another: the private key that opens the pupil-linked
parts of audit entries (``storage.audit_seal``), sealed only to roles that read the audit log
and see pupils (the project lead) and to the recovery identity.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.registry import DatasetKind, Registry

SYSTEM_GROUP = "system"
RESEARCH_GROUP = "research"  # the research projects' keys (no dataset kind)
# The private key that opens the pupil-linked parts of audit entries (no dataset kind).
AUDIT_READER_GROUP = "audit_reader"


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

    @property
    def lane_key(self) -> str:
        """What a database task names to run on the lane holding this group's file: a kind
        of the group, or the group's own name for a group without kinds (``research``)."""
        return self.kinds[0] if self.kinds else self.name


def group_name(kind: DatasetKind) -> str:
    """``domain`` or ``domain-topic-…`` for the topics beyond the domain's own name."""
    extra = sorted(t for t in kind.topics if t != kind.domain)
    return "-".join([kind.domain, *extra])


RESEARCH = KeyGroup(RESEARCH_GROUP, RESEARCH_GROUP, frozenset(), ())
AUDIT_READER = KeyGroup(AUDIT_READER_GROUP, AUDIT_READER_GROUP, frozenset(), ())


def key_groups(registry: Registry) -> tuple[KeyGroup, ...]:
    """Every group of the registry, in the registry's order of first appearance, then the
    research projects' group and the audit reader's."""
    members: dict[str, list[DatasetKind]] = {}
    for kind in registry.kinds:
        members.setdefault(group_name(kind), []).append(kind)
    return (*(
        KeyGroup(name, kinds[0].domain, frozenset(kinds[0].topics), tuple(k.name for k in kinds))
        for name, kinds in members.items()
    ), RESEARCH, AUDIT_READER)


def group_of(registry: Registry, kind_name: str) -> KeyGroup:
    for group in key_groups(registry):
        if kind_name in group.kinds:
            return group
    raise KeyError(kind_name)
