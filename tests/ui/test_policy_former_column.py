"""権限設定 shows and switches 卒業・転出した児童生徒 per role like a function (issue 13)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from toda_desktop.policy.model import default_policy, parse_policy_text, policy_to_toml
from ui.policy.matrix import COLUMNS, FORMER, PolicyMatrixModel


def test_the_former_pupils_column_shows_the_setting_and_switches_it(qapp: QApplication) -> None:
    model = PolicyMatrixModel()
    model.set_policy(default_policy())
    column = COLUMNS.index(FORMER) + 1
    assert "卒業・転出" in str(model.headerData(column, Qt.Orientation.Horizontal,
                                               Qt.ItemDataRole.DisplayRole)).replace("\n", "")
    rows = {r.key: i for i, r in enumerate(model.roles)}
    assert model.index(rows["liaison"], column).data() == "×"
    assert model.index(rows["truancy_support"], column).data() == "●"
    assert model.function_at(column) == FORMER
    changed = model.toggled(rows["liaison"], FORMER)
    liaison = changed.role("liaison")
    assert liaison.former_pupils and liaison.functions == default_policy().role(
        "liaison").functions
    text = policy_to_toml(changed)
    assert parse_policy_text(text).role("liaison").former_pupils
    assert model.index(rows["liaison"], PolicyMatrixModel.DOMAINS_COLUMN).data() == (
        "基本・他部局")
