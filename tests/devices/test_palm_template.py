"""Templates: header + opaque data, byte round trip, damage detected, data never shown."""

from __future__ import annotations

import pytest

from devices import InvalidData, Template, TemplateHeader

HEADER = TemplateHeader("toda.simulator", 1, 77, 1_767_225_600, "0123456789abcdef" * 2)
DATA = bytes(range(200, 256)) + b"palm-secret-block"


def test_round_trip_keeps_header_and_data() -> None:
    template = Template(HEADER, DATA)
    raw = template.to_bytes()
    assert raw.startswith(b"TDPT")
    assert Template.from_bytes(raw) == template
    assert Template.from_bytes(bytearray(raw)) == template


def test_repr_and_str_show_the_header_but_never_the_data() -> None:
    template = Template(HEADER, DATA)
    for text in (repr(template), str(template), f"{template}", repr([template])):
        assert "palm-secret-block" not in text
        assert DATA.hex() not in text and DATA.hex()[:16] not in text
        assert "quality=77" in text and HEADER.template_id in text
        assert f"<{len(DATA)} bytes>" in text


def test_every_single_byte_change_is_detected() -> None:
    raw = Template(HEADER, DATA).to_bytes()
    for position in range(len(raw)):
        damaged = bytearray(raw)
        damaged[position] ^= 0x01
        with pytest.raises(InvalidData):
            Template.from_bytes(bytes(damaged))


@pytest.mark.parametrize(
    "raw", [b"", b"TDPT", b"\x00" * 64, b"PNG\x89" + b"\x00" * 80, "テンプレート".encode()]
)
def test_garbage_is_invalid_data_with_a_japanese_message(raw: bytes) -> None:
    with pytest.raises(InvalidData) as raised:
        Template.from_bytes(raw)
    assert "登録データ" in raised.value.message_ja
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_truncated_or_extended_records_are_rejected() -> None:
    raw = Template(HEADER, DATA).to_bytes()
    for bad in (raw[:-1], raw[:20], raw + b"\x00"):
        with pytest.raises(InvalidData):
            Template.from_bytes(bad)


@pytest.mark.parametrize(
    "fields",
    [
        ("", 1, 50, 0, "00" * 16),
        ("fmt", 70000, 50, 0, "00" * 16),
        ("fmt", 1, 101, 0, "00" * 16),
        ("fmt", 1, 50, 0, "xyz"),
        ("fmt", 1, 50, 0, "AB" * 16),
        ("形式", 1, 50, 0, "00" * 16),
    ],
)
def test_header_fields_are_checked(fields: tuple[str, int, int, int, str]) -> None:
    with pytest.raises(ValueError):
        TemplateHeader(*fields)


def test_data_block_size_is_bounded() -> None:
    with pytest.raises(ValueError):
        Template(HEADER, b"")
    with pytest.raises(ValueError):
        Template(HEADER, b"x" * (64 * 1024 + 1))
