"""Pulling status changes (accepted, rejected, done ...) for this kiosk's applications from the
back office, page by page from the cursor kept in the store."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from kiosk.services.storage import Storage
from kiosk.services.sync.client import SyncClient, TransientSyncError


def pull_status(storage: Storage, client: SyncClient, clock: Callable[[], datetime], *,
                page: int = 500, max_pages: int = 20) -> int:
    """Fetch status changes since the stored cursor and apply them; returns how many. Runs on the
    thread that owns `storage`; blocks on one HTTP call at a time (at most `max_pages`). Raises
    TransientSyncError for a network error or an answer that does not make sense."""
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
            storage.apply_status_changes(changes, nxt)
        storage.set_meta("sync.last_contact_at", clock().isoformat())
        total += len(changes)
        cursor = nxt
        if len(changes) < page:
            break
    return total
