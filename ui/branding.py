"""Product wording shared by every window title (one place to change the name)."""

from __future__ import annotations

PRODUCT_NAME = "戸田市 教育データ デスクトップ"
ORGANIZATION = "戸田市教育委員会 教育政策室"


def window_title(kind_label: str, *details: str) -> str:
    """'戸田市 教育データ デスクトップ — デモ — 山田 花子（データ整備・分析職員）'."""
    return " — ".join((PRODUCT_NAME, kind_label, *details))
