"""The receipt keys during sync: register this kiosk's receipt public key with the back office
(once per key), then pull the back office's signed trust list of kiosk receipt keys and keep it
(kiosk/services/receipts/trust.py verifies it, as catalogue_pull hands catalogues to their owner).
Runs on the thread that owns `storage`; blocks on at most two HTTP calls and one fsync."""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from kiosk.services.datafolder import DataFolder
from kiosk.services.receipts.signer import ReceiptSigner
from kiosk.services.receipts.trust import TrustListRefused, keep_trust_list, parse_trust_list
from kiosk.services.storage import Storage
from kiosk.services.sync import protocol as proto
from kiosk.services.sync.client import SyncClient

log = logging.getLogger(__name__)


def register_receipt_key(storage: Storage, client: SyncClient, signer: ReceiptSigner) -> bool:
    """Tell the back office this kiosk's receipt public key, unless it already knows this one.
    True when it was sent now. TransientSyncError for a network error (tried again next round)."""
    if storage.get_meta("sync.receipt_key_registered") == signer.key_id:
        return False
    client.call("POST", "/v1/receipt-keys", {"key_id": signer.key_id, "public_key": proto.b64e(signer.public_raw)})
    storage.set_meta("sync.receipt_key_registered", signer.key_id)
    log.info("receipt key %s registered with the back office", signer.key_id)
    return True


def pull_trust_list(storage: Storage, client: SyncClient, backoffice_key: Ed25519PublicKey, folder: DataFolder,
                    clock: Callable[[], datetime]) -> bool:
    """Fetch the trust list, verify it and keep it if it is new; True when it changed. Raises
    TrustListRefused for a list that does not verify or is older than ours (ours stays; the
    reason is kept for `kiosk sync status`), TransientSyncError for a network error."""
    answer = client.call("GET", "/v1/receipt-trust-list")
    storage.set_meta("sync.last_contact_at", clock().isoformat())
    try:
        changed = keep_trust_list(folder, parse_trust_list(answer, backoffice_key), backoffice_key)
    except TrustListRefused as exc:
        storage.set_meta("sync.trust_list_error", str(exc)[:240])
        raise
    storage.set_meta("sync.trust_list_error", None)
    if changed:
        log.info("receipt-key trust list updated")
    return changed
