"""1:1 matching of the live face against the document's chip photo, with the dlib ResNet
(face_recognition's 128-d encoder) and a multi-frame decision.

Method (measured in bench/face_eval.py, docs/benchmarks.md "Face matching"):
  * reference: the chip photo is decoded (JPEG or JPEG 2000), upsampled for detection when small,
    aligned with the 68-point model and encoded twice, with 10 jitters and mirrored; the template
    is the mean of the two. Averaging removes much of the single-shot alignment noise.
  * probe: each good camera frame is encoded once (no jitter, ~20 ms), from the landmarks the
    quality step already found, so the detector never runs twice on a frame.
  * decision: the median distance over at least `min_good_frames` good frames must be below the
    threshold. The median, not the best frames: choosing the closest frames would favour
    impostors as much as genuine users.

All functions run on the face worker thread and block on the CPU only; encodings live in memory
and are never written to disk or logs.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import mean, median
from typing import Any

import cv2
import numpy as np

from kiosk.devices.face import quality
from kiosk.devices.face.encoder_child import encode_chips
from kiosk.devices.face.encoder_child import load_encoder as _encoder
from kiosk.devices.face.observation import FaceObservation, FrameAnalysis
from kiosk.domain.text import Text
from kiosk.i18n import tr

REFERENCE_JITTERS = 10


class ReferenceError(Exception):  # noqa: A001 - the name the verifier expects; shadows nothing we use
    """The chip photo cannot serve as a reference. `reason` is what the citizen is told;
    `code` is stable for logs and tests ("unreadable", "no_face")."""

    def __init__(self, code: str, reason: Text) -> None:
        super().__init__(reason.en)
        self.code = code
        self.reason = reason


UNREADABLE = tr("证件照片无法读取，请到人工窗口办理")
NO_FACE = tr("证件照片中找不到人脸，请到人工窗口办理")


@dataclass(frozen=True)
class Reference:
    """The chip photo's encodings (128-d each) and their mean, the template probes are compared
    with. In memory only."""

    encodings: tuple[np.ndarray, ...]
    template: np.ndarray
    analysis: FrameAnalysis

    def distance(self, probe: np.ndarray) -> float:
        """Euclidean distance from the template to one probe encoding."""
        return float(np.linalg.norm(self.template - probe))


@dataclass(frozen=True)
class MatchPolicy:
    """How frame distances become a decision. `combine` is "median" (default), "mean", or
    "best_k_mean" (mean of the `min_good_frames` smallest; more lenient, raises FAR).

    `threshold` has no default here: its one source is the configuration (face.threshold in
    kiosk/defaults.toml, a site's --config file or ONEVISIT_FACE_THRESHOLD), and whoever builds
    the policy passes it in (kiosk/compose.py for the kiosk, `kiosk face verify` for staff)."""

    threshold: float
    min_good_frames: int = 3
    combine: str = "median"


@dataclass(frozen=True)
class MatchDecision:
    """`distance` is the combined distance (nan when there were too few frames)."""

    matched: bool
    distance: float
    frames: int


def _shape(points: np.ndarray, box: tuple[int, int, int, int]) -> Any:   # dlib ships no types
    import dlib

    top, right, bottom, left = box
    return dlib.full_object_detection(dlib.rectangle(int(left), int(top), int(right), int(bottom)),
                                      [dlib.point(round(x), round(y)) for x, y in points])


def encode_rgb(rgb: np.ndarray, points: np.ndarray, box: tuple[int, int, int, int], jitters: int = 1) -> np.ndarray:
    """128-d encoding of the face with these 68 landmarks (aligned chip 150x150, 25 % padding)."""
    return np.asarray(_encoder().compute_face_descriptor(rgb, _shape(points, box), jitters), dtype=np.float64)


CHIP_SIZE, CHIP_PADDING = 150, 0.25   # the aligned face chip dlib's encoder was trained on


def face_chip(rgb: np.ndarray, points: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """The aligned 150x150 face chip for these 68 landmarks (what `encode_rgb` encodes). ~1 ms."""
    import dlib

    return np.ascontiguousarray(dlib.get_face_chip(rgb, _shape(points, box), size=CHIP_SIZE, padding=CHIP_PADDING))


def probe_chip(bgr: np.ndarray, observation: FaceObservation) -> np.ndarray:
    """One camera frame's face chip, from the landmarks `quality.analyse` already found (so the
    detector does not run twice)."""
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    return face_chip(rgb, quality.points_from_landmarks(observation.landmarks), observation.box)


def encode_probe(bgr: np.ndarray, observation: FaceObservation) -> np.ndarray:
    """Encode one camera frame's face. Face worker thread; CPU only, ~90 ms on 2 cores."""
    return encode_chips([(probe_chip(bgr, observation), 0)])[0]


def _prepare_reference(bgr: np.ndarray) -> np.ndarray:
    """Chip photos are small (often 240x320 or less) and heavily compressed. Upsample small ones
    2x with a smooth filter first: the detector needs faces of 80 px or more and the landmarks
    are more stable on a smooth upsampled image than on 8x8 JPEG blocks."""
    h, w = bgr.shape[:2]
    if max(h, w) < 500:
        bgr = cv2.resize(bgr, (w * 2, h * 2), interpolation=cv2.INTER_CUBIC)
    return bgr


def reference_chips_bgr(bgr: np.ndarray, jitters: int = REFERENCE_JITTERS) -> tuple[list[tuple[np.ndarray, int]], FrameAnalysis]:
    """The chip photo's two aligned chips with their jitter counts: the photo (jittered) and its
    mirror image. The mirrored photo gives a second, differently aligned view of the same face;
    averaging the two encodings cancels part of the left/right alignment error.
    Raises ReferenceError("no_face")."""
    bgr = _prepare_reference(bgr)
    analysis = quality.analyse_bgr_photo(bgr)
    face = analysis.face
    if face is None:
        raise ReferenceError("no_face", NO_FACE)
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    direct = face_chip(rgb, quality.points_from_landmarks(face.landmarks), face.box)
    flipped = np.ascontiguousarray(rgb[:, ::-1])
    w = rgb.shape[1]
    top, right, bottom, left = face.box
    fbox = (top, w - 1 - left, bottom, w - 1 - right)
    mirrored = face_chip(flipped, quality.shape_points(flipped, fbox), fbox)
    return [(direct, jitters), (mirrored, 1)], analysis


def reference_chips(photo: bytes, jitters: int = REFERENCE_JITTERS) -> tuple[list[tuple[np.ndarray, int]], FrameAnalysis]:
    """`reference_chips_bgr` for the chip photo's bytes (JPEG or JPEG 2000 from DG2).
    Raises ReferenceError("unreadable" or "no_face") with the citizen-facing reason."""
    try:
        bgr = quality.decode_image(photo)
    except quality.ImageError:
        raise ReferenceError("unreadable", UNREADABLE) from None
    return reference_chips_bgr(bgr, jitters)


def reference_from(encodings: Sequence[np.ndarray], analysis: FrameAnalysis) -> Reference:
    """The template the probes are compared with: the mean of the photo's and its mirror's encodings."""
    direct, mirrored = encodings
    return Reference(encodings=(direct, mirrored), template=(direct + mirrored) / 2.0, analysis=analysis)


def encode_reference_bgr(bgr: np.ndarray, jitters: int = REFERENCE_JITTERS) -> Reference:
    """`encode_reference` for a decoded image. Raises ReferenceError("no_face")."""
    chips, analysis = reference_chips_bgr(bgr, jitters)
    return reference_from(encode_chips(chips), analysis)


def encode_reference(photo: bytes, jitters: int = REFERENCE_JITTERS) -> Reference:
    """Encode the chip photo (JPEG or JPEG 2000 bytes as read from DG2), in this process. Runs on
    the face worker thread; CPU only, ~1-3 s (10 jitters). Raises ReferenceError with the
    citizen-facing reason when the photo cannot be decoded or holds no face."""
    chips, analysis = reference_chips(photo, jitters)
    return reference_from(encode_chips(chips), analysis)


def combine(distances: Sequence[float], policy: MatchPolicy) -> float:
    """The one distance the decision is made on."""
    if policy.combine == "mean":
        return float(mean(distances))
    if policy.combine == "best_k_mean":
        return float(mean(sorted(distances)[: max(1, policy.min_good_frames)]))
    if policy.combine == "median":
        return float(median(distances))
    raise ValueError(f"unknown combine rule {policy.combine!r}")


def decide(distances: Sequence[float], policy: MatchPolicy) -> MatchDecision:
    """Match when at least `min_good_frames` distances were seen and their combination is below
    the threshold. Pure; any thread."""
    if len(distances) < max(1, policy.min_good_frames):
        return MatchDecision(False, float("nan"), len(distances))
    d = combine(distances, policy)
    return MatchDecision(d < policy.threshold, d, len(distances))


@dataclass(frozen=True)
class ErrorRates:
    """Counts and rates at one threshold (accept when distance < threshold)."""

    threshold: float
    false_accepts: int
    impostors: int
    false_rejects: int
    genuines: int

    @property
    def far(self) -> float:
        return self.false_accepts / self.impostors if self.impostors else float("nan")

    @property
    def frr(self) -> float:
        return self.false_rejects / self.genuines if self.genuines else float("nan")


def error_rates(genuine: Sequence[float], impostor: Sequence[float], threshold: float) -> ErrorRates:
    """FAR/FRR of a set of pair distances at `threshold`. Pure."""
    return ErrorRates(threshold, sum(1 for d in impostor if d < threshold), len(impostor),
                      sum(1 for d in genuine if d >= threshold), len(genuine))


def threshold_for_far(genuine: Sequence[float], impostor: Sequence[float], max_far: float = 1e-4) -> ErrorRates:
    """The largest threshold (lowest FRR) whose measured FAR is <= `max_far`. With N impostor
    pairs a FAR below 1/N cannot be resolved: it then means "no impostor accepted", i.e. the
    threshold is the smallest impostor distance (rounded down to 0.001)."""
    allowed = int(max_far * len(impostor))
    ordered = sorted(impostor)
    t = ordered[allowed] if allowed < len(ordered) else (max(ordered) + 1e-3 if ordered else 1.0)
    t = float(np.floor(t * 1000.0) / 1000.0)
    return error_rates(genuine, impostor, t)
