"""The autopilot's `--scenario proxy` (issue 12 part 5): the agent's card and face check, then
"For someone else", the agent's card off and the principal's on, the relationship, the
authorisation photographed with the (simulated) document camera; the Autopilot then chooses the
journey's bundle (one that allows proxies) and walks on to the receipt. GUI thread only."""
from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QTimer

from kiosk.devices.sim.citizens import DemoCitizen
from kiosk.flows.journey import FlowState, Step
from kiosk.ui.main_window import KioskWindow
from kiosk.ui.screens.assist import AuthorisationScreen, RelationshipScreen
from kiosk.ui.screens.choose import ChooseBundleScreen

log = logging.getLogger(__name__)

SWAP_MS = 700        # > the card thread's removal poll (0.25 s), so it sees the agent's card go


class ProxyPilot:
    def __init__(self, window: KioskWindow, principal: DemoCitizen, insert_card: Callable[[DemoCitizen], None],
                 remove_card: Callable[[], None], shoot: Callable[[str], None], relationship: str = "child") -> None:
        self.window, self.principal = window, principal
        self.insert_card, self.remove_card, self.shoot = insert_card, remove_card, shoot
        self.relationship = relationship
        self._swapping = False

    def act(self, state: FlowState) -> bool:
        """Do the proxy's part of the current step; False when it is the Autopilot's to do."""
        s = state.session
        if state.step == Step.CHOOSE_BUNDLE and s is not None and s.proxy is None:
            choose = self.window.screens[Step.CHOOSE_BUNDLE]
            assert isinstance(choose, ChooseBundleScreen)
            choose.for_someone_else.click()
            return True
        if state.step == Step.PROXY_PRINCIPAL:
            if s is not None and s.proxy is not None and not s.proxy.reading and not self._swapping:
                self.shoot("proxy_principal")
                self._swapping = True
                self.remove_card()                      # the agent takes their own card back
                QTimer.singleShot(SWAP_MS, self._insert_principal)
            return True
        if state.step == Step.PROXY_RELATIONSHIP:
            screen = self.window.screens[Step.PROXY_RELATIONSHIP]
            assert isinstance(screen, RelationshipScreen)
            self.shoot("proxy_relationship")
            screen.buttons[self.relationship].click()
            return True
        if state.step == Step.PROXY_AUTHORISATION:
            screen = self.window.screens[Step.PROXY_AUTHORISATION]
            assert isinstance(screen, AuthorisationScreen)
            p = s.proxy if s is not None else None
            if p is None or p.capturing:
                return True
            if not p.authorisation:
                screen.capture.click()
            else:
                self.shoot("proxy_authorisation")
                screen.next.click()
            return True
        if state.step == Step.CHOOSE_BUNDLE:
            self.shoot("proxy_choose_bundle")
        return False

    def _insert_principal(self) -> None:
        self._swapping = False
        if self.window.controller.state.step == Step.PROXY_PRINCIPAL:
            log.info("autopilot: the principal's card goes on the reader")
            self.insert_card(self.principal)
