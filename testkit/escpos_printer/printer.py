"""A virtual 80 mm ESC/POS thermal printer: a TCP endpoint (like a network printer's port 9100)
and/or a pseudo-terminal (like a USB-serial printer), both feeding one printer model.

It parses what it receives (parser.py), answers DLE EOT 1-4 as a real printer would in its
current mode, and stores each job (everything between ESC @ and GS V) as a PNG of its rasters,
black = printed dot. Modes, switchable at any time by a test:
  "ok"            ready
  "near_end"      paper roll near its end (still prints)
  "out_of_paper"  paper end: offline, stopped at paper end; nothing it receives is printed
  "cover_open"    cover open: offline; nothing it receives is printed
`mode_after_raster` switches the mode when the next raster has been received, i.e. while the
printer would be printing it (a cover opened or paper run out mid-job).

Test tooling only; never imported by the product. `python -m testkit.escpos_printer` runs one.
"""
from __future__ import annotations

import os
import select
import socket
import threading
import tty
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from pathlib import Path

import numpy as np
from PIL import Image

from testkit.escpos_printer.parser import Command, Parser

MODES = ("ok", "near_end", "out_of_paper", "cover_open")
# DLE EOT answers per mode: n -> byte (bits 1 and 4 always set)
_STATUS = {
    "ok": {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12},
    "near_end": {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x1E},
    "out_of_paper": {1: 0x1A, 2: 0x32, 3: 0x12, 4: 0x7E},
    "cover_open": {1: 0x1A, 2: 0x16, 3: 0x12, 4: 0x12},
}


@dataclass
class Job:
    """One job as the printer saw it: its rasters (and the PNG of them if it printed)."""

    number: int
    rasters: list[np.ndarray] = field(default_factory=list)   # bool, True = dot
    commands: list[str] = field(default_factory=list)
    printed: bool = True             # False once anything of it arrived while the printer could not print
    cut: bool = False
    png: Path | None = None


class VirtualEscposPrinter:
    """Start with `start()` (TCP on 127.0.0.1, a free port) and/or `open_pty()`; `stop()` ends both."""

    def __init__(self, folder: Path, mode: str = "ok") -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._mode = "ok"
        self.mode = mode
        self.mode_after_raster: str | None = None
        self.jobs: list[Job] = []
        self.log: list[str] = []             # every command name received, in order
        self.unknown = bytearray()           # bytes that were no command we know
        self.connections = 0
        self._job: Job | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._server: socket.socket | None = None
        self._fds: list[int] = []
        self.address = ""

    # --- what tests use --------------------------------------------------------------------------
    @property
    def mode(self) -> str:
        return self._mode

    @mode.setter
    def mode(self, value: str) -> None:
        if value not in MODES:
            raise ValueError(f"mode {value!r}: one of {MODES}")
        with self._lock:
            self._mode = value

    @property
    def printed(self) -> list[Job]:
        with self._lock:
            return [j for j in self.jobs if j.printed and j.cut]

    def start(self) -> str:
        """Listen on 127.0.0.1 (a free port); returns "127.0.0.1:PORT"."""
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(("127.0.0.1", 0))
        srv.listen(4)
        srv.settimeout(0.2)
        self._server = srv
        self.address = f"127.0.0.1:{srv.getsockname()[1]}"
        self._spawn(self._accept_loop, srv)
        return self.address

    def open_pty(self) -> str:
        """A pseudo-terminal whose other end is this printer; returns the path to open (/dev/pts/N)."""
        master, slave = os.openpty()
        tty.setraw(slave)                    # no echo, no CR/LF translation: ESC/POS is binary
        self._fds += [master, slave]         # the slave stays open here so the master never reads EIO
        self._spawn(self._pty_loop, master)
        return os.ttyname(slave)

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.close()
        for t in self._threads:
            t.join(timeout)
        for fd in self._fds:
            try:
                os.close(fd)
            except OSError:
                pass

    # --- the printer model -------------------------------------------------------------------------
    def handle(self, cmd: Command) -> bytes:
        """Act on one command; return the bytes the printer answers (a status byte, or nothing)."""
        with self._lock:
            self.log.append(cmd.name)
            if cmd.name == "unknown":
                self.unknown += bytes(cmd.args)
                return b""
            if cmd.name == "status":
                return bytes((_STATUS[self._mode][cmd.args[0]],))
            can_print = self._mode in ("ok", "near_end")
            if cmd.name == "init":
                self._job = Job(len(self.jobs) + 1)
                self.jobs.append(self._job)
            job = self._job
            if job is None:                      # data before any ESC @ starts a job too
                job = self._job = Job(len(self.jobs) + 1)
                self.jobs.append(job)
            job.commands.append(cmd.name)
            if cmd.name in ("raster", "feed_lines", "feed_dots", "line_feed", "cut") and not can_print:
                job.printed = False
            if cmd.name == "raster":
                _, width_bytes, height = cmd.args
                bits = np.unpackbits(np.frombuffer(cmd.data, dtype=np.uint8).reshape(height, width_bytes), axis=1)
                job.rasters.append(bits.astype(bool))
                if self.mode_after_raster is not None:
                    self._mode, self.mode_after_raster = self.mode_after_raster, None
            elif cmd.name == "cut":
                job.cut = True
                if job.printed and job.rasters:
                    job.png = self._save(job)
                self._job = None
            return b""

    def _save(self, job: Job) -> Path:
        width = max(r.shape[1] for r in job.rasters)
        rows = [np.pad(r, ((0, 0), (0, width - r.shape[1]))) for r in job.rasters]
        path = self.folder / f"job-{job.number:04d}.png"
        Image.fromarray(~np.vstack(rows)).convert("1").save(path)
        return path

    # --- the endpoints ------------------------------------------------------------------------------
    def _spawn(self, target: Callable[[Any], None], arg: Any) -> None:
        t = threading.Thread(target=target, args=(arg,), daemon=True, name="virtual-escpos")
        t.start()
        self._threads.append(t)

    def _accept_loop(self, srv: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = srv.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            self._spawn(self._serve_socket, conn)

    def _serve_socket(self, conn: socket.socket) -> None:
        parser = Parser()
        conn.settimeout(0.2)
        with conn:
            while not self._stop.is_set():
                try:
                    data = conn.recv(65536)
                except TimeoutError:
                    continue
                except OSError:
                    return
                if not data:
                    return
                for cmd in parser.feed(data):
                    answer = self.handle(cmd)
                    if answer:
                        conn.sendall(answer)

    def _pty_loop(self, master: int) -> None:
        parser = Parser()
        while not self._stop.is_set():
            ready, _, _ = select.select([master], [], [], 0.2)
            if not ready:
                continue
            try:
                data = os.read(master, 65536)
            except OSError:
                return
            for cmd in parser.feed(data):
                answer = self.handle(cmd)
                if answer:
                    os.write(master, answer)
