"""The "staff are on their way" panel the help button opens: the call number, what happens next,
and a way for the arriving staff member to sign in. Over the whole window, like the timeout
warning; the citizen's screen stays as it was underneath."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QVBoxLayout, QWidget

from kiosk.flows import events as ev
from kiosk.flows import messages as msg
from kiosk.flows.journey import FlowState
from kiosk.flows.staff_state import StaffPurpose
from kiosk.ui import staff_strings as S
from kiosk.ui.screens.base import button, button_row, label


class HelpOverlay(QFrame):
    def __init__(self, parent: QWidget, dispatch: Callable[[ev.Event], None]) -> None:
        super().__init__(parent)
        self.setObjectName("overlay")
        box = QFrame()
        box.setObjectName("overlayBox")
        box.setFixedWidth(820)
        box.setProperty("baseFixedWidth", 820)   # kiosk.ui.scaling scales it with the theme
        lay = QVBoxLayout(box)
        lay.setContentsMargins(40, 30, 40, 30)
        lay.setSpacing(16)
        self.title = label("", "title", align=Qt.AlignmentFlag.AlignCenter)
        self.number = label("", "countdown", align=Qt.AlignmentFlag.AlignCenter)
        self.body = label("", "subtitle", wrap=True, align=Qt.AlignmentFlag.AlignCenter)
        self.next = label("", "help", wrap=True, align=Qt.AlignmentFlag.AlignCenter)
        self.staff = button("")
        self.close_button = button("", "primary")
        self.staff.clicked.connect(lambda: dispatch(ev.StaffRequested(StaffPurpose.HELP)))
        self.close_button.clicked.connect(lambda: dispatch(ev.HelpPanelClosed()))
        for w in (self.title, self.number, self.body, self.next):
            lay.addWidget(w)
        row = button_row(self.staff, self.close_button)
        row.addStretch(1)
        lay.addLayout(row)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(box, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(1)
        self.hide()

    def render(self, state: FlowState) -> None:  # type: ignore[override]  # QWidget.render is not virtual (see Screen.render)
        lang = state.lang
        call = state.help_call()
        n = call.number if call else ""
        self.title.setText(S.HELP_TITLE.format(n="").get(lang).rstrip(": ："))
        self.number.setText(n)
        self.body.setText(msg.HELP_ON_THE_WAY.get(lang))
        self.next.setText(S.HELP_NEXT.get(lang))
        self.staff.setText(S.STAFF_HERE.get(lang))
        self.close_button.setText(S.HELP_CLOSE.get(lang))
