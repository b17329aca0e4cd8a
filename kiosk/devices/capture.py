"""The shape every camera backend shares: one capture thread that keeps only the newest frame.

Subclasses implement `_run` (on the capture thread: read frames until `self._stop` is set, hand
each to `_publish`, report trouble with `_set_error`). Readers call `latest()` and `error()`
from any thread; neither blocks beyond a short lock, so the GUI never waits on a camera.
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
    """Base class. `start`/`stop`/`latest`/`error` may be called from any thread."""

    def __init__(self, size: tuple[int, int] = (640, 480)) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._latest: Frame | None = None
        self._error: CameraError | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        with self._lock:
            if self._thread and self._thread.is_alive():
                return
            self._stop.clear()
            self._latest, self._error = None, None
            self._thread = threading.Thread(target=self._run, name="camera", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop and join the capture thread (2 s deadline); drops the last image of the citizen."""
        self._stop.set()
        t = self._thread
        if t is not None and t is not threading.current_thread():
            t.join(timeout=2.0)
        with self._lock:
            self._latest = None

    def latest(self) -> Frame | None:
        with self._lock:
            return self._latest

    def error(self) -> CameraError | None:
        with self._lock:
            return self._error

    # --- capture thread ------------------------------------------------------------------------------
    def _run(self) -> None:  # pragma: no cover - every backend overrides it
        raise NotImplementedError

    def _publish(self, image: np.ndarray, seq: int) -> None:
        """Make `image` the newest frame (fitted to `size`, read-only) and clear any error."""
        import numpy as np

        image = np.ascontiguousarray(fit_frame(image, self.size))
        image.setflags(write=False)
        with self._lock:
            self._latest = Frame(image, seq, time.monotonic())
            if self._error is not None:
                log.info("camera recovered")
            self._error = None

    def _set_error(self, error: CameraError) -> None:
        with self._lock:
            if self._error is None:
                log.warning("camera problem: %s", error.detail)
            self._error = error
            self._latest = None   # never show a stale picture as if it were live
