"""Reading one elementary file of an eMRTD: READ BINARY by short file id, or SELECT by file id and
READ BINARY by offset for chips that refuse short file ids, in chunks of the current read plan.

Runs on the card thread; blocks on the channel, one APDU at a time.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from kiosk.devices.icao import tlv
from kiosk.devices.icao.apdu import SW_FILE_NOT_FOUND, SW_WRONG_LENGTH, Command, Response
from kiosk.devices.icao.errors import CardStatusError, LdsError, ParseError

log = logging.getLogger(__name__)

# What chips answer a READ BINARY with a short file id they do not support (or a file they only
# reach by SELECT): file not found, wrong P1/P2, instruction not supported, class not supported.
SFI_REFUSED = frozenset((0x6A82, 0x6A86, 0x6D00, 0x6E00))


class Sender(Protocol):
    def send(self, cmd: Command) -> Response: ...


class ChunkRefused(Exception):
    """The chip refused our read size (or extended length): restart with a smaller one."""


@dataclass(frozen=True)
class Plan:
    name: str
    first: int
    chunk: int


class FileAccess:
    """How this card lets us reach its files, learnt once per card: after the first short-file read
    refused and the same file found by SELECT, every later file is selected (one APDU more per file
    instead of two). Kept across the resets of one read. Card thread only."""

    def __init__(self) -> None:
        self.by_sfi = True

    @property
    def name(self) -> str:
        return "sfi" if self.by_sfi else "select"


def read_ef(ch: Sender, fid: int, sfi: int, plan: Plan, access: FileAccess) -> bytes | None:
    """A whole EF; None only when the chip says it does not have it when selected by its file id
    (a refused short-file read alone never means "absent")."""
    r: Response | None = None
    if access.by_sfi:
        r = _read(ch, Command(0x00, 0xB0, 0x80 | sfi, 0x00, le=plan.first))
        if r.sw in SFI_REFUSED:
            log.info("READ BINARY with short file id %02X answered %04X; selecting file %04X", sfi, r.sw, fid)
            r = None
    if r is None:
        sel = ch.send(Command(0x00, 0xA4, 0x02, 0x0C, fid.to_bytes(2, "big")))
        if sel.sw == SW_FILE_NOT_FOUND:
            return None
        _check(sel, f"SELECT EF {fid:04X}")
        access.by_sfi = False
        r = _read(ch, Command(0x00, 0xB0, 0x00, 0x00, le=plan.first))
    _check(r, f"READ BINARY {fid:04X}")
    data = r.data
    try:
        total = tlv.encoded_size(data[:8])
    except ParseError as exc:
        raise LdsError(f"file {fid:04X} does not start with a TLV header: {exc}") from None
    while len(data) < total:
        offset = len(data)
        if offset > 0x7FFF:
            raise LdsError(f"file {fid:04X} is larger than this reader supports ({total} bytes)")
        r = _read(ch, Command(0x00, 0xB0, offset >> 8, offset & 0xFF, le=min(plan.chunk, total - offset)))
        _check(r, f"READ BINARY {fid:04X} at {offset}")
        if not r.data:
            raise LdsError(f"file {fid:04X} ended early")
        data += r.data
    return data[:total]


def _read(ch: Sender, cmd: Command) -> Response:
    r = ch.send(cmd)
    if r.sw == SW_WRONG_LENGTH or r.sw & 0xFF00 == 0x6C00 or r.sw in (0x6987, 0x6988):
        raise ChunkRefused(f"{r.sw:04X}")
    return r


def _check(r: Response, what: str) -> None:
    if not r.ok:
        raise CardStatusError(what, r.sw)
