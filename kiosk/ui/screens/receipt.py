"""Submitting, receipt and rating screens."""
from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QButtonGroup, QGridLayout, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from kiosk.domain import rating
from kiosk.domain.notices import PHONE_FIELD
from kiosk.flows import events as ev
from kiosk.flows.journey import FlowState
from kiosk.ui import strings as S
from kiosk.ui.screens.base import Screen, TileButton, button, button_row, clear_layout, follow_checked, label


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
    """好差评: a score for the whole visit or for the departments the citizen picks, optional
    reasons from the fixed list (kiosk/domain/rating.py), and for a bad score a call back at the
    form's phone number. Nothing is sent until "Send my rating"; the choices live in the widgets
    (the flow gets them in one Rated event) and are cleared by `reset`."""

    def __init__(self) -> None:
        super().__init__()
        self.title = label("", "title", align=Qt.AlignmentFlag.AlignCenter)
        self.buttons: list[TileButton] = []
        self.score: int | None = None
        self._number: str | None = None
        scores = QButtonGroup(self)
        row = QHBoxLayout()
        row.setSpacing(16)
        row.addStretch(1)
        for score in range(1, 6):
            # A tile (wrapped stars and words: QPushButton cannot wrap), checkable: the choice shows.
            b = TileButton("rating", [("", "ratingStars"), ("", "ratingText")])
            for line in b.lines:
                line.setAlignment(Qt.AlignmentFlag.AlignCenter)
            b.setCheckable(True)
            follow_checked(b)
            scores.addButton(b)
            b.clicked.connect(lambda _=False, sc=score: self._on_score(sc))
            self.buttons.append(b)
            row.addWidget(b)
        row.addStretch(1)
        self.details = QWidget()
        lay = QVBoxLayout(self.details)
        lay.setContentsMargins(0, 0, 0, 0)
        self.which = label("", "fieldLabel", wrap=True)
        self.departments = QGridLayout()
        self.department_buttons: dict[str, QPushButton] = {}
        self.why = label("", "fieldLabel", wrap=True)
        reasons = QGridLayout()
        self.reason_buttons: dict[str, QPushButton] = {}
        for group in (rating.GOOD_REASONS, rating.BAD_REASONS):   # one group shows at a time
            for i, rid in enumerate(group):
                reason = button("", "ratingOption")
                reason.setCheckable(True)
                follow_checked(reason)
                self.reason_buttons[rid] = reason
                reasons.addWidget(reason, i // 4, i % 4)
        self.callback = button("", "ratingOption")
        self.callback.setCheckable(True)
        follow_checked(self.callback)
        self._has_phone = False
        lay.addWidget(self.which)
        lay.addLayout(self.departments)
        lay.addWidget(self.why)
        lay.addLayout(reasons)
        lay.addWidget(self.callback)
        self.details.hide()
        self.skip = button("")
        self.skip.clicked.connect(lambda: self.intent.emit(ev.Rated(None)))
        self.send = button("", "primary")
        self.send.setEnabled(False)
        self.send.clicked.connect(self._on_send)
        self.outer.addWidget(self.title)
        self.outer.addSpacing(12)
        self.outer.addLayout(row)
        self.outer.addWidget(self.details)
        self.outer.addStretch(1)
        self.outer.addLayout(button_row(self.skip, self.send))

    def reset(self) -> None:
        self.score = None
        self._number = None
        for b in (*self.buttons, *self.reason_buttons.values(), *self.department_buttons.values(), self.callback):
            b.setChecked(False)
        self.details.hide()
        self.send.setEnabled(False)

    def _on_score(self, score: int) -> None:
        self.score = score
        offered = rating.reasons_for(score) if score != 3 else rating.BAD_REASONS
        for rid, b in self.reason_buttons.items():
            b.setVisible(rid in offered)
            if rid not in offered:
                b.setChecked(False)
        self.callback.setVisible(rating.is_bad(score) and self._has_phone)
        if not self.callback.isVisible():
            self.callback.setChecked(False)
        self.details.show()
        self.send.setEnabled(True)

    def _on_send(self) -> None:
        if self.score is None:
            return
        self.intent.emit(ev.Rated(
            self.score, tuple(i for i, b in self.department_buttons.items() if b.isChecked()),
            tuple(r for r, b in self.reason_buttons.items() if b.isChecked() and b.isVisible()),
            self.callback.isChecked() and self.callback.isVisible()))

    def _build_departments(self, state: FlowState) -> None:
        app = state.session.application if state.session else None
        number = app.number if app else None
        if number == self._number:
            return
        self._number = number
        clear_layout(self.departments)
        self.department_buttons = {}
        self._has_phone = bool(app and (a := app.answer(PHONE_FIELD)) is not None and a.value.strip())
        for i, r in enumerate(app.requests if app else ()):
            option = button("", "ratingOption")
            option.setCheckable(True)
            follow_checked(option)
            option.setProperty("department", r.department)
            self.department_buttons[r.item_id] = option
            self.departments.addWidget(option, i // 4, i % 4)

    def render(self, state: FlowState, now: datetime) -> None:  # type: ignore[override]  # see Screen.render
        super().render(state, now)
        self._build_departments(state)
        self.title.setText(self.t(S.RATING_TITLE))
        for score, (tile, text) in enumerate(zip(self.buttons, S.RATING_LABELS, strict=True), start=1):
            tile.set_lines(["★" * score, self.t(text)])
            tile.setAccessibleName(self.t(text))
        for b in self.department_buttons.values():
            b.setText(self.t(b.property("department")))
        for rid, b in self.reason_buttons.items():
            b.setText(self.t(rating.REASONS[rid]))
        self.which.setText(self.t(S.RATING_WHICH))
        self.why.setText(self.t(S.RATING_WHY))
        self.callback.setText(self.t(S.RATING_CALLBACK))
        self.skip.setText(self.t(S.SKIP))
        self.send.setText(self.t(S.RATING_SEND))
