"""Copies of the audit chain's head in a folder the office keeps outside the store.

The anchor beside the store catches a store rolled back, but whoever can rewrite the store
can rewrite that file too. The office therefore names a folder elsewhere (a share on the IT
department's server where staff may add files but not change them, or a write-once
medium), and the head (last id and hash) is copied there at sign-out and at least daily.
Each copy is a new file, created once and never rewritten, so the folder can be
write-once; ``audit verify`` checks that every head copied there is still in the chain.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from storage.connection import Connection

ANCHOR_DIR_KEY = "audit_anchor_dir"  # meta: the folder set by an administrator
SET_ACTION = "audit_anchor_set"  # the signed entry that records the setting
UNREACHABLE_ACTION = "audit_anchor_unreachable"  # a copy that could not be written
_NAME = re.compile(r"head-(\d{12})-([0-9a-f]{16})\.json")


def named_folders(conn: Connection) -> list[Path]:
    """Every folder the log's signed settings have named, oldest first."""
    named: list[str] = []
    for (detail,) in conn.execute("SELECT detail FROM audit_log WHERE action = ?",
                                  (SET_ACTION,)):
        try:
            value = json.loads(str(detail)).get("dir")
        except (ValueError, AttributeError):
            continue
        if isinstance(value, str) and value:
            named.append(value)
    return [Path(n) for n in dict.fromkeys(named)]


def copies_dir(folder: Path, store_id: str) -> Path:
    """One folder per store, so that several stores may share the office's folder."""
    return folder / f"toda-audit-{store_id}"


def write_copy(folder: Path, store_id: str, last_id: int, last_hash: str, at: str) -> Path:
    """Create the copy for this head (owner-only, 0600); OSError if the folder cannot be
    reached. The configured folder itself must exist: a missing share is not created."""
    if not folder.is_dir():
        raise FileNotFoundError(str(folder))
    target = copies_dir(folder, store_id)
    target.mkdir(mode=0o700, exist_ok=True)
    path = target / f"head-{last_id:012d}-{last_hash[:16]}.json"
    text = json.dumps({"store_id": store_id, "last_id": last_id, "last_hash": last_hash,
                       "at": at}, ensure_ascii=False)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path  # this head was copied already (copies are never rewritten)
    try:
        os.write(fd, text.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return path


@dataclass(frozen=True)
class Copies:
    heads: tuple[tuple[int, str], ...]  # (last id, last hash) of every copy found
    problem: str | None = None  # Japanese: the folder could not be read, or a copy is damaged


def read_copies(folder: Path, store_id: str) -> Copies:
    """Every head copied to ``folder`` for this store."""
    where = copies_dir(folder, store_id)
    try:
        if not folder.is_dir():
            raise FileNotFoundError(str(folder))
        names = sorted(os.listdir(where)) if where.exists() else []
    except OSError:
        return Copies((), f"外部の控えの場所（{folder}）を読めないため、監査ログの末尾が"
                          "削除されていないかを確かめられませんでした。場所に接続できるか確認してください。")
    heads: list[tuple[int, str]] = []
    for name in names:
        match = _NAME.fullmatch(name)
        if match is None:
            continue
        try:
            raw = json.loads((where / name).read_text(encoding="utf-8"))
            head = (int(raw["last_id"]), str(raw["last_hash"]))
            ok = raw.get("store_id") == store_id and head[0] == int(match[1]) and head[
                1].startswith(match[2])
        except (OSError, ValueError, KeyError, TypeError):
            ok = False
        if not ok:
            return Copies(tuple(heads),
                          f"外部の控え（{name}）が壊れているか、書き換えられています。")
        heads.append(head)
    return Copies(tuple(heads))
