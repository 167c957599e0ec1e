"""Store errors with a Japanese message for the user and no personal data in their text.

The message is shown to office staff as is, so it says what happened and what to do; it never
includes a key, a password, a file's content or a pupil's data.
"""

from __future__ import annotations


class StoreError(Exception):
    """Base of every error the store reports to the services."""

    message_ja = "データベースの操作に失敗しました。"

    def __init__(self, message_ja: str | None = None) -> None:
        if message_ja is not None:
            self.message_ja = message_ja
        super().__init__(self.message_ja)


class StoreNotFound(StoreError):
    message_ja = "指定されたデータベースが見つかりません。場所を確認してください。"


class StoreExists(StoreError):
    message_ja = (
        "その場所には既にデータベースがあります。上書きはしません。"
        "別の場所を指定してください。"
    )


class KeyFileMissing(StoreError):
    message_ja = (
        "データベースの鍵ファイル（.keys）が見つかりません。"
        "バックアップから鍵ファイルを復元してください。"
    )


class KeyFileDamaged(StoreError):
    message_ja = (
        "鍵ファイル（.keys）が壊れています。バックアップから鍵ファイルを復元してください。"
    )


class WrongCredentials(StoreError):
    message_ja = "ログインIDまたはパスワードが正しくありません。"


class NotAHolder(StoreError):
    """Only someone who holds a data group's key can give it to another account."""

    message_ja = (
        "この鍵をお持ちでないため、渡すことができません。"
        "その鍵を持つ職員（事業全体総括職員など）に依頼してください。"
    )


class CannotOpen(StoreError):
    """Page 1 does not open with a key unwrapped from the key file. The wrap's AES-GCM tag
    verified, so the key is the key file's own: the store file is damaged there, or the key
    file belongs to another store. Never a wrong password (that fails at the tag, before)."""

    message_ja = (
        "データベースを開けませんでした。データベースのファイルが破損しているか、"
        "鍵ファイル（.keys）がこのデータベースのものではありません。"
        "バックアップから復元してください。"
    )


class StoreDamaged(StoreError):
    """A page fails its HMAC (or its structure) after page 1 opened with the key: the key
    is known to fit this file, so this is damage, not a key problem."""

    message_ja = (
        "データベースのファイルが破損しています（読めない部分があります）。"
        "データは変更されていません。整合性を検査し、バックアップから復元してください。"
    )


class StoreBusy(StoreError):
    message_ja = "データベースは別の処理で使用中です。しばらくしてからもう一度お試しください。"


class StoreFull(StoreError):
    message_ja = (
        "ディスクの空き容量が不足しています。データは変更されていません。"
        "空き容量を確保してください。"
    )


class StoreReadOnly(StoreError):
    """SQLCipher also refuses writes after it found a page whose HMAC fails."""

    message_ja = (
        "データベースに書き込めません。ファイルの破損か、書き込み権限の不足が考えられます。"
        "整合性を検査し、必要ならバックアップから復元してください。"
    )


class NewerSchema(StoreError):
    message_ja = (
        "このデータベースは新しい版のアプリで作成されています。"
        "アプリを更新してから開いてください。"
    )


class OldStoreFormat(StoreError):
    """A store of format 1 (every record in one file under one key), made before release."""

    message_ja = (
        "このデータベースは以前の版の形式（すべてのデータを1つの鍵で暗号化する形式）で"
        "作成されています。この版はデータの領域ごとに鍵を分けるため、この形式は開けません。"
        "新しいデータベースを作成し、元のファイルから改めて取り込んでください"
        "（デモ用のデータベースは作り直してください）。"
    )


class GroupFileMissing(StoreError):
    """A key group's file that the account holds the key for is not beside the store."""

    message_ja = (
        "データベースの一部のファイル（データの領域ごとのファイル）が見つかりません。"
        "データベースと同じフォルダーにあるファイルをすべて、バックアップから復元してください。"
    )


class GroupNotHeld(StoreError):
    """The data asked for is in a key group whose key this account does not hold."""

    message_ja = "このデータの領域の鍵をお持ちでないため、この操作はできません。"


class OperationDenied(StoreError):
    """An SQL operation the ordinary connection may never do (ATTACH, export, rekey)."""

    message_ja = "この操作はアプリから実行できません。"


class Cancelled(StoreError):
    message_ja = "処理を中止しました。データは変更されていません。"


class KeysRenewed(StoreError):
    """Another session renewed (rotated) a data key this session still holds in its old
    form: its attached file is the old generation, so it must not read, write or give keys."""

    message_ja = (
        "別の画面または別のパソコンで、データの鍵が更新されました。この画面は更新前の鍵のままのため、"
        "続けることができません。お手数ですが、サインアウトしてから、もう一度サインインしてください。"
    )
