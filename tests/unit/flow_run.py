"""Feeding the pure flow a list of events, for the flow tests."""
from __future__ import annotations

from kiosk.flows.journey import handle


def run(state, events, now):
    """The state after `events` (all at `now`) and every effect they asked for, in order."""
    effects = []
    for e in events:
        state, out = handle(state, e, now)
        effects.extend(out)
    return state, effects
