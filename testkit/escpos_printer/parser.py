"""An ESC/POS command parser for the virtual printer: bytes in, commands out (incremental).

Knows what the kiosk's backend and python-escpos send for a receipt, and answers the rest as
`unknown` (one byte at a time), so a test can assert that nothing unexpected was sent:
  ESC @            init            ESC d n   feed_lines      ESC J n   feed_dots
  ESC a n          align           ESC 2     line_spacing    ESC 3 n   line_spacing
  GS v 0 m xL xH yL yH d1..dk      raster (k = (xL + 256 xH) * (yL + 256 yH))
  GS V m / GS V m n                cut (m in 0, 1, 48, 49 / 65, 66, 97, 98, 103, 104)
  DLE EOT n        status (n 1..4) LF        line_feed
Test tooling only; never imported by the product.
"""
from __future__ import annotations

from dataclasses import dataclass, field

ESC, GS, DLE, EOT, LF = 0x1B, 0x1D, 0x10, 0x04, 0x0A
_CUT_NO_N = {0, 1, 48, 49}
_CUT_WITH_N = {65, 66, 97, 98, 103, 104}
_ESC_ONE_ARG = {ord("d"): "feed_lines", ord("J"): "feed_dots", ord("a"): "align", ord("3"): "line_spacing"}


@dataclass(frozen=True)
class Command:
    name: str
    args: tuple[int, ...] = ()
    data: bytes = field(default=b"", repr=False)


class Parser:
    """Feed it bytes as they arrive; it returns the commands completed so far."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[Command]:
        self._buf += data
        out: list[Command] = []
        while self._buf:
            cmd, used = _one(bytes(self._buf[:8]), self._buf)
            if used == 0:
                break                    # incomplete: wait for more bytes
            del self._buf[:used]
            out.append(cmd)
        return out

    @property
    def pending(self) -> int:
        """Bytes of an incomplete command still held."""
        return len(self._buf)


def _one(head: bytes, buf: bytearray) -> tuple[Command, int]:
    """The first command in `buf` and its length, or (_, 0) when more bytes are needed."""
    b0 = head[0]
    need = _Need()
    if b0 == LF:
        return Command("line_feed"), 1
    if b0 == ESC:
        if len(head) < 2:
            return need.more()
        b1 = head[1]
        if b1 == ord("@"):
            return Command("init"), 2
        if b1 == ord("2"):
            return Command("line_spacing", ()), 2
        if b1 in _ESC_ONE_ARG:
            return (Command(_ESC_ONE_ARG[b1], (head[2],)), 3) if len(head) >= 3 else need.more()
    elif b0 == DLE:
        if len(head) < 3:
            return need.more() if len(head) < 2 or head[1] == EOT else (Command("unknown", (b0,)), 1)
        if head[1] == EOT and 1 <= head[2] <= 4:
            return Command("status", (head[2],)), 3
    elif b0 == GS:
        if len(head) < 2:
            return need.more()
        if head[1] == ord("V"):
            if len(head) < 3:
                return need.more()
            m = head[2]
            if m in _CUT_NO_N:
                return Command("cut", (m,)), 3
            if m in _CUT_WITH_N:
                return (Command("cut", (m, head[3])), 4) if len(head) >= 4 else need.more()
        elif head[1] == ord("v"):
            if len(head) < 8:
                return need.more()
            if head[2] in (0x30, 0x00):
                m, width_bytes, height = head[3], head[4] + 256 * head[5], head[6] + 256 * head[7]
                total = 8 + width_bytes * height
                if len(buf) < total:
                    return need.more()
                return Command("raster", (m, width_bytes, height), bytes(buf[8:total])), total
    return Command("unknown", (b0,)), 1


class _Need:
    @staticmethod
    def more() -> tuple[Command, int]:
        return Command("incomplete"), 0
