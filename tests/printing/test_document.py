"""The print document model: the digest names the content, not the object."""

from __future__ import annotations

from toda_desktop.printing.document import (
    DocumentKind,
    Fields,
    Figure,
    Heading,
    Paragraph,
    PrintDocument,
    Table,
)


def _sheet(value: str = "欠席 12日", png: bytes = b"\x89PNG1") -> PrintDocument:
    return PrintDocument(
        kind=DocumentKind.KARTE, title="児童生徒カルテ", pupils=(7,),
        blocks=(Heading("出欠"), Fields((("今年度", value),)), Paragraph("注記", note=True),
                Table(("月", "欠席"), (("4月", "2"),)), Figure(png, "月別の欠席")),
    )


def test_equal_content_gives_equal_digest() -> None:
    assert _sheet().digest() == _sheet().digest()


def test_a_changed_value_changes_the_digest() -> None:
    assert _sheet("欠席 12日").digest() != _sheet("欠席 13日").digest()


def test_a_changed_chart_changes_the_digest() -> None:
    assert _sheet(png=b"\x89PNG1").digest() != _sheet(png=b"\x89PNG2").digest()


def test_a_sheet_naming_pupils_is_identifiable_and_an_aggregate_is_not() -> None:
    aggregate = PrintDocument(kind=DocumentKind.SCHOOL_KARTE, title="学校カルテ", blocks=())
    assert _sheet().identifiable and not aggregate.identifiable
