"""The 所属 editor of the 抽出 condition dialog edits a Membership condition (issue 11).

A membership saved by an older version (an ``in`` threshold on the enrollments) opens here
too, once read; a threshold the user built on the enrollments' school in the value editor
stays in the value editor. The catalogue is the one the service offers the project lead on
the demo city.
"""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.ui.conftest import ShellFactory
from tests.ui.flows import WAIT_MS, sign_in
from toda_desktop.extraction import Membership, Period, Threshold, from_json
from ui.extraction.catalog import Catalog
from ui.extraction.condition_dialog import ConditionDialog
from ui.extraction.editors import MembershipEditor
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


def _checked(editor: MembershipEditor) -> list[object]:
    items = [editor.values_list.item(i) for i in range(editor.values_list.count())]
    return [item.data(Qt.ItemDataRole.UserRole) for item in items
            if item.checkState() == Qt.CheckState.Checked]


def test_an_old_saved_membership_opens_in_the_membership_editor(
    qtbot: QtBot, catalog: Catalog,
) -> None:
    (code, name), (code2, name2) = catalog.schools[:2]
    old = {"type": "threshold", "kind": "enrollments", "field": "school_code", "op": "in",
           "value": [code, code2], "period": {"type": "period", "year_offset": -1},
           "aggregate": "any", "where": [], "label": f"学校が{name}・{name2}のいずれか（前年度）",
           "enabled": True, "negate": True}
    node = from_json(json.dumps({"name": "旧", "root": {"type": "group", "items": [old]}},
                                ensure_ascii=False)).root.items[0]
    assert isinstance(node, Membership)
    dialog = ConditionDialog(catalog, node)
    qtbot.addWidget(dialog)
    editor = dialog.editor
    assert isinstance(editor, MembershipEditor) and editor.isVisibleTo(dialog)
    assert editor.target_combo.currentData() == "school_code"
    assert _checked(editor) == [code, code2]
    assert editor.year_combo.currentData() == -1 and dialog.negate_check.isChecked()
    assert dialog.problem() is None and dialog.node == node  # unchanged, wording kept


def test_a_new_membership_is_labelled_with_the_names_shown(
    qtbot: QtBot, catalog: Catalog,
) -> None:
    dialog = ConditionDialog(catalog)
    qtbot.addWidget(dialog)
    editor = dialog.choose_type("membership")
    assert isinstance(editor, MembershipEditor)
    editor.target_combo.setCurrentIndex(editor.target_combo.findData("grade"))
    first = editor.values_list.item(0)
    first.setCheckState(Qt.CheckState.Checked)
    assert dialog.problem() is None
    assert dialog.node == Membership(
        "grade", (catalog.grades[0],), year_offset=0, label=f"学年が{first.text()}のいずれか")
    editor.year_combo.setCurrentIndex(editor.year_combo.findData(None))
    built = dialog.build()
    assert isinstance(built, Membership) and built.year_offset is None
    assert built.label.endswith("（いずれかの年度）")


def test_a_membership_of_any_year_keeps_its_year_when_edited(
    qtbot: QtBot, catalog: Catalog,
) -> None:
    node = Membership("grade", catalog.grades[:1], year_offset=None)
    dialog = ConditionDialog(catalog, node)
    qtbot.addWidget(dialog)
    built = dialog.build()
    assert isinstance(built, Membership) and built.year_offset is None
    assert built.values == node.values


def test_a_school_threshold_built_in_the_value_editor_stays_there(
    qtbot: QtBot, catalog: Catalog,
) -> None:
    node = Threshold("enrollments", "school_code", "not_in", (catalog.schools[0][0],),
                     period=Period(0))
    dialog = ConditionDialog(catalog, node)
    qtbot.addWidget(dialog)
    assert dialog.type_combo.currentData() == "threshold"
    assert dialog.build() == node
