"""One sync step for the staff issue: the audit trail up (audit_push.py), then the staff list
down (staff_pull.py). Kept apart from uploads: a back office that does not know these routes
yet, or refuses a chain, must not hold up applications, so nothing here raises."""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from kiosk.services.staff.credentials import StaffListError
from kiosk.services.storage import Storage
from kiosk.services.sync.audit_push import AuditChainRefused, push_audit
from kiosk.services.sync.client import SyncClient, TransientSyncError
from kiosk.services.sync.staff_pull import pull_staff

log = logging.getLogger(__name__)


def exchange_staff_and_audit(storage: Storage, client: SyncClient, backoffice_key: Ed25519PublicKey,
                             clock: Callable[[], datetime]) -> dict[str, Any]:
    """{"audit_confirmed": n, "staff": n | None, "errors": [...]}. Runs on the thread that owns
    `storage`; blocks on a few HTTP calls."""
    out: dict[str, Any] = {"audit_confirmed": 0, "staff": None, "errors": []}
    try:
        out["audit_confirmed"] = push_audit(storage, client, client.kiosk_id, clock)
    except (TransientSyncError, AuditChainRefused) as exc:
        log.warning("audit sync: %s", exc)
        out["errors"].append(f"audit: {exc}")
    try:
        out["staff"] = pull_staff(storage, client, backoffice_key, client.kiosk_id, clock)
    except (TransientSyncError, StaffListError) as exc:
        log.warning("staff list: %s", exc)
        out["errors"].append(f"staff list: {exc}")
    return out
