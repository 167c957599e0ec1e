"""Each user changes their own password (knowing the current one).

The change gives the account a fresh key pair under the new password holding every key the
old one held, so grants stay, and from then on the account's password is its own: key
holders may give it keys even if an administrator had chosen the first password.
"""

from __future__ import annotations

from storage.errors import StoreError, WrongCredentials
from storage.store import Store
from toda_desktop.context import ServiceContext
from toda_desktop.errors import UserFacingError
from toda_desktop.passwords import check_password


class OwnPasswordService:
    """Needs the store: the password wraps the account's keys in the key file."""

    def __init__(self, context: ServiceContext, store: Store) -> None:
        self._ctx = context
        self._store = store

    def change_password(self, current: str, new: str) -> None:
        self._ctx.gate.require_session("own_password")  # any role; never while locked
        login_id = self._ctx.actor.login_id
        if current == new:
            raise UserFacingError("新しいパスワードには、現在とは異なるものを指定してください。")
        check_password(new, login_id)
        try:
            self._store.change_own_password(login_id, current, new)
        except WrongCredentials:
            self._ctx.log("password_changed", outcome="failed", target=f"account:{login_id}")
            raise UserFacingError("現在のパスワードが正しくありません。") from None
        except StoreError as exc:
            raise UserFacingError(exc.message_ja) from None
        self._ctx.log("password_changed", target=f"account:{login_id}")
