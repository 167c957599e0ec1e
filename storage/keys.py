"""Envelope encryption of the store's data key, and the key file beside the store.

A random 256-bit data key opens the SQLCipher store. It is never written in the clear: each
account holds it wrapped (AES-256-GCM) under a key derived from its password with scrypt and a
per-account salt, and one recovery wrap is held under a random recovery key shown once to the
project lead. A password change rewraps one entry. The key file is JSON so that an
administrator can back it up with the store; it holds no name and no password.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kernel.store_kind import StoreKind
from storage.errors import KeyFileDamaged, KeyFileMissing, StoreError, WrongCredentials

DATA_KEY_BYTES = 32
KEYFILE_FORMAT = 1
# scrypt cost: about 0.6 s on the office PCs (REFERENCE_NOTES); tests may pass a cheaper one.
DEFAULT_SCRYPT_N = 2**17
SCRYPT_R = 8
SCRYPT_P = 1
RECOVERY_KEY_GROUPS = 8  # 8 groups x 8 hex digits = 256 bits


def new_data_key() -> bytes:
    return secrets.token_bytes(DATA_KEY_BYTES)


def normalize_password(password: str) -> str:
    """NFKC, as NIST SP 800-63B asks, so that full- and half-width input agree."""
    return unicodedata.normalize("NFKC", password)


def normalize_login(login_id: str) -> str:
    return unicodedata.normalize("NFKC", login_id).strip().lower()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def derive_password_key(password: str, salt: bytes, n: int) -> bytes:
    return hashlib.scrypt(
        normalize_password(password).encode("utf-8"),
        salt=salt,
        n=n,
        r=SCRYPT_R,
        p=SCRYPT_P,
        maxmem=256 * 1024 * 1024,
        dklen=32,
    )


@dataclass(frozen=True)
class Wrap:
    """The data key encrypted under one secret; ``aad`` binds it to its store and owner."""

    salt: bytes
    n: int
    nonce: bytes
    ciphertext: bytes

    def to_json(self) -> dict[str, Any]:
        return {
            "salt": _b64(self.salt),
            "n": self.n,
            "nonce": _b64(self.nonce),
            "ct": _b64(self.ciphertext),
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Wrap:
        return cls(
            salt=_unb64(raw["salt"]),
            n=int(raw["n"]),
            nonce=_unb64(raw["nonce"]),
            ciphertext=_unb64(raw["ct"]),
        )


def _seal(kek: bytes, data_key: bytes, aad: bytes, salt: bytes, n: int) -> Wrap:
    nonce = secrets.token_bytes(12)
    return Wrap(salt=salt, n=n, nonce=nonce, ciphertext=AESGCM(kek).encrypt(nonce, data_key, aad))


def _open(kek: bytes, wrap: Wrap, aad: bytes) -> bytes:
    try:
        key = AESGCM(kek).decrypt(wrap.nonce, wrap.ciphertext, aad)
    except InvalidTag:
        raise WrongCredentials() from None
    if len(key) != DATA_KEY_BYTES:
        raise KeyFileDamaged()
    return key


def wrap_with_password(
    data_key: bytes, password: str, aad: bytes, n: int = DEFAULT_SCRYPT_N
) -> Wrap:
    salt = secrets.token_bytes(16)
    return _seal(derive_password_key(password, salt, n), data_key, aad, salt, n)


def unwrap_with_password(wrap: Wrap, password: str, aad: bytes) -> bytes:
    return _open(derive_password_key(password, wrap.salt, wrap.n), wrap, aad)


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


def wrap_with_recovery_key(data_key: bytes, recovery_key: str, aad: bytes) -> Wrap:
    salt = secrets.token_bytes(16)
    return _seal(_recovery_kek(recovery_key, salt), data_key, aad, salt, 0)


def unwrap_with_recovery_key(wrap: Wrap, recovery_key: str, aad: bytes) -> bytes:
    try:
        return _open(_recovery_kek(recovery_key, wrap.salt), wrap, aad)
    except WrongCredentials:
        raise WrongCredentials("回復キーが正しくありません。") from None


def _store_kind(raw: object) -> StoreKind:
    try:
        return StoreKind(str(raw))
    except ValueError:
        raise KeyFileDamaged() from None


@dataclass
class KeyFile:
    """The JSON file beside the store: store id and kind, account wraps, recovery wrap.

    Accounts are listed by a hash of store id and login id, so the file does not list who
    works in the office. ``demo_accounts`` exists only in demo stores (shown on login).
    """

    store_id: str
    store_kind: StoreKind
    accounts: dict[str, Wrap] = field(default_factory=dict)
    recovery: Wrap | None = None
    demo_accounts: list[dict[str, str]] = field(default_factory=list)

    @staticmethod
    def path_for(store_path: Path) -> Path:
        return store_path.with_name(store_path.name + ".keys")

    def account_slot(self, login_id: str) -> str:
        material = f"{self.store_id}\x00{normalize_login(login_id)}".encode()
        return hashlib.sha256(material).hexdigest()

    def aad(self, slot: str) -> bytes:
        return f"toda-key-wrap\x00{self.store_id}\x00{slot}".encode()

    def add_account(
        self, login_id: str, password: str, data_key: bytes, n: int = DEFAULT_SCRYPT_N
    ) -> None:
        slot = self.account_slot(login_id)
        self.accounts[slot] = wrap_with_password(data_key, password, self.aad(slot), n)

    def remove_account(self, login_id: str) -> None:
        self.accounts.pop(self.account_slot(login_id), None)

    def unlock(self, login_id: str, password: str) -> bytes:
        slot = self.account_slot(login_id)
        wrap = self.accounts.get(slot)
        if wrap is None:
            # Spend the same time as a real attempt so timing does not reveal unknown IDs.
            derive_password_key(password, b"\x00" * 16, self._typical_n())
            raise WrongCredentials()
        return unwrap_with_password(wrap, password, self.aad(slot))

    def set_recovery(self, data_key: bytes, recovery_key: str) -> None:
        self.recovery = wrap_with_recovery_key(data_key, recovery_key, self.aad("recovery"))

    def unlock_with_recovery(self, recovery_key: str) -> bytes:
        if self.recovery is None:
            raise KeyFileDamaged()
        return unwrap_with_recovery_key(self.recovery, recovery_key, self.aad("recovery"))

    def _typical_n(self) -> int:
        return next(iter(self.accounts.values())).n if self.accounts else DEFAULT_SCRYPT_N

    def to_json(self) -> dict[str, Any]:
        return {
            "format": KEYFILE_FORMAT,
            "store_id": self.store_id,
            "store_kind": self.store_kind,
            "accounts": {slot: w.to_json() for slot, w in sorted(self.accounts.items())},
            "recovery": None if self.recovery is None else self.recovery.to_json(),
            "demo_accounts": self.demo_accounts,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> KeyFile:
        if raw.get("format") != KEYFILE_FORMAT:
            raise KeyFileDamaged()
        recovery = raw.get("recovery")
        return cls(
            store_id=str(raw["store_id"]),
            store_kind=_store_kind(raw["store_kind"]),
            accounts={s: Wrap.from_json(w) for s, w in raw["accounts"].items()},
            recovery=None if recovery is None else Wrap.from_json(recovery),
            demo_accounts=[dict(a) for a in raw.get("demo_accounts", [])],
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
        except (ValueError, KeyError, TypeError):
            raise KeyFileDamaged() from None

    def save(self, store_path: Path) -> None:
        """Write atomically: a crash leaves either the old or the new file, never half."""
        path = self.path_for(store_path)
        tmp = path.with_name(path.name + ".tmp")
        data = json.dumps(self.to_json(), ensure_ascii=False, indent=1).encode("utf-8")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
