"""The IdentityService port (kiosk/devices/identity.py) answered by the back office: POST
/v1/identity/reference {"id_number"} (backoffice/identity.py), signed with the kiosk's key like
the records lookup, the answer signed by the back office for this very request. In production
the back office forwards the request to the public-security authentication platform.

What comes back is bounded and checked before use (kiosk/domain/reference.py check_photo); the
photo is handed on in memory and never written anywhere. After a network failure the path is
withdrawn (`available()` is False) for OFFLINE_SECONDS, so citizens are not offered what cannot
work. Runs on the records worker; blocks for at most the client's timeout.
"""
from __future__ import annotations

import base64
import binascii
import threading
import time
from collections.abc import Callable

from kiosk.domain.reference import NOT_FOUND, TOO_MANY, UNAVAILABLE, IdentityUnavailable, Reference, check_photo
from kiosk.services.sync.client import RefusedSyncError, SyncClient, TransientSyncError

PATH = "/v1/identity/reference"
OFFLINE_SECONDS = 60.0
MAX_NAME = 64


def parse_reference(answer: object) -> Reference:
    """The back office's answer as a Reference, or IdentityUnavailable (not found, garbled)."""
    if not isinstance(answer, dict) or not isinstance(answer.get("found"), bool):
        raise IdentityUnavailable(UNAVAILABLE, "a garbled identity answer")
    if not answer["found"]:
        raise IdentityUnavailable(NOT_FOUND, "no reference for this number")
    name, photo = answer.get("name"), answer.get("photo")
    if not isinstance(name, str) or not 0 < len(name) <= MAX_NAME or not isinstance(photo, str) \
            or len(photo) > 4 * (700 * 1024) // 3:
        raise IdentityUnavailable(UNAVAILABLE, "an identity answer out of bounds")
    try:
        raw = base64.b64decode(photo, validate=True)
    except (binascii.Error, ValueError):
        raise IdentityUnavailable(UNAVAILABLE, "a reference photo that is not base64") from None
    return Reference(name, check_photo(raw))


class BackofficeIdentityService:
    """`make_client(timeout)` gives a fresh signed client (one per request: the records worker is
    not the sync thread that owns the sync client)."""

    def __init__(self, make_client: Callable[[float], SyncClient], clock: Callable[[], float] = time.monotonic) -> None:
        self._make_client = make_client
        self._clock = clock
        self._offline_until = 0.0
        self._lock = threading.Lock()

    def available(self) -> bool:
        with self._lock:
            return self._clock() >= self._offline_until

    def reference(self, id_number: str, timeout: float) -> Reference:
        client = self._make_client(timeout)
        try:
            answer = client.call("POST", PATH, {"id_number": id_number})
        except RefusedSyncError as exc:
            raise IdentityUnavailable(UNAVAILABLE, str(exc)) from None
        except TransientSyncError as exc:
            text = str(exc)
            if "HTTP 429" in text:
                raise IdentityUnavailable(TOO_MANY, "the back office's limit for this kiosk") from None
            offline = text.startswith(("network", "out of time"))
            if offline:
                with self._lock:
                    self._offline_until = self._clock() + OFFLINE_SECONDS
            raise IdentityUnavailable(UNAVAILABLE, text, offline=offline) from None
        finally:
            client.close()
        return parse_reference(answer)
