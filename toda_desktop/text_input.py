"""Text typed or pasted by a person, checked at the service edge before any work.

A lone surrogate (U+D800–U+DFFF without its pair, e.g. text cut in the middle of an emoji by
another program) is not a character: SQLite, the audit log and files cannot encode it, and
a search with one ended in a ``UnicodeEncodeError`` (issue 12, finding 14). Services refuse
it with a message that says what to do, rather than guess what was meant.
"""

from __future__ import annotations

from toda_desktop.errors import UserFacingError


def require_valid_text(text: str, what: str) -> str:
    """``text`` unchanged, or a refusal naming ``what`` (e.g. 検索語) in Japanese."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise UserFacingError(
            f"{what}に読み取れない文字（壊れた文字）が含まれています。"
            "その文字を消して、もう一度入力してください。") from None
    return text
