"""The keys of the pupil search index, and keeping the index up to date.

Names, kana and IDs are folded here (reusing ``analysis.names``: old and variant kanji,
hiragana/katakana, full/half width) into the keys ``storage.repos.search`` stores and
matches. Apart from the search service, imports and the demo city use it to index what they
wrote, so it is not a service itself.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from analysis.names import kana_value, loose_kana_key, loose_name_key
from storage.connection import Connection, transaction
from storage.repos import search as repo


def letters_only(text: str) -> str:
    """Letters and digits only: punctuation, symbols and spaces never reach the index."""
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")


def name_search_key(text: str) -> str:
    """Search key of a name: the loose 名寄せ key (strict variants, confusable pairs,
    hiragana→katakana, no spaces), case-folded, letters and digits only."""
    return letters_only(loose_name_key(text).casefold())


def kana_search_key(text: str) -> str:
    """Search key of kana: the loose kana key (katakana, small→large, no ー), letters only."""
    return letters_only(loose_kana_key(text).casefold())


def kana_sort_key(text: str) -> str:
    return kana_value(text).replace(" ", "")


def id_forms(kind: str, value: str) -> tuple[str, ...]:
    """Searchable forms of an ID: digits with and without leading zeros; an account in lower
    case with and without its domain."""
    text = unicodedata.normalize("NFKC", value).strip().casefold()
    if kind == "google_account":
        text = re.sub(r"\s+", "", text)
        local = text.split("@", 1)[0]
        return tuple(dict.fromkeys(v for v in (text, local) if v))
    digits = re.sub(r"[\s\-]", "", text)
    stripped = digits.lstrip("0") or digits
    return tuple(dict.fromkeys(v for v in (digits, stripped) if v))


INDEX_KEYS = repo.IndexKeys(
    name=name_search_key, kana=kana_search_key, kana_sort=kana_sort_key, ident=id_forms
)


def refresh_search_index(conn: Connection, pupil_ids: Iterable[int] | None = None) -> int:
    """Rebuild the search index of these pupils (all when None) inside the caller's
    transaction. Triggers queue every change of ds_students / ds_enrollments and the next
    search catches up by itself; call this after a big import or a demo load so the first
    search does not pay for it."""
    return repo.refresh(conn, INDEX_KEYS, pupil_ids)


def refresh_pending(conn: Connection) -> int:
    """Index the pupils queued by the triggers (own transaction unless one is open)."""
    if not repo.any_pending(conn):
        return 0
    if conn.in_transaction:
        return repo.refresh_pending(conn, INDEX_KEYS)
    with transaction(conn):
        return repo.refresh_pending(conn, INDEX_KEYS)
