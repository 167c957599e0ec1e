"""Password rules after NIST SP 800-63B: length and a blocklist, no composition rules.

At least 8 characters (sign-in is multi-factor: password + palm), up to 256, any characters,
compared after NFKC; no forced periodic change. The blocklist holds common passwords and words
of this city and product, and the login id itself is refused.
"""

from __future__ import annotations

import unicodedata
from functools import cache

from resources import resource_path
from toda_desktop.errors import UserFacingError

MIN_LENGTH = 8
MAX_LENGTH = 256


@cache
def blocklist() -> frozenset[str]:
    lines = resource_path("password_blocklist.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(
        unicodedata.normalize("NFKC", line).strip().lower()
        for line in lines
        if line.strip() and not line.startswith("#")
    )


def password_problem(password: str, login_id: str = "") -> str | None:
    """The reason a password is refused, in Japanese, or None if it is acceptable."""
    normalized = unicodedata.normalize("NFKC", password)
    if len(normalized) < MIN_LENGTH:
        return f"パスワードは{MIN_LENGTH}文字以上にしてください。"
    if len(normalized) > MAX_LENGTH:
        return f"パスワードは{MAX_LENGTH}文字以内にしてください。"
    folded = normalized.strip().lower()
    if folded in blocklist():
        return "よく使われるパスワードのため使用できません。別のパスワードにしてください。"
    if login_id and folded == unicodedata.normalize("NFKC", login_id).strip().lower():
        return "ログインIDと同じパスワードは使用できません。"
    if len(set(folded)) == 1:
        return "同じ文字の繰り返しだけのパスワードは使用できません。"
    return None


def check_password(password: str, login_id: str = "") -> None:
    problem = password_problem(password, login_id)
    if problem is not None:
        raise UserFacingError(problem)
