"""ISO 7816-4 command and response APDUs (short and extended) and the transport port.

Pure encoding; `ApduTransport.transmit` is the only blocking call here: it runs on the card thread
and blocks until the chip answers (bounded by the reader driver).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from kiosk.devices.icao.errors import ParseError

SW_OK = 0x9000
SW_END_OF_FILE = 0x6282
SW_WRONG_LENGTH = 0x6700
SW_SECURITY_NOT_SATISFIED = 0x6982
SW_AUTH_FAILED = 0x6300
SW_FILE_NOT_FOUND = 0x6A82
SW_SM_MISSING = 0x6987
SW_SM_WRONG = 0x6988


class ApduError(ParseError):
    pass


@dataclass(frozen=True)
class Command:
    """A command APDU. `le` is the number of bytes expected (256 or 65536 for "as many as there are")."""

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None
    extended: bool = False

    @property
    def needs_extended(self) -> bool:
        return self.extended or len(self.data) > 255 or (self.le is not None and self.le > 256)

    def encode(self) -> bytes:
        head = bytes((self.cla, self.ins, self.p1, self.p2))
        ext = self.needs_extended
        if len(self.data) > 65535 or (self.le is not None and not 0 < self.le <= 65536):
            raise ApduError("APDU field too long")
        body = b""
        if self.data:
            body += (b"\x00" + len(self.data).to_bytes(2, "big")) if ext else bytes((len(self.data),))
            body += self.data
        if self.le is not None:
            if ext:
                le = (self.le % 65536).to_bytes(2, "big")
                body += le if self.data else b"\x00" + le
            else:
                body += bytes((self.le % 256,))
        return head + body


def parse_command(raw: bytes) -> Command:
    """Decode a command APDU (the virtual card's side)."""
    if len(raw) < 4:
        raise ApduError("APDU shorter than its header")
    cla, ins, p1, p2 = raw[:4]
    body = raw[4:]
    if not body:
        return Command(cla, ins, p1, p2)
    if len(body) == 1:
        return Command(cla, ins, p1, p2, le=body[0] or 256)
    if body[0] == 0 and len(body) >= 3:     # extended
        if len(body) == 3:
            return Command(cla, ins, p1, p2, le=int.from_bytes(body[1:3], "big") or 65536, extended=True)
        lc = int.from_bytes(body[1:3], "big")
        rest = body[3:]
        if lc == 0 or len(rest) not in (lc, lc + 2):
            raise ApduError("extended APDU length mismatch")
        le = int.from_bytes(rest[lc:], "big") or 65536 if len(rest) == lc + 2 else None
        return Command(cla, ins, p1, p2, rest[:lc], le, extended=True)
    lc = body[0]
    rest = body[1:]
    if len(rest) not in (lc, lc + 1):
        raise ApduError("short APDU length mismatch")
    le = (rest[lc] or 256) if len(rest) == lc + 1 else None
    return Command(cla, ins, p1, p2, rest[:lc], le)


@dataclass(frozen=True)
class Response:
    data: bytes
    sw: int

    @property
    def ok(self) -> bool:
        return self.sw in (SW_OK, SW_END_OF_FILE)

    @staticmethod
    def decode(raw: bytes) -> Response:
        if len(raw) < 2:
            raise ApduError("response shorter than a status word")
        return Response(bytes(raw[:-2]), int.from_bytes(raw[-2:], "big"))

    def encode(self) -> bytes:
        return self.data + self.sw.to_bytes(2, "big")


class ApduTransport(Protocol):
    """A connected chip. Runs on the card thread only."""

    def transmit(self, apdu: bytes) -> bytes:
        """Send one command APDU and return the response (data + SW1 SW2). Blocks until the chip
        answers. Raises CardRemoved when the card has gone, TransportError on other failures."""

    def atr(self) -> bytes:
        """The card's answer-to-reset (for its extended-length capability)."""

    def reset(self) -> None:
        """Warm-reset the card (drops its secure-messaging session). Blocks until it answers."""


def atr_supports_extended(atr: bytes) -> bool:
    """Whether the ATR's historical bytes announce extended Lc/Le (ISO 7816-4 card capabilities,
    compact-TLV tag 7, third software function byte, bit 0x40)."""
    try:
        if len(atr) < 2:
            return False
        t0 = atr[1]
        k = t0 & 0x0F
        pos, y = 2, t0 >> 4
        protocol_t = 0
        while True:
            pos += bin(y & 0x0F).count("1") - (1 if y & 0x08 else 0)
            if y & 0x08:
                td = atr[pos]
                pos += 1
                y = td >> 4
                protocol_t |= td & 0x0F
            else:
                break
        hist = atr[pos:pos + k]
        if not hist or hist[0] != 0x80:
            return False
        i = 1
        while i < len(hist):
            tag, length = hist[i] >> 4, hist[i] & 0x0F
            value = hist[i + 1:i + 1 + length]
            if tag == 7 and len(value) >= 3:
                return bool(value[2] & 0x40)
            i += 1 + length
    except IndexError:
        return False
    return False


class Channel(Protocol):
    """Sends a command APDU and returns the decoded response; used by the access-control protocols.
    Runs on the card thread; blocks on the transport."""

    def send(self, cmd: Command) -> Response: ...
