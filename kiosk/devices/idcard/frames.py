"""The SAM reader's frame protocol (GA 467): building requests, parsing responses from a byte stream.

Pure and Qt-free; no I/O. Any thread; never blocks.

Frame layout (both directions)::

    AA AA AA 96 69 | LEN1 LEN2 | payload ... | CHK
    host -> reader payload: CMD PARA DATA
    reader -> host payload: SW1 SW2 SW3 DATA

LEN (big-endian) counts everything after itself, the checksum included; CHK is the XOR of the
length bytes and the payload (everything but the preamble and the checksum itself).

Sources checked (November 2026, via the project's `search` tool), and where they disagree:
- softs.im "身份证阅读器通信协议" (frame layout, command table, SW3 status table, two worked error
  frames whose checksums we reproduce: `AA AA AA 96 69 00 04 00 00 41 45`).
- eastcoms.com / blog.csdn.net zhangbijun1230 "公安部身份证阅读器模块SAM通讯协议" (same frame layout,
  LEN high byte first, XOR checksum over all but preamble and checksum, 115200 8N1 default).
- blog.csdn.net qiwenmingshiwo "android串口通信——身份证识别器" (worked frames: find card
  `... 00 03 20 01 22` -> `... 00 08 00 00 9F 00 00 00 00 97`; select `20 02`; read base `30 01` ->
  1295 bytes, `05 08 00 00 90 01 00 04 00` + 256 text + 1024 photo + CHK; read with fingerprint
  `30 10` -> three length fields).
- Yangyuanxin/BearPi 10.ZKT_BearPi/ZKT_SDK/IDReader.h (preamble, find 20 01, select 20 02, read 30 01).
Disagreements:
- Reset SAM: 0x10 0xFF in softs.im and eastcoms; 0x01 0xFF in BearPi's IDReader.h. We use 0x10
  (two sources) and never need reset in the read path anyway.
- Status byte order: every source with a worked frame puts the reader's own status in the *third*
  byte (`00 00 90` success, `00 00 9F` card found, `00 00 80` no card); shorthand elsewhere
  (and our issue text) writes "90 00 00". We follow the worked frames: SW3 is the status.
- 0x91 ("no such content on the card", e.g. no fingerprint) appears only in the softs.im table,
  whose row is truncated; treated as a failure like any other non-0x90 status.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

PREAMBLE = b"\xaa\xaa\xaa\x96\x69"
HEADER_LEN = len(PREAMBLE) + 2
# The largest real response: text + photo + 1024 bytes of fingerprints = 2321 bytes on the wire
# (LEN 0x090A). Anything claiming more is garbage, and accepting it would let a noisy line make us
# buffer (and wait for) up to 64 KB.
MAX_LEN = 0x0A00

# (CMD, PARA)
CMD_RESET = (0x10, 0xFF)
CMD_SAM_STATUS = (0x11, 0xFF)
CMD_SAM_ID = (0x12, 0xFF)
CMD_FIND_CARD = (0x20, 0x01)
CMD_SELECT_CARD = (0x20, 0x02)
CMD_READ_BASE = (0x30, 0x01)          # text + photo
CMD_READ_NEWEST_ADDRESS = (0x30, 0x03)
CMD_READ_WITH_FINGERPRINT = (0x30, 0x10)

SW_OK = 0x90
SW_FOUND = 0x9F
SW_NO_CARD = 0x80
SW_SELECT_FAILED = 0x81

STATUS_MEANINGS: dict[int, str] = {
    0x90: "success",
    0x9F: "card found",
    0x10: "reader received a frame with a bad checksum",
    0x11: "reader received a frame with a bad length",
    0x21: "reader rejected the command",
    0x24: "unrecognised error",
    0x31: "card failed to authenticate the reader",
    0x32: "reader failed to authenticate the card",
    0x33: "information verification failed",
    0x40: "wrong card type",
    0x41: "reading the card failed",
    0x47: "getting a random number from the card failed",
    0x60: "reader self-test failed",
    0x66: "reader not authorised",
    0x80: "no card found",
    0x81: "selecting the card failed",
    0x91: "no such content on the card",
}


class ParseError(ValueError):
    """A frame (or a response's data) is not what the protocol allows. The message names the
    problem, never the bytes (they may be personal data)."""


def checksum(body: bytes) -> int:
    """XOR of `body` (the length bytes and the payload)."""
    return reduce(lambda a, b: a ^ b, body, 0)


def _frame(payload: bytes) -> bytes:
    length = len(payload) + 1
    if length > MAX_LEN:
        raise ValueError("payload too long for one frame")
    body = length.to_bytes(2, "big") + payload
    return PREAMBLE + body + bytes([checksum(body)])


def build_request(command: tuple[int, int], data: bytes = b"") -> bytes:
    """The frame the host sends for `command` (one of the CMD_* pairs)."""
    return _frame(bytes(command) + data)


def build_response(sw3: int, data: bytes = b"", sw1: int = 0, sw2: int = 0) -> bytes:
    """The frame a reader sends (used by the emulator and tests)."""
    return _frame(bytes((sw1, sw2, sw3)) + data)


@dataclass(frozen=True)
class Request:
    command: tuple[int, int]
    data: bytes


@dataclass(frozen=True)
class Response:
    sw1: int
    sw2: int
    sw3: int
    data: bytes

    @property
    def meaning(self) -> str:
        return STATUS_MEANINGS.get(self.sw3, f"status {self.sw3:#04x}")


def parse_request(payload: bytes) -> Request:
    if len(payload) < 2:
        raise ParseError("request shorter than command and parameter")
    return Request((payload[0], payload[1]), bytes(payload[2:]))


def parse_response(payload: bytes) -> Response:
    if len(payload) < 3:
        raise ParseError("response shorter than its three status bytes")
    return Response(payload[0], payload[1], payload[2], bytes(payload[3:]))


class FrameBuffer:
    """Reassembles frames from bytes as they arrive (split, partial, with garbage between).

    Not thread-safe: one owner (the card thread, or the emulator's thread). Bounded: it never holds
    more than one maximal frame plus the last chunk fed.
    """

    def __init__(self, min_payload: int = 3) -> None:
        self._buf = bytearray()
        self._min_payload = min_payload
        self.skipped = 0          # garbage bytes dropped while resynchronising (for the operator log)

    def feed(self, data: bytes) -> None:
        self._buf += data

    def clear(self) -> None:
        self._buf.clear()

    def pop(self) -> bytes | None:
        """The next complete frame's payload (without length and checksum), or None until more
        bytes arrive. Raises ParseError for a frame with a bad length or checksum, after dropping
        its preamble so that the next call resynchronises on whatever follows."""
        start = self._buf.find(PREAMBLE)
        if start < 0:
            # keep a tail that may be the start of a preamble split across reads
            keep = len(PREAMBLE) - 1
            drop = max(0, len(self._buf) - keep)
            self.skipped += drop
            del self._buf[:drop]
            return None
        if start:
            self.skipped += start
            del self._buf[:start]
        if len(self._buf) < HEADER_LEN:
            return None
        length = int.from_bytes(self._buf[5:7], "big")
        if length < self._min_payload + 1 or length > MAX_LEN:
            self._resync()
            raise ParseError(f"frame length {length} out of range")
        end = HEADER_LEN + length
        if len(self._buf) < end:
            return None
        body = bytes(self._buf[5:end - 1])
        if checksum(body) != self._buf[end - 1]:
            self._resync()
            raise ParseError("frame checksum mismatch")
        del self._buf[:end]
        return body[2:]

    def _resync(self) -> None:
        # drop one byte of this preamble only: a real frame may start inside what we thought
        # was this one's length or body
        self.skipped += 1
        del self._buf[:1]


@dataclass(frozen=True)
class BaseMessage:
    text: bytes      # the 256-byte UCS-2 block (content.py)
    photo: bytes     # 1024 bytes of WLT (not decoded here)
    fingerprint: bytes = b""


def parse_base_message(data: bytes, with_fingerprint: bool = False) -> BaseMessage:
    """Split the data of a successful read (30 01, or 30 10 with `with_fingerprint`) into its parts."""
    fields = 3 if with_fingerprint else 2
    if len(data) < 2 * fields:
        raise ParseError("read response too short for its length fields")
    lengths = [int.from_bytes(data[2 * i:2 * i + 2], "big") for i in range(fields)]
    if lengths[0] != 256 or lengths[1] not in (0, 1024) or (with_fingerprint and lengths[2] not in (0, 512, 1024)):
        raise ParseError("read response lengths are not 256/1024")
    if 2 * fields + sum(lengths) != len(data):
        raise ParseError("read response length fields do not match its size")
    at = 2 * fields
    text = data[at:at + lengths[0]]
    photo = data[at + lengths[0]:at + lengths[0] + lengths[1]]
    finger = data[at + lengths[0] + lengths[1]:] if with_fingerprint else b""
    return BaseMessage(bytes(text), bytes(photo), bytes(finger))


def build_base_message(text: bytes, photo: bytes, fingerprint: bytes | None = None) -> bytes:
    """The data of a read response (emulator and tests)."""
    out = len(text).to_bytes(2, "big") + len(photo).to_bytes(2, "big")
    if fingerprint is not None:
        out += len(fingerprint).to_bytes(2, "big")
    return out + text + photo + (fingerprint or b"")
