"""Secure messaging (ICAO 9303 part 11 §9.8): protect commands and unprotect responses, and the
chip's side of the same (used by the virtual card).

Pure computation on the card thread; no blocking. The send sequence counter is incremented before
each command and each response and is part of every MAC, so a replayed, reordered or forged
response fails its MAC check and raises SecureMessagingError.
"""
from __future__ import annotations

from kiosk.devices.icao import tlv
from kiosk.devices.icao.apdu import Command, Response
from kiosk.devices.icao.crypto.primitives import SessionKeys, mac_equal, pad, unpad
from kiosk.devices.icao.errors import ParseError, SecureMessagingError


def _objects(data: bytes) -> dict[int, bytes]:
    try:
        objs: dict[int, bytes] = {}
        pos = 0
        raw: dict[int, bytes] = {}
        while pos < len(data):
            start = pos
            tag, value, pos = tlv.parse_one(data, pos)
            objs[tag] = value
            raw[tag] = data[start:pos]
        objs.update({-t: r for t, r in raw.items()})   # negative keys: the whole encoded object
        return objs
    except ParseError as exc:
        raise SecureMessagingError(f"malformed secure-messaging data: {exc}") from None


def protect_command(keys: SessionKeys, cmd: Command) -> Command:
    """The terminal side: encrypt the data (DO87), carry Le (DO97) and add the MAC (DO8E)."""
    keys.ssc += 1
    ext = cmd.needs_extended
    cla = cmd.cla | 0x0C
    header = bytes((cla, cmd.ins, cmd.p1, cmd.p2))
    do87 = tlv.encode(0x87, b"\x01" + keys.encrypt(pad(cmd.data, keys.block))) if cmd.data else b""
    do97 = b""
    if cmd.le is not None:
        do97 = tlv.encode(0x97, (cmd.le % 65536).to_bytes(2, "big") if ext else bytes((cmd.le % 256,)))
    mac = keys.mac_of(pad(header, keys.block) + do87 + do97)
    body = do87 + do97 + tlv.encode(0x8E, mac)
    return Command(cla, cmd.ins, cmd.p1, cmd.p2, body, le=65536 if ext else 256, extended=ext)


def unprotect_response(keys: SessionKeys, resp: Response) -> Response:
    """The terminal side: check the MAC over SSC || DO87 || DO99, decrypt DO87, return the plain
    response. A response without secure messaging is refused unless it reports an error."""
    keys.ssc += 1
    if not resp.data:
        if resp.sw in (0x9000, 0x6282):
            raise SecureMessagingError("success without secure messaging")
        return resp     # an error status, e.g. 6987/6988 (SM broken) or 6700: the caller decides
    objs = _objects(resp.data)
    if 0x8E not in objs or 0x99 not in objs:
        raise SecureMessagingError("protected response without MAC or status")
    mac = keys.mac_of(objs.get(-0x87, b"") + objs.get(-0x99, b""))
    if not mac_equal(mac, objs[0x8E]):
        raise SecureMessagingError("response MAC is wrong")
    sw = int.from_bytes(objs[0x99], "big")
    data = b""
    if 0x87 in objs:
        enc = objs[0x87]
        if not enc or enc[0] != 0x01:
            raise SecureMessagingError("unknown padding indicator")
        try:
            data = unpad(keys.decrypt(enc[1:]))
        except ValueError:
            raise SecureMessagingError("response does not decrypt") from None
    return Response(data, sw)


def unprotect_command(keys: SessionKeys, cmd: Command) -> Command:
    """The chip side: verify and decrypt a protected command."""
    keys.ssc += 1
    if cmd.cla & 0x0C != 0x0C:
        raise SecureMessagingError("command without secure messaging")
    objs = _objects(cmd.data)
    if 0x8E not in objs:
        raise SecureMessagingError("command without MAC")
    header = bytes((cmd.cla, cmd.ins, cmd.p1, cmd.p2))
    mac = keys.mac_of(pad(header, keys.block) + objs.get(-0x87, b"") + objs.get(-0x97, b""))
    if not mac_equal(mac, objs[0x8E]):
        raise SecureMessagingError("command MAC is wrong")
    data = b""
    if 0x87 in objs:
        try:
            data = unpad(keys.decrypt(objs[0x87][1:]))
        except ValueError:
            raise SecureMessagingError("command does not decrypt") from None
    le = None
    if 0x97 in objs:
        v = objs[0x97]
        le = (int.from_bytes(v, "big") or (65536 if len(v) == 2 else 256)) if v else 256
    return Command(cmd.cla & ~0x0C & 0xFF, cmd.ins, cmd.p1, cmd.p2, data, le, extended=cmd.extended)


def protect_response(keys: SessionKeys, resp: Response) -> Response:
    """The chip side: wrap a plain response in DO87/DO99/DO8E."""
    keys.ssc += 1
    do87 = tlv.encode(0x87, b"\x01" + keys.encrypt(pad(resp.data, keys.block))) if resp.data else b""
    do99 = tlv.encode(0x99, resp.sw.to_bytes(2, "big"))
    mac = keys.mac_of(do87 + do99)
    return Response(do87 + do99 + tlv.encode(0x8E, mac), resp.sw)
