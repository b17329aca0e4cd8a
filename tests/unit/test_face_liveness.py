"""Liveness on real landmarks: a moving live person versus photos held up to the camera."""
from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from kiosk.devices.face import quality
from kiosk.devices.face.challenge import ChallengeConfig, pose_of
from kiosk.devices.face.liveness import LivenessConfig, PassiveLiveness, blinked, nonplanar_motion
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


def test_a_photo_cannot_turn_its_head(photo):
    """However a photo is tilted in perspective, its turn measure moves less than an asked turn."""
    seq = faces_of(attacks.frames(photo, "tilted", 24, seed=1))
    turns = [pose_of(f.landmarks).turn for f in seq]
    assert max(turns) - min(turns) < ChallengeConfig().turn


def test_a_real_turn_moves_the_turn_measure_past_the_threshold(clip_faces):
    # Frames 148-162 of the clip: the speaker turns to his own left (nose towards image right).
    turning = [clip_faces[i] for i in range(148, 163) if i in clip_faces]
    assert pose_of(turning[-1].landmarks).turn - pose_of(turning[0].landmarks).turn > ChallengeConfig().turn
    assert nonplanar_motion([f.landmarks for f in turning]) >= CFG.nonplanar_threshold


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
