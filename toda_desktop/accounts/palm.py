"""Palm enrollment and verification against the store's templates (any scanner backend).

Templates are opaque bytes from the device layer, kept encrypted in the store and bound to
their account; they never reach a log, an exception text or the UI.
"""

from __future__ import annotations

from devices import (
    DuplicatePalm,
    GuidanceCallback,
    InvalidData,
    ProgressCallback,
    Scanner,
    ScannerError,
    Simulator,
    SpoofSuspected,
    Template,
)
from kernel.progress import CancelFlag
from storage.connection import Connection, transaction
from storage.repos import palms
from storage.store import Store
from toda_desktop.audit.trail import AuditTrail
from toda_desktop.errors import SignInError, UserFacingError
from toda_desktop.scanner_admission import scanner_fields
from toda_desktop.throttle import ThrottleBook

PALM_KEY_PURPOSE = "palm-binding"
VERIFY_MAX_FMR = 1e-4  # NIST SP 800-63B: biometric FMR at most 1 in 10,000
PALM_MISMATCH = "手のひら静脈を確認できませんでした。もう一度、手のひらをかざしてください。"
NOT_ENROLLED = "手のひら静脈が登録されていません。管理者に登録を依頼してください。"


def present_own_palm_if_simulated(scanner: Scanner, subject: str, captures: int) -> None:
    """On demo and test stores the simulator shows the user's own palm unless scripted."""
    if isinstance(scanner, Simulator) and not scanner.pending():
        scanner.push("; ".join([f"SCAN {subject}"] * captures))


def enroll_palm(
    store: Store,
    scanner: Scanner,
    account_id: int,
    actor: str,
    audit: AuditTrail,
    *,
    login_id: str,
    on_guidance: GuidanceCallback | None = None,
    on_progress: ProgressCallback | None = None,
    cancel: CancelFlag | None = None,
) -> int:
    """Capture in stages, refuse a palm already enrolled for someone else, store it."""
    key = store.palm_template_key()
    gallery = []
    for row in store.db.call(lambda c: palms.all_active(c, key)):
        if row.account_id != account_id:
            try:
                gallery.append(Template.from_bytes(row.template))
            except InvalidData:
                continue
    try:
        template = scanner.enroll(
            gallery=gallery, on_guidance=on_guidance, on_progress=on_progress, cancel=cancel
        )
    except DuplicatePalm:
        audit.record(actor, "palm_enrolled", outcome="denied",
                     target=f"account:{login_id}", detail={"reason": "duplicate"})
        raise UserFacingError(
            "この手のひらは既に別のアカウントに登録されています。登録できません。"
        ) from None
    except ScannerError as exc:
        raise UserFacingError(exc.message_ja) from None
    quality = template.header.quality

    def save(conn: Connection) -> int:
        with transaction(conn):
            return palms.enroll(conn, key, account_id, template.to_bytes(), quality, actor,
                                at=audit.clock())

    palm_id = store.db.call(save)
    audit.record(actor, "palm_enrolled", target=f"account:{login_id}",
                 detail={"quality": quality, **scanner_fields(scanner)})
    return palm_id


def verify_palm(
    store: Store,
    scanner: Scanner,
    account_id: int,
    login_id: str,
    book: ThrottleBook,
    audit: AuditTrail,
    *,
    on_guidance: GuidanceCallback | None = None,
    cancel: CancelFlag | None = None,
) -> float:
    """Verify the account's palm; returns the achieved FMR or raises SignInError.

    Failures are counted (throttle) and logged; device problems are said plainly and are
    not counted against the user, except a suspected spoof.
    """
    slot = store.keyfile.account_slot(login_id)
    book.check_allowed(slot)
    key = store.palm_template_key()
    row = store.db.call(lambda c: palms.active(c, key, account_id))
    if row is None:
        raise SignInError(NOT_ENROLLED)
    present_own_palm_if_simulated(scanner, login_id, 1)
    try:
        result = scanner.verify(row.template, VERIFY_MAX_FMR, on_guidance=on_guidance,
                                cancel=cancel)
    except SpoofSuspected as exc:
        _failed(book, slot, audit, login_id, {"reason": "spoof_suspected",
                                              **scanner_fields(scanner)})
        raise SignInError(exc.message_ja) from None
    except ScannerError as exc:
        audit.record(login_id, "device_event", outcome="failed", detail={"error": exc.code})
        raise SignInError(exc.message_ja) from None
    if not result.matched:
        _failed(book, slot, audit, login_id, {"reason": "no_match", **scanner_fields(scanner)})
        raise SignInError(PALM_MISMATCH)
    book.record_success(slot, "palm")
    return result.fmr_achieved


def _failed(
    book: ThrottleBook, slot: str, audit: AuditTrail, login_id: str, detail: dict[str, str]
) -> None:
    book.record_failure(slot, "palm")
    book.take_pending()  # this failure is logged right here, with its reason
    audit.record(login_id, "palm_verify_failed", outcome="failed", detail=detail)
