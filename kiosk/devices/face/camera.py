"""The real camera: cv2.VideoCapture on its own capture thread, keeping only the newest frame.

`source` is a device index (0 for /dev/video0) or a file path / URL (tests and demos). The
capture thread reads as fast as the device delivers, so there is never a backlog; readers
(the preview on the GUI thread, the face worker) call `latest()`, which never blocks.

A camera that is unplugged, busy or stops delivering frames sets `error()` to a citizen-facing
CameraError and the thread keeps trying to reopen it every `retry_seconds`; when frames come
back the error clears by itself, so the kiosk recovers without a restart.
"""
from __future__ import annotations

import logging
import threading
import time

import cv2
import numpy as np

from kiosk.devices.ports import CameraError, Frame
from kiosk.domain.text import Text

log = logging.getLogger(__name__)

CAMERA_UNAVAILABLE = Text("摄像头暂时无法使用，正在重新连接。如长时间没有画面，请联系工作人员。",
                          "The camera is not available; we are reconnecting. If there is still no picture, please ask the staff.")
CAMERA_NO_FRAMES = Text("摄像头没有画面，正在重新连接。如长时间没有画面，请联系工作人员。",
                        "The camera shows no picture; we are reconnecting. If this goes on, please ask the staff.")


def fit_frame(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """`image` scaled to fit `size` (w, h) without distortion, centred on a dark background."""
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


class OpenCvCamera:
    """`start`/`stop` from any thread; `latest`/`error` from any thread, never blocking."""

    def __init__(self, source: int | str, size: tuple[int, int] = (640, 480), stall_seconds: float = 2.0,
                 retry_seconds: float = 1.0, loop: bool = False) -> None:
        self.source = source
        self.size = size
        self.stall_seconds = stall_seconds
        self.retry_seconds = retry_seconds
        self.loop = loop                 # replay a file source from the start when it ends
        self._lock = threading.Lock()
        self._latest: Frame | None = None
        self._error: CameraError | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._seq = 0

    # --- any thread --------------------------------------------------------------------------------
    def start(self) -> None:
        with self._lock:
            if self._thread and self._thread.is_alive():
                return
            self._stop.clear()
            self._latest, self._error = None, None
            self._thread = threading.Thread(target=self._run, name="camera", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop and join the capture thread (2 s deadline); drops the last frame."""
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
    def _set_error(self, error: CameraError | None) -> None:
        with self._lock:
            if error is not None and self._error is None:
                log.warning("camera problem: %s", error.detail)
            elif error is None and self._error is not None:
                log.info("camera recovered")
            self._error = error
            if error is not None:
                self._latest = None   # never show a stale picture as if it were live

    def _open(self) -> cv2.VideoCapture | None:
        cap = cv2.VideoCapture(self.source)
        if not cap.isOpened():
            cap.release()
            return None
        if isinstance(self.source, int):
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.size[0])
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.size[1])
            cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)   # a driver-side queue would make frames late
        return cap

    def _run(self) -> None:
        while not self._stop.is_set():
            cap = self._open()
            if cap is None:
                self._set_error(CameraError(CAMERA_UNAVAILABLE, f"cannot open camera source {self._describe()}"))
                self._stop.wait(self.retry_seconds)
                continue
            try:
                self._capture(cap)
            finally:
                cap.release()
            if not self._stop.is_set():
                self._stop.wait(self.retry_seconds)

    def _capture(self, cap: cv2.VideoCapture) -> None:
        """Read until stopped or the source fails; a file source is paced at its own frame rate."""
        is_file = not isinstance(self.source, int)
        fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
        last_ok, next_at = time.monotonic(), time.monotonic()
        while not self._stop.is_set():
            ok, image = cap.read()
            now = time.monotonic()
            if not ok or image is None:
                if is_file and self.loop and cap.set(cv2.CAP_PROP_POS_FRAMES, 0):
                    ok, image = cap.read()
                if not ok or image is None:
                    if is_file and not self.loop or now - last_ok > self.stall_seconds:
                        self._set_error(CameraError(CAMERA_NO_FRAMES, f"no frames from {self._describe()}"))
                        return
                    self._stop.wait(0.01)
                    continue
            last_ok = now
            self._publish(image)
            if is_file:   # play files in real time, as a camera would deliver them
                next_at += 1.0 / fps
                self._stop.wait(max(0.0, next_at - time.monotonic()))

    def _publish(self, image: np.ndarray) -> None:
        image = np.ascontiguousarray(fit_frame(image, self.size))
        image.setflags(write=False)
        with self._lock:
            self._latest = Frame(image, self._seq, time.monotonic())
            self._error = None
        self._seq += 1

    def _describe(self) -> str:
        # A URL may carry credentials; log only its kind.
        return f"device {self.source}" if isinstance(self.source, int) else "file/url source"
