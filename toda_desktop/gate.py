"""The permission map applied to the signed-in role: what a service asks before it acts.

Every service gets the same gate through its ``ServiceContext``, so "may this role do this,
see this kind, see this ID?" is answered in one place for the GUI and the command line alike.
A refusal is logged (through ``log_denied``) and said in Japanese.

The gate also asks the session whether it is still open: once the session is locked (idle)
or has reached its maximum length, every question about data (``require``, ``require_kind``,
``sees``, the visible kinds and IDs) is refused, so services refuse too and not only the
window. Only ``may`` still answers: it is a fact about the role (for hiding buttons), not
about pupils. Within one service call the session is checked once (``service_calls``): a
call already running when the lock falls completes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from storage.registry import DatasetKind, Registry
from toda_desktop.errors import PermissionDenied, SessionLocked, UserFacingError
from toda_desktop.idle_lock import LockState
from toda_desktop.policy.model import ID_LABELS, Policy, Role, visible_ids
from toda_desktop.service_calls import checked_in_this_call, mark_checked

SessionState = Callable[[], LockState]  # the session's lock state, asked on every call

EXPIRED_MESSAGE = "利用時間の上限に達しました。もう一度サインインしてください。"
# The reason written into the audit entry of a refusal (labelled on the 監査ログ screen).
SESSION_REASONS = {LockState.LOCKED: "session_locked", LockState.EXPIRED: "session_expired"}


class DeniedLog(Protocol):
    """Called with the refused target (and, for a closed session, why) before raising."""

    def __call__(self, target: str, reason: str | None = None) -> None: ...


def always_active() -> LockState:
    """For a gate without a session to ask (a tool run with no screen and no idle time)."""
    return LockState.ACTIVE


class Gate:
    def __init__(
        self, policy: Policy, role_key: str, registry: Registry, log_denied: DeniedLog,
        session: SessionState = always_active,
        held_kinds: frozenset[str] | None = None,
    ) -> None:
        self.policy = policy
        self.role: Role = policy.role(role_key)
        self._registry = registry
        self._log_denied = log_denied
        self._session = session
        # The kinds whose key group the account holds (issue 12); None: no key check.
        self._held = held_kinds

    def require_session(self, function: str) -> None:
        """Refuse (logged) while the session is locked or over its maximum length: asked
        first by every other question about data, and by a service entry that asks none."""
        if checked_in_this_call():
            return
        state = self._session()
        if state is LockState.ACTIVE:
            mark_checked()
            return
        self._log_denied(function, SESSION_REASONS[state])
        if state is LockState.EXPIRED:
            raise SessionLocked(EXPIRED_MESSAGE)
        raise SessionLocked()

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
        """Enforce the session state and the permission map; a refusal is logged."""
        self.require_session(function)
        try:
            self.policy.require(self.role.key, function)
        except PermissionDenied:
            self._log_denied(function)
            raise

    def sees(self, kind_name: str) -> bool:
        """Whether the role's need to know covers this dataset kind and the account holds its
        group's key (unknown kinds: no)."""
        self.require_session(kind_name)
        return kind_name in self._registry.names and self._sees(
            self._registry.kind(kind_name))

    def visible_kinds(self) -> tuple[DatasetKind, ...]:
        """The dataset kinds within the role's need to know (the map's domains) whose group
        keys the account holds."""
        self.require_session("pupils")
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
        self.require_session("pupils")
        return visible_ids(self.role, self._registry)

    def hidden_ids(self) -> frozenset[str]:
        """The ID columns to leave out of rows shown to this role."""
        self.require_session("pupils")
        return frozenset(ID_LABELS) - frozenset(self.visible_ids())
