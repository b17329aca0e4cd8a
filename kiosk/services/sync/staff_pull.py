"""Pulling this kiosk's staff list (GET /v1/staff/credentials): who may sign in here, with PIN
hashes, signed by the back office. Verified with the pinned back office key before it is kept
(kiosk/services/staff/store.py); an older list never replaces a newer one. The back office
issues a fresh list on every pull, so each contact extends how long the kiosk may sign staff in
offline (`[staff] offline_days`)."""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from kiosk.services.staff.credentials import StaffListError, verify_staff_list
from kiosk.services.staff.store import StaffStore
from kiosk.services.storage import Storage
from kiosk.services.sync import protocol as proto
from kiosk.services.sync.client import SyncClient

log = logging.getLogger(__name__)
ERROR_META = "sync.staff_error"


def pull_staff(storage: Storage, client: SyncClient, backoffice_key: Ed25519PublicKey, kiosk_id: str,
               clock: Callable[[], datetime]) -> int | None:
    """Fetch, verify and keep the staff list; returns how many staff it names (None: not newer
    than the one kept). StaffListError for a list that does not verify (the kept one stays);
    TransientSyncError for a network error. Runs on the thread that owns `storage`; one HTTP call."""
    answer = client.call("GET", "/v1/staff/credentials")
    storage.set_meta("sync.last_contact_at", clock().isoformat())
    blob = proto.canonical_json(answer)
    try:
        lst = verify_staff_list(blob, backoffice_key, kiosk_id)
    except StaffListError as exc:
        storage.set_meta(ERROR_META, str(exc)[:240])
        log.error("staff list refused: %s", exc)
        raise
    if storage.get_meta(ERROR_META) is not None:
        storage.set_meta(ERROR_META, None)
    if not StaffStore(storage).keep_list(blob, lst.issued, clock()):
        return None
    log.info("staff list issued at %d received: %d staff", lst.issued, len(lst.staff))
    return len(lst.staff)
