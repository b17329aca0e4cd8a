"""The transport to the back office: signed HTTP requests (kiosk/services/sync/protocol.py) with
a timeout on every call, the errors they end in, and the back-off between retries. An answer
counts only if the back office signed it for this very request."""
from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kiosk.services.sync import protocol as proto


class TransientSyncError(Exception):
    """Network error, timeout, 5xx, garbage, or an answer the back office did not sign: retry later."""


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
    thread of `kiosk sync now`); each call blocks for at most the request timeout."""

    def __init__(self, base_url: str, kiosk_id: str, signing_key: Ed25519PrivateKey,
                 backoffice_key: Ed25519PublicKey, timeout: float = 20.0,
                 wall_clock: Callable[[], float] = time.time) -> None:
        self.kiosk_id = kiosk_id
        self._key = signing_key
        self._backoffice = backoffice_key
        self._clock = wall_clock
        self._http = httpx.Client(base_url=base_url.rstrip("/"), trust_env=False,
                                  timeout=httpx.Timeout(timeout, connect=min(5.0, timeout)))

    def close(self) -> None:
        self._http.close()

    def call(self, method: str, target: str, payload: Any = None) -> Any:
        body = proto.canonical_json(payload) if payload is not None else b""
        headers = proto.sign_request(self._key, method, target, self.kiosk_id, body, int(self._clock()))
        if payload is not None:
            headers["Content-Type"] = "application/json"
        try:
            r = self._http.request(method, target, content=body, headers=headers)
        except httpx.HTTPError as exc:   # connect refused, reset, timeout, not HTTP at all
            raise TransientSyncError(f"network: {type(exc).__name__}") from None
        if r.status_code in (401, 403):
            raise RefusedSyncError(f"refused by the back office (HTTP {r.status_code}): {_detail(r)}")
        if not 200 <= r.status_code < 300:
            raise TransientSyncError(f"HTTP {r.status_code}")
        signature = r.headers.get(proto.H_RESPONSE_SIGNATURE, "")
        if not proto.verify_response(self._backoffice, headers[proto.H_NONCE], r.status_code, r.content, signature):
            raise TransientSyncError("an answer not signed by the back office")
        try:
            return json.loads(r.content)
        except ValueError:
            raise TransientSyncError("a garbled answer") from None


def _detail(r: httpx.Response) -> str:
    try:
        return str(r.json().get("detail", ""))[:120]
    except Exception:  # noqa: BLE001 - any unparsable body
        return ""
