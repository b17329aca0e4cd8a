"""Importing hand-carried exports (`python -m backoffice import PATH`): the USB stick is hostile.

Each file is read ONCE, bounded (kiosk.services.safe_files.read_regular: no links, FIFOs,
devices, nor anything over the cap), its hash and signature are verified on those bytes, and the
applications are taken from the same bytes: there is no second read a malicious stick or file
system could answer differently. A file that is refused, or fails half-way, is reported and
the others are imported. Names are printed escaped (safe_name).

Runs on the caller's thread; blocks on the stick's reads and the database.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from kiosk.domain.application import KIOSK_ID_RE
from kiosk.services.safe_files import RefusedFile, open_folder, read_regular, safe_name
from kiosk.services.sync import protocol as proto

log = logging.getLogger(__name__)

# A kiosk freezes past 500 pending applications (sync.freeze_after_pending); with their material
# photos an export of those is well under this. Raise it per import with --max-mb.
MAX_EXPORT_BYTES = 256 * 1024 * 1024
MAX_FILES = 10_000


@dataclass
class ImportReport:
    files: int = 0
    created: int = 0
    duplicate: int = 0
    conflict: int = 0
    rejected: int = 0
    refused_files: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class VerifiedExport:
    """An export whose hash and kiosk signature verified; `data` is exactly the bytes verified."""
    kiosk_id: str
    count: int
    data: bytes

    def envelopes(self) -> Iterator[Any]:
        """The sealed applications, parsed from the verified bytes (never from the file again)."""
        lines = _lines(self.data)
        next(lines)                                   # the header
        for i, line in enumerate(lines):
            if i >= self.count:                       # the trailer
                return
            yield json.loads(line)


def _lines(data: bytes) -> Iterator[bytes]:
    """Lines as a file iterates them (each with its newline), without copying the whole."""
    pos = 0
    while pos < len(data):
        end = data.find(b"\n", pos)
        end = len(data) if end < 0 else end + 1
        yield data[pos:end]
        pos = end


def _object(line: bytes, where: str) -> dict:
    obj = json.loads(line)
    if not isinstance(obj, dict):
        raise ValueError(f"{where} is not a JSON object")
    return obj


def verify_export(data: bytes, kiosk_key: Callable[[str], Ed25519PublicKey]) -> VerifiedExport:
    """Check an export's header, content hash, counts and the signature of the kiosk it names.
    ValueError (or the lookup's own error) when anything does not hold."""
    digest = hashlib.sha256()
    header: dict | None = None
    trailer: dict | None = None
    count = 0
    for n, line in enumerate(_lines(data), start=1):
        if trailer is not None:
            raise ValueError("data after the trailer")
        obj = _object(line, f"line {n}")
        if header is None:
            header = obj
            if obj.get("format") != proto.EXPORT_FORMAT or obj.get("v") != 1:
                raise ValueError("not a OneVisit export")
        elif obj.get("trailer") is True:
            trailer = obj
            continue
        else:
            count += 1
        digest.update(line)
    if header is None or trailer is None:
        raise ValueError("truncated export (no trailer)")
    kiosk_id = header.get("kiosk_id")
    if not isinstance(kiosk_id, str) or not KIOSK_ID_RE.fullmatch(kiosk_id):
        raise ValueError("the export names no valid kiosk")
    sha = digest.hexdigest()
    if trailer.get("sha256") != sha or trailer.get("count") != count or header.get("count") != count:
        raise ValueError("the export's content does not match its trailer")
    key = kiosk_key(kiosk_id)
    try:
        key.verify(proto.b64d(str(trailer.get("signature", ""))), proto.export_message(kiosk_id, sha, count))
    except Exception:  # noqa: BLE001 - InvalidSignature and malformed signatures alike
        raise ValueError("the export is not signed by the kiosk it names") from None
    return VerifiedExport(kiosk_id, count, data)


def export_files(path: Path, max_bytes: int) -> Iterator[tuple[str, bytes | Exception]]:
    """(printable name, content or why it is refused) for each export: the *.export.jsonl
    entries of the folder `path`, or the one file `path`. Nothing is followed through a link."""
    path = Path(path)
    try:
        st = os.stat(path, follow_symlinks=False)
    except OSError as exc:
        yield safe_name(path.name or str(path)), exc
        return
    if not stat.S_ISDIR(st.st_mode):
        try:
            yield safe_name(path.name), read_regular(path, max_bytes)
        except (RefusedFile, OSError) as exc:
            yield safe_name(path.name), exc
        return
    try:
        dir_fd = open_folder(path)
    except (RefusedFile, OSError) as exc:
        yield safe_name(path.name), exc
        return
    try:
        names = sorted(n for n in os.listdir(dir_fd) if n.endswith(proto.EXPORT_SUFFIX))
        for i, name in enumerate(names):
            if i >= MAX_FILES:
                yield f"{len(names) - MAX_FILES} more file(s)", RefusedFile(f"over {MAX_FILES} files in one import")
                return
            try:
                yield safe_name(name), read_regular(name, max_bytes, dir_fd=dir_fd)
            except (RefusedFile, OSError) as exc:
                yield safe_name(name), exc
    finally:
        os.close(dir_fd)


def _why(exc: Exception) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    if isinstance(exc, UnicodeDecodeError):
        return "not UTF-8 text"
    if isinstance(exc, json.JSONDecodeError):
        return f"not JSON lines (line {exc.lineno})" if exc.lineno > 1 else "not JSON lines"
    detail = getattr(exc, "detail", None)         # the back office's AuthError
    return safe_name(str(detail if detail is not None else exc) or type(exc).__name__, limit=300)


def import_exports(path: Path, *, kiosk_key: Callable[[str], Ed25519PublicKey],
                   accept: Callable[[str, list[Any], str], list[dict]], batch: int = 200,
                   max_bytes: int = MAX_EXPORT_BYTES) -> ImportReport:
    """Import every export in `path` (a folder or one file): each verified whole, then its
    applications accepted (idempotently) `batch` at a time. Per-file problems are reported in
    `refused_files` and logged; the other files are still imported."""
    report = ImportReport()
    for name, content in export_files(path, max_bytes):
        try:
            if isinstance(content, Exception):
                raise content
            verified = verify_export(content, kiosk_key)
            report.files += 1
            chunk: list[Any] = []
            for env in verified.envelopes():
                chunk.append(env)
                if len(chunk) >= batch:
                    _count(report, accept(verified.kiosk_id, chunk, "import"))
                    chunk = []
            if chunk:
                _count(report, accept(verified.kiosk_id, chunk, "import"))
        except Exception as exc:  # noqa: BLE001 - one bad file must not stop the others
            reason = _why(exc)
            log.error("export %s refused: %s", name, reason)
            report.refused_files.append(f"{name}: {reason}")
    return report


def _count(report: ImportReport, results: list[dict]) -> None:
    for r in results:
        setattr(report, r["result"], getattr(report, r["result"]) + 1)
