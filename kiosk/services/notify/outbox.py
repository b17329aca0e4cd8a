"""Which status changes become text messages, and the outbox they wait in until sent.

When the status pull (kiosk/services/sync/status_pull.py) brings changes, `prepare` works out
the messages: one per department item whose status changed (the newest change of a pull, so a
burst of changes is one message), for applications whose form gave the consent and a mobile
number (kiosk/domain/notices.py). It returns a writer that the store runs in the SAME
transaction as the changes and the pull cursor: after a crash either both are there or neither,
so no change is lost without its message and none is pulled, and texted, twice.

Each message is keyed by application, item and status change id; the key is also the
gateway's idempotency key. Its payload (number and text) is sealed with the storage key and
emptied once the message is sent or given up; the row stays, so the same change never makes a
second message (INSERT OR IGNORE on the key), even if the cursor is reset. `send_due` runs on
the sync thread: transient failures wait out an exponential back-off with jitter, and after
`max_attempts`, or a refusal, the message is given up (and logged without its content).
"""
from __future__ import annotations

import json
import logging
import random
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from kiosk.domain import notices
from kiosk.domain.application import Application
from kiosk.services.crypto import CorruptRecord
from kiosk.services.notify.port import Notifier, NotifyError, NotifyRefused, TextMessage
from kiosk.services.storage import ApplicationPurged, Storage
from kiosk.services.sync.client import backoff_delay

log = logging.getLogger(__name__)

Change = tuple[str, str, str, str, int]       # number, item_id, status, changed_at, change id


@dataclass(frozen=True)
class NotifyPolicy:
    max_attempts: int = 8
    backoff_base_seconds: float = 30.0
    backoff_max_seconds: float = 3600.0
    per_round: int = 20                       # messages per sync round, so a slow gateway cannot hold sync


@dataclass
class SendReport:
    sent: int = 0
    retry: int = 0
    given_up: int = 0


def _aad(key: str) -> str:
    return f"notify:{key}"


class NotificationOutbox:
    """On the thread that owns `storage` (the sync thread); every method blocks on SQLite."""

    def __init__(self, storage: Storage, policy: NotifyPolicy = NotifyPolicy(),
                 rng: random.Random | None = None) -> None:
        self.storage = storage
        self._db = storage.connection
        self._cipher = storage.cipher
        self.policy = policy
        self._rng = rng or random.Random()  # noqa: S311 - back-off jitter, not a secret

    def prepare(self, changes: list[Change], now: datetime) -> Callable[[sqlite3.Connection], None]:
        """The writer of the messages these changes call for (see the module's docstring)."""
        newest: dict[tuple[str, str], Change] = {}
        for c in changes:
            if (c[0], c[1]) not in newest or c[4] > newest[(c[0], c[1])][4]:
                newest[(c[0], c[1])] = c
        rows: list[tuple[str, str, bytes, str]] = []
        apps: dict[str, Application | None] = {}
        for (number, item_id), (_n, _i, status, _at, change_id) in newest.items():
            have = self._db.execute("SELECT status, change_id FROM status_updates WHERE number=? AND item_id=?",
                                    (number, item_id)).fetchone()
            if have is not None and (have[1] >= change_id or have[0] == status):
                continue                      # not newer, or no change the citizen would notice
            if number not in apps:
                apps[number] = self._application(number)
            app = apps[number]
            if app is None:
                continue
            to = notices.recipient(app)
            request = next((r for r in app.requests if r.item_id == item_id), None)
            if to is None or request is None:
                continue
            key = f"{number}/{item_id}/{change_id}"
            text = notices.status_message(app.lang, number, request.department, status)
            payload = self._cipher.seal(json.dumps({"to": to, "text": text}, ensure_ascii=False).encode(), _aad(key))
            rows.append((key, number, payload, now.isoformat()))

        def write(db: sqlite3.Connection) -> None:
            db.executemany("INSERT OR IGNORE INTO notifications (key, number, payload, created_at) VALUES (?,?,?,?)",
                           rows)
        return write

    def _application(self, number: str) -> Application | None:
        try:
            return self.storage.load(number)
        except (KeyError, ApplicationPurged):
            return None                       # not this kiosk's, or its personal data is deleted
        except CorruptRecord:
            log.error("status change for an application whose record does not decrypt; no message")
            return None

    def send_due(self, notifier: Notifier, now: datetime) -> SendReport:
        """Send the messages that are due, at most `policy.per_round`; record each outcome at
        once (so a crash re-sends at most the one in flight, under the same idempotency key)."""
        report = SendReport()
        rows = self._db.execute(
            "SELECT key, payload, attempts FROM notifications WHERE sent_at IS NULL AND failed_at IS NULL "
            "AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY created_at, key LIMIT ?",
            (now.isoformat(), self.policy.per_round)).fetchall()
        for key, payload, attempts in rows:
            try:
                body = json.loads(self._cipher.open(payload, _aad(key)))
                notifier.send(TextMessage(key, body["to"], body["text"]))
            except NotifyRefused as exc:
                self._give_up(key, str(exc), now)
                report.given_up += 1
            except (NotifyError, OSError) as exc:
                if attempts + 1 >= self.policy.max_attempts:
                    self._give_up(key, f"{exc} (after {attempts + 1} attempts)", now)
                    report.given_up += 1
                    continue
                delay = backoff_delay(attempts + 1, self.policy.backoff_base_seconds,
                                      self.policy.backoff_max_seconds, self._rng)
                self._db.execute("UPDATE notifications SET attempts=attempts+1, last_error=?, next_attempt_at=? "
                                 "WHERE key=?", (str(exc)[:200], (now + timedelta(seconds=delay)).isoformat(), key))
                report.retry += 1
            except (CorruptRecord, ValueError, KeyError) as exc:
                self._give_up(key, f"unreadable message: {type(exc).__name__}", now)
                report.given_up += 1
            else:
                self._db.execute("UPDATE notifications SET sent_at=?, payload=X'', attempts=attempts+1, "
                                 "last_error=NULL WHERE key=?", (now.isoformat(), key))
                report.sent += 1
        return report

    def _give_up(self, key: str, why: str, now: datetime) -> None:
        log.warning("text message %s given up: %s", key.split("/")[0][:10] + "…", why[:200])
        self._db.execute("UPDATE notifications SET failed_at=?, payload=X'', attempts=attempts+1, last_error=? "
                         "WHERE key=?", (now.isoformat(), why[:200], key))

    def counts(self) -> dict[str, int]:
        row = self._db.execute(
            "SELECT coalesce(sum(sent_at IS NULL AND failed_at IS NULL), 0), coalesce(sum(sent_at IS NOT NULL), 0), "
            "coalesce(sum(failed_at IS NOT NULL), 0) FROM notifications").fetchone()
        return {"pending": row[0], "sent": row[1], "given_up": row[2]}
