"""The transport to the back office: signed HTTP requests (kiosk/services/sync/protocol.py),
the errors they end in, and the back-off between retries. An answer counts only if the back
office signed it for this very request.

A server that answers slowly or without end must not hold the kiosk: every call ends within
its time (a total deadline for the whole call, not a timeout per read: a server that trickles
one byte a second never trips a per-read timeout), and an answer is read up to
`max_response_bytes` and no further (a hostile server once pushed 3 GB into the kiosk). The
deadline is enforced on every socket operation (`_DeadlineBackend`), so connect, send and
receive together stay within it.
"""
from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from typing import Any

import httpcore
import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kiosk.services.sync import protocol as proto

# The largest answer: a catalogue (at most 1 MiB, kiosk/services/safe_yaml.py) in JSON, with room.
MAX_RESPONSE_BYTES = 4 << 20
_WRITE_SLICE = 64 << 10          # send in slices, so a server that reads slowly meets the deadline


class TransientSyncError(Exception):
    """Network error, timeout, 5xx, garbage, or an answer the back office did not sign: retry later."""


class TooLargeSyncError(TransientSyncError):
    """The back office refused the request's size (413) without reading it."""


class RefusedSyncError(TransientSyncError):
    """The back office refused the kiosk (401/403): enrolment, key or clock. Staff must look;
    the worker keeps retrying with back-off."""


def backoff_delay(failures: int, base: float, cap: float, rng: random.Random) -> float:
    """Exponential back-off with "equal jitter": in [d/2, d] where d = min(cap, base * 2^(n-1))."""
    if failures <= 0:
        return 0.0
    d = min(cap, base * (2 ** min(failures - 1, 30)))
    return rng.uniform(d / 2, d)


class SyncClient:
    """Signed requests to the back office. One thread at a time (the sync thread, or the main
    thread of `kiosk sync now`); each call blocks for at most `timeout` seconds in all, and
    never past `deadline` (time.monotonic(); None: no overall deadline) when one is set."""

    def __init__(self, base_url: str, kiosk_id: str, signing_key: Ed25519PrivateKey,
                 backoffice_key: Ed25519PublicKey, timeout: float = 20.0,
                 wall_clock: Callable[[], float] = time.time, max_response_bytes: int = MAX_RESPONSE_BYTES) -> None:
        self.kiosk_id = kiosk_id
        self.timeout = timeout
        self.deadline: float | None = None
        self.max_response_bytes = max_response_bytes
        self._key = signing_key
        self._backoffice = backoffice_key
        self._clock = wall_clock
        self._call_deadline = 0.0
        transport = httpx.HTTPTransport(trust_env=False)
        # httpx builds its pool without a way to pass a network backend: swap in one that is.
        transport._pool = httpcore.ConnectionPool(ssl_context=httpx.create_ssl_context(trust_env=False),
                                                  network_backend=_DeadlineBackend(lambda: self._call_deadline))
        self._http = httpx.Client(base_url=base_url.rstrip("/"), trust_env=False, transport=transport,
                                  timeout=httpx.Timeout(timeout, connect=min(5.0, timeout)))

    def close(self) -> None:
        self._http.close()

    def call(self, method: str, target: str, payload: Any = None) -> Any:
        start = time.monotonic()
        self._call_deadline = start + self.timeout if self.deadline is None else min(start + self.timeout,
                                                                                     self.deadline)
        if self._call_deadline - start <= 0.05:
            raise TransientSyncError("out of time")
        body = proto.canonical_json(payload) if payload is not None else b""
        headers = proto.sign_request(self._key, method, target, self.kiosk_id, body, int(self._clock()))
        # identity: a compressed answer could expand past the cap before we see a byte of it
        headers["Accept-Encoding"] = "identity"
        if payload is not None:
            headers["Content-Type"] = "application/json"
        try:
            with self._http.stream(method, target, content=body, headers=headers) as r:
                content = self._read_capped(r)
        except httpx.HTTPError as exc:   # connect refused, reset, timeout, not HTTP at all
            raise TransientSyncError(f"network: {type(exc).__name__}") from None
        if r.status_code in (401, 403):
            raise RefusedSyncError(f"refused by the back office (HTTP {r.status_code}): {_detail(content)}")
        if r.status_code == 413:
            raise TooLargeSyncError(f"too large for the back office (HTTP 413, {len(body)} bytes)")
        if not 200 <= r.status_code < 300:
            raise TransientSyncError(f"HTTP {r.status_code}")
        signature = r.headers.get(proto.H_RESPONSE_SIGNATURE, "")
        if not proto.verify_response(self._backoffice, headers[proto.H_NONCE], r.status_code, content, signature):
            raise TransientSyncError("an answer not signed by the back office")
        try:
            return json.loads(content)
        except ValueError:
            raise TransientSyncError("a garbled answer") from None

    def _read_capped(self, r: httpx.Response) -> bytes:
        cap = self.max_response_bytes
        if r.headers.get("content-encoding", "identity").lower() not in ("identity", ""):
            raise TransientSyncError("a compressed answer (not asked for)")
        length = r.headers.get("content-length", "")
        if length.isascii() and length.isdigit() and int(length) > cap:
            raise TransientSyncError(f"an answer of {int(length)} bytes (at most {cap})")
        chunks, size = [], 0
        for chunk in r.iter_raw():
            size += len(chunk)
            if size > cap:
                raise TransientSyncError(f"an answer over {cap} bytes")
            chunks.append(chunk)
        return b"".join(chunks)


def _detail(content: bytes) -> str:
    try:
        return str(json.loads(content).get("detail", ""))[:120]
    except Exception:  # noqa: BLE001 - any unparsable body
        return ""


# --- the total deadline, on every socket operation ---------------------------------------------
def _left(deadline: float, timeout: float | None, error: type[Exception]) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise error("the call's deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, deadline: Callable[[], float]) -> None:
        self._inner = inner
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _left(self._deadline(), timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        for i in range(0, len(buffer), _WRITE_SLICE):
            self._inner.write(buffer[i:i + _WRITE_SLICE], _left(self._deadline(), timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname,
                                      _left(self._deadline(), timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(inner, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's own socket backend, each operation's timeout cut to what is left of the call."""

    def __init__(self, deadline: Callable[[], float]) -> None:
        self._inner = httpcore.SyncBackend()
        self._deadline = deadline

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Any = None) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(host, port, _left(self._deadline(), timeout, httpcore.ConnectTimeout),
                                         local_address, socket_options)
        return _DeadlineStream(stream, self._deadline)

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Any = None) -> httpcore.NetworkStream:
        stream = self._inner.connect_unix_socket(path, _left(self._deadline(), timeout, httpcore.ConnectTimeout),
                                                 socket_options)
        return _DeadlineStream(stream, self._deadline)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)
