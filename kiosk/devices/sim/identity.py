"""The demo's IdentityService: the demo citizens' card photos as the "public-security reference
photos" of their ID numbers (assets/demo/citizens.yaml), so a demo citizen can leave the card in
the tray and be checked by ID number and face. Only for `[devices] identity_service = "sim"`."""
from __future__ import annotations

import threading
from collections.abc import Iterable

from kiosk.devices.identity import NOT_FOUND, UNAVAILABLE, IdentityUnavailable, Reference
from kiosk.devices.sim.citizens import DemoCitizen


class SimIdentityService:
    def __init__(self, citizens: Iterable[DemoCitizen], delay: float = 0.2) -> None:
        self._by_number = {c.identity.personal_number: Reference(c.identity.name, c.identity.photo)
                           for c in citizens if c.identity.personal_number and c.identity.photo}
        self.delay = delay
        self.online = True            # tests and the demo can take it offline
        self.requests = 0             # how many references were asked for (tests read it)
        self._stop = threading.Event()

    def available(self) -> bool:
        return self.online

    def reference(self, id_number: str, timeout: float) -> Reference:
        """Records worker; blocks for the simulated round trip (≤ timeout)."""
        self.requests += 1
        self._stop.wait(min(self.delay, timeout))
        if not self.online:
            raise IdentityUnavailable(UNAVAILABLE, "simulated identity service offline", offline=True)
        found = self._by_number.get(id_number)
        if found is None:
            raise IdentityUnavailable(NOT_FOUND, "no reference for this number")
        return found
