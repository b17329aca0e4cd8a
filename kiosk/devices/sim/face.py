"""A simulated face verifier for the demo: watches the live feed for a moment, then decides
from what the demo data says about the person. Issue "face verification" brings the real one."""
from __future__ import annotations

import hashlib
from collections.abc import Callable
import time

from kiosk.devices.ports import Camera, CameraError, CancelToken, FaceDecision
from kiosk.domain.text import Text
from kiosk.i18n import tr

HOLD_STILL = tr("请正对屏幕，保持不动。")
NO_FACE = tr("没有看到您的脸，请正对屏幕。")
MISMATCH = tr("人脸与证件照片不一致，请正对屏幕后重试。")


MIN_FRAMES = 3


class SimFaceVerifier:
    """The FaceVerifier port for the demo. `verify` on the face worker thread."""

    def __init__(self, impostor_photos: set[bytes] | None = None, watch_seconds: float = 1.5) -> None:
        # Digests of chip photos for which the camera shows someone else (a photo attack demo).
        self._impostors = {hashlib.sha256(p).hexdigest() for p in (impostor_photos or set())}
        self.watch_seconds = watch_seconds

    def verify(self, reference_photo: bytes, camera: Camera, deadline: float, cancelled: CancelToken,
               on_progress: Callable[[Text], None] = lambda text: None) -> FaceDecision:
        on_progress(HOLD_STILL)
        seen, until = 0, deadline
        last_seq = -1
        # Watch for `watch_seconds` from the first frame and for at least MIN_FRAMES frames: a
        # camera slowed down by a busy machine (a still image re-warped per frame) may give fewer
        # in the window, and that is no reason to say that nobody is there.
        while (time.monotonic() < until or seen < MIN_FRAMES) and time.monotonic() < deadline \
                and not cancelled.is_set():
            err = camera.error()
            if err is not None:
                raise err
            frame = camera.latest()
            if frame is not None and frame.seq != last_seq:
                if seen == 0:   # watch from the first frame: a clip may take a moment to open
                    until = min(deadline, time.monotonic() + self.watch_seconds)
                seen, last_seq = seen + 1, frame.seq
            time.sleep(0.05)
        if cancelled.is_set():
            return FaceDecision(False, None, None)
        if seen < MIN_FRAMES:
            if camera.error() is not None:
                raise camera.error()  # type: ignore[misc]
            raise CameraError(NO_FACE, "no frames from camera")
        if hashlib.sha256(reference_photo).hexdigest() in self._impostors:
            return FaceDecision(False, 0.71, MISMATCH, refused=True)
        return FaceDecision(True, 0.32, None)

    def warm_up(self) -> None:
        """Nothing to load. Face worker thread."""

    def prepare(self, reference_photo: bytes) -> None:
        """Nothing to encode: the demo data decides. Face worker thread."""

    def clear(self) -> None:
        """Nothing is kept between checks. Any thread."""

    def close(self, timeout: float) -> None:
        """Nothing to stop: `verify` watches `cancelled` every 50 ms. Any thread."""
