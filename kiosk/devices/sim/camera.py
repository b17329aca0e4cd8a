"""A simulated camera that plays a video file (looping) or shows a still, like a live feed.

It has the real camera's shape: one capture thread decodes frames at the source's frame rate
and keeps only the newest, so readers never wait and never see a backlog.

A video may come with a `CameraScript`: a demo stand-in for a cooperative person. While idle it
plays the `idle` stretch of the clip back and forth; when the face check asks for a movement
(`perform("turn_left")`), after a human reaction time it plays the stretch of the real footage in
which the person makes that movement, and back. The clip has no footage of a head tilt or of the
person coming closer: for those the script names a transform of the idle frames (a rotation, an
enlargement), which is what the camera sees when a head tilts or comes closer. A real camera
ignores `perform` (kiosk.devices.capture): it needs a real person.

The scene of a scripted person is lit by the kiosk's screen: given the face screen's
`ScreenFlash`, each frame's face area takes on the colour the screen showed one to three frames
earlier (camera latency). An unscripted video is a replay held up to the camera: its pixels do
not change with the screen.
"""
from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.devices.capture import CaptureThreadCamera, fit_frame
from kiosk.devices.face.screen_flash import ScreenFlash
from kiosk.devices.ports import CameraError
from kiosk.i18n import tr

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

NO_CAMERA = tr("摄像头暂时无法使用，请联系工作人员。")


@dataclass(frozen=True)
class Transform:
    """A movement made from the idle frames: `tilt` degrees towards the person's own left
    shoulder (clockwise on the unmirrored image), `zoom` the face's size at the peak."""
    tilt: float = 0.0
    zoom: float = 1.0


@dataclass(frozen=True)
class CameraScript:
    """Frame ranges [start, end] of a clip: `idle` is played back and forth while nothing is
    asked; each action (e.g. "turn_left") is played forward then backward when asked for, either
    footage ([start, end]) or a `Transform` of the idle frames ({tilt: deg} or {zoom: factor}).
    `reaction` is the range of seconds a person takes to start moving after an instruction;
    footage plays at `speed` times the clip's rate (a brisk movement)."""

    idle: tuple[int, int]
    actions: dict[str, tuple[int, int] | Transform] = field(default_factory=dict)
    crop: tuple[int, int, int, int] | None = None   # x, y, width, height of the clip to show
    reaction: tuple[float, float] = (0.3, 0.45)
    speed: int = 1

    @staticmethod
    def from_dict(data: dict[str, Any]) -> CameraScript:
        crop = data.get("crop")
        actions: dict[str, tuple[int, int] | Transform] = {}
        for k, v in (data.get("actions") or {}).items():
            if isinstance(v, dict):
                actions[k] = Transform(float(v.get("tilt", 0.0)), float(v.get("zoom", 1.0)))
            else:
                a, b = v
                actions[k] = (int(a), int(b))
        reaction = data.get("reaction") or (0.3, 0.45)
        return CameraScript(tuple(data["idle"]), actions, tuple(crop) if crop else None,
                            (float(reaction[0]), float(reaction[1])), max(1, int(data.get("speed", 1))))


def transform(image: np.ndarray, how: Transform, amount: float) -> np.ndarray:
    """`image` with `how` applied `amount` (0..1) of the way, about the frame's upper middle
    (where the face sits in the demo's framing)."""
    import cv2

    if amount <= 0.0:
        return image
    h, w = image.shape[:2]
    # cv2 turns counter-clockwise for positive angles: a tilt to the person's left is clockwise.
    m = cv2.getRotationMatrix2D((w / 2.0, h * 0.35), -how.tilt * amount, 1.0 + (how.zoom - 1.0) * amount)
    return cv2.warpAffine(image, m, (w, h), borderMode=cv2.BORDER_REPLICATE)


class ScreenLight:
    """How the kiosk's screen lights a scripted person's face: the colour shown `delay` ago,
    blended into a soft oval around the face (`strength` at its centre). Capture thread only."""

    def __init__(self, flash: ScreenFlash, size: tuple[int, int], strength: float = 0.2,
                 rng: random.Random | None = None) -> None:
        import numpy as np

        self.flash, self.strength = flash, strength
        self._rng = rng or random.Random()   # noqa: S311 - camera latency, not a secret
        w, h = size
        y, x = np.mgrid[0:h, 0:w].astype(np.float32)
        r = ((x - w / 2.0) / (0.28 * w)) ** 2 + ((y - 0.35 * h) / (0.42 * h)) ** 2
        self._mask = np.clip(1.5 - r, 0.0, 1.0)[..., None] * strength

    def apply(self, image: np.ndarray, now: float, frame_s: float) -> np.ndarray:
        import numpy as np

        colour = self.flash.colour_at(now - self._rng.randint(1, 3) * frame_s)
        if colour is None or image.shape[:2] != self._mask.shape[:2]:
            return image
        lit = image.astype(np.float32)
        lit += self._mask * (np.asarray(colour, np.float32) - lit)
        return lit.astype(np.uint8)


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
                 script: CameraScript | None = None, flash: ScreenFlash | None = None,
                 rng: random.Random | None = None) -> None:
        """`flash`: the face screen's colour, which lights a scripted person (not a replay)."""
        super().__init__(size)
        self.source = Path(source)
        self._fps = fps
        self.script = script
        self.flash = flash
        self._rng = rng or random.Random()   # noqa: S311 - a person's reaction time, not a secret
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
        except Exception as exc:   # a broken file must not kill the kiosk: report it instead
            log.warning("simulated camera %s failed", self.source.name, exc_info=True)
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
        spans = [script.idle, *(v for v in script.actions.values() if isinstance(v, tuple))]
        first, last = min(a for a, _ in spans), max(b for _, b in spans)
        frames, fps = decode_clip(self.source, script.crop, first=first, last=last, size=self.size)
        fps = self._fps or fps
        if not frames:
            raise OSError("video has no frames")
        light = ScreenLight(self.flash, self.size, rng=self._rng) if self.flash is not None else None

        def span(a: int, b: int) -> list[int]:   # clip frame numbers -> indexes into `frames`
            a, b = max(0, min(a - first, len(frames) - 1)), max(0, min(b - first, len(frames) - 1))
            return list(range(a, b + 1))

        idle = span(*script.idle)
        idle_loop = idle + idle[-2:0:-1]            # back and forth, no jump
        queue: list[tuple[int | None, Transform | None, float]] = []   # (frame or idle, transform, amount)
        seq, i, next_at = 0, 0, time.monotonic()
        while not stop.is_set():
            with self._lock:
                action, self._requested = self._requested, None
            if action in script.actions:
                queue = [(None, None, 0.0)] * round(self._rng.uniform(*script.reaction) * fps)
                how = script.actions[action]
                hold = [(None, None, 0.0)] * max(1, round(fps * 0.1))
                if isinstance(how, Transform):
                    steps = max(2, round(fps * 0.2))
                    ramp = [(None, how, k / steps) for k in range(1, steps + 1)]
                    queue += ramp + [(None, how, 1.0)] * len(hold) + ramp[::-1]
                else:
                    forward = [(f, None, 0.0) for f in span(*how)[::script.speed]]
                    queue += forward + [forward[-1]] * len(hold) + forward[::-1]
            index, shape, amount = queue.pop(0) if queue else (None, None, 0.0)
            if index is None:
                index = idle_loop[i % len(idle_loop)]
                i += 1
            image = frames[index]
            if shape is not None:
                image = transform(image, shape, amount)
            if light is not None:
                image = light.apply(image, time.monotonic(), 1.0 / fps)
            self._publish(image, seq)
            seq += 1
            next_at += 1.0 / fps
            stop.wait(max(0.0, next_at - time.monotonic()))
