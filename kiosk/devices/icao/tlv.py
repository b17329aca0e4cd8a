"""BER-TLV as used by ICAO 9303 data groups and APDU data: decode, find, encode.

Pure functions; any thread; no blocking. Malformed input raises `TlvError` only.
Tags are returned as ints of their raw bytes (e.g. 0x5F1F, 0x7F61).
"""
from __future__ import annotations

from collections.abc import Iterator

from kiosk.devices.icao.errors import TlvError

MAX_TAG_BYTES = 3


def read_tag(data: bytes, pos: int) -> tuple[int, int]:
    """The tag starting at `pos` and the position after it."""
    if pos >= len(data):
        raise TlvError("truncated tag")
    first = data[pos]
    tag, pos = first, pos + 1
    if first & 0x1F == 0x1F:
        for _ in range(MAX_TAG_BYTES):
            if pos >= len(data):
                raise TlvError("truncated multi-byte tag")
            b = data[pos]
            tag, pos = (tag << 8) | b, pos + 1
            if not b & 0x80:
                break
        else:
            raise TlvError("tag too long")
    return tag, pos


def read_length(data: bytes, pos: int) -> tuple[int, int]:
    """The definite length at `pos` and the position after it."""
    if pos >= len(data):
        raise TlvError("truncated length")
    first = data[pos]
    if first < 0x80:
        return first, pos + 1
    n = first & 0x7F
    if n == 0 or n > 4:
        raise TlvError(f"unsupported length form {first:#04x}")
    if pos + 1 + n > len(data):
        raise TlvError("truncated length")
    return int.from_bytes(data[pos + 1:pos + 1 + n], "big"), pos + 1 + n


def is_constructed(tag: int) -> bool:
    first = tag
    while first > 0xFF:
        first >>= 8
    return bool(first & 0x20)


def parse_one(data: bytes, pos: int = 0) -> tuple[int, bytes, int]:
    """(tag, value, end) of the TLV object at `pos`."""
    tag, pos = read_tag(data, pos)
    length, pos = read_length(data, pos)
    end = pos + length
    if end > len(data):
        raise TlvError(f"value of tag {tag:X} runs past the data ({length} > {len(data) - pos})")
    return tag, bytes(data[pos:end]), end


def iter_tlv(data: bytes) -> Iterator[tuple[int, bytes]]:
    """The top-level objects of `data`, in order. Padding bytes 0x00/0xFF between objects are skipped."""
    pos = 0
    while pos < len(data):
        if data[pos] in (0x00, 0xFF):
            pos += 1
            continue
        tag, value, pos = parse_one(data, pos)
        yield tag, value


def parse_all(data: bytes) -> list[tuple[int, bytes]]:
    return list(iter_tlv(data))


def find(data: bytes, tag: int) -> bytes | None:
    """The value of the first top-level object with `tag`, or None."""
    for t, v in iter_tlv(data):
        if t == tag:
            return v
    return None


def find_deep(data: bytes, tag: int, depth: int = 8) -> bytes | None:
    """Depth-first search through constructed objects for `tag`."""
    for t, v in iter_tlv(data):
        if t == tag:
            return v
        if depth > 0 and is_constructed(t):
            hit = find_deep(v, tag, depth - 1)
            if hit is not None:
                return hit
    return None


def require(data: bytes, tag: int, what: str) -> bytes:
    value = find(data, tag)
    if value is None:
        raise TlvError(f"{what}: tag {tag:X} missing")
    return value


def unwrap(data: bytes, tag: int) -> bytes:
    """The value of the object at the start of `data`, which must have `tag`; bytes after it are
    not looked at."""
    t, value, _end = parse_one(data, 0)
    if t != tag:
        raise TlvError(f"expected tag {tag:X}, found {t:X}")
    return value


def encoded_size(header: bytes) -> int:
    """Total size (tag + length + value) of the object whose first bytes are `header`.

    Used to learn a file's length from its first few bytes."""
    _, pos = read_tag(header, 0)
    length, pos = read_length(header, pos)
    return pos + length


def encode_length(n: int) -> bytes:
    if n < 0:
        raise TlvError("negative length")
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def encode_tag(tag: int) -> bytes:
    return tag.to_bytes(max(1, (tag.bit_length() + 7) // 8), "big")


def encode(tag: int, value: bytes) -> bytes:
    return encode_tag(tag) + encode_length(len(value)) + value
