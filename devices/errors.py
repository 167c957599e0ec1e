"""Terminal scanner errors: the operation has ended and will not go on by itself.

Retry-type guidance (hand too far, …) is a different type (``devices.guidance``) because it
never ends an operation. Every error carries a Japanese message that is safe to show as is:
it never includes a template, an image, a subject id or a login. ``code`` is a stable key
for scripts, recordings, audit entries and the vendor-code table.
"""

from __future__ import annotations

from typing import ClassVar


class ScannerError(Exception):
    """Base of every terminal error a scanner backend raises to the services."""

    code: ClassVar[str] = "failure"
    message_ja: str = "静脈認証スキャナでエラーが発生しました。もう一度お試しください。"

    def __init__(self, message_ja: str | None = None) -> None:
        if message_ja is not None:
            self.message_ja = message_ja
        super().__init__(self.message_ja)

    def detail(self) -> dict[str, str | int]:
        """Extra fields needed to rebuild the error from a recording (none by default)."""
        return {}


class ScannerDisconnected(ScannerError):
    code = "disconnected"
    message_ja = (
        "静脈認証スキャナが接続されていません。ケーブルを確認して接続し直し、"
        "もう一度お試しください。"
    )


class ScannerTimeout(ScannerError):
    code = "timeout"
    message_ja = "手のひらを読み取れないまま時間切れになりました。もう一度お試しください。"


class ScannerBusy(ScannerError):
    code = "busy"
    message_ja = "スキャナは別の操作を実行中です。終わってからもう一度お試しください。"


class ScanCancelled(ScannerError):
    code = "cancelled"
    message_ja = "読み取りを中止しました。"


class NotSupported(ScannerError):
    code = "not_supported"
    message_ja = "このスキャナはこの操作に対応していません。"


class InvalidData(ScannerError):
    code = "invalid_data"
    message_ja = (
        "手のひらの登録データが壊れているか、読み取れない形式です。"
        "管理者に再登録を依頼してください。"
    )


class DuplicatePalm(ScannerError):
    """The palm being enrolled matches a template already enrolled (for another account)."""

    code = "duplicate"
    message_ja = "この手のひらは既に別のアカウントで登録されています。登録を中止しました。"

    def __init__(self, duplicate_of: str = "", message_ja: str | None = None) -> None:
        super().__init__(message_ja)
        # The matching template's opaque id (not personal data) so the service can find
        # the account; deliberately not part of the message.
        self.duplicate_of = duplicate_of

    def detail(self) -> dict[str, str | int]:
        return {"duplicate_of": self.duplicate_of}


class SpoofSuspected(ScannerError):
    code = "spoof"
    message_ja = (
        "生体の手のひらであることを確認できませんでした。"
        "ご本人の手のひらをもう一度かざしてください。"
    )


class ScannerNotOpen(ScannerError):
    code = "not_open"
    message_ja = "スキャナの準備ができていません。スキャナを開いてからお試しください。"


class ScannerFailure(ScannerError):
    """A device or protocol failure, e.g. a vendor code the mapping table does not know."""

    code = "failure"

    def __init__(self, vendor_code: int | None = None, message_ja: str | None = None) -> None:
        if message_ja is None and vendor_code is not None:
            message_ja = (
                f"静脈認証スキャナでエラーが発生しました（コード {vendor_code:#06x}）。"
                "スキャナを接続し直してもう一度お試しください。"
                "解決しない場合はデジタル戦略室に連絡してください。"
            )
        super().__init__(message_ja)
        self.vendor_code = vendor_code

    def detail(self) -> dict[str, str | int]:
        return {} if self.vendor_code is None else {"vendor_code": self.vendor_code}


class ReplayMismatch(ScannerFailure):
    code = "replay_mismatch"
    message_ja = "記録された操作と異なる操作が行われたため、再生を中止しました。"

    def __init__(self, message_ja: str | None = None) -> None:
        super().__init__(None, message_ja)


class SimulatorNotAllowed(ScannerError):
    code = "simulator_not_allowed"
    message_ja = (
        "本番用データベースではシミュレータは使用できません。"
        "静脈認証スキャナを接続し、スキャナのドライバを設定してください。"
    )


class NoScannerBackend(ScannerError):
    code = "no_backend"
    message_ja = (
        "静脈認証スキャナのドライバが見つかりません。デジタル戦略室に連絡してください。"
    )


_BY_CODE: dict[str, type[ScannerError]] = {
    cls.code: cls
    for cls in (
        ScannerError, ScannerDisconnected, ScannerTimeout, ScannerBusy, ScanCancelled,
        NotSupported, InvalidData, DuplicatePalm, SpoofSuspected, ScannerNotOpen,
        ScannerFailure, ReplayMismatch, SimulatorNotAllowed, NoScannerBackend,
    )
}
_BY_CODE["failure"] = ScannerFailure

# Codes a simulator script or a vendor table may raise (``ERROR <code>``).
SCRIPTABLE_ERROR_CODES = (
    "disconnected", "timeout", "busy", "cancelled", "not_supported", "invalid_data",
    "duplicate", "spoof", "failure",
)


def error_class(code: str) -> type[ScannerError]:
    """The error class for a stable code; ``KeyError`` for an unknown code."""
    return _BY_CODE[code]


def error_from_code(code: str, detail: dict[str, str | int] | None = None) -> ScannerError:
    """Rebuild an error from its code and ``detail()`` (recordings, scripts)."""
    cls = error_class(code)
    detail = detail or {}
    if cls is DuplicatePalm:
        return DuplicatePalm(str(detail.get("duplicate_of", "")))
    if cls is ScannerFailure:
        vendor = detail.get("vendor_code")
        return ScannerFailure(vendor if isinstance(vendor, int) else None)
    return cls()
