"""The citizen's rating of a visit (kiosk/domain/rating.py), kept with the application and sent
to the back office by the sync thread like the application itself: an outbox row that stays
pending until the back office answers for it, so it survives being offline and a kill -9.

The rating is sealed with the storage key (the application number in its associated data, so a
rating cannot be moved to another application). It is sent only once its application has
reached the back office, which files a rating only against an application it holds.

One `FeedbackStore` wraps one `Storage` and is used on that store's thread; every method blocks
on SQLite (and fsync on writes).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from kiosk.domain.rating import OVERALL, Feedback
from kiosk.services.storage import Storage


def _aad(number: str) -> str:
    return f"feedback:{number}"


@dataclass(frozen=True)
class PendingFeedback:
    number: str
    wire: dict                  # the rating as it travels (no personal data)
    attempts: int


class FeedbackStore:
    def __init__(self, storage: Storage) -> None:
        self._db = storage.connection
        self._cipher = storage.cipher

    def save(self, fb: Feedback, when: datetime) -> bool:
        """Keep the citizen's rating (the first one given for an application; a second is
        ignored: False). Also counts the score in the local `ratings` tally. Store worker thread."""
        wire = fb.to_wire(when.isoformat())
        sealed = self._cipher.seal(json.dumps(wire, ensure_ascii=False).encode(), _aad(fb.number))
        overall = next((r.score for r in fb.ratings if r.item_id == OVERALL), min(r.score for r in fb.ratings))
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            added = db.execute("INSERT OR IGNORE INTO feedback (number, payload, rated_at) VALUES (?,?,?)",
                               (fb.number, sealed, when.isoformat())).rowcount == 1
            if added:
                db.execute("INSERT OR REPLACE INTO ratings VALUES (?,?,?)", (fb.number, overall, when.isoformat()))
            db.execute("COMMIT")
        except Exception:
            db.execute("ROLLBACK")
            raise
        return added

    def get(self, number: str) -> dict | None:
        row = self._db.execute("SELECT payload FROM feedback WHERE number=?", (number,)).fetchone()
        return None if row is None else json.loads(self._cipher.open(row[0], _aad(number)))

    def pending(self, limit: int, now: datetime) -> list[PendingFeedback]:
        """Ratings due for sending, oldest first: not yet answered, not waiting out a back-off,
        and whose application the back office has confirmed (created or duplicate)."""
        rows = self._db.execute(
            "SELECT f.number, f.payload, f.attempts FROM feedback f JOIN synced s ON s.number = f.number "
            "WHERE f.synced_at IS NULL AND s.result IN ('created', 'duplicate') "
            "AND (f.next_attempt_at IS NULL OR f.next_attempt_at <= ?) ORDER BY f.rated_at LIMIT ?",
            (now.isoformat(), limit)).fetchall()
        return [PendingFeedback(n, json.loads(self._cipher.open(p, _aad(n))), a) for n, p, a in rows]

    def mark_synced(self, results: list[tuple[str, str]], when: datetime) -> None:
        """The back office's answers ('created', 'duplicate', 'conflict', 'rejected'): done."""
        self._db.executemany("UPDATE feedback SET synced_at=?, result=? WHERE number=?",
                             [(when.isoformat(), r, n) for n, r in results])

    def mark_failed(self, numbers: list[str], error: str, next_attempt_at: datetime) -> None:
        self._db.executemany("UPDATE feedback SET attempts=attempts+1, last_error=?, next_attempt_at=? WHERE number=?",
                             [(error[:200], next_attempt_at.isoformat(), n) for n in numbers])

    def counts(self) -> tuple[int, int]:
        """(pending, answered) ratings."""
        return self._db.execute("SELECT coalesce(sum(synced_at IS NULL), 0), coalesce(sum(synced_at IS NOT NULL), 0) "
                                "FROM feedback").fetchone()
