"""Owns the FlowState on the GUI thread: feeds events to the flow and effects to the runtime."""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QEvent, QObject, QTimer, Signal

from kiosk.flows import effects as fx
from kiosk.flows import events as ev
from kiosk.flows.journey import FlowState, handle

log = logging.getLogger(__name__)

_ACTIVITY = {QEvent.Type.MouseButtonPress, QEvent.Type.KeyPress, QEvent.Type.TouchBegin}


class KioskController(QObject):
    """GUI thread only. `dispatch` is the single place the flow's state changes."""

    state_changed = Signal(object)

    def __init__(self, state: FlowState, clock: Callable[[], datetime] = datetime.now) -> None:
        super().__init__()
        self.state = state
        self.clock = clock
        self._perform: Callable[[fx.Effect], None] = lambda effect: None
        self.tick = QTimer(self)
        self.tick.setInterval(1000)
        self.tick.timeout.connect(self._on_tick_timeout)

    def attach(self, perform: Callable[[fx.Effect], None]) -> None:
        self._perform = perform
        self.tick.start()

    def dispatch(self, event: ev.Event) -> None:
        before = self.state
        self.state, effects = handle(self.state, event, self.clock())
        if self.state.step != before.step:
            log.info("step %s -> %s", before.step.value, self.state.step.value)
        for effect in effects:
            try:
                self._perform(effect)
            except Exception:  # a device fault must not take the flow down with it
                log.exception("effect %s failed", type(effect).__name__)
        if self.state is not before:
            self.state_changed.emit(self.state)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() in _ACTIVITY:
            self.dispatch(ev.UserActive())
        return False

    def _on_tick_timeout(self) -> None:
        self.dispatch(ev.Tick())
