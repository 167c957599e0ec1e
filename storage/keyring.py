"""The key material an unlocked account holds while its store is open (never written)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from storage.key_groups import SYSTEM_GROUP


@dataclass(frozen=True)
class StoreKeys:
    """``system``: the store file's key (every account). ``groups``: key group name → key,
    only for the groups this account was granted. ``signing_seed``: the account's Ed25519
    seed that signs its audit entries (32 bytes)."""

    system: bytes
    groups: Mapping[str, bytes] = field(default_factory=dict)
    signing_seed: bytes = b""

    def holds(self, group: str) -> bool:
        return group == SYSTEM_GROUP or group in self.groups
