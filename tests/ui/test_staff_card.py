"""Resident ID cards at the staff desk, through the real window and the demo's card reader (a SAM
emulator on a pty, read by the product's SamCardReader): a card whose photo cannot be decoded goes
to a clerk's check instead of failing, and a clerk signs in with their own ID card and PIN."""
from __future__ import annotations

from PySide6.QtCore import Qt

from kiosk.devices.idcard.photo import DEMO_MARK
from kiosk.flows.journey import Step
from kiosk.flows.staff_state import StaffView
from tests.ui.test_journey import visible_text
from tests.ui.test_staff import audit_entries, sign_in, staff

WAIT = 15_000
CLICK = Qt.MouseButton.LeftButton
CORRUPT_WLT = (DEMO_MARK + b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4)[:1024]


def citizen(parts, cid):
    return next(c for c in parts.demo_citizens if c.id == cid)


def test_a_resident_card_whose_photo_cannot_be_decoded_goes_to_the_clerks_check(qtbot, make_kiosk, monkeypatch):
    # The card the SAM emulator holds carries photo bytes no decoder can expand.
    monkeypatch.setattr("testkit.demo_card_reader.demo_wlt", lambda _photo: CORRUPT_WLT)
    parts, ui = make_kiosk()
    win = ui.window
    zhou = citizen(parts, "zhou_lei")
    parts.sim_reader.insert(zhou.identity)
    qtbot.waitUntil(lambda: ui.controller.state.step == Step.FACE_CHECK, timeout=WAIT)
    s = ui.controller.state.session
    assert s.face.photo_missing and s.face.needs_staff and s.identity.photo == b""
    assert s.identity.personal_number == zhou.identity.personal_number          # the card's data was read
    face = win.screens[Step.FACE_CHECK]
    qtbot.waitUntil(lambda: face.staff_check.isVisible(), timeout=WAIT)
    assert not face.retry.isVisible()
    qtbot.mouseClick(face.staff_check, CLICK)
    from testkit.demo_staff import DEMO_CLERK
    sign_in(qtbot, ui, DEMO_CLERK.staff_number, DEMO_CLERK.pin)
    override = win.staff_screens[StaffView.OVERRIDE]
    assert staff(ui).view == StaffView.OVERRIDE
    assert override.reason_buttons["photo_unreadable"].isChecked()
    assert "证件照片无法读取" in visible_text(override)
    qtbot.mouseClick(override.confirm, CLICK)
    qtbot.waitUntil(lambda: ui.controller.state.step == Step.CHOOSE_BUNDLE, timeout=WAIT)
    qtbot.waitUntil(lambda: len(audit_entries(parts, "override")) == 1, timeout=WAIT)
    assert audit_entries(parts, "override")[0].details["reason"] == "photo_unreadable"
