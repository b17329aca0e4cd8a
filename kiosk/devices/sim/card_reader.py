"""A simulated card reader: the demo (or a test) places and removes demo cards on it."""
from __future__ import annotations

import threading
import time

from kiosk.devices.ports import AccessKey, CardError, CardReadResult
from kiosk.domain.identity import Identity
from kiosk.i18n import tr

READ_FAILED = tr("读取证件失败，请取下证件后重新放置。")


class SimCardReader:
    """`insert`/`remove` may be called from any thread (the demo tray in the UI, tests);
    the wait/read methods run on the card thread."""

    name = "Simulated reader"

    def __init__(self, read_seconds: float = 0.4) -> None:
        self._cond = threading.Condition()
        self._card: Identity | None = None
        self._fail_next = False
        self._key: AccessKey | None = None
        self.read_seconds = read_seconds

    # --- called by the demo tray / tests -------------------------------------------------
    def insert(self, identity: Identity, *, fail: bool = False) -> None:
        with self._cond:
            self._card, self._fail_next = identity, fail
            self._cond.notify_all()

    def remove(self) -> None:
        with self._cond:
            self._card = None
            self._cond.notify_all()

    @property
    def present(self) -> bool:
        with self._cond:
            return self._card is not None

    # --- the CardReader port (card thread) ------------------------------------------------
    def wait_for_insert(self, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self._card is not None, timeout)

    def wait_for_removal(self, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self._card is None, timeout)

    def read(self, timeout: float) -> CardReadResult:
        start = time.monotonic()
        # A real chip takes a while; waiting on the condition lets a removal interrupt the read.
        with self._cond:
            removed = self._cond.wait_for(lambda: self._card is None, min(self.read_seconds, timeout))
            card, fail = self._card, self._fail_next
        if removed or card is None:
            raise CardError(READ_FAILED, "card removed during read")
        if fail:
            raise CardError(READ_FAILED, "simulated read failure")
        return CardReadResult(card, True, None, apdu_count=0, seconds=time.monotonic() - start)

    def set_access_key(self, key: AccessKey | None) -> None:
        """Kept, but not needed: a demo card opens without a key. Any thread; a short lock."""
        with self._cond:
            self._key = key

    def close(self) -> None:
        """Take the card off (kiosk shutdown). Any thread; a short lock."""
        self.remove()
