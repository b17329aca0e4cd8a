"""Replacing a file so that a crash leaves either the old content or the new, never half of it.

Runs on the caller's thread; blocks on fsync (the file, then its folder).
"""
from __future__ import annotations

import os
from pathlib import Path

# O_NOFOLLOW: a link planted at the temporary name must not send our bytes somewhere else.
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def temp_name(path: Path) -> Path:
    """The hidden temporary name `atomic_write` writes through (next to `path`, same file system)."""
    return path.with_name(f".{path.name}.tmp")


def atomic_write(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write `data` to `path` atomically: a fresh temporary file created exclusively (a stale one
    from a crash, or anything planted there, is removed first, never followed), fsynced, renamed
    over `path`, and the folder fsynced so the rename itself survives a power cut."""
    path = Path(path)
    tmp = temp_name(path)
    tmp.unlink(missing_ok=True)          # removes a link itself, not what it points to
    fd = os.open(tmp, _CREATE, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    """Make a rename or a new file in `folder` durable. Best effort: some file systems refuse."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
