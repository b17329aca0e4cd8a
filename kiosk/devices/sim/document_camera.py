"""A simulated document camera: returns a drawn specimen page as a JPEG, in memory."""
from __future__ import annotations

import threading

from kiosk.devices.ports import CameraError
from kiosk.i18n import tr

CAPTURE_FAILED = tr("拍照没有成功，请把材料平放在拍摄区后再试一次。")


class SimDocumentCamera:
    """The DocumentCamera port for the demo."""

    def __init__(self, delay: float = 0.3) -> None:
        self.delay = delay
        self.fail_next = False   # tests and the demo can make the next capture fail
        self._closed = threading.Event()

    def capture(self, material_id: str, timeout: float) -> bytes:
        """Runs on the face worker; blocks for the simulated exposure time (≤ timeout), less
        when the kiosk shuts down (then raises CameraError)."""
        # Imported here, not at the top: kept off the kiosk's path to its first screen.
        import cv2
        import numpy as np

        if self._closed.wait(min(self.delay, timeout)):
            raise CameraError(CAPTURE_FAILED, "document camera closed")
        if self.fail_next:
            self.fail_next = False
            raise CameraError(CAPTURE_FAILED, "simulated capture failure")
        page = np.full((800, 600, 3), 250, np.uint8)
        cv2.rectangle(page, (30, 30), (570, 770), (90, 90, 90), 3)
        cv2.putText(page, "SPECIMEN", (150, 140), cv2.FONT_HERSHEY_SIMPLEX, 1.6, (40, 40, 160), 4)
        cv2.putText(page, material_id[:28], (60, 220), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (30, 30, 30), 2)
        for y in range(300, 720, 40):
            cv2.line(page, (60, y), (540, y), (170, 170, 170), 2)
        ok, jpeg = cv2.imencode(".jpg", page, [cv2.IMWRITE_JPEG_QUALITY, 80])
        if not ok:
            raise CameraError(CAPTURE_FAILED, "encode failed")
        return jpeg.tobytes()

    def close(self) -> None:
        """Kiosk shutdown: a capture in progress ends now. Any thread; never blocks."""
        self._closed.set()
