"""Sealing the pupil-linked parts of audit entries: every account writes, only readers read.

The audit log lives in the store file, which every account's password opens. Which pupil a
colleague looked up, which case they opened and the reason they typed for opening a
child-protection note must not be readable there by a role that may not see that domain.
So an entry that concerns a pupil keeps in clear only what the chain and everyday functions
need (id, time, actor, action, outcome, signer, hashes, signature); its target, pupil id and
detail go into one AES-GCM ciphertext, written in the entry's ``detail`` as
``{"sealed": {"key": KEY_ID, "data": BASE64(nonce | ciphertext)}}``. The entry's hash covers
that text like any detail, so the chain verifies without any key.

Keys:

* an audit-reader X25519 key pair: the public half in the store file (``audit_readers``),
  the private half in the ``audit_reader`` key group's file, whose key is sealed only to
  roles that read the audit log and see pupils, and to the recovery identity;
* per writing session, a random 256-bit content key, sealed once to the reader's public key
  (ephemeral X25519 → HKDF-SHA256 → AES-GCM) in ``audit_seal_keys``. The writer keeps it in
  memory only: a writer cannot read back even its own earlier sessions' entries.

The associated data binds each ciphertext to its entry (store, id, time, actor, action,
outcome, signer): a ciphertext copied into another entry does not open.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from storage.connection import Connection, transaction
from storage.placement import schema_of

SEALED_FIELD = "sealed"
_PREFIX = '{"' + SEALED_FIELD + '": {'
_WRAP_INFO = b"toda-audit-seal-key-v1"


@dataclass(frozen=True)
class ReaderKey:
    """The public half of an audit-reader key pair, as the store file holds it."""

    id: int
    public: bytes


@dataclass(frozen=True)
class Payload:
    """The pupil-linked parts of an entry."""

    target: str | None
    pupil_id: int | None
    detail: str | None  # the detail's JSON text, as an unsealed entry would hold it


# -- the reader's key pair ------------------------------------------------------------------


def _raw_public(key: X25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def create_reader(conn: Connection, schema: str) -> int:
    """A new key pair: the private half in the reader group's file (``schema``), the
    public half in the store file; returns its id. (Inside the caller's transaction.)"""
    key = X25519PrivateKey.generate()
    private = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    row = conn.execute("SELECT coalesce(max(id), 0) FROM main.audit_readers").fetchone()
    reader_id = int(row[0]) + 1
    conn.execute(f"INSERT INTO {schema}.audit_reader_keys (id, private_key) VALUES (?, ?)",
                 (reader_id, private))
    conn.execute("INSERT INTO main.audit_readers (id, public_key) VALUES (?, ?)",
                 (reader_id, _raw_public(key)))
    return reader_id


def reader_public(conn: Connection) -> ReaderKey | None:
    """The newest reader's public key (None: no reader key yet, e.g. a store made before
    sealing whose lead has not signed in since)."""
    if schema_of(conn, "audit_readers") is None:
        return None
    row = conn.execute(
        "SELECT id, public_key FROM main.audit_readers ORDER BY id DESC LIMIT 1").fetchone()
    return None if row is None else ReaderKey(int(row[0]), bytes(row[1]))


def reader_privates(conn: Connection) -> dict[int, bytes]:
    """The private keys this connection can read: none unless the reader group's file is
    attached (its key held)."""
    schema = schema_of(conn, "audit_reader_keys")
    if schema is None:
        return {}
    return {int(i): bytes(k) for i, k in conn.execute(
        f"SELECT id, private_key FROM {schema}.audit_reader_keys")}


def mismatched_readers(conn: Connection, privates: Mapping[int, bytes]) -> list[int]:
    """Readers in the store file that are not the key pairs held: a public key that is not
    the one of its private key, or one with no private key at all. Someone holding only the
    store key wrote it, to have later entries sealed to themselves. Checked at a reader's
    sign-in (the reader group's file holds every pair ever made)."""
    out = []
    for reader_id, public in conn.execute("SELECT id, public_key FROM main.audit_readers"):
        private = privates.get(int(reader_id))
        if private is None or _raw_public(
                X25519PrivateKey.from_private_bytes(private)) != bytes(public):
            out.append(int(reader_id))
    return out


def renew_reader(conn: Connection) -> int:
    """After :func:`mismatched_readers` found a foreign reader: a new pair, newer than any,
    so that writers seal to the real reader again (run on the lane holding the reader
    group's file); returns its id."""
    schema = schema_of(conn, "audit_reader_keys")
    if schema is None:
        raise LookupError("the audit reader's key is not held")
    with transaction(conn):
        return create_reader(conn, schema)


# -- writing --------------------------------------------------------------------------------


def _kek(shared: bytes, ephemeral: bytes, reader: bytes) -> bytes:
    return HKDF(SHA256(), 32, salt=ephemeral + reader, info=_WRAP_INFO).derive(shared)


def _wrap_aad(store_id: str, key_id: str, reader_id: int) -> bytes:
    return json.dumps(["toda-audit-seal-key", store_id, key_id, reader_id]).encode()


def entry_aad(store_id: str, entry_id: int, at: str, actor: str, action: str, outcome: str,
              signer: str) -> bytes:
    """What ties a ciphertext to its entry."""
    return json.dumps(["toda-audit-sealed", store_id, entry_id, at, actor, action, outcome,
                       signer], ensure_ascii=False).encode()


def key_row_digest(key_id: str, reader_id: int, ephemeral: bytes, nonce: bytes,
                   wrapped: bytes) -> str:
    """SHA-256 of a content-key row, written in clear into each entry sealed under it: the
    chain covers it, so replacing the row (even with one validly wrapped to the reader's
    public key, which every writer has) is found by the chain check without any key."""
    h = hashlib.sha256()
    for part in (key_id.encode(), str(reader_id).encode(), ephemeral, nonce, wrapped):
        h.update(len(part).to_bytes(4, "big"))
        h.update(part)
    return h.hexdigest()


@dataclass
class SessionSeal:
    """One session's content key, sealed to the reader once (its row is added with the
    session's first sealed entry, and again should that entry's transaction roll back)."""

    reader: ReaderKey
    store_id: str
    key_id: str = field(init=False)
    _key: bytes = field(init=False, repr=False)
    _row: tuple[str, int, bytes, bytes, bytes] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.key_id = os.urandom(16).hex()
        self._key = AESGCM.generate_key(bit_length=256)
        ephemeral = X25519PrivateKey.generate()
        ephemeral_public = _raw_public(ephemeral)
        shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(self.reader.public))
        nonce = os.urandom(12)
        wrapped = AESGCM(_kek(shared, ephemeral_public, self.reader.public)).encrypt(
            nonce, self._key, _wrap_aad(self.store_id, self.key_id, self.reader.id))
        self._row = (self.key_id, self.reader.id, ephemeral_public, nonce, wrapped)

    def seal(self, conn: Connection, aad: bytes, payload: Payload) -> str:
        """The sealed detail text for one entry (inside the entry's transaction)."""
        conn.execute("INSERT OR IGNORE INTO audit_seal_keys"
                     " (key_id, reader_id, ephemeral, nonce, wrapped) VALUES (?, ?, ?, ?, ?)",
                     self._row)
        plain = json.dumps({"target": payload.target, "pupil_id": payload.pupil_id,
                            "detail": payload.detail}, ensure_ascii=False).encode()
        nonce = os.urandom(12)
        data = nonce + AESGCM(self._key).encrypt(nonce, plain, aad)
        return json.dumps({SEALED_FIELD: {"key": self.key_id,
                                          "row": key_row_digest(*self._row),
                                          "data": base64.b64encode(data).decode()}})


# -- reading --------------------------------------------------------------------------------



def sealed_ref(detail: object) -> tuple[str, bytes] | None:
    """(content key id, nonce | ciphertext) of a sealed detail; None for a clear one."""
    found = _sealed(detail)
    return None if found is None else (found[0], found[2])


def _sealed(detail: object) -> tuple[str, str, bytes] | None:
    """(content key id, the key row's digest, nonce | ciphertext) of a sealed detail."""
    if not isinstance(detail, str) or not detail.startswith(_PREFIX):
        return None
    try:
        values = json.loads(detail)
        inner = values[SEALED_FIELD]
        if len(values) != 1 or not isinstance(inner, dict):
            return None
        return (str(inner["key"]), str(inner.get("row", "")),
                base64.b64decode(str(inner["data"]), validate=True))
    except (ValueError, KeyError, TypeError):
        return None


def first_entry_without_key(conn: Connection) -> int | None:
    """The first entry whose sealed part names a content key the store no longer holds as it
    was written: the key rows are not in the chain, so deleting or re-wrapping one would hide
    its entries from the reader without touching a hash; each entry carries its key row's
    digest (in the chain), and the chain check reports a row that is gone or changed."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table'"
                    " AND name = 'audit_seal_keys'").fetchone() is None:
        return None
    held = {str(r[0]): key_row_digest(str(r[0]), int(r[1]), bytes(r[2]), bytes(r[3]),
                                      bytes(r[4]))
            for r in conn.execute("SELECT key_id, reader_id, ephemeral, nonce, wrapped"
                                  " FROM audit_seal_keys")}
    for entry_id, detail in conn.execute(
            "SELECT id, detail FROM audit_log WHERE substr(detail, 1, ?) = ? ORDER BY id",
            (len(_PREFIX), _PREFIX)):
        found = _sealed(detail)
        if found is None:
            continue
        key_id, digest, _ = found
        if key_id not in held or not hmac.compare_digest(digest, held[key_id]):
            return int(entry_id)
    return None


@dataclass
class Opener:
    """Opens sealed entries with the reader private keys held (per read; content keys are
    unwrapped once each)."""

    privates: Mapping[int, bytes]
    store_id: str
    _keys: dict[str, bytes | None] = field(default_factory=dict, repr=False)

    def _content_key(self, conn: Connection, key_id: str) -> bytes | None:
        if key_id in self._keys:
            return self._keys[key_id]
        found: bytes | None = None
        row = conn.execute("SELECT reader_id, ephemeral, nonce, wrapped FROM audit_seal_keys"
                           " WHERE key_id = ?", (key_id,)).fetchone()
        private = None if row is None else self.privates.get(int(row[0]))
        if row is not None and private is not None:
            reader = X25519PrivateKey.from_private_bytes(private)
            ephemeral = bytes(row[1])
            shared = reader.exchange(X25519PublicKey.from_public_bytes(ephemeral))
            try:
                found = AESGCM(_kek(shared, ephemeral, _raw_public(reader))).decrypt(
                    bytes(row[2]), bytes(row[3]), _wrap_aad(self.store_id, key_id,
                                                            int(row[0])))
            except (InvalidTag, ValueError):
                found = None
        self._keys[key_id] = found
        return found

    def open(self, conn: Connection, aad: bytes, detail: object) -> Payload | None:
        """The entry's sealed parts; None when it is not sealed or does not open (no key
        held for it, or tampered)."""
        ref = sealed_ref(detail)
        if ref is None:
            return None
        key = self._content_key(conn, ref[0])
        if key is None or len(ref[1]) < 28:
            return None
        try:
            values: Any = json.loads(AESGCM(key).decrypt(ref[1][:12], ref[1][12:], aad))
        except (InvalidTag, ValueError):
            return None
        if not isinstance(values, dict):
            return None
        target, pupil, text = values.get("target"), values.get("pupil_id"), values.get("detail")
        return Payload(target if isinstance(target, str) else None,
                       pupil if isinstance(pupil, int) else None,
                       text if isinstance(text, str) else None)


__all__ = ["Opener", "Payload", "ReaderKey", "SessionSeal", "create_reader", "entry_aad",
           "first_entry_without_key", "key_row_digest",
           "mismatched_readers", "reader_privates", "reader_public", "renew_reader", "sealed_ref"]
