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


def open_sign_in(qtbot, ui):
    qtbot.mouseClick(ui.window.screens[Step.ATTRACT].staff_entry, CLICK)
    assert staff(ui).view == StaffView.SIGN_IN
    return ui.window.staff_screens[StaffView.SIGN_IN]


def test_a_clerk_signs_in_with_their_own_id_card_and_pin(qtbot, make_kiosk):
    from testkit.demo_staff import DEMO_CLERK, demo_clerk_card
    parts, ui = make_kiosk()
    screen = open_sign_in(qtbot, ui)
    assert screen.card_hint.isVisible()
    attempt = ui.controller.state.attempt
    parts.sim_reader.insert(demo_clerk_card())                  # on the SAM emulator, like any resident ID card
    qtbot.waitUntil(lambda: staff(ui).card_staff == "900001" and not staff(ui).busy, timeout=WAIT)
    assert ui.controller.state.step == Step.ATTRACT and ui.controller.state.attempt == attempt   # no citizen session
    assert screen.pad.number_field.text() == "900001" and not screen.pad.number_field.isEnabled()
    assert screen.pad.pin_field.isChecked() and "900001" in screen.message.text()
    assert "郑演示" not in visible_text(screen) and DEMO_CLERK.id_number not in visible_text(screen)
    # A wrong PIN counts against the account as a typed one does.
    screen.pad.type("111111")
    qtbot.mouseClick(screen.sign_in, CLICK)
    qtbot.waitUntil(lambda: not staff(ui).busy, timeout=WAIT)
    assert "还可再试 4 次" in screen.message.text() and staff(ui).card_staff == "900001"
    screen.pad.type(DEMO_CLERK.pin)
    qtbot.mouseClick(screen.sign_in, CLICK)
    qtbot.waitUntil(lambda: staff(ui).view == StaffView.CONSOLE, timeout=WAIT)
    assert staff(ui).on_duty.staff_number == "900001" and staff(ui).card_staff is None
    signed = audit_entries(parts, "staff_sign_in")
    assert [e.details for e in signed] == [{"method": "id_card", "role": "clerk"}] and signed[0].staff == "900001"
    failed = audit_entries(parts, "staff_sign_in_failed")
    assert [(e.staff, e.details["method"], e.details["reason"]) for e in failed] == [("900001", "id_card", "wrong_pin")]
    trail = repr([(e.type, e.details) for e in audit_entries(parts)])
    assert DEMO_CLERK.id_number not in trail
    parts.sim_reader.remove()
    qtbot.wait(400)                                               # the card thread sees the removal
    assert staff(ui).view == StaffView.CONSOLE                    # taking the card out changes nothing


def test_a_citizens_card_on_the_sign_in_screen_is_only_not_a_staff_card(qtbot, make_kiosk):
    parts, ui = make_kiosk()
    screen = open_sign_in(qtbot, ui)
    zhou = citizen(parts, "zhou_lei")
    parts.sim_reader.insert(zhou.identity)
    qtbot.waitUntil(lambda: not staff(ui).busy and staff(ui).message is not None
                    and "不是工作人员证件" in screen.message.text(), timeout=WAIT)
    text = visible_text(screen)
    assert zhou.identity.name not in text and zhou.identity.personal_number not in text
    assert staff(ui).card_staff is None and ui.controller.state.session is None
    assert screen.pad.number_field.isEnabled()                    # number + PIN still open to them
    failed = audit_entries(parts, "staff_sign_in_failed")
    assert [(e.staff, e.details) for e in failed] == [(None, {"method": "id_card", "reason": "not_staff_card"})]
    assert zhou.identity.personal_number not in repr([e.details for e in audit_entries(parts)])
    # Out of the reader, the screen closed: the same card is a citizen's again.
    parts.sim_reader.remove()
    qtbot.mouseClick(screen.cancel, CLICK)
    qtbot.wait(400)                                               # the card thread sees the removal
    parts.sim_reader.insert(zhou.identity)
    qtbot.waitUntil(lambda: ui.controller.state.step == Step.FACE_CHECK, timeout=WAIT)
    assert ui.controller.state.session.identity.name == zhou.identity.name


def test_the_clerks_own_card_with_no_sign_in_screen_open_is_a_citizens_card(qtbot, make_kiosk):
    from testkit.demo_staff import demo_clerk_card
    parts, ui = make_kiosk()
    parts.sim_reader.insert(demo_clerk_card())
    qtbot.waitUntil(lambda: ui.controller.state.step == Step.FACE_CHECK, timeout=WAIT)
    assert staff(ui).view is None and staff(ui).on_duty is None
    assert ui.controller.state.session.identity.name == "郑演示"


def test_the_demo_tray_offers_the_clerks_card_only_on_the_sign_in_screen(qtbot, make_kiosk):
    _parts, ui = make_kiosk()
    tray = [b for b in ui.window.footer.findChildren(type(ui.window.demo_remove)) if "工作人员本人证件" in b.text()]
    assert len(tray) == 1 and not tray[0].isVisible()              # at the attract screen: citizens' cards only
    open_sign_in(qtbot, ui)
    qtbot.waitUntil(lambda: tray[0].isVisible(), timeout=WAIT)
    qtbot.mouseClick(tray[0], CLICK)                               # the presenter places the clerk's card
    qtbot.waitUntil(lambda: staff(ui).card_staff == "900001" and not staff(ui).busy, timeout=WAIT)
