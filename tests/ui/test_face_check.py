"""The face check with the real matcher and liveness (face_recognition/dlib) on the simulated
camera, through the real window: what the citizen sees and what happens next."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PySide6.QtCore import Qt

from kiosk.config import ASSETS
from kiosk.devices.face.challenge import LOOK_BACK, PROMPTS
from kiosk.devices.face.verifier import DlibFaceVerifier
from kiosk.devices.sim.camera import FileCamera
from kiosk.flows.journey import Step

WAIT = 30_000   # the chip photo is encoded (~3 s on a 2-core machine) before the check starts


def record_instructions(ui) -> list[str]:
    """Every instruction the face screen showed, in English, in order."""
    seen: list[str] = []

    def on_state(state) -> None:
        s = state.session
        if s is not None and s.face.message is not None and (not seen or seen[-1] != s.face.message.en):
            seen.append(s.face.message.en)
    ui.controller.state_changed.connect(on_state)
    return seen


def citizen(parts, cid):
    return next(c for c in parts.demo_citizens if c.id == cid)


def test_live_person_matches_after_following_three_random_movements(qtbot, make_kiosk):
    parts, ui = make_kiosk(face="dlib")
    assert isinstance(parts.devices.face.verifier, DlibFaceVerifier)   # built on first use (deferred.py)
    seen = record_instructions(ui)
    parts.sim_reader.insert(citizen(parts, "chen_hao").identity)
    qtbot.waitUntil(lambda: ui.controller.state.step == Step.FACE_CHECK, timeout=WAIT)
    qtbot.waitUntil(lambda: ui.controller.state.step == Step.CHOOSE_BUNDLE, timeout=WAIT)
    face = ui.controller.state.session.face
    assert face.attempts == 1 and face.last_distance is not None and face.last_distance < 0.5
    prompts = [s for s in seen if s in {p.en for p in PROMPTS.values()}]
    assert len(prompts) == 3 and len(set(prompts)) == 3, seen   # three different random movements
    assert any("turn your head" in p.lower() for p in prompts), seen
    assert seen.count(LOOK_BACK.en) >= 3, seen
    assert "3 random head movements and screen-light reflection" in face.message.en


def test_a_replayed_video_of_the_card_holder_is_refused(qtbot, make_kiosk):
    def replay(parts):
        chen = citizen(parts, "chen_hao")
        parts.devices.camera_for = lambda photo: FileCamera(chen.camera_source, script=None)   # a clip that loops
    parts, ui = make_kiosk(face="dlib", adjust=replay)
    parts.sim_reader.insert(citizen(parts, "chen_hao").identity)
    screen = ui.window.screens[Step.FACE_CHECK]
    qtbot.waitUntil(lambda: ui.controller.state.session is not None
                    and ui.controller.state.session.face.attempts == 1, timeout=WAIT)
    assert ui.controller.state.step == Step.FACE_CHECK
    assert not ui.controller.state.session.face.matched and screen.retry.isVisible()


def test_photo_held_up_to_the_camera_is_refused(qtbot, make_kiosk):
    parts, ui = make_kiosk(face="dlib")
    parts.sim_reader.insert(citizen(parts, "lin_xiaowen").identity)   # camera: her printed photo, moved about
    screen = ui.window.screens[Step.FACE_CHECK]
    qtbot.waitUntil(lambda: ui.controller.state.session is not None
                    and ui.controller.state.session.face.attempts == 1, timeout=WAIT)
    assert ui.controller.state.step == Step.FACE_CHECK                  # not let through
    assert "照片" in screen.status.text()                               # "remove any photo or phone screen"
    assert screen.retry.isVisible()


def test_a_face_too_far_away_gets_come_closer(qtbot, make_kiosk, tmp_path: Path):
    small = tmp_path / "far.png"
    img = cv2.imread(str(ASSETS / "demo" / "hopper_live.jpg"))
    canvas = np.full((480, 640, 3), 90, np.uint8)
    tiny = cv2.resize(img, (213, 160))
    canvas[160:320, 213:426] = tiny
    cv2.imwrite(str(small), canvas)

    def far_away(parts):
        parts.devices.camera_for = lambda photo: FileCamera(small)
    parts, ui = make_kiosk(face="dlib", adjust=far_away)
    parts.sim_reader.insert(citizen(parts, "zhou_shufen").identity)
    screen = ui.window.screens[Step.FACE_CHECK]
    qtbot.waitUntil(lambda: "请靠近一些" in screen.instruction.text(), timeout=WAIT)
    assert ui.controller.state.session.face.checking


def test_three_failed_matches_ask_for_staff(qtbot, make_kiosk):
    def someone_else(parts):
        other = citizen(parts, "lin_xiaowen").camera_source      # a different person's face
        parts.devices.camera_for = lambda photo: FileCamera(other)
    parts, ui = make_kiosk(face="dlib", adjust=someone_else)
    parts.sim_reader.insert(citizen(parts, "chen_hao").identity)
    face = ui.window.screens[Step.FACE_CHECK]
    for attempt in (1, 2, 3):
        qtbot.waitUntil(lambda attempt=attempt: ui.controller.state.session is not None
                        and ui.controller.state.session.face.attempts == attempt, timeout=WAIT)
        if attempt < 3:
            assert face.retry.isVisible() and "不一致" in face.status.text()
            qtbot.mouseClick(face.retry, Qt.MouseButton.LeftButton)
    assert not face.retry.isVisible() and "工作人员" in face.status.text()
    assert ui.controller.state.step == Step.FACE_CHECK


def test_removing_the_card_drops_every_face_datum(qtbot, make_kiosk):
    parts, ui = make_kiosk(face="dlib")
    verifier = parts.devices.face.verifier
    parts.sim_reader.insert(citizen(parts, "chen_hao").identity)
    qtbot.waitUntil(lambda: ui.controller.state.step == Step.CHOOSE_BUNDLE, timeout=WAIT)
    assert verifier._reference is not None             # the chip photo's encoding, for retries
    parts.sim_reader.remove()
    qtbot.waitUntil(lambda: ui.controller.state.step == Step.ATTRACT, timeout=WAIT)
    qtbot.waitUntil(lambda: verifier._reference is None, timeout=WAIT)
    assert ui.window.screens[Step.FACE_CHECK].preview.pixmap().isNull()
    assert ui.runtime.current_camera() is None
    data = Path(parts.config.data_dir)
    images = [p for p in data.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png", ".jp2", ".npy")]
    assert images == []
