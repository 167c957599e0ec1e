"""Plain data and table models of the 名寄せ確認 page: the open items, and the file's row
beside its candidates field by field.

The review service hands over typed items (``ReviewItemView``: the row's values by column
key, each candidate's ``Placement`` with its school year, grade, class and seat as numbers);
this module compares and writes them in the app's date style, and never reads text back.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QWidget

from kernel.date_style import DateStyle
from toda_desktop.formatting import format_date, format_placement, format_school_year
from ui.table_model import LinesTableModel

if TYPE_CHECKING:
    from toda_desktop.review.service import CandidateView, Placement, ReviewItemView

Index = QModelIndex | QPersistentModelIndex

AGREE_BACKGROUND = "#dff3e4"
DIFFER_BACKGROUND = "#fdebd3"
CHOSEN_BACKGROUND = "#e8f1fb"
SIBLINGS_LABEL = "同じ行のほかの記録"

# (comparison row label, review-row column key or None, candidate attribute)
COMPARE_FIELDS: tuple[tuple[str, str | None, str], ...] = (
    ("氏名", "name", "name"),
    ("氏名カナ", "name_kana", "name_kana"),
    ("生年月日", "birth_date", "birth_date"),
    ("性別", "sex", "sex"),
    ("宛名番号", "address_code", "address_code"),
    ("学校・学年・組", None, "placement"),
    # Clues that tell equal scores apart (issue 16), from the store:
    ("その年度の在籍", None, "enrolled"),
    ("同じ記録", None, "has_same_record"),
    ("ファイルの他の行", None, "rows_in_file"),
    ("一致度", None, "score"),
    ("根拠", None, "evidence"),
)
CLUE_TIPS = {
    "enrolled": "ファイルの行の年度に、この児童生徒の在籍の記録があるかどうかです。",
    "rows_in_file": "同じファイルのほかの行のうち、宛名番号などでこの児童生徒にすでに結び付いた"
                    "行の数です。すぐ前後の行が結び付いていれば、この行も同じ児童生徒の"
                    "可能性が高くなります。",
    "has_same_record": "この児童生徒に、この行と同じ記録（同じ年度・月など）がすでにあるかどうか"
                       "です。あれば、この行は別の児童生徒のものかもしれません。",
}
# A former pupil the role may not see (the former-pupil rule): these stay blank.
WITHHELD_ATTRIBUTES = frozenset({"name", "name_kana", "birth_date", "sex", "address_code",
                                 "placement"})
WITHHELD_CELL = "卒業・転出（表示しません）"
SCHOOL_KEYS = ("school_year", "school_code", "grade", "class_name", "seat_number")


def normalized(text: str) -> str:
    """For comparing what a person reads as the same: width, spaces, hiragana/katakana."""
    plain = unicodedata.normalize("NFKC", text)
    plain = "".join(ch for ch in plain if not ch.isspace())
    return "".join(chr(ord(ch) + 0x60) if "ぁ" <= ch <= "ゖ" else ch for ch in plain)


def _as_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def _as_int(text: str) -> int | None:
    plain = normalized(text)
    return int(plain) if plain.isdigit() else None


def file_date(text: str, date_style: DateStyle) -> str:
    """A date of the file's row in the date style (as the file wrote it when not a date)."""
    day = _as_date(text)
    return text if day is None else format_date(day, date_style)


def placement_text(placement: Placement | None, date_style: DateStyle) -> str:
    if placement is None:
        return "在籍の記録なし"
    return format_placement(placement.school_year, placement.school_name, placement.grade,
                            placement.class_name, placement.seat_number, date_style)


@dataclass(frozen=True)
class ReviewLine:
    """One open review item as the page shows it."""

    item: ReviewItemView
    values: dict[str, str] = field(default_factory=dict)  # column key → the row's value
    extra: tuple[tuple[str, str], ...] = ()  # other values of the row (label, value)

    @property
    def name(self) -> str:
        return self.values.get("name", "")

    def school_text(self, date_style: DateStyle = DateStyle.SEIREKI) -> str:
        v = self.values
        parts = []
        year = _as_int(v.get("school_year", ""))
        if year is not None:
            parts.append(format_school_year(year, date_style))
        elif v.get("school_year"):
            parts.append(f"{v['school_year']}年度")
        if v.get("school_code"):
            parts.append(f"学校コード {v['school_code']}")
        if v.get("grade"):
            parts.append(f"{v['grade']}年")
        if v.get("class_name"):
            parts.append(f"{v['class_name']}組")
        if v.get("seat_number"):
            parts.append(f"{v['seat_number']}番")
        return " ".join(parts)


def default_choice(candidates: tuple[CandidateView, ...]) -> int | None:
    """The candidate chosen when an item is shown: the one with the best score, or none when
    two share it (then Enter cannot link the row before the reviewer has compared them)."""
    if not candidates:
        return None
    best = max(c.score for c in candidates)
    top = [n for n, c in enumerate(candidates) if c.score == best]
    return top[0] if len(top) == 1 else None


def row_year(line: ReviewLine) -> int | None:
    """The school year the file's row is about (None when it does not say)."""
    return _as_int(line.values.get("school_year", ""))


def review_line(item: ReviewItemView) -> ReviewLine:
    """The row's person values by column key; the values the comparison does not show (and
    the number of other records the decision settles) listed beside it."""
    compared = {f[1] for f in COMPARE_FIELDS} | set(SCHOOL_KEYS)
    values = {v.key: v.value for v in item.person}
    extra = [(v.label, v.value) for v in item.person if v.key not in compared]
    extra.extend((v.label, v.value) for v in item.data)
    if item.siblings:
        extra.append((SIBLINGS_LABEL, f"{item.siblings:,}件（この判断がまとめて適用されます）"))
    return ReviewLine(item, values, tuple(extra))


def _same_number(ours: str, theirs: int | None) -> bool:
    number = _as_int(ours)
    return normalized(ours) == str(theirs) if number is None else number == theirs


def agreement(
    line: ReviewLine, field_key: str | None, attribute: str, candidate: CandidateView
) -> bool | None:
    """True when the row and the candidate agree on a field, False when they differ, None when
    there is nothing to compare."""
    if candidate.withheld and attribute in WITHHELD_ATTRIBUTES:
        return None  # a former pupil this role may not identify: nothing to compare
    if attribute == "enrolled":
        year = row_year(line)
        return None if year is None else candidate.enrolled_in(year)
    if attribute == "has_same_record":
        return False if candidate.has_same_record else None
    if attribute == "rows_in_file":
        return True if candidate.next_rows else None
    if attribute == "placement":
        placement = candidate.placement
        if placement is None:
            return None
        v = line.values
        checks = [_same_number(v[k], getattr(placement, k))
                  for k in ("school_year", "grade", "seat_number") if v.get(k)]
        if v.get("class_name"):
            checks.append(normalized(v["class_name"]) == normalized(placement.class_name))
        return all(checks) if checks else None
    if field_key is None:
        return None
    ours = line.values.get(field_key, "")
    if attribute == "birth_date":
        if not ours or candidate.birth_date is None:
            return None
        day = _as_date(ours)
        return (day == candidate.birth_date if day is not None
                else normalized(ours) == candidate.birth_date.isoformat())
    theirs = str(getattr(candidate, attribute, "") or "")
    if not ours or not theirs:
        return None
    return normalized(ours) == normalized(theirs)


class ComparisonModel(QAbstractTableModel):
    """Rows are fields; column 0 is the file's row, the next columns its candidates."""

    def __init__(self, parent: QWidget | None = None,
                 date_style: DateStyle = DateStyle.SEIREKI) -> None:
        super().__init__(parent)
        self._style = date_style
        self.line: ReviewLine | None = None
        # The candidate the reviewer would confirm (index into candidates); None: not chosen
        # yet (two candidates share the best score).
        self.chosen: int | None = None

    @property
    def candidates(self) -> tuple[CandidateView, ...]:
        return () if self.line is None else tuple(self.line.item.candidates)

    def set_line(self, line: ReviewLine | None) -> None:
        self.beginResetModel()
        self.line = line
        self.chosen = default_choice(self.candidates)
        self.endResetModel()

    @property
    def tied(self) -> bool:
        """Two or more candidates share the best score (nothing is chosen for the user)."""
        return len(self.candidates) > 1 and default_choice(self.candidates) is None

    def step(self, step: int) -> None:
        """←/→: the next candidate (from none chosen: the first, or the last going left)."""
        if self.chosen is None:
            self.choose(0 if step > 0 else len(self.candidates) - 1)
        else:
            self.choose(self.chosen + step)

    def choose(self, number: int) -> None:
        if not self.candidates:
            return
        self.chosen = min(max(number, 0), len(self.candidates) - 1)
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, self.columnCount() - 1)
        self.dataChanged.emit(self.index(0, 0),
                              self.index(self.rowCount() - 1, self.columnCount() - 1))

    @property
    def chosen_candidate(self) -> CandidateView | None:
        candidates = self.candidates
        return candidates[self.chosen] if candidates and self.chosen is not None else None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() or self.line is None else len(COMPARE_FIELDS)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() or self.line is None else 1 + len(self.candidates)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole and orientation == Qt.Orientation.Vertical:
            return CLUE_TIPS.get(COMPARE_FIELDS[section][2])
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Vertical:
            return COMPARE_FIELDS[section][0]
        if section == 0:
            return "ファイルの行"
        return f"候補{section}" + ("（選択中）" if section - 1 == self.chosen else "")

    def cell(self, row: int, column: int) -> str:
        assert self.line is not None
        _label, key, attribute = COMPARE_FIELDS[row]
        if column == 0:
            if attribute == "placement":
                return self.line.school_text(self._style)
            if attribute in CLUE_TIPS:
                return ""
            value = "" if key is None else self.line.values.get(key, "")
            return file_date(value, self._style) if attribute == "birth_date" else value
        candidate = self.candidates[column - 1]
        if candidate.withheld and attribute in WITHHELD_ATTRIBUTES:
            return WITHHELD_CELL if attribute == "name" else ""
        if attribute == "score":
            return f"{candidate.score:g}点"
        if attribute == "placement":
            return (placement_text(candidate.placement, self._style)
                    if candidate.placement else "")
        if attribute == "birth_date":
            return format_date(candidate.birth_date, self._style) if candidate.birth_date else ""
        if attribute in CLUE_TIPS:
            return self._clue(attribute, candidate)
        return str(getattr(candidate, attribute, "") or "")

    def _clue(self, attribute: str, candidate: CandidateView) -> str:
        assert self.line is not None
        if attribute == "enrolled":
            year = row_year(self.line)
            if year is None:
                return ""
            when = format_school_year(year, self._style)
            return f"{when}に在籍" if candidate.enrolled_in(year) else f"{when}の在籍記録なし"
        if attribute == "rows_in_file":
            n = candidate.rows_in_file
            text = f"{n:,}行がこの児童生徒に照合済み" if n else "照合済みの行なし"
            if candidate.next_rows:
                rows = "・".join(f"{r}行目" for r in candidate.next_rows)
                text += f"（すぐ前後の{rows}を含む）"
            return text
        return ("取込済み（この児童生徒に結び付けると重複します）" if candidate.has_same_record
                else "まだありません")

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or self.line is None:
            return None
        row, column = index.row(), index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.cell(row, column) or ("—" if role == Qt.ItemDataRole.DisplayRole else None)
        if role == Qt.ItemDataRole.BackgroundRole and column > 0:
            _label, key, attribute = COMPARE_FIELDS[row]
            agree = agreement(self.line, key, attribute, self.candidates[column - 1])
            if agree is True:
                return QBrush(QColor(AGREE_BACKGROUND))
            if agree is False:
                return QBrush(QColor(DIFFER_BACKGROUND))
            if column - 1 == self.chosen:
                return QBrush(QColor(CHOSEN_BACKGROUND))
        if role == Qt.ItemDataRole.BackgroundRole and column == 0:
            return QBrush(QColor("#f3f5f8"))
        if role == Qt.ItemDataRole.FontRole and (column == 0 or column - 1 == self.chosen):
            font = QFont()
            font.setBold(True)
            return font
        return None


class ReviewItemsModel(LinesTableModel[ReviewLine]):
    HEADERS = ("種類", "ファイル", "行", "氏名", "生年月日", "理由")

    def __init__(self, parent: QWidget | None = None,
                 date_style: DateStyle = DateStyle.SEIREKI) -> None:
        super().__init__(self.HEADERS, parent)
        self._style = date_style

    def remove(self, item_id: int) -> int:
        """Drop a decided item; returns the row it had (or -1)."""
        for row, line in enumerate(self.lines):
            if line.item.id == item_id:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self.lines[row]
                self.endRemoveRows()
                return row
        return -1

    def cell_data(self, line: ReviewLine, column: int, role: int) -> Any:
        item = line.item
        if role == Qt.ItemDataRole.DisplayRole:
            return (item.kind_label, item.source_name, f"{item.source_row}行目", line.name,
                    file_date(line.values.get("birth_date", ""), self._style),
                    item.reason)[column]
        if role == Qt.ItemDataRole.ToolTipRole and column == 5:
            return item.reason
        return None
