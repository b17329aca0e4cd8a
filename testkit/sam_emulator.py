"""A SAM ID-card reader on a pseudo-terminal, speaking the GA 467 frame protocol, for tests and demos.

The host opens `emulator.port` with pyserial exactly as it would /dev/ttyUSB0. The emulator answers
from one fictional citizen (testkit/idcard_text.py) and can misbehave on purpose (MISBEHAVIOURS).
Its thread owns the pty's master side; `place`, `remove` and `close` may be called from any thread.

The photo it returns is 1024 opaque demo-only bytes, not a real WLT image: nothing may try to show
or match it.
"""
from __future__ import annotations

import os
import select
import threading
import time
import tty

from kiosk.devices.idcard import frames
from kiosk.devices.idcard.frames import FrameBuffer, ParseError
from testkit.idcard_text import resident_text

BAUD_115200 = 10 / 115200    # seconds per byte on a 115200 baud line (start + 8 data + stop bits)
DEMO_ONLY_PHOTO = (b"DEMO-ONLY NOT A WLT IMAGE " * 40)[:1024]

MISBEHAVIOURS = (
    "",                   # a well-behaved reader
    "no_card",            # nothing is ever placed
    "late_card",          # the card arrives after a few find-card polls
    "removed_mid_read",   # the card leaves during read-base: half a frame, then no card
    "bad_checksum",       # the first read-base answer has a corrupt checksum
    "bad_checksum_always",  # every read-base answer has a corrupt checksum
    "partial_frame",      # the first read-base answer stops halfway (and the rest never comes)
    "split_frames",       # every answer arrives in small pieces with pauses between them
    "garbage",            # noise (including false preamble starts) before every answer
    "silent",             # the SAM stops answering altogether
)


class SamEmulator:
    def __init__(self, text: bytes | None = None, photo: bytes = DEMO_ONLY_PHOTO, misbehaviour: str = "",
                 late_after: int = 3, byte_delay: float = 0.0, answer_delay: float = 0.0) -> None:
        # byte_delay: seconds per byte sent, to cost what a real line does (the pty has no baud
        # rate): 10 bits a byte at 115200 baud is BAUD_115200 = 87 µs
        if misbehaviour not in MISBEHAVIOURS:
            raise ValueError(f"unknown misbehaviour {misbehaviour!r}")
        self.text = text if text is not None else resident_text()
        self.photo = photo
        self.misbehaviour = misbehaviour
        self._late_after = late_after
        self._byte_delay = byte_delay
        self._answer_delay = answer_delay      # a slow SAM: seconds before every answer
        self.placed_at: float | None = None    # time.monotonic() of the last place(), for benchmarks
        self._lock = threading.Lock()
        self._present = misbehaviour != "no_card"
        self._finds = 0
        self._reads = 0
        self.commands: list[tuple[int, int]] = []      # what the host asked, in order
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)     # no echo, no line discipline: bytes pass as on a real UART
        self.port = os.ttyname(self._slave)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sam-emulator", daemon=True)
        self._thread.start()

    # --- test controls (any thread) ---
    def place(self) -> None:
        with self._lock:
            self._present = True
            self.placed_at = time.monotonic()

    def remove(self) -> None:
        with self._lock:
            self._present = False

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        for fd in (self._master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass

    def __enter__(self) -> SamEmulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the reader (emulator thread) ---
    def _run(self) -> None:
        buf = FrameBuffer(min_payload=2)
        while not self._stop.is_set():
            ready, _, _ = select.select([self._master], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(self._master, 4096)
            except OSError:
                return
            buf.feed(chunk)
            while True:
                try:
                    payload = buf.pop()
                except ParseError:
                    self._send(frames.build_response(0x10))   # as a reader does: "bad checksum received"
                    continue
                if payload is None:
                    break
                self._answer(frames.parse_request(payload))

    def _answer(self, req: frames.Request) -> None:
        self.commands.append(req.command)
        if self.misbehaviour == "silent":
            return
        if self._answer_delay:
            time.sleep(self._answer_delay)
        with self._lock:
            present = self._present
        cmd = req.command
        if cmd in (frames.CMD_SAM_STATUS, frames.CMD_RESET):
            self._send(frames.build_response(frames.SW_OK))
        elif cmd == frames.CMD_FIND_CARD:
            self._finds += 1
            if self.misbehaviour == "late_card" and self._finds <= self._late_after:
                present = False
            self._send(frames.build_response(frames.SW_FOUND, b"\0\0\0\0") if present
                       else frames.build_response(frames.SW_NO_CARD))
        elif cmd == frames.CMD_SELECT_CARD:
            self._send(frames.build_response(frames.SW_OK, bytes(8)) if present
                       else frames.build_response(frames.SW_SELECT_FAILED))
        elif cmd == frames.CMD_READ_BASE:
            self._read_base(present)
        else:
            self._send(frames.build_response(0x21))

    def _read_base(self, present: bool) -> None:
        self._reads += 1
        if not present:
            self._send(frames.build_response(0x41))
            return
        frame = frames.build_response(frames.SW_OK, frames.build_base_message(self.text, self.photo))
        first = self._reads == 1
        if self.misbehaviour == "removed_mid_read" and first:
            self.remove()
            self._send(frame[:len(frame) // 2])
        elif self.misbehaviour == "partial_frame" and first:
            self._send(frame[:len(frame) // 2])
        elif (self.misbehaviour == "bad_checksum" and first) or self.misbehaviour == "bad_checksum_always":
            self._send(frame[:-1] + bytes([frame[-1] ^ 0x5A]))
        else:
            self._send(frame)

    def _send(self, frame: bytes) -> None:
        if self.misbehaviour == "garbage":
            frame = b"\x00\xff\xaa\xaa\x13\xaa\xaa\xaa\x96" + frame
        if self.misbehaviour == "split_frames":
            for i in range(0, len(frame), 7):
                self._write(frame[i:i + 7])
                time.sleep(0.002)
        else:
            self._write(frame)

    def _write(self, data: bytes) -> None:
        if self._byte_delay:
            time.sleep(len(data) * self._byte_delay)
        try:
            os.write(self._master, data)
        except OSError:
            self._stop.set()
