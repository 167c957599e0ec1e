"""変化で絞る: a value compared between two rounds or years (a survey's share of positive
answers, or a numeric field such as the 学力レベル)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QWidget,
)

from toda_desktop.extraction import (
    AGGREGATES,
    DIRECTIONS,
    Change,
    FieldMeasure,
    Period,
    SurveyPositivity,
)
from ui.extraction.catalog import Catalog, Leaf
from ui.extraction.editors.base import ConditionEditor
from ui.extraction.inputs import FieldCombo, round_combo, select_data, year_combo

NUMERIC = ("int", "float", "percent")
NOT_COMPARED = ("round", "seat_number")


class ChangeEditor(ConditionEditor):
    key = "change"
    title = "変化で絞る（回や年度の比較）"

    def __init__(self, catalog: Catalog, *, new: bool, parent: QWidget | None = None) -> None:
        super().__init__(catalog, new=new, parent=parent)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        self.survey_radio = QRadioButton("アンケートの肯定的回答の割合")
        self.field_radio = QRadioButton("データの数値（学力レベルなど）")
        radios = QHBoxLayout()
        radios.addWidget(self.survey_radio)
        radios.addWidget(self.field_radio)
        radios.addStretch(1)
        form.addRow("比べる値", radios)
        form.addRow("調査", self._survey_row())
        form.addRow("項目", self._field_row())
        self.before_year = year_combo(False, "比較前の年度")
        self.before_round = round_combo("比較前の回", "回を指定しない")
        self.after_year = year_combo(False, "比較後の年度")
        self.after_round = round_combo("比較後の回", "回を指定しない")
        periods = QHBoxLayout()
        for w in (self.before_year, self.before_round):
            periods.addWidget(w)
        periods.addWidget(QLabel("→"))
        for w in (self.after_year, self.after_round):
            periods.addWidget(w)
        periods.addStretch(1)
        form.addRow("比較", periods)
        self.direction_combo = QComboBox()
        self.direction_combo.setAccessibleName("変化")
        for key, text in DIRECTIONS.items():
            self.direction_combo.addItem(text, key)
        self.amount = QDoubleSpinBox()
        self.amount.setRange(0, 100)
        self.amount.setDecimals(1)
        self.amount.setAccessibleName("変化の幅")
        self.amount.setToolTip("低下・上昇: この幅以上の変化で当てはまります。\n"
                               "同じか低下・同じか上昇: この幅までの逆向きの変化を許します。")
        change_row = QHBoxLayout()
        change_row.addWidget(self.direction_combo)
        change_row.addWidget(QLabel("幅"))
        change_row.addWidget(self.amount)
        change_row.addStretch(1)
        form.addRow("変化", change_row)
        self.survey_combo.currentIndexChanged.connect(self._survey_changed)
        self.survey_radio.toggled.connect(self._measure_changed)
        has_surveys = bool(catalog.surveys)
        self.survey_radio.setEnabled(has_surveys)
        (self.survey_radio if has_surveys else self.field_radio).setChecked(True)
        self._survey_changed()
        self._measure_changed()

    def _survey_row(self) -> QWidget:
        self.survey_combo = QComboBox()
        self.survey_combo.setAccessibleName("調査")
        for s in self.catalog.surveys:
            self.survey_combo.addItem(s.label, s)
        self.domain_combo = QComboBox()
        self.domain_combo.setAccessibleName("領域")
        self.subject_combo = QComboBox()
        self.subject_combo.setAccessibleName("教科")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.survey_combo, 2)
        row.addWidget(self.domain_combo, 1)
        row.addWidget(self.subject_combo, 1)
        self.survey_box = QWidget()
        self.survey_box.setLayout(row)
        return self.survey_box

    def _field_row(self) -> QWidget:
        numeric = [f for f in self.catalog.fields
                   if f.type in NUMERIC and f.field not in NOT_COMPARED]
        self.field_combo = FieldCombo(numeric)
        self.aggregate_combo = QComboBox()
        self.aggregate_combo.setAccessibleName("集計")
        for key in ("avg", "sum", "max", "min", "count"):
            self.aggregate_combo.addItem(AGGREGATES[key], key)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.field_combo, 2)
        row.addWidget(self.aggregate_combo, 1)
        self.field_box = QWidget()
        self.field_box.setLayout(row)
        return self.field_box

    def _survey_changed(self) -> None:
        s = self.survey_combo.currentData()
        self.domain_combo.clear()
        self.domain_combo.addItem("すべての領域", None)
        self.subject_combo.clear()
        self.subject_combo.addItem("すべての教科", None)
        if s is None:
            return
        for d in s.domains:
            self.domain_combo.addItem(d, d)
        for subject in s.subjects:
            self.subject_combo.addItem(subject, subject)
        self.subject_combo.setEnabled(bool(s.subjects))

    def _measure_changed(self) -> None:
        survey = self.survey_radio.isChecked()
        self.survey_box.setEnabled(survey)
        self.field_box.setEnabled(not survey)
        if self.new:  # sensible defaults for a new condition
            before, after = ((0, 1), (0, 2)) if survey else ((-1, None), (0, None))
            select_data(self.before_year, before[0])
            select_data(self.before_round, before[1])
            select_data(self.after_year, after[0])
            select_data(self.after_round, after[1])

    def accepts(self, node: Leaf) -> bool:
        return isinstance(node, Change)

    def load(self, node: Leaf) -> None:
        assert isinstance(node, Change)
        m = node.measure
        if isinstance(m, SurveyPositivity):
            self.survey_radio.setChecked(True)
            for i in range(self.survey_combo.count()):
                if self.survey_combo.itemData(i).code == m.survey_code:
                    self.survey_combo.setCurrentIndex(i)
            select_data(self.domain_combo, m.domain)
            select_data(self.subject_combo, m.subject)
        else:
            self.field_radio.setChecked(True)
            self.field_combo.choose(m.kind, m.field)
            select_data(self.aggregate_combo, m.aggregate)
        select_data(self.before_year, node.before.year_offset)
        select_data(self.before_round, node.before.round)
        select_data(self.after_year, node.after.year_offset)
        select_data(self.after_round, node.after.round)
        select_data(self.direction_combo, node.direction)
        self.amount.setValue(node.amount)

    def build(self, *, enabled: bool, negate: bool) -> Leaf:
        measure: SurveyPositivity | FieldMeasure
        if self.survey_radio.isChecked():
            s = self.survey_combo.currentData()
            if s is None:
                raise ValueError("調査を選んでください。")
            measure = SurveyPositivity(s.code, self.domain_combo.currentData(),
                                       self.subject_combo.currentData())
        else:
            f = self.field_combo.field()
            if f is None:
                raise ValueError("項目を選んでください。")
            measure = FieldMeasure(f.kind, f.field, str(self.aggregate_combo.currentData()))
        before = Period(self.before_year.currentData(), round=self.before_round.currentData())
        after = Period(self.after_year.currentData(), round=self.after_round.currentData())
        if before == after:
            raise ValueError("比較前と比較後に違う年度か回を選んでください。")
        return Change(measure, before, after, str(self.direction_combo.currentData()),
                      float(self.amount.value()), enabled=enabled, negate=negate)
