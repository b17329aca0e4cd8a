"""Assisted applications as pure moves (issue 12 parts 4-6). The GUI thread calls them through
`journey.handle`: `ASSIST[type(event)]` for the events that mean the same on every step (counter
mode, consent on the citizen's screen, the no-card path's availability), and `STEP_HANDLERS` for
the steps of their own, which `kiosk.flows.handlers.HANDLERS` includes.

  For someone else (代办): on the choose screen the agent (card read, face checked) presses "For
  someone else"; a new attempt starts (so the agent's records lookup cannot land on the
  principal), the agent swaps their card for the principal's, picks the relationship, photographs
  the authorisation, and chooses among the bundles whose catalogue entry allows proxies. The
  principal is the applicant (the form is prefilled from their card and records).

  Without the card (刷脸办): the ID number is typed and checked (GB 11643 check character), the
  IdentityService's reference photo of that number is fetched, and the usual face check (with
  liveness) runs against it. Not offered while the service is unavailable (offline).

  Counter mode: a signed-in clerk (`state.staff.on_duty`, kiosk/flows/staff_state.py) switches it
  on between citizens (one touch on the staff console, or by itself on a `[staff] counter_desk`
  kiosk); it holds the clerk's number, which every application then records. Consent counts only
  from the citizen's own screen (CitizenConsented). It ends by the clerk's touch, with staff
  sign-out, and with staff mode's idle timeout (kiosk/flows/staff.py, common.py).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from types import MappingProxyType
from typing import Any

from kiosk.domain.assisted import AUTHORISATION, RELATIONSHIPS
from kiosk.domain.form import prefill
from kiosk.domain.idnumber import is_valid_resident_id
from kiosk.flows import assist_messages as am
from kiosk.flows import effects as fx
from kiosk.flows import events as ev
from kiosk.flows import messages as msg
from kiosk.flows.assist_state import CounterMode, NoCardState, ProxyState
from kiosk.flows.common import Result, end, frozen, goto, records_answer, session_of
from kiosk.flows.staff_state import StaffView
from kiosk.flows.state import FaceState, FlowState, Records, Session, Step

CLERK_ROLES = frozenset({"clerk", "supervisor"})


def new_session(state: FlowState, step: Step, now: datetime, session: Session | None) -> FlowState:
    """A fresh session on `step` with the next attempt number; what belongs to the kiosk stays."""
    return FlowState(config=state.config, lang=state.lang, step=step, attempt=state.attempt + 1, last_activity=now,
                     intake_closed=state.intake_closed, sync_backlog=state.sync_backlog, staff=state.staff,
                     counter=state.counter, no_card_available=state.no_card_available, session=session)


def empty_session(**changes: Any) -> Session:
    return Session(identity=None, prefilled=frozen({}), verified=frozenset(), answers=frozen({}), **changes)


# --- for someone else ------------------------------------------------------------------------------

def start_proxy(state: FlowState, s: Session, now: datetime) -> Result:
    """On the choose screen: the agent will now place the principal's card."""
    if s.proxy is not None or s.identity is None or s.bundle_id is not None:
        return state, []
    session = empty_session(face=s.face, proxy=ProxyState(agent=s.identity), records=Records.UNAVAILABLE)
    return new_session(state, Step.PROXY_PRINCIPAL, now, session), []


def _proxy_principal(state: FlowState, event: ev.Event, now: datetime) -> Result:
    s = session_of(state)
    proxy = s.proxy
    assert proxy is not None, "the proxy steps need a proxy"
    if isinstance(event, ev.CardInserted) and not proxy.reading:
        return goto(state, Step.PROXY_PRINCIPAL, now, session=replace(s, proxy=replace(proxy, reading=True)),
                    notice=None), [fx.ReadCard(state.attempt)]
    if not proxy.reading:
        return state, []
    idle = replace(s, proxy=replace(proxy, reading=False))
    if isinstance(event, ev.CardFailed):
        return goto(state, Step.PROXY_PRINCIPAL, now, session=idle, notice=event.reason), []
    if isinstance(event, ev.AccessKeyNeeded):
        return goto(state, Step.PROXY_PRINCIPAL, now, session=idle, notice=am.PRINCIPAL_KEY_NEEDED), []
    if not isinstance(event, ev.CardRead):
        return state, []
    ident = event.identity
    if not event.genuine:
        return goto(state, Step.PROXY_PRINCIPAL, now, session=idle, notice=event.problem or msg.NOT_GENUINE), []
    if ident.is_expired(now.date()):
        return goto(state, Step.PROXY_PRINCIPAL, now, session=idle, notice=msg.EXPIRED), []
    agent = proxy.agent
    if ident.document_number == agent.document_number or (
            ident.personal_number and ident.personal_number == agent.personal_number):
        return goto(state, Step.PROXY_PRINCIPAL, now, session=idle, notice=am.SAME_CARD), []
    # The principal is the applicant: their card prefills the form and their records are looked up.
    answers, verified = prefill(state.config.catalogue, ident)
    session = Session(identity=ident, prefilled=frozen(answers), verified=verified, answers=frozen(answers),
                      face=s.face, proxy=replace(proxy, reading=False), records=Records.PENDING)
    return goto(state, Step.PROXY_RELATIONSHIP, now, session=session, notice=None), \
        [fx.LookUpRecords(state.attempt, ident, state.config.records_timeout_seconds)]


def _proxy_relationship(state: FlowState, event: ev.Event, now: datetime) -> Result:
    s = session_of(state)
    records = records_answer(state, s, event)
    if records is not None:
        return records
    if isinstance(event, ev.RelationshipChosen) and event.relationship in RELATIONSHIPS and s.proxy is not None:
        proxy = replace(s.proxy, relationship=event.relationship)
        return goto(state, Step.PROXY_AUTHORISATION, now, session=replace(s, proxy=proxy), notice=None), []
    return state, []


def _proxy_authorisation(state: FlowState, event: ev.Event, now: datetime) -> Result:
    s = session_of(state)
    records = records_answer(state, s, event)
    if records is not None:
        return records
    proxy = s.proxy
    assert proxy is not None, "the proxy steps need a proxy"
    here = Step.PROXY_AUTHORISATION
    if isinstance(event, ev.BackRequested) and not proxy.capturing:
        return goto(state, Step.PROXY_RELATIONSHIP, now, notice=None), []
    if isinstance(event, ev.MaterialCaptureRequested) and event.material_id == AUTHORISATION and not proxy.capturing:
        return goto(state, here, now, session=replace(s, proxy=replace(proxy, capturing=True)), notice=None), \
            [fx.CaptureMaterial(state.attempt, AUTHORISATION)]
    if isinstance(event, ev.MaterialCaptured) and event.material_id == AUTHORISATION and proxy.capturing:
        done = replace(proxy, capturing=False, authorisation=event.image)
        return goto(state, here, now, session=replace(s, proxy=done)), []
    if isinstance(event, ev.MaterialCaptureFailed) and event.material_id == AUTHORISATION and proxy.capturing:
        return goto(state, here, now, session=replace(s, proxy=replace(proxy, capturing=False)), notice=event.reason), []
    if isinstance(event, ev.NextRequested) and not proxy.capturing:
        if not proxy.authorisation:
            return goto(state, here, now, notice=am.AUTHORISATION_NEEDED), []
        return goto(state, Step.CHOOSE_BUNDLE, now, notice=am.PROXY_CHOOSE), []
    return state, []


def proxy_refuses(state: FlowState, bundle_id: str) -> bool:
    """True when this is an application for someone else and the bundle does not allow it."""
    if state.session is None or state.session.proxy is None:
        return False
    try:
        return not state.config.catalogue.bundle(bundle_id).proxy_allowed
    except KeyError:
        return True


# --- without the card ----------------------------------------------------------------------------------

def start_no_card(state: FlowState, now: datetime) -> Result:
    if state.intake_closed:
        return replace(state, notice=msg.INTAKE_CLOSED), []
    if not state.no_card_available:
        return replace(state, notice=am.NO_CARD_OFFLINE), []
    return new_session(state, Step.ID_NUMBER, now, empty_session(no_card=NoCardState())), []


def _id_number(state: FlowState, event: ev.Event, now: datetime) -> Result:
    s = session_of(state)
    nc = s.no_card or NoCardState()
    if isinstance(event, ev.BackRequested) and not nc.fetching:
        return end(state, None)
    if isinstance(event, ev.IdNumberEntered) and not nc.fetching:
        number = event.number.strip().upper()
        if not is_valid_resident_id(number, now.date()):
            return goto(state, Step.ID_NUMBER, now, notice=am.ID_NUMBER_INVALID), []
        return goto(state, Step.ID_NUMBER, now, session=replace(s, no_card=NoCardState(number, True)), notice=None), \
            [fx.FetchReference(state.attempt, number, state.config.reference_timeout_seconds)]
    if isinstance(event, ev.ReferenceUnavailable) and nc.fetching:
        changes: dict[str, Any] = {"no_card_available": False} if event.offline else {}
        return goto(state, Step.ID_NUMBER, now, session=replace(s, no_card=replace(nc, fetching=False)),
                    notice=event.reason, **changes), []
    if isinstance(event, ev.ReferenceFound) and nc.fetching:
        ident = event.identity
        if ident.personal_number != nc.id_number or not ident.photo:   # an answer about someone else
            return goto(state, Step.ID_NUMBER, now, session=replace(s, no_card=replace(nc, fetching=False)),
                        notice=am.ID_NUMBER_INVALID), []
        answers, verified = prefill(state.config.catalogue, ident)
        session = Session(identity=ident, prefilled=frozen(answers), verified=verified, answers=frozen(answers),
                          face=FaceState(checking=True), no_card=replace(nc, fetching=False))
        return goto(state, Step.FACE_CHECK, now, session=session, notice=None), \
            [fx.StartFaceCheck(state.attempt, ident.photo),
             fx.LookUpRecords(state.attempt, ident, state.config.records_timeout_seconds)]
    return state, []


# --- counter mode and the events alike on every step --------------------------------------------------

def _counter_requested(state: FlowState, event: ev.CounterModeRequested, now: datetime) -> Result:
    clerk = state.staff.on_duty
    if state.counter is not None or state.step != Step.ATTRACT:
        return state, []
    if clerk is None or clerk.role not in CLERK_ROLES:
        return replace(state, notice=am.COUNTER_CLERK_NEEDED), []
    # From the staff console it is one touch: the console closes and the clerk is at the counter.
    # The staff clock starts again: counter mode ends with staff mode's idle timeout.
    st = state.staff
    staff = replace(st, view=None, purpose=None, message=None, console=None, touched=now) \
        if st.view == StaffView.CONSOLE else replace(st, touched=now)
    return replace(state, counter=CounterMode(clerk.staff_number, now), staff=staff, notice=None), \
        [fx.RecordCounterMode(clerk.staff_number, "start")]


def _counter_recorded(state: FlowState, event: ev.CounterModeRecorded, now: datetime) -> Result:
    c = state.counter
    if c is None or c.confirmed:
        return state, []
    if not event.ok:
        return replace(state, counter=None, notice=am.COUNTER_NOT_RECORDED), []
    return replace(state, counter=replace(c, confirmed=True), notice=am.COUNTER_STARTED), []


def _counter_ended(state: FlowState, event: ev.CounterModeEnded, now: datetime) -> Result:
    c = state.counter
    if c is None or not c.confirmed or state.step != Step.ATTRACT:
        return state, []
    return replace(state, counter=None, notice=am.COUNTER_ENDED), [fx.RecordCounterMode(c.staff_number, "end")]


def _citizen_consented(state: FlowState, event: ev.CitizenConsented, now: datetime) -> Result:
    s = state.session
    if state.step != Step.REVIEW or s is None or s.draft is None:
        return state, []
    return replace(state, session=replace(s, consent=True), last_activity=now, warning=False, notice=None), []


def _service(state: FlowState, event: ev.IdentityServiceChanged, now: datetime) -> Result:
    if state.no_card_available == event.available:
        return state, []
    return replace(state, no_card_available=event.available), []


def counter_staff(state: FlowState) -> str | None:
    """The clerk an application made now records: the one driving counter mode, once audited."""
    c = state.counter
    return c.staff_number if c is not None and c.confirmed else None


ASSIST: Mapping[type, Callable[[FlowState, Any, datetime], Result]] = MappingProxyType({
    ev.CounterModeRequested: _counter_requested,
    ev.CounterModeRecorded: _counter_recorded,
    ev.CounterModeEnded: _counter_ended,
    ev.CitizenConsented: _citizen_consented,
    ev.IdentityServiceChanged: _service,
})

STEP_HANDLERS: Mapping[Step, Callable[[FlowState, ev.Event, datetime], Result]] = MappingProxyType({
    Step.PROXY_PRINCIPAL: _proxy_principal,
    Step.PROXY_RELATIONSHIP: _proxy_relationship,
    Step.PROXY_AUTHORISATION: _proxy_authorisation,
    Step.ID_NUMBER: _id_number,
})
