"""Opaque biometric templates: a small header plus a data block, never an image.

Shaped like a BioAPI BIR (header + opaque biometric data). The data block is personal
information (個人識別符号) and only the backend that made it can read it, so this module
keeps it out of ``repr``/``str`` and checks the record's integrity when it is parsed.

Wire form (big-endian): magic ``TDPT``, container version (u8), format id length (u8) and
ASCII format id, format version (u16), quality (u8, 0–100), created (i64 epoch seconds),
template id (16 bytes), data length (u32), data, CRC-32 of everything before it.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from devices.errors import InvalidData

MAGIC = b"TDPT"
CONTAINER_VERSION = 1
MAX_DATA_BYTES = 64 * 1024
_FIXED = struct.Struct(">HBq16sI")  # format version, quality, created, id, data length
_CRC = struct.Struct(">I")


@dataclass(frozen=True)
class TemplateHeader:
    """Everything about a template except its data: safe to log, record and compare."""

    format_id: str
    format_version: int
    quality: int
    created: int
    template_id: str  # 32 lowercase hex digits

    def __post_init__(self) -> None:
        if not (0 < len(self.format_id) < 256 and self.format_id.isascii()):
            raise ValueError("format_id must be 1-255 ASCII characters")
        if not 0 <= self.format_version <= 0xFFFF:
            raise ValueError("format_version must fit in 16 bits")
        if not 0 <= self.quality <= 100:
            raise ValueError("quality must be 0-100")
        if len(self.template_id) != 32 or not _is_hex(self.template_id):
            raise ValueError("template_id must be 32 hex digits")


@dataclass(frozen=True, repr=False)
class Template:
    header: TemplateHeader
    data: bytes

    def __post_init__(self) -> None:
        if not 0 < len(self.data) <= MAX_DATA_BYTES:
            raise ValueError("template data must be 1 byte to 64 KiB")

    @property
    def format_id(self) -> str:
        return self.header.format_id

    @property
    def template_id(self) -> str:
        return self.header.template_id

    @property
    def quality(self) -> int:
        return self.header.quality

    def __repr__(self) -> str:
        h = self.header
        return (
            f"Template(format={h.format_id!r} v{h.format_version}, quality={h.quality}, "
            f"created={h.created}, id={h.template_id}, data=<{len(self.data)} bytes>)"
        )

    __str__ = __repr__

    def to_bytes(self) -> bytes:
        h = self.header
        fmt = h.format_id.encode("ascii")
        body = b"".join((
            MAGIC,
            bytes((CONTAINER_VERSION, len(fmt))),
            fmt,
            _FIXED.pack(
                h.format_version, h.quality, h.created, bytes.fromhex(h.template_id),
                len(self.data),
            ),
            self.data,
        ))
        return body + _CRC.pack(zlib.crc32(body))

    @classmethod
    def from_bytes(cls, raw: bytes | bytearray | memoryview) -> Template:
        """Parse a stored record; anything malformed is ``InvalidData`` (never a crash)."""
        try:
            return cls._parse(bytes(raw))
        except (ValueError, struct.error, UnicodeDecodeError, IndexError):
            raise InvalidData() from None

    @classmethod
    def _parse(cls, raw: bytes) -> Template:
        if len(raw) < len(MAGIC) + 2 + _FIXED.size + _CRC.size or raw[:4] != MAGIC:
            raise ValueError("not a template")
        body, (crc,) = raw[: -_CRC.size], _CRC.unpack(raw[-_CRC.size :])
        if zlib.crc32(body) != crc or body[4] != CONTAINER_VERSION:
            raise ValueError("damaged or unknown container")
        fmt_end = 6 + body[5]
        format_id = body[6:fmt_end].decode("ascii")
        version, quality, created, tid, length = _FIXED.unpack_from(body, fmt_end)
        data = body[fmt_end + _FIXED.size :]
        if len(data) != length:
            raise ValueError("length mismatch")
        header = TemplateHeader(format_id, version, quality, created, tid.hex())
        return cls(header, data)


def as_template(value: Template | bytes) -> Template:
    return value if isinstance(value, Template) else Template.from_bytes(value)


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdef" for c in text)
