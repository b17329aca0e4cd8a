"""The back office's front door (ASGI middleware), deny by default.

Every path needs a signed-in session except the kiosk endpoints (which check their own Ed25519
signatures in their routes), the sign-in page, its stylesheet, /healthz, /v1/keys and the public
receipt check /verify. Without a session a browser asking for a page is sent to /signin; anything
else gets 401. Every state-changing request (POST, PUT, PATCH, DELETE) that is not a kiosk's must
carry the session's CSRF token (form field `csrf` or header `X-CSRF-Token`; for /signin, the
token of its pre-session cookie) and must not come from another origin. Responses get a strict
Content-Security-Policy, no framing, no caching and no referrer.

Runs on the event loop (the session look-up on a worker thread); it reads at most MAX_FORM bytes
of a state-changing request's body before the route does.
"""
from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from starlette.concurrency import run_in_threadpool

from backoffice.limits import replay_body
from backoffice.sessions import Session, Sessions

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]

KIOSK_PATHS = frozenset({"/v1/applications/batch", "/v1/status-changes", "/v1/catalogue", "/v1/records/lookup",
                         "/v1/staff/credentials", "/v1/audit/batch", "/v1/feedback/batch",
                         "/v1/receipt-keys", "/v1/receipt-trust-list",
                         "/v1/receipt-status", "/v1/identity/reference"})
KIOSK_PREFIXES = ("/v1/applications/",)          # PUT /v1/applications/{number}
PUBLIC_PATHS = frozenset({"/healthz", "/v1/keys", "/signin", "/static/officials.css", "/verify"})
PUBLIC_PREFIXES = ("/verify/",)                  # the receipts issue's public receipt check
VERIFY_PATH = "/verify"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_FORM = 64 * 1024
SIGNIN_COOKIE = "ov_signin"

PAGE_CSP = ("default-src 'none'; img-src 'self'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; "
            "base-uri 'none'")
DOCS_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
            "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


def is_kiosk_path(path: str) -> bool:
    return path in KIOSK_PATHS or path.startswith(KIOSK_PREFIXES)


def is_public_path(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def session_cookie_name(secure: bool) -> str:
    # __Host-: the browser keeps it only if Secure, Path=/ and no Domain (no subdomain can set it)
    return "__Host-ov_session" if secure else "ov_session"


def cookies(scope: Scope) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                k, _, v = part.strip().partition("=")
                out.setdefault(k, v)
    return out


def header(scope: Scope, name: bytes) -> str:
    for k, v in scope.get("headers", []):
        if k == name:
            return v.decode("latin-1")
    return ""


class Gate:
    def __init__(self, app: Callable, sessions: Sessions, *, secure: bool) -> None:
        self.app = app
        self.sessions = sessions
        self.secure = secure
        self.cookie = session_cookie_name(secure)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path, method = scope["path"], scope["method"]
        if is_kiosk_path(path):
            return await self.app(scope, receive, send)
        send = self._with_headers(send, DOCS_CSP if path in ("/docs", "/redoc") else PAGE_CSP)
        jar = cookies(scope)
        session: Session | None = None
        if not is_public_path(path) or path == "/signin":
            session = await run_in_threadpool(self.sessions.resolve, jar.get(self.cookie))
        if session is None and not is_public_path(path):
            return await self._refuse_anonymous(scope, send)
        state = scope.setdefault("state", {})
        state["session"] = session
        if method not in SAFE_METHODS:
            if self._cross_origin(scope):
                return await _json(send, 403, "cross-origin request refused")
            if path == VERIFY_PATH:
                # The public receipt check acts for nobody and changes nothing, so there is no
                # authority for a forged request to borrow: no token; its upload is capped by
                # the HTTP guard (HttpLimits.verify_bytes), not MAX_FORM.
                return await self.app(scope, receive, send)
            body = await _read_body(receive)
            if body is None:
                return await _json(send, 413, "request too large")
            form = _form(scope, body)
            state["form"] = form
            token = form.get("csrf") or header(scope, b"x-csrf-token")
            # the sign-in form carries its own cookie's token, whether or not a session exists
            expected = jar.get(SIGNIN_COOKIE, "") if path == "/signin" else (session.csrf if session else "")
            if not expected or not token or not hmac.compare_digest(expected.encode(), token.encode()):
                return await _json(send, 403, "missing or wrong CSRF token (reload the page and try again)")
            receive = replay_body(body, receive)
        return await self.app(scope, receive, send)

    async def _refuse_anonymous(self, scope: Scope, send: Send) -> None:
        if scope["method"] in ("GET", "HEAD") and "text/html" in header(scope, b"accept"):
            target = scope["path"] + ("?" + scope["query_string"].decode("latin-1") if scope.get("query_string") else "")
            await send({"type": "http.response.start", "status": 303,
                        "headers": [(b"location", ("/signin?next=" + quote(target, safe="")).encode()),
                                    (b"content-length", b"0")]})
            await send({"type": "http.response.body", "body": b""})
            return
        await _json(send, 401, "sign in first (POST /signin)")

    def _cross_origin(self, scope: Scope) -> bool:
        """A browser names where a request comes from; refuse one from another site."""
        if header(scope, b"sec-fetch-site") == "cross-site":
            return True
        origin = header(scope, b"origin")
        if not origin:
            return False
        host = header(scope, b"host")
        o = urlsplit(origin)
        return origin == "null" or o.netloc != host

    def _with_headers(self, send: Send, csp: str) -> Send:
        extra = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
                 (b"referrer-policy", b"same-origin"), (b"cache-control", b"no-store")]
        if self.secure:
            extra.append((b"strict-transport-security", b"max-age=31536000"))

        async def wrapped(message: dict) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                headers = list(message.get("headers", []))
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", csp.encode()))
                headers += [(k, v) for k, v in extra if k not in names]
                message = {**message, "headers": headers}
            await send(message)
        return wrapped


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def _form(scope: Scope, body: bytes) -> dict[str, str]:
    if not header(scope, b"content-type").startswith("application/x-www-form-urlencoded"):
        return {}
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=50, strict_parsing=False)
    except (UnicodeDecodeError, ValueError):
        return {}
    return {k: v[0] for k, v in parsed.items()}


async def _json(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
