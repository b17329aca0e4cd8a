"""Text messages to citizens: the `Notifier` port and a simulated backend that records what it
was asked to send (the demo and the tests); the HTTP SMS-gateway backend is sms_gateway.py.
The port lives in kiosk/services (not kiosk/devices) because the sync thread, a service, drives it.

What to send, to whom and when is decided elsewhere (kiosk/domain/notices.py, the outbox in
kiosk/services/notify/outbox.py); a backend only delivers one message or says why it could not:
`NotifyError` (try again later: network, timeout, 5xx, 429) or `NotifyRefused` (the gateway
will never take this message: sending it again would not help). No Qt.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol

from kiosk.domain.redaction import mask


@dataclass(frozen=True)
class TextMessage:
    id: str            # one per application + status change: the idempotency key
    to: str            # the citizen's mobile number
    text: str

    def __repr__(self) -> str:   # never print the number or the text into a log or traceback
        return f"TextMessage({self.id}, to={mask(self.to)})"


class NotifyError(Exception):
    """Not delivered this time; the outbox tries again later."""


class NotifyRefused(NotifyError):
    """The gateway refuses this message for good (bad number, bad request, bad key)."""


class Notifier(Protocol):
    def send(self, message: TextMessage) -> None:
        """Deliver one message or raise NotifyError / NotifyRefused. Runs on the sync thread;
        blocks at most the backend's timeout."""
        ...

    def close(self) -> None:
        ...


class SimulatedNotifier:
    """Records every message it is given (in memory only: the numbers are personal data).
    `fail_next` makes the next n sends fail as a gateway outage would. Any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sent: list[TextMessage] = []
        self.fail_next = 0

    def send(self, message: TextMessage) -> None:
        with self._lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                raise NotifyError("simulated gateway outage")
            self._sent.append(message)

    @property
    def sent(self) -> list[TextMessage]:
        with self._lock:
            return list(self._sent)

    def close(self) -> None:
        pass
