"""Moves every step handler uses, and the events that mean the same on every step.

Pure functions of (state, event, now); the GUI thread calls them through `journey.handle`.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from types import MappingProxyType
from typing import Any, TypeVar

from kiosk.domain.autofill import derive
from kiosk.domain.form import prefill
from kiosk.domain.text import Text
from kiosk.flows import effects as fx
from kiosk.flows import events as ev
from kiosk.flows import messages as msg
from kiosk.flows.assist_messages import COUNTER_ENDED
from kiosk.flows.staff_state import StaffState
from kiosk.flows.state import CARD_BOUND, NO_TIMEOUT, FlowState, Records, Session, Step

Result = tuple[FlowState, list[fx.Effect]]
V = TypeVar("V")


def frozen(d: Mapping[str, V]) -> MappingProxyType[str, V]:
    return MappingProxyType(dict(d))


def end(state: FlowState, notice: Text | None) -> Result:
    """Wipe the session and go back to the attract screen, in the kiosk's own language and in
    normal mode: the next citizen must not inherit this one's choices."""
    effects: list[fx.Effect] = []
    if state.step == Step.FACE_CHECK:
        effects.append(fx.StopFaceCheck())
    if state.step == Step.SCAN_RECEIPT:
        effects.append(fx.StopReceiptScan())
    effects.append(fx.WipeSession())
    staff, staff_effects = carry_over(state)
    return FlowState(config=state.config, lang=state.config.language, attempt=state.attempt, notice=notice,
                     intake_closed=state.intake_closed, sync_backlog=state.sync_backlog, staff=staff,
                     counter=state.counter, no_card_available=state.no_card_available), staff_effects + effects


def goto(state: FlowState, step: Step, now: datetime, **changes: Any) -> FlowState:
    return replace(state, step=step, last_activity=now, warning=False, **changes)


def merge(session: Session, values: Mapping[str, str]) -> Session:
    answers = dict(session.answers)
    answers.update({k: str(v) for k, v in values.items()})
    return replace(session, answers=frozen(answers))


def derived(state: FlowState, s: Session, now: datetime) -> Session:
    """The session with the catalogue's computed fields worked out again from its answers
    (kiosk.domain.autofill): after the chip, the records and every page."""
    answers, prefilled = derive(state.config.catalogue, s.answers, s.prefilled, s.verified, now.date())
    return replace(s, answers=frozen(answers), prefilled=frozen(prefilled))


def back(state: FlowState, s: Session, now: datetime, default: tuple[Step, int]) -> Result:
    """Go to where the citizen came from (the history), keeping every answer and photo."""
    prev_step, prev_page = s.history[-1] if s.history else default
    session = replace(s, page=prev_page, errors=frozen({}), history=s.history[:-1], capturing=None)
    return goto(state, prev_step, now, session=session, notice=None), []


def session_of(state: FlowState) -> Session:
    """The session of a step that cannot exist without one (a programming error otherwise)."""
    assert state.session is not None, f"step {state.step} without a session"
    return state.session


def records_answer(state: FlowState, s: Session, event: ev.Event) -> Result | None:
    """The records lookup's answer, taken while the citizen has not started the form yet (later,
    filling fields under their fingers would be a surprise; they type what is missing instead).
    Government values fill only fields with no answer yet, and count as verified."""
    if s.records is not Records.PENDING:
        return None
    if isinstance(event, ev.RecordsUnavailable):
        return replace(state, session=replace(s, records=Records.UNAVAILABLE)), []
    if not isinstance(event, ev.RecordsFound):
        return None
    found, _ = prefill(state.config.catalogue, None, event.data.values)
    new = {k: v for k, v in found.items() if k not in s.answers}
    session = replace(s, answers=frozen({**s.answers, **new}), prefilled=frozen({**s.prefilled, **new}),
                      verified=s.verified | frozenset(new), records=Records.FOUND, government=event.data)
    return replace(state, session=session), []


# --- events that mean the same on every step ---------------------------------------------------

def next_language(state: FlowState) -> str:
    """What the header's language switch offers next: the other one of two, or the next in
    kiosk.languages' order (round to the first) when there are more."""
    langs = state.config.languages
    return langs[(langs.index(state.lang) + 1) % len(langs)] if state.lang in langs else state.config.language


def _language(state: FlowState, event: ev.LanguageChosen, now: datetime) -> Result:
    lang = event.lang if event.lang in state.config.languages else state.config.language
    session = state.session
    if state.step == Step.FORM and session is not None and event.values:
        # What was typed on this page since the last Next survives the switch (checked on Next).
        session = merge(session, event.values)
    return replace(state, lang=lang, session=session, last_activity=now, warning=False), []


def _large(state: FlowState, event: ev.LargeModeChosen, now: datetime) -> Result:
    return replace(state, large=bool(event.on), last_activity=now, warning=False), []


def _active(state: FlowState, event: ev.UserActive, now: datetime) -> Result:
    state = staff_touched(state, now)
    if state.step in NO_TIMEOUT:
        return state, []
    return replace(state, last_activity=now, warning=False), []


def _tick(state: FlowState, event: ev.Tick, now: datetime) -> Result:
    idle = staff_idle(state, now)
    if idle is not None:
        return idle
    left = state.seconds_left(now)
    if left is None:
        if state.step == Step.ATTRACT and _chosen_then_left(state, now):
            # Someone chose a language or large mode and walked away without a card.
            return replace(state, lang=state.config.language, large=False, last_activity=None), []
        return state, []
    if left <= 0:
        return end(state, msg.TIMED_OUT)
    warn = left <= state.config.warning_seconds
    return (replace(state, warning=warn), []) if warn != state.warning else (state, [])


def _chosen_then_left(state: FlowState, now: datetime) -> bool:
    chosen = state.large or state.lang != state.config.language
    return chosen and state.last_activity is not None \
        and (now - state.last_activity).total_seconds() >= state.config.timeout_seconds


def _backlog(state: FlowState, event: ev.SyncBacklogChanged, now: datetime) -> Result:
    return replace(state, sync_backlog=(event.pending, event.since)), []


def _intake(state: FlowState, event: ev.IntakeChanged, now: datetime) -> Result:
    # A session under way finishes; the rule only stops new ones (on the attract screen).
    return replace(state, intake_closed=tuple(event.reasons)), []


def _cancel(state: FlowState, event: ev.CancelRequested, now: datetime) -> Result:
    if state.step in (Step.ATTRACT, Step.SUBMITTING):
        return state, []
    return end(state, msg.ENDED)


def _card_removed(state: FlowState, event: ev.CardRemoved, now: datetime) -> Result:
    if state.step in CARD_BOUND:
        return end(state, msg.CARD_REMOVED)
    if state.session is not None and state.session.identity is not None:
        # Already submitted: the application is safe; forget who the citizen is right away.
        s = replace(state.session, identity=None, prefilled=frozen({}), government=None)
        return replace(state, session=s, notice=msg.CARD_REMOVED_AFTER_SUBMIT if state.step != Step.SUBMITTING else None), []
    return state, []


# --- staff mode's share of the common moves (the rest is kiosk/flows/staff.py) ---------------------

def staff_touched(state: FlowState, now: datetime) -> FlowState:
    """Any touch while staff are signed in, a staff screen is open or counter mode is on keeps
    staff mode (and counter mode) alive."""
    st = state.staff
    if st.on_duty is None and st.view is None and state.counter is None:
        return state
    return replace(state, staff=replace(st, touched=now))


def staff_idle(state: FlowState, now: datetime) -> Result | None:
    """Staff mode and any open staff screen end after `staff_idle_seconds` untouched (StaffMode's
    rule, on the flow's clock); None while they are not idle."""
    st, counter = state.staff, state.counter
    # Counter mode ends only between citizens: a session under way has its own inactivity
    # timeout, which brings the kiosk back to the attract screen, where this one then applies.
    counter_ends = counter is not None and state.step == Step.ATTRACT
    if (st.on_duty is None and st.view is None and not counter_ends) or st.touched is None or st.busy:
        return None
    if (now - st.touched).total_seconds() < state.config.staff_idle_seconds:
        return None
    effects: list[fx.Effect] = []
    if st.on_duty is not None:
        effects.append(fx.EndStaffMode(st.on_duty.staff_number, "idle", state.attempt))
    if counter is not None and counter_ends:
        effects.append(fx.RecordCounterMode(counter.staff_number, "end", "idle"))
    # The citizen's clock starts again from here: the staff screen covered it until now.
    new = replace(state, staff=replace(st, view=None, purpose=None, on_duty=None, message=None, console=None,
                                       card_staff=None),
                  counter=None if counter_ends else counter,
                  notice=COUNTER_ENDED if counter_ends else state.notice,
                  last_activity=now if state.session else state.last_activity, warning=False)
    return new, effects


def carry_over(state: FlowState) -> tuple[StaffState, list[fx.Effect]]:
    """What of the staff state outlives a session: the open calls of the attract screen and the
    numbering; a signed-in staff member is signed out ("session_end")."""
    st = state.staff
    effects: list[fx.Effect] = []
    if st.on_duty is not None:
        effects.append(fx.EndStaffMode(st.on_duty.staff_number, "session_end", state.attempt))
    # A call from a session that has ended is still open for staff (the citizen may still be
    # there), but no longer the next citizen's: it is re-keyed to no session (-1).
    calls = tuple(replace(c, attempt=-1) if state.session is not None and c.attempt == state.attempt else c
                  for c in st.calls)
    # In counter mode the clerk stays at the counter: the staff clock runs on (counter mode's idle end).
    return StaffState(calls=calls, call_seq=st.call_seq, lockdown_released=st.lockdown_released,
                      touched=st.touched if state.counter is not None else None), effects


# Keyed by the event's exact type; each handler takes that type (hence Any).
COMMON: Mapping[type, Callable[[FlowState, Any, datetime], Result]] = MappingProxyType({
    ev.LanguageChosen: _language,
    ev.LargeModeChosen: _large,
    ev.UserActive: _active,
    ev.Tick: _tick,
    ev.SyncBacklogChanged: _backlog,
    ev.IntakeChanged: _intake,
    ev.CancelRequested: _cancel,
    ev.CardRemoved: _card_removed,
})
