"""Creating and opening the encrypted store: the key file, the data key, the database thread.

A ``Store`` is what the services hold after a successful unlock. It keeps the data key in
memory only as long as the store is open (it is needed to wrap the key for a new account and
to derive the audit key) and never writes it anywhere in the clear.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import sqlcipher3

from kernel.progress import CancelFlag, Progress
from kernel.store_kind import StoreKind
from storage import keys
from storage.connection import Connection, DatabaseError, open_connection
from storage.database import Database
from storage.errors import (
    Cancelled,
    CannotOpen,
    KeyFileDamaged,
    NotAHolder,
    StoreExists,
    StoreNotFound,
)
from storage.key_groups import SYSTEM_GROUP, key_groups
from storage.keyring import StoreKeys
from storage.keys import DEFAULT_SCRYPT_N, KeyFile
from storage.registry import Registry, default_registry
from storage.schema import migrate

STORE_KINDS = tuple(StoreKind)


@dataclass(frozen=True)
class IntegrityReport:
    ok: bool
    problems: tuple[str, ...]  # page numbers and check names only; never row content


# The files beside a store ``X``: ``X-wal`` … ``X.signin`` (the sign-in throttle book) and
# ``X.signin.lock`` (held while an attempt is counted).
COMPANION_SUFFIXES = ("-wal", "-shm", "-journal", ".keys", ".keys.tmp", ".audit-head",
                      ".audit-head.tmp", ".signin", ".signin.tmp", ".signin.lock")


def remove_store_files(path: Path) -> None:
    """Delete a store and its companions; only for a store this process just failed to make."""
    for suffix in ("", *COMPANION_SUFFIXES):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def is_store_file(path: Path) -> bool:
    """Whether ``path`` is a store (its key file lies beside it) or one of a store's
    companions; writing an export over one would destroy the database or its keys."""
    resolved = path.resolve()
    name = resolved.name.casefold()  # Windows and macOS drives ignore case in names
    candidates = [resolved] + [
        resolved.with_name(resolved.name[: -len(s)])
        for s in COMPANION_SUFFIXES if name.endswith(s) and len(name) > len(s)
    ]
    return any(c.with_name(c.name + ".keys").exists() for c in candidates)


class Store:
    """An unlocked store. Build with ``Store.create`` or ``Store.open``. ``keys``: what the
    unlocking account holds (system key, granted group keys, its signing seed)."""

    keys: StoreKeys

    def __init__(
        self, path: Path, keyfile: KeyFile, data_key: bytes, registry: Registry
    ) -> None:
        self.path = path
        self.keyfile = keyfile
        self.registry = registry
        self._data_key = data_key
        self.closed = False
        self.db = Database(path, data_key)
        try:
            self.db.call(lambda conn: migrate(conn, registry))
            meta = self.db.call(_read_meta)
        except BaseException:
            self.db.close()
            raise
        if meta.get("store_id") != keyfile.store_id or meta.get("store_kind") != keyfile.store_kind:
            self.db.close()
            raise KeyFileDamaged("鍵ファイルがこのデータベースのものではありません。")
        self.store_kind = StoreKind(meta["store_kind"])
        self.created_at = meta.get("created_at", "")

    # -- creation and unlocking -------------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: Path,
        store_kind: StoreKind,
        login_id: str,
        password: str,
        *,
        created_at: datetime,
        registry: Registry | None = None,
        scrypt_n: int = DEFAULT_SCRYPT_N,
    ) -> tuple[Store, str]:
        """Create an empty store with its first account; returns the store and recovery key.

        Nothing is overwritten: an existing store or key file at ``path`` is refused. On any
        failure the half-made files are removed.
        """
        store_kind = StoreKind(store_kind)  # ValueError for an unknown kind
        if path.exists() or KeyFile.path_for(path).exists():
            raise StoreExists()
        # Left over from a store deleted by hand: they belong to no store now, and an old
        # audit anchor would read as this new store's log rolled back.
        for suffix in COMPANION_SUFFIXES:
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        registry = registry or default_registry()
        # One random key per key group and one for the store file itself (``system``).
        keyring = StoreKeys(system=keys.new_data_key(),
                            groups={g.name: keys.new_data_key() for g in key_groups(registry)})
        store_id = str(uuid.uuid4())
        try:
            conn = open_connection(path, keyring.system, privileged=True)
            try:
                migrate(conn, registry)
                conn.executemany(
                    "INSERT INTO meta (key, value) VALUES (?, ?)",
                    [
                        ("store_id", store_id),
                        ("store_kind", store_kind),
                        ("created_at", created_at.isoformat(timespec="seconds")),
                        ("format_version", str(registry.format_version)),
                    ],
                )
            finally:
                conn.close()
            keyfile = KeyFile.new(store_id, store_kind)
            keyfile.generations = {group: 1 for group in keyring.groups}
            # The first account (the project lead) holds every key.
            keyfile.add_account(login_id, password, n=scrypt_n)
            keyfile.grant(login_id, SYSTEM_GROUP, keyring.system)
            for group, key in keyring.groups.items():
                keyfile.grant(login_id, group, key)
            recovery_key = keys.new_recovery_key()
            keyfile.set_recovery(keyring, recovery_key)
            keyfile.save(path)
            held = keyfile.unlock(login_id, password)
            return cls._opened(path, keyfile, held, registry), recovery_key
        except BaseException:
            remove_store_files(path)
            raise

    @classmethod
    def open(
        cls, path: Path, login_id: str, password: str, *, registry: Registry | None = None
    ) -> Store:
        """Unlock with an account's password; wrong credentials and damage say so in Japanese.

        The account gets the system key and the keys of the groups granted to it, no more."""
        keyfile = cls.read_keyfile(path)
        held = keyfile.unlock(login_id, password)
        return cls._opened(path, keyfile, held, registry or default_registry())

    @classmethod
    def open_with_recovery_key(
        cls, path: Path, recovery_key: str, *, registry: Registry | None = None
    ) -> Store:
        keyfile = cls.read_keyfile(path)
        held = keyfile.unlock_with_recovery(recovery_key)
        return cls._opened(path, keyfile, held, registry or default_registry())

    @classmethod
    def _opened(cls, path: Path, keyfile: KeyFile, held: StoreKeys, registry: Registry) -> Store:
        """TRANSITIONAL until the merge with ``keyfiles``: one store file, opened with the
        system key; at the merge this becomes ``cls(path, keyfile, held, registry)``."""
        store = cls(path, keyfile, held.system, registry)
        store.keys = held
        return store

    @staticmethod
    def read_keyfile(path: Path) -> KeyFile:
        """What can be read before unlocking: store id, kind, demo accounts."""
        if not path.is_file():
            raise StoreNotFound()
        if path.stat().st_size == 0:  # (SQLite would take it for a new, empty database)
            raise CannotOpen("データベースのファイルが空です（0バイト）。"
                             "別の場所のファイルか、バックアップから復元したものを指定してください。")
        return KeyFile.load(path)

    # -- key management ----------------------------------------------------------------------

    def _update_keyfile(self, change: Callable[[KeyFile], None]) -> None:
        """Apply a change to the key file as it is on disk now (another session may have
        changed it since this store was opened) and save it atomically."""
        fresh = KeyFile.load(self.path)
        change(fresh)
        fresh.save(self.path)
        self.keyfile = fresh

    def add_account_keys(self, login_id: str, password: str, *, set_by: str | None = None,
                         scrypt_n: int | None = None) -> None:
        """A new key pair for the account holding only the system key (a new account, or a
        reset: every earlier grant is gone). ``set_by``: the administrator who chose the
        password (None: the account itself)."""
        n = scrypt_n if scrypt_n is not None else self.keyfile._typical_n()

        def change(keyfile: KeyFile) -> None:
            keyfile.add_account(login_id, password, n=n, set_by=set_by)
            keyfile.grant(login_id, SYSTEM_GROUP, self.keys.system)

        self._update_keyfile(change)

    def grant_groups(self, login_id: str, groups: Iterable[str]) -> tuple[str, ...]:
        """Seal the keys of ``groups`` to the account. Only keys this store's own account
        holds can be given: asking for another is refused (NotAHolder)."""
        wanted = tuple(sorted(set(groups)))
        missing = [g for g in wanted if g not in self.keys.groups]
        if missing:
            raise NotAHolder()

        def change(keyfile: KeyFile) -> None:
            for group in wanted:
                keyfile.grant(login_id, group, self.keys.groups[group])

        self._update_keyfile(change)
        return wanted

    def revoke_groups(self, login_id: str, groups: Iterable[str]) -> None:
        wanted = tuple(groups)

        def change(keyfile: KeyFile) -> None:
            for group in wanted:
                keyfile.revoke(login_id, group)

        self._update_keyfile(change)

    def remove_account_keys(self, login_id: str) -> None:
        """Drop the account's slot: its password opens nothing any more."""
        self._update_keyfile(lambda keyfile: keyfile.remove_account(login_id))

    def change_own_password(self, login_id: str, old: str, new: str) -> None:
        """The signed-in account's own change: a fresh key pair holding what it held."""
        result: list[StoreKeys] = []
        self._update_keyfile(lambda kf: result.append(kf.change_password(login_id, old, new)))
        self.keys = result[0]

    def rotate_group_key(self, group: str) -> int:
        """A new key for ``group``, sealed to every current holder (after a holder was
        removed); returns the new generation. Needs the old key: only a holder rotates."""
        if group not in self.keys.groups:
            raise NotAHolder()
        new_key = keys.new_data_key()
        generation = self.keyfile.generations.get(group, 1) + 1
        # TODO(merge with keyfiles): self.rewrite_group_file(group, new_key, generation)
        # here, before the key file switches (the save below is the switch point); after the
        # save, delete the old generation's file and reattach the group.

        def change(keyfile: KeyFile) -> None:
            keyfile.regrant_holders(group, new_key, generation)

        self._update_keyfile(change)
        self.keys = replace(self.keys, groups={**self.keys.groups, group: new_key})
        return generation

    def palm_template_key(self) -> bytes:
        """The key binding palm templates to their accounts: from the system key, which
        every account holds (sign-in needs it before any group key)."""
        return hmac.new(self.keys.system, b"toda-derive\x00palm-binding", hashlib.sha256).digest()

    def derived_key(self, purpose: str) -> bytes:
        """A key for one purpose (e.g. the audit chain), derived from the system key."""
        label = b"toda-derive\x00" + purpose.encode()
        return hmac.new(self._data_key, label, hashlib.sha256).digest()

    # -- health ------------------------------------------------------------------------------

    def size_bytes(self) -> int:
        total = 0
        for suffix in ("", "-wal"):
            candidate = self.path.with_name(self.path.name + suffix)
            if candidate.exists():
                total += candidate.stat().st_size
        return total

    def integrity_check(
        self, progress: Progress | None = None, cancel: CancelFlag | None = None
    ) -> IntegrityReport:
        """SQLCipher's page HMAC check, then SQLite's structural check."""
        checks = ("cipher_integrity_check", "quick_check")
        problems: list[str] = []
        for step, check in enumerate(checks):
            if cancel is not None and cancel():
                raise Cancelled()
            if progress is not None:
                progress(step / len(checks))
            rows = self.db.call(_pragma_rows(check))
            for (text,) in rows:
                if str(text) != "ok":
                    problems.append(f"{check}: {text}")
        if progress is not None:
            progress(1.0)
        return IntegrityReport(ok=not problems, problems=tuple(problems))

    def close(self) -> None:
        if self.closed:
            return
        self.db.close()
        self._data_key = b""
        self.keys = StoreKeys(system=b"")
        self.closed = True

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _pragma_rows(pragma: str) -> Callable[[Connection], list[tuple[object, ...]]]:
    """Rows of a check pragma; a page that cannot be read at all is itself a finding."""

    def run(conn: Connection) -> list[tuple[object, ...]]:
        try:
            return conn.execute(f"PRAGMA {pragma}").fetchall()
        except DatabaseError:
            return [("unreadable page",)]

    return run


def _read_meta(conn: Connection) -> dict[str, str]:
    return {str(k): str(v) for k, v in conn.execute("SELECT key, value FROM meta")}


def is_plain_sqlite_readable(path: Path) -> bool:
    """True if stock SQLite (no key) can read the file: used by checks that it cannot."""
    conn = sqlcipher3.connect(str(path))
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return True
    except DatabaseError:
        return False
    finally:
        conn.close()


__all__ = [
    "STORE_KINDS", "IntegrityReport", "Store", "is_plain_sqlite_readable", "remove_store_files"
]
