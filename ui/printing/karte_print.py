"""Printing a karte: ask which sections, then hand the builder to the print flow. Lives here
so that the karte page needs only a button and one call (``print_karte``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from kernel.date_style import DateStyle
from toda_desktop.karte.sheet import SECTION_LABELS, KarteSection, available_sections, karte_sheet
from toda_desktop.printing.document import PrintDocument
from ui.printing.sections_dialog import SectionsDialog

if TYPE_CHECKING:
    from toda_desktop.karte.service import Karte, KarteRecords
    from ui.printing.flow import PrintFlow

ReadRecords = Callable[[int, str], "KarteRecords"]  # the karte service's ``records``


def print_karte(parent: QWidget, printer: PrintFlow, karte: Karte, read_records: ReadRecords,
                date_style: DateStyle) -> SectionsDialog:
    """Ask the sections (window-modal, returned for tests), then print the one-pager; the
    record lists are read (and logged) by the karte service on the worker."""
    sections = available_sections(karte)
    dialog = SectionsDialog([(s.value, SECTION_LABELS[s]) for s in sections], parent=parent)

    def chosen() -> None:
        keys = {KarteSection(k) for k in dialog.chosen()}
        pupil, kinds = karte.header.pupil_id, karte.record_kinds

        def build() -> PrintDocument:
            records = ({k: read_records(pupil, k) for k in kinds}
                       if KarteSection.RECORDS in keys else {})
            return karte_sheet(karte, keys, date_style, records)

        printer.print_document(build)

    dialog.accepted.connect(chosen)
    dialog.open()
    return dialog
