"""Key file format 2: per-account key pairs, sealed group keys, bindings and damage (issue 12)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kernel.store_kind import StoreKind
from storage import keys
from storage.errors import KeyFileDamaged, WrongCredentials
from storage.key_groups import SYSTEM_GROUP
from storage.keys import KIND_CHANGED, OLD_FORMAT, WRAP_DAMAGED, KeyFile
from storage.store import Store
from tests.conftest import LEAD_LOGIN, LEAD_PASSWORD, TEST_SCRYPT_N

N = TEST_SCRYPT_N
SYSTEM_KEY = bytes(range(32))
BULLYING_KEY = bytes(range(32, 64))


def _file(tmp_path: Path) -> tuple[KeyFile, Path]:
    keyfile = KeyFile.new("store-1", StoreKind.PRODUCTION)
    keyfile.add_account("alice", "alice password", n=N)
    keyfile.grant("alice", SYSTEM_GROUP, SYSTEM_KEY)
    keyfile.grant("alice", "bullying", BULLYING_KEY)
    keyfile.add_account("bob", "bob password", n=N)
    keyfile.grant("bob", SYSTEM_GROUP, SYSTEM_KEY)
    store_path = tmp_path / "city.tdb"
    keyfile.save(store_path)
    return keyfile, store_path


def _edit(store_path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    path = KeyFile.path_for(store_path)
    raw = json.loads(path.read_text(encoding="utf-8"))
    change(raw)
    path.write_text(json.dumps(raw), encoding="utf-8")


def _public(seed: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def test_a_saved_key_file_gives_each_account_exactly_its_grants(tmp_path: Path) -> None:
    _, store_path = _file(tmp_path)
    loaded = KeyFile.load(store_path)
    alice = loaded.unlock("alice", "alice password")
    bob = loaded.unlock("Bob ", "bob password")  # login ids are normalized
    assert alice.system == bob.system == SYSTEM_KEY
    assert dict(alice.groups) == {"bullying": BULLYING_KEY}
    assert dict(bob.groups) == {}
    assert loaded.granted_groups("alice") == {SYSTEM_GROUP, "bullying"}
    assert _public(alice.signing_seed) == loaded.public_signing_key("alice")
    assert alice.signing_seed != bob.signing_seed
    assert KeyFile.path_for(store_path).stat().st_mode & 0o777 == 0o600


def test_a_key_is_granted_without_the_receivers_password(tmp_path: Path) -> None:
    keyfile, store_path = _file(tmp_path)
    keyfile.grant("bob", "bullying", BULLYING_KEY)  # only bob's public key is used
    keyfile.save(store_path)
    assert dict(KeyFile.load(store_path).unlock("bob", "bob password").groups) == {
        "bullying": BULLYING_KEY}


def test_a_wrong_password_and_an_unknown_id_are_wrong_credentials(tmp_path: Path) -> None:
    keyfile, _ = _file(tmp_path)
    with pytest.raises(WrongCredentials):
        keyfile.unlock("alice", "bob password")
    with pytest.raises(WrongCredentials):
        keyfile.unlock("nobody", "alice password")


def test_a_revoked_group_and_a_removed_account_open_nothing(tmp_path: Path) -> None:
    keyfile, _ = _file(tmp_path)
    keyfile.revoke("alice", "bullying")
    assert dict(keyfile.unlock("alice", "alice password").groups) == {}
    keyfile.remove_account("alice")
    with pytest.raises(WrongCredentials):
        keyfile.unlock("alice", "alice password")


def test_a_copied_grant_does_not_open_under_another_account(tmp_path: Path) -> None:
    """Moving alice's sealed key into bob's entry (checksum recomputed) gives bob nothing."""
    _, store_path = _file(tmp_path)
    keyfile = KeyFile.load(store_path)
    alice, bob = keyfile.account_slot("alice"), keyfile.account_slot("bob")

    def move(raw: dict[str, Any]) -> None:
        entry = raw["accounts"][bob]
        entry["grants"]["bullying"] = raw["accounts"][alice]["grants"]["bullying"]
        body = {k: v for k, v in entry.items() if k != "check"}
        entry["check"] = keys._checksum(body)

    _edit(store_path, move)
    with pytest.raises(KeyFileDamaged):
        KeyFile.load(store_path).unlock("bob", "bob password")


def test_editing_the_store_kind_makes_every_unlock_fail_plainly(tmp_path: Path) -> None:
    """Finding 1: production changed to test in the key file."""
    keyfile, store_path = _file(tmp_path)
    recovery = keys.new_recovery_key()
    keyfile.set_recovery(keyfile.unlock("alice", "alice password"), recovery)
    keyfile.save(store_path)
    _edit(store_path, lambda raw: raw.update(store_kind="test"))
    edited = KeyFile.load(store_path)
    assert edited.store_kind == StoreKind.TEST
    for login, password in (("alice", "alice password"), ("bob", "bob password")):
        with pytest.raises(KeyFileDamaged) as caught:
            edited.unlock(login, password)
        assert caught.value.message_ja == KIND_CHANGED
    with pytest.raises(KeyFileDamaged, match="種類"):
        edited.unlock_with_recovery(recovery)
    with pytest.raises(WrongCredentials):  # a wrong password still reads as one
        edited.unlock("alice", "not the password")


def test_a_key_file_of_format_1_is_refused_in_japanese(tmp_path: Path) -> None:
    _, store_path = _file(tmp_path)
    _edit(store_path, lambda raw: raw.update(format=1))
    with pytest.raises(KeyFileDamaged) as caught:
        KeyFile.load(store_path)
    assert caught.value.message_ja == OLD_FORMAT


def _private(raw: dict[str, Any], slot: str) -> dict[str, Any]:
    entry: dict[str, Any] = raw["accounts"][slot]["private"]
    return entry


DAMAGE: dict[str, Callable[[dict[str, Any], str], None]] = {
    "bad base64": lambda raw, s: _private(raw, s).update(ct="not base64!"),
    "short ciphertext": lambda raw, s: _private(raw, s).update(
        ct=base64.b64encode(b"\x00" * 20).decode()),
    "missing nonce": lambda raw, s: _private(raw, s).pop("nonce"),
    "missing grants": lambda raw, s: raw["accounts"][s].pop("grants"),
    "one flipped salt byte": lambda raw, s: _private(raw, s).update(
        salt=base64.b64encode(b"\x01" * 16).decode()),
    "changed cost": lambda raw, s: _private(raw, s).update(n=2 * N),
    "huge cost": lambda raw, s: _private(raw, s).update(n=2**30),
    "damaged grant": lambda raw, s: raw["accounts"][s]["grants"]["system"].update(
        ct=base64.b64encode(b"\x00" * 7).decode()),
    "entry not an object": lambda raw, s: raw["accounts"].update({s: "x"}),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_wrap_says_damaged_never_wrong_password(tmp_path: Path, damage: str) -> None:
    """Finding 14: the right password on a damaged entry is not a wrong password."""
    keyfile, store_path = _file(tmp_path)
    slot = keyfile.account_slot("alice")
    _edit(store_path, lambda raw: DAMAGE[damage](raw, slot))
    loaded = KeyFile.load(store_path)
    with pytest.raises(KeyFileDamaged) as caught:
        loaded.unlock("alice", "alice password")
    assert caught.value.message_ja == WRAP_DAMAGED
    # One damaged entry does not lock the others out.
    assert loaded.unlock("bob", "bob password").system == SYSTEM_KEY


def test_an_own_password_change_keeps_grants_and_renews_the_key_pair(tmp_path: Path) -> None:
    keyfile, _ = _file(tmp_path)
    before = keyfile.unlock("alice", "alice password")
    old_public = keyfile.public_signing_key("alice")
    after = keyfile.change_password("alice", "alice password", "a new passphrase")
    assert (after.system, dict(after.groups)) == (before.system, dict(before.groups))
    assert after.signing_seed != before.signing_seed
    assert keyfile.unlock("alice", "a new passphrase").groups == after.groups
    with pytest.raises(WrongCredentials):
        keyfile.unlock("alice", "alice password")
    assert keyfile.signing_keys("alice") == (old_public, keyfile.public_signing_key("alice"))
    assert keyfile.set_by_self("alice")


def test_an_administrator_set_password_is_marked_as_such(tmp_path: Path) -> None:
    keyfile, _ = _file(tmp_path)
    keyfile.add_account("carol", "carol password", n=N, set_by="alice")
    assert not keyfile.set_by_self("carol")
    assert keyfile.set_by_slot("carol") == keyfile.account_slot("alice")


def test_rotation_seals_the_new_key_to_every_holder_and_the_recovery(tmp_path: Path) -> None:
    keyfile, store_path = _file(tmp_path)
    recovery = keys.new_recovery_key()
    keyfile.set_recovery(keyfile.unlock("alice", "alice password"), recovery)
    new_key = keys.new_data_key()
    assert keyfile.regrant_holders("bullying", new_key, 2) == 2  # alice and the recovery
    keyfile.save(store_path)
    loaded = KeyFile.load(store_path)
    assert loaded.generations["bullying"] == 2
    assert loaded.unlock("alice", "alice password").groups["bullying"] == new_key
    assert "bullying" not in loaded.unlock("bob", "bob password").groups
    assert loaded.unlock_with_recovery(recovery).groups["bullying"] == new_key


def test_a_new_store_grants_every_key_to_its_first_account_and_the_recovery(
    tmp_path: Path,
) -> None:
    from datetime import datetime

    from storage.key_groups import key_groups
    from storage.registry import default_registry

    path = tmp_path / "new.tdb"
    store, recovery = Store.create(path, "test", LEAD_LOGIN, LEAD_PASSWORD,
                                   created_at=datetime(2026, 4, 1), scrypt_n=N)
    every = {g.name for g in key_groups(default_registry())}
    assert set(store.keys.groups) == every
    assert len(set(store.keys.groups.values())) == len(every)  # one random key each
    store.close()
    by_password = Store.open(path, LEAD_LOGIN, LEAD_PASSWORD)
    by_recovery = Store.open_with_recovery_key(path, recovery)
    assert by_password.keys.groups == by_recovery.keys.groups
    assert by_password.keys.system == by_recovery.keys.system
    assert by_password.keys.signing_seed != by_recovery.keys.signing_seed
    by_password.close()
    by_recovery.close()


def test_a_damaged_entry_stops_neither_listing_nor_rotation(tmp_path: Path) -> None:
    keyfile, store_path = _file(tmp_path)
    keyfile.grant("bob", "bullying", BULLYING_KEY)
    keyfile.save(store_path)
    slot = keyfile.account_slot("bob")
    _edit(store_path, lambda raw: DAMAGE["bad base64"](raw, slot))
    loaded = KeyFile.load(store_path)
    assert loaded.granted_groups("bob") == {SYSTEM_GROUP, "bullying"}
    new_key = keys.new_data_key()
    assert loaded.regrant_holders("bullying", new_key, 2) == 1  # alice; bob's entry is damaged
    assert loaded.unlock("alice", "alice password").groups["bullying"] == new_key
