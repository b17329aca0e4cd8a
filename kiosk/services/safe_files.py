"""Files on hostile ground: a USB stick, a folder someone else prepared, a name someone else chose.

The rules (docs/security.md "Files from and to removable media"):
- read once, bounded: a file is opened without following a link and without blocking (a FIFO
  would otherwise hang us, and serve different bytes to a second reader), checked on its
  descriptor to be a regular file no larger than the cap, and read from that descriptor up to
  the cap; the caller verifies and uses exactly those bytes, never the path again;
- create exclusively: new files are made relative to a folder descriptor opened without
  following a link, with O_CREAT|O_EXCL|O_NOFOLLOW, so nothing already there (a planted link
  to a key file, say) is ever written through;
- a name from outside is printed only through `safe_name`, which escapes control characters
  (a terminal escape sequence in a file name would otherwise rewrite the operator's screen).

Used by the kiosk (export, key backups) and the back office (import). Any thread; every function
blocks only on the file system.
"""
from __future__ import annotations

import errno
import os
import stat
import unicodedata
from collections.abc import Iterable
from pathlib import Path

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_READ = os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | _CLOEXEC
_FOLDER = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _CLOEXEC
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC
_CHUNK = 1 << 20


class RefusedFile(Exception):
    """A file (or folder) we will not read or write; the message says why, in words fit to print."""


def safe_name(name: str | bytes | os.PathLike[str], limit: int = 160) -> str:
    """`name` fit for a terminal or a log line: control and format characters (C0, DEL, C1,
    bidirectional overrides, zero-width characters) shown as \\xNN or \\uNNNN, undecodable bytes
    as \\xNN, and anything past `limit` characters cut with an ellipsis."""
    if isinstance(name, bytes):
        text = name.decode("utf-8", "backslashreplace")
    else:
        text = os.fspath(name)
    out = []
    for ch in text:
        if 0xDC80 <= ord(ch) <= 0xDCFF:               # os.fsdecode's stand-in for an undecodable byte
            out.append(f"\\x{ord(ch) - 0xDC00:02x}")
        elif ch == "\\":
            out.append("\\\\")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp"):
            out.append(f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    shown = "".join(out)
    return shown if len(shown) <= limit else shown[:limit - 1] + "…"


def _refusal(st: os.stat_result, max_bytes: int) -> str | None:
    if stat.S_ISLNK(st.st_mode):
        return "is a symbolic link (refused: links are never followed)"
    if not stat.S_ISREG(st.st_mode):
        return "is not a regular file (a FIFO, device, socket or folder)"
    if st.st_size > max_bytes:
        return f"is larger than {max_bytes:,} bytes ({st.st_size:,})"
    return None


def read_regular(name: str | os.PathLike[str], max_bytes: int, *, dir_fd: int | None = None) -> bytes:
    """The whole content of the regular file `name` (relative to `dir_fd` if given), read once
    from one descriptor. Refused (RefusedFile) without reading: a link, a FIFO, a device, a
    socket, a folder, a file over `max_bytes`; also a file that grows past the cap while read.
    OSError for what the file system says (missing, permission)."""
    # lstat first: opening a device can have side effects (a tape rewinds); the fstat below is
    # what counts, since the entry may change between the two.
    problem = _refusal(os.stat(name, dir_fd=dir_fd, follow_symlinks=False), max_bytes)
    if problem:
        raise RefusedFile(problem)
    try:
        fd = os.open(name, _READ, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise RefusedFile("is a symbolic link (refused: links are never followed)") from None
        raise
    try:
        problem = _refusal(os.fstat(fd), max_bytes)
        if problem:
            raise RefusedFile(problem)
        os.set_blocking(fd, True)
        chunks: list[bytes] = []
        size = 0
        while size <= max_bytes:
            chunk = os.read(fd, min(_CHUNK, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > max_bytes:
            raise RefusedFile(f"grew past {max_bytes:,} bytes while being read")
        return b"".join(chunks)
    finally:
        os.close(fd)


def open_folder(path: str | os.PathLike[str], *, create: bool = False) -> int:
    """A descriptor of the folder `path`, opened without following a link at its last step
    (the caller closes it). `create`: make it (and its parents) first, mode 0700 for new ones.
    RefusedFile when `path` is a link or not a folder."""
    path = Path(path)
    if create:
        try:
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
        except FileExistsError:
            pass                                       # a link or a file: refused just below
    try:
        return os.open(path, _FOLDER | _NOFOLLOW)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise RefusedFile("is a symbolic link (refused: links are never followed)") from None
        if exc.errno == errno.ENOTDIR:
            raise RefusedFile("is not a folder") from None
        raise


def create_exclusive(dir_fd: int, name: str, mode: int = 0o600) -> int:
    """A new file `name` in the folder `dir_fd`, open for writing: never an existing file, never
    through a link (FileExistsError if the name is taken, by anything). The caller closes it."""
    if not name or "/" in name or name in (".", ".."):
        raise ValueError(f"not a plain file name: {safe_name(name)}")
    return os.open(name, _CREATE, mode, dir_fd=dir_fd)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def enclosing(dir_fd: int, roots: Iterable[str | os.PathLike[str]]) -> Path | None:
    """The first of `roots` that the folder `dir_fd` is, or is inside of, found by walking up
    the real parents ("..") from the descriptor: links along the way the caller typed cannot
    hide it, and nothing is looked up by name twice. None when it is inside none of them."""
    ids: dict[tuple[int, int], Path] = {}
    for root in roots:
        try:
            st = os.stat(root)
        except OSError:
            continue                                   # a folder that does not exist contains nothing
        ids.setdefault((st.st_dev, st.st_ino), Path(root))
    fd = os.dup(dir_fd)
    try:
        for _ in range(4096):                          # deeper than any real tree: stop anyway
            st = os.fstat(fd)
            hit = ids.get((st.st_dev, st.st_ino))
            if hit is not None:
                return hit
            parent = os.open("..", _FOLDER, dir_fd=fd)
            pst = os.fstat(parent)
            os.close(fd)
            fd = parent
            if (pst.st_dev, pst.st_ino) == (st.st_dev, st.st_ino):
                break                                  # the file system's root
        return None
    finally:
        os.close(fd)


def fsync_folder(dir_fd: int) -> None:
    """Make new names in the folder durable. Best effort: some file systems (FAT) refuse."""
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
