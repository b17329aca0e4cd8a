"""The assisted paths' screens (issue 12 parts 4-6): the principal's card, the relationship and
the authorisation of an application for someone else, and the ID number of a citizen without
their card. Render-only: the flow (kiosk/flows/assist.py) decides; these emit intents."""
from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLineEdit, QPushButton

from kiosk.domain.assisted import AUTHORISATION, RELATIONSHIPS
from kiosk.flows import events as ev
from kiosk.flows.journey import FlowState
from kiosk.ui import assist_strings as A
from kiosk.ui import strings as S
from kiosk.ui.screens.attract import id_card_picture
from kiosk.ui.screens.base import Screen, button, button_row, clear_layout, label, repolish


def _name(state: FlowState) -> str:
    s = state.session
    return (s.identity.name or s.identity.name_latin) if s is not None and s.identity is not None else ""


class ProxyPrincipalScreen(Screen):
    """The agent has been checked; now the principal's card goes on the reader."""

    def __init__(self) -> None:
        super().__init__()
        self.title = label("", "title", wrap=True, align=Qt.AlignmentFlag.AlignCenter)
        self.sub = label("", "subtitle", wrap=True, align=Qt.AlignmentFlag.AlignCenter)
        icon = label(align=Qt.AlignmentFlag.AlignCenter)
        icon.setPixmap(id_card_picture())
        self.outer.addStretch(1)
        self.outer.addWidget(icon)
        self.outer.addWidget(self.title)
        self.outer.addWidget(self.sub)
        self.outer.addWidget(self.notice)
        self.outer.addStretch(2)

    def render(self, state: FlowState, now: datetime) -> None:  # type: ignore[override]  # see Screen.render
        super().render(state, now)
        reading = state.session is not None and state.session.proxy is not None and state.session.proxy.reading
        self.title.setText(self.t(A.PRINCIPAL_READING if reading else A.PRINCIPAL_TITLE))
        self.sub.setText(self.t(A.FOR_SOMEONE_ELSE_HELP))


class RelationshipScreen(Screen):
    """The relationship, from the fixed list (kiosk/domain/assisted.py RELATIONSHIPS)."""

    def __init__(self) -> None:
        super().__init__()
        self.title = label("", "title", wrap=True)
        self.who = label("", "subtitle", wrap=True)
        self.grid = QGridLayout()
        self.grid.setSpacing(16)
        self.buttons: dict[str, QPushButton] = {}
        self.outer.addWidget(self.title)
        self.outer.addWidget(self.who)
        self.outer.addWidget(self.notice)
        self.outer.addLayout(self.grid)
        self.outer.addStretch(1)
        self._lang = ""

    def reset(self) -> None:
        self.who.setText("")

    def render(self, state: FlowState, now: datetime) -> None:  # type: ignore[override]  # see Screen.render
        super().render(state, now)
        self.title.setText(self.t(A.RELATIONSHIP_TITLE))
        self.who.setText(self.t(A.RELATIONSHIP_FOR.format(name=_name(state))))
        if self._lang != self.lang:
            self._lang = self.lang
            clear_layout(self.grid)
            self.buttons = {}
            for i, (key, text) in enumerate(RELATIONSHIPS.items()):
                b = button(self.t(text), "choice")
                b.setMinimumHeight(84)
                b.clicked.connect(lambda _=False, k=key: self.intent.emit(ev.RelationshipChosen(k)))
                self.grid.addWidget(b, i // 2, i % 2)
                self.buttons[key] = b


class AuthorisationScreen(Screen):
    """Photograph the power of attorney or the relationship proof with the document camera."""

    def __init__(self) -> None:
        super().__init__()
        self.title = label("", "title", wrap=True)
        self.sub = label("", "subtitle", wrap=True)
        self.status = label("", "help", wrap=True)
        self.capture = button("", "primary")
        self.capture.setMinimumHeight(84)
        self.back = button("")
        self.next = button("", "primary")
        self.capture.clicked.connect(lambda: self.intent.emit(ev.MaterialCaptureRequested(AUTHORISATION)))
        self.back.clicked.connect(lambda: self.intent.emit(ev.BackRequested()))
        self.next.clicked.connect(lambda: self.intent.emit(ev.NextRequested()))
        self.outer.addWidget(self.title)
        self.outer.addWidget(self.sub)
        self.outer.addSpacing(20)
        self.outer.addWidget(self.capture, 0, Qt.AlignmentFlag.AlignLeft)
        self.outer.addWidget(self.status)
        self.outer.addStretch(1)
        self.outer.addWidget(self.notice)
        self.outer.addLayout(button_row(self.back, self.next))

    def render(self, state: FlowState, now: datetime) -> None:  # type: ignore[override]  # see Screen.render
        super().render(state, now)
        p = state.session.proxy if state.session is not None else None
        taken, capturing = bool(p and p.authorisation), bool(p and p.capturing)
        self.title.setText(self.t(A.AUTHORISATION_TITLE))
        self.sub.setText(self.t(A.AUTHORISATION_SUB))
        self.capture.setText(self.t(A.RETAKE if taken else A.TAKE_PHOTO))
        self.capture.setEnabled(not capturing)
        self.status.setObjectName("verified" if taken else "help")
        repolish(self.status)
        self.status.setText(self.t(A.AUTHORISATION_CAPTURING if capturing else A.AUTHORISATION_TAKEN if taken else None))
        self.back.setText(self.t(S.BACK))
        self.next.setText(self.t(S.NEXT))
        self.next.setEnabled(taken and not capturing)


class IdNumberScreen(Screen):
    """The ID number on a large pad (digits and X), for a citizen without their card."""

    def __init__(self) -> None:
        super().__init__()
        self.title = label("", "title", wrap=True)
        self.sub = label("", "subtitle", wrap=True)
        self.number = QLineEdit()
        self.number.setObjectName("idNumber")
        self.number.setMaxLength(18)
        self.number.setReadOnly(True)          # typed on the pad (a kiosk has no keyboard)
        self.number.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.number.setStyleSheet("font-size: 40px; letter-spacing: 6px; min-height: 70px;")
        pad = QGridLayout()
        pad.setSpacing(10)
        self.keys: dict[str, QPushButton] = {}
        for i, key in enumerate(["1", "2", "3", "4", "5", "6", "7", "8", "9", "X", "0", "⌫"]):
            b = button(key)
            b.setMinimumSize(150, 76)
            b.setStyleSheet("font-size: 30px;")
            b.clicked.connect(lambda _=False, k=key: self._on_key_clicked(k))
            pad.addWidget(b, i // 3, i % 3)
            self.keys[key] = b
        self.clear = button("")
        self.clear.clicked.connect(self.number.clear)
        self.back = button("")
        self.submit = button("", "primary")
        self.back.clicked.connect(lambda: self.intent.emit(ev.BackRequested()))
        self.submit.clicked.connect(self._on_submit_clicked)
        self.outer.addWidget(self.title)
        self.outer.addWidget(self.sub)
        self.outer.addWidget(self.number)
        self.outer.addWidget(self.notice)
        self.outer.addLayout(pad)
        self.outer.addStretch(1)
        self.outer.addLayout(button_row(self.back, self.clear, self.submit))

    def reset(self) -> None:
        self.number.clear()        # an ID number: never left on a hidden screen

    def render(self, state: FlowState, now: datetime) -> None:  # type: ignore[override]  # see Screen.render
        super().render(state, now)
        nc = state.session.no_card if state.session is not None else None
        fetching = bool(nc and nc.fetching)
        self.title.setText(self.t(A.ID_NUMBER_CHECKING if fetching else A.ID_NUMBER_TITLE))
        self.sub.setText(self.t(A.ID_NUMBER_SUB))
        self.clear.setText(self.t(A.CLEAR))
        self.back.setText(self.t(S.BACK))
        self.submit.setText(self.t(A.CONTINUE))
        for w in (*self.keys.values(), self.clear, self.back, self.submit):
            w.setEnabled(not fetching)

    def _on_key_clicked(self, key: str) -> None:
        if key == "⌫":
            self.number.backspace()
        elif len(self.number.text()) < 18:
            self.number.setText(self.number.text() + key)

    def _on_submit_clicked(self) -> None:
        self.intent.emit(ev.IdNumberEntered(self.number.text()))
