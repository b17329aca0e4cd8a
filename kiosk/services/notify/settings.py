"""The [notify] configuration (kiosk/defaults.toml) and the Notifier backend it chooses.
Called by the composition root on the main thread; builds no connection until a send."""
from __future__ import annotations

from kiosk.config import Config
from kiosk.services.notify.outbox import NotifyPolicy
from kiosk.services.notify.port import Notifier, SimulatedNotifier

BACKENDS = ("none", "sim", "http")


def notify_policy(config: Config) -> NotifyPolicy:
    n = config.notify
    return NotifyPolicy(max_attempts=n.max_attempts, backoff_base_seconds=n.backoff_base_seconds,
                        backoff_max_seconds=n.backoff_max_seconds)


def make_notifier(config: Config) -> Notifier | None:
    """The backend of `notify.backend`; None for "none" (no message is even queued). ValueError
    for an unknown backend or an incomplete gateway configuration (the message never holds the key)."""
    n = config.notify
    if n.backend == "none":
        return None
    if n.backend == "sim":
        return SimulatedNotifier()
    if n.backend == "http":
        from kiosk.services.notify.sms_gateway import HttpSmsGateway
        return HttpSmsGateway(n.sms_gateway_url, n.sms_gateway_key, timeout=n.timeout_seconds)
    raise ValueError(f"notify.backend = {n.backend!r}: use one of {', '.join(BACKENDS)}")
