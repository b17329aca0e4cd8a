"""Hand-carry: pending applications, each sealed for the back office, in one file signed by the
kiosk, for a USB stick when the network is out of reach (`kiosk sync export`)."""
from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.services.atomic import fsync_dir
from kiosk.services.storage import Storage
from kiosk.services.sync import protocol as proto
from kiosk.services.sync.settings import SyncSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExportReport:
    path: Path | None
    count: int


def export_pending(storage: Storage, folder: Path, settings: SyncSettings, kiosk_id: str,
                   signing_key: Ed25519PrivateKey, *, include_exported: bool = False,
                   clock: Callable[[], datetime] = datetime.now, chunk: int = 200) -> ExportReport:
    """Write the pending applications, each sealed for the back office, into one signed file in
    `folder` (a USB stick): <folder>/onevisit-<kiosk>-<time>.export.jsonl. The file is written
    to a temporary name, fsynced and renamed, then the applications are marked exported (they
    stay pending until the back office acknowledges them online; a re-import is harmless).
    Runs on the thread that owns `storage`; blocks on the folder's writes and fsync."""
    recipient = settings.encryption_public()
    numbers = storage.pending_numbers(exported=None if include_exported else False)
    if not numbers:
        return ExportReport(None, 0)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    now = clock().replace(microsecond=0)
    name = f"onevisit-{kiosk_id}-{now:%Y%m%d%H%M%S}{proto.EXPORT_SUFFIX}"
    final = folder / name
    n = 1
    while final.exists():
        final = folder / name.replace(proto.EXPORT_SUFFIX, f"-{n}{proto.EXPORT_SUFFIX}")
        n += 1
    tmp = folder / f".{final.name}.tmp"
    digest = hashlib.sha256()
    with open(tmp, "wb") as f:
        def put(obj: Any) -> None:
            line = proto.canonical_json(obj) + b"\n"
            digest.update(line)
            f.write(line)

        put({"format": proto.EXPORT_FORMAT, "v": 1, "kiosk_id": kiosk_id, "created_at": now.isoformat(),
             "count": len(numbers)})
        for i in range(0, len(numbers), chunk):
            for rec in storage.records_for(numbers[i:i + chunk]):
                put(proto.seal_envelope(recipient, rec.number, rec.record))
        sha = digest.hexdigest()
        f.write(proto.canonical_json({"trailer": True, "count": len(numbers), "sha256": sha,
                                      "signature": proto.b64e(signing_key.sign(proto.export_message(kiosk_id, sha, len(numbers))))})
                + b"\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, final)
    fsync_dir(folder)
    storage.mark_exported(numbers, clock())
    log.info("exported %d pending application(s) to %s", len(numbers), final.name)
    return ExportReport(final, len(numbers))
