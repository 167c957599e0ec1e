"""Every page of a SQLCipher file, decrypted: what the disk really holds, free pages included.

SQLCipher 4 with a raw 32-byte key (``storage.connection.key_pragma``) encrypts each page
with AES-256-CBC under that key; the last 80 bytes of a page are the IV (16) and the
HMAC-SHA512 (64); page 1 begins with the 16-byte salt in the clear. A write-ahead log holds
a 32-byte header, then frames of a 24-byte header and one page encrypted the same way.
Reading the pages (not an export, which copies only live rows) is what shows whether deleted
content is really gone.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

PAGE_SIZE = 4096
RESERVE = 80  # IV 16 + HMAC-SHA512 64
SALT = 16
WAL_HEADER, FRAME_HEADER = 32, 24


def _decrypt(key: bytes, page: bytes, first: bool) -> bytes:
    start = SALT if first else 0
    end = PAGE_SIZE - RESERVE
    iv = page[end:end + 16]
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    return decryptor.update(page[start:end]) + decryptor.finalize()


def database_pages(path: Path, key: bytes) -> Iterator[bytes]:
    data = path.read_bytes()
    if len(data) % PAGE_SIZE:
        raise AssertionError("not a whole number of pages")
    for number in range(len(data) // PAGE_SIZE):
        page = data[number * PAGE_SIZE:(number + 1) * PAGE_SIZE]
        plain = _decrypt(key, page, number == 0)
        if number == 0:
            # The decrypted header: page size 4096, then the reserved bytes per page.
            (size,) = struct.unpack(">H", plain[0:2])
            if size != PAGE_SIZE or plain[4] != RESERVE:
                raise AssertionError("page 1 did not decrypt: wrong key or format")
        yield plain


def wal_pages(path: Path, key: bytes) -> Iterator[bytes]:
    if not path.exists():
        return
    data = path.read_bytes()
    offset = WAL_HEADER
    while offset + FRAME_HEADER + PAGE_SIZE <= len(data):
        (number,) = struct.unpack(">I", data[offset:offset + 4])
        page = data[offset + FRAME_HEADER: offset + FRAME_HEADER + PAGE_SIZE]
        yield _decrypt(key, page, number == 1)
        offset += FRAME_HEADER + PAGE_SIZE


def plaintext(path: Path, key: bytes) -> bytes:
    """The decrypted pages of the file and of its write-ahead log, one after another."""
    wal = path.with_name(path.name + "-wal")
    return b"".join([*database_pages(path, key), *wal_pages(wal, key)])
