"""A simulated camera that plays a video file (looping) or shows a still, like a live feed.

It has the real camera's shape: one capture thread decodes frames at the source's frame rate
and keeps only the newest, so readers never wait and never see a backlog.

A video may come with a `CameraScript`: a demo stand-in for a cooperative person. While idle it
plays the `idle` stretch of the clip back and forth; when the face check asks for a movement
(`perform("turn_left")`), it plays the stretch of the real footage in which the person makes that
movement, and back. A real camera ignores `perform` (kiosk.devices.capture): it needs a real person.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.devices.capture import CaptureThreadCamera, fit_frame
from kiosk.devices.ports import CameraError
from kiosk.domain.text import Text

if TYPE_CHECKING:
    import numpy as np

NO_CAMERA = Text("摄像头暂时无法使用，请联系工作人员。", "The camera is not working at the moment. Please ask the staff for help.")


@dataclass(frozen=True)
class CameraScript:
    """Frame ranges [start, end] of a clip: `idle` is played back and forth while nothing is
    asked; each action (e.g. "turn_left") is played forward then backward when asked for."""

    idle: tuple[int, int]
    actions: dict[str, tuple[int, int]] = field(default_factory=dict)
    crop: tuple[int, int, int, int] | None = None   # x, y, width, height of the clip to show

    @staticmethod
    def from_dict(data: dict) -> CameraScript:
        crop = data.get("crop")
        return CameraScript(tuple(data["idle"]), {k: tuple(v) for k, v in (data.get("actions") or {}).items()},
                            tuple(crop) if crop else None)


def decode_clip(path: Path, crop: tuple[int, int, int, int] | None = None, *, first: int = 0,
                last: int | None = None, size: tuple[int, int] | None = None) -> tuple[list[np.ndarray], float]:
    """Frames `first`..`last` (inclusive; default every frame) of a short clip, BGR, cropped to
    x, y, w, h when given and fitted to `size` (w, h) when given, and the clip's frame rate.
    Index i of the list is frame first + i. Each frame is cropped and fitted as it is decoded, so
    only the frames kept are ever held in memory. Raises OSError when the file cannot be opened.
    Any thread; blocks on decoding."""
    # Imported here, not at the top: kept off the kiosk's path to its first screen.
    import cv2

    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise OSError("cannot open video")
    try:
        fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
        frames: list[np.ndarray] = []
        index = -1
        while last is None or index < last:
            ok, image = cap.read()
            if not ok:
                break
            index += 1
            if index < first:
                continue
            if crop:
                x, y, w, h = crop
                image = image[y:y + h, x:x + w]
            frames.append(fit_frame(image, size) if size else image)
        return frames, fps
    finally:
        cap.release()


class FileCamera(CaptureThreadCamera):
    """Plays `source` (video or image). The Camera port's methods: any thread; only `join` waits."""

    def __init__(self, source: Path, fps: float | None = None, size: tuple[int, int] = (640, 480),
                 script: CameraScript | None = None) -> None:
        super().__init__(size)
        self.source = Path(source)
        self._fps = fps
        self.script = script
        self._requested: str | None = None

    def perform(self, action: str) -> None:
        """Demo only: the recorded person makes `action` next (any thread, never blocks).
        Ignored when the clip has no footage of that action."""
        with self._lock:
            self._requested = action

    def _run(self, stop: threading.Event) -> None:
        try:
            if self.source.suffix.lower() in (".jpg", ".jpeg", ".png"):
                self._run_still(stop)
            else:
                self._run_video(stop)
        except Exception as exc:  # noqa: BLE001 - a broken file must not kill the kiosk; report it instead
            self._set_error(CameraError(NO_CAMERA, f"camera source failed: {type(exc).__name__}"))

    def _run_still(self, stop: threading.Event) -> None:
        import cv2
        import numpy as np

        image = cv2.imread(str(self.source))
        if image is None:
            raise OSError("cannot read still image")
        base = fit_frame(image, self.size)
        fps, seq = self._fps or 15.0, 0
        h, w = base.shape[:2]
        while not stop.is_set():
            # A gentle sway, as if the photo were held in front of the camera.
            t = seq / fps
            m = np.array([[1, 0, 6 * np.sin(t * 1.3)], [0, 1, 4 * np.sin(t * 0.9)]], dtype=np.float32)
            self._publish(cv2.warpAffine(base, m, (w, h), borderMode=cv2.BORDER_REPLICATE), seq)
            seq += 1
            stop.wait(1.0 / fps)

    def _run_video(self, stop: threading.Event) -> None:
        if self.script is not None:
            self._run_scripted(stop)
            return
        import cv2

        cap = cv2.VideoCapture(str(self.source))
        if not cap.isOpened():
            raise OSError("cannot open video")
        try:
            fps = self._fps or cap.get(cv2.CAP_PROP_FPS) or 25.0
            seq, next_at = 0, time.monotonic()
            while not stop.is_set():
                ok, image = cap.read()
                if not ok:
                    cap.set(cv2.CAP_PROP_POS_FRAMES, 0)   # loop the clip
                    ok, image = cap.read()
                    if not ok:
                        raise OSError("video has no frames")
                self._publish(image, seq)
                seq += 1
                next_at += 1.0 / fps
                stop.wait(max(0.0, next_at - time.monotonic()))
        finally:
            cap.release()

    def _run_scripted(self, stop: threading.Event) -> None:
        """Decode the clip once (a few seconds of video), then play it by the script."""
        script = self.script
        assert script is not None
        # Only the stretch the script plays is decoded and kept (~60 fitted frames, ~55 MB):
        # holding the whole clip cost ~450 MB per face check, which the allocator kept afterwards.
        spans = [script.idle, *script.actions.values()]
        first, last = min(a for a, _ in spans), max(b for _, b in spans)
        frames, fps = decode_clip(self.source, script.crop, first=first, last=last, size=self.size)
        fps = self._fps or fps
        if not frames:
            raise OSError("video has no frames")

        def span(a: int, b: int) -> list[int]:   # clip frame numbers -> indexes into `frames`
            a, b = max(0, min(a - first, len(frames) - 1)), max(0, min(b - first, len(frames) - 1))
            return list(range(a, b + 1))

        idle = span(*script.idle)
        idle_loop = idle + idle[-2:0:-1]            # back and forth, no jump
        queue: list[int] = []
        seq, i, next_at = 0, 0, time.monotonic()
        while not stop.is_set():
            with self._lock:
                action, self._requested = self._requested, None
            if action in script.actions:
                forward = span(*script.actions[action])
                queue = forward + [forward[-1]] * int(fps * 0.4) + forward[::-1]
            if queue:
                index = queue.pop(0)
            else:
                index = idle_loop[i % len(idle_loop)]
                i += 1
            self._publish(frames[index], seq)
            seq += 1
            next_at += 1.0 / fps
            stop.wait(max(0.0, next_at - time.monotonic()))
