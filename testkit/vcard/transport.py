"""An in-process APDU transport to a VirtualPassport, for fast unit tests (no pcscd).

Runs on the caller's thread; blocks only for the card's configured per-APDU delay.
"""
from __future__ import annotations

from kiosk.devices.icao.errors import CardRemoved, TransportError
from testkit.vcard.card import CardGone, VirtualPassport


class InProcessTransport:
    def __init__(self, card: VirtualPassport, *, reader_extended: bool = True) -> None:
        self.card = card
        self.count = 0
        self.reader_extended = reader_extended   # False: a reader whose driver fails extended APDUs

    def transmit(self, apdu: bytes) -> bytes:
        self.count += 1
        if not self.reader_extended and len(apdu) > 5 and apdu[4] == 0:
            raise TransportError("this reader cannot carry extended APDUs")
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
