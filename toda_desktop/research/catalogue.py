"""What a research extract may carry: the columns of the pupil kinds, less anything that
names or identifies a pupil, and how each is written.

Person references (宛名番号, names, birth date, school, class, seat, 県学調番号, Googleアカウント)
never leave: the pupil is the pseudonym, and school, grade, sex and birth month are the
quasi-identifiers published only as generalised. Free text is left out too (a counsellor's
summary or a note can hold a name), and so are digit IDs, e-mail addresses and lists. A date
is written as its month (年月): the day would single out an event a reader may know of.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.registry import ColumnSpec, DatasetKind, Registry

EXCLUDED_TYPES = frozenset({"text", "name", "kana", "email", "digits", "list"})
# Registry type → (Parquet/pandas type, its name in the data dictionary).
TYPES = {
    "int": ("Int64", "整数"), "grade": ("Int64", "整数"), "month": ("Int64", "整数"),
    "school_year": ("Int64", "整数"), "float": ("Float64", "小数"),
    "percent": ("Float64", "小数"), "bool": ("boolean", "真偽"),
}
TEXT = ("string", "文字列")


@dataclass(frozen=True)
class Variable:
    kind: str
    kind_label: str
    column: str
    label: str
    type: str  # the registry's column type

    @property
    def dtype(self) -> str:
        return TYPES.get(self.type, TEXT)[0]

    @property
    def type_label(self) -> str:
        return TYPES.get(self.type, TEXT)[1]

    @property
    def note(self) -> str:
        """How the value is written, when not as stored."""
        if self.type == "date":
            return "年月（YYYY-MM）に一般化"
        if self.type == "answer":
            return "回答（数値または区分）を文字列で"
        return ""


def has_school_year(kind: DatasetKind) -> bool:
    return kind.year_column is not None or kind.event_date is not None


def offered(column: ColumnSpec) -> bool:
    return column.ref is None and column.type not in EXCLUDED_TYPES and column.key != (
        "school_year")


def variables(kinds: tuple[DatasetKind, ...]) -> tuple[Variable, ...]:
    """The columns that may be chosen, of the given kinds (those linked to a pupil and to a
    school year)."""
    out = []
    for kind in kinds:
        if not kind.links_to_pupil or not has_school_year(kind):
            continue
        out += [Variable(kind.name, kind.label, c.key, c.label, c.type)
                for c in kind.stored_columns if offered(c)]
    return tuple(out)


def variable(registry: Registry, kind: str, column: str) -> Variable | None:
    """The variable, or None when the kind or column is unknown or not offered."""
    if kind not in registry.names:
        return None
    found = [v for v in variables((registry.kind(kind),)) if v.column == column]
    return found[0] if found else None
