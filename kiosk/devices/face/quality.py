"""Per-frame face analysis: detection, 68 landmarks, pose, eye/mouth openness, sharpness and
brightness, then the quality gates that decide what the citizen is told ("please come closer").

Everything here is pure computation on a numpy frame handed in by the caller; it runs on the face
worker thread (never the UI thread, never the camera's capture thread) and blocks only on the CPU:
about 40-70 ms per 640x480 frame on one core (see docs/benchmarks.md, "Face matching"). Nothing is
written to disk or logged: the returned `FrameAnalysis` holds landmarks and numbers, never pixels.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import cv2
import numpy as np

from kiosk.devices.face.observation import FaceObservation, FrameAnalysis, Point, QualityVerdict
from kiosk.devices.icao.image import PHOTO_MAX_PIXELS, PHOTO_MAX_SIDE, check_image, image_format
from kiosk.domain.text import Text
from kiosk.i18n import tr

# The advice shown for each problem code: plain words telling the citizen what to do.
ADVICE: dict[str, Text] = {
    "no_face": tr("请看向屏幕，让摄像头看到您的脸"),
    "many_faces": tr("请一个人站在摄像头前"),
    "too_small": tr("请靠近一些"),
    "off_centre": tr("请站到屏幕正中间"),
    "not_frontal": tr("请正对屏幕"),
    "too_dark": tr("光线太暗，请靠近屏幕或站到亮一些的地方"),
    "too_bright": tr("光线太强，请避开直射的强光"),
    "blurred": tr("请保持不动"),
    "eyes_closed": tr("请睁开眼睛"),
}


@dataclass(frozen=True)
class QualityGates:
    """Limits a camera frame must meet before its face is worth encoding.

    Tuned on the fixture photos placed in 640x480 frames (tests/unit/test_face_quality.py) and on
    the face_recognition ResNet's needs: its aligned chip is 150x150 px, so a face box under about
    100 px is upsampled and loses detail.
    """

    # Face box (HOG box: brows to chin) height as a fraction of the frame height: 0.22 is ~105 px
    # at 480 lines, about an arm's length from a 60-degree webcam.
    min_face_height: float = 0.22
    # Distance of the box centre from the frame centre, as a fraction of the frame width / height.
    max_centre_offset: float = 0.25
    # Degrees. The encoder is trained mostly on near-frontal faces and a chip photo is frontal;
    # beyond ~20 degrees genuine distances grow quickly.
    max_yaw: float = 20.0
    max_pitch: float = 20.0
    # Variance of the Laplacian of the face crop resized to 128x128 grey (so it does not depend on
    # how large the face is). Sharp webcam faces give 100-1000; motion-blurred ones < 30.
    min_sharpness: float = 40.0
    # Mean grey level (0-255) of the face crop.
    min_brightness: float = 60.0
    max_brightness: float = 210.0
    # Mean eye aspect ratio: about 0.3 open, below ~0.2 closed.
    min_eye_openness: float = 0.18


DEFAULT_GATES = QualityGates()

# Stills (chip photo, CLI files): no framing gates, a smaller face is accepted (upsampled).
PHOTO_GATES = QualityGates(min_face_height=0.0, max_centre_offset=10.0, max_yaw=30.0, max_pitch=30.0,
                           min_sharpness=10.0, min_brightness=35.0, max_brightness=235.0, min_eye_openness=0.15)

# face_recognition's landmark dict layout (indices into dlib's 68-point shape).
_PARTS: dict[str, tuple[int, ...]] = {
    "chin": tuple(range(17)),
    "left_eyebrow": tuple(range(17, 22)),
    "right_eyebrow": tuple(range(22, 27)),
    "nose_bridge": tuple(range(27, 31)),
    "nose_tip": tuple(range(31, 36)),
    "left_eye": tuple(range(36, 42)),
    "right_eye": tuple(range(42, 48)),
    "top_lip": tuple(range(48, 55)) + (64, 63, 62, 61, 60),
    "bottom_lip": tuple(range(54, 60)) + (48, 60, 67, 66, 65, 64),
}

# A generic head in camera-style axes (x right, y down, z away from the camera; millimetre-ish),
# for the 6 landmarks solvePnP uses: nose tip, chin, outer eye corners, mouth corners.
_MODEL_3D = np.array([
    (0.0, 0.0, 0.0),          # 30 nose tip
    (0.0, 330.0, 65.0),       # 8 chin
    (-225.0, -170.0, 135.0),  # 36 outer corner of the eye on the image's left
    (225.0, -170.0, 135.0),   # 45 outer corner of the eye on the image's right
    (-150.0, 150.0, 125.0),   # 48 mouth corner, image left
    (150.0, 150.0, 125.0),    # 54 mouth corner, image right
], dtype=np.float64)
_PNP_IDX = (30, 8, 36, 45, 48, 54)


@lru_cache(maxsize=1)
def _models() -> tuple[Any, Any]:   # dlib ships no types
    """dlib's HOG detector and the 68-point shape predictor, loaded once (about 100 MB, ~0.5 s).
    dlib objects are safe to call from the one face worker thread that uses them."""
    import dlib
    import face_recognition_models

    return dlib.get_frontal_face_detector(), dlib.shape_predictor(face_recognition_models.pose_predictor_model_location())


def detect(rgb: np.ndarray, scale: float = 0.5, upsample: int = 1) -> list[tuple[int, int, int, int]]:
    """HOG face boxes (top, right, bottom, left) in `rgb`'s own pixels, largest first.

    Detection runs on a copy shrunk by `scale` (the detector's cost grows with the pixel count, and
    at 640x480 a half-size copy upsampled once still finds faces down to ~40 px)."""
    detector, _ = _models()
    small = rgb
    if scale != 1.0:
        small = cv2.resize(rgb, (max(1, round(rgb.shape[1] * scale)), max(1, round(rgb.shape[0] * scale))),
                           interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    h, w = rgb.shape[:2]
    boxes = []
    for r in detector(small, upsample):
        top, left = max(0, round(r.top() / scale)), max(0, round(r.left() / scale))
        bottom, right = min(h - 1, round(r.bottom() / scale)), min(w - 1, round(r.right() / scale))
        if bottom > top and right > left:
            boxes.append((top, right, bottom, left))
    boxes.sort(key=lambda b: -(b[2] - b[0]) * (b[1] - b[3]))
    return boxes


def shape_points(rgb: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """The 68 landmarks (x, y) for the face in `box`, on full resolution (68x2 float array)."""
    import dlib

    _, predictor = _models()
    top, right, bottom, left = box
    shape = predictor(rgb, dlib.rectangle(left, top, right, bottom))
    return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)


def landmarks_dict(points: np.ndarray) -> dict[str, tuple[Point, ...]]:
    """face_recognition's landmark dict from the 68 points."""
    return {name: tuple((float(points[i, 0]), float(points[i, 1])) for i in idx) for name, idx in _PARTS.items()}


def points_from_landmarks(landmarks: dict[str, Sequence[Point]] | object) -> np.ndarray:
    """Inverse of `landmarks_dict`: the 68 points in dlib order (for encoding from an observation)."""
    pts = np.zeros((68, 2), dtype=np.float64)
    for name, idx in _PARTS.items():
        for i, p in zip(idx, landmarks[name], strict=False):  # type: ignore[index]
            pts[i] = p
    return pts


def _ear(eye: np.ndarray) -> float:
    """Eye aspect ratio (Soukupova & Cech): eyelid gap over eye width."""
    width = float(np.linalg.norm(eye[0] - eye[3]))
    if width < 1e-6:
        return 0.0
    return float((np.linalg.norm(eye[1] - eye[5]) + np.linalg.norm(eye[2] - eye[4])) / (2.0 * width))


def _pose(points: np.ndarray, width: int, height: int) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees from solvePnP against a generic head; signs as in
    FaceObservation (yaw > 0: nose towards the image's right; pitch > 0: looking up)."""
    image_pts = points[list(_PNP_IDX)].astype(np.float64)
    focal = float(width)  # a ~53-degree horizontal field of view, typical of webcams
    cam = np.array([[focal, 0, width / 2.0], [0, focal, height / 2.0], [0, 0, 1]], dtype=np.float64)
    # Start from "facing the camera at the distance the eye spacing implies": without a guess the
    # iterative solver sometimes lands on the mirrored solution (roll near 180 degrees).
    eye_px = max(1.0, float(np.linalg.norm(points[45] - points[36])))
    rvec0 = np.zeros((3, 1), dtype=np.float64)
    tvec0 = np.array([[0.0], [0.0], [focal * 450.0 / eye_px]], dtype=np.float64)
    ok, rvec, _tvec = cv2.solvePnP(_MODEL_3D, image_pts, cam, np.zeros(4), rvec0, tvec0, True,
                                   flags=cv2.SOLVEPNP_ITERATIVE)
    if not ok:
        return 90.0, 90.0, 0.0
    rot, _ = cv2.Rodrigues(rvec)
    # Euler angles of R = Rz(roll) @ Ry(b) @ Rx(a), camera axes (x right, y down, z forward).
    a = math.degrees(math.atan2(rot[2, 1], rot[2, 2]))
    b = math.degrees(math.asin(max(-1.0, min(1.0, -rot[2, 0]))))
    c = math.degrees(math.atan2(rot[1, 0], rot[0, 0]))
    # Turning to one's left (nose to the image's right) is a negative rotation about the camera's
    # y axis (down) for a face looking along -z; looking up is a negative rotation about x.
    return -b, -a, c


def _crop_stats(grey: np.ndarray, box: tuple[int, int, int, int]) -> tuple[float, float]:
    """(sharpness, brightness) of the face crop: Laplacian variance at a fixed 128x128 size, so a
    large face and a small one are judged alike, and mean grey level."""
    top, right, bottom, left = box
    crop = grey[top:bottom, left:right]
    if crop.size == 0:
        return 0.0, 0.0
    fixed = cv2.resize(crop, (128, 128), interpolation=cv2.INTER_AREA if crop.shape[0] > 128 else cv2.INTER_LINEAR)
    sharp = float(cv2.Laplacian(fixed, cv2.CV_64F).var())
    return sharp, float(crop.mean())


def observe(rgb: np.ndarray, grey: np.ndarray, box: tuple[int, int, int, int]) -> FaceObservation:
    """Measure one detected face (landmarks on full resolution)."""
    pts = shape_points(rgb, box)
    h, w = grey.shape[:2]
    yaw, pitch, roll = _pose(pts, w, h)
    eyes = (_ear(pts[36:42]) + _ear(pts[42:48])) / 2.0
    mouth_w = float(np.linalg.norm(pts[60] - pts[64])) or 1.0
    mouth = float(np.linalg.norm(pts[61] - pts[67]) + np.linalg.norm(pts[62] - pts[66]) + np.linalg.norm(pts[63] - pts[65])) / (3.0 * mouth_w)
    sharp, bright = _crop_stats(grey, box)
    return FaceObservation(box=box, landmarks=landmarks_dict(pts), yaw=yaw, pitch=pitch, roll=roll,
                           eye_openness=eyes, mouth_openness=mouth, sharpness=sharp, brightness=bright)


def _fail(code: str) -> QualityVerdict:
    return QualityVerdict(ok=False, problem=code, advice=ADVICE[code])


def judge(face: FaceObservation, width: int, height: int, gates: QualityGates) -> QualityVerdict:
    """Apply the gates to one face, in the order the citizen can fix them: distance and place
    first (moving changes everything else), then pose, light, stillness and finally the eyes."""
    top, right, bottom, left = face.box
    if (bottom - top) < gates.min_face_height * height:
        return _fail("too_small")
    cx, cy = (left + right) / 2.0, (top + bottom) / 2.0
    if abs(cx - width / 2.0) > gates.max_centre_offset * width or abs(cy - height / 2.0) > gates.max_centre_offset * height:
        return _fail("off_centre")
    if abs(face.yaw) > gates.max_yaw or abs(face.pitch) > gates.max_pitch:
        return _fail("not_frontal")
    if face.brightness < gates.min_brightness:
        return _fail("too_dark")
    if face.brightness > gates.max_brightness:
        return _fail("too_bright")
    if face.sharpness < gates.min_sharpness:
        return _fail("blurred")
    if face.eye_openness < gates.min_eye_openness:
        return _fail("eyes_closed")
    return QualityVerdict(ok=True)


def analyse(bgr: np.ndarray, seq: int = 0, timestamp: float = 0.0, gates: QualityGates = DEFAULT_GATES,
            detect_scale: float = 0.5, upsample: int = 1) -> FrameAnalysis:
    """Analyse one camera frame (BGR, as OpenCV delivers it) and say what, if anything, is wrong.

    Runs on the face worker thread; blocks on the CPU only (~40-70 ms at 640x480, detection being
    most of it). Detection uses a `detect_scale` copy; landmarks and measurements use the full frame.
    When two or more faces are found the verdict is "many_faces" and `face` is the largest one
    (so liveness can still follow it), never a mixture."""
    height, width = bgr.shape[:2]
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    boxes = detect(rgb, detect_scale, upsample)
    if not boxes:
        return FrameAnalysis(seq, timestamp, None, _fail("no_face"), width, height)
    grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    face = observe(rgb, grey, boxes[0])
    if len(boxes) > 1:
        return FrameAnalysis(seq, timestamp, face, _fail("many_faces"), width, height)
    return FrameAnalysis(seq, timestamp, face, judge(face, width, height, gates), width, height)


class ImageError(ValueError):
    """The bytes are not an image we can decode (JPEG, PNG, JPEG 2000, ...)."""


def decode_image(data: bytes) -> np.ndarray:
    """Decode image bytes to BGR: OpenCV first (JPEG, PNG, JPEG 2000 via OpenJPEG), Pillow as a
    fallback (e.g. a JPEG 2000 codestream OpenCV refuses). Raises ImageError."""
    arr = None
    if image_format(data) is not None:   # what the decoder would allocate, checked before it does
        try:
            check_image(data, max_side=PHOTO_MAX_SIDE, max_pixels=PHOTO_MAX_PIXELS)
        except ValueError as exc:
            raise ImageError(str(exc)) from None
    if data:
        arr = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if arr is None and data:
        try:
            import io

            from PIL import Image

            with Image.open(io.BytesIO(data)) as im:
                arr = cv2.cvtColor(np.asarray(im.convert("RGB")), cv2.COLOR_RGB2BGR)
        except Exception as exc:  # noqa: BLE001 - Pillow raises many types for bad input; all mean "unreadable"
            raise ImageError(f"cannot decode image ({exc.__class__.__name__})") from None
    if arr is None or arr.ndim != 3 or arr.shape[0] < 8 or arr.shape[1] < 8:
        raise ImageError("cannot decode image")
    return np.ascontiguousarray(arr)


def photo_scale(height: int, width: int) -> tuple[float, int]:
    """(detect scale, upsample) for a still photo: big photos are shrunk to ~800 px for detection
    (speed), small ones such as a 240x320 chip photo are upsampled once more (the HOG detector's
    smallest face is 80 px)."""
    longest = max(height, width)
    if longest > 800:
        return 800.0 / longest, 1
    if longest < 400:
        return 1.0, 2
    return 1.0, 1


def analyse_bgr_photo(bgr: np.ndarray, gates: QualityGates = PHOTO_GATES) -> FrameAnalysis:
    """`analyse_photo` for an already decoded BGR image."""
    scale, up = photo_scale(*bgr.shape[:2])
    return analyse(bgr, gates=gates, detect_scale=scale, upsample=up)


def analyse_photo(image_bytes: bytes, gates: QualityGates = PHOTO_GATES) -> FrameAnalysis:
    """Analyse a still photo (chip photo, a file given to the CLI). More lenient than a camera
    frame: no distance or centring gate, small images are upsampled for detection. Runs on the
    calling worker thread; CPU only (0.1-0.5 s depending on size). Raises ImageError."""
    return analyse_bgr_photo(decode_image(image_bytes), gates)
