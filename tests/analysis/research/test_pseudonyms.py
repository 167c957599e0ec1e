"""Pseudonyms: one per pupil within a project, unrelated across projects, no digits."""

from __future__ import annotations

import pytest

from analysis.research.pseudonyms import (
    PSEUDONYM_LETTERS,
    new_project_key,
    pseudonym,
    pseudonyms,
)

KEY_A = bytes(range(32))
KEY_B = bytes(range(1, 33))


def test_the_same_project_gives_the_same_pupil_the_same_pseudonym() -> None:
    assert pseudonym(KEY_A, 17) == pseudonym(KEY_A, 17)


def test_two_projects_give_the_same_pupil_different_pseudonyms() -> None:
    assert pseudonym(KEY_A, 17) != pseudonym(KEY_B, 17)


def test_two_pupils_never_share_a_pseudonym_in_a_project() -> None:
    names = pseudonyms(KEY_A, range(5000))
    assert len(set(names.values())) == 5000


def test_a_pseudonym_is_lower_case_letters_only_so_no_id_number_can_show_in_it() -> None:
    for pid in range(200):
        value = pseudonym(KEY_A, pid)
        assert len(value) == PSEUDONYM_LETTERS
        assert value.isascii() and value.isalpha() and value.islower()


def test_the_pseudonym_is_the_hmac_of_the_internal_id_under_the_key() -> None:
    import hashlib
    import hmac

    digest = hmac.new(KEY_A, b"pupil:17", hashlib.sha256).digest()
    number = 0
    for letter in pseudonym(KEY_A, 17):
        number = number * 26 + (ord(letter) - ord("a"))
    assert number == int.from_bytes(digest[:16], "big")


def test_a_key_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(ValueError):
        pseudonym(b"short", 1)


def test_new_project_keys_are_random_and_32_bytes() -> None:
    keys = {new_project_key() for _ in range(20)}
    assert len(keys) == 20 and all(len(k) == 32 for k in keys)
