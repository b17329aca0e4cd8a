"""Submitting, receipt and rating screens."""
from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout

from kiosk.flows import events as ev
from kiosk.flows.journey import FlowState
from kiosk.ui import strings as S
from kiosk.ui.screens.base import Screen, TileButton, button, button_row, label


class SubmittingScreen(Screen):
    def __init__(self) -> None:
        super().__init__()
        self.text = label("", "title", align=Qt.AlignmentFlag.AlignCenter)
        self.outer.addStretch(1)
        self.outer.addWidget(self.text)
        self.outer.addStretch(1)

    def render(self, state: FlowState, now: datetime) -> None:  # type: ignore[override]  # see Screen.render
        super().render(state, now)
        self.text.setText(self.t(S.SUBMITTING))


class ReceiptScreen(Screen):
    def __init__(self) -> None:
        super().__init__()
        self.done = label("", "hero", wrap=True, align=Qt.AlignmentFlag.AlignCenter)
        self.number_caption = label("", "subtitle", align=Qt.AlignmentFlag.AlignCenter)
        self.number = label("", "appNumber", align=Qt.AlignmentFlag.AlignCenter)
        self.number.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status = label("", "subtitle", wrap=True, align=Qt.AlignmentFlag.AlignCenter)
        self.sync = label("", "help", wrap=True, align=Qt.AlignmentFlag.AlignCenter)
        self.reprint = button("")
        self.cont = button("", "primary")
        self.reprint.clicked.connect(lambda: self.intent.emit(ev.ReprintRequested()))
        self.cont.clicked.connect(lambda: self.intent.emit(ev.ReceiptTaken()))
        self.outer.addStretch(1)
        for w in (self.done, self.number_caption, self.number, self.status, self.sync):
            self.outer.addWidget(w)
        self.outer.addWidget(self.notice)
        self.outer.addStretch(1)
        self.outer.addLayout(button_row(self.reprint, self.cont))

    def reset(self) -> None:
        self.number.clear()

    def render(self, state: FlowState, now: datetime) -> None:  # type: ignore[override]  # see Screen.render
        super().render(state, now)
        s = state.session
        app = s.application if s else None
        r = s.receipt if s else None
        self.done.setText(self.t(S.SUBMITTED))
        self.number_caption.setText(self.t(S.APP_NUMBER))
        self.number.setText(app.number if app else "")
        self.sync.setText(self.t(S.PENDING_SYNC))
        self.reprint.setText(self.t(S.REPRINT))
        self.cont.setText(self.t(S.CONTINUE))
        printing = bool(r and r.printing)
        self.status.setText(self.t(S.PRINTING) if printing else (self.t(S.TAKE_RECEIPT) if r and not r.error else ""))
        if r and r.error:
            self.show_notice(r.error)
        self.reprint.setVisible(bool(r and r.error))
        self.cont.setEnabled(not printing)


class RatingScreen(Screen):
    def __init__(self) -> None:
        super().__init__()
        self.title = label("", "title", align=Qt.AlignmentFlag.AlignCenter)
        self.buttons = []
        row = QHBoxLayout()
        row.setSpacing(16)
        row.addStretch(1)
        for score in range(1, 6):
            b = TileButton("rating", [("", "ratingStars"), ("", "ratingText")])
            for line in b.lines:
                line.setAlignment(Qt.AlignmentFlag.AlignCenter)
            b.clicked.connect(lambda _=False, sc=score: self.intent.emit(ev.Rated(sc)))
            self.buttons.append(b)
            row.addWidget(b)
        row.addStretch(1)
        self.skip = button("")
        self.skip.clicked.connect(lambda: self.intent.emit(ev.Rated(None)))
        self.outer.addStretch(1)
        self.outer.addWidget(self.title)
        self.outer.addSpacing(30)
        self.outer.addLayout(row)
        self.outer.addStretch(1)
        self.outer.addLayout(button_row(self.skip))

    def render(self, state: FlowState, now: datetime) -> None:  # type: ignore[override]  # see Screen.render
        super().render(state, now)
        self.title.setText(self.t(S.RATING_TITLE))
        for score, (b, text) in enumerate(zip(self.buttons, S.RATING_LABELS, strict=True), start=1):
            b.set_lines(["★" * score, self.t(text)])
            b.setAccessibleName(self.t(text))
        self.skip.setText(self.t(S.SKIP))
