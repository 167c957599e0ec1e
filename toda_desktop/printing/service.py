"""The one print service: who may print what, the serial number, the return date and the log.

Every sheet the product prints (or saves as its own watermarked PDF) goes through here:

1. ``reserve`` — before the preview: the ``print`` function, a purpose (the lead's list of
   export purposes, or その他 with words; no approval, as a printed sheet is counted and
   chased by the register), and, for a sheet that names pupils, that the reader may still see
   each of them (the register's kind, the pupils exist, former pupils only for roles whose map
   entry allows them — as the karte and search enforce). Returns the serial
   (``TODA-<year>-<6 digits>``) and the return-by date the renderer stamps on every page.
2. ``printed`` — after the pages went to a printer (refused by name if it is a virtual one)
   or to the PDF file: logged in the audit log and the print log (counts and digests only).
   ``voided`` — the preview was closed without printing: the serial stays used.
3. The register: staff see their sheets and tick 回収済み / 廃棄済み (each tick logged, the
   history kept); the project lead (``policy_edit``) sees everyone's and the overdue ones.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta

from storage.repos import leavers, meta
from storage.repos import print_log as repo
from storage.repos.print_log import PrintEvent, PrintRow
from toda_desktop.context import ServiceContext
from toda_desktop.errors import PermissionDenied, UserFacingError
from toda_desktop.export_purpose.check import purpose_entries
from toda_desktop.export_purpose.model import Purpose, validated
from toda_desktop.printing.document import DOCUMENT_LABELS, DocumentKind, PrintDocument
from toda_desktop.printing.printers import is_virtual_printer
from toda_desktop.search.former import DENIED_MESSAGE, DENIED_REASON, sees_former
from toda_desktop.staff import Staff, staff_book, staff_label, staff_of

PRINT_FUNCTION = "print"
PDF_FUNCTION = "export"  # a PDF is a file: the map's right to make identifiable files
LEAD_FUNCTION = "policy_edit"  # the project lead: everyone's sheets, the return period
RETURN_DAYS_KEY = "print_return_days"
DEFAULT_RETURN_DAYS = 14  # two weeks: a case meeting and its follow-up, then back or shredded
MAX_RETURN_DAYS = 90
KEEP_WORDS = "持出禁止・要回収"

STATUS_LABELS = {
    "reserved": "プレビュー中",
    "voided": "取消（印刷せず）",
    "outstanding": "未回収",
    "returned": "回収済み",
    "shredded": "廃棄済み",
}
DESTINATION_LABELS = {"": "—", "printer": "プリンター", "pdf": "PDFファイル"}
# The statuses a person ticks on the register, and the audit action of each.
TICKS = {"returned": "print_returned", "shredded": "print_shredded"}

__all__ = [
    "KEEP_WORDS", "STATUS_LABELS", "PrintEntry", "PrintEventView", "PrintOptions",
    "PrintRegister", "PrintService", "PrintSlip",
]


@dataclass(frozen=True)
class PrintOptions:
    """What the purpose question offers."""

    purposes: list[str]
    return_days: int
    may_save_pdf: bool


@dataclass(frozen=True)
class PrintSlip:
    """A serial reserved for one document: what every page of it carries."""

    serial: str
    kind: DocumentKind
    printed_by: str  # 「氏名（ログインID）」
    reserved_at: datetime
    return_by: date
    purpose: str
    digest: str
    pupils: int
    pupil_id: int | None = None  # the one pupil of a one-pupil sheet (the audit entry's)


@dataclass(frozen=True, kw_only=True)
class PrintEntry(PrintRow):
    """A line of the register: the print log's row with people named and the sheet's kind
    and status in words."""

    printer: Staff
    ticked_by: Staff | None
    kind_label: str
    status_label: str
    overdue: bool


@dataclass(frozen=True)
class PrintEventView:
    status: str
    status_label: str
    by: Staff
    at: datetime


@dataclass(frozen=True)
class PrintRegister:
    entries: list[PrintEntry]
    everyone: bool  # the lead's view of every account's sheets
    overdue: int  # sheets past their date in this view
    today: date


def _kind_label(kind: str) -> str:
    try:
        return DOCUMENT_LABELS[DocumentKind(kind)]
    except ValueError:
        return kind


class PrintService:
    def __init__(self, context: ServiceContext) -> None:
        self._ctx = context

    # -- before the preview ---------------------------------------------------------------

    def return_days(self) -> int:
        """Days from printing to the date a sheet must be returned or shredded."""
        self._ctx.gate.require_session("print")
        text = self._ctx.db.call(lambda c: meta.get(c, RETURN_DAYS_KEY))
        return DEFAULT_RETURN_DAYS if text is None else int(text)

    def set_return_days(self, days: int) -> None:
        """The lead's period between printing and the date a sheet must be back."""
        ctx = self._ctx
        ctx.gate.require(LEAD_FUNCTION)
        if not 1 <= days <= MAX_RETURN_DAYS:
            raise UserFacingError(f"日数は1から{MAX_RETURN_DAYS}までで指定してください。")
        old = self.return_days()
        ctx.db.call(lambda c: meta.put(c, RETURN_DAYS_KEY, str(days)))
        ctx.log("print_return_days_changed", detail={"old": old, "new": days})

    def options(self) -> PrintOptions:
        ctx = self._ctx
        ctx.gate.require(PRINT_FUNCTION)
        return PrintOptions(purpose_entries(ctx), self.return_days(),
                            ctx.gate.may(PDF_FUNCTION))

    def reserve(self, document: PrintDocument, purpose: Purpose) -> PrintSlip:
        """Check and reserve the serial of one document (before its preview)."""
        ctx = self._ctx
        ctx.gate.require(PRINT_FUNCTION)
        if purpose.approval_id is not None:
            raise UserFacingError("印刷には承認番号は使いません。目的を選んでください。")
        if not purpose.choice.strip():
            self._refuse(document, "no_purpose")
            raise UserFacingError(
                "印刷の目的を一覧から選んでください。目的は印刷の記録に残ります。")
        stated = validated(purpose, purpose_entries(ctx))
        if document.pupils:
            self._require_pupils(document)
        now = ctx.now()
        days = self.return_days()
        return_by = now.date() + timedelta(days=days)
        digest = document.digest()
        pupils = len(set(document.pupils))
        # A preview left open when the screen locked (or the program stopped) could not
        # void its serial; it is voided now, before the next one is taken.
        ctx.db.call(lambda c: repo.void_stale(c, ctx.actor.login_id, now))
        serial = ctx.db.call(lambda c: repo.reserve(
            c, at=now, kind=document.kind.value, subject=document.subject,
            purpose=stated.text, pupils=pupils, digest=digest,
            printed_by=ctx.actor.login_id, return_by=return_by))
        who = staff_label(Staff(ctx.actor.login_id, ctx.actor.display_name, True))
        only = document.pupils[0] if pupils == 1 else None
        return PrintSlip(serial, document.kind, who, now, return_by, stated.text, digest,
                         pupils, only)

    def _refuse(self, document: PrintDocument, reason: str) -> None:
        self._ctx.log("print_refused", outcome="denied",
                      detail={"sheet": document.kind.value, "reason": reason})

    def _require_pupils(self, document: PrintDocument) -> None:
        """The reader may still see every pupil the sheet names."""
        ctx = self._ctx
        master = ctx.registry.master.name
        if not (ctx.gate.may("view") and ctx.gate.sees(master)):
            self._refuse(document, "pupils_not_visible")
            raise PermissionDenied("この役割では児童生徒の名前が載った印刷物は作れません。")
        wanted = set(document.pupils)
        table = ctx.registry.master.table
        known = ctx.db.call(lambda c: repo.present_pupils(c, table, wanted), kind=master)
        if known != wanted:
            self._refuse(document, "unknown_pupil")
            raise UserFacingError("印刷物に載る児童生徒の一部が見つかりません。"
                                  "画面を開き直してから印刷してください。")
        if not sees_former(ctx):
            gone = ctx.db.call(lambda c: set(leavers.leavers_among(c, wanted)), kind=master)
            if gone:
                ctx.log("print_refused", outcome="denied",
                        pupil_id=next(iter(gone)) if len(gone) == 1 else None,
                        detail={"sheet": document.kind.value, "reason": DENIED_REASON,
                                "pupils": len(gone)})
                raise PermissionDenied(DENIED_MESSAGE)

    # -- after the preview ----------------------------------------------------------------

    def check_printer(self, name: str) -> None:
        """Refuse (logged) a system printer that writes a file instead of paper."""
        self._ctx.gate.require_session("print")
        if is_virtual_printer(name):
            self._ctx.log("print_refused", outcome="denied",
                          detail={"reason": "virtual_printer", "printer": name})
            raise UserFacingError(
                f"「{name}」はファイルを作る仮想プリンターのため、使えません。"
                "紙に印刷するプリンターを選ぶか、PDFが必要なときは「PDFに保存」を使ってください"
                "（透かしと印刷の記録が付きます）。")

    def printed(self, slip: PrintSlip, pages: int, *, destination: str = "printer",
                printer: str = "") -> None:
        """The pages went out: the print log's entry becomes 未回収 and the audit log says
        who printed what, why, how many pages and pupils, and the content's digest."""
        ctx = self._ctx
        ctx.gate.require(PRINT_FUNCTION)
        if destination == "pdf":
            ctx.gate.require(PDF_FUNCTION)
        elif destination == "printer":
            self.check_printer(printer)
        else:
            raise ValueError(destination)
        now = ctx.now()
        done = ctx.db.call(lambda c: repo.change_status(
            c, slip.serial, "outstanding", by=ctx.actor.login_id, at=now, pages=pages,
            destination=destination))
        if not done:
            raise UserFacingError(f"印刷番号 {slip.serial} は既に印刷済みか取り消されています。"
                                  "もう一度印刷し直してください。")
        # Like opening a karte, printing one pupil's sheet names the pupil by the store's
        # internal number (never a name): who printed whose karte can be answered.
        ctx.log("print", target=f"print:{slip.serial}",
                pupil_id=slip.pupil_id, detail={
                    "serial": slip.serial, "sheet": slip.kind.value, "purpose": slip.purpose,
                    "pages": pages, "pupils": slip.pupils, "content_digest": slip.digest,
                    "destination": destination, "return_by": slip.return_by.isoformat(),
                    **({"printer": printer} if printer else {})})

    def voided(self, slip: PrintSlip) -> None:
        """The preview closed without printing: the serial is kept as 取消, never reused."""
        ctx = self._ctx
        ctx.gate.require_session("print")
        done = ctx.db.call(lambda c: repo.change_status(
            c, slip.serial, "voided", by=ctx.actor.login_id, at=ctx.now()))
        if done:
            ctx.log("print_voided", target=f"print:{slip.serial}",
                    detail={"serial": slip.serial, "sheet": slip.kind.value})

    # -- the register ---------------------------------------------------------------------

    def register(self, *, everyone: bool = False, with_voided: bool = False,
                 limit: int = 500) -> PrintRegister:
        """The signed-in person's sheets, or (the lead) everyone's, newest first."""
        ctx = self._ctx
        if everyone:
            ctx.gate.require(LEAD_FUNCTION)
        else:
            ctx.gate.require_session("print_register")
        today = ctx.now().date()
        who = None if everyone else ctx.actor.login_id
        rows, book = ctx.db.call(lambda c: (
            repo.entries(c, printed_by=who, with_voided=with_voided, limit=limit),
            staff_book(c)))
        entries = [_entry(r, book, today) for r in rows]
        return PrintRegister(entries, everyone, sum(e.overdue for e in entries), today)

    def overdue_count(self) -> int:
        """Everyone's sheets past their date (the lead's badge)."""
        ctx = self._ctx
        ctx.gate.require(LEAD_FUNCTION)
        return ctx.db.call(lambda c: repo.overdue(c, ctx.now().date()))

    def mark(self, serial: str, status: str) -> None:
        """Tick a sheet 回収済み (``returned``) or 廃棄済み (``shredded``): its printer or the
        lead; logged, and kept in the sheet's history."""
        ctx = self._ctx
        ctx.gate.require_session("print_register")
        if status not in TICKS:
            raise UserFacingError("状態は「回収済み」か「廃棄済み」を選んでください。")
        row = ctx.db.call(lambda c: repo.entry(c, serial))
        if row is None or row.status in ("reserved", "voided"):
            raise UserFacingError(f"印刷番号 {serial} の印刷物はありません。")
        if row.printed_by != ctx.actor.login_id and not ctx.gate.may(LEAD_FUNCTION):
            ctx.log("permission_denied", outcome="denied", target=f"print:{serial}",
                    detail={"reason": "other_persons_sheet"})
            raise PermissionDenied("ご自身が印刷したものだけを記録できます"
                                   "（他の方の印刷物は事業全体総括職員が記録します）。")
        done = ctx.db.call(lambda c: repo.change_status(
            c, serial, status, by=ctx.actor.login_id, at=ctx.now()))
        if not done:
            raise UserFacingError(
                f"印刷番号 {serial} は既に「{STATUS_LABELS.get(row.status, row.status)}」です。")
        ctx.log(TICKS[status], target=f"print:{serial}",
                detail={"serial": serial, "sheet": row.kind,
                        **({"old": row.status} if row.status != "outstanding" else {})})

    def history(self, serial: str) -> list[PrintEventView]:
        ctx = self._ctx
        ctx.gate.require_session("print_register")
        row = ctx.db.call(lambda c: repo.entry(c, serial))
        if row is None or (row.printed_by != ctx.actor.login_id
                           and not ctx.gate.may(LEAD_FUNCTION)):
            raise UserFacingError(f"印刷番号 {serial} の印刷物はありません。")
        events, book = ctx.db.call(lambda c: (repo.events(c, serial), staff_book(c)))
        return [_event(e, book) for e in events]


def _entry(row: PrintRow, book: dict[str, Staff], today: date) -> PrintEntry:
    values = {f.name: getattr(row, f.name) for f in fields(PrintRow)}
    return PrintEntry(
        **values, printer=staff_of(book, row.printed_by),
        ticked_by=None if row.status == "outstanding" or row.status_by is None
        else staff_of(book, row.status_by),
        kind_label=_kind_label(row.kind), status_label=STATUS_LABELS.get(row.status, row.status),
        overdue=row.status == "outstanding" and row.return_by < today)


def _event(event: PrintEvent, book: dict[str, Staff]) -> PrintEventView:
    return PrintEventView(event.status, STATUS_LABELS.get(event.status, event.status),
                          staff_of(book, event.changed_by), event.changed_at)
