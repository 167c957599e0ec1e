"""A printable document as plain values, so that every sheet has one renderer (``ui.printing``).

Feature code (karte, case meetings, alert lists, extraction lists, the school karte) builds a
:class:`PrintDocument` from what its service already read; the print service logs it, stamps a
serial number and a return date, and the renderer lays it out with the bundled Japanese font
and the watermark on every page. Text in a document is final, written for people (dates in the
user's style, numbers formatted): the renderer only places it and never reads it back.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum


class DocumentKind(StrEnum):
    """What a sheet is; the print log and the register name it in Japanese."""

    KARTE = "karte"  # 児童生徒カルテ（ケース会議用の1枚）
    CASE_SHEET = "case_sheet"  # 児童生徒理解・支援シート／ケース会議記録
    ALERT_LIST = "alert_list"  # 見守りアラートの一覧（1校）
    EXTRACTION_LIST = "extraction_list"  # 抽出結果の一覧
    SCHOOL_KARTE = "school_karte"  # 学校カルテ（集計のみ）


DOCUMENT_LABELS: dict[DocumentKind, str] = {
    DocumentKind.KARTE: "児童生徒カルテ",
    DocumentKind.CASE_SHEET: "児童生徒理解・支援シート",
    DocumentKind.ALERT_LIST: "見守りアラートの一覧",
    DocumentKind.EXTRACTION_LIST: "抽出結果の一覧",
    DocumentKind.SCHOOL_KARTE: "学校カルテ",
}


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1  # 1: section, 2: sub-section


@dataclass(frozen=True)
class Paragraph:
    text: str
    note: bool = False  # a caption or caution in smaller type


@dataclass(frozen=True)
class Fields:
    """Label/value pairs laid out as a two-column form (``columns`` pairs per line)."""

    rows: tuple[tuple[str, str], ...]
    columns: int = 1


@dataclass(frozen=True)
class Table:
    """A table that may run over several pages; the header repeats on each page."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""
    widths: tuple[float, ...] = ()  # relative widths; empty: even


@dataclass(frozen=True)
class Figure:
    """A chart drawn for print (PNG bytes, e.g. from matplotlib with the bundled font)."""

    png: bytes = field(repr=False)
    caption: str = ""
    width_share: float = 1.0  # share of the text width


@dataclass(frozen=True)
class PageBreak:
    pass


Block = Heading | Paragraph | Fields | Table | Figure | PageBreak


@dataclass(frozen=True)
class PrintDocument:
    """One sheet (or a few pages) to print.

    ``pupils`` are the ids of the pupils the sheet names (empty for aggregate sheets): the
    log counts them, and the service checks the reader may still see each of them.
    ``subject`` says what it is about without naming a pupil (e.g. 「1校・4件」), for the
    print register.
    """

    kind: DocumentKind
    title: str
    blocks: tuple[Block, ...]
    subject: str = ""
    pupils: tuple[int, ...] = ()
    landscape: bool = False

    @property
    def identifiable(self) -> bool:
        return bool(self.pupils)

    def digest(self) -> str:
        """SHA-256 of the content, kept in the print log so a found sheet can be matched to
        its entry without the log holding the content itself."""
        payload = {
            "kind": self.kind.value,
            "title": self.title,
            "landscape": self.landscape,
            "pupils": list(self.pupils),
            "blocks": [_block_payload(b) for b in self.blocks],
        }
        text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _block_payload(block: Block) -> dict[str, object]:
    if isinstance(block, Figure):
        return {"type": "Figure", "png": hashlib.sha256(block.png).hexdigest(),
                "caption": block.caption, "width_share": block.width_share}
    return {"type": type(block).__name__, **asdict(block)}
