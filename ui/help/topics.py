"""The manual's pages (``resources/help/<key>.md``) and which page of the window each explains.

F1 opens the topic of the page in sight; a page not named here opens the contents.
"""

from __future__ import annotations

from dataclasses import dataclass

from resources import resource_path
from ui.branding import PRODUCT_NAME


@dataclass(frozen=True)
class Topic:
    key: str  # the file's name without .md
    title: str
    pages: tuple[str, ...] = ()  # titles of the window's pages this topic explains


CONTENTS = "index"
TOPICS = (
    Topic(CONTENTS, "はじめに（目次）", ("データ概要",)),
    Topic("import", "取込", ("取込", "取込履歴")),
    Topic("review", "名寄せ確認", ("名寄せ確認",)),
    Topic("search_karte", "検索とカルテ", ("児童生徒検索", "児童生徒カルテ", "学校カルテ")),
    Topic("extraction", "抽出", ("抽出",)),
    Topic("alerts", "見守りアラート", ("見守りアラート", "予測モデル", "要因分析")),
    Topic("cases", "ケース会議", ("支援ケース", "支援の予定", "ケース会議記録の取込")),
    Topic("printing", "印刷", ("印刷の記録",)),
    Topic("admin", "管理", ("アカウント管理", "監査ログ", "権限設定", "出力の承認",
                           "保存期間の管理")),
    Topic("keys", "キー操作とコピー", ()),
)


def topic(key: str) -> Topic:
    return next(t for t in TOPICS if t.key == key)


def topic_for(page_title: str | None) -> Topic:
    """The topic that explains a page of the window (the contents when none does)."""
    for t in TOPICS:
        if page_title is not None and page_title in t.pages:
            return t
    return topic(CONTENTS)


def topic_text(key: str) -> str:
    """The topic's page (Markdown), read from the bundled files."""
    return resource_path("help", f"{key}.md").read_text(encoding="utf-8")


MANUAL_HEADER = (
    "<!-- 自動生成: resources/help/*.md をまとめたもの。直接編集せず、resources/help/ を直して"
    "ください（tests/ui/test_everyday_use.py が一致を確かめます）。 -->\n\n"
    f"# {PRODUCT_NAME} 利用の手引き\n\n"
    "アプリの中では「ヘルプ」メニュー（F1キー）から同じ内容を開けます。\n"
)


def _plain_links(text: str) -> str:
    """``[取込](import.md)`` → 「取込」 (the chapters are in one file)."""
    out, rest = [], text
    while (open_at := rest.find("[")) >= 0:
        middle = rest.find("](", open_at)
        close = rest.find(")", middle) if middle >= 0 else -1
        if middle < 0 or close < 0 or not rest[middle + 2:close].endswith(".md"):
            out.append(rest[: open_at + 1])
            rest = rest[open_at + 1:]
            continue
        out.append(rest[:open_at] + "「" + rest[open_at + 1:middle] + "」")
        rest = rest[close + 1:]
    return "".join(out) + rest


def manual_text() -> str:
    """The whole manual as one Markdown file (docs/USER_MANUAL.md), each topic a chapter."""
    chapters = []
    for t in TOPICS:
        lines = _plain_links(topic_text(t.key)).splitlines()
        chapters.append("\n".join("#" + line if line.startswith("#") else line
                                   for line in lines))
    return MANUAL_HEADER + "\n" + "\n\n".join(chapters) + "\n"
