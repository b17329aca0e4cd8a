"""Counter mode switched on and off from the staff console, through the real windows: one touch
opens the clerk's window, the citizen consents on their own screen, the application records the
clerk, and counter mode ends with one touch, with staff sign-out and with staff idle timeout; each
start and end is in the audit trail."""
from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt

from kiosk.flows.journey import Step
from kiosk.flows.staff_state import StaffView
from testkit.demo_staff import DEMO_CLERK
from tests.ui.test_journey import do_materials, fill_form, step_is, to_bundle_choice, visible_text
from tests.ui.test_staff import audit_entries, shoot, sign_in, staff

WAIT = 15_000
CLICK = Qt.MouseButton.LeftButton


def view_of(window, controller):
    """What the test helpers need of a kiosk's window: the clerk's, in counter mode."""
    return type("WindowView", (), {"window": window, "controller": controller})()


def console_signed_in(qtbot, ui):
    qtbot.mouseClick(ui.window.screens[Step.ATTRACT].staff_entry, CLICK)
    sign_in(qtbot, ui, DEMO_CLERK.staff_number, DEMO_CLERK.pin)
    assert staff(ui).view == StaffView.CONSOLE
    return ui.window.staff_screens[StaffView.CONSOLE]


def counter_actions(parts):
    return [(e.staff, e.ref, e.details) for e in audit_entries(parts, "counter_mode")]


def test_console_starts_counter_mode_with_one_touch_and_the_application_records_the_clerk(qtbot, make_kiosk):
    parts, ui = make_kiosk()
    c = ui.controller
    console = console_signed_in(qtbot, ui)
    qtbot.waitUntil(lambda: "disk" in visible_text(console), timeout=WAIT)
    assert console.counter.isVisible() and console.counter.isEnabled() and console.counter.text() == "开启柜台模式"
    shoot(ui, "staff_console")
    qtbot.mouseClick(console.counter, CLICK)                          # the one touch
    qtbot.waitUntil(lambda: ui.counter.clerk is not None, timeout=WAIT)
    clerk = ui.counter.clerk
    assert clerk.isVisible() and "900001" in clerk.counter_text.text()
    assert staff(ui).view is None and c.state.step == Step.ATTRACT     # the console closed
    assert not ui.window.stack.isEnabled()                             # the citizen's screen is read-only
    # A citizen at the counter: the clerk drives in their window, the citizen consents on theirs.
    to_bundle_choice(qtbot, parts, ui, "chen_hao")
    ui_clerk = view_of(clerk, c)
    qtbot.mouseClick(clerk.screens[Step.CHOOSE_BUNDLE].buttons["newborn"], CLICK)
    fill_form(qtbot, ui_clerk)
    do_materials(qtbot, ui_clerk)
    qtbot.waitUntil(step_is(ui, Step.REVIEW), timeout=WAIT)
    review = clerk.screens[Step.REVIEW]
    assert not review.consent.isEnabled()
    qtbot.mouseClick(ui.counter.consent, CLICK)
    qtbot.mouseClick(review.submit, CLICK)
    qtbot.waitUntil(lambda: c.state.step == Step.RECEIPT and not c.state.session.receipt.printing, timeout=WAIT)
    app = c.state.session.application
    assert app.counter_staff == "900001" and app.to_record()["counter_staff"] == "900001"
    assert (("900001", None, {"action": "start"}) in counter_actions(parts)
            and ("900001", app.number, {"action": "application"}) in counter_actions(parts))
    # Back between citizens: the clerk (signed out of staff mode by the citizen's card) signs in
    # again on their window's console and ends counter mode with one touch.
    qtbot.mouseClick(clerk.screens[Step.RECEIPT].cont, CLICK)
    qtbot.mouseClick(clerk.screens[Step.RATING].buttons[4], CLICK)
    qtbot.mouseClick(clerk.screens[Step.RATING].send, CLICK)
    qtbot.waitUntil(step_is(ui, Step.ATTRACT), timeout=WAIT)
    assert c.state.counter is not None and staff(ui).on_duty is None
    qtbot.mouseClick(clerk.screens[Step.ATTRACT].staff_entry, CLICK)
    sign_in(qtbot, ui_clerk, DEMO_CLERK.staff_number, DEMO_CLERK.pin)
    theirs = clerk.staff_screens[StaffView.CONSOLE]
    assert theirs.counter.text() == "结束柜台模式" and theirs.counter.isEnabled()
    qtbot.mouseClick(theirs.counter, CLICK)
    qtbot.waitUntil(lambda: ui.counter.clerk is None, timeout=WAIT)
    assert c.state.counter is None and ui.window.stack.isEnabled()
    assert staff(ui).on_duty is not None                               # still signed in: counter mode only
    qtbot.waitUntil(lambda: ("900001", None, {"action": "end"}) in counter_actions(parts), timeout=WAIT)


def test_the_counter_button_waits_for_the_attract_screen(qtbot, make_kiosk):
    parts, ui = make_kiosk()
    to_bundle_choice(qtbot, parts, ui)
    qtbot.mouseClick(ui.window.help_button, CLICK)
    qtbot.mouseClick(ui.window.help_overlay.staff, CLICK)
    sign_in(qtbot, ui, DEMO_CLERK.staff_number, DEMO_CLERK.pin)
    console = ui.window.staff_screens[StaffView.CONSOLE]
    assert staff(ui).view == StaffView.CONSOLE
    assert not console.counter.isEnabled() and console.counter_note.isVisible()
    assert "两位申请人之间" in console.counter_note.text()
    assert ui.controller.state.counter is None


def test_staff_sign_out_ends_counter_mode_started_on_the_console(qtbot, make_kiosk):
    parts, ui = make_kiosk()
    console = console_signed_in(qtbot, ui)
    qtbot.mouseClick(console.counter, CLICK)
    qtbot.waitUntil(lambda: ui.counter.clerk is not None, timeout=WAIT)
    clerk = ui.counter.clerk
    qtbot.mouseClick(clerk.screens[Step.ATTRACT].staff_entry, CLICK)   # signed in still: straight to the console
    theirs = clerk.staff_screens[StaffView.CONSOLE]
    assert staff(ui).view == StaffView.CONSOLE
    qtbot.mouseClick(theirs.sign_out, CLICK)
    qtbot.waitUntil(lambda: ui.counter.clerk is None, timeout=WAIT)
    assert ui.controller.state.counter is None and staff(ui).on_duty is None
    qtbot.waitUntil(lambda: ("900001", None, {"action": "end", "reason": "sign_out"}) in counter_actions(parts),
                    timeout=WAIT)


def test_staff_idle_timeout_ends_counter_mode_started_on_the_console(qtbot, make_kiosk):
    def quick(parts):
        parts.flow_config = replace(parts.flow_config, staff_idle_seconds=1.5)
    parts, ui = make_kiosk(adjust=quick)
    console = console_signed_in(qtbot, ui)
    qtbot.mouseClick(console.counter, CLICK)
    qtbot.waitUntil(lambda: ui.counter.clerk is not None, timeout=WAIT)
    qtbot.waitUntil(lambda: ui.counter.clerk is None, timeout=WAIT)
    assert ui.controller.state.counter is None and staff(ui).on_duty is None
    qtbot.waitUntil(lambda: ("900001", None, {"action": "end", "reason": "idle"}) in counter_actions(parts),
                    timeout=WAIT)
    assert [e.details for e in audit_entries(parts, "staff_mode_end")] == [{"reason": "idle"}]
