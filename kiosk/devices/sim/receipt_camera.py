"""A simulated camera in front of which someone holds up a printed receipt (the scan-to-check
screen's demo and tests).

The receipt is a PNG of a rendered receipt (pdftoppm of a real receipt PDF, 576 pixels wide as
the printer's dots). Each frame shows it as a hand would hold it in front of a 720p webcam: its
QR end towards the camera at `scale`, tilted by `angle` degrees with a little perspective,
swaying slowly, slightly out of focus (`blur`) and with sensor noise (`noise`). For the first
`empty_seconds` only the background is seen: the receipt comes into view after that, at
`appeared_at` (time.monotonic()), which the benchmark measures from.

`source` is the PNG's path, or a callable returning its bytes or None (the demo: the newest
receipt this kiosk printed), read when a run starts, on the capture thread. The Camera port's methods: any thread; only `join` waits.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.devices.capture import CaptureThreadCamera
from kiosk.devices.ports import CameraError
from kiosk.i18n import tr

if TYPE_CHECKING:
    import numpy as np

NO_RECEIPT = tr("模拟摄像头：没有可显示的回执。")
MAX_PNG_BYTES = 16 << 20


class ReceiptCamera(CaptureThreadCamera):
    def __init__(self, source: Path | Callable[[], bytes | None], *, size: tuple[int, int] = (1280, 720),
                 fps: float = 15.0, scale: float = 1.1, angle: float = 7.0, focus: float = 0.8, blur: float = 1.1,
                 noise: float = 6.0, empty_seconds: float = 0.4, seed: int = 14) -> None:
        super().__init__(size)
        self._source = source
        self.fps, self.scale, self.angle, self.focus = fps, scale, angle, focus
        self.blur, self.noise, self.empty_seconds, self.seed = blur, noise, empty_seconds, seed
        self.appeared_at: float | None = None       # when the receipt first came into view (this run)

    def _png(self) -> bytes | None:
        if callable(self._source):
            return self._source()
        path = self._source
        return path.read_bytes() if path.is_file() and path.stat().st_size <= MAX_PNG_BYTES else None

    def _run(self, stop: threading.Event) -> None:
        try:
            self._play(stop)
        except Exception as exc:  # noqa: BLE001 - a broken file must not kill the kiosk; report it instead
            self._set_error(CameraError(NO_RECEIPT, f"receipt camera failed: {type(exc).__name__}"))

    def _play(self, stop: threading.Event) -> None:
        import time

        import cv2
        import numpy as np

        png = self._png()
        receipt = None
        if png is not None and len(png) <= MAX_PNG_BYTES:
            receipt = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
        w, h = self.size
        rng = np.random.default_rng(self.seed)
        # A desk and a wall behind: an uneven grey that is not white (so the paper stands out).
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        background = (90 + 30 * np.sin(xx / 170.0) + 20 * np.cos(yy / 90.0)).astype(np.float32)
        with self._lock:
            self.appeared_at = None
        start, seq = time.monotonic(), 0
        while not stop.is_set():
            t = time.monotonic() - start
            frame = background.copy()
            if receipt is not None and t >= self.empty_seconds:
                frame = self._hold(receipt, frame, t)
                with self._lock:
                    if self.appeared_at is None:
                        self.appeared_at = time.monotonic()
            if self.blur > 0:
                frame = cv2.GaussianBlur(frame, (0, 0), self.blur)
            if self.noise > 0:
                frame = frame + rng.normal(0.0, self.noise, frame.shape).astype(np.float32)
            grey = np.clip(frame, 0, 255).astype(np.uint8)
            self._publish(cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR), seq)
            seq += 1
            stop.wait(1.0 / self.fps)

    def _hold(self, receipt: np.ndarray, frame: np.ndarray, t: float) -> np.ndarray:
        """`receipt` as held up in front of the camera at time `t`, drawn over `frame`."""
        import cv2
        import numpy as np

        w, h = self.size
        rh, rw = receipt.shape[:2]
        # The point of the receipt held at the centre of the view (its QR code), swaying a little.
        cx, cy = rw / 2, rh * self.focus
        sway = np.array([14 * np.sin(t * 1.1), 9 * np.sin(t * 0.7)], np.float32)
        angle = np.deg2rad(self.angle + 1.5 * np.sin(t * 0.9))
        c, s = np.cos(angle) * self.scale, np.sin(angle) * self.scale
        corners = np.array([[0, 0], [rw, 0], [rw, rh], [0, rh]], np.float32) - [cx, cy]
        placed = np.stack([corners[:, 0] * c - corners[:, 1] * s, corners[:, 0] * s + corners[:, 1] * c], axis=1)
        placed += np.array([w / 2, h / 2], np.float32) + sway
        # Perspective: the top edge a little further from the camera than the bottom one.
        placed[0:2, 0] += np.array([rw * 0.03, -rw * 0.03], np.float32) * self.scale
        m = cv2.getPerspectiveTransform(np.array([[0, 0], [rw, 0], [rw, rh], [0, rh]], np.float32),
                                        placed.astype(np.float32))
        paper = cv2.warpPerspective(receipt.astype(np.float32) * 0.92 + 12, m, (w, h),
                                    flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=-1)
        mask = cv2.warpPerspective(np.ones((rh, rw), np.float32), m, (w, h), flags=cv2.INTER_LINEAR)
        return frame * (1 - mask) + np.maximum(paper, 0) * mask
