"""The citizen journey as a pure state machine: handle(state, event, now) -> (state, effects)."""
