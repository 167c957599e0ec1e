"""Tables shared by 児童生徒検索, the karte and 抽出: item models over the services' plain
dataclasses, a sort proxy that sorts by real values (blanks last), and the way pupil data is
written for staff (学年 as 小4 / 中1, 令和 or 西暦 per the date style).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QTableView, QWidget

from kernel.date_style import DateStyle
from toda_desktop.formatting import (
    BLANK,
    format_date,
    format_datetime,
    format_phrase,
    format_school_year,
    format_value,
    grade_label,
)
from toda_desktop.phrase import Phrase
from ui import style
from ui.table_model import LinesTableModel

if TYPE_CHECKING:
    from toda_desktop.extraction.service import ExtractionResult, ExtractionRow
    from toda_desktop.karte.service import KarteRecords
    from toda_desktop.search.former import EnrollmentStatus
    from toda_desktop.search.service import PupilHit

Index = QModelIndex | QPersistentModelIndex
T = TypeVar("T")

RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
CENTER = int(Qt.AlignmentFlag.AlignCenter)


# -- how pupil data is written -------------------------------------------------------------


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _phrase_order(value: Phrase) -> str:
    """A matched value sorts as its text in 西暦 (so years and months sort in time)."""
    return format_phrase(value)


def _sort_value(value: object) -> tuple[int, Any]:
    if value is None or value == "":
        return (1, "")
    if isinstance(value, bool | int | float):
        return (0, (0, float(value)))
    return (0, (1, str(value)))


# -- the sort proxy and a table view set up the same way everywhere ------------------------


def source_row(table: QTableView, proxy: QSortFilterProxyModel) -> int | None:
    """The model row of the table's current row (None when nothing is current)."""
    index = table.currentIndex()
    if not index.isValid():
        return None
    return proxy.mapToSource(index).row()


class _RowsModel(QAbstractTableModel):
    headers: tuple[str, ...] = ()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.row_count()

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def row_count(self) -> int:
        raise NotImplementedError

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal:
            if role == Qt.ItemDataRole.DisplayRole and section < len(self.headers):
                return self.headers[section]
            if role == Qt.ItemDataRole.ToolTipRole:
                return self.header_tip(section)
        return None

    def header_tip(self, section: int) -> str | None:
        return None


# -- pupils (search hits and extraction rows) ----------------------------------------------

PUPIL_HEADERS = ("氏名", "カナ", "学校", "学年", "組", "番号", "生年月日")


def _pupil_cells(p: PupilHit | ExtractionRow, date_style: DateStyle) -> list[str]:
    return [
        p.name, p.name_kana, p.school_name, grade_label(p.grade), p.class_name,
        "" if p.seat_number is None else str(p.seat_number),
        format_date(p.birth_date, date_style) if p.birth_date else BLANK,
    ]


def _pupil_key(p: PupilHit | ExtractionRow, column: int) -> tuple[int, Any]:
    def cls(name: str) -> tuple[int, int, str]:
        return (0, int(name), name) if name.isdigit() else (1, 0, name)

    place = (p.school_code, p.grade or 0, cls(p.class_name), p.seat_number or 0)
    keys: tuple[Any, ...] = (
        p.name_kana.replace(" ", "") or None, p.name_kana.replace(" ", "") or None,
        place if p.school_code else None, (p.grade, *place) if p.grade is not None else None,
        (cls(p.class_name), *place) if p.class_name else None,
        (p.seat_number, *place) if p.seat_number is not None else None,
        p.birth_date,
    )
    value = keys[column]
    return (1, "") if value is None else (0, value)


def _status_text(status: EnrollmentStatus, style: DateStyle) -> str:
    """在籍状況 with its school year in the user's style, as the 学年 column beside it
    (「卒業（令和6年度）」 under 和暦)."""
    if status.last_year is None:
        return status.label
    year = f"{status.last_year}年度"
    return status.label.replace(year, format_school_year(status.last_year, style))


class PupilHitsModel(_RowsModel):
    """Search results (氏名, カナ, 学校, 学年, 組, 番号, 生年月日 [, 宛名番号])."""

    def __init__(self, date_style: DateStyle, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._style = date_style
        self.hits: list[PupilHit] = []
        self._latest_year: int | None = None
        self.headers = PUPIL_HEADERS
        self._extra: tuple[str, ...] = ()  # "address" and/or "status", after the pupil's

    def set_hits(self, hits: Sequence[PupilHit]) -> None:
        self.beginResetModel()
        self.hits = list(hits)
        years = [h.school_year for h in self.hits if h.school_year is not None]
        self._latest_year = max(years, default=None)
        show_address = any(h.address_code for h in self.hits)
        # 在籍状況 (issue 13): only a role that sees former pupils gets a status per hit.
        show_status = any(h.status is not None for h in self.hits)
        self._extra = (("address",) if show_address else ()) + (
            ("status",) if show_status else ())
        self.headers = PUPIL_HEADERS + tuple(
            {"address": "宛名番号", "status": "在籍状況"}[e] for e in self._extra)
        self.endResetModel()

    def row_count(self) -> int:
        return len(self.hits)

    def copied_pupils(self, rows: Sequence[int]) -> list[int]:
        """The pupils of copied rows (``ui.table_copy``)."""
        return [self.hits[r].pupil_id for r in rows]

    def _older(self, hit: PupilHit) -> bool:
        """The pupil's latest enrolment is from an earlier year than the list's others."""
        return (hit.school_year is not None and self._latest_year is not None
                and hit.school_year < self._latest_year)

    def cells(self, hit: PupilHit) -> list[str]:
        cells = _pupil_cells(hit, self._style)
        if self._older(hit) and cells[3]:
            # Found by QA: a pupil with no enrolment this year showed last year's 小5 as if
            # it were now.
            assert hit.school_year is not None
            cells[3] = f"{cells[3]}（{format_school_year(hit.school_year, self._style)}）"
        if "address" in self._extra:
            cells.append(hit.address_code or "")
        if "status" in self._extra:
            cells.append(_status_text(hit.status, self._style) if hit.status else "")
        return cells

    def sort_key(self, row: int, column: int) -> tuple[int, Any]:
        hit = self.hits[row]
        if column >= len(PUPIL_HEADERS):
            if self._extra[column - len(PUPIL_HEADERS)] == "status":
                # 在籍中 first, then those who left, the most recent first
                status = hit.status
                return (1, "") if status is None else (
                    0, (status.former, -(status.last_year or 0), status.state))
            return _sort_value(hit.address_code)
        return _pupil_key(hit, column)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        hit, column = self.hits[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cells(hit)[column]
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (3, 4, 5):
            return CENTER
        if role == Qt.ItemDataRole.ToolTipRole and column == 0:
            return "Enterキーまたはダブルクリックでカルテを開きます"
        if role == Qt.ItemDataRole.ToolTipRole and column in (2, 3, 4, 5) and self._older(hit):
            assert hit.school_year is not None
            return (f"{format_school_year(hit.school_year, self._style)}の在籍です"
                    "（それより新しい在籍の記録はありません）。")
        return None


class ExtractionRowsModel(_RowsModel):
    """The pupils an extraction found, with the value each condition matched on."""

    def __init__(self, date_style: DateStyle, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._style = date_style
        self.rows: list[ExtractionRow] = []
        self.conditions: tuple[Phrase, ...] = ()
        self.headers = PUPIL_HEADERS

    def set_result(self, result: ExtractionResult | None) -> None:
        self.beginResetModel()
        self.rows = [] if result is None else list(result.rows)
        self.conditions = () if result is None else result.conditions
        self.headers = PUPIL_HEADERS + tuple(
            f"条件{i}" for i in range(1, len(self.conditions) + 1))
        self.endResetModel()

    def row_count(self) -> int:
        return len(self.rows)

    def copied_pupils(self, rows: Sequence[int]) -> list[int]:
        """The pupils of copied rows (``ui.table_copy``)."""
        return [self.rows[r].pupil_id for r in rows]

    def header_tip(self, section: int) -> str | None:
        n = section - len(PUPIL_HEADERS)
        if 0 <= n < len(self.conditions):
            return format_phrase(self.conditions[n], self._style)
        return None

    def value_text(self, row: int, number: int) -> str:
        values = self.rows[row].values
        return format_phrase(values[number].value, self._style) if number < len(values) else ""

    def sort_key(self, row: int, column: int) -> tuple[int, Any]:
        r = self.rows[row]
        n = column - len(PUPIL_HEADERS)
        if n >= 0:
            return _sort_value(_phrase_order(r.values[n].value) if n < len(r.values) else None)
        return _pupil_key(r, column)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r, column = self.rows[index.row()], index.column()
        n = column - len(PUPIL_HEADERS)
        if role == Qt.ItemDataRole.DisplayRole:
            if n >= 0:
                return self.value_text(row=index.row(), number=n)
            return _pupil_cells(r, self._style)[column]
        if role == Qt.ItemDataRole.ToolTipRole and n >= 0 and n < len(r.values):
            return (f"{format_phrase(r.values[n].condition, self._style)}\n"
                    f"{self.value_text(index.row(), n)}")
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (3, 4, 5):
            return CENTER
        return None


# -- records with provenance ---------------------------------------------------------------

PROVENANCE_HEADERS = ("取込元ファイル", "取込番号", "取込日")


ID_KEYS = ("address_code", "pref_id", "google_account")


@dataclass(frozen=True)
class Column(Generic[T]):
    """One column of a :class:`RecordsModel`: its header and how a line shows in it."""

    header: str
    text: Callable[[T], str]
    sort: Callable[[T], Any] | None = None
    right: bool | Callable[[T], bool] = False  # right-aligned (numbers), per line if callable
    band: Callable[[T], str | None] | None = None  # colour the cell as this risk band
    tooltip: Callable[[T], str | None] | None = None
    color: Callable[[T], str | None] | None = None  # text colour


LONG_CELL = 20  # characters; longer cells get the whole text as a tooltip


class RecordsModel(LinesTableModel[T]):
    """A read-only table over plain records, described by its columns: the risk pages'
    lists and the karte's records (:class:`KarteRecordsModel`). Sorts by each column's
    ``sort`` (``sort_key`` for the sort proxy, and the user role)."""

    def __init__(self, columns: Sequence[Column[T]], parent: QWidget | None = None) -> None:
        super().__init__((), parent)
        self.columns = list(columns)

    @property
    def columns(self) -> list[Column[T]]:
        return self._columns

    @columns.setter
    def columns(self, columns: list[Column[T]]) -> None:
        self._columns = columns
        self.headers = tuple(column.header for column in columns)

    @property
    def rows(self) -> list[T]:
        return self.lines

    def set_rows(self, rows: Iterable[T]) -> None:
        self.set_lines(rows)

    def cell(self, row: int, column: int) -> str:
        return self.columns[column].text(self.lines[row])

    def sort_key(self, row: int, column: int) -> Any:
        line, col = self.lines[row], self.columns[column]
        return col.sort(line) if col.sort is not None else col.text(line)

    def cell_data(self, row: T, number: int, role: int) -> Any:
        column = self.columns[number]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(row)
        if role == Qt.ItemDataRole.UserRole:
            return column.sort(row) if column.sort is not None else column.text(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column.tooltip is not None:
                return column.tooltip(row)
            text = column.text(row)  # long text may be cut off with "…": readable on hover
            return text if len(text) > LONG_CELL else None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if column.band is not None:
                return CENTER
            right = column.right(row) if callable(column.right) else column.right
            return RIGHT if right else None
        band = column.band(row) if column.band is not None else None
        if role == Qt.ItemDataRole.FontRole and band in style.BAND_COLORS:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.BackgroundRole and band in style.BAND_COLORS:
            return QBrush(QColor(style.BAND_COLORS[band][1]))
        if role == Qt.ItemDataRole.ForegroundRole:
            if band in style.BAND_COLORS:
                return QBrush(QColor(style.BAND_COLORS[band][0]))
            colour = column.color(row) if column.color is not None else None
            return QBrush(QColor(colour)) if colour else None
        return None


KARTE_LONG_CELL = 12  # a karte cell's whole text shows on hover from this length


class KarteRecordsModel(RecordsModel[int]):
    """Records of one dataset (as the karte service returns them), each row with where it
    came from: the source file, the import batch and when it was imported. A line is the
    row's number in ``records``.

    ``shown_ids`` are the person IDs the karte header shows (the service decides which the
    role may see); other ID columns are left out of the list too."""

    def __init__(self, date_style: DateStyle, parent: QWidget | None = None,
                 shown_ids: Sequence[str] = ID_KEYS, *, pupil_id: int | None = None) -> None:
        super().__init__((), parent)
        self._style = date_style
        self._shown_ids = set(shown_ids)
        self.records: KarteRecords | None = None
        self.pupil_id = pupil_id  # whose karte: every row is that pupil's

    def copied_pupils(self, _rows: Sequence[int]) -> list[int] | None:
        """The pupils of copied rows (``ui.table_copy``): the karte's pupil."""
        return None if self.pupil_id is None else [self.pupil_id]

    def set_records(self, records: KarteRecords | None) -> None:
        self.beginResetModel()
        self.records = records
        self.columns = [] if records is None else self._columns_of(records)
        self.lines = [] if records is None else list(range(len(records.rows)))
        self.endResetModel()

    def _columns_of(self, records: KarteRecords) -> list[Column[int]]:
        shown = [i for i, key in enumerate(records.keys)
                 if key not in ID_KEYS or key in self._shown_ids]
        return [*(self._value_column(records, i) for i in shown),
                *self._provenance_columns(records)]

    def _value_column(self, records: KarteRecords, index: int) -> Column[int]:
        kind = records.types[index]
        date_style = self._style

        def value(row: int) -> object:
            return records.rows[row][index]

        def text(row: int) -> str:
            return format_value(value(row), kind, date_style)

        def right(row: int) -> bool:
            v = value(row)
            return (isinstance(v, int | float) and not isinstance(v, bool)
                    and kind not in ("school_year", "month", "grade", "bool"))

        def tip(row: int) -> str | None:
            shown = text(row)
            return shown if len(shown) > KARTE_LONG_CELL else None

        return Column(records.headers[index], text, sort=lambda row: _sort_value(value(row)),
                      right=right, tooltip=tip)

    def _provenance_columns(self, records: KarteRecords) -> list[Column[int]]:
        date_style = self._style
        prov = records.provenance

        def tip(row: int) -> str:
            p = prov[row]
            return (f"取込元ファイル: {p.source_name}\n取込番号: {p.batch_id}\n"
                    f"取込日時: {format_datetime(p.imported_at, date_style)}")

        def muted(_row: int) -> str:
            return style.MUTED_COLOR

        def imported(row: int) -> str | None:
            at = prov[row].imported_at
            return None if at is None else at.isoformat()

        source, batch, when = PROVENANCE_HEADERS
        return [
            Column(source, lambda row: prov[row].source_name or BLANK,
                   sort=lambda row: _sort_value(prov[row].source_name), tooltip=tip,
                   color=muted),
            Column(batch, lambda row: BLANK if prov[row].batch_id is None
                   else f"#{prov[row].batch_id}",
                   sort=lambda row: _sort_value(prov[row].batch_id), tooltip=tip, color=muted),
            Column(when, lambda row: format_date(prov[row].imported_at, date_style)
                   if prov[row].imported_at else BLANK,
                   sort=lambda row: _sort_value(imported(row)), tooltip=tip, color=muted),
        ]


