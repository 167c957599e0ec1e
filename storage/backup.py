"""Encrypted, verified backups of a store and every file it needs, and restoring one.

SQLCipher disables SQLite's online backup API for encrypted databases, and a backup keeps
every file under its own key anyway, so the encrypted pages are copied as they are. A store
is several files (the store file, one per key group, the key file, the audit anchor and the
sign-in book beside it), and a writer commits to them one after another: every file's write
lock is held at once (no commit can be under way in any of them), and meanwhile each database
file and then its write-ahead log are copied byte for byte. That is one point in time: with
the write lock held nobody can append to, restart or truncate a log; a checkpoint running
beside may copy logged pages into the database file during the copy, but only pages whose
newest version is still in the log, which the copy replays in full when it is opened. Readers
are never blocked; writers wait only for the raw copy. Then each copy is opened with its key,
checkpointed into one plain file, and checked (:func:`check_file`).

A backup is a folder ``toda-backup-YYYYMMDD-HHMMSS-<store id>`` (nothing about a pupil in
the name), written under a staging name and renamed when it verified, owner-only, with a
``manifest.json`` (sizes, hashes, the audit head; no personal data). Every file stays under
its own key and the key file keeps its slots: a backup lets no one read more than the store.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import cast

import sqlcipher3

from kernel.progress import CancelFlag, Progress
from storage import audit
from storage.connection import (
    CACHE_KIB,
    Connection,
    DatabaseError,
    key_pragma,
    open_connection,
)
from storage.errors import Cancelled, StoreBusy, StoreError, StoreExists, StoreFull
from storage.group_files import (
    OWNER_ONLY,
    file_groups,
    group_file_path,
    group_files_beside,
)
from storage.key_groups import SYSTEM_GROUP, key_groups
from storage.keyring import StoreKeys
from storage.keys import KeyFile
from storage.registry import Registry

BACKUP_PREFIX = "toda-backup-"
STAGING_PREFIX = ".toda-backup-partial-"
RESTORE_STAGING_PREFIX = ".toda-restore-partial-"
MANIFEST = "manifest.json"
STORE_NAME = "store"  # the store file's name inside a backup (the office's name stays out)
SIGNIN_SUFFIX = ".signin"  # the sign-in book beside the store (toda_desktop.throttle)
DEFAULT_KEEP = 7
MANIFEST_FORMAT = 1
_NAME = re.compile(r"^toda-backup-(\d{8})-(\d{6})-([0-9a-f]{8})(?:-\d+)?$")
# How long to keep trying for the moment when no writer is committing (an import commits
# in chunks; between two chunks the locks are free).
LOCK_WAIT_S = 60.0
_LOCK_TRY_MS = 50
_STALE_STAGING_S = 6 * 3600
VERIFY_THREADS = 2  # the office PCs have two cores or more
SQLITE_CHECK = "quick_check"  # (why not integrity_check: see check_file)
COPIED = 0.4  # the progress reported when the copies are settled, before they are checked


class MissingGroupKeys(StoreError):
    """The account lacks some group keys: it could copy those files only as raw bytes, and
    a raw copy of a live WAL database cannot be proven consistent without a connection."""

    def __init__(self, groups: Sequence[str]) -> None:
        self.groups = tuple(groups)
        super().__init__("バックアップには、すべてのデータの鍵が必要です。")


class BackupFailed(StoreError):
    """A copy that did not verify; it was deleted."""


@dataclass(frozen=True)
class CopiedFile:
    name: str  # inside the backup
    group: str  # "system" or the key group's name
    generation: int
    size: int
    sha256: str


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    created_at: str  # ISO, the application's clock
    store_id: str
    store_kind: str
    size: int
    verified: bool
    audit_head_id: int
    created_by: str = ""
    files: tuple[CopiedFile, ...] = ()


@dataclass(frozen=True)
class _Source:
    group: str
    path: Path
    key: bytes
    generation: int
    name: str  # inside the backup


def backup_sources(store_path: Path, keyfile: KeyFile, registry: Registry,
                   keys: StoreKeys) -> list[_Source]:
    """The store file and every key group's file in use (by the key file's generations),
    listed from the registry's groups so that a group moving into its own file is included.
    Raises MissingGroupKeys when the account does not hold every group's key."""
    groups = file_groups(registry)
    missing = [g.name for g in key_groups(registry) if not keys.holds(g.name)]
    if missing:
        raise MissingGroupKeys(missing)
    sources = [_Source(SYSTEM_GROUP, store_path, keys.system, 1, STORE_NAME)]
    for group in groups:
        generation = int(keyfile.generations.get(group.name, 1))
        path = group_file_path(store_path, group.name, generation)
        sources.append(_Source(group.name, path, keys.groups[group.name], generation,
                               group_file_path(Path(STORE_NAME), group.name, generation).name))
    return sources


def backup_name(at: datetime, store_id: str) -> str:
    return f"{BACKUP_PREFIX}{at:%Y%m%d-%H%M%S}-{store_id.replace('-', '')[:8]}"


# -- taking the snapshots ---------------------------------------------------------------------


def _raw_connection(path: Path, key: bytes, *, read_only: bool) -> Connection:
    """A keyed connection to a file of the store or of a copy."""
    return open_connection(path, key, privileged=True, read_only=read_only)


@contextlib.contextmanager
def _all_write_locks(sources: Sequence[_Source], cancel: CancelFlag | None) -> Iterator[None]:
    """Hold a write lock on every file at once: then no commit is under way in any of them.

    Taken in order with a short wait each; when one is busy every lock held is released and
    the whole is tried again (a writer holding one file and waiting for another never
    waits on this), until ``LOCK_WAIT_S``."""
    lockers = [open_connection(s.path, s.key) for s in sources]
    try:
        for conn in lockers:
            conn.execute(f"PRAGMA busy_timeout = {_LOCK_TRY_MS:d}")
        deadline = time.monotonic() + LOCK_WAIT_S
        while True:
            held: list[Connection] = []
            try:
                for conn in lockers:
                    conn.execute("BEGIN IMMEDIATE")
                    held.append(conn)
                break
            except DatabaseError:
                for conn in held:
                    conn.execute("ROLLBACK")
                if cancel is not None and cancel():
                    raise Cancelled() from None
                if time.monotonic() > deadline:
                    raise StoreBusy("データベースへの書き込みが続いているため、バックアップを"
                                    "始められませんでした。取込などが終わってから、"
                                    "もう一度お試しください。") from None
                time.sleep(0.1)
        try:
            yield
        finally:
            for conn in held:
                conn.execute("ROLLBACK")
    finally:
        for conn in lockers:
            conn.close()


# -- creating ---------------------------------------------------------------------------------


def create_backup(
    store_path: Path, keys: StoreKeys, registry: Registry, destination: Path, *,
    now: datetime, created_by: str = "", keep: int = DEFAULT_KEEP,
    progress: Progress | None = None, cancel: CancelFlag | None = None,
    phases: dict[str, float] | None = None,
) -> BackupInfo:
    """Copy the store into a new verified backup folder under ``destination``; then delete
    this store's verified generations beyond the ``keep`` newest. Any failure (disk full,
    cancel, a copy that does not verify) removes the partial folder and leaves the store as
    it was; the error says so. ``phases`` receives each phase's seconds for the benchmark
    (``copy``: locks and raw copy, ``held``: of it, the locks held; ``settle``, ``fsync``,
    ``verify``: checks and hashes)."""
    if keep < 1:
        raise ValueError("at least one generation is kept")
    destination.mkdir(parents=True, exist_ok=True)
    _remove_stale_staging(destination)
    staging = destination / f"{STAGING_PREFIX}{secrets.token_hex(6)}"
    staging.mkdir(mode=0o700)
    try:
        info = _write_backup(store_path, keys, registry, staging, now, created_by,
                             progress, cancel, {} if phases is None else phases)
        final = _final_name(destination, now, info.store_id)
        os.rename(staging, final)
        _fsync_dir(destination)
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise _as_store_error(exc) from None
    info = BackupInfo(final, info.created_at, info.store_id, info.store_kind, info.size,
                      True, info.audit_head_id, created_by, info.files)
    prune(destination, info.store_id, keep, made=final)
    return info


def _write_backup(
    store_path: Path, keys: StoreKeys, registry: Registry, staging: Path, now: datetime,
    created_by: str, progress: Progress | None, cancel: CancelFlag | None,
    phases: dict[str, float],
) -> BackupInfo:
    keyfile = KeyFile.load(store_path)
    sources = backup_sources(store_path, keyfile, registry, keys)
    started = time.perf_counter()
    with RawCopy(_copy_pairs(sources, staging)) as copier, _all_write_locks(sources, cancel):
        held = time.perf_counter()
        # Beside the store, read while no commit can happen: the key file (which names
        # the generations copied), the sign-in book (no older than its copy inside).
        key_bytes = KeyFile.path_for(store_path).read_bytes()
        signin = store_path.with_name(store_path.name + SIGNIN_SUFFIX)
        signin_bytes = signin.read_bytes() if signin.exists() else None
        beside = audit.read_anchor_file(store_path)
        copier.run(cancel)
        phases["held"] = time.perf_counter() - held
    phases["copy"] = time.perf_counter() - started
    if progress is not None:
        progress(0.2)
    if cancel is not None and cancel():
        raise Cancelled()
    started = time.perf_counter()
    settle_copies([(staging / s.name, s.key) for s in sources], cancel)
    system = _raw_connection(staging / STORE_NAME, keys.system, read_only=True)
    try:
        head = audit.head(system)
        store_id = audit.store_id(system)
        kind_row = system.execute("SELECT value FROM meta WHERE key = 'store_kind'").fetchone()
    finally:
        system.close()
    _write_owner_only(staging / KeyFile.path_for(Path(STORE_NAME)).name, key_bytes)
    copied_keys = KeyFile.load(staging / STORE_NAME)
    if copied_keys.store_id != store_id or any(
            int(copied_keys.generations.get(s.group, 1)) != s.generation
            for s in sources[1:]):
        raise StoreBusy("データの鍵の更新と重なりました。もう一度お試しください。")
    if signin_bytes is not None:
        _write_owner_only(staging / (STORE_NAME + SIGNIN_SUFFIX), signin_bytes)
    # The anchor as the copy's chain ends, with the breaks noted beside the store.
    if head is not None:
        audit.write_anchor(staging / STORE_NAME, head[0], head[1], previous=beside)
    phases["settle"] = time.perf_counter() - started
    started = time.perf_counter()
    for source in sources:  # (settled with synchronous = OFF: made durable here, once)
        _fsync_file(staging / source.name)
    phases["fsync"] = time.perf_counter() - started
    if progress is not None:
        progress(COPIED)
    if cancel is not None and cancel():
        raise Cancelled()
    started = time.perf_counter()
    files = verify_folder(staging, {s.name: s.key for s in sources}, store_id,
                          progress=_scaled(progress, COPIED, 0.99), cancel=cancel)
    phases["verify"] = time.perf_counter() - started
    info = BackupInfo(staging, now.isoformat(timespec="seconds"), store_id,
                      "" if kind_row is None else str(kind_row[0]),
                      sum(f.size for f in files), True, 0 if head is None else head[0],
                      created_by, tuple(files))
    _write_manifest(staging, info, [(s.name, s.group, s.generation) for s in sources])
    if progress is not None:
        progress(1.0)
    return info


def _scaled(progress: Progress | None, low: float, high: float) -> Progress | None:
    if progress is None:
        return None
    return lambda fraction: progress(low + (high - low) * fraction)


# -- the raw copy and settling it -------------------------------------------------------------


def _copy_pairs(sources: Sequence[_Source], staging: Path) -> list[tuple[Path, Path]]:
    """Each database file, then its write-ahead log (the -shm index is not copied: the copy
    rebuilds it from the log)."""
    pairs: list[tuple[Path, Path]] = []
    for source in sources:
        target = staging / source.name
        pairs.append((source.path, target))
        pairs.append((_wal(source.path), _wal(target)))
    return pairs


def _wal(path: Path) -> Path:
    return path.with_name(path.name + "-wal")


# Run in a child process: on POSIX, closing any descriptor of a file drops every fcntl lock
# this process holds on it (SQLite's own included: https://www.sqlite.org/howtocorrupt.html
# section 2.2), so the database files are never opened and closed here beside live
# connections. It starts before the locks are taken and copies when told "go" (an end of
# input without it: nothing is copied). A missing -wal is skipped (nothing to replay).
_COPY_SCRIPT = """
import os, shutil, sys, time
if sys.stdin.readline().strip() != "go":
    sys.exit(4)
args = sys.argv[1:]
try:
    for source, target in zip(args[::2], args[1::2]):
        if source.endswith("-wal") and not os.path.exists(source):
            continue
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        for attempt in range(5):
            try:
                shutil.copyfile(source, target)
                break
            except PermissionError:
                if attempt == 4:
                    raise
                time.sleep(0.02)
except OSError as exc:
    sys.stderr.write(str(exc.errno or 0))
    sys.exit(3)
"""
# (PermissionError: on Windows a file over 1 GiB has SQLite's lock bytes inside; a connection
# opening at that moment holds one of them exclusively for an instant, and a read across it
# fails. The page there is never used, but the read is retried rather than skipped.)


class RawCopy(contextlib.AbstractContextManager["RawCopy"]):
    """Copies files byte for byte into new owner-only files, in a child process started
    ahead (see above) so that the locks are held only while bytes are copied."""

    def __init__(self, pairs: Sequence[tuple[Path, Path]]) -> None:
        argv = [sys.executable, "-I", "-S", "-c", _COPY_SCRIPT]
        for source, target in pairs:
            argv += [str(source), str(target)]
        # (argv: this interpreter, a fixed script, and the store's and staging files' paths)
        self._child = subprocess.Popen(  # noqa: S603
            argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def run(self, cancel: CancelFlag | None = None) -> None:
        """Copy now and wait; cancel stops it. A failure is the child's OSError (its errno:
        a full disk stays one)."""
        child = self._child
        assert child.stdin is not None and child.stderr is not None
        child.stdin.write(b"go\n")
        child.stdin.close()
        while True:
            try:
                child.wait(timeout=0.05)
                break
            except subprocess.TimeoutExpired:
                if cancel is not None and cancel():
                    raise Cancelled() from None
        err = child.stderr.read()  # (a few bytes at most)
        if child.returncode != 0:
            text = err.decode("ascii", "replace").strip()
            code = int(text) if text.isdigit() else errno.EIO
            raise OSError(code, os.strerror(code))

    def __exit__(self, *exc: object) -> None:
        child = self._child
        if child.returncode is None:  # (never told, cancelled or failed on the way)
            child.kill()
            child.wait()
        for stream in (child.stdin, child.stderr):
            if stream is not None:
                stream.close()


def raw_copy(pairs: Sequence[tuple[Path, Path]], cancel: CancelFlag | None = None) -> None:
    with RawCopy(pairs) as copier:
        copier.run(cancel)


def settle_copies(copies: Sequence[tuple[Path, bytes]], cancel: CancelFlag | None) -> None:
    """Open each raw copy with its key: SQLite rebuilds the log's index from the copied log
    (every valid frame up to the last commit), checkpoints it all into the copy and turns the
    copy into one plain database file (journal_mode DELETE removes the log)."""
    for path, key in copies:
        if cancel is not None and cancel():
            raise Cancelled()
        conn = cast(Connection, sqlcipher3.connect(str(path), isolation_level=None))
        try:
            conn.execute("PRAGMA cipher_log_level = NONE")
            conn.execute(key_pragma(key))
            conn.execute("PRAGMA synchronous = OFF")  # (fsynced once, afterwards)
            busy, log, done = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            mode = conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
        finally:
            conn.close()
        if busy != 0 or log != done or str(mode).lower() != "delete" or _wal(path).exists():
            raise BackupFailed("バックアップのコピーを仕上げられませんでした。作りかけのものは"
                               "削除しました。データベースは変更していません。")


# -- verifying --------------------------------------------------------------------------------


def check_file(path: Path, key: bytes, check: str | None = None,
               cancel: CancelFlag | None = None) -> list[str]:
    """SQLCipher's page check (the HMAC of every page) and SQLite's check (``check``, by
    default :data:`SQLITE_CHECK`) on one copied file, opened read-only; what they found
    (page numbers and check names, never content).

    ``quick_check`` rather than ``integrity_check`` (a third of the time on the demo city):
    what a copy can get wrong is its bytes, and the HMAC, bound to the key and the page
    number, fails for any changed byte of any page; quick_check still walks every b-tree
    (page links, cell format, key order, free list, page count). What it skips, whether
    each index holds exactly its table's rows, cannot differ from the live store in a copy of
    the store's own pages at one commit; it is what the store's own check skips too
    (``Store.integrity_check``). ``integrity_check`` stays available by name."""
    conn = cast(Connection, sqlcipher3.connect(path.resolve().as_uri() + "?mode=ro", uri=True,
                                               isolation_level=None, check_same_thread=False))
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(key_pragma(key))
        conn.execute(f"PRAGMA cache_size = -{CACHE_KIB:d}")  # (each miss decrypts a page)
        if cancel is not None:
            conn.set_progress_handler(lambda: 1 if cancel() else 0, 20_000)
        problems = []
        for pragma in ("cipher_integrity_check", check or SQLITE_CHECK):
            for (text,) in conn.execute(f"PRAGMA {pragma}").fetchall():
                if str(text) != "ok":
                    problems.append(f"{path.name}: {pragma}: {text}")
        return problems
    except DatabaseError:
        return [f"{path.name}: unreadable"]
    finally:
        conn.close()


def verify_folder(folder: Path, keys_by_name: dict[str, bytes], store_id: str, *,
                  progress: Progress | None = None,
                  cancel: CancelFlag | None = None) -> list[CopiedFile]:
    """Open every copied file with its key and check it; the key file must be this store's
    and name the generations copied. Raises BackupFailed with what was found."""
    problems: list[str] = []
    try:
        keyfile = KeyFile.load(folder / STORE_NAME)
        if keyfile.store_id != store_id:
            problems.append("key file of another store")
    except StoreError:
        problems.append("key file unreadable")
    # Two files at a time (SQLite and hashlib leave the GIL), largest first; each file is
    # hashed for the manifest right after its check, while it is in the page cache.
    sizes = {n: (folder / n).stat().st_size for n in keys_by_name}
    names = sorted(keys_by_name, key=lambda n: -sizes[n])
    total, done = float(max(sum(sizes.values()), 1)), 0
    hashes: dict[str, str] = {}

    def check(name: str) -> list[str]:
        found = check_file(folder / name, keys_by_name[name], cancel=cancel)
        hashes[name] = _sha256(folder / name)
        return found

    with ThreadPoolExecutor(max_workers=VERIFY_THREADS, thread_name_prefix="toda-verify") as pool:
        for name, found in zip(names, pool.map(check, names), strict=True):
            problems.extend(found)
            done += sizes[name]
            if progress is not None:
                progress(done / total)
    if cancel is not None and cancel():
        raise Cancelled()
    files: list[CopiedFile] = []
    for name in keys_by_name:
        group, generation = _group_of(name)
        files.append(CopiedFile(name, group, generation, sizes[name], hashes[name]))
    for extra in (STORE_NAME + ".keys", STORE_NAME + audit.ANCHOR_SUFFIX,
                  STORE_NAME + SIGNIN_SUFFIX):
        path = folder / extra
        if path.exists():
            files.append(CopiedFile(extra, "", 0, path.stat().st_size, _sha256(path)))
    if problems:
        raise BackupFailed("バックアップの検証で異常が見つかったため、作成したバックアップを"
                           "削除しました。データベースは変更していません。整合性を検査してから、"
                           f"もう一度お試しください（{len(problems)}件）。")
    return files


def _group_of(name: str) -> tuple[str, int]:
    if name == STORE_NAME:
        return SYSTEM_GROUP, 1
    rest = name[len(STORE_NAME) + 1:]
    group, _, generation = rest.rpartition(".g")
    return group, int(generation)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


# -- the manifest, listing and pruning --------------------------------------------------------


def _write_manifest(folder: Path, info: BackupInfo,
                    databases: Sequence[tuple[str, str, int]]) -> None:
    data = {
        "format": MANIFEST_FORMAT, "store_id": info.store_id, "store_kind": info.store_kind,
        "created_at": info.created_at, "created_by": info.created_by,
        "audit_head_id": info.audit_head_id, "verified": True,
        "databases": [{"name": n, "group": g, "generation": gen} for n, g, gen in databases],
        "files": [{"name": f.name, "bytes": f.size, "sha256": f.sha256} for f in info.files],
    }
    _write_owner_only(folder / MANIFEST, json.dumps(data, ensure_ascii=False, indent=1).encode())


def read_manifest(folder: Path) -> BackupInfo:
    """The backup's manifest; BackupFailed when it is missing or not one of ours."""
    try:
        raw = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        files = tuple(CopiedFile(str(f["name"]), "", 0, int(f["bytes"]), str(f["sha256"]))
                      for f in raw["files"])
        databases = {str(d["name"]): (str(d["group"]), int(d["generation"]))
                     for d in raw["databases"]}
        files = tuple(CopiedFile(f.name, *databases.get(f.name, ("", 0)), f.size, f.sha256)
                      for f in files)
        return BackupInfo(folder, str(raw["created_at"]), str(raw["store_id"]),
                          str(raw["store_kind"]), sum(f.size for f in files),
                          raw.get("verified") is True, int(raw["audit_head_id"]),
                          str(raw.get("created_by", "")), files)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BackupFailed(f"「{folder.name}」はこのアプリのバックアップではないか、"
                           "壊れています。") from exc


def list_backups(destination: Path, store_id: str | None = None) -> list[BackupInfo]:
    """The backups in ``destination`` (of one store, if given), newest first; a folder whose
    manifest cannot be read is listed as not verified."""
    found: list[BackupInfo] = []
    if not destination.is_dir():
        return found
    for folder in destination.iterdir():
        if not folder.is_dir() or _NAME.match(folder.name) is None:
            continue
        try:
            info = read_manifest(folder)
        except BackupFailed:
            info = BackupInfo(folder, "", "", "", _folder_size(folder), False, 0)
        if store_id is None or info.store_id in (store_id, ""):
            found.append(info)
    return sorted(found, key=lambda i: (i.created_at, i.path.name), reverse=True)


def prune(destination: Path, store_id: str, keep: int, made: Path | None = None) -> list[Path]:
    """Delete this store's verified backups beyond the ``keep`` newest; returns them.
    ``made``: the one just made, kept whatever its time (a clock set back)."""
    verified = [b for b in list_backups(destination, store_id)
                if b.verified and b.store_id == store_id]
    verified.sort(key=lambda b: b.path != made)  # (stable: newest first otherwise)
    removed = [b.path for b in verified[keep:]]
    for path in removed:
        shutil.rmtree(path, ignore_errors=True)
    return removed


def _folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file())


def _remove_stale_staging(destination: Path) -> None:
    """Staging folders left by a process that stopped (older than a few hours: a backup
    running now in another session is left alone)."""
    now = time.time()
    for folder in destination.glob(f"{STAGING_PREFIX}*"):
        with contextlib.suppress(OSError):
            if now - folder.stat().st_mtime > _STALE_STAGING_S:
                shutil.rmtree(folder, ignore_errors=True)


def _final_name(destination: Path, at: datetime, store_id: str) -> Path:
    base = backup_name(at, store_id)
    candidate, n = destination / base, 2
    while candidate.exists():
        candidate, n = destination / f"{base}-{n}", n + 1
    return candidate


# -- restoring --------------------------------------------------------------------------------


def check_backup_files(backup: Path) -> BackupInfo:
    """The manifest of a verified backup whose files are all there at their sizes (their
    hashes are compared while they are copied)."""
    info = read_manifest(backup)
    if not info.verified:
        raise BackupFailed("このバックアップは検証が済んでいないため、復元に使えません。")
    for f in info.files:
        path = backup / f.name
        if not path.is_file() or path.stat().st_size != f.size:
            raise _changed(f.name)
    return info


def _changed(name: str) -> BackupFailed:
    return BackupFailed(f"バックアップのファイル「{name}」が見つからないか、作成後に変更されて"
                        "います。別の世代から復元してください。")


def restore_target_free(target: Path) -> None:
    """Refuse a target that is, or lies beside, any store: a restore never writes over one."""
    taken = [target, KeyFile.path_for(target), audit.anchor_path(target),
             target.with_name(target.name + SIGNIN_SUFFIX), *group_files_beside(target)]
    if any(p.exists() for p in taken):
        raise StoreExists("復元先には既にデータベースがあります。使用中のデータベースの上に"
                          "復元することはできません。新しい場所を指定してください。")


def stage_restore(backup: Path, target: Path) -> tuple[BackupInfo, Path]:
    """Copy a checked backup into a staging folder beside ``target``, with the target's
    name (so the store opens there as it will at ``target``); returns the staged store
    path. :func:`finish_restore` moves it into place."""
    restore_target_free(target)
    info = check_backup_files(backup)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f"{RESTORE_STAGING_PREFIX}{secrets.token_hex(6)}"
    staging.mkdir(mode=0o700)
    staged = staging / target.name
    try:
        for f in info.files:  # each hashed as it is copied: what is restored is what verified
            name = target.name + f.name[len(STORE_NAME):]
            if _copy_hashing(backup / f.name, staging / name) != f.sha256:
                raise _changed(f.name)
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise _as_store_error(exc) from None
    return info, staged


def finish_restore(staged: Path, target: Path) -> None:
    """Move the staged files into place, the key file last: until it is there, nothing at
    ``target`` looks like a store."""
    restore_target_free(target)
    key_name = KeyFile.path_for(staged).name
    names = sorted((p.name for p in staged.parent.iterdir()), key=lambda n: n == key_name)
    for name in names:
        if name.endswith((".lock", ".tmp")):
            continue
        os.rename(staged.parent / name, target.parent / (target.name + name[len(staged.name):]))
    _fsync_dir(target.parent)
    shutil.rmtree(staged.parent, ignore_errors=True)


def abandon_restore(staged: Path) -> None:
    shutil.rmtree(staged.parent, ignore_errors=True)


# -- files ------------------------------------------------------------------------------------


def _write_owner_only(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy_hashing(source: Path, target: Path) -> str:
    """Copy to a new owner-only file, durably; the SHA-256 of what was written."""
    digest = hashlib.sha256()
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY)
    try:
        with source.open("rb") as src:
            while chunk := src.read(1 << 20):
                digest.update(chunk)
                view = memoryview(chunk)
                while view:
                    view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)
    return digest.hexdigest()


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDWR)  # (Windows flushes only a handle open for writing)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    if os.name == "nt":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _as_store_error(exc: BaseException) -> BaseException:
    """Disk full and other file failures in words; the partial copy is gone already."""
    if isinstance(exc, StoreError):
        if isinstance(exc, Cancelled):
            return Cancelled("バックアップを中止しました。作りかけのものは削除しました。"
                             "データベースは変更していません。")
        return exc
    if (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or (
            isinstance(exc, DatabaseError) and "full" in str(exc).lower()):
        return StoreFull("保存先の空き容量が不足したため、バックアップを作成できませんでした。"
                         "作りかけのものは削除しました。データベースは変更していません。")
    if isinstance(exc, OSError):
        return StoreError("バックアップを保存先に書き込めませんでした。場所と権限を確認して"
                          "ください。作りかけのものは削除しました。")
    if isinstance(exc, DatabaseError):
        return StoreError("バックアップを作成できませんでした。作りかけのものは削除しました。"
                          "データベースは変更していません。")
    return exc

