"""The push-support preset's dialog: the city's three criteria (and 長期欠席ではない),
each switched on or off, with its thresholds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QWidget,
)

from toda_desktop.extraction import PushSupportOptions
from ui.dialogs import FormDialog
from ui.extraction.inputs import round_combo, select_data


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
        select_data(combo, current)
        return combo

    def _rounds(self, form: QFormLayout, first: int, second: int, drop: float
                ) -> tuple[QComboBox, QComboBox, QDoubleSpinBox]:
        before = round_combo("比較前の回", None)
        after = round_combo("比較後の回", None)
        select_data(before, first)
        select_data(after, second)
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
