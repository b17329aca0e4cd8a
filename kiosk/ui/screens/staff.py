"""The staff screens, drawn over the citizen's step (which keeps its place underneath): sign-in on
a digit pad, the override after a failed automated check, and the staff console. They render
`state.staff` and emit intents; the flow decides where each leads."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QButtonGroup, QFrame, QGridLayout, QHBoxLayout, QPushButton, QVBoxLayout

from kiosk.domain.application import OVERRIDE_REASONS
from kiosk.domain.identity import Identity
from kiosk.i18n import tr
from kiosk.flows import events as ev
from kiosk.flows.journey import FlowState, Step
from kiosk.flows.staff_state import StaffPurpose
from kiosk.ui import assist_strings as A
from kiosk.ui import staff_strings as S
from kiosk.ui.screens.base import Screen, button, button_row, clear_layout, follow_checked, label
from kiosk.ui.screens.staff_pad import DigitPadWidget

PHOTO_W, PHOTO_H = 240, 300
COUNTER_BETWEEN = tr("柜台模式只能在两位申请人之间开启或结束（请先回到首页）。")
CARD_HINT = tr("也可以插入您本人的身份证，然后只需输入密码。")
COUNTER_ON = tr("柜台模式已开启（工号 {n}）。")


class StaffSignInScreen(Screen):
    def __init__(self) -> None:
        super().__init__()
        self.title = label("", "title")
        self.purpose = label("", "subtitle", wrap=True)
        self.call = label("", "callNumber")
        self.pad = DigitPadWidget()
        self.pad.setMaximumWidth(460)
        self.pad.setProperty("baseMaxWidth", 460)   # kiosk.ui.scaling: wider keys in large mode
        self.message = label("", "notice", wrap=True)
        self.card_hint = label("", "help", wrap=True)
        self.sign_in = button("", "primary")
        self.cancel = button("")
        self.sign_in.clicked.connect(self._on_sign_in_clicked)
        self.cancel.clicked.connect(lambda: self.intent.emit(ev.StaffScreenClosed()))
        self._card_for: str | None = None     # the staff card's account the pad was set to
        side = QVBoxLayout()
        side.setSpacing(18)
        for w in (self.title, self.purpose, self.call, self.card_hint, self.message):
            side.addWidget(w)
        side.addStretch(1)
        side.addLayout(button_row(self.cancel, self.sign_in, stretch_first=False))
        row = QHBoxLayout()
        row.setSpacing(48)
        row.addWidget(self.pad)
        row.addLayout(side, 1)
        self.outer.addLayout(row, 1)
        self._was_busy = False

    def reset(self) -> None:
        self.pad.clear()
        self._card_for = None

    def render(self, state: FlowState, now: datetime) -> None:  # type: ignore[override]  # see Screen.render
        super().render(state, now)
        st = state.staff
        self.title.setText(self.t(S.SIGN_IN_TITLE))
        self.purpose.setText(self.t(S.SIGN_IN_FOR[(st.purpose or StaffPurpose.CONSOLE).value]))
        call = state.help_call() if state.session else None
        self.call.setVisible(call is not None)
        self.call.setText(self.t(S.CALL_LINE.format(n=call.number)) if call else "")
        self.pad.number_caption.setText(self.t(S.STAFF_NUMBER))
        self.pad.pin_caption.setText(self.t(S.PIN))
        self.pad.keys["C"].setText(self.t(S.CLEAR))
        self.sign_in.setText(self.t(S.SIGN_IN))
        self.cancel.setText(self.t(S.CANCEL))
        self.message.setVisible(st.message is not None)
        self.message.setText(self.t(st.message))
        self.sign_in.setEnabled(not st.busy)
        self.cancel.setEnabled(not st.busy)
        if self._was_busy and not st.busy:
            self.pad.clear_pin()     # a refused PIN is typed again from the start
        self._was_busy = st.busy
        self._render_card(st.card_staff)

    def _render_card(self, card: str | None) -> None:
        """A staff card was read: its account's number stands in the number field, which cannot
        be changed; only the PIN is asked."""
        self.card_hint.setText(self.t(CARD_HINT))
        self.card_hint.setVisible(card is None)
        self.pad.number_field.setEnabled(card is None)
        if card is not None and card != self._card_for:
            self.pad.number = card
            self.pad.clear_pin()
        elif card is None and self._card_for is not None:
            self.pad.clear()
        self._card_for = card

    def _on_sign_in_clicked(self) -> None:
        number, pin = self.pad.number, self.pad.pin
        self.intent.emit(ev.StaffSignInSubmitted(number, pin))


class OverrideScreen(Screen):
    def __init__(self) -> None:
        super().__init__()
        self.title = label("", "title")
        self.how = label("", "subtitle", wrap=True)
        self.photo = label("", "preview", align=Qt.AlignmentFlag.AlignCenter)
        self.photo.setFixedSize(PHOTO_W, PHOTO_H)
        self.failed = label("", "error", wrap=True)
        self.failed.setFixedWidth(PHOTO_W)
        self.data = QGridLayout()
        self.data.setHorizontalSpacing(14)
        self.data.setVerticalSpacing(6)
        self.reason_caption = label("", "fieldLabel")
        self.reasons = QButtonGroup(self)
        self.reasons.setExclusive(True)
        self.reason_buttons: dict[str, QPushButton] = {}
        reasons = QVBoxLayout()
        reasons.setSpacing(8)
        for key in OVERRIDE_REASONS:
            b = button("", "reason")
            b.setCheckable(True)
            follow_checked(b)
            b.setProperty("reason", key)
            self.reasons.addButton(b)
            self.reason_buttons[key] = b
            reasons.addWidget(b)
        self.note = label("", "help", wrap=True)
        self.message = label("", "notice", wrap=True)
        self.message.hide()
        self.confirm = button("", "primary")
        self.refuse = button("")
        self.cancel = button("")
        self.confirm.clicked.connect(self._on_confirm_clicked)
        self.reasons.buttonToggled.connect(self._on_reason_toggled)
        self.refuse.clicked.connect(lambda: self.intent.emit(ev.CancelRequested()))
        self.cancel.clicked.connect(lambda: self.intent.emit(ev.StaffScreenClosed()))
        left = QVBoxLayout()
        left.addWidget(self.photo)
        left.addWidget(self.failed)
        left.addStretch(1)
        middle = QVBoxLayout()
        middle.addLayout(self.data)
        middle.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(self.reason_caption)
        right.addLayout(reasons)
        right.addWidget(self.note)
        right.addWidget(self.message)
        right.addStretch(1)
        row = QHBoxLayout()
        row.setSpacing(40)
        row.addLayout(left)
        row.addLayout(middle)
        row.addLayout(right, 1)
        self.outer.addWidget(self.title)
        self.outer.addWidget(self.how)
        self.outer.addLayout(row, 1)
        self.outer.addLayout(button_row(self.refuse, self.cancel, self.confirm, stretch_first=False))
        self._shown_for: int | None = None

    def reset(self) -> None:
        self.photo.clear()    # the citizen's card photo must not linger on a hidden screen
        clear_layout(self.data)
        self._shown_for = None
        self.reasons.setExclusive(False)
        for b in self.reason_buttons.values():
            b.setChecked(False)
        self.reasons.setExclusive(True)

    def render(self, state: FlowState, now: datetime) -> None:  # type: ignore[override]  # see Screen.render
        super().render(state, now)
        s, st = state.session, state.staff
        self.title.setText(self.t(S.OVERRIDE_TITLE))
        self.how.setText(self.t(S.OVERRIDE_HOW))
        self.reason_caption.setText(self.t(S.OVERRIDE_REASON))
        self.note.setText(self.t(S.OVERRIDE_NOTE))
        for key, b in self.reason_buttons.items():
            b.setText(self.t(OVERRIDE_REASONS[key]))
        self.confirm.setText(self.t(S.OVERRIDE_CONFIRM))
        self.refuse.setText(self.t(S.OVERRIDE_REFUSE))
        self.cancel.setText(self.t(S.CANCEL))
        self.message.setVisible(st.message is not None)
        self.message.setText(self.t(st.message))
        for b in (self.confirm, self.refuse, self.cancel):
            b.setEnabled(not st.busy)
        if s is None or s.identity is None:
            return
        face = s.face
        self.failed.setText(self.t(S.OVERRIDE_NO_PHOTO) if face.photo_missing
                            else self.t(S.OVERRIDE_FAILED.format(n=face.attempts)))
        if self._shown_for != state.attempt:
            self._shown_for = state.attempt
            self._show_document(s.identity, face.photo_missing)
        self.confirm.setEnabled(not st.busy and self.reasons.checkedButton() is not None)

    def _show_document(self, ident: Identity, photo_missing: bool) -> None:
        """The chip/card photo and the document's data: what the clerk compares the person with.
        (The live camera frames are not shown or kept: the clerk looks at the person.)"""
        pix = QPixmap()
        if ident.photo and pix.loadFromData(ident.photo):
            self.photo.setPixmap(pix.scaled(PHOTO_W, PHOTO_H, Qt.AspectRatioMode.KeepAspectRatio,
                                            Qt.TransformationMode.SmoothTransformation))
        else:
            self.photo.clear()
            self.photo.setText(self.t(S.OVERRIDE_NO_PHOTO))
        clear_layout(self.data)
        values = (ident.name, ident.sex, ident.birth_date.isoformat(), ident.document_number,
                  ident.personal_number or "", ident.expiry_date.isoformat() if ident.expiry_date else "")
        for i, (caption, value) in enumerate(zip(S.DOC_FIELDS, values, strict=True)):
            if value:
                self.data.addWidget(label(self.t(caption), "help"), 2 * i, 0)
                self.data.addWidget(label(value, "fieldLabel"), 2 * i + 1, 0)
        default = "photo_unreadable" if photo_missing else "face_check_failed"
        self.reason_buttons[default].setChecked(True)

    def _on_reason_toggled(self, _b: QPushButton, _checked: bool) -> None:
        self.confirm.setEnabled(self.reasons.checkedButton() is not None)

    def _on_confirm_clicked(self) -> None:
        b = self.reasons.checkedButton()
        if b is not None:
            self.intent.emit(ev.OverrideConfirmed(str(b.property("reason"))))


class StaffConsoleScreen(Screen):
    def __init__(self, lockdown_active: Callable[[], bool] = lambda: False) -> None:
        super().__init__()
        self._lockdown_active = lockdown_active
        self.title = label("", "title", wrap=True)
        self.message = label("", "notice", wrap=True)
        self.calls_caption, self.overrides_caption, self.health_caption = (label("", "stageTitle") for _ in range(3))
        self.calls, self.overrides, self.health = QVBoxLayout(), QVBoxLayout(), QVBoxLayout()
        self.call_buttons: dict[str, QPushButton] = {}
        cols = QHBoxLayout()
        cols.setSpacing(28)
        for caption, lay in ((self.calls_caption, self.calls), (self.overrides_caption, self.overrides),
                             (self.health_caption, self.health)):
            box = QFrame()
            box.setObjectName("card")
            inner = QVBoxLayout(box)
            inner.setContentsMargins(20, 14, 20, 14)
            inner.addWidget(caption)
            inner.addLayout(lay)
            inner.addStretch(1)
            cols.addWidget(box, 1)
        self.back = button("")
        self.sign_out = button("")
        self.leave = button("")
        # Counter mode, one touch each way (kiosk/flows/assist.py; the clerk window: kiosk/ui/counter.py).
        self.counter = button("", "primary")
        self.counter_note = label("", "help", wrap=True)
        self._counter_on = False
        self.back.clicked.connect(lambda: self.intent.emit(ev.StaffScreenClosed()))
        self.sign_out.clicked.connect(lambda: self.intent.emit(ev.StaffSignedOut()))
        self.leave.clicked.connect(lambda: self.intent.emit(ev.StaffRequested(StaffPurpose.EXIT)))
        self.counter.clicked.connect(self._on_counter_clicked)
        self.outer.addWidget(self.title)
        self.outer.addWidget(self.message)
        self.outer.addLayout(cols, 1)
        self.outer.addWidget(self.counter_note)
        self.outer.addLayout(button_row(self.counter, self.leave, self.sign_out, self.back))

        self._shown: tuple[object, ...] | None = None

    def _render_counter(self, state: FlowState) -> None:
        c = state.counter
        self._counter_on = c is not None
        between = state.step == Step.ATTRACT
        self.counter.setText(self.t(A.COUNTER_END if c is not None else A.COUNTER_START))
        # Between citizens only; and not while the start's audit entry is still being written.
        self.counter.setEnabled(between and (c is None or c.confirmed) and state.staff.on_duty is not None)
        note = COUNTER_ON.format(n=c.staff_number) if c is not None and between else None if between else COUNTER_BETWEEN
        self.counter_note.setVisible(note is not None)
        self.counter_note.setText(self.t(note) if note is not None else "")

    def _on_counter_clicked(self) -> None:
        self.intent.emit(ev.CounterModeEnded() if self._counter_on else ev.CounterModeRequested())

    def reset(self) -> None:
        for lay in (self.calls, self.overrides, self.health):
            clear_layout(lay)
        self.call_buttons = {}
        self._shown = None

    def render(self, state: FlowState, now: datetime) -> None:  # type: ignore[override]  # see Screen.render
        super().render(state, now)
        st = state.staff
        who = st.on_duty
        if who is not None:
            self.title.setText(self.t(S.CONSOLE_TITLE.format(n=who.staff_number, role=self.t(S.ROLES[who.role]))))
        self.message.setVisible(st.message is not None)
        self.message.setText(self.t(st.message))
        self.calls_caption.setText(self.t(S.CALLS))
        self.overrides_caption.setText(self.t(S.OVERRIDES))
        self.health_caption.setText(self.t(S.HEALTH))
        self.back.setText(self.t(S.BACK_TO_CITIZEN))
        self.sign_out.setText(self.t(S.SIGN_OUT))
        self.leave.setText(self.t(S.LEAVE_LOCKDOWN))
        self.leave.setVisible(self._lockdown_active())
        self._render_counter(state)
        # Rebuilt only when what it lists changed: every touch re-renders, and a list rebuilt under
        # a finger would swallow the press.
        key = (st.calls, st.console, self.lang)
        if key == self._shown:
            return
        self.reset()
        self._shown = key
        for call in st.calls:
            row = QHBoxLayout()
            row.addWidget(label(self.t(S.CALL_ITEM.format(n=call.number, t=call.raised_at.strftime("%H:%M"))),
                                "fieldLabel"), 1)
            done = button(self.t(S.CALL_DONE))
            done.clicked.connect(lambda _=False, n=call.number: self.intent.emit(ev.HelpCallAnswered(n)))
            self.call_buttons[call.number] = done
            row.addWidget(done)
            self.calls.addLayout(row)
        if not st.calls:
            self.calls.addWidget(label(self.t(S.NO_CALLS), "help", wrap=True))
        console = st.console
        if console is None or console.loading:
            self.overrides.addWidget(label(self.t(S.LOADING), "help"))
            self.health.addWidget(label(self.t(S.LOADING), "help"))
            return
        for o in console.overrides:
            text = self.t(S.OVERRIDE_ITEM.format(n=o.staff_number, c=o.today)) + (self.t(S.FLAGGED) if o.flagged else "")
            self.overrides.addWidget(label(text, "error" if o.flagged else "fieldLabel", wrap=True))
        if not console.overrides:
            self.overrides.addWidget(label(self.t(S.NO_OVERRIDES), "help", wrap=True))
        for h in console.health:
            mark = "✓ OK" if h.ok else f"✗ {h.status}"
            line = label(f"{h.name}: {mark}", "verified" if h.ok else "error", wrap=True)
            more = " · ".join(x for x in (h.detail, h.action) if x)
            self.health.addWidget(line)
            # A fault says what it is and what to do; a good line only its name (the column would
            # overflow with a dozen checks' details), the detail on a long press / hover.
            if more and not h.ok:
                self.health.addWidget(label(more, "help", wrap=True))
            elif more:
                line.setToolTip(more)
