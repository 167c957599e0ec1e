"""Step 2 of the import wizard: the recognized kind (how sure and why), the file's
encoding, rows and sheets, and the header mapping (changeable, saved per source)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui import style
from ui.importing.models.mapping import ColumnChoiceDelegate, MappingModel
from ui.importing.widgets import notice_label, plain_table, wrapped_label


class MappingStep(QWidget):
    """One file's kind, facts and header mapping; ``kinds`` are the datasets offered."""

    def __init__(self, kinds: Sequence[Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._kinds = list(kinds)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        self.file_title = wrapped_label("", style.SECTION_TITLE)
        layout.addWidget(self.file_title)

        card = QFrame()
        card.setObjectName("infoCard")
        card.setStyleSheet(style.CARD)
        grid = QGridLayout(card)
        grid.setContentsMargins(12, 8, 12, 8)
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(4)
        self.kind_combo = QComboBox()
        self.kind_combo.setAccessibleName("データの種類")
        self.kind_combo.setMinimumWidth(240)
        self.kind_combo.addItem("（種類を選んでください）", None)
        for kind in self._kinds:
            self.kind_combo.addItem(str(kind.label), str(kind.name))
        self.confidence_label = QLabel("")
        self.guess_label = wrapped_label("", style.MUTED)
        self.encoding_label = QLabel("")
        self.rows_label = QLabel("")
        kind_row = QHBoxLayout()
        kind_row.addWidget(self.kind_combo)
        kind_row.addSpacing(10)
        kind_row.addWidget(self.confidence_label)
        kind_row.addStretch(1)
        grid.addWidget(QLabel("データの種類"), 0, 0)
        grid.addLayout(kind_row, 0, 1)
        grid.addWidget(self.guess_label, 1, 1)
        facts = QHBoxLayout()
        facts.addWidget(QLabel("形式・文字コード: "))
        facts.addWidget(self.encoding_label)
        facts.addSpacing(24)
        facts.addWidget(QLabel("行数: "))
        facts.addWidget(self.rows_label)
        facts.addStretch(1)
        grid.addWidget(QLabel("ファイル"), 2, 0)
        grid.addLayout(facts, 2, 1)
        # A workbook's sheets: which are read, why others are not, and a choice.
        self.sheet_caption = QLabel("シート")
        self.sheet_combo = QComboBox()
        self.sheet_combo.setAccessibleName("読むシート")
        self.sheet_combo.setMinimumWidth(240)
        sheet_row = QHBoxLayout()
        sheet_row.addWidget(self.sheet_combo)
        sheet_row.addStretch(1)
        self.sheet_row = QWidget()
        self.sheet_row.setLayout(sheet_row)
        sheet_row.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.sheet_caption, 3, 0)
        grid.addWidget(self.sheet_row, 3, 1)
        self.sheet_notes = wrapped_label("", style.MUTED)
        grid.addWidget(self.sheet_notes, 4, 1)
        grid.setColumnStretch(1, 1)
        layout.addWidget(card)

        self.already_label = notice_label(style.NOTICE_TEXT)
        layout.addWidget(self.already_label)
        self.problems_label = notice_label(style.ERROR_TEXT)
        layout.addWidget(self.problems_label)
        self.mapping_notes = notice_label(style.NOTICE_TEXT)
        layout.addWidget(self.mapping_notes)

        self.mapping_model = MappingModel(self)
        self.mapping_table = plain_table(self.mapping_model, "見出しの対応")
        self.mapping_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.mapping_table.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers)
        self.mapping_table.verticalHeader().setDefaultSectionSize(32)
        self.mapping_table.setItemDelegateForColumn(
            MappingModel.CHOICE_COLUMN, ColumnChoiceDelegate(self.mapping_model, self)
        )
        header = self.mapping_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((150, 140, 200)):
            header.resizeSection(column, width)
        layout.addWidget(self.mapping_table, 1)

        buttons = QHBoxLayout()
        self.skip_button = QPushButton("このファイルを飛ばす")
        self.save_mapping_button = QPushButton("この対応を保存")
        self.save_mapping_button.setToolTip(
            "見出しの対応を、この提出元のファイル用に記憶します。次回から同じ対応で読みます。"
        )
        self.to_preview_button = QPushButton("検証に進む")
        self.to_preview_button.setDefault(True)
        buttons.addWidget(self.skip_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_mapping_button)
        buttons.addWidget(self.to_preview_button)
        layout.addLayout(buttons)
