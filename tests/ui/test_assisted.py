"""Assisted applications through the real window (issue 12 parts 4-6): for someone else with
two cards, identity without the card, and counter mode with the clerk's window."""
from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt

from kiosk.domain.assisted import AUTHORISATION
from kiosk.flows import events as ev
from kiosk.flows.journey import Step
from kiosk.flows.staff_state import OnDuty, StaffState
from tests.ui.test_journey import WAIT, do_materials, fill_form, step_is, to_bundle_choice, visible_text

PROXY_BUNDLES = {"retirement", "elderly_care", "medical_expenses", "disability_services"}


def citizen(parts, cid):
    return next(c for c in parts.demo_citizens if c.id == cid)


def click(qtbot, widget):
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def card_events(ui):
    """Record the card events the runtime posts (to know the card thread saw a removal)."""
    seen = []
    dispatch = ui.controller.dispatch

    def spy(event):
        seen.append(type(event).__name__)
        dispatch(event)
    ui.controller.dispatch = spy
    return seen


def submit(qtbot, ui, review):
    click(qtbot, review.submit)
    qtbot.waitUntil(lambda: ui.controller.state.step == Step.RECEIPT
                    and not ui.controller.state.session.receipt.printing, timeout=WAIT)
    return ui.controller.state.session.application


def audit_types(parts):
    from kiosk.services.audit.log import AuditLog
    db = parts.open_storage()
    try:
        return [(e.type, e.staff, e.ref, e.details) for e in AuditLog(db, parts.config.kiosk.id).entries()]
    finally:
        db.close()


def test_proxy_two_cards_relationship_authorisation_and_only_proxy_bundles(qtbot, make_kiosk):
    parts, ui = make_kiosk()
    win = ui.window
    seen = card_events(ui)
    to_bundle_choice(qtbot, parts, ui, "chen_hao")                 # the agent: card, face
    choose = win.screens[Step.CHOOSE_BUNDLE]
    assert choose.for_someone_else.isVisible() and "newborn" in choose.buttons
    click(qtbot, choose.for_someone_else)
    assert ui.controller.state.step == Step.PROXY_PRINCIPAL and "被代办人" in visible_text(win)
    parts.sim_reader.remove()
    qtbot.waitUntil(lambda: "CardRemoved" in seen, timeout=WAIT)
    assert ui.controller.state.step == Step.PROXY_PRINCIPAL         # the agent's card off: still going
    parts.sim_reader.insert(citizen(parts, "zhou_shufen").identity)
    qtbot.waitUntil(step_is(ui, Step.PROXY_RELATIONSHIP), timeout=WAIT)
    relation = win.screens[Step.PROXY_RELATIONSHIP]
    assert "周淑芬" in visible_text(win)
    click(qtbot, relation.buttons["child"])
    auth = win.screens[Step.PROXY_AUTHORISATION]
    assert not auth.next.isEnabled()                                # the authorisation first
    click(qtbot, auth.capture)
    qtbot.waitUntil(lambda: bool(ui.controller.state.session.proxy.authorisation), timeout=WAIT)
    click(qtbot, auth.next)
    assert ui.controller.state.step == Step.CHOOSE_BUNDLE
    assert set(choose.buttons) == PROXY_BUNDLES and not choose.for_someone_else.isVisible()
    click(qtbot, choose.buttons["retirement"])
    fill_form(qtbot, ui)
    do_materials(qtbot, ui)
    qtbot.waitUntil(step_is(ui, Step.REVIEW), timeout=WAIT)
    text = visible_text(win)
    assert "代办人：陈浩" in text and "子女" in text and "0170" in text and "330106198511050170" not in text
    review = win.screens[Step.REVIEW]
    review.consent.setChecked(True)
    app = submit(qtbot, ui, review)
    assert app.answer("applicant_name").value == "周淑芬" and app.proxy.agent_name == "陈浩"
    assert app.proxy.agent_id_number == "330106198511050170" and app.proxy.relationship == "child"
    assert AUTHORISATION in app.attachments
    assert ("proxy", None, app.number, {"relationship": "child", "authorisation": True}) in audit_types(parts)


def no_card_kiosk(make_kiosk, per_hour=20, online=True):
    def adjust(parts):
        from kiosk.devices.identity import RateLimited
        from kiosk.devices.sim.identity import SimIdentityService
        sim = SimIdentityService(parts.demo_citizens, delay=0.05)
        sim.online = online
        parts.devices.identity = RateLimited(sim, per_hour)
    return make_kiosk(adjust=adjust)


def type_number(qtbot, screen, number):
    for ch in number:
        click(qtbot, screen.keys[ch])


def test_no_card_id_number_then_reference_then_face_then_on(qtbot, make_kiosk):
    parts, ui = no_card_kiosk(make_kiosk)
    win = ui.window
    attract = win.screens[Step.ATTRACT]
    qtbot.waitUntil(lambda: attract.no_card.isVisible(), timeout=WAIT)
    click(qtbot, attract.no_card)
    pad = win.screens[Step.ID_NUMBER]
    type_number(qtbot, pad, "33010619900821032")
    click(qtbot, pad.keys["1"])                                    # a wrong check character
    click(qtbot, pad.submit)
    assert ui.controller.state.step == Step.ID_NUMBER and "号码有误" in visible_text(win)
    click(qtbot, pad.keys["⌫"])
    click(qtbot, pad.keys["X"])                                    # 林晓雯's number ends in X
    assert pad.number.text() == "33010619900821032X"
    click(qtbot, pad.submit)
    qtbot.waitUntil(step_is(ui, Step.FACE_CHECK), timeout=WAIT)
    s = ui.controller.state.session
    assert s.identity.photo == citizen(parts, "lin_xiaowen").identity.photo and s.identity.card_type == "no_card"
    qtbot.waitUntil(step_is(ui, Step.CHOOSE_BUNDLE), timeout=WAIT)
    assert ui.controller.state.session.answers["applicant_name"] == "林晓雯"
    click(qtbot, win.end_button)
    click(qtbot, win.confirm_end.yes)                          # End asks first (large-mode issue)
    assert ui.controller.state.session is None and pad.number.text() == ""   # nothing of it is kept


def test_no_card_is_not_offered_offline(qtbot, make_kiosk):
    parts, ui = no_card_kiosk(make_kiosk, online=False)
    attract = ui.window.screens[Step.ATTRACT]
    assert not parts.devices.identity.available()
    assert not ui.controller.state.no_card_available and not attract.no_card.isVisible()
    ui.controller.dispatch(ev.NoCardRequested())                   # even if asked for: explained, not offered
    assert ui.controller.state.step == Step.ATTRACT and "不能办理免证件业务" in visible_text(ui.window)


def test_no_card_rate_limit_per_kiosk(qtbot, make_kiosk):
    _parts, ui = no_card_kiosk(make_kiosk, per_hour=1)
    win = ui.window
    qtbot.waitUntil(lambda: ui.controller.state.no_card_available, timeout=WAIT)
    pad = win.screens[Step.ID_NUMBER]
    for expect in (Step.FACE_CHECK, Step.ID_NUMBER):
        ui.controller.dispatch(ev.NoCardRequested())
        type_number(qtbot, pad, "330106195806120240")
        click(qtbot, pad.submit)
        qtbot.waitUntil(lambda: not ui.controller.state.session.no_card.fetching, timeout=WAIT)
        assert ui.controller.state.step == expect
        if expect == Step.ID_NUMBER:
            assert "次数已达上限" in visible_text(win)
        click(qtbot, win.end_button)
        click(qtbot, win.confirm_end.yes)


def test_counter_mode_clerk_window_drives_citizen_window_mirrors_citizen_consents(qtbot, make_kiosk):
    parts, ui = make_kiosk()
    c = ui.controller
    # A clerk signed in (staff-ui's sign-in screen sets this; here it is given).
    c.state = replace(c.state, staff=StaffState(on_duty=OnDuty("900001", "clerk", None)))
    c.dispatch(ev.CounterModeRequested())
    qtbot.waitUntil(lambda: ui.counter.clerk is not None, timeout=WAIT)
    clerk = ui.counter.clerk          # owned (closed and deleted) by the CounterDesk, not by qtbot
    assert clerk.isVisible() and "900001" in clerk.counter_text.text()
    assert not ui.window.stack.isEnabled()                         # the citizen's screens take no input
    to_bundle_choice(qtbot, parts, ui, "chen_hao")                 # the citizen's card on the kiosk's reader
    click(qtbot, clerk.screens[Step.CHOOSE_BUNDLE].buttons["newborn"])
    assert c.state.step == Step.FORM
    theirs, ours = clerk.screens[Step.FORM], ui.window.screens[Step.FORM]
    fid = next(f for f, w in theirs.fields.items() if w.edit is not None and w.field.type == "text")
    theirs.fields[fid].edit.clear()
    qtbot.keyClicks(theirs.fields[fid].edit, "Chen Ceshi")
    qtbot.waitUntil(lambda: ours.fields[fid].value() == "Chen Ceshi", timeout=WAIT)   # mirrored as it is typed
    # The clerk fills the rest in their window.
    from tests.ui.test_journey import fill_form as fill
    ui_clerk = type("UiView", (), {"window": clerk, "controller": c})()
    fill(qtbot, ui_clerk)
    do_materials(qtbot, ui_clerk)
    qtbot.waitUntil(step_is(ui, Step.REVIEW), timeout=WAIT)
    review = clerk.screens[Step.REVIEW]
    assert not review.consent.isEnabled()                          # the clerk cannot consent
    click(qtbot, review.submit)
    assert c.state.step == Step.REVIEW and "自己的屏幕" in visible_text(clerk)
    assert ui.counter.consent.isVisible()
    click(qtbot, ui.counter.consent)                               # on the citizen's screen
    assert c.state.session.consent and review.consent.isChecked() and not ui.counter.consent.isVisible()
    app = submit(qtbot, ui, review)
    assert app.counter_staff == "900001"
    types = audit_types(parts)
    assert ("counter_mode", "900001", None, {"action": "start"}) in types
    assert ("counter_mode", "900001", app.number, {"action": "application"}) in types
    click(qtbot, clerk.screens[Step.RECEIPT].cont)
    click(qtbot, clerk.screens[Step.RATING].buttons[4])
    click(qtbot, clerk.screens[Step.RATING].send)
    qtbot.waitUntil(step_is(ui, Step.ATTRACT), timeout=WAIT)
    assert c.state.counter is not None                             # counter mode outlives the citizen
    click(qtbot, clerk.end_counter)
    qtbot.waitUntil(lambda: ui.counter.clerk is None, timeout=WAIT)
    assert ui.window.stack.isEnabled()
