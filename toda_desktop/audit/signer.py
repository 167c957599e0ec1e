"""Whose key signs a session's audit entries, and the public keys the chain registers.

The seed is the unlocked account's own (``StoreKeys.signing_seed``, unwrapped from its key
file entry with its password), the public key the one in the key file
(``KeyFile.public_signing_key``); a session opened with the recovery key signs with the
recovery identity's key. No one else's seed is ever in memory, so an insider can sign only
in their own name.
"""

from __future__ import annotations

from storage import audit
from storage.keys import normalize_login
from storage.store import Store


class NotTheUnlockingAccount(RuntimeError):
    """A signer was asked for an account other than the one that unlocked the store."""


def account_signer(store: Store, login_id: str) -> audit.Signer:
    """The signer of a session the account ``login_id`` opened with its password."""
    login = normalize_login(login_id)
    signer = audit.Signer(login, store.keys.signing_seed)
    if signer.public_key() != store.keyfile.public_signing_key(login):
        raise NotTheUnlockingAccount("the store was unlocked by another account")
    return signer


def recovery_signer(store: Store) -> audit.Signer:
    """The signer of a session opened with the recovery key."""
    signer = audit.Signer(audit.RECOVERY_SIGNER, store.keys.signing_seed)
    if signer.public_key() != store.keyfile.recovery_public_signing_key():
        raise NotTheUnlockingAccount("the store was not unlocked with the recovery key")
    return signer


def public_signing_key(store: Store, login_id: str) -> bytes:
    """The account's public key as the key file holds it (registered in the chain when the
    account is created or its password reset)."""
    return store.keyfile.public_signing_key(login_id)


def recovery_public_key(store: Store) -> bytes:
    return store.keyfile.recovery_public_signing_key()
