"""Face encodings computed in a child process, so the kiosk's window stays smooth.

Why a process: dlib's face encoder holds Python's GIL for its whole run (~80-110 ms per face on
a 2-core kiosk, ~1 s for the jittered chip-photo reference). In-process, every good frame would
freeze the GUI thread's preview for that long (measured: the 30 fps preview fell to ~10 updates
per second). Face detection and landmarks release the GIL and stay on the face worker thread;
only the aligned 150x150 face chips cross the pipe, in memory, and only 128 numbers come back.

`ChipEncoder` methods are called from the face worker thread only; each waits for the child at
most `timeout` seconds. A child that dies or hangs is killed and started again on the next call;
the call itself raises EncoderUnavailable, which the verifier reports like a camera problem.
"""
from __future__ import annotations

import logging
import multiprocessing as mp
import threading
from collections.abc import Sequence
from multiprocessing.connection import Connection

import numpy as np

from kiosk.devices.face import encoder_child, matching
from kiosk.devices.face.observation import FaceObservation

log = logging.getLogger(__name__)

class EncoderUnavailable(RuntimeError):
    pass


class ChipEncoder:
    """A persistent child process running dlib's face encoder. Face worker thread only."""

    def __init__(self, start_timeout: float = 30.0) -> None:
        self.start_timeout = start_timeout
        self._ctx = mp.get_context("spawn")   # never fork a process that runs Qt threads
        self._proc: mp.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._lock = threading.Lock()

    def _ensure(self) -> Connection:
        if self._proc is not None and self._proc.is_alive() and self._conn is not None:
            return self._conn
        self._kill()
        parent, child = self._ctx.Pipe()
        proc = self._ctx.Process(target=encoder_child.serve, args=(child,), name="face-encoder", daemon=True)
        proc.start()
        child.close()
        if not parent.poll(self.start_timeout) or parent.recv() != "ready":
            proc.kill()
            raise EncoderUnavailable("face encoder process did not start")
        self._proc, self._conn = proc, parent
        return parent

    def warm_up(self) -> None:
        """Start the child now (kiosk start, face worker thread) so the first citizen does not
        wait for Python, dlib and the 22 MB model to load (~1-2 s). Raises EncoderUnavailable."""
        with self._lock:
            self._ensure()

    def encode(self, chips: Sequence[tuple[np.ndarray, int]], timeout: float) -> list[np.ndarray]:
        """Encodings of the aligned chips (with their jitter counts); waits at most `timeout` s."""
        with self._lock:
            try:
                conn = self._ensure()
                conn.send(list(chips))
                if not conn.poll(timeout):
                    raise EncoderUnavailable("face encoder did not answer in time")
                return conn.recv()
            except (EOFError, OSError, BrokenPipeError) as exc:
                self._kill()
                raise EncoderUnavailable(f"face encoder process failed: {type(exc).__name__}") from None
            except EncoderUnavailable:
                self._kill()
                raise

    def reference(self, photo: bytes, jitters: int = matching.REFERENCE_JITTERS, timeout: float = 30.0) -> matching.Reference:
        """matching.encode_reference with the same chips, encoded in the child process."""
        chips, analysis = matching.reference_chips(photo, jitters)
        return matching.reference_from(self.encode(chips, timeout), analysis)

    def probe(self, bgr: np.ndarray, face: FaceObservation, timeout: float = 5.0) -> np.ndarray:
        return self.encode([(matching.probe_chip(bgr, face), 0)], timeout)[0]

    def _kill(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except OSError:
                pass
        if self._proc is not None and self._proc.is_alive():
            self._proc.kill()
            self._proc.join(2.0)
        self._proc, self._conn = None, None

    def close(self) -> None:
        """Stop the child (any thread; joins it for at most 2 s)."""
        with self._lock:
            if self._conn is not None and self._proc is not None and self._proc.is_alive():
                try:
                    self._conn.send(None)
                    self._proc.join(2.0)
                except (OSError, BrokenPipeError):
                    pass
            self._kill()
