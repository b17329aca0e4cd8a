"""Face encodings computed in a child process, so the kiosk's window stays smooth.

Why a process: dlib's face encoder holds Python's GIL for its whole run (~80-110 ms per face on
a 2-core kiosk, ~1 s for the jittered chip-photo reference). In-process, every good frame would
freeze the GUI thread's preview for that long (measured: the 30 fps preview fell to ~10 updates
per second). Face detection and landmarks release the GIL and stay on the face worker thread;
only the aligned 150x150 face chips cross the pipe, in memory, and only 128 numbers come back.

`ChipEncoder.encode` and `warm_up` are called from the face worker thread; each waits for the
child at most `timeout` seconds. A child that dies or hangs is killed and started again on the next
call; the call itself raises EncoderUnavailable, which the verifier reports like a camera problem.
`close` (kiosk shutdown, any thread) is bounded too: it kills a child that is busy encoding.
"""
from __future__ import annotations

import logging
import multiprocessing as mp
import threading
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection

import numpy as np

from kiosk.devices.face import encoder_child, matching
from kiosk.devices.face.observation import FaceObservation

log = logging.getLogger(__name__)


class EncoderUnavailable(RuntimeError):
    pass


class ChipEncoder:
    """A persistent child process running dlib's face encoder. `warm_up`/`encode` on the face
    worker thread; `close` from any thread.

    One request at a time crosses the pipe (`_lock`); every wait for the lock, the pipe or the
    child has a timeout. `close` never waits for an encode in progress: it kills the child, which
    ends that encode at once with EncoderUnavailable."""

    def __init__(self, start_timeout: float = 30.0) -> None:
        self.start_timeout = start_timeout
        self._ctx = mp.get_context("spawn")   # never fork a process that runs Qt threads
        self._proc: mp.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._ready = False                   # the child has loaded the model and answers
        self._lock = threading.Lock()
        self._closed = threading.Event()      # set by close(): never start a child again

    def _ensure(self) -> Connection:
        """The running child's pipe, starting the child if need be (`_lock` held). Waits at most
        `start_timeout` s for the model to load; raises EncoderUnavailable."""
        if self._closed.is_set():
            raise EncoderUnavailable("face encoder closed")
        if self._ready and self._conn is not None and self._proc is not None and self._proc.is_alive():
            return self._conn
        self._kill()
        parent, child = self._ctx.Pipe()
        proc = self._ctx.Process(target=encoder_child.serve, args=(child,), name="face-encoder", daemon=True)
        proc.start()
        child.close()
        # Published before waiting, so that close() can kill a child that is still loading.
        self._proc, self._conn, self._ready = proc, parent, False
        try:
            ready = not self._closed.is_set() and parent.poll(self.start_timeout) and parent.recv() == "ready"
        except (EOFError, OSError):
            ready = False
        if not ready or self._closed.is_set():
            self._kill()
            raise EncoderUnavailable("face encoder process did not start")
        self._ready = True
        return parent

    def _locked(self, timeout: float) -> None:
        if not self._lock.acquire(timeout=max(0.0, timeout)):
            raise EncoderUnavailable("face encoder busy")

    def warm_up(self) -> None:
        """Start the child now (kiosk start, face worker thread) so the first citizen does not
        wait for Python, dlib and the 22 MB model to load (~1-2 s; at most `start_timeout`).
        Raises EncoderUnavailable."""
        self._locked(self.start_timeout)
        try:
            self._ensure()
        finally:
            self._lock.release()

    def encode(self, chips: Sequence[tuple[np.ndarray, int]], timeout: float) -> list[np.ndarray]:
        """Encodings of the aligned chips (with their jitter counts); waits at most `timeout` s for
        the child's answer (plus the child's start when it is not running yet)."""
        self._locked(timeout)
        try:
            conn = self._ensure()
            conn.send(list(chips))
            if not conn.poll(timeout):
                raise EncoderUnavailable("face encoder did not answer in time")
            return conn.recv()
        except (EOFError, OSError) as exc:   # the child died, or close() killed it
            self._kill()
            raise EncoderUnavailable(f"face encoder process failed: {type(exc).__name__}") from None
        except EncoderUnavailable:
            self._kill()
            raise
        finally:
            self._lock.release()

    def reference(self, photo: bytes, jitters: int = matching.REFERENCE_JITTERS, timeout: float = 30.0) -> matching.Reference:
        """matching.encode_reference with the same chips, encoded in the child process."""
        chips, analysis = matching.reference_chips(photo, jitters)
        return matching.reference_from(self.encode(chips, timeout), analysis)

    def probe(self, bgr: np.ndarray, face: FaceObservation, timeout: float = 5.0) -> np.ndarray:
        return self.encode([(matching.probe_chip(bgr, face), 0)], timeout)[0]

    def _kill(self, wait: float = 2.0) -> None:
        """End the child (`_lock` held); joins it for at most `wait` s."""
        conn, proc = self._conn, self._proc
        self._proc, self._conn, self._ready = None, None, False
        if conn is not None:
            try:
                conn.close()
            except OSError:
                pass
        if proc is not None and proc.is_alive():
            proc.kill()
            proc.join(wait)

    def close(self, timeout: float = 2.0) -> None:
        """Stop the child for good (kiosk shutdown). Any thread; returns within about `timeout` s.

        An encode in progress holds the pipe for up to its own timeout (30 s for a chip photo):
        rather than wait for it, kill the child; the encode then sees the pipe close, raises
        EncoderUnavailable and gives the pipe back."""
        deadline = time.monotonic() + timeout
        self._closed.set()
        if not self._lock.acquire(timeout=min(0.2, timeout / 4)):
            proc = self._proc
            if proc is not None:
                proc.kill()
            if not self._lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
                log.warning("face encoder: still busy when closed; it ends at its own timeout")
                return
        try:
            if self._ready and self._conn is not None and self._proc is not None and self._proc.is_alive():
                try:
                    self._conn.send(None)    # let the child end by itself
                    self._proc.join(max(0.0, min(1.0, deadline - time.monotonic())))
                except OSError:
                    pass
            self._kill(max(0.0, deadline - time.monotonic()))
        finally:
            self._lock.release()
