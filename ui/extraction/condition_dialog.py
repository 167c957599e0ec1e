"""The dialogs of the 抽出 builder: one condition (値・所属・変化・期間内の回数) and the
push-support preset's switches and thresholds.

They only build plain condition data (``toda_desktop.extraction``); the page runs it through
the service. Fields come from the service's catalogue, so a role is offered only the datasets
it may see.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QFont, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QRadioButton,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from analysis.specs import NUMERIC_TYPES
from toda_desktop.extraction import (
    AGGREGATES,
    DIRECTIONS,
    OPERATORS,
    Change,
    CountInWindow,
    FieldMeasure,
    FieldTest,
    Period,
    PushSupportOptions,
    SurveyPositivity,
    Threshold,
)
from ui import style
from ui.dialogs import FormDialog
from ui.pages.pupil_tables import grade_label

if TYPE_CHECKING:
    from toda_desktop.services.extraction import FieldInfo, SurveyInfo

Leaf = Threshold | Change | CountInWindow
SYMBOLS = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "=", "!=": "≠", "in": "∈",
           "not_in": "∉"}
MULTI = ("in", "not_in")
SCHOOL_MONTHS = (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)
YEARS = (("当該年度", 0), ("前年度", -1), ("2年前の年度", -2))
ROUNDS = (1, 2, 3, 4)
TYPE_LABELS = (
    ("値で絞る（例: 欠席日数が5日以上の月がある）", "threshold"),
    ("所属で絞る（学校・学年）", "membership"),
    ("変化で絞る（回や年度の比較）", "change"),
    ("期間内の回数で絞る（例: 30日間に保健室利用3回以上）", "count"),
)
FIELD_ROLE = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True)
class Catalog:
    """What a condition can be built from, as the service allows this role."""

    fields: tuple[FieldInfo, ...]
    surveys: tuple[SurveyInfo, ...]
    schools: tuple[tuple[str, str], ...]  # (code, name)
    grades: tuple[int, ...]

    def field(self, kind: str, key: str) -> FieldInfo | None:
        return next((f for f in self.fields if f.kind == kind and f.field == key), None)

    def kind_fields(self, kind: str) -> list[FieldInfo]:
        return [f for f in self.fields if f.kind == kind]

    def has_round(self, kind: str) -> bool:
        return self.field(kind, "round") is not None

    @property
    def event_kinds(self) -> list[tuple[str, str]]:
        seen: dict[str, str] = {}
        for f in self.fields:
            if f.has_event_date:
                seen.setdefault(f.kind, f.kind_label)
        return list(seen.items())

    @property
    def membership(self) -> bool:
        return self.field("enrollments", "school_code") is not None


def _hint(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet(style.MUTED)
    return label


class FieldCombo(QComboBox):
    """Fields grouped by dataset: a bold, unselectable heading per dataset."""

    def __init__(self, fields: Sequence[FieldInfo], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("項目")
        self.setMaxVisibleItems(24)
        model = QStandardItemModel(self)
        last = None
        for f in fields:
            if f.kind != last:
                heading = QStandardItem(f.kind_label)
                heading.setFlags(Qt.ItemFlag.NoItemFlags)
                font = QFont(self.font())
                font.setBold(True)
                heading.setFont(font)
                model.appendRow(heading)
                last = f.kind
            item = QStandardItem(f"　{f.label}")
            item.setData(f, FIELD_ROLE)
            item.setToolTip(f"{f.kind_label} の「{f.label}」")
            model.appendRow(item)
        self.setModel(model)
        first = next((i for i in range(model.rowCount())
                      if model.item(i).data(FIELD_ROLE) is not None), -1)
        self.setCurrentIndex(first)

    def field(self) -> FieldInfo | None:
        value = self.currentData(FIELD_ROLE)
        return value if value is not None else None

    def choose(self, kind: str, key: str) -> bool:
        for i in range(self.count()):
            f = self.itemData(i, FIELD_ROLE)
            if f is not None and f.kind == kind and f.field == key:
                self.setCurrentIndex(i)
                return True
        return False


class ValueEditor(QWidget):
    """The value of a comparison: a list of choices, a date, or typed text / numbers; several
    values for 「のいずれか」."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field: FieldInfo | None = None
        self.multi = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.line = QLineEdit()
        self.line.setAccessibleName("値")
        self.combo = QComboBox()
        self.combo.setAccessibleName("値")
        self.checks = QListWidget()
        self.checks.setAccessibleName("値（複数選択）")
        self.checks.setMaximumHeight(120)
        self.date = QDateEdit(QDate.currentDate())
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("yyyy年M月d日")
        self.date.setAccessibleName("日付")
        self.stack = QStackedWidget()
        self.current: QWidget = self.line
        for w in (self.line, self.combo, self.checks, self.date):
            self.stack.addWidget(w)
        layout.addWidget(self.stack)
        self._show(self.line)

    def _show(self, widget: QWidget) -> None:
        """Only the current editor counts for the size (a stack would take the largest)."""
        self.current = widget
        for w in (self.line, self.combo, self.checks, self.date):
            policy = QSizePolicy.Policy.Preferred if w is widget else QSizePolicy.Policy.Ignored
            w.setSizePolicy(policy, policy)
        self.stack.setCurrentWidget(widget)
        self.stack.adjustSize()
        self.stack.updateGeometry()

    def _choices(self) -> list[tuple[str, Any]]:
        f = self.field
        if f is None:
            return []
        if f.type == "bool":
            return [("はい", True), ("いいえ", False)]
        return [(v, v) for v in f.values]

    def configure(self, field: FieldInfo | None, op: str) -> None:
        keep = self.value_or_none()
        self.field = field
        self.multi = op in MULTI
        choices = self._choices()
        if choices and self.multi:
            self.checks.clear()
            for text, data in choices:
                item = QListWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, data)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Unchecked)
                self.checks.addItem(item)
            self._show(self.checks)
        elif choices:
            self.combo.clear()
            for text, data in choices:
                self.combo.addItem(text, data)
            self._show(self.combo)
        elif field is not None and field.type == "date" and not self.multi:
            self._show(self.date)
        else:
            self.line.setPlaceholderText(
                "「、」で区切って複数入力できます" if self.multi else
                ("数値" if field is not None and field.type in NUMERIC_TYPES else
                 "数値または区分（例: 40、学級生活不満足群）"
                 if field is not None and field.type == "answer" else ""))
            self._show(self.line)
        if keep is not None:
            self.set_value(keep)

    def _parse(self, text: str) -> Any:
        f = self.field
        text = text.strip()
        if f is not None and f.type == "answer":  # a score (55, 0.83) or a category (満足群)
            import unicodedata

            plain = unicodedata.normalize("NFKC", text)
            for convert in (int, float):
                try:
                    return convert(plain)
                except ValueError:
                    pass
            return text
        if f is not None and f.type in NUMERIC_TYPES:
            import unicodedata

            plain = unicodedata.normalize("NFKC", text)
            try:
                return int(plain)
            except ValueError:
                try:
                    return float(plain)
                except ValueError:
                    raise ValueError(f"「{text}」は数値ではありません。") from None
        return text

    def value(self) -> Any:
        """The value as the condition stores it; ValueError with a Japanese message."""
        widget = self.current
        if widget is self.checks:
            values = tuple(self.checks.item(i).data(Qt.ItemDataRole.UserRole)
                           for i in range(self.checks.count())
                           if self.checks.item(i).checkState() == Qt.CheckState.Checked)
            if not values:
                raise ValueError("値を1つ以上選んでください。")
            return values
        if widget is self.combo:
            return self.combo.currentData()
        if widget is self.date:
            d = self.date.date()
            return date(d.year(), d.month(), d.day()).isoformat()
        text = self.line.text().strip()
        if not text:
            raise ValueError("値を入力してください。")
        if self.multi:
            plain = text.replace(",", "、").replace("，", "、")
            parts = [p for p in plain.split("、") if p.strip()]
            return tuple(self._parse(p) for p in parts)
        return self._parse(text)

    def value_or_none(self) -> Any:
        try:
            return self.value()
        except ValueError:
            return None

    def set_value(self, value: Any) -> None:
        widget = self.current
        values = value if isinstance(value, tuple | list) else (value,)
        if widget is self.checks:
            for i in range(self.checks.count()):
                item = self.checks.item(i)
                on = item.data(Qt.ItemDataRole.UserRole) in values
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        elif widget is self.combo:
            index = self.combo.findData(values[0] if values else None)
            if index >= 0:
                self.combo.setCurrentIndex(index)
        elif widget is self.date:
            if isinstance(values[0], str):
                d = QDate.fromString(values[0][:10], "yyyy-MM-dd")
                if d.isValid():
                    self.date.setDate(d)
        else:
            self.line.setText("、".join(_text(v) for v in values))


def _text(value: Any) -> str:
    if isinstance(value, float) and value == int(value):
        return str(int(value))
    return str(value)


def _year_combo(with_all: bool, name: str) -> QComboBox:
    combo = QComboBox()
    combo.setAccessibleName(name)
    for text, offset in YEARS:
        combo.addItem(text, offset)
    if with_all:
        combo.addItem("すべての年度", None)
    return combo


def _round_combo(name: str, any_text: str | None = "すべての回") -> QComboBox:
    combo = QComboBox()
    combo.setAccessibleName(name)
    if any_text is not None:
        combo.addItem(any_text, None)
    for r in ROUNDS:
        combo.addItem(f"第{r}回", r)
    return combo


def _set(combo: QComboBox, data: Any) -> None:
    index = combo.findData(data)
    if index >= 0:
        combo.setCurrentIndex(index)


class WhereEditor(QWidget):
    """An optional narrowing inside the dataset (教科 = 国語, 症状区分 = 心因 …)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.field_combo = QComboBox()
        self.field_combo.setAccessibleName("絞り込む項目")
        self.value = ValueEditor()
        layout.addWidget(self.field_combo, 1)
        layout.addWidget(QLabel("＝"))
        layout.addWidget(self.value, 1)
        self.field_combo.currentIndexChanged.connect(self._changed)
        self.set_fields([])

    def set_fields(self, fields: Sequence[FieldInfo]) -> None:
        self.field_combo.blockSignals(True)
        self.field_combo.clear()
        self.field_combo.addItem("（絞り込まない）", None)
        for f in fields:
            if f.type not in ("date", "time"):
                self.field_combo.addItem(f.label, f)
        self.field_combo.blockSignals(False)
        self._changed()

    def _changed(self) -> None:
        f = self.field_combo.currentData()
        self.value.setEnabled(f is not None)
        self.value.configure(f, "==")

    def tests(self) -> tuple[FieldTest, ...]:
        f = self.field_combo.currentData()
        if f is None:
            return ()
        value = self.value.value()
        if isinstance(value, tuple):
            return (FieldTest(f.field, "in", value),)
        return (FieldTest(f.field, "==", value),)

    def set_tests(self, tests: tuple[FieldTest, ...]) -> None:
        if not tests:
            self.field_combo.setCurrentIndex(0)
            return
        t = tests[0]
        for i in range(self.field_combo.count()):
            f = self.field_combo.itemData(i)
            if f is not None and f.field == t.field:
                self.field_combo.setCurrentIndex(i)
                break
        self.value.set_value(t.value)


class ConditionDialog(FormDialog):
    """Add or edit one condition; ``node`` is the result after ``submitted``."""

    def __init__(self, catalog: Catalog, node: Leaf | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__("条件の編集" if node is not None else "条件の追加", "OK", parent,
                         intro="条件の種類を選び、内容を指定してください。")
        self.setMinimumWidth(620)
        self.catalog = catalog
        self.original = node
        self.node: Leaf | None = None
        self.type_combo = QComboBox()
        self.type_combo.setAccessibleName("条件の種類")
        for text, key in TYPE_LABELS:
            if key == "membership" and not catalog.membership:
                continue
            if key == "count" and not catalog.event_kinds:
                continue
            self.type_combo.addItem(text, key)
        self.form.addRow("条件の種類", self.type_combo)
        self.pages = QWidget()
        pages_layout = QVBoxLayout(self.pages)
        pages_layout.setContentsMargins(0, 0, 0, 0)
        self._pages: dict[str, QWidget] = {
            "threshold": self._threshold_page(),
            "membership": self._membership_page(),
            "change": self._change_page(),
            "count": self._count_page(),
        }
        for page in self._pages.values():
            pages_layout.addWidget(page)
        self.form.addRow(self.pages)
        self.negate_check = QCheckBox("この条件に当てはまらない児童生徒を探す（否定）")
        self.form.addRow("", self.negate_check)
        self.type_combo.currentIndexChanged.connect(self._type_changed)
        self._type_changed()
        if node is not None:
            self.load(node)
        self.adjustSize()

    # -- pages -----------------------------------------------------------------------------

    def _threshold_page(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.setContentsMargins(0, 0, 0, 0)
        self.t_field = FieldCombo(self.catalog.fields)
        self.t_aggregate = QComboBox()
        self.t_aggregate.setAccessibleName("集計")
        self.t_op = QComboBox()
        self.t_op.setAccessibleName("比較")
        self.t_value = ValueEditor()
        self.t_year = _year_combo(True, "年度")
        self.t_month = QComboBox()
        self.t_month.setAccessibleName("月")
        self.t_month.addItem("いずれかの月", None)
        for m in SCHOOL_MONTHS:
            self.t_month.addItem(f"{m}月", m)
        self.t_round = _round_combo("回")
        self.t_where = WhereEditor()
        compare = QHBoxLayout()
        compare.addWidget(self.t_op)
        compare.addWidget(self.t_value, 1)
        period = QHBoxLayout()
        period.addWidget(self.t_year)
        period.addWidget(self.t_month)
        period.addWidget(self.t_round)
        period.addStretch(1)
        self.t_kind_label = QLabel("")
        self.t_kind_label.setStyleSheet(style.MUTED)
        field_row = QHBoxLayout()
        field_row.addWidget(self.t_field, 1)
        field_row.addWidget(self.t_kind_label)
        form.addRow("項目", field_row)
        form.addRow("集計", self.t_aggregate)
        form.addRow("比較", compare)
        form.addRow("期間", period)
        form.addRow("絞り込み", self.t_where)
        form.addRow("", _hint("「いずれかの記録」は、期間内のどれか1件（例: どこかの月）が条件に"
                              "合えば該当します。合計・平均などは期間内の記録をまとめて比べます。"))
        self.t_field.currentIndexChanged.connect(self._t_field_changed)
        self.t_op.currentIndexChanged.connect(
            lambda _i: self.t_value.configure(self.t_field.field(), self.t_op.currentData()))
        self._t_field_changed()
        return page

    def _t_field_changed(self) -> None:
        f = self.t_field.field()
        if hasattr(self, "t_kind_label"):
            self.t_kind_label.setText("" if f is None else f"（{f.kind_label}）")
        self.t_aggregate.clear()
        self.t_op.blockSignals(True)
        self.t_op.clear()
        if f is not None:
            for key in f.aggregates:
                self.t_aggregate.addItem(AGGREGATES[key], key)
            for op in f.operators:
                self.t_op.addItem(f"{SYMBOLS.get(op, op)}　{OPERATORS[op]}", op)
        self.t_op.blockSignals(False)
        self.t_value.configure(f, self.t_op.currentData() or "==")
        self.t_month.setEnabled(f is not None and f.has_month)
        if f is None or not f.has_month:
            self.t_month.setCurrentIndex(0)
        rounds = f is not None and self.catalog.has_round(f.kind)
        self.t_round.setEnabled(rounds)
        if not rounds:
            self.t_round.setCurrentIndex(0)
        self.t_where.set_fields([] if f is None else [
            g for g in self.catalog.kind_fields(f.kind) if g.field != f.field])

    def _membership_page(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.setContentsMargins(0, 0, 0, 0)
        self.m_target = QComboBox()
        self.m_target.setAccessibleName("所属の種類")
        self.m_target.addItem("学校", "school_code")
        self.m_target.addItem("学年", "grade")
        self.m_values = QListWidget()
        self.m_values.setAccessibleName("所属（複数選択）")
        self.m_values.setMinimumHeight(150)
        self.m_year = _year_combo(False, "年度")
        form.addRow("所属", self.m_target)
        form.addRow("いずれか", self.m_values)
        form.addRow("年度", self.m_year)
        self.m_target.currentIndexChanged.connect(self._m_target_changed)
        self._m_target_changed()
        return page

    def _m_target_changed(self) -> None:
        self.m_values.clear()
        if self.m_target.currentData() == "school_code":
            items: list[tuple[str, Any]] = [(name, code) for code, name in self.catalog.schools]
        else:
            items = [(grade_label(g), g) for g in self.catalog.grades]
        for text, data in items:
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, data)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.m_values.addItem(item)

    def _change_page(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.setContentsMargins(0, 0, 0, 0)
        self.c_survey_radio = QRadioButton("アンケートの肯定的回答の割合")
        self.c_field_radio = QRadioButton("データの数値（学力レベルなど）")
        radios = QHBoxLayout()
        radios.addWidget(self.c_survey_radio)
        radios.addWidget(self.c_field_radio)
        radios.addStretch(1)
        form.addRow("比べる値", radios)
        self.c_survey = QComboBox()
        self.c_survey.setAccessibleName("調査")
        for s in self.catalog.surveys:
            self.c_survey.addItem(s.label, s)
        self.c_domain = QComboBox()
        self.c_domain.setAccessibleName("領域")
        self.c_subject = QComboBox()
        self.c_subject.setAccessibleName("教科")
        survey_row = QHBoxLayout()
        survey_row.addWidget(self.c_survey, 2)
        survey_row.addWidget(self.c_domain, 1)
        survey_row.addWidget(self.c_subject, 1)
        self.c_survey_box = QWidget()
        self.c_survey_box.setLayout(survey_row)
        survey_row.setContentsMargins(0, 0, 0, 0)
        form.addRow("調査", self.c_survey_box)
        numeric = [f for f in self.catalog.fields if f.type in ("int", "float", "percent")
                   and f.field not in ("round", "seat_number")]
        self.c_field = FieldCombo(numeric)
        self.c_aggregate = QComboBox()
        self.c_aggregate.setAccessibleName("集計")
        for key in ("avg", "sum", "max", "min", "count"):
            self.c_aggregate.addItem(AGGREGATES[key], key)
        field_row = QHBoxLayout()
        field_row.setContentsMargins(0, 0, 0, 0)
        field_row.addWidget(self.c_field, 2)
        field_row.addWidget(self.c_aggregate, 1)
        self.c_field_box = QWidget()
        self.c_field_box.setLayout(field_row)
        form.addRow("項目", self.c_field_box)
        self.c_before_year = _year_combo(False, "比較前の年度")
        self.c_before_round = _round_combo("比較前の回", "回を指定しない")
        self.c_after_year = _year_combo(False, "比較後の年度")
        self.c_after_round = _round_combo("比較後の回", "回を指定しない")
        periods = QHBoxLayout()
        for w in (self.c_before_year, self.c_before_round):
            periods.addWidget(w)
        periods.addWidget(QLabel("→"))
        for w in (self.c_after_year, self.c_after_round):
            periods.addWidget(w)
        periods.addStretch(1)
        form.addRow("比較", periods)
        self.c_direction = QComboBox()
        self.c_direction.setAccessibleName("変化")
        for key, text in DIRECTIONS.items():
            self.c_direction.addItem(text, key)
        self.c_amount = QDoubleSpinBox()
        self.c_amount.setRange(0, 100)
        self.c_amount.setDecimals(1)
        self.c_amount.setAccessibleName("変化の幅")
        change_row = QHBoxLayout()
        change_row.addWidget(self.c_direction)
        change_row.addWidget(QLabel("幅"))
        change_row.addWidget(self.c_amount)
        self.c_amount.setToolTip("低下・上昇: この幅以上の変化で当てはまります。\n"
                                 "同じか低下・同じか上昇: この幅までの逆向きの変化を許します。")
        change_row.addStretch(1)
        form.addRow("変化", change_row)
        self.c_survey.currentIndexChanged.connect(self._c_survey_changed)
        self.c_survey_radio.toggled.connect(self._c_measure_changed)
        has_surveys = bool(self.catalog.surveys)
        self.c_survey_radio.setEnabled(has_surveys)
        (self.c_survey_radio if has_surveys else self.c_field_radio).setChecked(True)
        self._c_survey_changed()
        self._c_measure_changed()
        return page

    def _c_survey_changed(self) -> None:
        s = self.c_survey.currentData()
        self.c_domain.clear()
        self.c_domain.addItem("すべての領域", None)
        self.c_subject.clear()
        self.c_subject.addItem("すべての教科", None)
        if s is None:
            return
        for d in s.domains:
            self.c_domain.addItem(d, d)
        for subject in s.subjects:
            self.c_subject.addItem(subject, subject)
        self.c_subject.setEnabled(bool(s.subjects))

    def _c_measure_changed(self) -> None:
        survey = self.c_survey_radio.isChecked()
        self.c_survey_box.setEnabled(survey)
        self.c_field_box.setEnabled(not survey)
        if self.original is None:  # sensible defaults for a new condition
            if survey:
                _set(self.c_before_year, 0)
                _set(self.c_after_year, 0)
                _set(self.c_before_round, 1)
                _set(self.c_after_round, 2)
            else:
                _set(self.c_before_year, -1)
                _set(self.c_after_year, 0)
                _set(self.c_before_round, None)
                _set(self.c_after_round, None)

    def _count_page(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.setContentsMargins(0, 0, 0, 0)
        self.n_kind = QComboBox()
        self.n_kind.setAccessibleName("データ")
        for kind, label in self.catalog.event_kinds:
            self.n_kind.addItem(label, kind)
        self.n_count = QSpinBox()
        self.n_count.setRange(1, 999)
        self.n_count.setValue(3)
        self.n_count.setSuffix(" 回以上")
        self.n_count.setAccessibleName("回数")
        self.n_days = QSpinBox()
        self.n_days.setRange(1, 366)
        self.n_days.setValue(30)
        self.n_days.setSuffix(" 日以内に")
        self.n_days.setAccessibleName("日数")
        self.n_year = _year_combo(True, "年度")
        self.n_where = WhereEditor()
        row = QHBoxLayout()
        row.addWidget(self.n_days)
        row.addWidget(self.n_count)
        row.addStretch(1)
        form.addRow("データ", self.n_kind)
        form.addRow("回数", row)
        form.addRow("期間", self.n_year)
        form.addRow("絞り込み", self.n_where)
        self.n_kind.currentIndexChanged.connect(
            lambda _i: self.n_where.set_fields(self.catalog.kind_fields(
                str(self.n_kind.currentData()))))
        self.n_where.set_fields(self.catalog.kind_fields(str(self.n_kind.currentData())))
        return page

    def _type_changed(self) -> None:
        key = self.type_combo.currentData()
        for name, page in self._pages.items():
            page.setVisible(name == key)
        self.adjustSize()

    def choose_type(self, key: str) -> None:
        _set(self.type_combo, key)

    # -- loading an existing condition -----------------------------------------------------

    def load(self, node: Leaf) -> None:
        self.negate_check.setChecked(node.negate)
        if isinstance(node, Threshold):
            membership = (node.kind == "enrollments" and node.field in ("school_code", "grade")
                          and node.op == "in" and self.catalog.membership)
            if membership:
                self.choose_type("membership")
                _set(self.m_target, node.field)
                values = node.value if isinstance(node.value, tuple) else (node.value,)
                for i in range(self.m_values.count()):
                    item = self.m_values.item(i)
                    on = item.data(Qt.ItemDataRole.UserRole) in values
                    item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
                _set(self.m_year, 0 if node.period is None else node.period.year_offset)
                return
            self.choose_type("threshold")
            self.t_field.choose(node.kind, node.field)
            _set(self.t_aggregate, node.aggregate)
            _set(self.t_op, node.op)
            self.t_value.configure(self.t_field.field(), node.op)
            self.t_value.set_value(node.value)
            period = node.period
            _set(self.t_year, None if period is None else period.year_offset)
            _set(self.t_month, None if period is None else period.month)
            _set(self.t_round, None if period is None else period.round)
            self.t_where.set_tests(node.where)
        elif isinstance(node, Change):
            self.choose_type("change")
            m = node.measure
            if isinstance(m, SurveyPositivity):
                self.c_survey_radio.setChecked(True)
                for i in range(self.c_survey.count()):
                    if self.c_survey.itemData(i).code == m.survey_code:
                        self.c_survey.setCurrentIndex(i)
                _set(self.c_domain, m.domain)
                _set(self.c_subject, m.subject)
            else:
                self.c_field_radio.setChecked(True)
                self.c_field.choose(m.kind, m.field)
                _set(self.c_aggregate, m.aggregate)
            _set(self.c_before_year, node.before.year_offset)
            _set(self.c_before_round, node.before.round)
            _set(self.c_after_year, node.after.year_offset)
            _set(self.c_after_round, node.after.round)
            _set(self.c_direction, node.direction)
            self.c_amount.setValue(node.amount)
        else:
            self.choose_type("count")
            _set(self.n_kind, node.kind)
            self.n_count.setValue(node.min_count)
            self.n_days.setValue(node.window_days)
            _set(self.n_year, None if node.period is None else node.period.year_offset)
            self.n_where.set_tests(node.where)

    # -- the result ------------------------------------------------------------------------

    def build(self) -> Leaf:
        """The condition the form describes; ValueError with a Japanese message."""
        key = self.type_combo.currentData()
        negate = self.negate_check.isChecked()
        enabled = True if self.original is None else self.original.enabled
        if key == "threshold":
            f = self.t_field.field()
            if f is None:
                raise ValueError("項目を選んでください。")
            year = self.t_year.currentData()
            month = self.t_month.currentData() if self.t_month.isEnabled() else None
            rnd = self.t_round.currentData() if self.t_round.isEnabled() else None
            period = None if year is None and month is None and rnd is None else Period(
                year, round=rnd, month=month)
            return Threshold(f.kind, f.field, str(self.t_op.currentData()),
                             self.t_value.value(), period=period,
                             aggregate=str(self.t_aggregate.currentData() or "any"),
                             where=self.t_where.tests(), enabled=enabled, negate=negate)
        if key == "membership":
            checked = [self.m_values.item(i) for i in range(self.m_values.count())
                       if self.m_values.item(i).checkState() == Qt.CheckState.Checked]
            if not checked:
                raise ValueError("学校または学年を1つ以上選んでください。")
            target = str(self.m_target.currentData())
            offset = self.m_year.currentData()
            names = "・".join(item.text() for item in checked)
            what = "学校" if target == "school_code" else "学年"
            year = "" if offset == 0 else f"（{self.m_year.currentText()}）"
            return Threshold("enrollments", target, "in",
                             tuple(item.data(Qt.ItemDataRole.UserRole) for item in checked),
                             period=Period(offset), label=f"{what}が{names}のいずれか{year}",
                             enabled=enabled, negate=negate)
        if key == "change":
            measure: SurveyPositivity | FieldMeasure
            if self.c_survey_radio.isChecked():
                s = self.c_survey.currentData()
                if s is None:
                    raise ValueError("調査を選んでください。")
                measure = SurveyPositivity(s.code, self.c_domain.currentData(),
                                           self.c_subject.currentData())
            else:
                f = self.c_field.field()
                if f is None:
                    raise ValueError("項目を選んでください。")
                measure = FieldMeasure(f.kind, f.field, str(self.c_aggregate.currentData()))
            before = Period(self.c_before_year.currentData(),
                            round=self.c_before_round.currentData())
            after = Period(self.c_after_year.currentData(),
                           round=self.c_after_round.currentData())
            if before == after:
                raise ValueError("比較前と比較後に違う年度か回を選んでください。")
            return Change(measure, before, after, str(self.c_direction.currentData()),
                          float(self.c_amount.value()), enabled=enabled, negate=negate)
        kind = self.n_kind.currentData()
        if kind is None:
            raise ValueError("データを選んでください。")
        year = self.n_year.currentData()
        return CountInWindow(str(kind), self.n_count.value(), self.n_days.value(),
                             period=None if year is None else Period(year),
                             where=self.n_where.tests(), enabled=enabled, negate=negate)

    def problem(self) -> str | None:
        try:
            node = self.build()
        except ValueError as exc:
            return str(exc)
        if self.original is not None and node == replace(self.original, label=""):
            node = self.original  # unchanged: keep its wording
        self.node = node
        return None


class PushSupportDialog(FormDialog):
    """The three push-support criteria (and 長期欠席ではない): switches and thresholds."""

    def __init__(self, options: PushSupportOptions, subjects: Sequence[str],
                 lesson_subjects: Sequence[str], parent: QWidget | None = None, *,
                 locked: frozenset[str] = frozenset()) -> None:
        """``locked``: switches the role cannot turn on (their data is outside its map)."""
        super().__init__(
            "プッシュ型支援の基準", "この基準で抽出", parent,
            intro="市のプッシュ型支援の基準です。使う基準を選び、必要なら目安を調整してください。"
                  "抽出結果は支援を検討するための手がかりで、児童生徒を評価するものではありません。")
        self.setMinimumWidth(640)
        o = options
        self.absence_box, absence = self._box("長期欠席ではない児童生徒に限る", o.no_long_absence)
        self.absence_days = QSpinBox()
        self.absence_days.setRange(1, 365)
        self.absence_days.setValue(o.long_absence_days)
        self.absence_days.setSuffix(" 日以上を長期欠席とみなす")
        absence.addRow("目安", self.absence_days)

        self.academic_box, academic = self._box("① 学力レベルが前年度から同じか低下", o.academic)
        self.academic_tolerance = QDoubleSpinBox()
        self.academic_tolerance.setRange(0, 5)
        self.academic_tolerance.setSingleStep(0.1)
        self.academic_tolerance.setDecimals(1)
        self.academic_tolerance.setValue(o.academic_tolerance)
        self.academic_tolerance.setSuffix(" レベルまでの上昇も含める")
        self.academic_subject = self._subjects(subjects, o.academic_subject, "全教科の平均")
        academic.addRow("許容差", self.academic_tolerance)
        academic.addRow("教科", self.academic_subject)

        self.lesson_box, lesson = self._box(
            "② 授業がわかる調査の肯定的回答が低下", o.lesson)
        self.lesson_from, self.lesson_to, self.lesson_drop = self._rounds(
            lesson, o.lesson_from_round, o.lesson_to_round, o.lesson_min_drop)
        self.lesson_subject = self._subjects(lesson_subjects, o.lesson_subject, "すべての教科")
        lesson.addRow("教科", self.lesson_subject)

        self.happy_box, happy = self._box("③ しあわせアンケートの肯定的回答が低下", o.happy)
        self.happy_from, self.happy_to, self.happy_drop = self._rounds(
            happy, o.happy_from_round, o.happy_to_round, o.happy_min_drop)
        self._base = o
        boxes = {"no_long_absence": self.absence_box, "academic": self.academic_box,
                 "lesson": self.lesson_box, "happy": self.happy_box}
        for flag in locked:
            box = boxes[flag]
            box.setChecked(False)
            box.setEnabled(False)
            box.setTitle(box.title() + "（閲覧の権限がないため使えません）")

    def _box(self, title: str, on: bool) -> tuple[QGroupBox, QFormLayout]:
        box = QGroupBox(title)
        box.setCheckable(True)
        box.setChecked(on)
        form = QFormLayout(box)
        self.form.addRow(box)
        return box, form

    def _subjects(self, subjects: Sequence[str], current: str | None, all_text: str
                  ) -> QComboBox:
        combo = QComboBox()
        combo.addItem(all_text, None)
        for s in subjects:
            combo.addItem(s, s)
        _set(combo, current)
        return combo

    def _rounds(self, form: QFormLayout, first: int, second: int, drop: float
                ) -> tuple[QComboBox, QComboBox, QDoubleSpinBox]:
        before = _round_combo("比較前の回", None)
        after = _round_combo("比較後の回", None)
        _set(before, first)
        _set(after, second)
        amount = QDoubleSpinBox()
        amount.setRange(0, 100)
        amount.setDecimals(1)
        amount.setValue(drop)
        amount.setSuffix(" ポイント以上の低下")
        row = QHBoxLayout()
        row.addWidget(before)
        row.addWidget(QLabel("→"))
        row.addWidget(after)
        row.addStretch(1)
        form.addRow("比較する回", row)
        form.addRow("低下の幅", amount)
        return before, after, amount

    def options(self) -> PushSupportOptions:
        return replace(
            self._base,
            no_long_absence=self.absence_box.isChecked(),
            long_absence_days=self.absence_days.value(),
            academic=self.academic_box.isChecked(),
            academic_tolerance=float(self.academic_tolerance.value()),
            academic_subject=self.academic_subject.currentData(),
            lesson=self.lesson_box.isChecked(),
            lesson_from_round=int(self.lesson_from.currentData()),
            lesson_to_round=int(self.lesson_to.currentData()),
            lesson_min_drop=float(self.lesson_drop.value()),
            lesson_subject=self.lesson_subject.currentData(),
            happy=self.happy_box.isChecked(),
            happy_from_round=int(self.happy_from.currentData()),
            happy_to_round=int(self.happy_to.currentData()),
            happy_min_drop=float(self.happy_drop.value()),
        )

    def problem(self) -> str | None:
        o = self.options()
        if not (o.no_long_absence or o.academic or o.lesson or o.happy):
            return "基準を1つ以上選んでください。"
        if (o.lesson and o.lesson_from_round == o.lesson_to_round) or (
                o.happy and o.happy_from_round == o.happy_to_round):
            return "比較する回には違う回を選んでください。"
        return None
