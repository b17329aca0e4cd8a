"""What one camera frame tells us about the face in it: the contract between quality gates,
matching and liveness. Frozen, so it can be handed between threads; it holds landmarks and
measurements only, never pixels (the frame itself stays with the camera)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from kiosk.domain.text import Text

Point = tuple[float, float]


@dataclass(frozen=True)
class FaceObservation:
    """One detected face in frame pixel coordinates.

    `box` is (top, right, bottom, left) as face_recognition returns it; `landmarks` is
    face_recognition's 68-point dict ("chin", "left_eye", "right_eye", "nose_tip", "top_lip", ...).
    Angles are rough estimates in degrees from the landmarks: yaw > 0 when the person turns to
    their left (the face's nose moves to the image's right in an unmirrored frame), pitch > 0
    when looking up. `eye_openness` is the mean eye aspect ratio (about 0.3 open, < 0.2 closed).
    """

    box: tuple[int, int, int, int]
    landmarks: Mapping[str, tuple[Point, ...]] = field(repr=False)
    yaw: float
    pitch: float
    roll: float
    eye_openness: float
    mouth_openness: float
    sharpness: float
    brightness: float


@dataclass(frozen=True)
class QualityVerdict:
    """`problem` is a stable code for tests and logs ("no_face", "many_faces", "too_small",
    "off_centre", "not_frontal", "blurred", "too_dark", "too_bright", "eyes_closed");
    `advice` is what the citizen is told, in plain words."""

    ok: bool
    problem: str | None = None
    advice: Text | None = None


@dataclass(frozen=True)
class FrameAnalysis:
    """Everything one frame gave: the face (when exactly one was found) and the verdict."""

    seq: int
    timestamp: float
    face: FaceObservation | None
    verdict: QualityVerdict
    width: int
    height: int
