"""Whose key signs a session's audit entries, and the public keys the chain registers.

The seed is the unlocked account's own (``StoreKeys.signing_seed``), the public key the one
in the key file (``KeyFile.public_signing_key``); a session opened with the recovery key
signs with the recovery signing key. Until key file format 2 is merged, both are derived in
the two ``_transitional_*`` functions below, which the merge replaces.
"""

from __future__ import annotations

from storage import audit
from storage.keys import normalize_login
from storage.store import Store


def _transitional_signing_seed(store: Store, login_id: str) -> bytes:
    """TRANSITIONAL (replaced at the merge by the account's ``StoreKeys.signing_seed``):
    an HMAC of the data key and the login, so still recomputable by any insider."""
    return store.derived_key("audit-signing\x00" + normalize_login(login_id))


def _transitional_recovery_seed(store: Store) -> bytes:
    """TRANSITIONAL (replaced at the merge by the recovery signing key in the key file)."""
    return store.derived_key("audit-signing-recovery")


def account_signer(store: Store, login_id: str) -> audit.Signer:
    """The signer of a session the account ``login_id`` opened with its password."""
    login = normalize_login(login_id)
    return audit.Signer(login, _transitional_signing_seed(store, login))


def recovery_signer(store: Store) -> audit.Signer:
    """The signer of a session opened with the recovery key."""
    return audit.Signer(audit.RECOVERY_SIGNER, _transitional_recovery_seed(store))


def public_signing_key(store: Store, login_id: str) -> bytes:
    """The account's public key as the key file holds it (registered in the chain when the
    account is created or its password reset)."""
    return audit.public_key_of_seed(_transitional_signing_seed(store, login_id))


def recovery_public_key(store: Store) -> bytes:
    return audit.public_key_of_seed(_transitional_recovery_seed(store))
