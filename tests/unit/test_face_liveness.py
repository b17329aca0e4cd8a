"""Liveness on real landmarks: a moving live person versus photos held up to the camera."""
from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from kiosk.devices.face import quality
from kiosk.devices.face.liveness import (Challenge, ChallengeCheck, ChallengeOutcome, LivenessConfig, PassiveLiveness,
                                         blinked, nonplanar_motion, turn_ratio)
from kiosk.devices.sim.camera import decode_clip
from testkit import attacks

ROOT = Path(__file__).resolve().parents[2]
CLIP = ROOT / "tests" / "fixtures" / "clips" / "live_speaker_whitehouse.mp4"
FACES = ROOT / "tests" / "fixtures" / "faces"
CFG = LivenessConfig()


def faces_of(frames):
    out = []
    for i, f in enumerate(frames):
        a = quality.analyse(f, i, i / 15)
        if a.face is not None:
            out.append(a.face)
    return out


@pytest.fixture(scope="module")
def clip_faces():
    frames, _ = decode_clip(CLIP)
    out = {}
    for i in range(82, 211):   # the frames where the card holder is on screen
        a = quality.analyse(frames[i], i, i / 30)
        if a.face is not None:
            out[i] = a.face
    return out


@pytest.fixture(scope="module")
def photo():
    return cv2.imread(str(FACES / "fr_barack_obama" / "obama.jpg"))


def test_a_live_person_talking_and_turning_shows_non_planar_motion(clip_faces):
    window = list(clip_faces.values())[:30]
    tracker = PassiveLiveness(CFG)
    for f in window:
        tracker.feed(f)
    assert tracker.score() >= CFG.nonplanar_threshold
    assert tracker.is_live()


@pytest.mark.parametrize("kind", attacks.KINDS)
def test_a_photo_is_flat_however_it_is_moved(photo, kind):
    seq = faces_of(attacks.frames(photo, kind, 24, seed=3))
    assert len(seq) >= CFG.min_frames, "the attack must show a face, or it tests nothing"
    tracker = PassiveLiveness(CFG)
    for f in seq:
        tracker.feed(f)
    assert tracker.score() < CFG.nonplanar_threshold
    assert not tracker.is_live()


@pytest.mark.parametrize("challenge", [Challenge.TURN_LEFT, Challenge.TURN_RIGHT])
def test_a_photo_cannot_turn_its_head(photo, challenge):
    seq = faces_of(attacks.frames(photo, "tilted", 24, seed=1))
    check = ChallengeCheck(challenge, 0.0, CFG, before=seq[0])
    outcome = ChallengeOutcome.PENDING
    for i, f in enumerate(seq[1:], 1):
        outcome = check.feed(f, i / 15)
    assert outcome is not ChallengeOutcome.PASSED


def test_the_turn_asked_for_passes_and_the_other_way_fails(clip_faces):
    # Frames 148-162 of the clip: the speaker turns to his own left (nose towards image right).
    turning = [clip_faces[i] for i in range(148, 163) if i in clip_faces]
    assert turn_ratio(turning[-1].landmarks) - turn_ratio(turning[0].landmarks) > CFG.turn_delta
    left = ChallengeCheck(Challenge.TURN_LEFT, 0.0, CFG, before=turning[0])
    right = ChallengeCheck(Challenge.TURN_RIGHT, 0.0, CFG, before=turning[0])
    for i, f in enumerate(turning[1:], 1):
        left.feed(f, i / 30)
        right.feed(f, i / 30)
    assert left.outcome is ChallengeOutcome.PASSED
    assert right.outcome is ChallengeOutcome.FAILED


def test_no_response_in_time_fails_the_challenge(clip_faces):
    still = clip_faces[180]
    check = ChallengeCheck(Challenge.TURN_LEFT, 0.0, CFG, before=still)
    assert check.feed(still, 1.0) is ChallengeOutcome.PENDING
    assert check.feed(still, CFG.challenge_seconds + 0.1) is ChallengeOutcome.FAILED


def test_blink_needs_open_closed_open():
    assert blinked([0.32, 0.31, 0.33, 0.12, 0.30, 0.32])
    assert not blinked([0.32, 0.31, 0.33, 0.30, 0.32, 0.31])        # no dip
    assert not blinked([0.32, 0.31, 0.12, 0.11, 0.10, 0.10])        # closed and stayed closed


def test_too_few_frames_is_never_live(clip_faces):
    tracker = PassiveLiveness(CFG)
    for f in list(clip_faces.values())[: CFG.min_frames - 1]:
        tracker.feed(f)
    assert not tracker.is_live()
    assert nonplanar_motion([]) == 0.0
