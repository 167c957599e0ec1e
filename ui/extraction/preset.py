"""The city's push-support preset on 抽出: its one-click button and its settings (criteria
switchable and tunable in :class:`PushSupportDialog`, locked to what this role may use); the
service builds the preset extraction from them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QPushButton, QWidget

from toda_desktop.extraction import Extraction, PushSupportOptions
from ui import style
from ui.extraction.catalog import Catalog
from ui.extraction.push_support_dialog import PushSupportDialog

if TYPE_CHECKING:
    from toda_desktop.extraction.service import ExtractionService

# Not 「3つの基準」: the preset lists four conditions (長期欠席ではない and the three criteria),
# and a user counting them was puzzled (issue 16).
RUN_TEXT = "プッシュ型支援の基準で抽出"


class PushSupportPreset:
    """プッシュ型支援の基準で抽出 and 基準を調整…, with the settings in use."""

    def __init__(self, service: ExtractionService) -> None:
        self._service = service
        # The preset as this role can run it (None: none of its criteria is within the map).
        offered = service.push_support_options()
        self.offered = offered is not None
        self.options = offered or PushSupportOptions()
        self._locked = service.push_support_locked()
        self.run_button = QPushButton(RUN_TEXT)
        self.run_button.setStyleSheet(
            f"QPushButton {{ background: {style.ACCENT}; color: white; font-weight: bold;"
            " padding: 6px 14px; border-radius: 4px; }"
            " QPushButton:disabled { background: #9db4d3; }")
        self.run_button.setToolTip(
            "長期欠席ではない児童生徒のうち、学力・授業理解・しあわせアンケートの基準に"
            "すべて当てはまる児童生徒を探します（使う基準は「基準を調整…」で選べます）")
        self.settings_button = QPushButton("基準を調整…")

    def extraction(self, options: PushSupportOptions | None, school_year: int | None
                   ) -> Extraction:
        """The preset with ``options`` (default: the settings in use) for the base year."""
        return self._service.push_support_preset(options or self.options, school_year)

    def settings_dialog(self, catalog: Catalog | None, parent: QWidget) -> PushSupportDialog:
        """The settings, with the subjects the catalogue offers this role."""
        subjects: list[str] = []
        lesson_subjects: list[str] = []
        if catalog is not None:
            academic = catalog.field("academic_results", "subject")
            subjects = list(academic.values) if academic is not None else []
            lesson = next((s for s in catalog.surveys
                           if s.code == self.options.lesson_survey), None)
            lesson_subjects = list(lesson.subjects) if lesson is not None else []
        return PushSupportDialog(self.options, subjects, lesson_subjects, parent,
                                 locked=self._locked)
