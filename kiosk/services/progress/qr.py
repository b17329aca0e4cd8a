"""Reading receipt QR codes from camera frames with zxing-cpp (QR only).

Frames come from the camera (any size the driver gives); before decoding, a frame is turned
grey and scaled down so that its longer side is at most `max_side` pixels (720p stays as it is),
which bounds the work per frame: zxing-cpp cannot be interrupted, so the bound is on its input.
`FrameReader` adapts that bound to the machine: when a frame took longer than its budget, the
next ones are scaled down further (never below `min_side`), and back up when decoding is quick.

Any thread (the scan worker); blocks on the CPU only, ~10-60 ms per 720p frame.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING


if TYPE_CHECKING:
    import numpy as np

MAX_SIDE = 1280
MIN_SIDE = 640


def decode_qr_texts(image: np.ndarray, max_side: int = MAX_SIDE) -> list[str]:
    """The texts of the QR codes in `image` (BGR or grey), scaled to at most `max_side` first."""
    import cv2
    import zxingcpp

    grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    h, w = grey.shape[:2]
    scale = max_side / max(h, w)
    if scale < 1.0:
        grey = cv2.resize(grey, (max(1, int(w * scale)), max(1, int(h * scale))), interpolation=cv2.INTER_AREA)
    fmt = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    return [r.text for r in zxingcpp.read_barcodes(grey, formats=fmt, try_invert=False)]


@dataclass
class FrameReader:
    """Decodes frames within a time budget per frame (see the module docstring). One thread."""

    budget: float = 0.15                 # seconds a frame may take before the next is scaled down
    max_side: int = MAX_SIDE
    min_side: int = MIN_SIDE
    side: int = field(init=False)
    last_seconds: float = field(init=False, default=0.0)

    def __post_init__(self) -> None:
        self.side = self.max_side

    def receipt_texts(self, image: np.ndarray) -> tuple[list[str], list[str]]:
        """(receipt payloads "OV1:...", other QR texts) found in `image`."""
        from kiosk.services.receipts.seal import PREFIX    # loads pycose: on the scan worker, not at start
        start = time.perf_counter()
        texts = decode_qr_texts(image, self.side)
        self.last_seconds = time.perf_counter() - start
        if self.last_seconds > self.budget:
            self.side = max(self.min_side, int(self.side * 0.75))
        elif self.last_seconds < self.budget / 3:
            self.side = min(self.max_side, int(self.side * 1.25))
        ours = [t for t in texts if t.upper().startswith(PREFIX)]
        return ours, [t for t in texts if t not in ours]
