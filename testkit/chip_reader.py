"""The demo's card reader: each demo citizen's card is a virtual ICAO 9303 chip, read through
the same reader code as a real PC/SC reader (access control, secure messaging, passive and
active authentication), over an in-process transport instead of pcscd.

It models a document reader with an MRZ scanner: the access key comes from the document
itself, so the citizen types nothing. Placing and removing cards works as in SimCardReader.
"""
from __future__ import annotations

import threading
import time
from datetime import date
from pathlib import Path

from kiosk.devices.icao.mrz import MrzKey
from kiosk.devices.icao.pcsc import chip_result, read_chip
from kiosk.devices.icao.reader import ReadOptions
from kiosk.devices.icao.sod import TrustStore
from kiosk.devices.ports import CardError, CardReadResult
from kiosk.devices.sim.card_reader import READ_FAILED, SimCardReader
from testkit.vcard.card import VirtualPassport
from testkit.vcard.document import DocumentProfile
from testkit.vcard.transport import InProcessTransport
from kiosk.domain.identity import Identity


def profile_for(identity: Identity) -> DocumentProfile:
    """A TD1 ID-card chip holding this demo citizen's data and photo."""
    surname, _, given = identity.name_latin.partition(" ")
    national = identity.name[:1] + "<<" + identity.name[1:]     # DG11: surname<<given names
    return DocumentProfile(
        format="TD1", doc_code="I", state=identity.nationality, surname=surname, given=given or surname,
        number=identity.document_number, nationality=identity.nationality, birth=f"{identity.birth_date:%y%m%d}",
        sex=identity.sex, expiry=f"{identity.expiry_date or date(2036, 1, 1):%y%m%d}", national_name=national,
        personal_number=identity.personal_number or "", address=(identity.address or "").replace(" ", "<"),
        photo_jpeg=identity.photo,
    )


class SimChipReader(SimCardReader):
    """`insert`/`remove` from any thread; `read` runs on the card thread."""

    name = "Simulated ICAO chip reader"

    def __init__(self, trust_store: Path | TrustStore, options: ReadOptions = ReadOptions()) -> None:
        super().__init__(read_seconds=0.0)
        self._trust = trust_store if isinstance(trust_store, TrustStore) else TrustStore.load(trust_store)
        self._options = options
        self._chip_lock = threading.Lock()
        self._current: VirtualPassport | None = None

    def remove(self) -> None:
        with self._chip_lock:
            current = self._current
        if current is not None:
            current.remove()     # a read in progress sees the card leave, as with a real chip
        super().remove()

    def read(self, timeout: float) -> CardReadResult:
        with self._cond:
            identity = self._card
        if identity is None:
            raise CardError(READ_FAILED, "no card")
        chip = VirtualPassport(profile_for(identity))   # a fresh chip each time the card is placed
        with self._chip_lock:
            self._current = chip
        try:
            p = chip.profile
            result = chip_result(read_chip(InProcessTransport(chip), MrzKey(p.number, p.birth, p.expiry), self._trust,
                                           self._options, time.monotonic() + timeout, date.today()), date.today())
        finally:
            with self._chip_lock:
                self._current = None
        if not self.present:
            raise CardError(READ_FAILED, "card removed during read")
        return result
