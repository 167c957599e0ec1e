"""Step 3 of the import wizard: the counts of the check, the validation report with its
severity filter and export, overwrites and repeated rows, values to map, and 取り込む…."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kernel.date_style import DateStyle
from toda_desktop.formatting import format_count
from ui import style
from ui.export_flow import format_combo
from ui.importing.models.preview import (
    ALL_SEVERITIES,
    ATTENTION_COUNTS,
    PROBLEM_COUNTS,
    SEVERITY_ORDER,
    ChangesModel,
    IssueRow,
    IssuesModel,
    SeverityFilter,
    severity_counts,
    shown_counts,
)
from ui.importing.widgets import (
    CountTile,
    n_rows,
    notice_label,
    plain_table,
    say,
    wrapped_label,
)

if TYPE_CHECKING:
    from toda_desktop.importing.service import ImportPreview


class PreviewStep(QWidget):
    """The check of one file before anything is written; the report's export is shown
    only with ``can_export``."""

    def __init__(self, *, can_export: bool, parent: QWidget | None = None,
                 date_style: DateStyle = DateStyle.SEIREKI) -> None:
        super().__init__(parent)
        self._can_export = can_export
        self.issues: Sequence[IssueRow] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        self.preview_title = wrapped_label("", style.SECTION_TITLE)
        layout.addWidget(self.preview_title)
        tiles = QGridLayout()
        tiles.setSpacing(6)
        self.tiles_grid = tiles
        self.count_tiles: dict[str, CountTile] = {}
        for _key, label, tip, _value in shown_counts({k: 0 for k in (
            "rows", "new", "identical", "conflicts", "review", "rejected", "error_rows",
            "duplicates_in_file", "totals_rows")}):
            tile = CountTile(label, tip)
            place = len(self.count_tiles)
            self.count_tiles[_key] = tile
            tiles.addWidget(tile, place // 4, place % 4)
        layout.addLayout(tiles)
        self.link_label = wrapped_label("", style.MUTED)
        layout.addWidget(self.link_label)
        self.preview_notice = notice_label(style.NOTICE_TEXT)
        layout.addWidget(self.preview_notice)

        report_row = QHBoxLayout()
        report_title = QLabel("検証結果")
        report_title.setStyleSheet("font-weight: bold;")
        report_row.addWidget(report_title)
        self.issue_count_label = QLabel("")
        self.issue_count_label.setStyleSheet(style.MUTED)
        report_row.addWidget(self.issue_count_label)
        report_row.addStretch(1)
        report_row.addWidget(QLabel("重要度:"))
        self.severity_combo = QComboBox()
        self.severity_combo.setAccessibleName("重要度で絞り込む")
        self.severity_combo.setMinimumWidth(120)
        self.severity_combo.addItem(ALL_SEVERITIES, None)
        for severity in SEVERITY_ORDER:
            self.severity_combo.addItem(severity, severity)
        self.severity_combo.currentIndexChanged.connect(self._severity_chosen)
        report_row.addWidget(self.severity_combo)
        layout.addLayout(report_row)

        self.issues_model = IssuesModel(self)
        self.issues_proxy = SeverityFilter(self)
        self.issues_proxy.setSourceModel(self.issues_model)
        self.issues_table = plain_table(self.issues_proxy, "検証結果の一覧")
        self.issues_table.setSortingEnabled(True)
        self.issues_table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        self.issues_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.issues_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate((150, 96, 90, 100, 300, 58)):
            header.resizeSection(column, width)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        # On screen the file is the heading above; the exported report names it in each row.
        self.issues_table.setColumnHidden(0, True)
        layout.addWidget(self.issues_table, 1)

        export_row = QHBoxLayout()
        self.export_status = notice_label(style.OK_TEXT)
        export_row.addWidget(self.export_status, 1)
        export_row.addStretch(0)
        self.report_format_combo = format_combo()
        self.export_button = QPushButton("検証結果を出力…")
        self.export_button.setToolTip(
            "検証結果をファイルに保存します。学校や提出元に渡して、ファイルを直してもらえます。"
        )
        if self._can_export:
            export_row.addWidget(self.report_format_combo)
            export_row.addWidget(self.export_button)
        else:
            self.report_format_combo.hide()
            self.export_button.hide()
        layout.addLayout(export_row)

        self.overwrite_check = QCheckBox("")
        self.overwrite_check.hide()
        layout.addWidget(self.overwrite_check)
        self.changes_label = wrapped_label("", "font-weight: bold;")
        self.changes_label.hide()
        layout.addWidget(self.changes_label)
        self.changes_model = ChangesModel(self, date_style)
        self.changes_table = plain_table(self.changes_model, "上書きで変わる値")
        self.changes_table.setMaximumHeight(170)
        header = self.changes_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate((64, 0, 110, 120, 120)):
            header.resizeSection(column, width)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.changes_table.setWordWrap(False)
        self.changes_table.hide()
        layout.addWidget(self.changes_table)
        self.repeats_check = QCheckBox("")  # identical rows kept as repeated records
        self.repeats_check.hide()
        layout.addWidget(self.repeats_check)
        values_row = QHBoxLayout()
        self.values_label = wrapped_label("", style.MUTED)
        self.values_button = QPushButton("一覧にない値を対応付ける…")
        values_row.addWidget(self.values_label, 1)
        values_row.addWidget(self.values_button)
        self.values_row = QWidget()
        self.values_row.setLayout(values_row)
        self.values_row.hide()
        layout.addWidget(self.values_row)
        self.commit_text = wrapped_label("", "font-weight: bold;")
        layout.addWidget(self.commit_text)

        buttons = QHBoxLayout()
        self.back_button = QPushButton("見出しの確認に戻る")
        self.skip_button2 = QPushButton("このファイルを飛ばす")
        self.commit_button = QPushButton("取り込む…")
        self.commit_button.setDefault(True)
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.skip_button2)
        buttons.addStretch(1)
        buttons.addWidget(self.commit_button)
        layout.addLayout(buttons)

    # -- showing a check -------------------------------------------------------------------

    def show_preview(self, preview: ImportPreview, issues: Sequence[IssueRow], heading: str,
                     *, can_overwrite: bool) -> None:
        """The counts, the report and the choices of one file's check (nothing chosen)."""
        self.issues = issues
        counts = preview.counts
        self.preview_title.setText(heading)
        shown = [key for key, *_rest in shown_counts(counts)]
        for key, tile in self.count_tiles.items():
            tile.setVisible(key in shown)
            if key in shown:
                place = shown.index(key)
                self.tiles_grid.addWidget(tile, place // 4, place % 4)
            value = int(counts.get(key, 0))
            colour = (style.ERROR_COLOR if key in PROBLEM_COUNTS and value else
                      "#8a5a00" if key in ATTENTION_COUNTS and value else
                      style.OK_COLOR if key == "new" and value else "#1b1f24")
            tile.set_value(value, colour)
        if "auto_linked" in counts:
            waiting = counts.get("already_waiting", 0)
            self.link_label.setText(
                f"児童生徒との照合（名寄せ）: 自動で照合 {n_rows(counts['auto_linked'])}・"
                f"確認待ち {n_rows(counts['review'])}・照合不可 {n_rows(counts['rejected'])}"
                + (f"（ほかに、前回から確認待ちの行 {n_rows(waiting)}）" if waiting else "")
            )
            self.link_label.show()
        else:
            self.link_label.hide()
        self.issues_model.set_rows(issues)
        self.severity_combo.setCurrentIndex(0)
        self._count_issues()
        conflicts = int(counts.get("conflicts", 0))
        self.overwrite_check.blockSignals(True)
        self.overwrite_check.setChecked(False)
        self.overwrite_check.blockSignals(False)
        self.overwrite_check.setText(
            f"値の異なる既存の記録 {n_rows(conflicts)}を、このファイルの値で上書きする"
            "（取込を取り消すと元の値に戻ります）"
        )
        self.overwrite_check.setVisible(bool(conflicts) and can_overwrite)
        changes = list(preview.changes) if conflicts and can_overwrite else []
        self.changes_model.set_lines(changes)
        say(self.changes_label,
            f"上書きすると変わる値（{format_count(len(changes))}件）: "
            "空欄のセルで今の値を消すことはありません。" if changes else "")
        self.changes_table.setVisible(bool(changes))
        repeats = int(counts.get("repeats", 0))
        self.repeats_check.blockSignals(True)
        self.repeats_check.setChecked(False)
        self.repeats_check.blockSignals(False)
        self.repeats_check.setText(
            f"すべての列が同じ行 {n_rows(repeats)}も、繰り返しの記録（同じ日の利用など）として"
            "取り込む"
        )
        self.repeats_check.setVisible(bool(repeats))
        unknown = preview.unknown_values
        self.values_label.setText(
            f"列の値の一覧にない値が {format_count(len(unknown))}種類あります"
            f"（{'、'.join(dict.fromkeys(u.column_label for u in unknown))}）。"
        )
        self.values_row.setVisible(bool(unknown))
        say(self.export_status, "")

    def _count_issues(self) -> None:
        counts = severity_counts(self.issues)
        detail = "・".join(f"{k} {format_count(v)}" for k, v in counts.items() if v)
        shown = self.issues_proxy.rowCount()
        total = len(self.issues)
        self.issue_count_label.setText(
            "問題は見つかりませんでした" if not total else
            f"{format_count(total)}件（{detail}）"
            + (f"　うち {format_count(shown)}件を表示" if shown != total else "")
        )

    def _severity_chosen(self, _index: int) -> None:
        self.issues_proxy.set_severity(self.severity_combo.currentData())
        self._count_issues()
