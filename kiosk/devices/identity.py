"""The IdentityService port: the reference photo of a resident ID number, for a citizen who came
without their card (刷脸办, issue 12 part 6). The live face (with liveness) is compared with it by
the usual face verifier; the photo is never stored: it lives in the session's memory and goes
with it (WipeSession clears the verifier's copy too).

In production the back office forwards the request to the public-security authentication
platform (kiosk/services/identity_client.py, POST /v1/identity/reference); the demo uses the demo
citizens' photos (kiosk/devices/sim/identity.py). Every backend is wrapped in `RateLimited`, the
kiosk's own limit per hour (the back office keeps its own per kiosk as well).
"""
from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from kiosk.domain.reference import NOT_FOUND, TOO_MANY, UNAVAILABLE, IdentityUnavailable, Reference

__all__ = ["NOT_FOUND", "TOO_MANY", "UNAVAILABLE", "IdentityService", "IdentityUnavailable", "NoIdentityService",
           "RateLimited", "Reference"]

@runtime_checkable
class IdentityService(Protocol):
    def available(self) -> bool:
        """Whether the no-card path may be offered now (configured, and not known to be offline).
        Any thread; never blocks."""
        ...

    def reference(self, id_number: str, timeout: float) -> Reference:
        """The reference photo of this (checked) resident ID number. Runs on the records worker;
        blocks at most `timeout` seconds; raises IdentityUnavailable (or TimeoutError)."""
        ...


class NoIdentityService:
    """No identity service configured: the no-card path is never offered."""

    def available(self) -> bool:
        return False

    def reference(self, id_number: str, timeout: float) -> Reference:
        raise IdentityUnavailable(UNAVAILABLE, "no identity service configured", offline=True)


class RateLimited:
    """`inner`, allowed at most `per_hour` reference requests in any hour (this kiosk's own limit:
    a stolen or misused kiosk cannot walk the population register). Thread-safe."""

    def __init__(self, inner: IdentityService, per_hour: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.inner, self.per_hour = inner, per_hour
        self._clock = clock
        self._calls: deque[float] = deque()
        self._lock = threading.Lock()

    def available(self) -> bool:
        return self.per_hour > 0 and self.inner.available()

    def reference(self, id_number: str, timeout: float) -> Reference:
        now = self._clock()
        with self._lock:
            while self._calls and self._calls[0] <= now - 3600:
                self._calls.popleft()
            if len(self._calls) >= self.per_hour:
                raise IdentityUnavailable(TOO_MANY, "the kiosk's hourly limit of reference requests")
            self._calls.append(now)
        return self.inner.reference(id_number, timeout)
