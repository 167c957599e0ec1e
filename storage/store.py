"""Creating and opening the encrypted store: the key file, the keys, the database thread.

A ``Store`` is what the services hold after a successful unlock. Since store format 2 (issue
12) it is the store file (key group ``system``: accounts, audit log, import bookkeeping; no
pupil data) and one SQLCipher file per key group beside it (``storage.group_files``), each
under its own key; the store attaches the files of the groups whose keys the account holds
(``StoreKeys``), so a table of a group it does not hold is simply not there. The keys stay in
memory only as long as the store is open and are never written anywhere in the clear.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import os
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import sqlcipher3

from kernel.file_lock import exclusive_lock
from kernel.progress import CancelFlag, Progress
from kernel.store_kind import StoreKind
from storage import keys
from storage.connection import Attachment, Connection, DatabaseError, open_connection
from storage.database import Database, Lane
from storage.errors import (
    Cancelled,
    CannotOpen,
    GroupFileMissing,
    KeyFileDamaged,
    KeysRenewed,
    NotAHolder,
    StoreError,
    StoreExists,
    StoreNotFound,
)
from storage.group_files import (
    SQLITE_SUFFIXES,
    create_owner_only,
    file_groups,
    group_file_path,
    group_files_beside,
    lane_groups,
    restrict_to_owner,
    store_of_group_file,
)
from storage.group_move import move_group_out, tables_in_store_file
from storage.kept_results import create_stale_triggers
from storage.key_groups import SYSTEM_GROUP, KeyGroup, key_groups
from storage.keyring import StoreKeys
from storage.keys import DEFAULT_SCRYPT_N, KeyFile
from storage.registry import Registry, default_registry
from storage.schema import STORE_FORMAT, check_store_format, migrate, migrate_group

STORE_KINDS = tuple(StoreKind)


@dataclass(frozen=True)
class IntegrityReport:
    ok: bool
    problems: tuple[str, ...]  # page numbers and check names only; never row content


# The files beside a store ``X``: ``X-wal`` … ``X.signin`` (the sign-in throttle book) and
# ``X.signin.lock`` (held while an attempt is counted), ``X.keys.lock`` (held while the key
# file changes).
COMPANION_SUFFIXES = ("-wal", "-shm", "-journal", ".keys", ".keys.tmp", ".audit-head",
                      ".audit-head.tmp", ".signin", ".signin.tmp", ".signin.lock", ".keys.lock")


def remove_store_files(path: Path) -> None:
    """Delete a store, its group files and companions; only for a store this process just
    failed to make (or a store deleted by hand whose leftovers belong to no store now)."""
    for suffix in ("", *COMPANION_SUFFIXES):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    for group_file in group_files_beside(path):
        group_file.unlink(missing_ok=True)


def is_store_file(path: Path) -> bool:
    """Whether ``path`` is a store (its key file lies beside it), one of its group files or
    a companion; writing an export over one would destroy the database or its keys."""
    resolved = path.resolve()
    name = resolved.name.casefold()  # Windows and macOS drives ignore case in names
    candidates = [resolved] + [
        resolved.with_name(resolved.name[: -len(s)])
        for s in COMPANION_SUFFIXES if name.endswith(s) and len(name) > len(s)
    ]
    of_group = store_of_group_file(resolved) or store_of_group_file(
        resolved.with_name(resolved.name.lower()))
    if of_group is not None:
        candidates.append(of_group)
    return any(c.with_name(c.name + ".keys").exists() for c in candidates)


def _generation(keyfile: KeyFile, group: str) -> int:
    """The group file's generation the key file names (1 before any rotation)."""
    generations: Mapping[str, int] = getattr(keyfile, "generations", None) or {}
    return int(generations.get(group, 1))


def create_group_files(
    path: Path, keys: StoreKeys, registry: Registry, generations: Mapping[str, int] | None = None
) -> list[Path]:
    """Create every key group's file beside the new store ``path`` (owner-only), each under
    its group's key, and bring it to this code's schema. Needs every group's key: only the
    store's creator holds them all. The store file must exist (it is migrated already)."""
    generations = generations or {}
    made: list[Path] = []
    for lane in lane_groups(registry):  # (one connection attaches at most one lane's files)
        attachments: list[tuple[KeyGroup, Attachment]] = []
        for group in lane:
            file = group_file_path(path, group.name, int(generations.get(group.name, 1)))
            create_owner_only(file)
            made.append(file)
            attachments.append((group, Attachment(group.schema, file, keys.groups[group.name])))
        conn = open_connection(path, keys.system, privileged=True,
                               attach=[a for _, a in attachments])
        try:
            for group, attachment in attachments:
                migrate_group(conn, registry, attachment.schema, group)
        finally:
            conn.close()
    return made


class Store:
    """An unlocked store. Build with ``Store.create`` or ``Store.open``. ``keys``: what the
    unlocking account holds (system key, granted group keys, its signing seed)."""

    keys: StoreKeys

    def __init__(
        self, path: Path, keyfile: KeyFile, keys: StoreKeys, registry: Registry
    ) -> None:
        self.path = path
        self.keyfile = keyfile
        self.registry = registry
        self.keys = keys
        # The generation of each held key as this session unlocked it (see require_current_keys).
        self.key_generations = {g: _generation(keyfile, g) for g in keys.groups}
        self._disk_generations: tuple[tuple[int, int, int], dict[str, int]] | None = None
        self.closed = False
        # The groups whose keys the account holds: their files are attached, each on its
        # lane (``storage.group_files.lane_groups``).
        self.held_groups: tuple[KeyGroup, ...] = tuple(
            g for g in file_groups(registry) if keys.holds(g.name))
        restrict_to_owner(path)
        self._move_out_of_store_file(missing_only=True)
        self.db, meta = self._open_database()
        if meta.get("store_id") != keyfile.store_id or meta.get("store_kind") != keyfile.store_kind:
            self.db.close()
            raise KeyFileDamaged("鍵ファイルがこのデータベースのものではありません。")
        self.store_kind = StoreKind(meta["store_kind"])
        self.created_at = meta.get("created_at", "")
        # Only now that the named generation opened with its key: the other is a leftover.
        _remove_leftover_generations(
            path, {g.name: _generation(keyfile, g.name) for g in self.held_groups})

    def _open_database(self, *, again: bool = True) -> tuple[Database, dict[str, str]]:
        """The writer and readers, one connection per lane, and the store's meta; once the
        store's format is checked, every lane's files are migrated."""
        db = Database(self.path, self.keys.system, lanes=self._attachments())
        try:
            meta, leftover = db.call(self._read_meta_and_leftovers)
            if leftover and again:  # a move that stopped before the store file let go
                db.close()
                self._move_out_of_store_file(missing_only=False)
                return self._open_database(again=False)
            for lane in self._lane_held():
                held = [(g.schema, g) for g in lane]
                kind = lane[0].lane_key if lane else None
                db.call(functools.partial(_migrate_lane, registry=self.registry, held=held),
                        kind=kind)
            db.call(create_stale_triggers)
        except BaseException:
            db.close()
            raise
        return db, meta

    def _lane_held(self) -> list[tuple[KeyGroup, ...]]:
        """The held groups of each lane, the main lane first (an empty main lane kept)."""
        held = {g.name for g in self.held_groups}
        lanes = [tuple(g for g in lane if g.name in held) for lane in lane_groups(self.registry)]
        return [lanes[0], *(lane for lane in lanes[1:] if lane)]

    def _read_meta_and_leftovers(self, conn: Connection) -> tuple[dict[str, str], bool]:
        meta = _read_meta_checked(conn)
        leftover = any(tables_in_store_file(conn, self.registry, g) for g in self.held_groups)
        return meta, leftover

    def _move_out_of_store_file(self, *, missing_only: bool) -> None:
        """Move a held group's tables still kept in the store file (a store made before the
        school lane) into the group's own file (``storage.group_move``). ``missing_only``:
        only for groups whose file is not there yet (the usual open: nothing to do)."""
        for group in self.held_groups:
            file = group_file_path(self.path, group.name, _generation(self.keyfile, group.name))
            if missing_only and file.is_file():
                continue
            conn = open_connection(self.path, self.keys.system, privileged=True)
            try:
                check_store_format(conn)  # a format-1 store is refused, never half-moved
                waiting = tables_in_store_file(conn, self.registry, group)
            finally:
                conn.close()
            if waiting:
                move_group_out(self.path, self.keys.system, self.registry, group,
                               self.keys.groups[group.name], file)

    def _attachments(self) -> list[Lane]:
        """The held groups' files (owner-only) with their keys, lane by lane; a missing one
        is refused, after telling a format-1 store (no group files at all) by its own
        message."""
        out: list[Lane] = []
        for lane in self._lane_held():
            attach: list[Attachment] = []
            for group in lane:
                generation = _generation(self.keyfile, group.name)
                file = group_file_path(self.path, group.name, generation)
                if not file.is_file():
                    self._refuse_missing()
                restrict_to_owner(file)
                attach.append(Attachment(group.schema, file, self.keys.groups[group.name]))
            out.append(Lane(tuple(attach), frozenset(k for g in lane
                                                     for k in (*g.kinds, g.lane_key))))
        return out

    def _refuse_missing(self) -> None:
        with Database(self.path, self.keys.system, readers=0) as db:
            db.call(check_store_format)  # OldStoreFormat for a store of format 1
        raise GroupFileMissing()

    @property
    def held_kinds(self) -> frozenset[str]:
        """The dataset kinds whose tables this account can read: those of the held groups'
        files."""
        return frozenset(k for g in self.held_groups for k in g.kinds)

    def group_files(self) -> list[Path]:
        """The files of the held groups, as attached."""
        return [group_file_path(self.path, g.name, _generation(self.keyfile, g.name))
                for g in self.held_groups]

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
        for leftover in group_files_beside(path):
            leftover.unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        registry = registry or default_registry()
        # One random key per key group and one for the store file itself (``system``).
        keyring = StoreKeys(system=keys.new_data_key(),
                            groups={g.name: keys.new_data_key() for g in key_groups(registry)})
        store_id = str(uuid.uuid4())
        try:
            create_owner_only(path)
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
                        ("store_format", str(STORE_FORMAT)),
                    ],
                )
            finally:
                conn.close()
            generations = {group: 1 for group in keyring.groups}
            create_group_files(path, keyring, registry, generations)
            keyfile = KeyFile.new(store_id, store_kind)
            keyfile.generations = generations
            # The first account (the project lead) holds every key.
            keyfile.add_account(login_id, password, n=scrypt_n)
            keyfile.grant(login_id, SYSTEM_GROUP, keyring.system)
            for group, key in keyring.groups.items():
                keyfile.grant(login_id, group, key)
            recovery_key = keys.new_recovery_key()
            keyfile.set_recovery(keyring, recovery_key)
            keyfile.save(path)
            held = keyfile.unlock(login_id, password)
            return cls(path, keyfile, held, registry), recovery_key
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
        return cls(path, keyfile, held, registry or default_registry())

    @classmethod
    def open_with_recovery_key(
        cls, path: Path, recovery_key: str, *, registry: Registry | None = None
    ) -> Store:
        keyfile = cls.read_keyfile(path)
        held = keyfile.unlock_with_recovery(recovery_key)
        return cls(path, keyfile, held, registry or default_registry())

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
        changed it since this store was opened) and save it atomically. Refused when another
        session renewed a key this one holds: its keys are the old ones. Under the key file's
        lock, so that two changes (a rotation's and a grant's) cannot start from the same
        content and one undo the other."""
        with exclusive_lock(KeyFile.path_for(self.path).with_name(
                KeyFile.path_for(self.path).name + ".lock")):
            fresh = KeyFile.load(self.path)
            if _renewed(fresh.generations, self.key_generations):
                raise KeysRenewed()
            change(fresh)
            fresh.save(self.path)
        self.keyfile = fresh

    def keys_renewed_elsewhere(self) -> bool:
        """Whether the key file on disk names another generation of a key this session holds
        (another session rotated it since this one unlocked). Cheap enough for every call:
        the key file is read again only when its size, time or inode changed."""
        try:
            info = KeyFile.path_for(self.path).stat()
        except OSError:
            return False  # (a missing key file is reported by whatever needs it)
        stamp = (info.st_mtime_ns, info.st_size, info.st_ino)
        known = self._disk_generations
        if known is None or known[0] != stamp:
            try:
                on_disk = dict(KeyFile.load(self.path).generations)
            except StoreError:
                return False  # (a damaged key file is reported by whatever needs it)
            known = self._disk_generations = (stamp, on_disk)
        return _renewed(known[1], self.key_generations)

    def require_current_keys(self) -> None:
        """Raise KeysRenewed when another session rotated a key this one holds."""
        if self.keys_renewed_elsewhere():
            raise KeysRenewed()

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

    def add_key_group(self, group: str, holders: Iterable[str]) -> bool:
        """Make a key group this store does not have yet (one a later version added, such as
        ``research``): a new random key, its file (owner-only, migrated, made durable before
        the key file names it), the key sealed to ``holders`` (this account among them) and
        the recovery identity; attached here at once. Under the key file's lock: False when
        another session made it first (then a holder gives it as any key). A leftover file
        of a creation that died before the key file's save is replaced."""
        chosen = next((g for g in file_groups(self.registry) if g.name == group), None)
        if chosen is None:
            raise KeyError(group)
        new_key = keys.new_data_key()
        wanted = tuple(dict.fromkeys(holders))
        made: list[bool] = []

        def change(keyfile: KeyFile) -> None:
            if keyfile.holder_slots(group):
                return  # (another session made it meanwhile)
            file = group_file_path(self.path, group, 1)
            for suffix in ("", *SQLITE_SUFFIXES):
                file.with_name(file.name + suffix).unlink(missing_ok=True)
            create_owner_only(file)
            conn = open_connection(self.path, self.keys.system, privileged=True,
                                   attach=[Attachment(chosen.schema, file, new_key)])
            try:
                migrate_group(conn, self.registry, chosen.schema, chosen)
            finally:
                conn.close()
            _sync_to_disk(file)
            keyfile.generations[group] = 1
            for login_id in wanted:
                keyfile.grant(login_id, group, new_key)
            keyfile.grant_recovery(group, new_key)
            made.append(True)

        self._update_keyfile(change)
        if not made:
            return False
        self.keys = replace(self.keys, groups={**self.keys.groups, group: new_key})
        self.key_generations[group] = 1
        self.held_groups = tuple(g for g in file_groups(self.registry)
                                 if self.keys.holds(g.name))
        self.db.reattach(self.keys.system, self._attachments())
        self.db.call(create_stale_triggers)  # TEMP triggers live with the connection
        return True

    def rotate_group_key(self, group: str) -> int:
        """A new key for ``group``, sealed to every current holder (and the recovery key);
        returns the new generation. Needs the old key: only a holder rotates. SQLCipher's
        rekey is not used (it is not crash-atomic and does not run in WAL mode).

        On the writer's thread, so that no write of this process falls between; other
        processes' writes to the group's file wait meanwhile (a write lock is held on it).
        The steps, each leaving a usable store if the process dies there:

        1. the group's file is written anew under the new key as the next generation, and
           made durable (fsync of the file and its folder) — the key file still names the
           old one, so the old file stays in use and the new one is a leftover;
        2. the key file's atomic save names the new generation (the switch point);
        3. this store's connections attach the new file;
        4. the old generation's files are deleted (any left are deleted at the next open).

        Other sessions still holding the old key are refused from then on and asked to sign
        in again (``require_current_keys``)."""
        if group not in self.keys.groups:
            raise NotAHolder()
        self.require_current_keys()
        new_key = keys.new_data_key()
        generation = self.key_generations.get(group, 1) + 1
        has_file = any(g.name == group for g in self.held_groups)

        def regrant(keyfile: KeyFile) -> None:
            keyfile.regrant_holders(group, new_key, generation)

        def switch(_conn: Connection) -> None:
            if not has_file:
                self._update_keyfile(regrant)
                return
            with self._writes_held(group):
                target = self.rewrite_group_file(group, new_key, generation)
                _sync_to_disk(target)
                self._update_keyfile(regrant)

        self.db.call(switch)
        self.keys = replace(self.keys, groups={**self.keys.groups, group: new_key})
        self.key_generations[group] = generation
        if has_file:
            self.db.reattach(self.keys.system, self._attachments())
            self.db.call(create_stale_triggers)  # TEMP triggers live with the connection
            _remove_other_generations(self.path, group, generation)
        return generation

    @contextlib.contextmanager
    def _writes_held(self, group: str) -> Iterator[None]:
        """Hold the write lock of the group's file in use (others still read it): a write
        by another process cannot land in it between the copy and the switch. After the
        switch the old file is closed to writes for good (``_refuse_writes``) before the lock
        is let go: a write that was waiting for it fails instead of being lost there."""
        current = group_file_path(self.path, group, self.key_generations[group])
        conn = open_connection(current, self.keys.groups[group])
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            try:
                _refuse_writes(conn)
                conn.execute("COMMIT")
            except DatabaseError:  # (best effort: the switch itself has happened)
                with contextlib.suppress(DatabaseError):
                    conn.execute("ROLLBACK")
        finally:
            conn.close()

    def palm_template_key(self) -> bytes:
        """The key binding palm templates to their accounts: from the system key, which
        every account holds (sign-in needs it before any group key)."""
        return hmac.new(self.keys.system, b"toda-derive\x00palm-binding", hashlib.sha256).digest()

    def derived_key(self, purpose: str) -> bytes:
        """A key for one purpose (e.g. the audit chain), derived from the system key."""
        label = b"toda-derive\x00" + purpose.encode()
        return hmac.new(self.keys.system, label, hashlib.sha256).digest()

    # -- health ------------------------------------------------------------------------------

    def size_bytes(self) -> int:
        """The store file, the held groups' files and their write-ahead logs."""
        total = 0
        for file in (self.path, *self.group_files()):
            for suffix in ("", "-wal"):
                candidate = file.with_name(file.name + suffix)
                if candidate.exists():
                    total += candidate.stat().st_size
        return total

    def rewrite_group_file(self, group: str, new_key: bytes, generation: int) -> Path:
        """Write the held ``group``'s file again under ``new_key`` as ``generation`` (key
        rotation), beside the one in use, owner-only. It does not switch: the caller makes it
        durable and saves the key file naming the new generation; until then it is a
        leftover that the next open removes. Needs the group's current key (held)."""
        chosen = next((g for g in self.held_groups if g.name == group), None)
        if chosen is None:
            raise KeyError(group)
        current = group_file_path(self.path, group, self.key_generations[group])
        target = group_file_path(self.path, group, generation)
        if target == current:
            raise ValueError("the new generation must differ from the one in use")
        for suffix in ("", *SQLITE_SUFFIXES):  # a leftover of a rotation that died
            target.with_name(target.name + suffix).unlink(missing_ok=True)
        create_owner_only(target)
        try:
            conn = open_connection(self.path, self.keys.system, privileged=True, attach=[
                Attachment(chosen.schema, current, self.keys.groups[group]),
                Attachment("g_rewrite", target, new_key)])
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        try:
            conn.execute(f"SELECT sqlcipher_export('g_rewrite', '{chosen.schema}')").fetchall()
            version = int(conn.execute(f"PRAGMA {chosen.schema}.user_version").fetchone()[0])
            conn.execute(f"PRAGMA g_rewrite.user_version = {version:d}")
        except BaseException:
            conn.close()
            for suffix in ("", *SQLITE_SUFFIXES):
                target.with_name(target.name + suffix).unlink(missing_ok=True)
            raise
        conn.close()  # the last connection: its write-ahead log is checkpointed into it
        return target

    def integrity_check(
        self, progress: Progress | None = None, cancel: CancelFlag | None = None
    ) -> IntegrityReport:
        """SQLCipher's page HMAC check, then SQLite's structural check."""
        # (schema, a kind of its lane): each file checked on the lane that attaches it
        schemas = [("main", None), *((g.schema, g.lane_key) for g in self.held_groups)]
        checks = [(schema, kind, check) for schema, kind in schemas
                  for check in ("cipher_integrity_check", "quick_check")]
        problems: list[str] = []
        for step, (schema, kind, check) in enumerate(checks):
            if cancel is not None and cancel():
                raise Cancelled()
            if progress is not None:
                progress(step / len(checks))
            rows = self.db.call(_pragma_rows(f"{schema}.{check}"), kind=kind)
            where = "" if schema == "main" else f"{schema}: "
            for (text,) in rows:
                if str(text) != "ok":
                    problems.append(f"{where}{check}: {text}")
        if progress is not None:
            progress(1.0)
        return IntegrityReport(ok=not problems, problems=tuple(problems))

    def close(self) -> None:
        if self.closed:
            return
        self.db.close()
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


def _migrate_lane(
    conn: Connection, *, registry: Registry, held: list[tuple[str, KeyGroup]]
) -> int:
    return migrate(conn, registry, held)


def _read_meta(conn: Connection) -> dict[str, str]:
    return {str(k): str(v) for k, v in conn.execute("SELECT key, value FROM meta")}


def _read_meta_checked(conn: Connection) -> dict[str, str]:
    check_store_format(conn)
    return _read_meta(conn)


def _renewed(on_disk: Mapping[str, int], held: Mapping[str, int]) -> bool:
    """Whether the key file names another generation of a key held at ``held``'s."""
    return any(int(on_disk.get(g, 1)) != n for g, n in held.items())


RENEWED_MARK = "toda: key renewed"  # the refusal's text (``connection.translate`` knows it)


def _refuse_writes(conn: Connection) -> None:
    """Triggers refusing every insert, update and delete in a replaced generation's file
    (its ordinary tables; the search index follows its table). Another session still
    attached to it sees the schema change and fails its write with ``KeysRenewed``."""
    tables = [str(row[1]) for row in conn.execute("PRAGMA main.table_list")
              if row[2] == "table" and not str(row[1]).startswith("sqlite_")]
    for number, table in enumerate(tables):
        for event in ("INSERT", "UPDATE", "DELETE"):
            conn.execute(
                f'CREATE TRIGGER IF NOT EXISTS "toda_renewed_{number}_{event.lower()}" '
                f'BEFORE {event} ON "{table}" '
                f"BEGIN SELECT RAISE(ABORT, '{RENEWED_MARK}'); END")


def _sync_to_disk(path: Path) -> None:
    """fsync the file and (POSIX) its folder: the new generation and its name survive a
    power cut before the key file names it."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    keys.sync_folder(path.parent)


def _remove_other_generations(path: Path, group: str, generation: int) -> None:
    """A leftover file of another generation of ``group`` (a rotation that switched, or one
    that did not) is removed once the key file's generation is there to be opened."""
    _remove_leftover_generations(path, {group: generation})


def _remove_leftover_generations(path: Path, generations: Mapping[str, int]) -> None:
    """``_remove_other_generations`` for several groups, looking at the folder once."""
    kept: set[str] = set()
    for group, generation in generations.items():
        keep = group_file_path(path, group, generation).name
        kept |= {keep, *(keep + s for s in SQLITE_SUFFIXES)}
    prefixes = tuple(f"{path.name}.{group}.g" for group in generations)
    if not prefixes:
        return
    for file in group_files_beside(path):
        if file.name.startswith(prefixes) and file.name not in kept:
            # Windows refuses to delete a file another session still has open: it is left
            # for a later open to remove (it is under a key no one is given any more).
            with contextlib.suppress(OSError):
                file.unlink(missing_ok=True)


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
    "STORE_KINDS", "IntegrityReport", "Store", "create_group_files", "is_plain_sqlite_readable",
    "remove_store_files",
]
