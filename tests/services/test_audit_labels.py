"""Every audit entry the code can write reads in Japanese on the 監査ログ screen.

The actions, outcomes and detail keys are collected from the source (every ``record(…)``,
``log(…)`` and ``_log(…)`` call with literal values), so a new kind of entry without a label
fails here instead of showing an English code to the project lead.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import toda_desktop
from storage.registry import default_registry
from toda_desktop.audit.service import (
    ACTION_LABELS,
    DETAIL_LABELS,
    OUTCOME_LABELS,
    describe_detail,
    describe_target,
)
from toda_desktop.cases.model import CaseDomain, case_label
from toda_desktop.formatting import format_phrase

SOURCE = Path(toda_desktop.__file__).parent
# Keywords of ServiceContext.log (and the services' _log helpers) that are not detail keys.
NOT_DETAIL = {"outcome", "target", "pupil_id", "detail"}


def _strings(node: ast.expr | None) -> Iterator[str]:
    """String constants a value can take (a literal, or either branch of ``a if c else b``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.IfExp):
        yield from _strings(node.body)
        yield from _strings(node.orelse)


def _calls() -> Iterator[tuple[str, ast.Call]]:
    for path in sorted(SOURCE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                yield node.func.attr, node


def _written() -> tuple[set[str], set[str], set[str]]:
    actions: set[str] = set()
    outcomes: set[str] = set()
    keys: set[str] = set()
    for name, call in _calls():
        if name == "record" and len(call.args) >= 2:
            actions.update(_strings(call.args[1]))
        elif name == "record_within" and len(call.args) >= 3:  # (conn, actor, action)
            actions.update(_strings(call.args[2]))
        elif name in ("log", "_log") and call.args:
            actions.update(_strings(call.args[0]))
            keys.update(k.arg for k in call.keywords if k.arg and k.arg not in NOT_DETAIL)
        else:
            continue
        for keyword in call.keywords:
            if keyword.arg == "outcome":
                outcomes.update(_strings(keyword.value))
            if keyword.arg == "detail" and isinstance(keyword.value, ast.Dict):
                keys.update(s for k in keyword.value.keys for s in _strings(k))
    return actions, outcomes, keys


def test_the_scan_finds_what_the_services_write() -> None:
    actions, outcomes, keys = _written()
    assert {"sign_in", "view_karte", "risk_train", "extraction", "account_created"} <= actions
    assert {"denied", "cancelled"} <= outcomes
    assert {"rows", "recall@5", "role"} <= keys


def test_every_action_outcome_and_detail_key_has_a_japanese_label() -> None:
    actions, outcomes, keys = _written()
    assert sorted(actions - ACTION_LABELS.keys()) == []
    assert sorted(outcomes - OUTCOME_LABELS.keys()) == []
    assert sorted(keys - DETAIL_LABELS.keys()) == []


@pytest.mark.parametrize(("target", "words"), [
    ("account:demo-it", "アカウント demo-it"),
    ("view:consultations", "閲覧: 教育相談・SC/SSW相談"),
    ("export", "出力"),
    ("attendance_monthly", "出欠状況（月次）"),
    ("students.name", "児童生徒基本情報の氏名"),
    ("risk_model:3", "予測モデル 3"),
    ("risk_alerts:2025-10", "見守りアラート 2025年10月"),
    ("factors:2025", "要因分析 2025年度"),
    ("search_results", "検索結果"),
    ("something_new", "something_new"),
])
def test_targets_are_named_in_japanese(target: str, words: str) -> None:
    assert format_phrase(describe_target(target, default_registry())) == words


def test_details_read_as_japanese_phrases() -> None:
    def words(detail: str, codes: dict[str, str] | None = None) -> str:
        return format_phrase(describe_detail(detail) if codes is None
                             else describe_detail(detail, codes))

    assert words('{"alerts": 15, "model_id": 2}') == "アラート件数: 15、モデル番号: 2"
    assert words('{"fmr_achieved": 7.5e-10}') == "他人受入率: 1/1,333,333,333"
    assert words('{"pupils": 12198, "batch_id": 12198}') == (
        "児童生徒数: 12,198、取込番号: 12198")
    assert words('{"conditions": ["欠席 10日以上", "学年 小5"], "filters": {},'
                 ' "school_year": 2025, "kind": "demo"}') == (
        "条件: 欠席 10日以上、学年 小5、年度: 2025年度、種類: デモ")  # found by QA
    roles = {"project_lead": "事業全体総括職員"}
    assert words('{"role": "project_lead", "method": "palm"}', roles) == (
        "役割: 事業全体総括職員、方法: palm")


def test_a_case_target_is_named_as_staff_name_the_case() -> None:
    assert describe_target("bullying:1") == (f"支援ケース {case_label(CaseDomain.BULLYING, 1)}",)
    assert describe_target("truancy:12") == ("支援ケース 不登校-0012",)
