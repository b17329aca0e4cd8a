"""Hand-carry: pending applications, each sealed for the back office, in one file signed by the
kiosk, for a USB stick when the network is out of reach (`kiosk sync export`).

The stick is hostile (docs/security.md "Exports to a USB stick"): the folder is opened without
following a link, refused if it is (or is inside) the kiosk's data or keys folder, and the file
is created in it exclusively (O_CREAT|O_EXCL|O_NOFOLLOW relative to the folder's descriptor)
under a name with 64 random bits, so a link planted on the stick can never send our bytes onto
a key file or anywhere else."""
from __future__ import annotations

import hashlib
import logging
import os
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.services import safe_files as sf
from kiosk.services.storage import Storage
from kiosk.services.sync import protocol as proto
from kiosk.services.sync.settings import SyncSettings

log = logging.getLogger(__name__)


class ExportRefused(Exception):
    """The folder cannot take an export (a link, inside the kiosk's own folders); says why."""


@dataclass(frozen=True)
class ExportReport:
    path: Path | None
    count: int


def _open_target(folder: Path, keep_out: Iterable[Path]) -> int:
    """The export folder's descriptor, made if missing; ExportRefused for a link or a folder
    inside one of `keep_out`. Checked twice: by resolved path before anything is created (no
    stray folder inside the data folder), then from the opened descriptor's real parents."""
    keep_out = [Path(p) for p in keep_out]
    real = folder.resolve()
    for root in keep_out:
        r = root.resolve()
        if real == r or r in real.parents:
            raise ExportRefused(f"{sf.safe_name(folder)} is inside the kiosk's own folder {sf.safe_name(root)}: "
                                "export to a USB stick")
    try:
        fd = sf.open_folder(folder, create=True)
    except sf.RefusedFile as exc:
        raise ExportRefused(f"{sf.safe_name(folder)} {exc}") from None
    inside = sf.enclosing(fd, keep_out)
    if inside is not None:
        os.close(fd)
        raise ExportRefused(f"{sf.safe_name(folder)} is inside the kiosk's own folder {sf.safe_name(inside)}: "
                            "export to a USB stick")
    return fd


def export_pending(storage: Storage, folder: Path, settings: SyncSettings, kiosk_id: str,
                   signing_key: Ed25519PrivateKey, *, keep_out: Iterable[Path] = (),
                   include_exported: bool = False, clock: Callable[[], datetime] = datetime.now,
                   chunk: int = 200, check_code: Callable[[str], str] | None = None) -> ExportReport:
    """Write the pending applications, each sealed for the back office, into one signed file in
    `folder` (a USB stick): <folder>/onevisit-<kiosk>-<time>-<random>.export.jsonl. It is
    written under a hidden random name created exclusively, fsynced, then renamed, so a file
    with the final name is always complete; then the applications are marked exported (they
    stay pending until the back office acknowledges them online; a re-import is harmless).
    `keep_out`: folders the export must not be in (the kiosk's data and keys folders).
    `check_code`: the receipt key's check code of a number, put in each record as the online
    upload does (kiosk/services/sync/upload.py), so both copies are the same record.
    Runs on the thread that owns `storage`; blocks on the folder's writes and fsync.
    Raises ExportRefused (nothing written) or OSError."""
    recipient = settings.encryption_public()
    folder = Path(folder)
    dir_fd = _open_target(folder, keep_out)
    try:
        numbers = storage.pending_numbers(exported=None if include_exported else False)
        if not numbers:
            return ExportReport(None, 0)
        now = clock().replace(microsecond=0)
        token = secrets.token_hex(8)
        name = f"onevisit-{kiosk_id}-{now:%Y%m%d%H%M%S}-{token}{proto.EXPORT_SUFFIX}"
        tmp = f".onevisit-{token}.partial"
        fd = sf.create_exclusive(dir_fd, tmp)
        try:
            with os.fdopen(fd, "wb") as f:
                _write_export(f, storage, numbers, recipient, kiosk_id, now, signing_key, chunk, check_code)
                f.flush()
                os.fsync(f.fileno())
            try:                                     # the random name is ours alone; rename never follows a link
                os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
                raise FileExistsError(f"{sf.safe_name(name)} appeared in the export folder")
            except FileNotFoundError:
                pass
            os.rename(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        except BaseException:
            try:
                os.unlink(tmp, dir_fd=dir_fd)
            except OSError:
                pass
            raise
        sf.fsync_folder(dir_fd)
    finally:
        os.close(dir_fd)
    storage.mark_exported(numbers, clock())
    log.info("exported %d pending application(s) to %s", len(numbers), name)
    return ExportReport(folder / name, len(numbers))


def _write_export(f: Any, storage: Storage, numbers: list[str], recipient: Any, kiosk_id: str, now: datetime,
                  signing_key: Ed25519PrivateKey, chunk: int, check_code: Callable[[str], str] | None) -> None:
    digest = hashlib.sha256()

    def put(obj: Any) -> None:
        line = proto.canonical_json(obj) + b"\n"
        digest.update(line)
        f.write(line)

    put({"format": proto.EXPORT_FORMAT, "v": 1, "kiosk_id": kiosk_id, "created_at": now.isoformat(),
         "count": len(numbers)})
    for i in range(0, len(numbers), chunk):
        for rec in storage.records_for(numbers[i:i + chunk]):
            put(proto.seal_envelope(recipient, rec.number, proto.with_check_code(rec.record, rec.number, check_code)))
    sha = digest.hexdigest()
    signature = signing_key.sign(proto.export_message(kiosk_id, sha, len(numbers)))
    f.write(proto.canonical_json({"trailer": True, "count": len(numbers), "sha256": sha,
                                  "signature": proto.b64e(signature)}) + b"\n")
