"""The role-by-function matrix of 権限設定: ● / × per function and the data areas each role
may see, read from and written back into the policy."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

from toda_desktop.data_dictionary import DOMAIN_LABELS
from toda_desktop.policy.model import FORMER_PUPILS_LABEL, FUNCTION_LABELS, Policy, Role
from ui import style
from ui.table_model import LinesTableModel

FUNCTIONS = tuple(FUNCTION_LABELS)
FORMER = "former_pupils"  # the per-role setting shown as one more ●/× column
COLUMNS = (*FUNCTIONS, FORMER)
# Headers in short lines, so that every column fits a laptop's width (issue 16); a function
# not named here is broken after its first の.
HEADERS = {
    "admin": "管理\n機能", "pupil_search": "児童\n生徒\n検索", "export_aggregate": "集計の\n出力",
    "alerts": "見守り\nアラート", "audit_view": "監査\nログの\n閲覧",
    "policy_edit": "権限\n設定の\n変更", "research_export": "研究用\nデータの\n作成",
    "research_approve": "研究用\nデータの\n承認", "retention": "保存\n期間の\n管理",
    "retention_approve": "削除\n計画の\n承認", FORMER: "卒業・\n転出した\n児童生徒",
    "case_edit": "支援\nケース\nの記録", "school_karte": "学校\nカルテ",
}


def header_text(key: str) -> str:
    if key in HEADERS:
        return HEADERS[key]
    return FUNCTION_LABELS[key].replace("の", "の\n", 1)


def legend_text() -> str:
    """The keys of the file in Japanese, for editing it."""
    functions = "、".join(f"{key}＝{label}" for key, label in FUNCTION_LABELS.items())
    domains = "、".join(f"{key}＝{label}" for key, label in DOMAIN_LABELS.items())
    return (f"機能の名前: {functions}\nデータの範囲: {domains}、*＝すべて\n"
            f"役割ごとの設定: former_pupils＝{FORMER_PUPILS_LABEL}（true で検索・閲覧できる）")


def describe_domains(role: Role) -> str:
    if "*" in role.domains:
        return "すべて"
    parts = "・".join(DOMAIN_LABELS.get(d, d) for d in sorted(role.domains, key=_domain_order))
    topics = "・".join(DOMAIN_LABELS.get(t, t) for t in sorted(role.topics, key=_domain_order))
    if topics:
        parts += f"（{topics}に関するほかのデータも）"
    return parts or "なし（児童生徒のデータは見られません）"


def _domain_order(key: str) -> int:
    order = list(DOMAIN_LABELS)
    return order.index(key) if key in order else len(order)


class PolicyMatrixModel(LinesTableModel[Role]):
    """Roles × functions (●/×) and data domains of a :class:`Policy`; a cell can be changed
    (the page turns the result into the file's text, which is checked before it is saved)."""

    DOMAINS_COLUMN = len(COLUMNS) + 1

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(("役割", *(header_text(c) for c in COLUMNS), "見られるデータ"), parent)
        self.policy: Policy | None = None

    @property
    def roles(self) -> tuple[Role, ...]:
        return tuple(self.lines)

    def set_policy(self, policy: Policy) -> None:
        self.policy = policy
        self.set_lines(policy.roles)

    def function_at(self, column: int) -> str | None:
        return COLUMNS[column - 1] if 0 < column <= len(COLUMNS) else None

    def toggled(self, row: int, function: str) -> Policy:
        """The policy with ``function`` switched for the role in ``row``."""
        role = self.roles[row]
        if function == FORMER:
            return self._with(row, replace(role, former_pupils=not role.former_pupils))
        functions = role.functions ^ {function}
        return self._with(row, replace(role, functions=functions))

    def with_domains(self, row: int, domains: frozenset[str]) -> Policy:
        return self._with(row, replace(self.roles[row], domains=domains))

    def _with(self, row: int, role: Role) -> Policy:
        assert self.policy is not None
        roles = list(self.roles)
        roles[row] = role
        return replace(self.policy, roles=tuple(roles))

    def cell_data(self, r: Role, column: int, role: int) -> Any:
        switch = 0 < column <= len(COLUMNS)
        allowed = switch and (r.former_pupils if COLUMNS[column - 1] == FORMER
                              else r.may(COLUMNS[column - 1]))
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return r.label
            if switch:
                return "●" if allowed else "×"
            return describe_domains(r)
        if role == Qt.ItemDataRole.ToolTipRole and column == self.DOMAINS_COLUMN:
            return describe_domains(r)
        if role == Qt.ItemDataRole.ToolTipRole and switch and COLUMNS[column - 1] == FORMER:
            verb = "検索・閲覧できます" if allowed else "検索・閲覧できません"
            return f"{r.label}は{FORMER_PUPILS_LABEL}を{verb}。"
        if role == Qt.ItemDataRole.ToolTipRole and switch:
            verb = "できます" if allowed else "できません"
            return f"{r.label}は「{FUNCTION_LABELS[FUNCTIONS[column - 1]]}」が{verb}。"
        if role == Qt.ItemDataRole.ForegroundRole and switch:
            return QColor(style.OK_COLOR if allowed else "#9aa4b0")
        if role == Qt.ItemDataRole.TextAlignmentRole and switch:
            return int(Qt.AlignmentFlag.AlignCenter)
        return None
