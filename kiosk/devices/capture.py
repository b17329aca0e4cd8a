"""The shape every camera backend shares: one capture thread that keeps only the newest frame.

Subclasses implement `_run(stop)` (on the capture thread: read frames until `stop` is set, hand
each to `_publish`, report trouble with `_set_error`). Readers call `latest()` and `error()`
from any thread; neither blocks beyond a short lock, so the GUI never waits on a camera.

`stop()` only signals: a capture thread can be stuck for a while in a driver read, and the GUI
thread calls `stop()`. Each run gets its own stop event, so a `start()` right after `stop()`
cannot revive the run that is ending; the new capture thread first waits (bounded) for the old
one to let go of the device, and frames or errors from a stopped run are dropped.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from kiosk.devices.ports import CameraError, Frame

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)


def fit_frame(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """`image` scaled to fit `size` (w, h) without distortion, centred on a dark background."""
    # Imported here, not at the top: kept off the kiosk's path to its first screen.
    import cv2
    import numpy as np

    w, h = size
    ih, iw = image.shape[:2]
    if (iw, ih) == (w, h):
        return image
    scale = min(w / iw, h / ih)
    resized = cv2.resize(image, (max(1, int(iw * scale)), max(1, int(ih * scale))), interpolation=cv2.INTER_AREA)
    canvas = np.full((h, w, 3), 40, np.uint8)
    y, x = (h - resized.shape[0]) // 2, (w - resized.shape[1]) // 2
    canvas[y:y + resized.shape[0], x:x + resized.shape[1]] = resized
    return canvas


class CaptureThreadCamera:
    """Base class. The Camera port's methods may be called from any thread; all but `join`
    return at once."""

    release_seconds = 2.0   # how long a new run waits for the previous capture thread to end

    def __init__(self, size: tuple[int, int] = (640, 480)) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._latest: Frame | None = None
        self._error: CameraError | None = None
        self._run_stop = threading.Event()          # the current run's; set = not capturing
        self._run_stop.set()
        self._thread: threading.Thread | None = None    # the current run's capture thread
        self._threads: list[threading.Thread] = []      # every capture thread not yet seen to end

    def start(self) -> None:
        """Start a run; returns at once (does nothing while a run is capturing). Any thread."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive() and not self._run_stop.is_set():
                return
            previous = self._thread
            stop = threading.Event()
            thread = threading.Thread(target=self._capture_main, args=(stop, previous), name="camera", daemon=True)
            self._run_stop, self._thread = stop, thread
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
            self._latest, self._error = None, None
            thread.start()   # under the lock: a second start() must see this run as running

    def stop(self) -> None:
        """Signal the run to stop and drop the last image of the citizen. Any thread; never blocks."""
        with self._lock:
            self._run_stop.set()
            self._latest = None

    def join(self, timeout: float) -> bool:
        """Wait up to `timeout` s for every capture thread to end; True once none is left.
        Not on the GUI thread (shutdown, workers, tests)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            threads = list(self._threads)
        me = threading.current_thread()
        for t in threads:
            if t is not me:
                t.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            return not [t for t in self._threads if t is not me]

    def latest(self) -> Frame | None:
        with self._lock:
            return self._latest

    def error(self) -> CameraError | None:
        with self._lock:
            return self._error

    def perform(self, action: str) -> None:
        """A real camera cannot make the citizen move: the request is ignored. Any thread."""

    # --- capture thread ------------------------------------------------------------------------------
    def _capture_main(self, stop: threading.Event, previous: threading.Thread | None) -> None:
        if previous is not None and previous.is_alive():
            # The run that was just stopped may still hold the device (a driver read in progress).
            previous.join(self.release_seconds)
            if previous.is_alive():
                log.warning("the previous capture thread is still running after %.1fs", self.release_seconds)
        if not stop.is_set():
            self._run(stop)

    def _run(self, stop: threading.Event) -> None:  # pragma: no cover - every backend overrides it
        raise NotImplementedError

    def _current(self) -> bool:
        """True on the capture thread of the run in progress (call with `_lock` held)."""
        return threading.current_thread() is self._thread and not self._run_stop.is_set()

    def _publish(self, image: np.ndarray, seq: int) -> None:
        """Make `image` the newest frame (fitted to `size`, read-only) and clear any error.
        Dropped when this run has been stopped or replaced."""
        import numpy as np

        image = np.ascontiguousarray(fit_frame(image, self.size))
        image.setflags(write=False)
        with self._lock:
            if not self._current():
                return
            self._latest = Frame(image, seq, time.monotonic())
            if self._error is not None:
                log.info("camera recovered")
            self._error = None

    def _set_error(self, error: CameraError) -> None:
        with self._lock:
            if not self._current():
                return
            if self._error is None:
                log.warning("camera problem: %s", error.detail)
            self._error = error
            self._latest = None   # never show a stale picture as if it were live
