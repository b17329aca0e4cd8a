"""Several card readers as one: a kiosk with both a SAM reader (resident ID cards) and a PC/SC
reader (passports) starts a session with whichever card arrives first.

Threads: every method runs on the runtime's card thread, except `set_access_key` (any thread, a
short lock, as the port allows) and `close` (the shutting-down thread, after the card thread was
joined)."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from kiosk.devices.ports import AccessKey, CardError, CardReader, CardReadResult
from kiosk.i18n import tr

log = logging.getLogger(__name__)

NO_CARD = tr("未检测到证件，请将证件放到读卡区。")


class EitherCardReader:
    """The CardReader port over `readers`: `wait_for_insert` polls each in turn with short slices
    of its timeout and remembers which one has the card; `read`, `wait_for_removal` and
    `set_access_key` go to that one until its card is removed.

    A reader that raises while being polled (unplugged, its driver gone) is logged once and left
    alone for `retry_after` s, so it never keeps the others from seeing a card."""

    def __init__(self, readers: Sequence[CardReader], *, slice_seconds: float = 0.1,
                 retry_after: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        if not readers:
            raise ValueError("EitherCardReader needs at least one reader")
        self._readers = tuple(readers)
        self.name = " + ".join(r.name for r in self._readers)
        self._slice = slice_seconds
        self._retry_after = retry_after
        self._clock = clock
        self._lock = threading.Lock()           # guards _holder: set_access_key may come from the GUI thread
        self._holder: CardReader | None = None
        self._resting_until: dict[int, float] = {}
        self._failing: set[int] = set()
        self._start = 0                          # the reader polled first, rotated so none always waits
        self._closed = threading.Event()

    @property
    def holder(self) -> CardReader | None:
        """The reader with the card, or None. Any thread."""
        with self._lock:
            return self._holder

    # --- the CardReader port ---------------------------------------------------------------
    def wait_for_insert(self, timeout: float) -> bool:
        """Card thread. Poll each reader in turn, each for one slice (`slice_seconds`, or an equal
        share of a shorter `timeout`), until one has a card (True) or the timeout is used up
        (False). A scrap of time shorter than a slice is left unused rather than handed to a
        reader: a SAM reader given a few ms takes its unanswered poll for a missing reader. So the
        wait ends up to one slice early, and never late but for a backend call returning late."""
        if self.holder is not None:
            return True
        deadline = self._clock() + timeout
        n = len(self._readers)
        share = min(self._slice, timeout / n)
        while not self._closed.is_set():
            polled = False
            for i in [(self._start + k) % n for k in range(n)]:
                left = deadline - self._clock()
                if left < share or left <= 0 or self._closed.is_set():
                    return False
                if self._resting_until.get(i, 0.0) > self._clock():
                    continue
                polled = True
                reader = self._readers[i]
                try:
                    present = reader.wait_for_insert(share)
                except Exception as exc:  # noqa: BLE001 - one broken reader must not stop the others
                    self._failed(i, exc)
                    continue
                self._answered(i)
                if present:
                    with self._lock:
                        self._holder = reader
                    self._start = (i + 1) % n
                    return True
            self._start = (self._start + 1) % n
            left = deadline - self._clock()
            if left < share or left <= 0:
                return False
            if not polled:   # every reader is resting after a failure: wait, do not spin
                self._closed.wait(share)
        return False

    def wait_for_removal(self, timeout: float) -> bool:
        """Card thread. Wait on the reader holding the card; True (and forgotten) once it is gone.
        With no card held there is nothing to remove (True). The holder's errors propagate, as a
        single reader's would: the runtime logs them and asks again."""
        holder = self.holder
        if holder is None:
            return True
        removed = holder.wait_for_removal(timeout)
        if removed:
            with self._lock:
                if self._holder is holder:
                    self._holder = None
        return removed

    def read(self, timeout: float) -> CardReadResult:
        """Card thread. Read the card on the reader that has it; CardError when none has."""
        holder = self.holder
        if holder is None:
            raise CardError(NO_CARD, "no reader holds a card")
        return holder.read(timeout)

    def set_access_key(self, key: AccessKey | None) -> None:
        """Any thread. A key goes to the reader holding the card (ValueError from it propagates);
        with no card held it is dropped, since the citizen typed it for a card that is gone.
        None (session end) goes to every reader, so no reader keeps an earlier citizen's key."""
        if key is not None:
            holder = self.holder
            if holder is not None:
                holder.set_access_key(key)
            return
        problem: Exception | None = None
        for reader in self._readers:
            try:
                reader.set_access_key(None)
            except Exception as exc:  # noqa: BLE001 - re-raised once the others forgot it too
                problem = problem or exc
        if problem is not None:
            raise problem

    def close(self) -> None:
        """Shutting-down thread. Close every reader (one failing does not keep the others open)."""
        self._closed.set()
        with self._lock:
            self._holder = None
        for reader in self._readers:
            try:
                reader.close()
            except Exception:
                log.exception("closing card reader %s failed", reader.name)

    # --- failures ----------------------------------------------------------------------------
    def _failed(self, i: int, exc: Exception) -> None:
        self._resting_until[i] = self._clock() + self._retry_after
        if i not in self._failing:
            self._failing.add(i)
            # the class and message only: a poll reads no citizen data, and no traceback every 5 s
            log.warning("card reader %s failed (%s: %s); the other readers go on, it is tried again every %.0f s",
                        self._readers[i].name, type(exc).__name__, exc, self._retry_after)

    def _answered(self, i: int) -> None:
        self._resting_until.pop(i, None)
        if i in self._failing:
            self._failing.discard(i)
            log.info("card reader %s answers again", self._readers[i].name)
