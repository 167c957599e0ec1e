"""The words every printed page carries (the watermark), from the service's reserved slip."""

from __future__ import annotations

from dataclasses import dataclass

from kernel.date_style import DateStyle
from toda_desktop.formatting import format_date, format_datetime
from toda_desktop.printing.service import KEEP_WORDS, PrintSlip


@dataclass(frozen=True)
class Stamp:
    serial: str
    printed_by: str  # 「氏名（ログインID）」
    printed_at: str  # in the user's date style
    return_by: str
    keep: str = KEEP_WORDS

    @property
    def return_line(self) -> str:
        return f"返却・廃棄期限: {self.return_by}"

    @property
    def header_lines(self) -> tuple[str, str]:
        return (f"印刷番号 {self.serial}　{self.return_line}",
                f"印刷者: {self.printed_by}　印刷日時: {self.printed_at}")


def stamp_of(slip: PrintSlip, date_style: DateStyle) -> Stamp:
    return Stamp(slip.serial, slip.printed_by, format_datetime(slip.reserved_at, date_style),
                 format_date(slip.return_by, date_style))
