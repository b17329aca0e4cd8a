"""Writing secret key files: readable only by the kiosk user, never half-written."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_secret(path: Path, data: bytes) -> None:
    """Write `data` to `path` with mode 0600 in a 0700 folder, atomically (temp file + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)          # a stale one from a crash, or a planted link: removed, never followed
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def create_secret_once(path: Path, data: bytes) -> bytes:
    """Create `path` holding `data` (mode 0600) unless it exists; return what the file holds.

    First writer wins, atomically, even when two threads or processes start at the same moment
    (the store worker and the sync thread on a kiosk's first start): the key is written to a
    private temp file and hard-linked into place, which fails if the name is taken; the loser
    then reads the winner's key instead of encrypting with one that was never saved."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        os.write(fd, data)
        os.fsync(fd)
        os.close(fd)
        fd = -1
        try:
            os.link(tmp, path)
            return data
        except FileExistsError:
            return path.read_bytes()
    finally:
        if fd >= 0:
            os.close(fd)
        os.unlink(tmp)
