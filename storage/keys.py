"""The key file beside the store (format 2): per-account key pairs and sealed group keys.

Every account has its own key pair: an X25519 key that receives group keys and an Ed25519
seed that signs its audit entries. The private halves (64 bytes) are wrapped (AES-256-GCM)
under a key derived from the account's password with scrypt. Each key an account holds (the
``system`` key of the store file and the key of each data group) is sealed to the account's
X25519 public key (ephemeral X25519, HKDF-SHA256, AES-256-GCM), so a key holder can grant a
key to an account without knowing its password, and an account holds exactly the keys it was
granted. The recovery key opens one more identity of the same shape that holds every key.

Store id, store kind, slot and group are bound into every wrap (AES-GCM associated data):
editing the kind in this file makes every unwrap fail. Each entry carries a checksum so that
accidental damage is told apart from a wrong password. The file is JSON (backed up with the
store); it holds no name and no password.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kernel.store_kind import StoreKind
from storage.errors import KeyFileDamaged, KeyFileMissing, StoreError, WrongCredentials
from storage.key_groups import SYSTEM_GROUP
from storage.keyring import StoreKeys

DATA_KEY_BYTES = 32
KEYFILE_FORMAT = 2
# scrypt cost: about 0.6 s on the office PCs (REFERENCE_NOTES); tests may pass a cheaper one.
DEFAULT_SCRYPT_N = 2**17
MAX_SCRYPT_N = 2**18  # a larger n in the file is damage (or an attempt to exhaust memory)
SCRYPT_R = 8
SCRYPT_P = 1
RECOVERY_KEY_GROUPS = 8  # 8 groups x 8 hex digits = 256 bits
RECOVERY_SLOT = "recovery"
SELF = "self"  # ``set_by`` of a key pair whose password its own account chose
_PRIVATE_BYTES = 64  # X25519 private key + Ed25519 seed
_TAG = 16

KIND_CHANGED = (
    "鍵ファイルに記録されたデータベースの種類が、作成時の種類と一致しません。"
    "鍵ファイルが書き換えられた可能性があります。バックアップから鍵ファイルを復元し、"
    "管理者に連絡してください。"
)
WRAP_DAMAGED = (
    "鍵ファイル（.keys）の中の、このアカウントの鍵の部分が壊れています。"
    "パスワードの誤りではありません。バックアップから鍵ファイルを復元するか、"
    "管理者にパスワードの再設定を依頼してください。"
)
OLD_FORMAT = (
    "この鍵ファイルは以前の版の形式です。この版のアプリでは開けません。"
    "以前の版のアプリでデータを出力し、新しいデータベースを作成してください。"
)


def new_data_key() -> bytes:
    return secrets.token_bytes(DATA_KEY_BYTES)


def normalize_password(password: str) -> str:
    """NFKC, as NIST SP 800-63B asks, so that full- and half-width input agree."""
    return unicodedata.normalize("NFKC", password)


def normalize_login(login_id: str) -> str:
    return unicodedata.normalize("NFKC", login_id).strip().lower()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: object, length: int | None = None) -> bytes:
    """Strict base64 of an exact length; anything else is damage (ValueError)."""
    if not isinstance(text, str):
        raise ValueError("not text")
    data = base64.b64decode(text.encode("ascii"), validate=True)
    if length is not None and len(data) != length:
        raise ValueError("wrong length")
    return data


def derive_password_key(password: str, salt: bytes, n: int) -> bytes:
    return hashlib.scrypt(
        normalize_password(password).encode("utf-8"),
        salt=salt,
        n=n,
        r=SCRYPT_R,
        p=SCRYPT_P,
        maxmem=320 * 1024 * 1024,
        dklen=32,
    )


def new_recovery_key() -> str:
    """A 256-bit recovery key, written in groups so that a person can copy it onto paper."""
    raw = secrets.token_hex(DATA_KEY_BYTES).upper()
    return "-".join(raw[i : i + 8] for i in range(0, len(raw), 8))


def _recovery_kek(recovery_key: str, salt: bytes) -> bytes:
    cleaned = unicodedata.normalize("NFKC", recovery_key).replace("-", "").replace(" ", "")
    try:
        secret = bytes.fromhex(cleaned)
    except ValueError:
        raise WrongCredentials("回復キーの形式が正しくありません。") from None
    if len(secret) != DATA_KEY_BYTES:
        raise WrongCredentials("回復キーの形式が正しくありません。")
    # The recovery key is already full-entropy: a fast KDF suffices to domain-separate it.
    return hashlib.sha256(b"toda-recovery\x00" + salt + secret).digest()


# -- the parts of an entry ----------------------------------------------------------------------


@dataclass(frozen=True)
class Wrap:
    """The 64 private bytes encrypted under a password-derived key (``n`` 0: recovery key)."""

    salt: bytes
    n: int
    nonce: bytes
    ciphertext: bytes

    def to_json(self) -> dict[str, Any]:
        return {"salt": _b64(self.salt), "n": self.n, "nonce": _b64(self.nonce),
                "ct": _b64(self.ciphertext)}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Wrap:
        n = raw["n"]
        if not isinstance(n, int) or n < 0 or n > MAX_SCRYPT_N or (n and n & (n - 1)):
            raise ValueError("bad scrypt cost")
        return cls(salt=_unb64(raw["salt"], 16), n=n, nonce=_unb64(raw["nonce"], 12),
                   ciphertext=_unb64(raw["ct"], _PRIVATE_BYTES + _TAG))


@dataclass(frozen=True)
class Sealed:
    """One key sealed to an account's X25519 public key (``epk``: the ephemeral key)."""

    epk: bytes
    nonce: bytes
    ciphertext: bytes

    def to_json(self) -> dict[str, Any]:
        return {"epk": _b64(self.epk), "nonce": _b64(self.nonce), "ct": _b64(self.ciphertext)}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Sealed:
        return cls(epk=_unb64(raw["epk"], 32), nonce=_unb64(raw["nonce"], 12),
                   ciphertext=_unb64(raw["ct"], DATA_KEY_BYTES + _TAG))


@dataclass(frozen=True)
class Entry:
    """An account (or the recovery identity): public keys, wrapped private keys, grants.

    ``set_by``: ``"self"`` when the account chose its own password, else the slot of the
    administrator who set it (grants to such a key pair wait until its owner changes it).
    """

    box_public: bytes
    signing_public: bytes
    private: Wrap
    grants: Mapping[str, Sealed]
    set_by: str

    def body(self) -> dict[str, Any]:
        return {
            "box_public": _b64(self.box_public),
            "signing_public": _b64(self.signing_public),
            "private": self.private.to_json(),
            "grants": {g: s.to_json() for g, s in sorted(self.grants.items())},
            "set_by": self.set_by,
        }

    def to_json(self) -> dict[str, Any]:
        body = self.body()
        return {**body, "check": _checksum(body)}

    @classmethod
    def from_json(cls, raw: object) -> Entry:
        """KeyFileDamaged(WRAP_DAMAGED) for anything malformed or not matching its checksum."""
        try:
            assert isinstance(raw, dict)
            body = {k: v for k, v in raw.items() if k != "check"}
            if raw["check"] != _checksum(body):
                raise ValueError("checksum")
            grants = raw["grants"]
            assert isinstance(grants, dict)
            return cls(
                box_public=_unb64(raw["box_public"], 32),
                signing_public=_unb64(raw["signing_public"], 32),
                private=Wrap.from_json(raw["private"]),
                grants={str(g): Sealed.from_json(s) for g, s in grants.items()},
                set_by=str(raw["set_by"]),
            )
        except (ValueError, KeyError, TypeError, AssertionError, UnicodeError):
            raise KeyFileDamaged(WRAP_DAMAGED) from None


def _checksum(body: Mapping[str, Any]) -> str:
    text = json.dumps(body, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def _public_bytes(key: X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _seal_kek(shared: bytes, epk: bytes, recipient: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=epk + recipient,
                info=b"toda-grant-v2").derive(shared)


def _seal(recipient: bytes, key: bytes, aad: bytes) -> Sealed:
    ephemeral = X25519PrivateKey.generate()
    epk = _public_bytes(ephemeral.public_key())
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient))
    nonce = secrets.token_bytes(12)
    ct = AESGCM(_seal_kek(shared, epk, recipient)).encrypt(nonce, key, aad)
    return Sealed(epk=epk, nonce=nonce, ciphertext=ct)


def _unseal(private: X25519PrivateKey, recipient: bytes, sealed: Sealed, aad: bytes) -> bytes:
    shared = private.exchange(X25519PublicKey.from_public_bytes(sealed.epk))
    try:
        return AESGCM(_seal_kek(shared, sealed.epk, recipient)).decrypt(
            sealed.nonce, sealed.ciphertext, aad)
    except InvalidTag:
        raise KeyFileDamaged(WRAP_DAMAGED) from None


def _new_identity() -> tuple[bytes, bytes, bytes]:
    """(64 private bytes, X25519 public, Ed25519 public) of a fresh key pair."""
    box = X25519PrivateKey.generate()
    seed = secrets.token_bytes(32)
    signing_public = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    private = box.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                serialization.NoEncryption()) + seed
    return private, _public_bytes(box.public_key()), signing_public


def _store_kind(raw: object) -> StoreKind:
    try:
        return StoreKind(str(raw))
    except ValueError:
        raise KeyFileDamaged() from None


# -- the file -------------------------------------------------------------------------------------


@dataclass
class KeyFile:
    """The JSON file beside the store: store id and kind, account entries, recovery entry.

    Accounts are listed by a hash of store id and login id, so the file does not list who
    works in the office. Entries stay raw JSON until used, so that one damaged entry does not
    lock everyone out. ``signing_history``: every Ed25519 public key each slot ever had (audit
    entries signed before a password reset stay verifiable). ``demo_accounts`` exists only in
    demo stores (shown on login).
    """

    store_id: str
    store_kind: StoreKind
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    recovery: dict[str, Any] | None = None
    demo_accounts: list[dict[str, str]] = field(default_factory=list)
    generations: dict[str, int] = field(default_factory=dict)
    signing_history: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def new(cls, store_id: str, store_kind: StoreKind) -> KeyFile:
        return cls(store_id=store_id, store_kind=StoreKind(store_kind))

    @staticmethod
    def path_for(store_path: Path) -> Path:
        return store_path.with_name(store_path.name + ".keys")

    def account_slot(self, login_id: str) -> str:
        material = f"{self.store_id}\x00{normalize_login(login_id)}".encode()
        return hashlib.sha256(material).hexdigest()

    # -- associated data: what every wrap is bound to ------------------------------------------

    def _private_aad(self, slot: str, kind: StoreKind, box: bytes, signing: bytes) -> bytes:
        return b"\x00".join([b"toda-account-key-v2", self.store_id.encode(),
                             str(kind).encode(), slot.encode(), box, signing])

    def _grant_aad(self, slot: str, group: str) -> bytes:
        return b"\x00".join([b"toda-grant-v2", self.store_id.encode(),
                             str(self.store_kind).encode(), slot.encode(), group.encode()])

    # -- entries ------------------------------------------------------------------------------

    def _entry(self, slot: str) -> Entry:
        raw = self.recovery if slot == RECOVERY_SLOT else self.accounts.get(slot)
        if raw is None:
            raise KeyError(slot)
        return Entry.from_json(raw)

    def _put(self, slot: str, entry: Entry) -> None:
        if slot == RECOVERY_SLOT:
            self.recovery = entry.to_json()
        else:
            self.accounts[slot] = entry.to_json()

    def _new_entry(self, slot: str, kek: bytes, salt: bytes, n: int, set_by: str
                   ) -> tuple[Entry, bytes]:
        private, box, signing = _new_identity()
        nonce = secrets.token_bytes(12)
        ct = AESGCM(kek).encrypt(nonce, private,
                                 self._private_aad(slot, self.store_kind, box, signing))
        entry = Entry(box_public=box, signing_public=signing,
                      private=Wrap(salt=salt, n=n, nonce=nonce, ciphertext=ct),
                      grants={}, set_by=set_by)
        history = self.signing_history.setdefault(slot, [])
        history.append(_b64(signing))
        return entry, private

    def _open_private(self, slot: str, entry: Entry, kek: bytes) -> bytes:
        """The 64 private bytes; WrongCredentials, or KeyFileDamaged when the kind was edited."""
        wrap = entry.private
        aesgcm = AESGCM(kek)
        try:
            return aesgcm.decrypt(wrap.nonce, wrap.ciphertext, self._private_aad(
                slot, self.store_kind, entry.box_public, entry.signing_public))
        except InvalidTag:
            pass
        # Right secret, other kind: the kind in this file was changed after the wrap was made.
        for kind in StoreKind:
            if kind == self.store_kind:
                continue
            try:
                aesgcm.decrypt(wrap.nonce, wrap.ciphertext, self._private_aad(
                    slot, kind, entry.box_public, entry.signing_public))
            except InvalidTag:
                continue
            raise KeyFileDamaged(KIND_CHANGED)
        raise WrongCredentials()

    def _keys(self, slot: str, entry: Entry, private: bytes) -> StoreKeys:
        box = X25519PrivateKey.from_private_bytes(private[:32])
        keys = {g: _unseal(box, entry.box_public, s, self._grant_aad(slot, g))
                for g, s in entry.grants.items()}
        system = keys.pop(SYSTEM_GROUP, None)
        if system is None:
            raise KeyFileDamaged(WRAP_DAMAGED)
        return StoreKeys(system=system, groups=keys, signing_seed=private[32:])

    # -- accounts -----------------------------------------------------------------------------

    def add_account(
        self, login_id: str, password: str, *, n: int = DEFAULT_SCRYPT_N,
        set_by: str | None = None,
    ) -> None:
        """A new key pair for the account, holding nothing yet (an existing entry and all its
        grants are replaced). ``set_by``: the login of the administrator who chose the
        password; None when the account chose it itself."""
        setter = SELF if set_by is None else self.account_slot(set_by)
        self._replace_entry(self.account_slot(login_id), password, n, setter)

    def _replace_entry(self, slot: str, password: str, n: int, set_by: str) -> bytes:
        salt = secrets.token_bytes(16)
        entry, private = self._new_entry(slot, derive_password_key(password, salt, n), salt, n,
                                         set_by)
        self._put(slot, entry)
        return private

    def has_account(self, login_id: str) -> bool:
        return self.account_slot(login_id) in self.accounts

    def set_by_self(self, login_id: str) -> bool:
        """Whether the account's current password was chosen by the account itself."""
        return self.set_by_slot(login_id) == SELF

    def set_by_slot(self, login_id: str) -> str:
        """``"self"`` or the slot of the administrator who chose the password ("" if none).
        Read without any secret or check: informational; the keys are checked on use."""
        raw = self.accounts.get(self.account_slot(login_id))
        value = raw.get("set_by") if isinstance(raw, dict) else None
        return value if isinstance(value, str) else ""

    def grant(self, login_id: str, group: str, key: bytes) -> None:
        """Seal ``key`` to the account's public key (no password needed)."""
        self._grant_slot(self.account_slot(login_id), group, key)

    def _grant_slot(self, slot: str, group: str, key: bytes) -> None:
        if len(key) != DATA_KEY_BYTES:
            raise ValueError("a group key is 32 bytes")
        entry = self._entry(slot)
        sealed = _seal(entry.box_public, key, self._grant_aad(slot, group))
        self._put(slot, replace(entry, grants={**entry.grants, group: sealed}))

    def revoke(self, login_id: str, group: str) -> None:
        slot = self.account_slot(login_id)
        entry = self._entry(slot)
        if group in entry.grants:
            self._put(slot, replace(entry, grants={
                g: s for g, s in entry.grants.items() if g != group}))

    def granted_groups(self, login_id: str) -> frozenset[str]:
        """The groups sealed to the account (``system`` included); none for no account."""
        return self.slot_groups(self.account_slot(login_id))

    def slot_groups(self, slot: str) -> frozenset[str]:
        """The groups sealed to a slot, read without any secret (empty for no such slot)."""
        raw = self.accounts.get(slot)
        return frozenset(self._raw_grants(raw)) if isinstance(raw, dict) else frozenset()

    def holder_slots(self, group: str) -> tuple[str, ...]:
        """Every slot (``recovery`` included) holding ``group``; read without any secret."""
        slots = [s for s in self.accounts if group in self.slot_groups(s)]
        if self.recovery is not None and group in self._raw_grants(self.recovery):
            slots.append(RECOVERY_SLOT)
        return tuple(slots)

    @staticmethod
    def _raw_grants(raw: Mapping[str, Any]) -> Iterable[str]:
        grants = raw.get("grants")
        return grants if isinstance(grants, dict) else ()

    def regrant_holders(self, group: str, new_key: bytes, generation: int) -> int:
        """Key rotation, key-file side: seal the new key to every current holder of the
        group and record the new generation. Returns how many slots now hold it."""
        done = 0
        for slot in self.holder_slots(group):
            try:
                self._grant_slot(slot, group, new_key)
            except KeyFileDamaged:
                continue  # a damaged entry opens nothing anyway; it must not stop the rest
            done += 1
        self.generations[group] = generation
        return done

    def remove_account(self, login_id: str) -> None:
        """Drop the slot: the password no longer opens anything (history stays for audit)."""
        self.accounts.pop(self.account_slot(login_id), None)

    def unlock(self, login_id: str, password: str) -> StoreKeys:
        """System key, granted group keys and the signing seed of one account."""
        slot = self.account_slot(login_id)
        raw = self.accounts.get(slot)
        if raw is None:
            # Spend the same time as a real attempt so timing does not reveal unknown IDs.
            derive_password_key(password, b"\x00" * 16, self._typical_n())
            raise WrongCredentials()
        entry = Entry.from_json(raw)
        if entry.private.n < 2:
            raise KeyFileDamaged(WRAP_DAMAGED)
        kek = derive_password_key(password, entry.private.salt, entry.private.n)
        return self._keys(slot, entry, self._open_private(slot, entry, kek))

    def change_password(self, login_id: str, old: str, new: str, *, n: int | None = None
                        ) -> StoreKeys:
        """The account's own change: a fresh key pair under the new password holding every
        key the old one held (so a copy of the old wrap opens no later grant)."""
        held = self.unlock(login_id, old)
        slot = self.account_slot(login_id)
        cost = n if n is not None else self._entry(slot).private.n
        private = self._replace_entry(slot, new, cost, SELF)
        for group, key in [(SYSTEM_GROUP, held.system), *held.groups.items()]:
            self._grant_slot(slot, group, key)
        return StoreKeys(system=held.system, groups=dict(held.groups),
                         signing_seed=private[32:])

    def public_signing_key(self, login_id: str) -> bytes:
        """The account's current Ed25519 public key (32 bytes)."""
        return self._entry(self.account_slot(login_id)).signing_public

    def signing_keys(self, login_id: str) -> tuple[bytes, ...]:
        """Every Ed25519 public key the account has had, oldest first (audit verification)."""
        history = self.signing_history.get(self.account_slot(login_id), [])
        return tuple(base64.b64decode(k) for k in history)

    def recovery_public_signing_key(self) -> bytes:
        return self._entry(RECOVERY_SLOT).signing_public

    # -- recovery -----------------------------------------------------------------------------

    def set_recovery(self, keys: StoreKeys, recovery_key: str) -> None:
        """A recovery identity under ``recovery_key`` holding every key in ``keys``."""
        salt = secrets.token_bytes(16)
        entry, _ = self._new_entry(RECOVERY_SLOT, _recovery_kek(recovery_key, salt), salt, 0,
                                   SELF)
        self._put(RECOVERY_SLOT, entry)
        self._grant_slot(RECOVERY_SLOT, SYSTEM_GROUP, keys.system)
        for group, key in keys.groups.items():
            self._grant_slot(RECOVERY_SLOT, group, key)

    def grant_recovery(self, group: str, key: bytes) -> None:
        """Seal a key of a group made after the store (``research``) to the recovery
        identity too (its public key suffices: no recovery key is needed)."""
        if self.recovery is not None:
            self._grant_slot(RECOVERY_SLOT, group, key)

    def unlock_with_recovery(self, recovery_key: str) -> StoreKeys:
        if self.recovery is None:
            raise KeyFileDamaged()
        entry = self._entry(RECOVERY_SLOT)
        kek = _recovery_kek(recovery_key, entry.private.salt)
        try:
            private = self._open_private(RECOVERY_SLOT, entry, kek)
        except WrongCredentials:
            raise WrongCredentials("回復キーが正しくありません。") from None
        return self._keys(RECOVERY_SLOT, entry, private)

    def _typical_n(self) -> int:
        for raw in self.accounts.values():
            private = raw.get("private") if isinstance(raw, dict) else None
            with_n = private.get("n") if isinstance(private, dict) else None
            if isinstance(with_n, int) and 1 < with_n <= MAX_SCRYPT_N:
                return with_n
        return DEFAULT_SCRYPT_N

    # -- the file -----------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "format": KEYFILE_FORMAT,
            "store_id": self.store_id,
            "store_kind": self.store_kind,
            "generations": dict(sorted(self.generations.items())),
            "accounts": dict(sorted(self.accounts.items())),
            "recovery": self.recovery,
            "signing_history": dict(sorted(self.signing_history.items())),
            "demo_accounts": self.demo_accounts,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> KeyFile:
        if raw.get("format") == 1:
            raise KeyFileDamaged(OLD_FORMAT)
        if raw.get("format") != KEYFILE_FORMAT:
            raise KeyFileDamaged()
        accounts = raw["accounts"]
        recovery = raw.get("recovery")
        generations = raw.get("generations", {})
        history = raw.get("signing_history", {})
        if not (isinstance(accounts, dict) and isinstance(generations, dict)
                and isinstance(history, dict) and (recovery is None or isinstance(recovery, dict))):
            raise TypeError("key file structure")
        return cls(
            store_id=str(raw["store_id"]),
            store_kind=_store_kind(raw["store_kind"]),
            accounts={str(s): e for s, e in accounts.items()},
            recovery=recovery,
            demo_accounts=[dict(a) for a in raw.get("demo_accounts", [])],
            generations={str(g): int(v) for g, v in generations.items()},
            signing_history={str(s): [str(k) for k in v] for s, v in history.items()},
        )

    @classmethod
    def load(cls, store_path: Path) -> KeyFile:
        path = cls.path_for(store_path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise KeyFileMissing() from None
        except UnicodeDecodeError:
            raise KeyFileDamaged() from None
        except PermissionError:
            raise StoreError("鍵ファイル（.keys）を読む権限がありません。"
                             "ファイルの場所と権限を確認してください。") from None
        try:
            return cls.from_json(json.loads(text))
        except (ValueError, KeyError, TypeError, AttributeError):
            raise KeyFileDamaged() from None

    def save(self, store_path: Path) -> None:
        """Write atomically: a crash leaves either the old or the new file, never half."""
        path = self.path_for(store_path)
        tmp = path.with_name(path.name + ".tmp")
        data = json.dumps(self.to_json(), ensure_ascii=False, indent=1).encode("utf-8")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            view = memoryview(data)
            while view:  # (os.write may write less than asked)
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        sync_folder(path.parent)  # the new name itself survives a power cut


def sync_folder(folder: Path) -> None:
    """fsync a folder so that a rename or a new file in it is durable (POSIX; Windows has no
    folder handles to sync, and NTFS journals the rename itself)."""
    if os.name == "nt":  # pragma: no cover - exercised on the office PCs
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
