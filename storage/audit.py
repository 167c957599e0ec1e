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
import re
from collections.abc import Sequence
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
    pending_breaks: int = 0  # rollbacks/swaps found and not yet acknowledged by an admin
    first_break_at: str | None = None  # ISO time of the first of those (callers write it)


def _mac(key: bytes, prev_mac: str, fields: tuple[Any, ...]) -> str:
    payload = json.dumps([prev_mac, *fields], ensure_ascii=False, separators=(",", ":"))
    return hmac.new(key, payload.encode("utf-8"), hashlib.sha256).hexdigest()


def _fields(row: tuple[Any, ...]) -> tuple[Any, ...]:
    # (id, at, actor, action, outcome, target, pupil_id, detail)
    return tuple(row[:8])


def anchor_path(store_path: Path) -> Path:
    return store_path.with_name(store_path.name + ANCHOR_SUFFIX)


@dataclass(frozen=True)
class AnchorFile:
    """What lies beside the store: the chain's head, and the breaks found (read at once)."""

    head: tuple[int, str] | None  # None: no file; (-1, "") when it is damaged
    breaks: tuple[dict[str, Any], ...] = ()  # times the chain did not continue the anchor
    acknowledged: int = 0  # how many of ``breaks`` an administrator has acknowledged


def read_anchor_file(store_path: Path) -> AnchorFile:
    try:
        raw = json.loads(anchor_path(store_path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return AnchorFile(None)
    except (OSError, ValueError):
        return AnchorFile((-1, ""))
    if not isinstance(raw, dict):
        return AnchorFile((-1, ""))
    breaks = raw.get("breaks", [])
    notes = tuple(b for b in breaks if isinstance(b, dict)) if isinstance(breaks, list) else ()
    seen = raw.get("acknowledged", 0)
    return AnchorFile(_head(raw), notes, seen if isinstance(seen, int) and seen >= 0 else 0)


def _head(raw: dict[str, Any]) -> tuple[int, str]:
    try:
        last_id, last_mac = int(raw["last_id"]), str(raw["last_mac"])
    except (ValueError, KeyError, TypeError, OverflowError):
        return (-1, "")
    if last_id < 0 or (last_id > 0 and not _MAC.fullmatch(last_mac)):
        return (-1, "")
    return last_id, last_mac


def write_anchor(
    store_path: Path, last_id: int, last_mac: str, new_break: dict[str, Any] | None = None,
    acknowledge: int | None = None, previous: AnchorFile | None = None,
) -> None:
    """Move the anchor to the chain's new head. Breaks found earlier stay in the file (and
    ``new_break`` joins them): they live outside the store, so rolling the store back
    cannot remove them. ``previous``: the file as the caller already read it."""
    path = anchor_path(store_path)
    before = previous if previous is not None else read_anchor_file(store_path)
    breaks = [*before.breaks, *([new_break] if new_break else [])]
    data: dict[str, Any] = {"last_id": last_id, "last_mac": last_mac}
    if breaks:
        data["breaks"] = breaks
        data["acknowledged"] = before.acknowledged if acknowledge is None else acknowledge
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(json.dumps(data, ensure_ascii=False))
        fh.flush()
        os.fsync(fh.fileno())  # durable like the entry it follows (synchronous = FULL)
    os.replace(tmp, path)


def anchor_break(conn: Connection, anchor: tuple[int, str] | None) -> str | None:
    """Before an append: whether the chain still continues from the anchor. Returns what is
    wrong ("anchor_missing", "anchor_damaged", "rolled_back", "replaced"), or None.

    An anchor *behind* a matching chain is fine: the process stopped between committing an
    entry and moving the anchor."""
    last = conn.execute("SELECT id FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    if anchor is None:
        # (With only the first entry, the process may have stopped before the first anchor.)
        return None if last is None or int(last[0]) == 1 else "anchor_missing"
    if anchor[0] < 0:
        return "anchor_damaged"
    if anchor[0] == 0:
        return None if last is None else "replaced"  # the app never writes 0 over entries
    if last is None or anchor[0] > int(last[0]):
        return "rolled_back"
    row = conn.execute("SELECT mac FROM audit_log WHERE id = ?", (anchor[0],)).fetchone()
    if row is None or not hmac.compare_digest(str(row[0]), anchor[1]):
        return "replaced"
    return None


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
    at: datetime,
) -> AuditEntry:
    """Append one entry inside its own transaction (commits on return); ``at`` comes from
    the application's clock."""
    when = at.isoformat(timespec="seconds")
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


_MAC = re.compile(r"[0-9a-f]{64}")
BREAK_ACTION = "audit_anchor_mismatch"
ACK_ACTION = "audit_breaks_acknowledged"


def _break_counts(
    conn: Connection, breaks: Sequence[dict[str, Any]], acknowledged_notes: int
) -> tuple[int, list[str], int]:
    """(breaks not yet acknowledged, their times, all breaks).

    Breaks: the signed entries in the chain, and the notes beside the store (which survive
    a rollback of the store). An acknowledgment covers those found before it: a signed
    entry for the chain's, a count in the anchor file for the notes."""
    acknowledged = max((int(i) for (i,) in conn.execute(
        "SELECT id FROM audit_log WHERE action = ?", (ACK_ACTION,))), default=0)
    in_chain = [(int(i), str(at)) for i, at in conn.execute(
        "SELECT id, at FROM audit_log WHERE action = ? ORDER BY id", (BREAK_ACTION,))]
    pending_times = sorted(
        [at for i, at in in_chain if i > acknowledged]
        + [str(n.get("at", "")) for n in breaks[acknowledged_notes:]])
    pending = max(sum(i > acknowledged for i, _ in in_chain),
                  len(breaks) - min(acknowledged_notes, len(breaks)))
    return pending, pending_times, max(len(in_chain), len(breaks))


def pending_breaks(conn: Connection, store_path: Path) -> int:
    """How many rollbacks/swaps are found and not yet acknowledged (cheap: for データ概要)."""
    beside = read_anchor_file(store_path)
    return _break_counts(conn, beside.breaks, beside.acknowledged)[0]


def verify(
    conn: Connection, key: bytes, anchor: tuple[int, str] | None,
    breaks: Sequence[dict[str, Any]] = (), acknowledged_notes: int = 0,
) -> ChainReport:
    """Walk the chain; name the first entry that does not verify. ``breaks``: earlier
    appends that found the chain not continuing the anchor (see :func:`anchor_break`)."""
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
            return ChainReport(False, count, None, "監査ログの控え（データベースと同じ場所の"
                                                   " .audit-head ファイル）がありません。")
    elif anchor[0] > last_id:
        reason = f"記録 {last_id + 1} 以降が削除されています（末尾の切り詰め）。"
        return ChainReport(False, count, last_id + 1, reason)
    elif anchor != (last_id, last_mac):
        return ChainReport(False, count, anchor[0],
                           "監査ログの末尾が、データベースの外に置いた控えと一致しません。")
    pending, pending_times, total = _break_counts(conn, breaks, acknowledged_notes)
    if pending:
        when = pending_times[0][:16].replace("T", " ")
        return ChainReport(
            False, count, None,
            f"{when} に、データベースの監査ログが外に置いた控えより前の状態に戻されているか、"
            "別のデータベースに差し替えられていることを検出しました"
            f"（{pending}回）。バックアップからの復元でなければ、管理者に連絡してください。",
            pending_breaks=pending, first_break_at=pending_times[0])
    if total:
        return ChainReport(True, count, None,
                           f"監査ログ {count} 件の改ざんは検出されませんでした"
                           f"（確認済みの不整合 {total}回）。")
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
