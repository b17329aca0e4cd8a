"""Pulling the newest catalogue the back office signed. This module only talks to the back
office; verifying and keeping the catalogue belong to its owner (kiosk/services/catalogue_store.py),
which also decides at the next start whether it is used."""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from kiosk.services.catalogue_store import CatalogueRefused, SignedCatalogue, keep_synced, verify_synced
from kiosk.services.datafolder import DataFolder
from kiosk.services.storage import Storage
from kiosk.services.sync.client import SyncClient

log = logging.getLogger(__name__)


def pull_catalogue(storage: Storage, client: SyncClient, backoffice_key: Ed25519PublicKey,
                   clock: Callable[[], datetime], folder: DataFolder | None,
                   on_catalogue: Callable[[Path, Any], None] | None = None) -> int | None:
    """Fetch the back office's current catalogue if it is newer than ours, have its owner verify
    it (signature, parses, version) and keep it in `folder`. Returns the new revision, None if
    unchanged; raises CatalogueRefused for a bad one (ours stays, the reason is kept for
    `kiosk sync status`) and TransientSyncError for a network error. Runs on the thread that
    owns `storage`; blocks on one HTTP call and a few fsyncs."""
    have = int(storage.get_meta("sync.catalogue_revision") or 0)
    answer = client.call("GET", f"/v1/catalogue?have={have}")
    storage.set_meta("sync.last_contact_at", clock().isoformat())
    if not isinstance(answer, dict) or answer.get("unchanged"):
        return None
    try:
        signed = SignedCatalogue(str(answer["content"]).encode(), int(answer["revision"]), str(answer["version"]),
                                 str(answer["signature"]))
    except (KeyError, TypeError, ValueError):
        raise CatalogueRefused("malformed catalogue answer") from None
    if signed.revision <= have:
        raise CatalogueRefused(f"revision {signed.revision} is not newer than ours ({have})")
    try:
        verified = verify_synced(signed, backoffice_key, f"catalogue revision {signed.revision}")
    except CatalogueRefused as exc:
        storage.set_meta("sync.catalogue_error", str(exc)[:240])
        raise
    kept = keep_synced(folder, verified) if folder is not None else None
    storage.set_meta("sync.catalogue_revision", str(signed.revision))
    storage.set_meta("sync.catalogue_error", None)
    log.info("catalogue revision %d (version %s) received and verified", signed.revision, signed.version)
    if on_catalogue is not None and kept is not None:
        on_catalogue(kept, verified.catalogue)
    return signed.revision
