"""Migration 15: the audit log's sealed parts (who opened which pupil's records).

* ``audit_readers`` — the public half of each audit-reader X25519 key pair. Its private half
  lies in the ``audit_reader`` key group's file (group step 8), sealed only to roles that
  read the audit log *and* see pupils (the project lead) and to the recovery identity.
* ``audit_seal_keys`` — one row per session that wrote a pupil-linked entry: the session's
  random content key, sealed to a reader's public key (ephemeral X25519, HKDF-SHA256,
  AES-GCM). Every account can add a row; only a reader can open one.

The pupil-linked parts of an entry (its target, pupil id and detail) are written as one
AES-GCM ciphertext under the session's content key, in the entry's ``detail``
(``storage.audit_seal``); the chain's hash covers the ciphertext as it covers any detail.
The store file keeps no pupil value. Written out in full so that this step never changes.
"""

from __future__ import annotations

from storage.connection import Connection
from storage.migrations import execute_script


def migrate(conn: Connection) -> None:
    execute_script(
        conn,
        """
        CREATE TABLE IF NOT EXISTS audit_readers (
            id INTEGER PRIMARY KEY,
            public_key BLOB NOT NULL CHECK (length(public_key) = 32)
        );
        CREATE TABLE IF NOT EXISTS audit_seal_keys (
            key_id TEXT PRIMARY KEY,
            reader_id INTEGER NOT NULL,
            ephemeral BLOB NOT NULL CHECK (length(ephemeral) = 32),
            nonce BLOB NOT NULL CHECK (length(nonce) = 12),
            wrapped BLOB NOT NULL CHECK (length(wrapped) = 48)
        );
        """,
    )
