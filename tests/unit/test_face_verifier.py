"""The real verifier's edges: a camera that is gone, a cancelled check, an unreadable chip photo."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from kiosk.config import load_config
from kiosk.devices.face.camera import CAMERA_UNAVAILABLE
from kiosk.devices.face.matching import NO_FACE, MatchPolicy
from kiosk.devices.face.verifier import DlibFaceVerifier, VerifierSettings
from kiosk.devices.ports import CameraError, Frame

ASSETS = Path(__file__).resolve().parents[2] / "assets" / "demo"
CHIP = (ASSETS / "speaker_chip.jpg").read_bytes()
FACE = load_config(env={}).face        # the packaged defaults
SETTINGS = VerifierSettings(policy=MatchPolicy(threshold=FACE.threshold, min_good_frames=FACE.min_good_frames))


class DeadCamera:
    """A camera whose device is unplugged: no frames, an error."""

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def latest(self) -> Frame | None:
        return None

    def error(self) -> CameraError | None:
        return CameraError(CAMERA_UNAVAILABLE, "unplugged")

    def perform(self, action: str) -> None: ...


class NoFrames(DeadCamera):
    def error(self) -> CameraError | None:
        return None


class Token:
    def __init__(self) -> None:
        self.event = threading.Event()

    def is_set(self) -> bool:
        return self.event.is_set()


@pytest.fixture(scope="module")
def verifier():
    v = DlibFaceVerifier(SETTINGS)
    v.prepare(CHIP)
    return v


def test_an_unplugged_camera_is_reported_in_plain_words(verifier):
    said = []
    with pytest.raises(CameraError) as err:
        verifier.verify(CHIP, DeadCamera(), time.monotonic() + 0.5, Token(), said.append)
    assert err.value.reason == CAMERA_UNAVAILABLE
    assert CAMERA_UNAVAILABLE in said            # shown while the camera thread reconnects


def test_cancelling_ends_the_check_at_once_without_a_verdict(verifier):
    token = Token()
    threading.Timer(0.2, token.event.set).start()
    t = time.monotonic()
    d = verifier.verify(CHIP, NoFrames(), time.monotonic() + 10, token)
    assert time.monotonic() - t < 1.0
    assert not d.matched and d.reason is None


def test_a_chip_photo_without_a_face_sends_the_citizen_to_a_window():
    blank = (ASSETS / "SOURCES.md").read_bytes()[:10]     # not an image at all
    d = DlibFaceVerifier(SETTINGS).verify(blank, NoFrames(), time.monotonic() + 1, Token())
    assert not d.matched and "staffed window" in d.reason.en
    assert d.staff_only and not d.refused     # no retry can help; and the citizen failed nothing
    import cv2
    import numpy as np
    _, wall = cv2.imencode(".jpg", np.full((320, 240, 3), 128, np.uint8))
    d = DlibFaceVerifier(SETTINGS).verify(wall.tobytes(), NoFrames(), time.monotonic() + 1, Token())
    assert d.reason == NO_FACE and d.staff_only


def test_clear_forgets_the_chip_photo(verifier):
    assert verifier._reference is not None
    verifier.clear()
    assert verifier._reference is None


class SwapCamera:
    """The card holder makes every movement asked, and someone else steps in front of the camera
    `after` seconds after the last prompt."""

    def __init__(self, first, second, after: float, prompts: int = 3) -> None:
        self.first, self.second, self.after, self.prompts = first, second, after, prompts
        self.asked_at: float | None = None
        self.asked = 0

    def start(self) -> None:
        self.first.start()
        self.second.start()

    def stop(self) -> None:
        self.first.stop()
        self.second.stop()

    def perform(self, action: str) -> None:
        self.asked += 1
        if self.asked == self.prompts:
            self.asked_at = time.monotonic()
        self.first.perform(action)

    def latest(self) -> Frame | None:
        if self.asked_at is not None and time.monotonic() > self.asked_at + self.after:
            f = self.second.latest()
            return None if f is None else Frame(f.image, 1_000_000 + f.seq, f.timestamp)
        return self.first.latest()

    def error(self) -> CameraError | None:
        return None


def test_a_face_swapped_in_after_the_challenge_does_not_pass():
    import random

    from kiosk.devices.sim.camera import FileCamera
    from kiosk.devices.sim.citizens import load_citizens
    people = {c.id: c for c in load_citizens(ASSETS / "citizens.yaml")}
    chen, other = people["chen_hao"], people["zhou_shufen"]
    # Swapped in during the last movement (0.55 s after its prompt): the decision comes on the
    # frame that completes the return to neutral, so that frame is the "after" one that must match.
    camera = SwapCamera(FileCamera(chen.camera_source, script=chen.camera_script), FileCamera(other.camera_source), 0.55)
    camera.start()
    try:
        d = DlibFaceVerifier(SETTINGS, rng=random.Random(3)).verify(chen.identity.photo, camera, time.monotonic() + 15, Token())
    finally:
        camera.stop()
    assert camera.asked_at is not None          # every movement was asked for (and made)
    assert not d.matched and d.refused
