"""The autopilot's staff scenario (`kiosk run --simulate --autopilot --scenario staff_override`):
a photo-attack citizen fails the face check three times, asks for staff verification, and a
clerk signs in by touching the digit pad, compares the person with the document and confirms
with a reason; the journey then goes on as usual. GUI thread only."""
from __future__ import annotations

import logging
from collections.abc import Callable

from kiosk.flows.journey import FlowState, Step
from kiosk.flows.staff_state import StaffView
from kiosk.ui.main_window import KioskWindow
from kiosk.ui.screens.face import FaceCheckScreen
from kiosk.ui.screens.staff import OverrideScreen, StaffConsoleScreen, StaffSignInScreen

log = logging.getLogger(__name__)
SCENARIOS = ("staff_override",)


class StaffPilot:
    """What a clerk does at the kiosk in the staff_override scenario."""

    def __init__(self, window: KioskWindow, credentials: tuple[str, str], shoot: Callable[[str], None]) -> None:
        self.window = window
        self.number, self.pin = credentials
        self.shoot = shoot
        self.overridden = False
        self._typed_for: object = None

    def face_failed_for_good(self, state: FlowState) -> bool:
        """The citizen presses "Staff verification" (True), unless staff have already been."""
        if self.overridden:
            return False
        screen = self.window.screens[Step.FACE_CHECK]
        assert isinstance(screen, FaceCheckScreen)
        if not screen.staff_check.isVisible():
            return False
        self.shoot("face_check_failed_staff")
        log.info("autopilot: face check failed %d times; asking for staff verification",
                 state.session.face.attempts if state.session else 0)
        screen.staff_check.click()
        return True

    def act(self, state: FlowState) -> bool:
        """Drive the staff screen on show; False when none is (or it is busy)."""
        st = state.staff
        if st.view is None or st.busy:
            return st.view is not None
        screen = self.window.staff_screens[st.view]
        if st.view == StaffView.SIGN_IN:
            assert isinstance(screen, StaffSignInScreen)
            if st.message is not None and self._typed_for is not None:
                log.error("autopilot: staff sign-in refused: %s", st.message.en)
                return False
            screen.pad.clear()
            screen.pad.select(pin=False)
            screen.pad.type(self.number)
            screen.pad.select(pin=True)
            screen.pad.type(self.pin)
            self.shoot("staff_sign_in")
            self._typed_for = state.attempt
            screen.sign_in.click()
        elif st.view == StaffView.OVERRIDE:
            assert isinstance(screen, OverrideScreen)
            self.shoot("override")
            self.overridden = True
            screen.confirm.click()   # the reason the screen preselects: the face check failed
        elif st.view == StaffView.CONSOLE:
            assert isinstance(screen, StaffConsoleScreen)
            screen.back.click()
        return True
