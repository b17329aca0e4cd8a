"""Fewer things to type, in the real window: the "same as ID address" button, a worked-out value
marked as such, and the autopilot's count of typed fields and touches against the issue's goals."""
from __future__ import annotations

from PySide6.QtCore import Qt

from kiosk.flows.journey import Step
from kiosk.ui.autopilot import Autopilot, Journey
from tests.ui.test_journey import WAIT, to_bundle_choice


def citizen(parts, cid):
    return next(c for c in parts.demo_citizens if c.id == cid)


def open_page_with(qtbot, ui, field_id):
    form = ui.window.screens[Step.FORM]
    while field_id not in form.fields:
        for w in form.fields.values():
            if not w.value() and w.same_as_button is not None:
                qtbot.mouseClick(w.same_as_button, Qt.MouseButton.LeftButton)
        before = ui.controller.state
        qtbot.mouseClick(form.next, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda before=before: ui.controller.state is not before, timeout=WAIT)
        assert not ui.controller.state.session.errors, dict(ui.controller.state.session.errors)
    return form.fields[field_id]


def test_the_same_as_button_fills_the_address_which_stays_editable(qtbot, make_kiosk):
    parts, ui = make_kiosk()
    to_bundle_choice(qtbot, parts, ui, "zhou_lei")
    qtbot.mouseClick(ui.window.screens[Step.CHOOSE_BUNDLE].buttons["retirement"], Qt.MouseButton.LeftButton)
    w = open_page_with(qtbot, ui, "applicant_current_address")
    assert w.value() == "" and w.same_as_button is not None
    qtbot.waitUntil(w.same_as_button.isVisible, timeout=WAIT)     # Qt shows a new page's widgets on the next turn
    assert w.same_as_button.text() == "与身份证住址相同"
    qtbot.mouseClick(w.same_as_button, Qt.MouseButton.LeftButton)
    address = citizen(parts, "zhou_lei").identity.address
    assert w.value() == address and w.edit.text() == address
    qtbot.keyClicks(w.edit, " 2F")                        # still the citizen's to correct
    qtbot.mouseClick(ui.window.screens[Step.FORM].next, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ui.controller.state.session.page > 1, timeout=WAIT)
    assert ui.controller.state.session.answers["applicant_current_address"] == address + " 2F"


def test_a_worked_out_retirement_date_is_filled_and_says_so(qtbot, make_kiosk):
    parts, ui = make_kiosk()
    to_bundle_choice(qtbot, parts, ui, "zhou_lei")         # a man born in November 1985: 63
    qtbot.mouseClick(ui.window.screens[Step.CHOOSE_BUNDLE].buttons["retirement"], Qt.MouseButton.LeftButton)
    w = open_page_with(qtbot, ui, "retirement_date")
    assert w.value() == "2048-12-01" and "已为您算好" in w.mark.text()
    w.set_value("2045-01-01")                             # early retirement: the citizen's word counts
    assert "已修改" in w.mark.text()


def walk(qtbot, parts, ui, journeys):
    done = {}
    pilot = Autopilot(ui.window, lambda c: parts.sim_reader.insert(c.identity), parts.sim_reader.remove,
                      lambda code: done.setdefault("code", code), journeys, deadline_s=90, step_delay_ms=30)
    pilot.start()
    qtbot.waitUntil(lambda: "code" in done, timeout=100_000 * len(journeys))
    assert done["code"] == 0
    return {m.bundle_id: m for m in pilot.metrics}


def test_the_autopilot_reaches_the_receipt_within_the_goals_for_typing_and_touches(qtbot, make_kiosk):
    """Issue 13, part 6: from card to receipt, retirement needs at most 2 typed fields and 12
    touches, the newborn at most 5 typed fields (a citizen whose government records hold a spouse
    and the hospital's medical birth certificate)."""
    parts, ui = make_kiosk()
    chen = citizen(parts, "chen_hao")
    metrics = walk(qtbot, parts, ui, [Journey(chen, "retirement"), Journey(chen, "newborn")])
    retirement, newborn = metrics["retirement"], metrics["newborn"]
    assert len(retirement.typed) <= 2 and retirement.touches <= 12, retirement
    assert len(newborn.typed) <= 5, newborn
    assert "child_name" in newborn.typed                  # the baby's name is the parents' to give
    assert retirement.pages >= 5 and retirement.after_receipt == 3       # receipt taken, a score, sent
    assert len(list(parts.files.receipts.glob("receipt-*.pdf"))) == 2
