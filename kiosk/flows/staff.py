"""Staff at the kiosk as pure moves: help calls, staff sign-in (staff number + PIN, or the staff
member's own ID card + PIN: a card inserted while the sign-in screen is open, `card_inserted`), the
override after a failed automated check, the staff console, leaving lockdown, and staff mode's idle end.

`STAFF[type(event)](state, event, now)`, consulted by `journey.handle` before the step's own
handler. The staff screens are drawn over the current step, which keeps its place underneath.
Everything that must be durable (help calls, sign-ins, overrides, lockdown exits) is an effect the
runtime runs on the store thread (kiosk/runtime_staff.py); an override and a lockdown exit take
effect only once their audit entry is written.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from types import MappingProxyType
from typing import Any

from kiosk.domain.application import OVERRIDE_REASONS
from kiosk.i18n import tr
from kiosk.flows import assist_messages as am
from kiosk.flows import effects as fx
from kiosk.flows import events as ev
from kiosk.flows import messages as msg
from kiosk.flows.common import Result, goto
from kiosk.flows.state import FlowState, Step
from kiosk.flows.staff_state import ConsoleData, HelpCall, OnDuty, StaffPurpose, StaffView

CLERK_ROLES = frozenset({"clerk", "supervisor"})
CARD_READING = tr("正在读取工作人员证件…")
NOT_STAFF_CARD = tr("这不是工作人员证件。请取出证件，输入工号和密码，或插入您本人的身份证。")
CARD_PIN = tr("工作人员证件（工号 {n}）：请输入密码。")


def _staff(state: FlowState, **changes: Any) -> FlowState:
    return replace(state, staff=replace(state.staff, **changes))


def _overridable(state: FlowState) -> bool:
    s = state.session
    return state.step == Step.FACE_CHECK and s is not None and s.face.overridable


def _new_call(state: FlowState, now: datetime) -> tuple[FlowState, list[fx.Effect]]:
    """The open call of this session, or a new one (numbered H01..H99, then round again)."""
    st = state.staff
    if state.help_call() is not None:
        return state, []
    seq = st.call_seq % 99 + 1
    call = HelpCall(f"H{seq:02d}", now, state.help_key())
    return _staff(state, calls=(*st.calls, call), call_seq=seq), [fx.RecordHelpCall(call.number, state.attempt)]


def _help(state: FlowState, event: ev.HelpRequested, now: datetime) -> Result:
    state, effects = _new_call(state, now)
    # A touch is activity: the session's clock starts again, now with the longer wait for staff.
    return replace(_staff(state, help_panel=True), last_activity=now if state.session else state.last_activity,
                   warning=False), effects


def _help_closed(state: FlowState, event: ev.HelpPanelClosed, now: datetime) -> Result:
    return _staff(state, help_panel=False), []


def _requested(state: FlowState, event: ev.StaffRequested, now: datetime) -> Result:
    st, effects = state.staff, list[fx.Effect]()
    if event.purpose in (StaffPurpose.OVERRIDE, StaffPurpose.HELP) and state.session is not None:
        # Staff must come to the kiosk: the request is a help call too.
        state, effects = _new_call(state, now)
        st = state.staff
    if st.on_duty is not None and event.purpose != StaffPurpose.EXIT:
        return _open_for(state, st.on_duty, event.purpose, now, effects)
    return _staff(state, view=StaffView.SIGN_IN, purpose=event.purpose, touched=now, message=None, help_panel=False,
                  busy=False, card_staff=None), effects


def card_inserted(state: FlowState, event: ev.CardInserted, now: datetime) -> Result | None:
    """A card inserted while the staff sign-in screen is open is a staff member's own ID card:
    it is read and matched to an account, never started as a citizen's session. None (not ours)
    while no sign-in screen is open: the card keeps its citizen meaning."""
    st = state.staff
    if st.view != StaffView.SIGN_IN:
        return None
    if st.busy:
        return state, []       # a PIN check is under way: the card is ignored (take it out and in again)
    return _staff(state, busy=True, card_reading=True, card_staff=None, message=CARD_READING, touched=now), \
        [fx.ReadStaffCard()]


def _card_read(state: FlowState, event: ev.StaffCardRead, now: datetime) -> Result:
    st = state.staff
    if st.view != StaffView.SIGN_IN or not st.card_reading:
        return state, []
    if event.staff_number is None:
        return _staff(state, busy=False, card_reading=False, card_staff=None,
                      message=event.message or NOT_STAFF_CARD, touched=now), []
    return _staff(state, busy=False, card_reading=False, card_staff=event.staff_number,
                  message=CARD_PIN.format(n=event.staff_number), touched=now), []


def _submitted(state: FlowState, event: ev.StaffSignInSubmitted, now: datetime) -> Result:
    st = state.staff
    if st.view != StaffView.SIGN_IN or st.busy:
        return state, []
    # With a staff card read, the account is the card's, whatever is in the number field.
    effect = fx.SignInStaff(st.card_staff, event.pin, "id_card") if st.card_staff is not None \
        else fx.SignInStaff(event.staff_number, event.pin)
    return _staff(state, busy=True, message=msg.SIGN_IN_CHECKING, touched=now), [effect]


def _answered(state: FlowState, event: ev.StaffSignInAnswered, now: datetime) -> Result:
    st = state.staff
    if st.view != StaffView.SIGN_IN or not st.busy:
        return state, []
    if not event.ok or event.staff_number is None or event.role not in CLERK_ROLES:
        return _staff(state, busy=False, message=event.message, touched=now), []
    member = OnDuty(event.staff_number, event.role, now)
    purpose = st.purpose or StaffPurpose.CONSOLE
    state = _staff(state, card_staff=None)
    if purpose == StaffPurpose.EXIT and member.role != "supervisor":
        # A clerk's good PIN does not open the way out; nor does it sign them in for it.
        return _staff(state, busy=False, message=msg.SUPERVISOR_NEEDED, touched=now), \
            [fx.EndStaffMode(member.staff_number, "sign_out", state.attempt)]
    ended: list[fx.Effect] = []
    if st.on_duty is not None and st.on_duty.staff_number != member.staff_number:
        ended.append(fx.EndStaffMode(st.on_duty.staff_number, "sign_out", state.attempt))
    state = _staff(state, on_duty=member, busy=False, message=None)
    return _open_for(state, member, purpose, now, ended)


def _open_for(state: FlowState, member: OnDuty, purpose: StaffPurpose, now: datetime,
              effects: list[fx.Effect]) -> Result:
    """Where a signed-in staff member lands for `purpose`."""
    if purpose == StaffPurpose.EXIT:
        return _staff(state, busy=True, touched=now), [*effects, fx.RecordLockdownExit(member.staff_number)]
    if purpose in (StaffPurpose.OVERRIDE, StaffPurpose.HELP) and _overridable(state):
        return _staff(state, view=StaffView.OVERRIDE, purpose=purpose, touched=now, message=None,
                      help_panel=False), effects
    message = msg.NOTHING_TO_OVERRIDE if purpose == StaffPurpose.OVERRIDE else None
    return _staff(state, view=StaffView.CONSOLE, purpose=purpose, touched=now, message=message, help_panel=False,
                  console=ConsoleData()), [*effects, fx.LoadStaffConsole()]


def _closed(state: FlowState, event: ev.StaffScreenClosed, now: datetime) -> Result:
    if state.staff.busy:
        return state, []
    return replace(_staff(state, view=None, purpose=None, message=None, touched=now, card_staff=None),
                   last_activity=now if state.session else state.last_activity, warning=False), []


def _signed_out(state: FlowState, event: ev.StaffSignedOut, now: datetime) -> Result:
    st, counter = state.staff, state.counter
    effects: list[fx.Effect] = []
    if st.on_duty is not None:
        effects.append(fx.EndStaffMode(st.on_duty.staff_number, "sign_out", state.attempt))
    if counter is not None:
        # Staff signing out leaves nobody at the counter: nothing more is done in the clerk's name.
        effects.append(fx.RecordCounterMode(counter.staff_number, "end", "sign_out"))
    return replace(_staff(state, view=None, purpose=None, on_duty=None, message=None, busy=False, console=None),
                   counter=None, notice=am.COUNTER_ENDED if counter is not None else state.notice,
                   last_activity=now if state.session else state.last_activity, warning=False), effects


def _override(state: FlowState, event: ev.OverrideConfirmed, now: datetime) -> Result:
    st = state.staff
    if st.view != StaffView.OVERRIDE or st.busy or st.on_duty is None or not _overridable(state):
        return state, []
    if event.reason not in OVERRIDE_REASONS:
        return state, []
    s = state.session
    assert s is not None
    face = replace(s.face, staff_number=st.on_duty.staff_number, override_reason=event.reason)
    # Held until the audit entry is written: no override without its record.
    return replace(_staff(state, busy=True, touched=now), session=replace(s, face=face)), \
        [fx.RecordOverride(state.attempt, st.on_duty.staff_number, event.reason, event.note[:200], s.face.attempts)]


def _override_recorded(state: FlowState, event: ev.OverrideRecorded, now: datetime) -> Result:
    st, s = state.staff, state.session
    if event.attempt != state.attempt or not st.busy or st.view != StaffView.OVERRIDE or s is None:
        return state, []
    if not event.ok:
        face = replace(s.face, staff_number=None, override_reason=None)
        return replace(_staff(state, busy=False, message=event.problem or msg.OVERRIDE_NOT_RECORDED),
                       session=replace(s, face=face)), []
    face = replace(s.face, needs_staff=False, message=msg.IDENTITY_BY_STAFF)
    call = state.help_call()
    effects: list[fx.Effect] = []
    calls = st.calls
    if call is not None and st.on_duty is not None:
        calls = tuple(c for c in calls if c is not call)
        effects.append(fx.RecordHelpCall(call.number, state.attempt, answered_by=st.on_duty.staff_number))
    if st.on_duty is not None:
        # The clerk hands the kiosk back to the citizen: that ends staff mode.
        effects.append(fx.EndStaffMode(st.on_duty.staff_number, "sign_out", state.attempt))
    new = replace(state, session=replace(s, face=face),
                  staff=replace(st, view=None, purpose=None, on_duty=None, busy=False, message=None, calls=calls))
    return goto(new, Step.CHOOSE_BUNDLE, now, notice=msg.IDENTITY_BY_STAFF), effects


def _call_answered(state: FlowState, event: ev.HelpCallAnswered, now: datetime) -> Result:
    st = state.staff
    call = next((c for c in st.calls if c.number == event.number), None)
    if call is None or st.on_duty is None or st.view != StaffView.CONSOLE:
        return state, []
    return _staff(state, calls=tuple(c for c in st.calls if c is not call), touched=now), \
        [fx.RecordHelpCall(call.number, call.attempt, answered_by=st.on_duty.staff_number)]


def _console_loaded(state: FlowState, event: ev.StaffConsoleLoaded, now: datetime) -> Result:
    if state.staff.view != StaffView.CONSOLE:
        return state, []
    return _staff(state, console=ConsoleData(event.overrides, event.health, loading=False)), []


def _lockdown_recorded(state: FlowState, event: ev.LockdownExitRecorded, now: datetime) -> Result:
    st = state.staff
    if not st.busy or st.purpose != StaffPurpose.EXIT:
        return state, []
    if not event.ok:
        return _staff(state, busy=False, message=msg.LOCKDOWN_NOT_RECORDED), []
    return _staff(state, busy=False, view=None, purpose=None, lockdown_released=True), []


STAFF: Mapping[type, Callable[[FlowState, Any, datetime], Result]] = MappingProxyType({
    ev.HelpRequested: _help,
    ev.HelpPanelClosed: _help_closed,
    ev.StaffRequested: _requested,
    ev.StaffSignInSubmitted: _submitted,
    ev.StaffSignInAnswered: _answered,
    ev.StaffScreenClosed: _closed,
    ev.StaffCardRead: _card_read,
    ev.StaffSignedOut: _signed_out,
    ev.OverrideConfirmed: _override,
    ev.OverrideRecorded: _override_recorded,
    ev.HelpCallAnswered: _call_answered,
    ev.StaffConsoleLoaded: _console_loaded,
    ev.LockdownExitRecorded: _lockdown_recorded,
})
