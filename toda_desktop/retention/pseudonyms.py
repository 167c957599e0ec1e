"""Pseudonyms for de-identified pupils: random, so that they reveal and link nothing.

A pseudonym is drawn from the operating system's random source, never derived from a pupil
ID or name (a hash of an ID could be recomputed by anyone holding the ID). Letters that are
easily confused (0/O, 1/I/L) are left out so that staff can read one aloud.
"""

from __future__ import annotations

import secrets

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 10  # 31**10 ≈ 8e14: a clash is retried, and practically never happens
PREFIX = "仮名-"


def new_pseudonym() -> str:
    return PREFIX + "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def is_pseudonym(text: str) -> bool:
    rest = text[len(PREFIX):]
    return (text.startswith(PREFIX) and len(rest) == LENGTH
            and all(ch in ALPHABET for ch in rest))
