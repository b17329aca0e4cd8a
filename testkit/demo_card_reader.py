"""The demo's card reader: the demo tray holds passport-like ICAO chips and resident ID cards.

ICAO citizens are read as before (testkit/chip_reader.py SimChipReader, a virtual chip). A
resident ID citizen's card is placed in a SAM emulator on a pty (testkit/sam_emulator.py) and read
by the product's SamCardReader through the GA 467 frames, with the demo photo encoding
(testkit/demo_wlt.py) decoded by DemoPhotoDecoder: the only reader that decoder is composed with.
"""
from __future__ import annotations

import threading

from pathlib import Path

from kiosk.devices.icao.reader import ReadOptions
from kiosk.devices.icao.sod import TrustStore
from kiosk.devices.idcard.content import RESIDENT
from kiosk.devices.idcard.photo import DemoPhotoDecoder
from kiosk.devices.idcard.sam_reader import SamCardReader
from kiosk.devices.ports import CardReadResult
from kiosk.domain.identity import Identity
from testkit.chip_reader import SimChipReader
from testkit.demo_wlt import demo_wlt
from testkit.idcard_text import resident_text
from testkit.sam_emulator import SamEmulator


def card_text(identity: Identity) -> bytes:
    """The 256-byte text block of a demo resident ID card holding this identity."""
    expiry = identity.expiry_date
    return resident_text(name=identity.name, sex="1" if identity.sex == "M" else "2",
                         birth=f"{identity.birth_date:%Y%m%d}", address=identity.address or "",
                         number=identity.personal_number or identity.document_number,
                         start=f"{expiry.year - 20}{expiry:%m%d}" if expiry else "20200101",
                         end=f"{expiry:%Y%m%d}" if expiry else "20400101")


class DemoCardReader(SimChipReader):
    """`insert`/`remove` from any thread (the demo tray, the autopilot); `read` on the card thread."""

    name = "Demo card reader (ICAO chips, SAM resident ID cards)"

    def __init__(self, trust_store: Path | TrustStore, options: ReadOptions = ReadOptions()) -> None:
        super().__init__(trust_store, options)
        # The emulator (a pty and a thread) starts with the first resident card: most runs never
        # see one, and a reader built and never closed (a test, a one-off command) leaks nothing.
        self._sam_lock = threading.Lock()
        self._emulator: SamEmulator | None = None
        self._sam: SamCardReader | None = None

    def _sam_pair(self) -> tuple[SamEmulator, SamCardReader]:
        with self._sam_lock:
            if self._emulator is None or self._sam is None:
                self._emulator = SamEmulator()
                self._emulator.remove()
                self._sam = SamCardReader(self._emulator.port, photo_decoder=DemoPhotoDecoder(), poll_interval=0.05)
            return self._emulator, self._sam

    @property
    def emulator(self) -> SamEmulator:
        return self._sam_pair()[0]

    def insert(self, identity: Identity, *, fail: bool = False) -> None:
        if identity.card_type == RESIDENT:
            emulator = self.emulator
            emulator.text = card_text(identity)
            emulator.photo = demo_wlt(identity.photo)
            emulator.place()
        elif self._emulator is not None:
            self._emulator.remove()
        super().insert(identity, fail=fail)

    def remove(self) -> None:
        if self._emulator is not None:
            self._emulator.remove()    # a read in progress sees the card leave
        super().remove()

    def read(self, timeout: float) -> CardReadResult:
        with self._cond:
            identity = self._card
        if identity is not None and identity.card_type == RESIDENT:
            return self._sam_pair()[1].read(timeout)
        return super().read(timeout)

    def close(self) -> None:
        with self._sam_lock:
            emulator, sam = self._emulator, self._sam
        if sam is not None:
            sam.close()
        if emulator is not None:
            emulator.close()
        super().close()
