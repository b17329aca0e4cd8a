"""The real camera: cv2.VideoCapture on its own capture thread, keeping only the newest frame.

`source` is a device index (0 for /dev/video0) or a file path / URL (tests and demos). The
capture thread reads as fast as the device delivers, so there is never a backlog; readers
(the preview on the GUI thread, the face worker) call `latest()`, which never blocks.

A camera that is unplugged, busy or stops delivering frames sets `error()` to a citizen-facing
CameraError and the thread keeps trying to reopen it every `retry_seconds`; when frames come
back the error clears by itself, so the kiosk recovers without a restart.
"""
from __future__ import annotations

import threading
import time

import cv2

from kiosk.devices.capture import CaptureThreadCamera
from kiosk.devices.ports import CameraError
from kiosk.i18n import tr

CAMERA_UNAVAILABLE = tr("摄像头暂时无法使用，正在重新连接。如长时间没有画面，请联系工作人员。")
CAMERA_NO_FRAMES = tr("摄像头没有画面，正在重新连接。如长时间没有画面，请联系工作人员。")


class OpenCvCamera(CaptureThreadCamera):
    """A cv2.VideoCapture source (see the module docstring). Camera port methods: any thread."""

    def __init__(self, source: int | str, size: tuple[int, int] = (640, 480), stall_seconds: float = 2.0,
                 retry_seconds: float = 1.0, loop: bool = False) -> None:
        super().__init__(size)
        self.source = source
        self.stall_seconds = stall_seconds
        self.retry_seconds = retry_seconds
        self.loop = loop                 # replay a file source from the start when it ends
        self._seq = 0

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

    def _run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            cap = self._open()
            if cap is None:
                self._set_error(CameraError(CAMERA_UNAVAILABLE, f"cannot open camera source {self._describe()}"))
                stop.wait(self.retry_seconds)
                continue
            try:
                self._capture(cap, stop)
            finally:
                cap.release()
            if not stop.is_set():
                stop.wait(self.retry_seconds)

    def _capture(self, cap: cv2.VideoCapture, stop: threading.Event) -> None:
        """Read until stopped or the source fails; a file source is paced at its own frame rate."""
        is_file = not isinstance(self.source, int)
        fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
        last_ok, next_at = time.monotonic(), time.monotonic()
        while not stop.is_set():
            ok, image = cap.read()
            now = time.monotonic()
            if not ok or image is None:
                if is_file and self.loop and cap.set(cv2.CAP_PROP_POS_FRAMES, 0):
                    ok, image = cap.read()
                if not ok or image is None:
                    if (is_file and not self.loop) or now - last_ok > self.stall_seconds:
                        self._set_error(CameraError(CAMERA_NO_FRAMES, f"no frames from {self._describe()}"))
                        return
                    stop.wait(0.01)
                    continue
            last_ok = now
            self._publish(image, self._seq)
            self._seq += 1
            if is_file:   # play files in real time, as a camera would deliver them
                next_at += 1.0 / fps
                stop.wait(max(0.0, next_at - time.monotonic()))

    def _describe(self) -> str:
        # A URL may carry credentials; log only its kind.
        return f"device {self.source}" if isinstance(self.source, int) else "file/url source"
