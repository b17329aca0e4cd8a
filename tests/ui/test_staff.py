"""Staff at the kiosk through the real window: the help button, staff sign-in on the digit pad,
the lockout after five wrong PINs, the override after three failed face checks, lockdown's
ignored keys and a supervisor's exit, and staff mode's idle end. The audit trail is read back
from the kiosk's own store. ONEVISIT_SCREENSHOTS=DIR saves the staff screens (README)."""
from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from kiosk.devices.sim.face import SimFaceVerifier
from kiosk.flows.journey import Step
from kiosk.flows.staff_state import StaffView
from kiosk.services.audit.log import AuditLog
from kiosk.services.crypto import RecordCipher
from kiosk.services.keystore import load_storage_key
from kiosk.services.storage import Storage
from testkit.demo_staff import DEMO_CLERK, DEMO_SUPERVISOR
from tests.ui.test_journey import do_materials, fill_form, to_bundle_choice, visible_text

WAIT = 15_000
CLICK = Qt.MouseButton.LeftButton


def shoot(ui, name: str) -> None:
    folder = os.environ.get("ONEVISIT_SCREENSHOTS")
    if folder:
        ui.window.resize(1280, 860)
        ui.window.grab().save(str(Path(folder) / f"{name}.png"))


def audit_entries(parts, type_: str | None = None):
    files = parts.files
    store = Storage(files.db, RecordCipher(load_storage_key(files)))
    try:
        entries = AuditLog(store, parts.config.kiosk.id).entries()
    finally:
        store.close()
    return [e for e in entries if type_ is None or e.type == type_]


def staff(ui):
    return ui.controller.state.staff


def sign_in(qtbot, ui, number: str, pin: str, wait: bool = True, shot: str | None = None) -> None:
    """Touch the staff number and PIN into the pad and press Sign in."""
    screen = ui.window.staff_screens[StaffView.SIGN_IN]
    assert ui.window.current_screen() is screen
    pad = screen.pad
    qtbot.mouseClick(pad.number_field, CLICK)
    qtbot.mouseClick(pad.keys["C"], CLICK)
    for ch in number:
        qtbot.mouseClick(pad.keys[ch], CLICK)
    qtbot.mouseClick(pad.pin_field, CLICK)
    for ch in pin:
        qtbot.mouseClick(pad.keys[ch], CLICK)
    assert pin not in pad.pin_field.text()                       # never shown
    if shot:
        shoot(ui, shot)
    qtbot.mouseClick(screen.sign_in, CLICK)
    if wait:
        qtbot.waitUntil(lambda: not staff(ui).busy, timeout=WAIT)


def test_help_button_raises_a_call_keeps_the_place_and_is_audited(qtbot, make_kiosk):
    parts, ui = make_kiosk()
    win = ui.window
    assert win.help_button.isVisible() and win.help_button.height() >= 57   # >= 10 mm on a 21.5" 1080p panel
    to_bundle_choice(qtbot, parts, ui)
    assert win.help_button.isVisible()
    before = ui.controller.state
    qtbot.mouseClick(win.help_button, CLICK)
    state = ui.controller.state
    assert win.help_overlay.isVisible() and win.help_overlay.number.text() == "H01"
    assert "工作人员将前来协助" in win.help_overlay.body.text()
    assert state.step == Step.CHOOSE_BUNDLE and state.session is before.session    # the place is kept
    # Waiting for staff: the session is not wiped after the usual 90 s.
    assert state.seconds_left(ui.controller.clock()) > parts.flow_config.timeout_seconds
    shoot(ui, "help_call")
    qtbot.mouseClick(win.help_overlay.close_button, CLICK)
    assert not win.help_overlay.isVisible() and "H01" in win.help_button.text()
    qtbot.waitUntil(lambda: len(audit_entries(parts, "help_call")) == 1, timeout=WAIT)
    call = audit_entries(parts, "help_call")[0]
    assert call.details == {"call": "H01", "state": "raised"} and call.staff is None and call.ref
    # A second press in the same session shows the same call, it does not raise another.
    qtbot.mouseClick(win.help_button, CLICK)
    assert win.help_overlay.number.text() == "H01" and len(staff(ui).calls) == 1


def test_staff_sign_in_on_the_pad_opens_the_console_with_calls_and_health(qtbot, make_kiosk):
    parts, ui = make_kiosk()
    win = ui.window
    qtbot.mouseClick(win.help_button, CLICK)                     # a call from the attract screen
    qtbot.mouseClick(win.help_overlay.staff, CLICK)              # the arriving clerk signs in
    assert staff(ui).view == StaffView.SIGN_IN
    sign_in(qtbot, ui, DEMO_CLERK.staff_number, DEMO_CLERK.pin, shot="staff_sign_in")
    assert staff(ui).view == StaffView.CONSOLE and staff(ui).on_duty.staff_number == "900001"
    console = win.staff_screens[StaffView.CONSOLE]
    qtbot.waitUntil(lambda: "disk" in visible_text(console), timeout=WAIT)   # the health lines came
    text = visible_text(console)
    assert "900001" in text and "H01" in text
    shoot(ui, "staff_console")
    qtbot.mouseClick(console.call_buttons["H01"], CLICK)
    assert staff(ui).calls == ()
    qtbot.mouseClick(console.sign_out, CLICK)
    assert staff(ui).on_duty is None and win.current_screen() is win.screens[Step.ATTRACT]
    qtbot.waitUntil(lambda: len(audit_entries(parts, "staff_mode_end")) == 1, timeout=WAIT)
    kinds = [e.type for e in audit_entries(parts)]
    assert kinds == ["help_call", "staff_sign_in", "help_call", "staff_mode_end"]
    assert audit_entries(parts, "help_call")[1].details["state"] == "answered"
    assert audit_entries(parts, "staff_mode_end")[0].details == {"reason": "sign_out"}


def test_five_wrong_pins_lock_the_account_and_say_so(qtbot, make_kiosk):
    parts, ui = make_kiosk()
    screen = ui.window.staff_screens[StaffView.SIGN_IN]
    qtbot.mouseClick(ui.window.screens[Step.ATTRACT].staff_entry, CLICK)
    for left in (4, 3, 2, 1):
        sign_in(qtbot, ui, DEMO_CLERK.staff_number, "111111")
        assert f"还可再试 {left} 次" in screen.message.text()
        assert screen.pad.pin == ""                              # typed again from the start
    sign_in(qtbot, ui, DEMO_CLERK.staff_number, "111111")
    assert "锁定" in screen.message.text()
    sign_in(qtbot, ui, DEMO_CLERK.staff_number, DEMO_CLERK.pin)  # the right PIN, too late
    assert "锁定" in screen.message.text() and staff(ui).on_duty is None
    assert staff(ui).view == StaffView.SIGN_IN
    failed = audit_entries(parts, "staff_sign_in_failed")
    assert len(failed) == 6 and failed[4].details["locked"] is True and failed[5].details["reason"] == "locked"


def _photo_attack(parts):
    """The simulated verifier refuses every demo citizen: the camera shows someone else."""
    parts.devices.face = SimFaceVerifier({c.identity.photo for c in parts.demo_citizens}, watch_seconds=0.2)


def test_override_after_three_failed_face_checks_reaches_the_receipt(qtbot, make_kiosk):
    parts, ui = make_kiosk(adjust=_photo_attack)
    win = ui.window
    face = win.screens[Step.FACE_CHECK]
    parts.sim_reader.insert(parts.demo_citizens[0].identity)
    for attempt in (1, 2, 3):
        qtbot.waitUntil(lambda a=attempt: ui.controller.state.session is not None
                        and ui.controller.state.session.face.attempts == a
                        and not ui.controller.state.session.face.checking, timeout=WAIT)
        if attempt < 3:
            assert not face.staff_check.isVisible()
            qtbot.mouseClick(face.retry, CLICK)
    assert face.staff_check.isVisible() and not face.retry.isVisible()
    shoot(ui, "face_check_staff_verification")
    qtbot.mouseClick(face.staff_check, CLICK)
    sign_in(qtbot, ui, DEMO_CLERK.staff_number, DEMO_CLERK.pin)
    override = win.staff_screens[StaffView.OVERRIDE]
    assert staff(ui).view == StaffView.OVERRIDE
    assert not override.photo.pixmap().isNull()                  # the chip photo, not a camera frame
    assert parts.demo_citizens[0].identity.document_number in visible_text(override)
    assert override.reason_buttons["face_check_failed"].isChecked()
    shoot(ui, "override")
    qtbot.mouseClick(override.reason_buttons["appearance_changed"], CLICK)
    qtbot.mouseClick(override.confirm, CLICK)
    qtbot.waitUntil(lambda: ui.controller.state.step == Step.CHOOSE_BUNDLE, timeout=WAIT)
    assert staff(ui).on_duty is None                              # handed back: staff mode ended
    qtbot.mouseClick(win.screens[Step.CHOOSE_BUNDLE].buttons["newborn"], CLICK)
    fill_form(qtbot, ui)
    do_materials(qtbot, ui)
    qtbot.waitUntil(lambda: ui.controller.state.step == Step.REVIEW, timeout=WAIT)
    review = win.screens[Step.REVIEW]
    assert "identity checked by staff No. 900001" in ui.controller.state.session.draft.face_check.identity_line().en
    assert "工作人员人工核验（工号 900001）" in visible_text(review)
    assert "人脸比对（活体）通过" not in visible_text(review)
    review.consent.setChecked(True)
    qtbot.mouseClick(review.submit, CLICK)
    qtbot.waitUntil(lambda: ui.controller.state.step == Step.RECEIPT, timeout=WAIT)
    app = ui.controller.state.session.application
    record = app.to_record()["face_check"]                         # what the back office receives
    assert record["checked_by"] == "staff" and record["staff_number"] == "900001"
    assert record["override_reason"] == "appearance_changed" and record["matched"] is False
    from kiosk.services.receipts.content import ReceiptOptions, receipt_content
    from kiosk.domain.text import Text
    content = receipt_content(app, ReceiptOptions(Text("k", "k"), "https://x"))
    assert "identity checked by staff No. 900001" in content.identity.en
    overrides = audit_entries(parts, "override")
    assert len(overrides) == 1 and overrides[0].staff == "900001"
    assert overrides[0].details["reason"] == "appearance_changed" and overrides[0].details["flagged"] is False


def test_overrides_above_the_daily_rate_are_flagged_on_the_console(qtbot, make_kiosk):
    def strict(parts):
        _photo_attack(parts)
        parts.config = replace(parts.config, staff=replace(parts.config.staff, override_flag_per_day=0))
    parts, ui = make_kiosk(adjust=strict)
    parts.sim_reader.insert(parts.demo_citizens[0].identity)
    face = ui.window.screens[Step.FACE_CHECK]
    for _ in range(2):
        qtbot.waitUntil(lambda: face.retry.isVisible(), timeout=WAIT)
        qtbot.mouseClick(face.retry, CLICK)
    qtbot.waitUntil(lambda: face.staff_check.isVisible(), timeout=WAIT)
    qtbot.mouseClick(face.staff_check, CLICK)
    sign_in(qtbot, ui, DEMO_CLERK.staff_number, DEMO_CLERK.pin)
    qtbot.mouseClick(ui.window.staff_screens[StaffView.OVERRIDE].confirm, CLICK)
    qtbot.waitUntil(lambda: ui.controller.state.step == Step.CHOOSE_BUNDLE, timeout=WAIT)
    assert audit_entries(parts, "override")[0].details["flagged"] is True
    # The supervisor comes by: the console shows the clerk's count, flagged.
    qtbot.mouseClick(ui.window.help_button, CLICK)
    qtbot.mouseClick(ui.window.help_overlay.staff, CLICK)
    sign_in(qtbot, ui, DEMO_SUPERVISOR.staff_number, DEMO_SUPERVISOR.pin)
    console = ui.window.staff_screens[StaffView.CONSOLE]
    qtbot.waitUntil(lambda: "已提示值班长" in visible_text(console), timeout=WAIT)
    text = visible_text(console)
    assert "No. 900001" in text or "工号 900001：1 次" in text
    assert "已提示值班长" in text


def test_lockdown_ignores_quit_keys_and_only_a_supervisor_lets_it_go(qtbot, make_kiosk):
    parts, ui = make_kiosk()
    win = ui.window
    released = []
    win.on_lockdown_released = lambda: released.append(True)
    win.lockdown.engage()
    assert win.windowFlags() & Qt.WindowType.FramelessWindowHint and win.isFullScreen()
    seen = []
    attract = win.screens[Step.ATTRACT]
    modifiers = {Qt.Key.Key_Alt, Qt.Key.Key_Control}            # QTest presses these on their own first
    attract.keyPressEvent = lambda e: None if e.key() in modifiers else seen.append(e.key())   # what reaches the screen
    for key, mods in ((Qt.Key.Key_F4, Qt.KeyboardModifier.AltModifier), (Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier),
                      (Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier), (Qt.Key.Key_Tab, Qt.KeyboardModifier.AltModifier),
                      (Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier)):
        QTest.keyClick(attract, key, mods)
    assert seen == [] and win.lockdown.swallowed == 5
    QTest.keyClick(attract, Qt.Key.Key_5)                         # ordinary keys still work
    assert seen == [Qt.Key.Key_5]
    assert not win.close() and win.isVisible()                   # closing is refused
    # A clerk cannot let it go; a supervisor can, and it is audited.
    qtbot.mouseClick(attract.staff_entry, CLICK)
    sign_in(qtbot, ui, DEMO_CLERK.staff_number, DEMO_CLERK.pin)
    console = win.staff_screens[StaffView.CONSOLE]
    assert console.leave.isVisible()
    qtbot.mouseClick(console.leave, CLICK)
    sign_in(qtbot, ui, DEMO_CLERK.staff_number, DEMO_CLERK.pin)
    assert "值班长" in win.staff_screens[StaffView.SIGN_IN].message.text() and win.lockdown.active
    sign_in(qtbot, ui, DEMO_SUPERVISOR.staff_number, DEMO_SUPERVISOR.pin)
    qtbot.waitUntil(lambda: released == [True], timeout=WAIT)
    assert not win.lockdown.active
    exits = audit_entries(parts, "lockdown_exit")
    assert len(exits) == 1 and exits[0].staff == "900002"


def test_staff_mode_ends_by_itself_after_idle(qtbot, make_kiosk):
    def quick(parts):
        parts.flow_config = replace(parts.flow_config, staff_idle_seconds=1.5)
    parts, ui = make_kiosk(adjust=quick)
    qtbot.mouseClick(ui.window.screens[Step.ATTRACT].staff_entry, CLICK)
    sign_in(qtbot, ui, DEMO_CLERK.staff_number, DEMO_CLERK.pin)
    assert staff(ui).on_duty is not None
    qtbot.waitUntil(lambda: staff(ui).on_duty is None and staff(ui).view is None, timeout=WAIT)
    assert ui.window.current_screen() is ui.window.screens[Step.ATTRACT]
    qtbot.waitUntil(lambda: len(audit_entries(parts, "staff_mode_end")) == 1, timeout=WAIT)
    assert audit_entries(parts, "staff_mode_end")[0].details == {"reason": "idle"}
