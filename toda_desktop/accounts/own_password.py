"""Each user changes their own password: the current password and their palm (issue 13).

The change gives the account a fresh key pair under the new password holding every key the
old one held, so grants stay, and from then on the account's password is its own: key
holders may give it keys even if an administrator had chosen the first password.

Both factors of the sign-in are asked again, palm first: someone at a session left open
cannot try passwords without the owner's hand. Failures count exactly as at sign-in, in the
same counters (``ThrottleBook``, mirrored inside the store): a wrong palm as a palm failure,
a wrong current password as a password failure; the lockout that follows locks the account
for its next sign-in too, and every failure is in the audit log. An account with no palm
enrolled (possible only after a recovery sign-in, when an administrator revoked it) cannot
change its password until a palm is enrolled: there is no password-only path.
"""

from __future__ import annotations

from collections.abc import Callable

from devices import GuidanceCallback, Scanner
from kernel.progress import CancelFlag
from kernel.store_kind import StoreKind
from storage.errors import StoreError, WrongCredentials
from storage.repos import palms
from storage.store import Store
from toda_desktop.accounts.palm import verify_palm
from toda_desktop.context import ServiceContext
from toda_desktop.errors import SignInError, UserFacingError
from toda_desktop.passwords import check_password
from toda_desktop.signin_record import mirror_into
from toda_desktop.throttle import ThrottleBook

OpenScanner = Callable[[StoreKind, str], Scanner]  # (store kind, login ID) -> an opened scanner

WRONG_CURRENT = "現在のパスワードが正しくありません。"
LOCKED_NOW = ("失敗が続いたため、このアカウントはロックされました。パスワードは変更されていません。"
              "次回のサインインの前に、管理者にロックの解除を依頼してください。")
NO_PALM = ("手のひら静脈が登録されていないため、パスワードを変更できません。"
           "管理者に手のひら静脈の登録を依頼してから、もう一度お試しください。")


class OwnPasswordService:
    """Needs the store (the password wraps the account's keys in the key file, and the
    counters live beside it) and the scanner the store accepts."""

    def __init__(self, context: ServiceContext, store: Store, open_scanner: OpenScanner) -> None:
        self._ctx = context
        self._store = store
        self._open_scanner = open_scanner

    def change_password(
        self, current: str, new: str, on_guidance: GuidanceCallback | None = None,
        cancel: CancelFlag | None = None,
    ) -> None:
        """Check the new password's rules, the palm, then the current password; change."""
        self._ctx.gate.require_session("own_password")  # any role; never while locked
        login_id = self._ctx.actor.login_id
        if not current:
            raise UserFacingError("現在のパスワードを入力してください。")
        if current == new:
            raise UserFacingError("新しいパスワードには、現在とは異なるものを指定してください。")
        check_password(new, login_id)
        book = ThrottleBook.load(self._store.path, self._ctx.clock)
        book.mirror = mirror_into(self._store, self._ctx.clock)
        slot = self._store.keyfile.account_slot(login_id)
        book.check_allowed(slot)  # a locked account, or one that must wait, is told so
        self._verify_palm(book, on_guidance, cancel)
        try:
            self._store.change_own_password(login_id, current, new)
        except WrongCredentials:
            book.record_failure(slot, "password")
            self._log_counted(book)
            self._log_change("failed", reason="wrong_password")
            raise UserFacingError(LOCKED_NOW if book.is_locked(slot) else WRONG_CURRENT) from None
        except StoreError as exc:
            self._log_change("failed", reason="store_error")
            raise UserFacingError(exc.message_ja) from None
        book.record_success(slot, "password")
        self._log_change("ok", method="password_and_palm")

    def _verify_palm(
        self, book: ThrottleBook, on_guidance: GuidanceCallback | None, cancel: CancelFlag | None
    ) -> None:
        """The palm, as at sign-in (counted and logged there); refusals logged here too."""
        login_id = self._ctx.actor.login_id
        account_id = self._ctx.actor.account_id
        key = self._store.palm_template_key()
        if self._ctx.db.call(lambda c: palms.active(c, key, account_id)) is None:
            self._log_change("denied", reason="palm_not_enrolled")
            raise UserFacingError(NO_PALM)
        scanner = self._open_scanner(self._store.store_kind, login_id)
        try:
            verify_palm(self._store, scanner, account_id, login_id, book, self._ctx.trail,
                        on_guidance=on_guidance, cancel=cancel)
        except SignInError as exc:
            if cancel is not None and cancel():  # stopped by the user: not a failure
                self._log_change("cancelled")
                raise
            self._log_change("failed", reason="palm_not_confirmed")
            if book.is_locked(self._store.keyfile.account_slot(login_id)):
                raise UserFacingError(LOCKED_NOW) from None
            raise UserFacingError(exc.message_ja) from None
        finally:
            scanner.close()

    def _log_counted(self, book: ThrottleBook) -> None:
        """The counter's own entries (失敗 with the consecutive count, or the lockout)."""
        for event in book.take_pending():
            self._ctx.log(str(event.get("event", "sign_in_failed")), outcome="failed",
                          target=f"account:{self._ctx.actor.login_id}",
                          detail={k: v for k, v in event.items() if k not in ("slot", "event")})

    def _log_change(self, outcome: str, **detail: str) -> None:
        self._ctx.log("password_changed", outcome=outcome,
                      target=f"account:{self._ctx.actor.login_id}", detail=detail)
