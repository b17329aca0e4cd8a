"""Screen, review and receipt say exactly what the face check checked, no more."""
from __future__ import annotations

from kiosk.domain.application import FaceCheckRecord
from kiosk.flows import events as ev
from kiosk.flows.journey import FlowConfig, Step, handle, initial_state
from kiosk.services.receipts.content import identity_checked


def test_a_full_check_names_the_match_the_movements_and_the_reflection():
    record = FaceCheckRecord(True, 0.42, 1, ("match", "moves:3", "flash"))
    assert record.summary().en == ("Face matched the chip photo; live-person check: 3 random head movements "
                                   "and screen-light reflection")
    assert identity_checked(record).en == ("Identity: ID chip read; face matched the chip photo; live-person check: "
                                           "3 random head movements and screen-light reflection")
    assert "屏幕光反射" in identity_checked(record).zh


def test_without_the_flash_or_without_liveness_the_wording_says_so():
    assert "reflection" not in FaceCheckRecord(True, 0.42, 1, ("match", "moves:3")).summary().en
    assert FaceCheckRecord(True, 0.42, 1, ("match",)).summary().en == "Face matched the chip photo (no live-person check)"


def test_the_face_screen_says_what_passed(small_catalogue, identity, now):
    s, _ = handle(initial_state(FlowConfig(catalogue=small_catalogue)), ev.CardInserted(), now)
    s, _ = handle(s, ev.CardRead(s.attempt, identity), now)
    s, _ = handle(s, ev.FaceChecked(s.attempt, True, 0.4, checks=("match", "moves:3", "flash")), now)
    assert s.step == Step.CHOOSE_BUNDLE
    assert s.notice.en == ("Face check passed: face matched the chip photo; live-person check: 3 random head "
                           "movements and screen-light reflection.")
    assert s.session.face.record().checks == ("match", "moves:3", "flash")   # travels with the application
