"""What the audit log keeps of a search's words, and how an auditor checks them (issue 13).

Search words are mostly names. The log must say who searched, when, with which filters and
how many results (the karte a person then opens is logged with the pupil anyway) — but it is
read by administrators and copied into exports, so it does not list the words. Each word is
kept as a keyed digest (HMAC-SHA256 under the key in the master's file,
``storage.repos.audit_words``; the first 16 hex digits), after the search's own folding
(``parse_query``: width, case, old and variant kanji, hiragana/katakana; IDs without dashes
or leading zeros), so 「髙橋」「高橋」 and 「たかはし」「タカハシ」 give the same digest. The
words' order is not kept.

An auditor with ``audit_view`` who holds the master's key asks "was X searched?"
(``SearchWordsCheck.searches_with``): X is folded and digested the same way, and the
searches whose digests include every word of X are listed. The check itself is logged with
the digests and the count, not the words. Entries written before this change keep their
words as they were (the chain is never rewritten).

Limit: a digest is not a secret from someone holding the key and a list of names (a holder
of the basic key can test each name of the register) — but since search entries are sealed
(``storage.audit_seal``), only the audit reader sees the digests of new searches; the IT
administrator, who holds only the system key, never could.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import unicodedata
from collections.abc import Sequence

from storage import audit
from storage.connection import Connection
from storage.repos import audit_words as repo
from toda_desktop.audit.sealing import reader_opener
from toda_desktop.audit.service import AuditFilter, AuditRow, AuditViewService
from toda_desktop.context import ServiceContext
from toda_desktop.errors import PermissionDenied, UserFacingError
from toda_desktop.search.keys import letters_only, name_search_key
from toda_desktop.text_input import require_valid_text

DIGEST_CHARS = 16  # 64 bits: plenty to tell words apart in one city's log
DIGESTS_FIELD = "word_digests"
WORDS_FIELD = "words"
_DIGITS = re.compile(r"^[0-9][0-9\-]*$")
NO_KEY = ("検索語の照合には児童生徒基本情報の鍵が必要です。鍵を持つアカウントで"
          "照合してください。")


def folded_words(text: str) -> tuple[str, ...]:
    """The words as the search folds them, each once, in a fixed order."""
    out = set()
    for raw in unicodedata.normalize("NFKC", text).split():
        word = raw.casefold()
        if not letters_only(word):
            continue  # punctuation alone: not a search word
        if _DIGITS.match(word):
            out.add(word.replace("-", "").lstrip("0") or "0")
        else:
            out.add(name_search_key(word))
    return tuple(sorted(w for w in out if w))


def digests(key: bytes, text: str) -> list[str]:
    """The keyed digests of the words of ``text`` (sorted: the order is not kept)."""
    return sorted(hmac.new(key, w.encode(), hashlib.sha256).hexdigest()[:DIGEST_CHARS]
                  for w in folded_words(text))


def log_detail(ctx: ServiceContext, query: str) -> dict[str, object]:
    """The part of a search's audit detail that stands for its words."""
    key = ctx.db.call(repo.ensure_word_key, kind=ctx.registry.master.name)
    words = folded_words(query)
    if key is None:  # (search needs the master's key: not reached in practice)
        return {WORDS_FIELD: len(words)}
    return {WORDS_FIELD: len(words), DIGESTS_FIELD: digests(key, query)}


def _entry_digests(detail: str | None) -> frozenset[str]:
    try:
        values = json.loads(detail or "{}")
    except ValueError:
        return frozenset()
    found = values.get(DIGESTS_FIELD) if isinstance(values, dict) else None
    return frozenset(str(d) for d in found) if isinstance(found, list) else frozenset()


class SearchWordsCheck:
    """「この言葉で検索されたか」: for auditors holding the master's key."""

    def __init__(self, context: ServiceContext) -> None:
        self._ctx = context

    def searches_with(self, text: str, filters: AuditFilter | None = None
                      ) -> Sequence[AuditRow]:
        """The searches (newest first) whose words include every word of ``text``."""
        ctx = self._ctx
        ctx.gate.require("audit_view")
        if not ctx.gate.sees(ctx.registry.master.name):
            raise PermissionDenied(NO_KEY)
        require_valid_text(text, "照合する言葉")
        if not folded_words(text):
            raise UserFacingError("照合する言葉（氏名・カナ・IDなど）を入力してください。")
        key = ctx.db.call(repo.word_key, kind=ctx.registry.master.name)
        wanted = frozenset(digests(key, text)) if key is not None else frozenset()
        filters = filters or AuditFilter()
        since = None if filters.since is None else filters.since.isoformat()

        opener = reader_opener(ctx.db)  # (searches written since sealing are sealed)

        def read(conn: Connection) -> set[int]:
            entries = audit.query(conn, action="search", actor=filters.actor, since=since,
                                  limit=1_000_000, opener=opener)
            return {e.id for e in entries if wanted and wanted <= _entry_digests(e.detail)}

        ids = ctx.db.call(read) if wanted else set()
        rows = [r for r in AuditViewService(ctx).entries(
            AuditFilter(actor=filters.actor, action="search", since=filters.since,
                        until=filters.until)) if r.id in ids]
        ctx.log("audit_search_check", detail={WORDS_FIELD: len(wanted),
                                              DIGESTS_FIELD: sorted(wanted),
                                              "results": len(rows)})
        return rows


__all__ = ["SearchWordsCheck", "digests", "folded_words", "log_detail"]
