"""Materials: what the government already holds for this citizen (as their records lookup said),
and what to photograph here (once each). Render-only: `state.materials(now)` decides."""
from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from kiosk.flows import events as ev
from kiosk.flows.journey import FlowState
from kiosk.ui import strings as S
from kiosk.ui.screens.base import Screen, button, button_row, clear_layout, label
from kiosk.ui.touch import ScrollPanel


class MaterialsScreen(Screen):
    def __init__(self) -> None:
        super().__init__()
        self.title = label("", "title", wrap=True)
        self.sub = label("", "subtitle", wrap=True)
        self.body = QWidget()
        self.body_layout = QVBoxLayout(self.body)
        self.body_layout.setSpacing(12)
        self.panel = ScrollPanel(self.body)
        self.back = button("")
        self.next = button("", "primary")
        self.back.clicked.connect(lambda: self.intent.emit(ev.BackRequested()))
        self.next.clicked.connect(lambda: self.intent.emit(ev.NextRequested()))
        self.outer.addWidget(self.title)
        self.outer.addWidget(self.sub)
        self.outer.addWidget(self.panel, 1)
        self.outer.addWidget(self.notice)
        self.outer.addLayout(button_row(self.back, self.next))
        self.capture_buttons: dict[str, QPushButton] = {}
        self._key: tuple | None = None

    def reset(self) -> None:
        clear_layout(self.body_layout)
        self.capture_buttons = {}
        self._key = None

    def render(self, state: FlowState, now: datetime) -> None:  # type: ignore[override]  # see Screen.render
        super().render(state, now)
        s = state.session
        self.title.setText(self.t(S.MATERIALS_TITLE))
        self.back.setText(self.t(S.BACK))
        self.next.setText(self.t(S.NEXT))
        self.panel.render(self.lang)
        needed = state.materials(now)
        self.sub.setText(self.t(S.MATERIALS_SUB if any(m.held_by_government for m in needed) else S.MATERIALS_SUB_ALL))
        if s is None:
            return
        self.next.setEnabled(s.capturing is None)
        # Rebuilt only when what it shows changed: a touch (UserActive) re-renders the screen,
        # and rebuilding then would delete the button under the finger before it is released.
        key = (tuple((m.id, m.held_by_government, m.optional) for m in needed), tuple(sorted(s.attachments)),
               s.capturing, self.lang, state.attempt)
        if key == self._key:
            return
        self._key = key
        clear_layout(self.body_layout)
        self.capture_buttons = {}
        for m in needed:
            row = QFrame()
            row.setObjectName("card")
            lay = QHBoxLayout(row)
            lay.setContentsMargins(20, 10, 20, 10)
            text = QVBoxLayout()
            text.addWidget(label(self.t(m.title), "fieldLabel", wrap=True))
            if m.held_by_government:
                status = label(self.t(S.MATERIAL_HELD), "verified", wrap=True)
            elif m.id in s.attachments:
                status = label(self.t(S.MATERIAL_TAKEN), "verified", wrap=True)
            elif s.capturing == m.id:
                status = label(self.t(S.MATERIAL_CAPTURING), "help", wrap=True)
            else:
                status = label(self.t(S.MATERIAL_OPTIONAL if m.optional else S.MATERIAL_NEEDED), "help", wrap=True)
            text.addWidget(status)
            lay.addLayout(text, 1)
            if not m.held_by_government:
                b = button(self.t(S.RETAKE if m.id in s.attachments else S.TAKE_PHOTO),
                           None if m.id in s.attachments else "primary")
                b.setEnabled(s.capturing is None)
                b.clicked.connect(lambda _=False, mid=m.id: self.intent.emit(ev.MaterialCaptureRequested(mid)))
                lay.addWidget(b, 0, Qt.AlignmentFlag.AlignVCenter)
                self.capture_buttons[m.id] = b
            self.body_layout.addWidget(row)
        self.body_layout.addStretch(1)
