"""The HTTP SMS-gateway backend of the Notifier port (kiosk/services/notify/port.py).

The gateway protocol (README "Text messages to citizens"): POST `url` with the JSON body
{"id": ..., "to": ..., "text": ...}, the key in the `X-Api-Key` header and the message id in
`Idempotency-Key`. A message that was delivered but whose answer was lost is sent again with
the same id, so a gateway that honours the key delivers it once. The key is never logged and
never part of an error message or a repr.
"""
from __future__ import annotations

import httpx

from kiosk.services.notify.port import NotifyError, NotifyRefused, TextMessage


class HttpSmsGateway:
    """An SMS gateway reached over HTTP(S). One thread at a time (the sync thread)."""

    def __init__(self, url: str, key: str, timeout: float = 10.0) -> None:
        if not url.startswith(("https://", "http://")):
            raise ValueError("notify.sms_gateway_url must be an http(s):// URL")
        if not key:
            raise ValueError("notify.sms_gateway_key is empty")
        self._url = url
        self._key = key
        self._http = httpx.Client(trust_env=False, timeout=httpx.Timeout(timeout, connect=min(5.0, timeout)),
                                  follow_redirects=False)

    def __repr__(self) -> str:
        return f"HttpSmsGateway({self._url!r}, key=***)"

    def send(self, message: TextMessage) -> None:
        headers = {"X-Api-Key": self._key, "Idempotency-Key": message.id, "Accept-Encoding": "identity"}
        try:
            with self._http.stream("POST", self._url, json={"id": message.id, "to": message.to, "text": message.text},
                                   headers=headers) as r:
                status = r.status_code     # the body is not read: nothing in it changes what we do
        except httpx.HTTPError as exc:
            raise NotifyError(f"gateway unreachable: {type(exc).__name__}") from None
        if 200 <= status < 300:
            return
        if status in (408, 425, 429) or status >= 500:
            raise NotifyError(f"gateway answered HTTP {status}")
        raise NotifyRefused(f"gateway refused the message: HTTP {status}")

    def close(self) -> None:
        self._http.close()
