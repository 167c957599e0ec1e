"""Pseudonyms per research project: HMAC-SHA256 of the pupil's internal id under the
project's random key.

The same pupil gets the same pseudonym in every extract of one project (a study can follow a
cohort over several extracts) and unrelated ones in two projects (their extracts cannot be
joined). Without the key the pseudonym says nothing: the internal id is never written, and
the HMAC cannot be reversed or recomputed from it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable

KEY_BYTES = 32
# 128 bits of the digest written in 28 lower-case letters: no collision among any city's
# pupils, and no digits, so no ID number (宛名番号, a school code) can ever show inside one.
PSEUDONYM_LETTERS = 28
_ALPHABET = "abcdefghijklmnopqrstuvwxyz"


def new_project_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def pseudonym(key: bytes, pupil_id: int) -> str:
    """The pupil's pseudonym in the project whose key this is."""
    if len(key) != KEY_BYTES:
        raise ValueError("a project key has 32 bytes")
    digest = hmac.new(key, f"pupil:{int(pupil_id)}".encode("ascii"), hashlib.sha256)
    number = int.from_bytes(digest.digest()[:16], "big")
    letters = []
    for _ in range(PSEUDONYM_LETTERS):
        number, digit = divmod(number, len(_ALPHABET))
        letters.append(_ALPHABET[digit])
    return "".join(reversed(letters))


def pseudonyms(key: bytes, pupil_ids: Iterable[int]) -> dict[int, str]:
    """Each distinct id's pseudonym (computed once per pupil)."""
    return {pid: pseudonym(key, pid) for pid in dict.fromkeys(int(p) for p in pupil_ids)}
