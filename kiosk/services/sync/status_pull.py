"""Pulling status changes (accepted, rejected, done ...) for this kiosk's applications from the
back office, page by page from the cursor kept in the store."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from kiosk.services.storage import Storage
from kiosk.services.sync.client import SyncClient, TransientSyncError

if TYPE_CHECKING:
    from kiosk.services.notify.outbox import NotificationOutbox


def pull_status(storage: Storage, client: SyncClient, clock: Callable[[], datetime], *,
                page: int = 500, max_pages: int = 20, outbox: NotificationOutbox | None = None) -> int:
    """Fetch status changes since the stored cursor and apply them; returns how many. Runs on the
    thread that owns `storage`; blocks on one HTTP call at a time (at most `max_pages`). Raises
    TransientSyncError for a network error or an answer that does not make sense. With an
    `outbox`, the text messages the changes call for are queued in the same transaction."""
    cursor = int(storage.get_meta("sync.status_cursor") or 0)
    total = 0
    for _ in range(max_pages):
        answer = client.call("GET", f"/v1/status-changes?after={cursor}&limit={page}")
        try:
            changes = [(str(c["number"]), str(c["item_id"]), str(c["status"]), str(c["changed_at"]), int(c["id"]))
                       for c in answer["changes"]]
            nxt = int(answer["next"])
        except (KeyError, TypeError, ValueError):
            raise TransientSyncError("a garbled status answer") from None
        if nxt < cursor:
            raise TransientSyncError("the status cursor went backwards")
        if changes or nxt != cursor:
            also = outbox.prepare(changes, clock()) if outbox is not None and changes else None
            storage.apply_status_changes(changes, nxt, also)
        storage.set_meta("sync.last_contact_at", clock().isoformat())
        total += len(changes)
        cursor = nxt
        if len(changes) < page:
            # Every change up to now is in: the statuses a scanned receipt shows are as of now.
            storage.set_meta("sync.status_pulled_at", clock().isoformat())
            break
    return total
