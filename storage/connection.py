"""Opening SQLCipher connections with a raw key, and what an ordinary connection may not do.

Ordinary connections get an authorizer that denies ATTACH/DETACH, ``sqlcipher_export`` and the
key pragmas, so that no code path in the app can write a plaintext copy of the store or change
its key. Only store creation (``storage.store``) opens a privileged connection, to set up the
schema before the first account exists. Reader connections are opened read-only (the file, not
only the authorizer), with the same key handling and the same authorizer.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import sqlcipher3

from storage.errors import (
    CannotOpen,
    KeysRenewed,
    OperationDenied,
    StoreBusy,
    StoreDamaged,
    StoreError,
    StoreFull,
    StoreReadOnly,
)

if TYPE_CHECKING:
    # sqlcipher3 ships no type information; its API is the standard library's sqlite3.
    from sqlite3 import Connection as Connection
else:
    Connection = sqlcipher3.Connection
DatabaseError: type[Exception] = sqlcipher3.DatabaseError

_DENIED_PRAGMAS = frozenset({"key", "rekey", "hexkey", "hexrekey", "writable_schema"})
_ALLOWED_CIPHER_PRAGMAS = frozenset({"cipher_integrity_check", "cipher_version"})
_DENIED_FUNCTIONS = frozenset({"sqlcipher_export", "load_extension"})
_HEX_KEY = re.compile(r"^[0-9a-f]{64}$")
# Page cache per connection, in KiB (a negative cache_size is KiB). SQLite's default is 2 MiB
# (SQLCipher's pages are decrypted on each cache miss, so a cache smaller than the hot indexes
# costs a decryption per page touched): at 100,000 pupils the search index alone is larger
# than 8 MiB, and with 64 MiB encrypted search ran as fast as the same build unencrypted
# (issue 11). The cache grows only as pages are read, so a small store uses little of it.
CACHE_KIB = 64 * 1024


def _authorizer(action: int, arg1: str | None, arg2: str | None, *_: Any) -> int:
    if action in (sqlcipher3.SQLITE_ATTACH, sqlcipher3.SQLITE_DETACH):
        return int(sqlcipher3.SQLITE_DENY)
    if action == sqlcipher3.SQLITE_PRAGMA and arg1 is not None:
        name = arg1.lower()
        if name in _DENIED_PRAGMAS or (
            name.startswith("cipher") and name not in _ALLOWED_CIPHER_PRAGMAS
        ):
            return int(sqlcipher3.SQLITE_DENY)
    if (
        action == sqlcipher3.SQLITE_FUNCTION
        and arg2 is not None
        and arg2.lower() in _DENIED_FUNCTIONS
    ):
        return int(sqlcipher3.SQLITE_DENY)
    return int(sqlcipher3.SQLITE_OK)


def key_pragma(data_key: bytes) -> str:
    """The raw-key PRAGMA text; the length is checked because a wrong-length hex string is
    silently taken as a passphrase by SQLCipher."""
    hexkey = data_key.hex()
    if not _HEX_KEY.match(hexkey):
        raise ValueError("the data key must be exactly 32 bytes")
    return f"PRAGMA key = \"x'{hexkey}'\""


@dataclass(frozen=True)
class Attachment:
    """A key group's file, attached under ``schema`` with its own key (issue 12)."""

    schema: str
    path: Path
    key: bytes = b""

    def __repr__(self) -> str:  # never the key
        return f"Attachment({self.schema!r}, {self.path.name!r})"


def _attach(conn: Connection, attachment: Attachment, *, read_only: bool) -> None:
    """ATTACH one group file with its raw key and check that the key opens it. Runs before
    the authorizer is set: afterwards ATTACH and DETACH are denied to every statement."""
    if not re.fullmatch(r"g_[a-z0-9_]+", attachment.schema):
        raise ValueError("not a group schema name")
    target = attachment.path.resolve().as_uri() + "?mode=ro" if read_only else str(
        attachment.path)
    raw_key = key_pragma(attachment.key).split(" = ", 1)[1].strip('"')
    conn.execute(f"ATTACH DATABASE ? AS {attachment.schema} KEY ?", (target, raw_key))
    conn.execute(f"SELECT count(*) FROM {attachment.schema}.sqlite_master").fetchone()
    conn.execute(f"PRAGMA {attachment.schema}.cache_size = -{CACHE_KIB:d}")
    if not read_only:
        conn.execute(f"PRAGMA {attachment.schema}.journal_mode = WAL")
        conn.execute(f"PRAGMA {attachment.schema}.synchronous = FULL")


def translate(exc: BaseException, *, first_page: bool = False) -> StoreError:
    """Map a driver error to a store error whose message carries no data.

    Every key reaching SQLCipher was unwrapped from the key file after its AES-GCM tag
    verified, so only page 1 (``first_page``: the first read at open) can fail because the
    key and the file do not belong together; a page failing once page 1 opened is damage.
    """
    text = str(exc).lower()
    if "toda: key renewed" in text:  # (storage.store.RENEWED_MARK: a rotated group's old file)
        return KeysRenewed()
    if "not authorized" in text:
        return OperationDenied()
    if "file is not a database" in text or "malformed" in text:
        return CannotOpen() if first_page else StoreDamaged()
    if "readonly" in text or "read-only" in text:
        return StoreReadOnly()
    if "locked" in text or "busy" in text:
        return StoreBusy()
    if "full" in text:
        return StoreFull()
    return StoreError()


def open_connection(
    path: Path, data_key: bytes, *, privileged: bool = False, read_only: bool = False,
    attach: Sequence[Attachment] = (),
) -> Connection:
    """Open and verify a keyed connection; raise CannotOpen when page 1 does not open with
    the key (damage there, or another store's key file), StoreDamaged for a later page.

    ``attach``: the key groups' files this connection reads and writes besides the store file,
    each checked with its own key (a wrong one is CannotOpen, like the store's).

    A writer runs on the thread that opened it (sqlite objects are thread-bound). A read-only
    connection (``read_only``) may be handed between threads by a pool that lends it to one
    thread at a time; it needs the store to exist and be in WAL mode already (the writer's
    open does both), and it sees each committed write when its next read begins.
    """
    if read_only:
        target = path.resolve().as_uri() + "?mode=ro"
        conn = cast(Connection, sqlcipher3.connect(
            target, uri=True, isolation_level=None, check_same_thread=False))
    else:
        conn = cast(
            Connection,
            sqlcipher3.connect(str(path), isolation_level=None, check_same_thread=True),
        )
    first_page = True  # until page 1 has opened with the key
    try:
        # SQLCipher's own log would print codec errors to stderr; the app reports instead.
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(key_pragma(data_key))
        # PRAGMA key always answers ok; reading page 1 alone (the header) is what tells
        # whether the key fits the file; after it, a page that fails is damage.
        conn.execute("PRAGMA user_version").fetchone()
        first_page = False
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA busy_timeout = 5000")
        conn.execute(f"PRAGMA cache_size = -{CACHE_KIB:d}")
        conn.execute("PRAGMA temp_store = MEMORY")
        if read_only:
            conn.execute("PRAGMA query_only = ON")
        else:
            conn.execute("PRAGMA journal_mode = WAL")
            # FULL: a committed entry survives a power cut, as does the audit anchor written
            # after it (NORMAL could lose the entry but keep the anchor: a false rollback alarm).
            conn.execute("PRAGMA synchronous = FULL")
        for attachment in attach:
            first_page = True  # (each group file's page 1 tells whether its key fits)
            _attach(conn, attachment, read_only=read_only)
            first_page = False
    except DatabaseError as exc:
        conn.close()
        raise translate(exc, first_page=first_page) from None
    if not privileged:
        conn.set_authorizer(_authorizer)
    return conn


@contextlib.contextmanager
def transaction(conn: Connection) -> Iterator[Connection]:
    """All-or-nothing: commit on success, roll back on any exception (including cancel)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        try:
            conn.execute("COMMIT")
        except DatabaseError as exc:
            conn.execute("ROLLBACK")
            raise translate(exc) from None
