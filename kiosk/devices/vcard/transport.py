"""An in-process APDU transport to a VirtualPassport, for fast unit tests (no pcscd).

Runs on the caller's thread; blocks only for the card's configured per-APDU delay.
"""
from __future__ import annotations

from kiosk.devices.icao.errors import CardRemoved
from kiosk.devices.vcard.card import CardGone, VirtualPassport


class InProcessTransport:
    def __init__(self, card: VirtualPassport) -> None:
        self.card = card
        self.count = 0

    def transmit(self, apdu: bytes) -> bytes:
        self.count += 1
        try:
            return self.card.process(apdu)
        except CardGone:
            raise CardRemoved("the virtual card left the reader") from None

    def atr(self) -> bytes:
        return self.card.atr

    def reset(self) -> None:
        if self.card.gone:
            raise CardRemoved("the virtual card left the reader")
        self.card.reset()
