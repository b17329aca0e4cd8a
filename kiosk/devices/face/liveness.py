"""Liveness: is a real, three-dimensional, moving person in front of the camera?

Two independent checks, both on landmarks only (no pixels are kept):

* Passive, "non-planar motion". A photo, a printout or a phone screen is flat. However it is
  moved, tilted or bent slightly, the 68 landmarks of a flat picture in one frame map onto those
  of another frame by a single homography (the exact model of a plane seen by a camera). A live
  face does not: when a person talks, blinks or turns, eyes, mouth and jaw move relative to each
  other and the nose moves out of the plane of the cheeks. We fit a homography between pairs of
  frames and measure what it cannot explain, in units of the distance between the eyes. Measured
  on our clips and photo attacks (bench/liveness_eval.py): live 0.09-0.19, attacks <= 0.06.
* Challenge. A randomly chosen instruction ("turn your head to your left") issued at a random
  moment; a recording cannot know which one or when. The turn is measured from where the nose
  sits between the two sides of the jaw, relative to where it was when the instruction appeared;
  a turn the wrong way first fails the challenge.

Everything here is pure computation on frozen observations; it runs on the face worker thread
and never blocks.
"""
from __future__ import annotations

import enum
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from kiosk.devices.face.observation import FaceObservation, Point
from kiosk.domain.text import Text

# The landmark groups used for the planarity fit: all 68 points.
_GROUPS = ("chin", "left_eyebrow", "right_eyebrow", "nose_bridge", "nose_tip", "left_eye", "right_eye",
           "top_lip", "bottom_lip")


class Challenge(enum.Enum):
    TURN_LEFT = "turn_left"      # the person's own left
    TURN_RIGHT = "turn_right"
    BLINK = "blink"


PROMPTS: dict[Challenge, Text] = {
    Challenge.TURN_LEFT: Text("请慢慢向左转头，然后转回来看屏幕。", "Slowly turn your head to your left, then look back at the screen."),
    Challenge.TURN_RIGHT: Text("请慢慢向右转头，然后转回来看屏幕。", "Slowly turn your head to your right, then look back at the screen."),
    Challenge.BLINK: Text("请眨一眨眼睛。", "Please blink your eyes."),
}
LOOK_BACK = Text("很好，请转回来看屏幕。", "Good. Now look back at the screen.")
NOT_LIVE = Text("未能确认是本人在场。请移开照片或手机屏幕，本人正对摄像头后重试。",
                "We could not confirm that you are here in person. Remove any photo or phone screen, "
                "look at the camera yourself and try again.")
CHALLENGE_MISSED = Text("没有看到您按提示动作。请按屏幕上的提示慢慢做，然后重试。",
                        "We did not see the movement we asked for. Please follow the instruction slowly and try again.")


@dataclass(frozen=True)
class LivenessConfig:
    """Thresholds measured with bench/liveness_eval.py (see docs/benchmarks.md)."""

    nonplanar_threshold: float = 0.075   # residual / eye distance; live >= 0.09, attacks <= 0.06 measured
    min_frames: int = 8                  # single-face observations needed before judging
    pair_gap: int = 3                    # compare frames this far apart (and further)
    blink_drop: float = 0.30             # eye openness below (1 - drop) x median counts as closed
    turn_delta: float = 0.09             # change of turn_ratio that counts as a turn (~12 degrees)
    challenge_seconds: float = 5.0       # time allowed to respond to a challenge
    challenges: tuple[Challenge, ...] = (Challenge.TURN_LEFT, Challenge.TURN_RIGHT)


def _points(landmarks: Mapping[str, Sequence[Point]]) -> np.ndarray:
    return np.array([p for g in _GROUPS for p in landmarks[g]], np.float32)


def eye_distance(landmarks: Mapping[str, Sequence[Point]]) -> float:
    left = np.mean(np.asarray(landmarks["left_eye"], np.float32), axis=0)
    right = np.mean(np.asarray(landmarks["right_eye"], np.float32), axis=0)
    return float(np.linalg.norm(left - right))


def eye_aspect_ratio(landmarks: Mapping[str, Sequence[Point]]) -> float:
    """Mean eye aspect ratio of both eyes (Soukupova & Cech): ~0.3 open, < 0.2 closed."""
    def one(eye: Sequence[Point]) -> float:
        e = np.asarray(eye, np.float32)
        width = float(np.linalg.norm(e[0] - e[3])) or 1.0
        return float(np.linalg.norm(e[1] - e[5]) + np.linalg.norm(e[2] - e[4])) / (2.0 * width)
    return (one(landmarks["left_eye"]) + one(landmarks["right_eye"])) / 2.0


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


def nonplanar_motion(sequence: Sequence[Mapping[str, Sequence[Point]]], pair_gap: int = 3,
                     max_pairs: int = 400) -> float:
    """How much of the landmark motion across `sequence` a plane cannot explain (90th percentile
    of the homography fit residual over frame pairs, in eye distances). 0.0 for < 2 frames."""
    if len(sequence) < 2:
        return 0.0
    pts = [_points(lm) for lm in sequence]
    scale = float(np.mean([eye_distance(lm) for lm in sequence])) or 1.0
    pairs = [(i, j) for i in range(len(pts)) for j in range(i + pair_gap, len(pts), pair_gap)]
    if len(pairs) > max_pairs:   # keep the cost bounded on long windows; evenly spaced subset
        step = len(pairs) / max_pairs
        pairs = [pairs[int(k * step)] for k in range(max_pairs)]
    residuals = []
    for i, j in pairs:
        h, _ = cv2.findHomography(pts[i], pts[j], 0)
        if h is None:
            continue
        mapped = cv2.perspectiveTransform(pts[i][None], h)[0]
        residuals.append(float(np.sqrt(np.mean(np.sum((mapped - pts[j]) ** 2, axis=1)))) / scale)
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
        self._openness.append(eye_aspect_ratio(face.landmarks))
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


class ChallengeOutcome(enum.Enum):
    PENDING = "pending"
    PASSED = "passed"
    FAILED = "failed"      # the wrong movement, or none in time


class ChallengeCheck:
    """Follows one challenge from the moment it is shown. Face worker thread only."""

    def __init__(self, challenge: Challenge, started: float, config: LivenessConfig = LivenessConfig(),
                 before: FaceObservation | None = None) -> None:
        """`before`: the last observation before the instruction appeared, the turn's baseline."""
        self.challenge = challenge
        self.started = started
        self.config = config
        self._baseline: float | None = turn_ratio(before.landmarks) if before is not None else None
        self._openness: list[float] = []
        self.outcome = ChallengeOutcome.PENDING

    @property
    def prompt(self) -> Text:
        return PROMPTS[self.challenge]

    def feed(self, face: FaceObservation | None, now: float) -> ChallengeOutcome:
        if self.outcome is not ChallengeOutcome.PENDING:
            return self.outcome
        if now - self.started > self.config.challenge_seconds:
            self.outcome = ChallengeOutcome.FAILED
            return self.outcome
        if face is None:
            return self.outcome
        if self.challenge is Challenge.BLINK:
            self._openness.append(eye_aspect_ratio(face.landmarks))
            if blinked(self._openness, self.config.blink_drop):
                self.outcome = ChallengeOutcome.PASSED
            return self.outcome
        ratio = turn_ratio(face.landmarks)
        if self._baseline is None:
            self._baseline = ratio
            return self.outcome
        moved = ratio - self._baseline
        wanted = 1.0 if self.challenge is Challenge.TURN_LEFT else -1.0
        if moved * wanted >= self.config.turn_delta:
            self.outcome = ChallengeOutcome.PASSED
        elif moved * wanted <= -self.config.turn_delta:
            self.outcome = ChallengeOutcome.FAILED   # turned the other way: a recording, or a mix-up
        return self.outcome


def pick_challenge(config: LivenessConfig, rng: random.Random) -> Challenge:
    return rng.choice(config.challenges)
