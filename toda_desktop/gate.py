"""The permission map applied to the signed-in role: what a service asks before it acts.

Every service gets the same gate through its ``ServiceContext``, so "may this role do this,
see this kind, see this ID?" is answered in one place for the GUI and the command line alike.
A refusal is logged (through ``log_denied``) and said in Japanese.
"""

from __future__ import annotations

from collections.abc import Callable

from storage.registry import DatasetKind, Registry
from toda_desktop.errors import PermissionDenied, UserFacingError
from toda_desktop.policy.model import ID_LABELS, Policy, Role, visible_ids

DeniedLog = Callable[[str], None]  # called with the refused target before raising


class Gate:
    def __init__(
        self, policy: Policy, role_key: str, registry: Registry, log_denied: DeniedLog,
        held_kinds: frozenset[str] | None = None,
    ) -> None:
        self.policy = policy
        self.role: Role = policy.role(role_key)
        self._registry = registry
        self._log_denied = log_denied
        # The kinds whose key group the account holds (issue 12); None: no key check.
        self._held = held_kinds

    def _sees(self, kind: DatasetKind) -> bool:
        """The role's need to know, and the key of the kind's group in hand."""
        return self.role.sees(kind) and (self._held is None or kind.name in self._held)

    def withheld_kinds(self) -> tuple[DatasetKind, ...]:
        """Kinds the role may see but whose group key the account does not hold."""
        return tuple(k for k in self._registry.kinds if self.role.sees(k) and not self._sees(k))

    def withheld_note(self) -> str:
        """One line for a cross-domain feature: what is left out for want of a key ("" if
        nothing is)."""
        labels = list(dict.fromkeys(k.label for k in self.withheld_kinds()))
        if not labels:
            return ""
        return f"鍵をお持ちでない領域（{'、'.join(labels)}）は含まれていません。"

    def may(self, function: str) -> bool:
        """For hiding what the role cannot do; acting still goes through ``require``."""
        return self.role.may(function)

    def require(self, function: str) -> None:
        """Enforce the permission map; a refusal is logged."""
        try:
            self.policy.require(self.role.key, function)
        except PermissionDenied:
            self._log_denied(function)
            raise

    def sees(self, kind_name: str) -> bool:
        """Whether the role's need to know covers this dataset kind and the account holds its
        group's key (unknown kinds: no)."""
        return kind_name in self._registry.names and self._sees(
            self._registry.kind(kind_name))

    def visible_kinds(self) -> tuple[DatasetKind, ...]:
        """The dataset kinds within the role's need to know (the map's domains) whose group
        keys the account holds."""
        return tuple(k for k in self._registry.kinds if self._sees(k))

    def require_kind(self, function: str, kind_name: str, *, pupil: bool = False) -> DatasetKind:
        """Enforce ``function`` on one dataset kind within the role's need to know (``pupil``:
        and a kind about pupils); a refusal is logged."""
        self.require(function)
        try:
            kind = self._registry.kind(kind_name)
        except KeyError:
            names = "、".join(f"{k.name}（{k.label}）" for k in self.visible_kinds())
            raise UserFacingError(f"そのデータの種類はありません。指定できるのは: {names}"
                                  if names else "そのデータの種類はありません。") from None
        if (pupil and not kind.pupil) or not self._sees(kind):
            self._log_denied(f"{function}:{kind_name}")
            if self.role.sees(kind) and not (pupil and not kind.pupil):
                raise PermissionDenied(f"「{kind.label}」の鍵をお持ちでないため、扱えません。")
            raise PermissionDenied(f"「{kind.label}」を扱う権限がありません。")
        return kind

    def visible_ids(self) -> tuple[str, ...]:
        """The pupil IDs (宛名番号, 県学調番号, Googleアカウント) this role may see and search
        by — data minimization, applied wherever pupils are listed, shown or exported."""
        return visible_ids(self.role, self._registry)

    def hidden_ids(self) -> frozenset[str]:
        """The ID columns to leave out of rows shown to this role."""
        return frozenset(ID_LABELS) - frozenset(self.visible_ids())
