"""The 抽出 condition dialog: one editor per condition type, each shows the condition it is
given and builds the same condition back (editing without changes changes nothing).

The catalogue is the real one the service offers the project lead on the demo city.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from pytestqt.qtbot import QtBot

from tests.ui.conftest import ShellFactory
from tests.ui.flows import WAIT_MS, sign_in
from toda_desktop.extraction import (
    Change,
    CountInWindow,
    FieldMeasure,
    FieldTest,
    Membership,
    Period,
    SurveyPositivity,
    Threshold,
)
from ui.extraction.catalog import Catalog, Leaf
from ui.extraction.condition_dialog import ConditionDialog
from ui.extraction.editors import ThresholdEditor
from ui.extraction.page import ExtractionPage

pytestmark = pytest.mark.gui


@pytest.fixture
def catalog(qtbot: QtBot, make_shell: ShellFactory) -> Catalog:
    window = sign_in(qtbot, make_shell(), "demo-lead")
    page = window.show_page("抽出")
    assert isinstance(page, ExtractionPage)
    qtbot.waitUntil(lambda: page.catalog is not None and not page.busy, timeout=WAIT_MS)
    assert page.catalog is not None
    return page.catalog


def _conditions(catalog: Catalog) -> list[tuple[str, Leaf]]:
    survey = catalog.surveys[0]
    school_code = catalog.schools[0][0]
    kind = catalog.event_kinds[0][0]
    return [
        ("threshold", Threshold("attendance_monthly", "absence_days", ">=", 5,
                                period=Period(-1, month=6))),
        ("membership", Membership("school_code", (school_code,), year_offset=-1,
                                  negate=True)),
        ("membership", Membership("grade", catalog.grades[:2], year_offset=None)),
        ("change", Change(SurveyPositivity(survey.code), Period(0, round=1),
                          Period(0, round=2), "fell", 10.0)),
        ("change", Change(FieldMeasure("academic_results", "level", "avg"), Period(-1),
                          Period(0), "same_or_fell", 0.5)),
        ("count", CountInWindow(kind, 3, 30, period=None)),
    ]


def test_each_condition_opens_in_the_editor_of_its_type_and_builds_back_unchanged(
    qtbot: QtBot, catalog: Catalog,
) -> None:
    for key, node in _conditions(catalog):
        dialog = ConditionDialog(catalog, node)
        qtbot.addWidget(dialog)
        assert dialog.type_combo.currentData() == key
        assert dialog.editor.key == key and dialog.editor.isVisibleTo(dialog)
        built = dialog.build()
        assert replace(built, label="") == replace(node, label=""), key
        assert dialog.problem() is None and dialog.node is not None
        assert replace(dialog.node, label="") == replace(node, label="")


def test_a_narrowing_and_a_negation_survive_an_edit(qtbot: QtBot, catalog: Catalog) -> None:
    subject = next(f for f in catalog.kind_fields("academic_results") if f.field == "subject")
    node = Threshold("academic_results", "level", "<=", 2, period=Period(0),
                     where=(FieldTest("subject", "==", subject.values[0]),), negate=True)
    dialog = ConditionDialog(catalog, node)
    qtbot.addWidget(dialog)
    assert dialog.negate_check.isChecked()
    assert dialog.build() == node


def test_a_new_condition_says_what_is_missing(qtbot: QtBot, catalog: Catalog) -> None:
    dialog = ConditionDialog(catalog)
    qtbot.addWidget(dialog)
    threshold = dialog.choose_type("threshold")
    assert isinstance(threshold, ThresholdEditor)
    assert threshold.field_combo.choose("attendance_monthly", "absence_days")
    assert dialog.problem() == "値を入力してください。"
    threshold.value_editor.line.setText("五")
    assert dialog.problem() == "「五」は数値ではありません。"
    dialog.choose_type("membership")
    assert dialog.problem() == "学校または学年を1つ以上選んでください。"
    change = dialog.choose_type("change")
    assert change.isVisibleTo(dialog)
    assert dialog.problem() is None  # defaults: the survey's 1st round → 2nd round
    assert isinstance(dialog.node, Change) and dialog.node.before == Period(0, round=1)
