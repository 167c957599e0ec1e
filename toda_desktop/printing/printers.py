"""Which printers the print service refuses: the system's virtual printers that write a file.

A file made by "Microsoft Print to PDF" or CUPS-PDF would leave the store without the print
log knowing where it went; the product's own PDF (「PDFに保存」) carries the watermark and is
logged. The check is by name and therefore best effort: a virtual printer renamed by an
administrator, or a network printer that files scans, is not recognised.
"""

from __future__ import annotations

# Parts of printer names (compared case-insensitively) that mark a virtual printer.
VIRTUAL_PRINTER_WORDS = (
    "pdf",  # Microsoft Print to PDF, CUPS-PDF, Adobe PDF, PDFCreator, PDF24, …
    "xps",  # Microsoft XPS Document Writer
    "document writer",
    "onenote",  # Send To OneNote, OneNote for Windows 10
    "fax",
    "print to file",
    "evernote",
    "snagit",
)


def is_virtual_printer(name: str) -> bool:
    """Whether the printer's name says it writes a file or sends the page elsewhere."""
    folded = " ".join(name.casefold().split())
    return any(word in folded for word in VIRTUAL_PRINTER_WORDS)
