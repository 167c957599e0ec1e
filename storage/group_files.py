"""The key groups' files beside a store: their names, owner-only creation, what lies beside.

A store ``X`` (the ``system`` group: accounts, audit log, import bookkeeping) has one SQLCipher
file per key group beside it, ``X.<group>.g<generation>``, encrypted under that group's key
(issue 12). The generation changes when the group's key is rotated: the new file is written
under the new key beside the old one, and the key file says which generation is in use.

Every file the store creates is owner-only (0600): created empty with that mode before SQLite
opens it, so that SQLite's WAL and shared-memory files, which copy the database file's mode,
are owner-only too. A file found wider (a store made by an earlier version) is narrowed at open.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from pathlib import Path

from storage.key_groups import KeyGroup, key_groups
from storage.registry import Registry

OWNER_ONLY = 0o600
# SQLite attaches at most 10 files to a connection (SQLITE_MAX_ATTACHED, fixed when the
# library is compiled; the sqlcipher3 build has 10), and the map has 11 key groups. So the
# groups are split over two "lanes", each a connection to the store file with its own group
# files attached: the main lane holds every pupil group; the school lane holds 学校
# (school-level context and questionnaires, no pupil), which nothing joins with pupil tables
# in SQL. Every group, school included, has its own file under its own key (issue 12). The
# research projects' keys (issue 13) join it: they are read on their own, never joined.
SCHOOL_LANE_GROUPS = frozenset({"school", "research", "audit_reader"})
MAX_ATTACHED = 10
# SQLite's files beside a database file.
SQLITE_SUFFIXES = ("-wal", "-shm", "-journal")
_GROUP_FILE = re.compile(
    r"^(?P<store>.+)\.(?P<group>[a-z][a-z0-9_]*(?:-[a-z0-9_]+)*)\.g(?P<gen>[1-9][0-9]*)"
    r"(?P<sqlite>-wal|-shm|-journal)?$"
)


def file_groups(registry: Registry) -> tuple[KeyGroup, ...]:
    """The key groups with their own file: every group of the registry."""
    return key_groups(registry)


def lane_groups(registry: Registry) -> tuple[tuple[KeyGroup, ...], ...]:
    """The groups of each lane, the main lane first; empty lanes left out. Each lane fits
    SQLite's limit on attached files."""
    groups = key_groups(registry)
    lanes = tuple(lane for lane in (
        tuple(g for g in groups if g.name not in SCHOOL_LANE_GROUPS),
        tuple(g for g in groups if g.name in SCHOOL_LANE_GROUPS),
    ) if lane)
    if any(len(lane) > MAX_ATTACHED for lane in lanes):
        raise ValueError("more key groups in one lane than SQLite can attach")
    return lanes


def group_file_path(store_path: Path, group: str, generation: int = 1) -> Path:
    """``X.<group>.g<generation>`` beside the store ``X``."""
    if generation < 1:
        raise ValueError("a group file's generation starts at 1")
    return store_path.with_name(f"{store_path.name}.{group}.g{generation:d}")


def group_files_beside(store_path: Path) -> list[Path]:
    """Every group file of ``store_path`` present on disk (any group, any generation), with
    its SQLite companions."""
    found = []
    for candidate in store_path.parent.glob(f"{_glob_escape(store_path.name)}.*.g*"):
        match = _GROUP_FILE.match(candidate.name)
        if match is not None and match["store"] == store_path.name:
            found.append(candidate)
    return sorted(found)


def store_of_group_file(path: Path) -> Path | None:
    """The store a group file (or one of its SQLite companions) belongs to, by its name."""
    match = _GROUP_FILE.match(path.name)
    return None if match is None else path.with_name(match["store"])


def create_owner_only(path: Path) -> None:
    """Create ``path`` empty with mode 0600 (SQLite takes an empty file for a new database);
    an existing file is refused, never truncated."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY)
    os.close(fd)


def restrict_to_owner(path: Path) -> None:
    """Narrow an existing file (and its SQLite companions) to owner-only where the platform
    has POSIX modes; on Windows the folder's access list is what protects it."""
    if os.name == "nt":
        return
    for candidate in (path, *(path.with_name(path.name + s) for s in SQLITE_SUFFIXES)):
        try:
            mode = stat.S_IMODE(candidate.stat().st_mode)
        except FileNotFoundError:
            continue
        if mode & 0o077:
            # Best effort: a file owned by another account (a shared folder) cannot be
            # changed by this one, and that must not keep the store from opening.
            with contextlib.suppress(OSError):
                os.chmod(candidate, mode & 0o700)


def _glob_escape(name: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", name)
