"""The citizen journey: a pure state machine, unit-tested without Qt.

    handle(state, event, now) -> (new_state, effects)

Only the GUI thread calls `handle`; device workers post events back through the UI bridge.
Screens are bound to `Step` names, render the state, and emit events; they never decide where
to go next. The state lives in `kiosk.flows.state`, the events every step treats alike in
`kiosk.flows.common`, and one handler per step in the `HANDLERS` table of `kiosk.flows.handlers`.
"""
from __future__ import annotations

from datetime import datetime

from kiosk.flows import events as ev
from kiosk.flows.assist import ASSIST
from kiosk.flows.common import COMMON, Result
from kiosk.flows.handlers import HANDLERS
from kiosk.flows.staff import STAFF
from kiosk.flows.staff import card_inserted as staff_card_inserted
from kiosk.flows.state import (CARD_BOUND, NO_TIMEOUT, FaceState, FlowConfig, FlowState, ReceiptState, Session, Step,
                               initial_state)

__all__ = ["CARD_BOUND", "NO_TIMEOUT", "FaceState", "FlowConfig", "FlowState", "ReceiptState", "Result", "Session",
           "Step", "handle", "initial_state"]


def handle(state: FlowState, event: ev.Event, now: datetime) -> Result:
    """Apply one event. Pure: the same inputs give the same outputs; nothing is mutated."""
    common = COMMON.get(type(event))
    if common is not None:
        return common(state, event, now)
    staff = STAFF.get(type(event))
    if staff is not None:
        return staff(state, event, now)
    if isinstance(event, ev.CardInserted):
        # On the staff sign-in screen a card is the staff member's own ID card.
        signing_in = staff_card_inserted(state, event, now)
        if signing_in is not None:
            return signing_in
    assist = ASSIST.get(type(event))
    if assist is not None:
        return assist(state, event, now)
    # Results that belong to a session that has ended are dropped.
    attempt = getattr(event, "attempt", None)
    if attempt is not None and attempt != state.attempt:
        return state, []
    return HANDLERS[state.step](state, event, now)
