"""Plain data and table models of the 取込 page (取込履歴: ``history_models``, 名寄せ確認:
``review_models``).

The services hand over their own objects (``FileInspection``, ``ImportPreview``,
``ImportResult``); the page turns what it shows into the small dataclasses below and renders
them with ``QAbstractTableModel``s. Wording for staff (counts, the commit confirmation,
states) lives here too, so it can be tested without Qt windows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QComboBox, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from toda_desktop.formatting import format_count
from ui import style
from ui.table_model import LinesTableModel

Index = QModelIndex | QPersistentModelIndex

# The office imports the pupils and their enrollment first: other records are linked to them.
FIRST_KINDS = ("students", "schools", "enrollments")
WARNING_COLOR = "#8a5a00"


def n_rows(n: int) -> str:
    return f"{format_count(n)}行"


# -- files of one wizard run -------------------------------------------------------------------

WAITING, CURRENT, IMPORTED, NOTHING, SKIPPED, UNREADABLE = (
    "waiting", "current", "imported", "nothing", "skipped", "unreadable"
)


@dataclass
class FileEntry:
    """One chosen file and how far the wizard got with it."""

    path: Path
    inspection: Any | None = None  # FileInspection
    error: str | None = None  # why it could not be read (Japanese)
    state: str = WAITING
    result: Any | None = None  # ImportResult
    note: str = ""
    sheet: str | None = None  # the workbook sheet this entry reads (None: CSV or one sheet)
    sheets: tuple[Any, ...] = ()  # the workbook's sheets as first read (SheetInfo)
    _kind: tuple[str, str] | None = None  # (name, label) kept after release()

    @property
    def display_name(self) -> str:
        return self.path.name if self.sheet is None else f"{self.path.name}（{self.sheet}）"

    @property
    def kind_label(self) -> str:
        kind = self._kind_pair()
        return "—" if kind is None else kind[1]

    @property
    def kind_name(self) -> str | None:
        kind = self._kind_pair()
        return None if kind is None else kind[0]

    def _kind_pair(self) -> tuple[str, str] | None:
        kind = None if self.inspection is None else self.inspection.kind
        return self._kind if kind is None else (str(kind.name), str(kind.label))

    def finish(self, state: str) -> None:
        """Done with this file: keep what the summary shows, let the file's table go (a
        year of monthly attendance is a large table to hold for nothing)."""
        self._kind = self._kind_pair()
        self.state = state
        self.inspection = None

    @property
    def finished(self) -> bool:
        return self.state in (IMPORTED, NOTHING, SKIPPED, UNREADABLE)

    @property
    def state_label(self) -> str:
        if self.state == IMPORTED and self.result is not None:
            return f"取込済み（取込番号 {self.result.batch_id}・{n_rows(self.result.inserted)}）"
        return {
            WAITING: "これから",
            CURRENT: "確認中",
            IMPORTED: "取込済み",
            NOTHING: "取込なし",
            SKIPPED: "飛ばしました",
            UNREADABLE: "読めません",
        }[self.state]


def kind_rank(kind_name: str | None) -> int:
    if kind_name in FIRST_KINDS:
        return FIRST_KINDS.index(kind_name)
    return len(FIRST_KINDS) + (1 if kind_name is None else 0)


def in_import_order(entries: Sequence[FileEntry]) -> list[FileEntry]:
    """児童生徒基本情報, 学校, 在籍 first; otherwise as chosen (a stable sort)."""
    return sorted(entries, key=lambda e: kind_rank(e.kind_name))


class FileQueueModel(QAbstractTableModel):
    """The chosen files as a list: name on the first line, kind and state on the second."""

    HEADERS = ("ファイル（種類・状態）",)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entries: list[FileEntry] = []
        self.current = -1

    def set_entries(self, entries: Sequence[FileEntry]) -> None:
        self.beginResetModel()
        self.entries = list(entries)
        self.endResetModel()

    def refresh(self) -> None:
        if self.entries:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.entries) - 1, 0))

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.entries)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def text(self, row: int) -> str:
        entry = self.entries[row]
        marker = "▶ " if row == self.current else ""
        return f"{marker}{entry.display_name}\n{entry.kind_label}・{entry.state_label}"

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        entry = self.entries[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(index.row())
        if role == Qt.ItemDataRole.ToolTipRole:
            return entry.error or entry.note or str(entry.path)
        if role == Qt.ItemDataRole.FontRole and index.row() == self.current:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.BackgroundRole and index.row() == self.current:
            return QBrush(QColor("#e8f1fb"))
        if role == Qt.ItemDataRole.ForegroundRole:
            if entry.state == UNREADABLE:
                return QColor(style.ERROR_COLOR)
            if entry.state == IMPORTED:
                return QColor(style.OK_COLOR)
            if entry.state in (SKIPPED, NOTHING):
                return QColor(style.MUTED_COLOR)
        return None


def entries_of(path: Path, inspections: Sequence[Any]) -> list[FileEntry]:
    """One entry per sheet the service read (one for a CSV); the sheet is named only when
    the workbook has several."""
    several = len(inspections) > 1 or any(len(i.sheets) > 1 for i in inspections)
    return [FileEntry(path, inspection=i, sheet=i.sheet if several else None,
                      sheets=tuple(i.sheets) if several else ())
            for i in inspections]


OTHER_SHEET = "ほかのシートを選んだため、読みません。"


def sheets_not_read(entry: FileEntry, entries: Sequence[FileEntry]) -> list[tuple[str, str]]:
    """(sheet, why) for the sheets of this entry's workbook that no entry of the run reads."""
    read = {e.sheet for e in entries if e.path == entry.path and e.state != UNREADABLE}
    return [(s.name, s.reason if not s.read else OTHER_SHEET)
            for s in entry.sheets if s.name not in read]


def sheet_choices(entry: FileEntry, entries: Sequence[FileEntry]) -> list[tuple[str, str]]:
    """(label, sheet name) for the sheet chooser: every sheet, with why one is not read."""
    why = dict(sheets_not_read(entry, entries))
    return [(f"{s.name}（{why[s.name]}）" if s.name in why else s.name, s.name)
            for s in entry.sheets]


# -- overwrite changes -------------------------------------------------------------------------

class ChangesModel(LinesTableModel[Any]):
    """What an overwrite would replace (``FieldChange`` lines): for the importing role's
    eyes before committing; never written to a log."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(("行", "記録", "列", "今の値", "新しい値"), parent)

    def cells(self, line: Any) -> Sequence[Any]:
        return (f"{line.row}行目", line.record, line.column, line.old, line.new)

    def cell_data(self, line: Any, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole and column == 1:
            return line.record  # the key in full when the column is narrow
        return super().cell_data(line, column, role)


# -- header mapping ----------------------------------------------------------------------------

IGNORE_LABEL = "取り込まない"
STATUS_TIPS = {
    "重複しています": "二つの見出しが同じ列になっています。"
                      "どちらかを「取り込まない」にしてください。",
    "推定・要確認": "見出しの括弧書きを除いて推定しました。正しいか確認してください。",
    "対応する列なし": "この見出しに当たる列が見つからないため、取り込みません。"
                      "取り込む場合は「取り込む列」で選んでください。",
    "変更あり（未保存）": "「この対応を保存」を押すと、この提出元の次の取込でも使われます。",
}


@dataclass
class MappingRow:
    position: int
    header: str
    sample: str
    key: str | None
    status: str
    original: str | None = None
    original_status: str = ""

    def __post_init__(self) -> None:
        self.original, self.original_status = self.key, self.status

    @property
    def changed(self) -> bool:
        return self.key != self.original


@dataclass(frozen=True)
class ColumnChoice:
    key: str | None
    label: str


def column_choices(kind: Any) -> list[ColumnChoice]:
    """The combo's items: 取り込まない, then the kind's columns (required ones marked)."""
    choices = [ColumnChoice(None, IGNORE_LABEL)]
    for column in kind.columns:
        label = str(column.label) + ("（必須）" if column.required else "")
        choices.append(ColumnChoice(str(column.key), label))
    return choices


def mapping_rows(inspection: Any) -> list[MappingRow]:
    """One row per file column, with the service's mapping and a plain status."""
    mapping = inspection.mapping
    raw = inspection.raw
    headers: tuple[str, ...] = tuple(raw.headers)
    first = raw.frame.iloc[0] if len(raw.frame) else None
    key_at = {} if mapping is None else {pos: key for key, pos in mapping.positions.items()}
    rows = []
    for pos, header in enumerate(headers):
        sample = "" if first is None else str(first.iloc[pos]) if pos < len(first) else ""
        key = key_at.get(pos)
        if mapping is None:
            status = "種類を選んでください"
        elif pos in mapping.duplicates:
            status = "重複しています"
        elif pos in mapping.inferred:
            status = "推定・要確認"
        elif key is not None:
            status = "対応済み"
        elif pos in mapping.ignored:
            status = "取り込まない（保存済み）"
        elif pos in mapping.derived:
            status = "ほかの列から求めます"
        else:
            status = "対応する列なし"
        rows.append(MappingRow(pos, header, sample, key, status))
    return rows


def mapping_problems(kind: Any, rows: Sequence[MappingRow]) -> list[str]:
    """What the current (maybe unsaved) choices lack: required columns, a column chosen twice."""
    chosen: dict[str, list[MappingRow]] = {}
    for row in rows:
        if row.key is not None:
            chosen.setdefault(row.key, []).append(row)
    labels = {str(c.key): str(c.label) for c in kind.columns}
    problems = []
    for column in kind.columns:
        if column.required and column.key not in chosen:
            problems.append(
                f"必須の列「{column.label}」がありません。ファイルの見出しのどれかが"
                f"「{column.label}」にあたる場合は、その行の「取り込む列」で選んでください。"
            )
    for key, same in chosen.items():
        if len(same) > 1:
            names = "と".join(f"「{r.header or f'{r.position + 1}列目'}」" for r in same)
            problems.append(
                f"{names}がどちらも「{labels.get(key, key)}」になっています。"
                "どちらか一方を「取り込まない」にしてください。"
            )
    return problems


class MappingModel(QAbstractTableModel):
    HEADERS = ("ファイルの見出し", "1行目の値", "取り込む列", "状態")
    CHOICE_COLUMN = 2

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[MappingRow] = []
        self.choices: list[ColumnChoice] = [ColumnChoice(None, IGNORE_LABEL)]

    def set_rows(self, rows: Sequence[MappingRow], choices: Sequence[ColumnChoice]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.choices = list(choices)
        self.endResetModel()

    @property
    def dirty(self) -> bool:
        return any(r.changed for r in self.rows)

    def choice_label(self, key: str | None) -> str:
        for choice in self.choices:
            if choice.key == key:
                return choice.label
        return IGNORE_LABEL if key is None else key

    def saved_form(self) -> dict[str, str | None]:
        """What ``remap`` takes: raw header → column key, or None for 取り込まない."""
        return {row.header: row.key for row in self.rows}

    def set_choice(self, row: int, key: str | None) -> None:
        self.setData(self.index(row, self.CHOICE_COLUMN), key, Qt.ItemDataRole.EditRole)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        flags = super().flags(index)
        if index.isValid() and index.column() == self.CHOICE_COLUMN:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            header = row.header or f"（{row.position + 1}列目・見出しなし）"
            return (header, row.sample, self.choice_label(row.key), row.status)[column]
        if role == Qt.ItemDataRole.EditRole and column == self.CHOICE_COLUMN:
            return row.key
        if role == Qt.ItemDataRole.ToolTipRole and column == 1:
            return row.sample or None
        if role == Qt.ItemDataRole.ToolTipRole and column == 3:
            return STATUS_TIPS.get(row.status)
        if role == Qt.ItemDataRole.ForegroundRole and column == 3:
            if row.changed:
                return QColor(style.ACCENT)
            if row.status.startswith(("重複", "推定")):
                return QColor(WARNING_COLOR)
            if row.key is None:
                return QColor(style.MUTED_COLOR)
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or index.column() != self.CHOICE_COLUMN:
            return False
        if role != Qt.ItemDataRole.EditRole:
            return False
        row = self.rows[index.row()]
        key = None if value in (None, "") else str(value)
        if key == row.key:
            return False
        row.key = key
        row.status = "変更あり（未保存）" if row.changed else row.original_status
        self.dataChanged.emit(self.index(index.row(), 0), self.index(index.row(), 3))
        return True


class ColumnChoiceDelegate(QStyledItemDelegate):
    """A combo box in the 取り込む列 column (opened as a persistent editor on every row)."""

    def __init__(self, model: MappingModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model

    def createEditor(
        self, parent: QWidget, option: QStyleOptionViewItem, index: Index
    ) -> QWidget:
        combo = QComboBox(parent)
        combo.setAccessibleName("取り込む列")
        for choice in self._model.choices:
            combo.addItem(choice.label, choice.key)
        combo.currentIndexChanged.connect(lambda _i, c=combo: self.commitData.emit(c))
        return combo

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        assert isinstance(editor, QComboBox)
        position = editor.findData(index.data(Qt.ItemDataRole.EditRole))
        editor.blockSignals(True)
        editor.setCurrentIndex(max(position, 0))
        editor.blockSignals(False)

    def setModelData(self, editor: QWidget, model: Any, index: Index) -> None:
        assert isinstance(editor, QComboBox)
        model.setData(index, editor.currentData(), Qt.ItemDataRole.EditRole)


# -- preview: counts, the confirmation, the validation report ------------------------------------

# (counts key, label, explanation); shown in this order.
COUNT_LABELS: tuple[tuple[str, str, str], ...] = (
    ("rows", "ファイルの行数", "見出しを除いた行の数です。"),
    ("new", "新規", "まだ取り込まれていない行です。取り込みます。"),
    ("identical", "取込済みと同一", "既に同じ内容で取り込まれている行です。取り込みません。"),
    ("conflicts", "値の異なる既存",
     "同じ記録が既にあり、値が異なる行です。上書きを選んだときだけ置き換えます。"),
    ("review", "確認待ち", "児童生徒を自動で決められなかった行です。「名寄せ確認」で確認します。"),
    ("rejected", "照合不可", "どの児童生徒の行か分からない行です。取り込みません。"),
    ("error_rows", "エラー行", "値に誤りがある行です。取り込みません。"),
    ("duplicates_in_file", "ファイル内の重複",
     "ファイルの中で重なっている行です。取り込みません。"),
    ("totals_rows", "集計行", "合計・小計・平均などの行です。記録ではないため取り込みません。"),
)
PROBLEM_COUNTS = ("rejected", "error_rows")
ATTENTION_COUNTS = ("review", "conflicts", "duplicates_in_file")


def shown_counts(counts: Mapping[str, int]) -> list[tuple[str, str, str, int]]:
    """(key, label, explanation, value) of the counts that apply to this kind."""
    return [(k, label, tip, int(counts[k])) for k, label, tip in COUNT_LABELS if k in counts]


def _join(parts: Sequence[str]) -> str:
    if len(parts) <= 2:
        return "と".join(parts)
    return "、".join(parts[:-1]) + "と" + parts[-1]


def rows_to_import(counts: Mapping[str, int], overwrite: bool) -> int:
    return int(counts.get("new", 0)) + (int(counts.get("conflicts", 0)) if overwrite else 0)


def commit_summary(counts: Mapping[str, int], overwrite: bool) -> str:
    """The sentence the user confirms, e.g. 「エラーのある12行と照合できない3行を除いて、
    2,155行を取り込みます。確認待ち6行は名寄せ確認に登録されます。」"""
    excluded = []
    for key, words in (
        ("error_rows", "エラーのある{}"),
        ("rejected", "照合できない{}"),
        ("duplicates_in_file", "ファイル内で重複する{}"),
        ("identical", "取込済みと同じ{}"),
    ):
        if counts.get(key, 0):
            excluded.append(words.format(n_rows(counts[key])))
    conflicts = int(counts.get("conflicts", 0))
    if conflicts and not overwrite:
        excluded.append(f"値の異なる既存の{n_rows(conflicts)}")
    total = rows_to_import(counts, overwrite)
    sentences = []
    if total:
        head = f"{_join(excluded)}を除いて、" if excluded else ""
        sentences.append(f"{head}{n_rows(total)}を取り込みます。")
    else:
        sentences.append("新しく取り込む行はありません。")
    if overwrite and conflicts:
        sentences.append(
            f"このうち{n_rows(conflicts)}は、既にある記録をこのファイルの値で上書きします。"
        )
    if counts.get("review", 0):
        sentences.append(f"確認待ち{n_rows(counts['review'])}は名寄せ確認に登録されます。")
    return "".join(sentences)


def result_summary(result: Any) -> str:
    parts = [f"新規 {n_rows(result.inserted)}"]
    if result.overwritten:
        parts.append(f"上書き {n_rows(result.overwritten)}")
    if result.queued:
        parts.append(f"名寄せ確認へ {n_rows(result.queued)}")
    if result.skipped_identical:
        parts.append(f"取込済みと同一のため省略 {n_rows(result.skipped_identical)}")
    if result.excluded:
        parts.append(f"エラー・照合不可で除外 {n_rows(result.excluded)}")
    return "、".join(parts)


ALL_SEVERITIES = "（すべて）"
SEVERITY_ORDER = ("エラー", "注意", "参考")


@dataclass(frozen=True)
class IssueRow:
    file: str
    row: int | None
    column: str
    value: str
    reason: str
    severity: str

    @classmethod
    def from_report(cls, values: Sequence[object]) -> IssueRow:
        file, row, column, value, reason, severity = values
        return cls(
            str(file), None if row in ("", None) else int(str(row)), str(column or ""),
            "" if value is None else str(value), str(reason), str(severity),
        )


def severity_counts(rows: Iterable[IssueRow]) -> dict[str, int]:
    counts = dict.fromkeys(SEVERITY_ORDER, 0)
    for row in rows:
        counts[row.severity] = counts.get(row.severity, 0) + 1
    return counts


class IssuesModel(LinesTableModel[IssueRow]):
    HEADERS = ("ファイル", "行", "列", "値", "理由", "重要度")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(self.HEADERS, parent)

    @property
    def rows(self) -> list[IssueRow]:
        return self.lines

    def set_rows(self, rows: Sequence[IssueRow]) -> None:
        self.set_lines(rows)

    def cell_data(self, issue: IssueRow, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            row = "ファイル全体" if issue.row is None else f"{issue.row}行目"
            return (issue.file, row, issue.column, issue.value, issue.reason,
                    issue.severity)[column]
        if role == Qt.ItemDataRole.UserRole:  # sort key
            return (issue.file, -1 if issue.row is None else issue.row, issue.column,
                    issue.value, issue.reason, SEVERITY_ORDER.index(issue.severity)
                    if issue.severity in SEVERITY_ORDER else 9)[column]
        if role == Qt.ItemDataRole.ToolTipRole and column in (3, 4):
            return (issue.value, issue.reason)[column - 3] or None
        if role == Qt.ItemDataRole.ForegroundRole and column == 5:
            return QColor({"エラー": style.ERROR_COLOR, "注意": WARNING_COLOR}.get(
                issue.severity, style.MUTED_COLOR))
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 1:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class SeverityFilter(QSortFilterProxyModel):
    """Shows the issues of one 重要度 (or all)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.severity: str | None = None
        self.setSortRole(Qt.ItemDataRole.UserRole)

    def set_severity(self, severity: str | None) -> None:
        self.beginFilterChange()
        self.severity = severity
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        if self.severity is None:
            return True
        model = self.sourceModel()
        assert isinstance(model, IssuesModel)
        return model.rows[source_row].severity == self.severity
