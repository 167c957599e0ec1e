"""Errors the services raise for people: a Japanese message that is safe to show.

Every message is written for office staff and carries no personal data, key or password, so
the UI and the command line can print ``message_ja`` as it is.
"""

from __future__ import annotations

from storage.errors import StoreError


class UserFacingError(Exception):
    message_ja = "処理に失敗しました。"

    def __init__(self, message_ja: str | None = None) -> None:
        if message_ja is not None:
            self.message_ja = message_ja
        super().__init__(self.message_ja)

    @classmethod
    def from_store(cls, error: StoreError) -> UserFacingError:
        return cls(error.message_ja)


class SignInError(UserFacingError):
    message_ja = "サインインできませんでした。"


class PermissionDenied(UserFacingError):
    message_ja = "この操作を行う権限がありません。"


class SessionLocked(PermissionDenied):
    """The session is locked (idle) or has reached its maximum length: services refuse every
    call about pupils until the palm resumes it (or a new sign-in)."""

    message_ja = "画面がロックされています。手のひら認証で再開してください。"


class NoModelYet(UserFacingError):
    """No truancy-risk model has been trained yet: pages say what to do instead (by type,
    never by reading the message)."""

    message_ja = ("学習済みのモデルがありません。「予測モデル」画面（またはコマンドの"
                  "「risk train」）で学習してください。")


class OperationCancelled(UserFacingError):
    message_ja = "処理を中止しました。データは変更されていません。"


def user_message(error: BaseException) -> str | None:
    """The Japanese message to show for an error, or None if it is a bug (show a generic
    dialog then). The UI uses this instead of knowing the store's exception types."""
    if isinstance(error, UserFacingError | StoreError):
        return error.message_ja
    return None
