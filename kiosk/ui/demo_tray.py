"""The demo tray's staff card: the demo clerk's own ID card, offered only while the staff sign-in
is open (anywhere else an ID card is a citizen's, and the tray already holds the citizens').

Demo only: built by kiosk/ui/app.py when the kiosk runs on the demo's card reader.
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QBoxLayout, QPushButton

from kiosk.flows.journey import FlowState
from kiosk.flows.staff_state import StaffView
from kiosk.i18n import tr
from kiosk.ui.controller import KioskController
from kiosk.ui.main_window import KioskWindow

DEMO_STAFF_CARD = tr("演示：放置工作人员本人证件")


class StaffCardButton(QPushButton):
    """Shown only on the staff sign-in. A QObject slot, so that the connection to the controller
    ends with the button (a plain function would outlive it). GUI thread."""

    def __init__(self, insert: Callable[[], None]) -> None:
        super().__init__()
        self.setObjectName("demoButton")
        self.clicked.connect(insert)

    @Slot(object)
    def on_state(self, state: FlowState) -> None:
        self.setText(DEMO_STAFF_CARD.get(state.lang))
        self.setVisible(state.staff.view == StaffView.SIGN_IN)


def add_staff_card_button(window: KioskWindow, controller: KioskController,
                          insert: Callable[[], None]) -> StaffCardButton:
    """Put the button in the demo tray, before "remove card". GUI thread; `insert` must not block
    (the simulated reader only records the card; the card thread reads it)."""
    b = StaffCardButton(insert)
    layout = window.footer.layout()
    assert isinstance(layout, QBoxLayout)
    at = layout.indexOf(window.demo_remove) if window.demo_remove is not None else -1
    if at >= 0:
        layout.insertWidget(at, b)
    else:
        layout.addWidget(b)
    controller.state_changed.connect(b.on_state)
    b.on_state(controller.state)
    return b
