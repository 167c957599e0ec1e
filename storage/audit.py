"""The tamper-evident audit log: HMAC-chained rows plus a head anchored outside the store.

Each entry's MAC covers its fields and the previous entry's MAC, with a key derived from the
data key, so an edit, deletion, insertion or reordering breaks the chain at that entry. The
last id and MAC are also written to a file beside the store after every append, which catches
a truncation of the tail that the chain alone could not.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from storage.connection import Connection, transaction

GENESIS_MAC = "0" * 64
ANCHOR_SUFFIX = ".audit-head"


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str
    actor: str
    action: str
    outcome: str
    target: str | None
    pupil_id: int | None
    detail: str | None
    mac: str


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    entries: int
    first_bad_id: int | None
    reason: str  # Japanese, for the person running the check


def _mac(key: bytes, prev_mac: str, fields: tuple[Any, ...]) -> str:
    payload = json.dumps([prev_mac, *fields], ensure_ascii=False, separators=(",", ":"))
    return hmac.new(key, payload.encode("utf-8"), hashlib.sha256).hexdigest()


def _fields(row: tuple[Any, ...]) -> tuple[Any, ...]:
    # (id, at, actor, action, outcome, target, pupil_id, detail)
    return tuple(row[:8])


def anchor_path(store_path: Path) -> Path:
    return store_path.with_name(store_path.name + ANCHOR_SUFFIX)


def write_anchor(store_path: Path, last_id: int, last_mac: str) -> None:
    path = anchor_path(store_path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"last_id": last_id, "last_mac": last_mac}), encoding="utf-8")
    os.replace(tmp, path)


def read_anchor(store_path: Path) -> tuple[int, str] | None:
    try:
        raw = json.loads(anchor_path(store_path).read_text(encoding="utf-8"))
        return int(raw["last_id"]), str(raw["last_mac"])
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError):
        return (-1, "")


def append(
    conn: Connection,
    key: bytes,
    *,
    actor: str,
    action: str,
    outcome: str = "ok",
    target: str | None = None,
    pupil_id: int | None = None,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Append one entry inside its own transaction (commits on return)."""
    when = (at or datetime.now()).isoformat(timespec="seconds")
    detail_text = None if detail is None else json.dumps(detail, ensure_ascii=False, sort_keys=True)
    with transaction(conn):
        last = conn.execute("SELECT id, mac FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
        prev_mac = GENESIS_MAC if last is None else str(last[1])
        new_id = 1 if last is None else int(last[0]) + 1
        fields = (new_id, when, actor, action, outcome, target, pupil_id, detail_text)
        mac = _mac(key, prev_mac, fields)
        conn.execute(
            "INSERT INTO audit_log (id, at, actor, action, outcome, target, pupil_id, detail,"
            " prev_mac, mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*fields, prev_mac, mac),
        )
    return AuditEntry(new_id, when, actor, action, outcome, target, pupil_id, detail_text, mac)


def verify(conn: Connection, key: bytes, anchor: tuple[int, str] | None) -> ChainReport:
    """Walk the chain; name the first entry that does not verify."""
    prev_mac = GENESIS_MAC
    expected_id = 1
    count = 0
    last_id, last_mac = 0, GENESIS_MAC
    rows = conn.execute(
        "SELECT id, at, actor, action, outcome, target, pupil_id, detail, prev_mac, mac"
        " FROM audit_log ORDER BY id"
    )
    for row in rows:
        entry_id = int(row[0])
        if entry_id != expected_id:
            return ChainReport(False, count, expected_id, f"記録 {expected_id} が欠落しています。")
        if row[8] != prev_mac or not hmac.compare_digest(
            _mac(key, prev_mac, _fields(row)), str(row[9])
        ):
            return ChainReport(False, count, entry_id, f"記録 {entry_id} が改ざんされています。")
        prev_mac = str(row[9])
        last_id, last_mac = entry_id, prev_mac
        expected_id += 1
        count += 1
    if anchor is None:
        if count:
            return ChainReport(False, count, None, "監査ログの外部アンカーファイルがありません。")
    elif anchor[0] > last_id:
        reason = f"記録 {last_id + 1} 以降が削除されています（末尾の切り詰め）。"
        return ChainReport(False, count, last_id + 1, reason)
    elif anchor != (last_id, last_mac):
        return ChainReport(False, count, anchor[0], "外部アンカーと監査ログの末尾が一致しません。")
    return ChainReport(True, count, None, f"監査ログ {count} 件の改ざんは検出されませんでした。")


def query(
    conn: Connection,
    *,
    actor: str | None = None,
    action: str | None = None,
    pupil_id: int | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = 5000,
) -> list[AuditEntry]:
    """Entries matching every given filter, newest first."""
    where, params = [], []
    for column, value in (("actor", actor), ("action", action), ("pupil_id", pupil_id)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if since is not None:
        where.append("at >= ?")
        params.append(since)
    if until is not None:
        where.append("at < ?")
        params.append(until)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    rows = conn.execute(
        "SELECT id, at, actor, action, outcome, target, pupil_id, detail, mac FROM audit_log"
        f" {clause} ORDER BY id DESC LIMIT ?",
        (*params, limit),
    ).fetchall()
    return [AuditEntry(*row) for row in rows]
