"""What the check of one file found, in staff's words: the counts, the sentence the user
confirms before committing, the result, the validation report's rows with their severity
filter, and the changes an overwrite would make."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast, overload

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

from kernel.date_style import DateStyle
from toda_desktop.importing.findings import ReportLines
from ui import style
from ui.importing.widgets import WARNING_COLOR, n_rows
from ui.table_model import LinesTableModel

Index = QModelIndex | QPersistentModelIndex

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


class IssueLines(Sequence[IssueRow]):
    """A preview's findings as the table's rows, each made when the table shows it: a file
    with a finding on every row (a million of them) is not a million objects."""

    def __init__(self, lines: ReportLines) -> None:
        self.report = lines

    def __len__(self) -> int:
        return len(self.report)

    @overload
    def __getitem__(self, index: int) -> IssueRow: ...

    @overload
    def __getitem__(self, index: slice) -> list[IssueRow]: ...

    def __getitem__(self, index: int | slice) -> IssueRow | list[IssueRow]:
        if isinstance(index, slice):
            return [IssueRow.from_report(r) for r in self.report[index]]
        return IssueRow.from_report(self.report[index])

    def severity(self, index: int) -> str:
        return self.report.severity(index)


def severity_counts(rows: Iterable[IssueRow]) -> dict[str, int]:
    counts = dict.fromkeys(SEVERITY_ORDER, 0)
    if isinstance(rows, IssueLines):  # counted on the findings, no line built
        for label, n in rows.report.severity_counts().items():
            counts[label] = counts.get(label, 0) + n
        return counts
    for row in rows:
        counts[row.severity] = counts.get(row.severity, 0) + 1
    return counts


class IssuesModel(LinesTableModel[IssueRow]):
    HEADERS = ("ファイル", "行", "列", "値", "理由", "重要度")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(self.HEADERS, parent)

    @property
    def rows(self) -> Sequence[IssueRow]:
        return self.lines

    def set_rows(self, rows: Sequence[IssueRow]) -> None:
        """Shows ``rows`` as they are (findings made on demand stay so, not copied)."""
        self.beginResetModel()
        self.lines = cast(list[IssueRow], rows)  # read only: indexed and counted
        self.endResetModel()

    def severity_of(self, row: int) -> str:
        lines: Sequence[IssueRow] = self.lines
        if isinstance(lines, IssueLines):
            return lines.severity(row)
        return lines[row].severity

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
        return model.severity_of(source_row) == self.severity


class ChangesModel(LinesTableModel[Any]):
    """What an overwrite would replace (``FieldChange`` lines): for the importing role's
    eyes before committing; never written to a log. The record is named as the user knows
    it (氏名・宛名番号, 年度 in their DateStyle, 「5月」), never by the store's id."""

    def __init__(self, parent: QWidget | None = None,
                 date_style: DateStyle = DateStyle.SEIREKI) -> None:
        super().__init__(("行", "記録", "列", "今の値", "新しい値"), parent)
        self._style = date_style

    def cells(self, line: Any) -> Sequence[Any]:
        return (f"{line.row}行目", line.text(self._style), line.column, line.old, line.new)

    def cell_data(self, line: Any, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole and column == 1:
            return line.text(self._style)  # the key in full when the column is narrow
        return super().cell_data(line, column, role)
