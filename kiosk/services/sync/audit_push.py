"""Sending the audit trail to the back office (POST /v1/audit/batch), which verifies the chain
and the kiosk's signatures again before it keeps anything (backoffice/kiosk_audit.py).

Idempotent and resumable: entries go in order from the first one the back office has not
confirmed; it answers with the head of the chain it holds (`head_seq`, `head_hash`), and entries
up to that head are marked confirmed only if our entry there has the same hash. A resend of
entries it holds is a no-op there; if it holds fewer than we thought (restored from a backup),
the rest is sent again. A refusal (a broken chain) is kept for `kiosk sync status` and the staff
line, in `sync.audit_error`, and nothing after the bad entry is marked.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from kiosk.services.audit.log import AuditLog
from kiosk.services.storage import Storage
from kiosk.services.sync import protocol as proto
from kiosk.services.sync.client import SyncClient, TransientSyncError

log = logging.getLogger(__name__)

BATCH = 100
# The back office reads at most 64 KiB of an ordinary request's body (backoffice/limits.py).
MAX_BATCH_BYTES = 48 * 1024
ERROR_META = "sync.audit_error"


class AuditChainRefused(Exception):
    """The back office (or this kiosk's own store) finds the chain broken: staff must look."""


def push_audit(storage: Storage, client: SyncClient, kiosk_id: str, clock: Callable[[], datetime],
               max_batches: int = 20) -> int:
    """Send the entries the back office has not confirmed; returns how many it newly confirmed.
    TransientSyncError for a network error or a garbled answer; AuditChainRefused for a chain the
    back office refuses or an entry this kiosk cannot read. Runs on the thread that owns
    `storage`; blocks on one HTTP call at a time."""
    audit = AuditLog(storage, kiosk_id)
    confirmed = 0
    for _ in range(max_batches):
        rows = list(audit.rows(unsynced_only=True, limit=BATCH))
        if not rows:
            break
        entries: list[dict] = []
        size = 0
        for r in rows:
            if r.entry is None:
                if not entries:
                    return _refused(storage, f"audit entry {r.seq} on this kiosk: {r.problem}")
                break
            d = r.entry.as_dict()
            size += len(proto.canonical_json(d))
            if entries and size > MAX_BATCH_BYTES:
                break
            entries.append(d)
        answer = client.call("POST", "/v1/audit/batch", {"entries": entries})
        try:
            result, head_seq, head_hash = str(answer["result"]), int(answer["head_seq"]), str(answer["head_hash"])
        except (KeyError, TypeError, ValueError):
            raise TransientSyncError("a garbled audit answer") from None
        first = entries[0]["seq"]
        if head_seq < first - 1:
            # The back office lacks entries we had marked as confirmed: send them again.
            log.warning("the back office holds audit entries up to %d only; sending from %d again", head_seq,
                        head_seq + 1)
            audit.unmark_synced_after(head_seq)
            continue
        if head_seq > 0:
            ours = next((e.hash for e in audit.entries(after_seq=head_seq - 1, limit=1)), None)
            if ours != head_hash:
                return _refused(storage, f"the back office's audit chain differs from this kiosk's at entry {head_seq}")
        confirmed += audit.mark_synced(head_seq, clock())
        storage.set_meta("sync.last_contact_at", clock().isoformat())
        if result != "stored":
            return _refused(storage, f"refused by the back office at entry {answer.get('first_bad')}: "
                            f"{str(answer.get('detail', ''))[:160]}")
        if storage.get_meta(ERROR_META) is not None:
            storage.set_meta(ERROR_META, None)
        if head_seq < entries[-1]["seq"]:
            raise TransientSyncError("the back office kept fewer audit entries than it was sent")
    return confirmed


def _refused(storage: Storage, message: str) -> int:
    storage.set_meta(ERROR_META, message[:240])
    log.error("audit sync: %s", message)
    raise AuditChainRefused(message)
