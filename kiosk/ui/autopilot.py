"""Autopilot: walks the whole journey by itself, through the real widgets (trade-fair demos,
smoke tests, screenshots). GUI thread only; every wait is bounded by the overall deadline."""
from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QObject, QTimer

from kiosk.domain.samples import sample_answer
from kiosk.flows.journey import FlowState, Step
from kiosk.ui.main_window import KioskWindow
from kiosk.ui.screens.choose import ChooseBundleScreen
from kiosk.ui.screens.form import FormScreen
from kiosk.ui.screens.materials import MaterialsScreen
from kiosk.ui.screens.receipt import RatingScreen, ReceiptScreen
from kiosk.ui.screens.review import ReviewScreen

log = logging.getLogger(__name__)


class Autopilot(QObject):
    """Drives `window` from attract to rating once, then calls `finish(exit_code)`."""

    def __init__(self, window: KioskWindow, insert_card: Callable[[], None], remove_card: Callable[[], None],
                 finish: Callable[[int], None], bundle_id: str | None = None, deadline_s: float = 120.0,
                 step_delay_ms: int = 400, on_step: Callable[[str], None] | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.insert_card, self.remove_card = insert_card, remove_card
        self.finish = finish
        self.bundle_id = bundle_id
        self.delay = step_delay_ms
        self.on_step = on_step or (lambda name: None)
        self.started = False
        self.receipt_location: str | None = None
        self._done = False
        self._pending = False
        self._rng = random.Random(7)  # noqa: S311 - plausible demo answers, repeatable, not secrets
        window.controller.state_changed.connect(self._on_state_changed)
        QTimer.singleShot(int(deadline_s * 1000), self._on_deadline)

    def start(self) -> None:
        QTimer.singleShot(self.delay, self._act)

    def _on_state_changed(self, state: FlowState) -> None:
        if not self._pending:
            self._pending = True
            QTimer.singleShot(self.delay, self._act)

    def _end(self, code: int) -> None:
        if not self._done:
            self._done = True
            self.finish(code)

    def _on_deadline(self) -> None:
        log.error("autopilot: the journey did not finish in time (stuck at %s)", self.window.controller.state.step.value)
        self._end(2)

    def _act(self) -> None:
        self._pending = False
        if self._done:
            return
        state = self.window.controller.state
        step = state.step
        now = datetime.now()
        if step == Step.ATTRACT:
            if not self.started:
                self.on_step("attract")
                self.started = True
                self.insert_card()
            elif self.receipt_location:
                self.on_step("thanks")
                self._end(0)
            elif state.notice is not None:
                log.error("autopilot: the session ended early: %s", state.notice.en)
                self._end(1)
        elif step == Step.FACE_CHECK:
            face = state.session.face if state.session else None
            if face and not face.checking:
                log.error("autopilot: face check failed: %s", face.message.en if face.message else "")
                self._end(1)
            else:
                self.on_step("face_check")
        elif step == Step.CHOOSE_BUNDLE:
            self.on_step("choose_bundle")
            bundle = self.bundle_id or state.config.catalogue.bundles[0].id
            choose = self.window.screens[Step.CHOOSE_BUNDLE]
            assert isinstance(choose, ChooseBundleScreen)
            choose.buttons[bundle].click()
        elif step == Step.FORM:
            screen = self.window.screens[Step.FORM]
            assert isinstance(screen, FormScreen)
            s = state.session
            if s and s.errors:
                log.error("autopilot: a generated answer was refused on page %d", s.page + 1)
                self._end(1)
                return
            for w in screen.fields.values():
                if not w.value():
                    w.set_value(sample_answer(w.field, now.date(), self._rng))
            self.on_step(f"form_page_{(s.page if s else 0) + 1}")
            screen.next.click()
        elif step == Step.MATERIALS:
            s = state.session
            materials = self.window.screens[Step.MATERIALS]
            assert isinstance(materials, MaterialsScreen)
            if s is None or s.capturing is not None:
                return
            todo = [m for m in state.materials(now) if not m.held_by_government and m.id not in s.attachments]
            if todo:
                materials.capture_buttons[todo[0].id].click()
            else:
                self.on_step("materials")
                materials.next.click()
        elif step == Step.REVIEW:
            screen = self.window.screens[Step.REVIEW]
            assert isinstance(screen, ReviewScreen)
            screen.consent.setChecked(True)
            self.on_step("review")
            screen.submit.click()
        elif step == Step.RECEIPT:
            screen = self.window.screens[Step.RECEIPT]
            assert isinstance(screen, ReceiptScreen)
            r = state.session.receipt if state.session else None
            if r is None or r.printing:
                self._pending = True
                QTimer.singleShot(self.delay, self._act)
                return
            if r.error:
                log.error("autopilot: printing failed: %s", r.error.en)
                self._end(1)
                return
            self.receipt_location = r.location
            self.on_step("receipt")
            self.remove_card()   # the citizen takes the card back with the receipt
            screen.cont.click()
        elif step == Step.RATING:
            screen = self.window.screens[Step.RATING]
            assert isinstance(screen, RatingScreen)
            self.on_step("rating")
            screen.buttons[4].click()
