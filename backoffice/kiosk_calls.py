"""What every kiosk-facing endpoint does around its own work: check the kiosk's request signature,
sign the answer for that request, and limit how often one kiosk may ask.

One copy of this matters: the routers grew their own copies (records, identity, staff, receipt
status and the application upload), and two of them had drifted to sign-checking the path without
its query string. Request handlers run on the server's worker threads; nothing here blocks
beyond reading the request body.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Depends, Request
from fastapi.responses import Response

from backoffice.service import Backoffice
from kiosk.services.sync import protocol as proto


@dataclass(frozen=True)
class Signed:
    """A request whose kiosk signature checked out: who sent it, the nonce its answer is signed
    for, and the exact body that was signed."""
    kiosk_id: str
    nonce: str
    body: bytes = b""


async def raw_body(request: Request) -> bytes:
    return await request.body()


def signed_target(request: Request) -> str:
    """The request target as the kiosk signed it: the raw path plus the query string, if any."""
    target: str = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1")
    query = request.scope.get("query_string", b"")
    return target + "?" + query.decode("latin-1") if query else target


def kiosk_signature(bo: Backoffice) -> Callable[..., Signed]:
    """A FastAPI dependency: the checked `Signed` request, or an AuthError (401/403)."""
    def signed(request: Request, body: bytes = Depends(raw_body)) -> Signed:
        kiosk_id = bo.authenticate(request.method, signed_target(request), request.headers, body)
        return Signed(kiosk_id, request.headers[proto.H_NONCE], body)
    return signed


def signed_answer(bo: Backoffice, nonce: str, payload: object, status: int = 200) -> Response:
    """Canonical JSON signed for the request's nonce, so a kiosk can tell a forged answer."""
    body = proto.canonical_json(payload)
    return Response(body, status_code=status, media_type="application/json",
                    headers={proto.H_RESPONSE_SIGNATURE: bo.keys.sign_response(nonce, status, body)})


class RateLimit:
    """At most `per_minute` calls per key in any 60 s. Any thread."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._calls: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        now = self._clock()
        with self._lock:
            q = self._calls.setdefault(key, deque())
            while q and q[0] <= now - 60:
                q.popleft()
            if len(q) >= self.per_minute:
                return False
            q.append(now)
            return True
