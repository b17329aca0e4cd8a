"""Sending the citizens' ratings to the back office (POST /v1/feedback/batch), a batch at a time
from the feedback outbox (kiosk/services/feedback_store.py).

Idempotent like the application upload: the back office files a rating once per application
number and answers a resend of the same rating "duplicate", which counts as done here. A rating
is marked done only in the store's write after the back office's signed answer, so a crash
anywhere leaves it pending and it is sent again. "not_yet" (the back office does not hold the
application yet) waits out a back-off; "rejected" and "conflict" are final (sending the same
rating again cannot change them) and are logged without their content."""
from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import datetime, timedelta

from kiosk.services.feedback_store import FeedbackStore
from kiosk.services.sync.client import SyncClient, TransientSyncError, backoff_delay
from kiosk.services.sync.settings import SyncSettings

log = logging.getLogger(__name__)

FINAL = ("created", "duplicate", "conflict", "rejected")
# Ratings per request: at most ~5 KB each (31 ratings, 6 reasons), so a batch stays under the
# back office's 64 KiB cap for kiosk requests (backoffice/limits.py default_bytes).
BATCH = 10


def upload_feedback(store: FeedbackStore, client: SyncClient, settings: SyncSettings,
                    clock: Callable[[], datetime], rng: random.Random) -> int:
    """Send one batch of due ratings; returns how many the back office answered for. Runs on the
    thread that owns the store; blocks on one HTTP call. Raises TransientSyncError (nothing
    recorded: the batch stays pending)."""
    pending = store.pending(BATCH, clock())
    if not pending:
        return 0
    answer = client.call("POST", "/v1/feedback/batch", {"feedback": [p.wire for p in pending]})
    results = answer.get("results") if isinstance(answer, dict) else None
    if not isinstance(results, list):
        raise TransientSyncError("a feedback answer without results")
    by_number = {r.get("number"): r for r in results if isinstance(r, dict)}
    done: list[tuple[str, str]] = []
    waiting: dict[int, list[str]] = {}
    for p in pending:
        outcome = (by_number.get(p.number) or {}).get("result")
        if outcome in FINAL:
            done.append((p.number, str(outcome)))
            if outcome in ("rejected", "conflict"):
                log.warning("back office answered %s for a rating: %s", outcome,
                            str(by_number[p.number].get("detail", ""))[:120])
        else:
            waiting.setdefault(p.attempts, []).append(p.number)
    when = clock()
    if done:
        store.mark_synced(done, when)
    for attempts, numbers in waiting.items():
        delay = backoff_delay(attempts + 1, settings.backoff_base_seconds, settings.backoff_max_seconds, rng)
        store.mark_failed(numbers, "the back office does not hold the application yet", when + timedelta(seconds=delay))
    return len(done)
