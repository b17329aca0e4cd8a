"""Counter mode's windows (issue 12 part 4). GUI thread only.

While `state.counter` is set (a signed-in clerk switched it on with one touch on the staff console,
or, on a `[staff] counter_desk` kiosk, by signing in; kiosk/flows/assist.py), a second,
clerk-facing `ClerkWindow` shows the same screens from the same controller, and the clerk drives
the journey there. The citizen-facing window becomes read-only: its screens render the state and
mirror what the clerk is typing on the form, and its only control is the consent button on the
review, so consent comes from the citizen's own screen (CitizenConsented) and never the clerk's.
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QVBoxLayout

from kiosk.devices.ports import Camera
from kiosk.domain.text import Text
from kiosk.flows import events as ev
from kiosk.flows.journey import FlowState, Step
from kiosk.ui import assist_strings as A
from kiosk.ui.controller import KioskController
from kiosk.ui.main_window import KioskWindow
from kiosk.ui.screens.base import button, label
from kiosk.ui.screens.form import FormScreen
from kiosk.ui.screens.review import ReviewScreen

MIRROR_MS = 200      # how often the citizen's form copies what the clerk is typing


def _bar(window: KioskWindow, name: str) -> tuple[QFrame, QHBoxLayout]:
    """A strip under the window's header (above its screens)."""
    bar = QFrame()
    bar.setObjectName(name)
    bar.setStyleSheet("QFrame { background: #fff4d6; border-bottom: 2px solid #d4a72c; }")
    row = QHBoxLayout(bar)
    row.setContentsMargins(28, 8, 28, 8)
    central = window.centralWidget()
    layout = central.layout() if central is not None else None
    assert isinstance(layout, QVBoxLayout)
    layout.insertWidget(1, bar)
    bar.hide()
    return bar, row


class ClerkWindow(KioskWindow):
    """The clerk's window: the kiosk's screens, driven by the clerk, with the counter bar."""

    def __init__(self, controller: KioskController, kiosk_name: Text, camera: Callable[[], Camera | None]) -> None:
        super().__init__(controller, kiosk_name, camera)
        self.setWindowTitle("OneVisit Kiosk · counter (clerk)")
        self.counter_bar, row = _bar(self, "counterBar")
        self.counter_text = label("", "help", wrap=True)
        self.end_counter = button("")
        self.end_counter.clicked.connect(lambda: controller.dispatch(ev.CounterModeEnded()))
        row.addWidget(self.counter_text, 1)
        row.addWidget(self.end_counter)
        self.counter_bar.show()
        self._on_counter_state(controller.state)
        controller.state_changed.connect(self._on_counter_state)

    def _on_counter_state(self, state: FlowState) -> None:
        c = state.counter
        self.counter_text.setText(A.COUNTER_CLERK_BAR.format(n=c.staff_number if c else "-").get(state.lang))
        self.end_counter.setText(A.COUNTER_END.get(state.lang))
        self.end_counter.setEnabled(state.step == Step.ATTRACT)
        review = self.screens[Step.REVIEW]
        assert isinstance(review, ReviewScreen)
        # The clerk cannot consent for the citizen: the box only shows what the citizen did.
        consented = state.session is not None and state.session.consent
        review.consent.setEnabled(False)
        review.consent.setChecked(consented)
        review.consent.setText((A.COUNTER_CITIZEN_AGREED if consented else A.COUNTER_WAITING_CONSENT).get(state.lang))


class CounterDesk(QObject):
    """Opens and closes the clerk window with counter mode, and makes the citizen's window a
    read-only mirror meanwhile. `counter_desk`: this kiosk is a staffed counter, so a clerk's
    sign-in ([staff] counter_desk) switches counter mode on by itself."""

    def __init__(self, window: KioskWindow, controller: KioskController, kiosk_name: Text,
                 camera: Callable[[], Camera | None], counter_desk: bool = False) -> None:
        super().__init__(window)
        self.window, self.controller = window, controller
        self._kiosk_name, self._camera = kiosk_name, camera
        self.counter_desk = counter_desk
        self._auto_for: object = None      # the sign-in counter mode was last switched on for by itself
        self.clerk: ClerkWindow | None = None
        self.citizen_bar, row = _bar(window, "citizenCounterBar")
        self.citizen_text = label("", "help", wrap=True)
        self.consent = button("", "primary")
        self.consent.setMinimumHeight(70)
        self.consent.clicked.connect(lambda: controller.dispatch(ev.CitizenConsented()))
        row.addWidget(self.citizen_text, 1)
        row.addWidget(self.consent, 0, Qt.AlignmentFlag.AlignVCenter)
        self.mirror = QTimer(self)
        self.mirror.setInterval(MIRROR_MS)
        self.mirror.timeout.connect(self._on_mirror_timeout)
        controller.state_changed.connect(self._on_state_changed)
        self._on_state_changed(controller.state)

    def _on_state_changed(self, state: FlowState) -> None:
        on = state.counter is not None and state.counter.confirmed
        duty = state.staff.on_duty
        # Once per sign-in: a clerk who ends counter mode from the console stays out of it.
        if self.counter_desk and state.counter is None and state.step == Step.ATTRACT \
                and duty is not None and duty.role in ("clerk", "supervisor") and duty is not self._auto_for:
            self._auto_for = duty
            QTimer.singleShot(0, lambda: self.controller.dispatch(ev.CounterModeRequested()))
        if on and self.clerk is None:
            self.clerk = ClerkWindow(self.controller, self._kiosk_name, self._camera)
            self.clerk.resize(self.window.size())
            self.clerk.show()
            self.mirror.start()
        elif not on and self.clerk is not None:
            self.close()
        # The citizen's screens show the state but take no input while the clerk drives.
        self.window.stack.setEnabled(not on)
        self.citizen_bar.setVisible(on)
        if on:
            assert state.counter is not None
            review = state.step == Step.REVIEW and state.session is not None and state.session.draft is not None
            consented = review and state.session is not None and state.session.consent
            text = A.COUNTER_CONSENTED if consented else A.COUNTER_CITIZEN_BAR.format(n=state.counter.staff_number)
            self.citizen_text.setText(text.get(state.lang))
            self.consent.setText(A.COUNTER_CONSENT.get(state.lang))
            self.consent.setVisible(review and not consented)

    def _on_mirror_timeout(self) -> None:
        """Copy what the clerk has typed on the form page to the citizen's (read-only) copy."""
        if self.clerk is None or self.controller.state.step != Step.FORM:
            return
        theirs, ours = self.clerk.screens[Step.FORM], self.window.screens[Step.FORM]
        assert isinstance(theirs, FormScreen) and isinstance(ours, FormScreen)
        for fid, w in theirs.fields.items():
            mine = ours.fields.get(fid)
            if mine is not None and mine.value() != w.value():
                mine.set_value(w.value())

    def close(self) -> None:
        """Close the clerk window and let Qt delete it now, on this thread: a top-level window
        left to Python's garbage collector would be destroyed whenever a collection runs, after
        the controller and screens it is connected to may be gone."""
        self.mirror.stop()
        clerk, self.clerk = self.clerk, None
        if clerk is not None:
            clerk.close()
            clerk.deleteLater()
