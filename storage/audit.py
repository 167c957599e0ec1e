"""The tamper-evident audit log: entries signed by their author and chained by hash.

Each entry's hash covers its fields and the previous entry's hash; its Ed25519 signature,
made with the key of the account that wrote it (``signer``), covers that hash and the store's
id. Whoever holds the store's key can still write rows, but cannot sign in another person's
name: altering, deleting, inserting or reordering someone else's entry breaks a signature at
that entry or at the next entry another person signed. Public keys are registered by the
chain itself (the store-creation entry, and account-creation and password-reset entries signed
by the administrator who did them), so :func:`verify` needs nothing from outside the log.

The chain's head (last id and hash) is also written beside the store after every append and
copied to a folder outside the store (``storage.audit_outside``): that catches a truncated
tail or a chain replaced wholesale, which signatures alone cannot.

Entries written before signing existed (migration 11) are kept, hash-chained but unsigned;
the first signed entry fixes them from then on.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import hmac
import json
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from storage.audit_seal import (
    Opener,
    Payload,
    SessionSeal,
    entry_aad,
    first_entry_without_key,
    sealed_ref,
)
from storage.connection import Connection, transaction

GENESIS_HASH = "0" * 64
ANCHOR_SUFFIX = ".audit-head"
# Who signs in a session opened with the recovery key (no account): also the entries' actor.
RECOVERY_SIGNER = "（回復キー）"
# Detail keys that register a public key (hex) for the entry's target account.
KEY_FIELD = "signing_key"
RECOVERY_KEY_FIELD = "recovery_signing_key"
STORE_CREATED = "store_created"
# Actions whose entry registers the new key of the account in ``target`` ("account:ID"),
# signed by the administrator who created the account or reset its password.
REGISTERING_ACTIONS = frozenset({"account_created", "password_reset"})
# A store whose log began before signing: each account registers its own key once (there
# is no earlier signed entry that could vouch for it).
SELF_REGISTERED = "audit_key_registered"
_REGISTERING = REGISTERING_ACTIONS | {STORE_CREATED, SELF_REGISTERED}
BREAK_ACTION = "audit_anchor_mismatch"
ACK_ACTION = "audit_breaks_acknowledged"
# A store restored from a backup (storage.backup): the entry names the backup and the heads
# copied outside before the restore that the restored chain no longer holds ("id:hash").
# It counts as a break until acknowledged; those heads are explained by it, no others.
RESTORE_ACTION = "backup_restored"
SUPERSEDED_FIELD = "superseded_heads"
_HASH = re.compile(r"[0-9a-f]{64}")
_KEY_TEXT = re.compile(r"[0-9a-f]{64}")


# -- keys -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signer:
    """Who signs the entries a session writes: the account (or the recovery key) that
    unlocked the store, with its Ed25519 seed. Never written anywhere."""

    name: str
    seed: bytes

    def __post_init__(self) -> None:
        if len(self.seed) != 32:
            raise ValueError("an Ed25519 seed has 32 bytes")

    def _key(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.seed)

    def public_key(self) -> bytes:
        return public_key_of_seed(self.seed)

    def sign(self, message: bytes) -> bytes:
        return self._key().sign(message)

    def __repr__(self) -> str:  # the seed never reaches a log or a traceback
        return f"Signer({self.name!r})"


def public_key_of_seed(seed: bytes) -> bytes:
    key = Ed25519PrivateKey.from_private_bytes(seed).public_key()
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def signed_message(store_id: str, entry_hash: str) -> bytes:
    """What a signature covers: the entry's hash (its fields and the previous hash) and
    the store, so an entry cannot be carried into another store's log."""
    return b"toda-audit-signature\x00" + store_id.encode() + b"\x00" + entry_hash.encode()


@functools.lru_cache(maxsize=256)
def _public(public_key: bytes) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(public_key)


def _signature_ok(public_key: bytes, signature: str | None, message: bytes) -> bool:
    try:
        _public(public_key).verify(bytes.fromhex(signature or ""), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def entry_hash(prev_hash: str, fields: Sequence[Any]) -> str:
    """The hash of (previous hash, id, at, actor, action, outcome, target, pupil_id,
    detail, signer): what links the chain and what a signature covers."""
    payload = json.dumps(["toda-audit-entry", prev_hash, *fields], ensure_ascii=False,
                         separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def store_id(conn: Connection) -> str:
    row = conn.execute("SELECT value FROM meta WHERE key = 'store_id'").fetchone()
    return "" if row is None else str(row[0])


# -- entries --------------------------------------------------------------------------------


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
    signer: str | None  # None: written before entries were signed
    hash: str
    # "": written in clear; "opened": its pupil-linked parts were sealed and are shown
    # opened; "sealed": they are sealed and this reader cannot open them (storage.audit_seal)
    seal: str = ""


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    entries: int
    first_bad_id: int | None
    reason: str  # Japanese, for the person running the check
    pending_breaks: int = 0  # rollbacks/swaps found and not yet acknowledged by an admin
    first_break_at: str | None = None  # ISO time of the first of those (callers write it)


_COLUMNS = "id, at, actor, action, outcome, target, pupil_id, detail, signer"


def append(
    conn: Connection,
    signer: Signer,
    *,
    actor: str,
    action: str,
    outcome: str = "ok",
    target: str | None = None,
    pupil_id: int | None = None,
    detail: dict[str, Any] | None = None,
    at: datetime,
    seal: SessionSeal | None = None,
) -> AuditEntry:
    """Append one signed entry; in its own transaction unless the caller's is open (then
    the entry commits or rolls back with the caller's work). ``at``: the application's
    clock. ``seal``: write the target, pupil id and detail sealed to the audit reader
    (``storage.audit_seal``)."""
    if conn.in_transaction:
        return _append(conn, signer, actor, action, outcome, target, pupil_id, detail, at,
                       seal)
    with transaction(conn):
        return _append(conn, signer, actor, action, outcome, target, pupil_id, detail, at,
                       seal)


def _append(
    conn: Connection, signer: Signer, actor: str, action: str, outcome: str,
    target: str | None, pupil_id: int | None, detail: dict[str, Any] | None, at: datetime,
    seal: SessionSeal | None = None,
) -> AuditEntry:
    when = at.isoformat(timespec="seconds")
    detail_text = None if detail is None else json.dumps(detail, ensure_ascii=False, sort_keys=True)
    last = conn.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    prev_hash = GENESIS_HASH if last is None else str(last[1])
    new_id = 1 if last is None else int(last[0]) + 1
    if seal is not None:
        aad = entry_aad(seal.store_id, new_id, when, actor, action, outcome, signer.name)
        detail_text = seal.seal(conn, aad, Payload(target, pupil_id, detail_text))
        target, pupil_id = None, None
    fields = (new_id, when, actor, action, outcome, target, pupil_id, detail_text, signer.name)
    digest = entry_hash(prev_hash, fields)
    signature = signer.sign(signed_message(store_id(conn), digest)).hex()
    conn.execute(
        f"INSERT INTO audit_log ({_COLUMNS}, prev_hash, hash, signature)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (*fields, prev_hash, digest, signature),
    )
    return AuditEntry(new_id, when, actor, action, outcome, target, pupil_id, detail_text,
                      signer.name, digest)


def head(conn: Connection) -> tuple[int, str] | None:
    """The last entry's id and hash (None: an empty log)."""
    row = conn.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    return None if row is None else (int(row[0]), str(row[1]))


def registered_key(conn: Connection, name: str) -> bytes | None:
    """The public key the chain registers for ``name`` last (unverified: for the writer to
    know whether it must register itself; :func:`verify` checks every registration)."""
    rows = conn.execute(
        "SELECT action, target, detail, signer FROM audit_log WHERE action IN (?, ?, ?, ?)"
        " ORDER BY id DESC",
        (STORE_CREATED, SELF_REGISTERED, *sorted(REGISTERING_ACTIONS)),
    )
    for action, target, detail, signer in rows:
        for who, key in _registrations(str(action), target, detail, signer):
            if who == name:
                return key
    return None


def has_unsigned_entries(conn: Connection) -> bool:
    """Whether the log began before entries were signed (a store from before migration 11)."""
    row = conn.execute("SELECT 1 FROM audit_log WHERE signer IS NULL LIMIT 1").fetchone()
    return row is not None


def _registrations(
    action: str, target: object, detail: object, signer: object
) -> Iterator[tuple[str, bytes]]:
    """(name, public key) pairs an entry registers, if it is of a registering kind."""
    if action not in _REGISTERING:
        return
    try:
        values = json.loads(str(detail)) if detail else {}
    except ValueError:
        return
    if not isinstance(values, dict):
        return
    if action in (STORE_CREATED, SELF_REGISTERED) and signer is not None:
        if key := _key_bytes(values.get(KEY_FIELD)):
            yield str(signer), key
        if action == STORE_CREATED and (key := _key_bytes(values.get(RECOVERY_KEY_FIELD))):
            yield RECOVERY_SIGNER, key
    elif action in REGISTERING_ACTIONS and isinstance(target, str) and target.startswith(
            "account:") and (key := _key_bytes(values.get(KEY_FIELD))):
        yield target[len("account:"):], key


def _key_bytes(value: object) -> bytes | None:
    return bytes.fromhex(value) if isinstance(value, str) and _KEY_TEXT.fullmatch(value) else None


# -- verification ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Walked:
    entries: int
    last_id: int
    keys: dict[str, bytes]  # the key each signer holds at the end of the chain
    registered_by: dict[str, int]  # the entry that registered it


def _walk(conn: Connection) -> ChainReport | _Walked:
    """Every entry in order: hash links, signatures by the key registered for the signer at
    that point, the author rule, and no key brought back once replaced (a forged
    registration undone to hide it). Returns the first finding, or what the walk learnt."""
    the_store = store_id(conn)
    keys: dict[str, bytes] = {}
    held: dict[str, set[bytes]] = {}
    registered_by: dict[str, int] = {}
    prev_hash, expected_id, count, signed_seen, unsigned_seen = GENESIS_HASH, 1, 0, False, False
    rows = conn.execute(f"SELECT {_COLUMNS}, prev_hash, hash, signature FROM audit_log ORDER BY id")
    for row in rows:
        entry_id = int(row[0])
        actor, action, outcome, target, detail, signer = (
            str(row[2]), str(row[3]), str(row[4]), row[5], row[7], row[8])

        def bad(text: str, entry_id: int = entry_id, count: int = count) -> ChainReport:
            return ChainReport(False, count, entry_id, f"記録 {entry_id} {text}")

        if entry_id != expected_id:
            return ChainReport(False, count, expected_id, f"記録 {expected_id} が欠落しています。")
        digest = entry_hash(prev_hash, tuple(row[:9]))
        if row[9] != prev_hash or not hmac.compare_digest(digest, str(row[10])):
            return bad("が改ざんされているか、前後の記録が削除・挿入・並べ替えされています。")
        if signer is None:
            if signed_seen:
                return bad("に署名がありません（署名のない記録が後から書き込まれています）。")
            unsigned_seen = True
        else:
            signed_seen = True
            found = _check_signed(keys, the_store, digest, row, first=count == 0,
                                  migrated=unsigned_seen)
            if found:
                return bad(found)
            if outcome == "ok" and actor != signer:
                return bad(f"は「{signer}」の署名で、別の利用者「{actor}」の操作として"
                           "書かれています。")
            for who, key in _registrations(action, target, detail, signer):
                if key != keys.get(who) and key in held.get(who, set()):
                    return bad(f"で「{who}」に以前の署名鍵が登録し直されています（偽造の疑い）。")
                keys[who] = key
                held.setdefault(who, set()).add(key)
                registered_by[who] = entry_id
        prev_hash = str(row[10])
        expected_id += 1
        count += 1
    return _Walked(count, expected_id - 1, keys, registered_by)


def _check_signed(
    keys: Mapping[str, bytes], the_store: str, digest: str, row: Sequence[Any], *,
    first: bool, migrated: bool,
) -> str | None:
    """What is wrong with a signed entry's signature, or None. The store-creation entry
    registers its own signer's key only as the log's first entry; an account registers its
    own key only in a log that began unsigned (``migrated``), and only once."""
    action, detail, signer, signature = str(row[3]), row[7], str(row[8]), row[11]
    own = dict(_registrations(action, row[5], detail, signer)).get(signer)
    if action == STORE_CREATED:
        if not first or own is None:
            return "はデータベース作成の記録ではありえない位置にあります（偽造の疑い）。"
        key: bytes | None = own
    elif action == SELF_REGISTERED and migrated and signer not in keys:
        key = own
    else:
        key = keys.get(signer)
    if key is None:
        return f"の署名者「{signer}」の署名鍵が監査ログに登録されていません（偽造の疑い）。"
    if not _signature_ok(key, signature, signed_message(the_store, digest)):
        return f"の署名が「{signer}」の署名鍵と一致しません（改ざんまたは偽造）。"
    return None


def _matches(conn: Connection, entry_id: int, value: str) -> bool:
    """Whether entry ``entry_id`` has this hash (or, for a head written before migration 11,
    this MAC)."""
    row = conn.execute("SELECT hash, legacy_mac FROM audit_log WHERE id = ?",
                       (entry_id,)).fetchone()
    return row is not None and any(
        v is not None and hmac.compare_digest(str(v), value) for v in row)


def verify(
    conn: Connection, anchor: tuple[int, str] | None,
    breaks: Sequence[dict[str, Any]] = (), acknowledged_notes: int = 0,
    outside: Sequence[tuple[int, str]] = (), outside_problem: str | None = None,
    current_keys: Mapping[str, bytes] | None = None,
) -> ChainReport:
    """Walk the chain and name the first entry that does not verify; then compare the head
    with the copies outside the store (``outside``: every head copied there; see
    ``storage.audit_outside``) and with the anchor beside it. ``breaks``: earlier appends
    that found the chain not continuing the anchor (see :func:`anchor_break`).
    ``current_keys``: each account's public key as the key file holds it; the key the chain
    registered last for it must be that one (a registration forged by an insider is not)."""
    walked = _walk(conn)
    if isinstance(walked, ChainReport):
        return walked
    count, last_id = walked.entries, walked.last_id
    superseded = _superseded_heads(conn)
    for who, key in sorted(walked.keys.items()):
        expected = (current_keys or {}).get(who)
        if expected is not None and not hmac.compare_digest(expected, key):
            at = walked.registered_by[who]
            return ChainReport(False, count, at,
                               f"記録 {at} で登録された「{who}」の署名鍵が、鍵ファイルの鍵と"
                               "一致しません（偽造の疑い）。")
    unopenable = first_entry_without_key(conn)
    if unopenable is not None:
        return ChainReport(False, count, unopenable,
                           f"記録 {unopenable} の暗号化された部分を開く鍵が、データベースから"
                           "削除されたか差し替えられています（改ざんの疑い）。")
    for head_id, head_hash in sorted(outside, reverse=True):  # the newest copy first
        if (head_id, head_hash) in superseded:
            continue  # left behind by a restore the chain records (signed)
        if head_id > last_id:
            return ChainReport(False, count, last_id + 1,
                               f"記録 {last_id + 1} 以降が削除されています（末尾の切り詰め）。"
                               f"外部の控えには記録 {head_id} まで残っています。")
        if not _matches(conn, head_id, head_hash):
            return ChainReport(False, count, head_id,
                               f"記録 {head_id} が外部の控えと一致しません"
                               "（監査ログが別のものに差し替えられています）。")
    if outside_problem:
        return ChainReport(False, count, None, outside_problem)
    if anchor is None:
        if count:
            return ChainReport(False, count, None, "監査ログの控え（データベースと同じ場所の"
                                                   " .audit-head ファイル）がありません。")
    elif anchor[0] > last_id:
        reason = f"記録 {last_id + 1} 以降が削除されています（末尾の切り詰め）。"
        return ChainReport(False, count, last_id + 1, reason)
    elif anchor[0] != last_id or (last_id > 0 and not _matches(conn, last_id, anchor[1])):
        return ChainReport(False, count, anchor[0],
                           "監査ログの末尾が、データベースの外に置いた控えと一致しません。")
    pending, pending_times, total = _break_counts(conn, breaks, acknowledged_notes)
    restored = _pending_restore(conn)
    if pending and restored is not None:
        return ChainReport(False, count, None, restored, pending_breaks=pending)
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


# -- the anchor beside the store ------------------------------------------------------------


def anchor_path(store_path: Path) -> Path:
    return store_path.with_name(store_path.name + ANCHOR_SUFFIX)


@dataclass(frozen=True)
class AnchorFile:
    """What lies beside the store: the chain's head, and the breaks found (read at once)."""

    head: tuple[int, str] | None  # None: no file; (-1, "") when it is damaged
    breaks: tuple[dict[str, Any], ...] = ()  # times the chain did not continue the anchor
    acknowledged: int = 0  # how many of ``breaks`` an administrator has acknowledged
    outside: dict[str, Any] | None = None  # the last copy outside: day, or failure (a notice)


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
    outside = raw.get("outside")
    return AnchorFile(_head(raw), notes, seen if isinstance(seen, int) and seen >= 0 else 0,
                      outside if isinstance(outside, dict) else None)


def _head(raw: dict[str, Any]) -> tuple[int, str]:
    try:
        last_id = int(raw["last_id"])
        last_hash = str(raw["last_hash"] if "last_hash" in raw else raw["last_mac"])
    except (ValueError, KeyError, TypeError, OverflowError):
        return (-1, "")
    if last_id < 0 or (last_id > 0 and not _HASH.fullmatch(last_hash)):
        return (-1, "")
    return last_id, last_hash


def write_owner_only(path: Path, text: str) -> None:
    """Write ``text`` atomically and durably to a file only its owner may read (0600)."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # (a .tmp left over by a crash may have had another mode)
        os.write(fd, text.encode("utf-8"))
        os.fsync(fd)  # durable like the entry it follows (synchronous = FULL)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def write_anchor(
    store_path: Path, last_id: int, last_hash: str, new_break: dict[str, Any] | None = None,
    acknowledge: int | None = None, previous: AnchorFile | None = None,
    outside: dict[str, Any] | None = None,
) -> None:
    """Move the anchor to the chain's new head. Breaks found earlier stay in the file (and
    ``new_break`` joins them): they live outside the store, so rolling the store back
    cannot remove them. ``previous``: the file as the caller already read it; ``outside``:
    the state of the copy outside the store (kept as it was when not given)."""
    before = previous if previous is not None else read_anchor_file(store_path)
    breaks = [*before.breaks, *([new_break] if new_break else [])]
    data: dict[str, Any] = {"last_id": last_id, "last_hash": last_hash}
    if breaks:
        data["breaks"] = breaks
        data["acknowledged"] = before.acknowledged if acknowledge is None else acknowledge
    state = outside if outside is not None else before.outside
    if state:
        data["outside"] = state
    write_owner_only(anchor_path(store_path), json.dumps(data, ensure_ascii=False))


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
    if not _matches(conn, anchor[0], anchor[1]):
        return "replaced"
    return None


# -- rollbacks and swaps found at append time -----------------------------------------------


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
        "SELECT id, at FROM audit_log WHERE action IN (?, ?) ORDER BY id",
        (BREAK_ACTION, RESTORE_ACTION))]
    pending_times = sorted(
        [at for i, at in in_chain if i > acknowledged]
        + [str(n.get("at", "")) for n in breaks[acknowledged_notes:]])
    pending = max(sum(i > acknowledged for i, _ in in_chain),
                  len(breaks) - min(acknowledged_notes, len(breaks)))
    return pending, pending_times, max(len(in_chain), len(breaks))


def _restore_entries(conn: Connection) -> list[tuple[int, str, dict[str, Any]]]:
    out = []
    for entry_id, at, detail in conn.execute(
            "SELECT id, at, detail FROM audit_log WHERE action = ? AND signer IS NOT NULL"
            " ORDER BY id", (RESTORE_ACTION,)):
        try:
            values = json.loads(str(detail)) if detail else {}
        except ValueError:
            values = {}
        out.append((int(entry_id), str(at), values if isinstance(values, dict) else {}))
    return out


def _superseded_heads(conn: Connection) -> set[tuple[int, str]]:
    """The outside copies that signed restore entries name as left behind."""
    heads: set[tuple[int, str]] = set()
    for _, _, values in _restore_entries(conn):
        for text in values.get(SUPERSEDED_FIELD) or []:
            head_id, _, head_hash = str(text).partition(":")
            if head_id.isdigit() and _HASH.fullmatch(head_hash):
                heads.add((int(head_id), head_hash))
    return heads


def heads_not_in_chain(conn: Connection, heads: Sequence[tuple[int, str]]) -> list[str]:
    """The heads (copied outside) the chain does not hold, as ``id:hash`` (for the restore
    entry: after a restore, the original store's later heads are not in the copy)."""
    return [f"{i}:{h}" for i, h in sorted(set(heads)) if not _matches(conn, i, h)]


def _pending_restore(conn: Connection) -> str | None:
    """The newest restore not yet acknowledged, in words: the gap it explains."""
    acknowledged = max((int(i) for (i,) in conn.execute(
        "SELECT id FROM audit_log WHERE action = ?", (ACK_ACTION,))), default=0)
    pending = [r for r in _restore_entries(conn) if r[0] > acknowledged]
    if not pending:
        return None
    entry_id, at, values = pending[-1]
    later = [int(str(t).partition(":")[0]) for t in values.get(SUPERSEDED_FIELD) or []
             if str(t).partition(":")[0].isdigit()]
    beyond = f"（外部の控えでは記録 {max(later)} まで）" if later else ""
    made = str(values.get("created_at", ""))[:16].replace("T", " ")
    return (f"記録 {entry_id}: {at[:16].replace('T', ' ')} に、バックアップ "
            f"{values.get('backup', '')}（{made} 作成、監査ログは記録 "
            f"{values.get('backup_head_id', '?')} まで）から復元されました。その後に元の"
            f"データベースで行われた操作{beyond}は含まれません。"
            "復元であることを確かめたら、管理者が確認済みにしてください。")


def pending_breaks(conn: Connection, store_path: Path) -> int:
    """How many rollbacks/swaps are found and not yet acknowledged (cheap: for データ概要)."""
    beside = read_anchor_file(store_path)
    return _break_counts(conn, beside.breaks, beside.acknowledged)[0]


# -- reading --------------------------------------------------------------------------------


def query(
    conn: Connection,
    *,
    actor: str | None = None,
    action: str | None = None,
    pupil_id: int | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = 5000,
    opener: Opener | None = None,
) -> list[AuditEntry]:
    """Entries matching every given filter, newest first. ``opener``: the audit reader's
    keys, to show sealed entries opened (and find them by pupil); without it a sealed
    entry has no target, pupil or detail (``seal == "sealed"``) and a pupil filter finds
    only entries written in clear."""
    where: list[str] = []
    params: list[Any] = []
    for column, value in (("actor", actor), ("action", action)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if pupil_id is not None:
        if opener is None:
            where.append("pupil_id = ?")
        else:  # sealed entries are opened and filtered below
            where.append("(pupil_id = ? OR (pupil_id IS NULL AND detail LIKE '{\"sealed\":%'))")
        params.append(pupil_id)
    if since is not None:
        where.append("at >= ?")
        params.append(since)
    if until is not None:
        where.append("at < ?")
        params.append(until)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    if pupil_id is None or opener is None:
        rows = conn.execute(
            f"SELECT {_COLUMNS}, hash FROM audit_log {clause} ORDER BY id DESC LIMIT ?",
            (*params, limit),
        ).fetchall()
        return [_shown(conn, AuditEntry(*row), opener) for row in rows]
    out: list[AuditEntry] = []
    for row in conn.execute(f"SELECT {_COLUMNS}, hash FROM audit_log {clause} ORDER BY id DESC",
                            params):
        entry = _shown(conn, AuditEntry(*row), opener)
        if entry.pupil_id == pupil_id:
            out.append(entry)
            if len(out) >= limit:
                break
    return out


def _shown(conn: Connection, entry: AuditEntry, opener: Opener | None) -> AuditEntry:
    """The entry with its sealed parts opened when ``opener`` can, else marked sealed."""
    if entry.detail is None or not entry.detail.startswith('{"sealed"'):
        return entry
    if opener is not None:
        aad = entry_aad(opener.store_id, entry.id, entry.at, entry.actor, entry.action,
                        entry.outcome, entry.signer or "")
        payload = opener.open(conn, aad, entry.detail)
        if payload is not None:
            return dataclasses.replace(entry, target=payload.target,
                                       pupil_id=payload.pupil_id, detail=payload.detail,
                                       seal="opened")
    if sealed_ref(entry.detail) is None:
        return entry  # (a clear detail that merely begins like a sealed one)
    return dataclasses.replace(entry, detail=None, seal="sealed")
