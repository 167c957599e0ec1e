"""The 監査ログ's 詳細 and 対象 say key groups, the built-in scanner and signing keys in words
(QA after issue 12: 「データの鍵の区分: other_department」, 「スキャナのバージョン: builtin」)."""

from __future__ import annotations

import json

from storage.key_groups import key_groups
from storage.registry import default_registry
from toda_desktop.audit.service import VALUE_LABELS, _group_words, describe_detail, describe_target
from toda_desktop.formatting import format_phrase

REGISTRY = default_registry()


def _detail(values: dict[str, object]) -> str:
    codes = {**VALUE_LABELS, **_group_words(REGISTRY)}
    return format_phrase(describe_detail(json.dumps(values), codes))


def test_key_groups_are_named_in_the_maps_words() -> None:
    assert _detail({"groups": ["other_department", "attendance-truancy"]}) == (
        "データの鍵の区分: 他部局、出欠")  # (the accounts page's words for the same keys)
    assert format_phrase(describe_target("key_group:bullying", REGISTRY)) == "データの鍵 いじめ"
    words = _group_words(REGISTRY)
    assert {g.name for g in key_groups(REGISTRY)} == set(words)
    assert all(w.isascii() is False for w in words.values())  # every group has Japanese words


def test_the_built_in_scanner_version_is_said_in_japanese() -> None:
    assert _detail({"scanner_version": "builtin"}) == "スキャナのバージョン: 組み込み"


def test_a_signing_key_is_labelled_as_its_fingerprint_and_kept_short() -> None:
    text = _detail({"signing_key": "4ec8c09c" * 8})
    assert text == "署名鍵の指紋: 4ec8c09c4ec8c09c…"


def test_search_filters_are_named_in_japanese() -> None:
    assert _detail({"filters": {"school_code": "03102", "grade": 2, "class_name": "1"}}) == (
        "絞り込み: 学校コード: 03102、学年: 2、組: 1")
