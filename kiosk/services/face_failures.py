"""Failed face checks counted per document, across sessions.

Counting per session let anyone start again at zero by taking the card out and putting it back.
Here each refused face check (no match, not live, challenge failed) is counted against the
document: after `limit` of them within `window` (a day), that document goes straight to staff
verification, whatever the session, until the oldest failure ages out.

What is stored: a keyed hash (HMAC-SHA256, key from the kiosk keystore) of the document number as
the row's key, never the number; the failure times sealed with the storage key, like
applications; and when the row expires (it is deleted then). Someone with the database alone
cannot tell whose card failed, nor test a guessed number without the key.

One `FaceFailures` per use, on the thread that opened its Storage (the face worker); each call
blocks on a small SQLite read or write (milliseconds).
"""
from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import datetime, timedelta

from kiosk.services.storage import Storage

LIMIT = 3
WINDOW = timedelta(days=1)


class FaceFailures:
    def __init__(self, storage: Storage, key: bytes, clock: Callable[[], datetime] = datetime.now,
                 limit: int = LIMIT, window: timedelta = WINDOW) -> None:
        if len(key) < 32:
            raise ValueError("the tag key must have at least 32 bytes")
        self._storage, self._key, self._clock = storage, key, clock
        self.limit, self.window = limit, window

    def tag(self, document_number: str) -> str:
        normal = document_number.strip().upper().encode("utf-8")
        return hmac.new(self._key, b"face-failures\x00" + normal, hashlib.sha256).hexdigest()

    def _times(self, tag: str, now: datetime) -> list[datetime]:
        raw = self._storage.face_failures(tag, now)
        times = [datetime.fromisoformat(t) for t in json.loads(raw)] if raw else []
        return [t for t in times if now - t < self.window]

    def failures(self, document_number: str) -> int:
        """Refused checks of this document within the window."""
        return len(self._times(self.tag(document_number), self._clock()))

    def locked(self, document_number: str) -> bool:
        """True: this document goes to staff verification, not to another face check."""
        return self.failures(document_number) >= self.limit

    def record_failure(self, document_number: str) -> int:
        """Count one refused check; the number within the window, this one included."""
        now = self._clock()
        tag = self.tag(document_number)
        times = self._times(tag, now) + [now]
        record = json.dumps([t.isoformat() for t in times]).encode()
        self._storage.set_face_failures(tag, record, now + self.window)
        return len(times)

    def close(self) -> None:
        self._storage.close()
