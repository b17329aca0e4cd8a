"""Liveness: is a real, three-dimensional, moving person in front of the camera?

The passive check, on landmarks only (no pixels are kept):

* Passive, "non-planar motion" (parallax). A photo, a printout or a phone screen is flat. However
  it is moved or tilted, the points of a flat picture in one frame map onto those of another by a
  single homography (the exact model of a plane seen by a camera). We fit that homography to the
  eye corners, brow ends and mouth corners and ask where it puts the nose: on a picture, where the
  nose is; on a real head, which stands out of that plane, somewhere else as soon as the head
  turns or nods. The miss, in eye distances, is the score. Measured on our clip and photo attacks
  (bench/liveness_eval.py, docs/benchmarks.md): live 0.18-0.44, attacks <= 0.12. (Fitting all 68
  points instead was fooled by tilted photos: the landmark model bends the jaw line it guesses.)
* Blink: eyes open, closed, open again (a helper; not a check on its own).

The challenge sequence (random head movements at random moments) is in challenge.py, the
screen-light reflection in cue.py; check.py ties them together for one face check.

Everything here is pure computation on frozen observations; it runs on the face worker thread
and never blocks.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from kiosk.devices.face.observation import FaceObservation, Point


@dataclass(frozen=True)
class LivenessConfig:
    """Thresholds measured with bench/liveness_eval.py (see docs/benchmarks.md)."""

    # Nose miss / eye distance. Measured (bench/liveness_eval.py): whole live checks 0.18-0.20,
    # 1 s windows of the live clip >= 0.20; 230 photo attacks <= 0.116 (the worst: moving glare).
    nonplanar_threshold: float = 0.13
    min_frames: int = 8                  # single-face observations needed before judging
    pair_gap: int = 3                    # compare frames this far apart (and further)
    blink_drop: float = 0.30             # eye openness below (1 - drop) x median counts as closed


def eye_distance(landmarks: Mapping[str, Sequence[Point]]) -> float:
    left = np.mean(np.asarray(landmarks["left_eye"], np.float32), axis=0)
    right = np.mean(np.asarray(landmarks["right_eye"], np.float32), axis=0)
    return float(np.linalg.norm(left - right))


def turn_ratio(landmarks: Mapping[str, Sequence[Point]]) -> float:
    """Where the nose tip sits between the two sides of the jaw, -0.5..0.5, 0 when frontal.

    Positive when the person turns to their own left in an unmirrored camera image (their nose
    moves towards the image's right). A flat photo moved by any affine warp keeps this ratio.
    """
    chin = np.asarray(landmarks["chin"], np.float32)
    nose = np.mean(np.asarray(landmarks["nose_tip"], np.float32), axis=0)
    left, right = chin[2], chin[14]
    span = float(right[0] - left[0])
    if abs(span) < 1e-3:
        return 0.0
    return float((nose[0] - left[0]) / span - 0.5)


def _anchors(landmarks: Mapping[str, Sequence[Point]]) -> np.ndarray:
    """Points that lie close to one plane on a real face: eye corners, mouth corners, brow ends."""
    le, re = landmarks["left_eye"], landmarks["right_eye"]
    lb, rb, lip = landmarks["left_eyebrow"], landmarks["right_eyebrow"], landmarks["top_lip"]
    return np.array([le[0], le[3], re[0], re[3], lip[0], lip[6], lb[0], lb[4], rb[0], rb[4]], np.float32)


def _nose(landmarks: Mapping[str, Sequence[Point]]) -> np.ndarray:
    """Points that stand out of that plane: the tip and the lower bridge of the nose."""
    return np.array([landmarks["nose_tip"][2], landmarks["nose_bridge"][3]], np.float32)


def nonplanar_motion(sequence: Sequence[Mapping[str, Sequence[Point]]], pair_gap: int = 3,
                     max_pairs: int = 400) -> float:
    """How far the nose moves against the plane of the eyes, brows and mouth corners across
    `sequence`, in eye distances (90th percentile over frame pairs). 0.0 for < 2 frames.

    For each pair of frames, the homography that maps the anchor points of one onto the other
    is the motion a flat picture would make; on a photo (however it is moved, tilted or bent a
    little) it also predicts where the nose goes. On a real head the nose stands ~2 cm out of
    that plane, so any turn or nod moves it elsewhere (parallax). Measured: live 0.18-0.44,
    photo attacks <= 0.12 (bench/liveness_eval.py)."""
    if len(sequence) < 2:
        return 0.0
    anchors = [_anchors(lm) for lm in sequence]
    noses = [_nose(lm) for lm in sequence]
    scales = [eye_distance(lm) or 1.0 for lm in sequence]
    pairs = [(i, j) for i in range(len(sequence)) for j in range(i + pair_gap, len(sequence), pair_gap)]
    if len(pairs) > max_pairs:   # keep the cost bounded on long windows; evenly spaced subset
        step = len(pairs) / max_pairs
        pairs = [pairs[int(k * step)] for k in range(max_pairs)]
    residuals = []
    for i, j in pairs:
        h, _ = cv2.findHomography(anchors[i], anchors[j], 0)
        if h is None:
            continue
        predicted = cv2.perspectiveTransform(noses[i][None], h)[0]
        miss = float(np.max(np.linalg.norm(predicted - noses[j], axis=1)))
        residuals.append(miss / ((scales[i] + scales[j]) / 2.0))
    return float(np.percentile(residuals, 90)) if residuals else 0.0


def blinked(openness: Sequence[float], drop: float = 0.30) -> bool:
    """True when the eyes closed (openness below (1-drop) x the median) and opened again."""
    if len(openness) < 5:
        return False
    median = float(np.median(openness))
    closed = [v < (1.0 - drop) * median for v in openness]
    # An open frame, then a closed one, then an open one again: a blink, not eyes kept shut.
    for i, c in enumerate(closed):
        if c and any(not x for x in closed[:i]) and any(not x for x in closed[i + 1:]):
            return True
    return False


class PassiveLiveness:
    """Collects single-face observations of one face check. Face worker thread only."""

    def __init__(self, config: LivenessConfig = LivenessConfig(), keep: int = 90) -> None:
        self.config = config
        self._keep = keep
        self._landmarks: list[Mapping[str, Sequence[Point]]] = []
        self._openness: list[float] = []

    def feed(self, face: FaceObservation) -> None:
        self._landmarks.append(face.landmarks)
        self._openness.append(face.eye_openness)   # measured once, by the quality step
        if len(self._landmarks) > self._keep:   # bounded memory; the recent window is what matters
            del self._landmarks[0], self._openness[0]

    @property
    def frames(self) -> int:
        return len(self._landmarks)

    def score(self) -> float:
        return nonplanar_motion(self._landmarks, self.config.pair_gap)

    def blinked(self) -> bool:
        return blinked(self._openness, self.config.blink_drop)

    def is_live(self) -> bool:
        """Enough frames, and a motion no flat picture can make.

        A blink alone does not count: one noisy eye measurement on a photo would look like one,
        and the eyelids' movement already shows up in the non-planar score."""
        if self.frames < self.config.min_frames:
            return False
        return self.score() >= self.config.nonplanar_threshold

    def clear(self) -> None:
        self._landmarks.clear()
        self._openness.clear()
