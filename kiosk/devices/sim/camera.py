"""A simulated camera that plays a video file (looping) or shows a still, like a live feed.

It has the real camera's shape: one capture thread decodes frames at the source's frame rate
and keeps only the newest, so readers never wait and never see a backlog.
"""
from __future__ import annotations

import threading
import time
from pathlib import Path

import cv2
import numpy as np

from kiosk.devices.ports import CameraError, Frame
from kiosk.domain.text import Text

NO_CAMERA = Text("摄像头暂时无法使用，请联系工作人员。", "The camera is not working at the moment. Please ask the staff for help.")


class FileCamera:
    """Plays `source` (video or image). `start`/`stop` from any thread; `latest` never blocks."""

    def __init__(self, source: Path, fps: float | None = None, size: tuple[int, int] = (640, 480)) -> None:
        self.source = Path(source)
        self.size = size
        self._fps = fps
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
        self._stop.set()
        t = self._thread
        if t is not None and t is not threading.current_thread():
            t.join(timeout=2.0)
        with self._lock:
            self._latest = None   # drop the last image of the citizen

    def latest(self) -> Frame | None:
        with self._lock:
            return self._latest

    def error(self) -> CameraError | None:
        with self._lock:
            return self._error

    def _publish(self, image: np.ndarray, seq: int) -> None:
        image = np.ascontiguousarray(image)
        image.setflags(write=False)
        with self._lock:
            self._latest = Frame(image, seq, time.monotonic())

    def _fit(self, image: np.ndarray) -> np.ndarray:
        w, h = self.size
        ih, iw = image.shape[:2]
        scale = min(w / iw, h / ih)
        resized = cv2.resize(image, (max(1, int(iw * scale)), max(1, int(ih * scale))), interpolation=cv2.INTER_AREA)
        canvas = np.full((h, w, 3), 40, np.uint8)
        y, x = (h - resized.shape[0]) // 2, (w - resized.shape[1]) // 2
        canvas[y:y + resized.shape[0], x:x + resized.shape[1]] = resized
        return canvas

    def _run(self) -> None:
        try:
            if self.source.suffix.lower() in (".jpg", ".jpeg", ".png"):
                self._run_still()
            else:
                self._run_video()
        except Exception as exc:  # a broken file must not kill the kiosk; report it instead
            with self._lock:
                self._error = CameraError(NO_CAMERA, f"camera source failed: {type(exc).__name__}")

    def _run_still(self) -> None:
        image = cv2.imread(str(self.source))
        if image is None:
            raise OSError("cannot read still image")
        base = self._fit(image)
        fps, seq = self._fps or 15.0, 0
        h, w = base.shape[:2]
        while not self._stop.is_set():
            # A gentle sway, as if the photo were held in front of the camera.
            t = seq / fps
            m = np.float32([[1, 0, 6 * np.sin(t * 1.3)], [0, 1, 4 * np.sin(t * 0.9)]])
            self._publish(cv2.warpAffine(base, m, (w, h), borderMode=cv2.BORDER_REPLICATE), seq)
            seq += 1
            self._stop.wait(1.0 / fps)

    def _run_video(self) -> None:
        cap = cv2.VideoCapture(str(self.source))
        if not cap.isOpened():
            raise OSError("cannot open video")
        try:
            fps = self._fps or cap.get(cv2.CAP_PROP_FPS) or 25.0
            seq, next_at = 0, time.monotonic()
            while not self._stop.is_set():
                ok, image = cap.read()
                if not ok:
                    cap.set(cv2.CAP_PROP_POS_FRAMES, 0)   # loop the clip
                    ok, image = cap.read()
                    if not ok:
                        raise OSError("video has no frames")
                self._publish(self._fit(image), seq)
                seq += 1
                next_at += 1.0 / fps
                self._stop.wait(max(0.0, next_at - time.monotonic()))
        finally:
            cap.release()
