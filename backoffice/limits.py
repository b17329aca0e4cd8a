"""What one HTTP request may cost the back office, decided before its body is read.

One 210 MB unsigned POST took 5.5 GB of the server's memory: the whole body was read, then
parsed as JSON, and only then was the missing signature noticed. `RequestGuard` (ASGI middleware,
outermost of the app's own) now, for every request:

1. counts requests in progress and answers 503 above `max_requests` (/healthz is not counted);
2. on a kiosk route (signed: /v1/... except /v1/keys and /v1/officials/...) checks that the four
   signature headers are there, well-formed and fresh, and answers 401 otherwise, before
   reading a byte of the body; the signature itself covers the body, so the route checks it
   once the body is read, and parses the body only after that (backoffice/app.py);
3. compares Content-Length with the route's cap (`body_cap`) and answers 413 at once if over;
4. reads the body itself, chunked or not, stopping at the cap (413), at `body_timeout` seconds
   for the whole body (408), or when all bodies being read together would pass
   `body_budget_bytes` (503); then hands the route the body it read.

A refusal is one log line (method, path, client, status, reason) and a small JSON answer
{"detail": ...} with `Connection: close`, since the rest of the body was never read. Connection
and request-head limits are in backoffice/connections.py. Runs on the server's event loop.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio
from starlette.datastructures import Headers

log = logging.getLogger("backoffice.http")

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

KiB, MiB = 1 << 10, 1 << 20
UNSIGNED_V1 = ("/v1/keys", "/v1/officials")     # /v1/ routes that are not a kiosk's (these and below)
UNCOUNTED = frozenset({"/healthz"})


@dataclass(frozen=True)
class HttpLimits:
    batch_bytes: int = 16 * MiB            # POST /v1/applications/batch (kiosks send about 1 MB)
    application_bytes: int = 16 * MiB      # PUT /v1/applications/{number}: one application with photos
    default_bytes: int = 64 * KiB          # any other POST/PUT/PATCH (officials' forms, lookups)
    verify_bytes: int = 4 * MiB            # POST /verify: a receipt PDF or photo (backoffice/web/verify.py)
    body_timeout: float = 60.0             # seconds for a whole body to arrive
    body_budget_bytes: int = 128 * MiB     # all request bodies held at once
    max_requests: int = 64                 # requests in progress at once


def configure(app: Any, limits: HttpLimits) -> None:
    """Use `limits` in an app made by backoffice.app.create_app; before its first request."""
    if getattr(app, "middleware_stack", None) is not None:
        raise RuntimeError("HTTP limits are set before the app serves its first request")
    app.state.http_limits = limits


def is_signed_path(path: str) -> bool:
    """A kiosk route: its requests carry the four signature headers."""
    if not path.startswith("/v1/"):
        return False
    return not any(path == p or path.startswith(p + "/") for p in UNSIGNED_V1)


def body_cap(method: str, path: str, limits: HttpLimits) -> int:
    """The most body bytes this request may have."""
    if method in ("GET", "HEAD", "OPTIONS", "DELETE"):
        return 0
    if method == "POST" and path == "/v1/applications/batch":
        return limits.batch_bytes
    if method == "PUT" and path.startswith("/v1/applications/"):
        return limits.application_bytes
    if method == "POST" and path == "/verify":
        return limits.verify_bytes
    return limits.default_bytes


class Refusal(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class _Budget:
    """Bytes of request bodies held at once, across requests (event loop only: no lock)."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.used = 0

    def take(self, n: int) -> bool:
        if self.used + n > self.total:
            return False
        self.used += n
        return True

    def give(self, n: int) -> None:
        self.used -= n


class RequestGuard:
    """ASGI middleware; `precheck(headers)` raises an exception with `status` and `detail`
    for a kiosk request whose signature headers are missing, malformed or stale (the back
    office's Backoffice.precheck)."""

    def __init__(self, app: Callable, *, precheck: Callable[[Headers], Any], limits: HttpLimits | None = None,
                 state: Any = None) -> None:
        self.app = app
        self.precheck = precheck
        # Starlette builds its middleware when the first request comes: limits set by `configure`
        # until then apply.
        self.limits = limits or getattr(state, "http_limits", None) or HttpLimits()
        self._budget = _Budget(self.limits.body_budget_bytes)
        self._in_progress = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNCOUNTED:
            return await self.app(scope, receive, send)
        if self._in_progress >= self.limits.max_requests:
            return await self._refuse(scope, send, Refusal(503, "busy: too many requests in progress; try again"))
        self._in_progress += 1
        held = 0
        try:
            try:
                body, held = await self._admit(scope, receive)
            except Refusal as r:
                return await self._refuse(scope, send, r)
            except _ClientGone:
                log.info("%s %r from %s: the client went away while sending its body", scope["method"],
                         scope["path"][:100], _client(scope))
                return None
            return await self.app(scope, replay_body(body, receive) if body is not None else receive, send)
        finally:
            self._in_progress -= 1
            self._budget.give(held)

    async def _admit(self, scope: Scope, receive: Receive) -> tuple[bytes | None, int]:
        """The body (None: the request has none), and how much budget it holds; Refusal otherwise."""
        method, path = scope["method"], scope["path"]
        headers = Headers(scope=scope)
        if is_signed_path(path):
            try:
                self.precheck(headers)
            except Exception as exc:  # the back office's AuthError (re-raised if it is not a refusal)
                status, detail = getattr(exc, "status", None), getattr(exc, "detail", None)
                if not isinstance(status, int) or not isinstance(detail, str):
                    raise
                raise Refusal(status, detail) from None
        cap = body_cap(method, path, self.limits)
        length = headers.get("content-length")
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        if length is not None:
            if not (length.isascii() and length.isdigit()) or len(length) > 15:
                raise Refusal(400, "bad Content-Length")
            if int(length) > cap:
                raise Refusal(413, f"request body over {cap} bytes for this route")
            if int(length) == 0:
                return None, 0
        elif not chunked:
            return None, 0
        return await self._read(receive, cap)

    async def _read(self, receive: Receive, cap: int) -> tuple[bytes, int]:
        chunks: list[bytes] = []
        size = 0
        done = False
        try:
            with anyio.fail_after(self.limits.body_timeout):
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        raise _ClientGone()
                    chunk = message.get("body", b"")
                    if size + len(chunk) > cap:
                        raise Refusal(413, f"request body over {cap} bytes for this route")
                    if not self._budget.take(len(chunk)):
                        raise Refusal(503, "busy: too many large requests at once; try again")
                    size += len(chunk)
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        break
            done = True
        except TimeoutError:
            raise Refusal(408, f"request body not received within {self.limits.body_timeout:g}s") from None
        finally:
            if not done:
                self._budget.give(size)
        return b"".join(chunks), size

    async def _refuse(self, scope: Scope, send: Send, r: Refusal) -> None:
        log.warning("refused %s %r from %s: %d %s", scope["method"], scope["path"][:100], _client(scope), r.status,
                    r.detail)
        body = json.dumps({"detail": r.detail}).encode()
        await send({"type": "http.response.start", "status": r.status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


class _ClientGone(Exception):
    pass


def _client(scope: Scope) -> str:
    c = scope.get("client")
    return f"{c[0]}:{c[1]}" if c else "?"


def replay_body(body: bytes, then: Receive) -> Receive:
    """The body already read, as one message; after it, the connection's own messages (a
    disconnect). Used by this guard and by the sign-in gate (backoffice/web/gate.py), which both
    read a body before the app does."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await then()
    return receive
