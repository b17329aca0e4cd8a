"""Access key: the 6-digit CAN on a large keypad, or the MRZ details, when the chip needs them."""
from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QVBoxLayout

from kiosk.flows import events as ev
from kiosk.flows.journey import FlowState
from kiosk.ui import strings as S
from kiosk.ui.keyboards.digit_pad import DigitPad
from kiosk.ui.screens.base import Screen, button, button_row, label


class AccessKeyScreen(Screen):
    def __init__(self) -> None:
        super().__init__()
        self.title = label("", "title", wrap=True)
        self.can = QLineEdit()
        self.can.setObjectName("can")
        self.can.setMaxLength(6)
        self.can.setAlignment(Qt.AlignmentFlag.AlignCenter)
        pad = DigitPad(left="⌫", right="C", key_size=110)    # the form's digit pad, with ⌫ and C in it
        for b in pad.keys.values():
            b.setObjectName("padKey")   # the theme's pad keys: scaled with large mode
        pad.pressed.connect(self._on_key_clicked)
        self.keys = pad.keys
        left = QVBoxLayout()
        self.can_caption = label("", "fieldLabel", wrap=True)
        left.addWidget(self.can_caption)
        left.addWidget(self.can)
        left.addWidget(pad)
        right = QVBoxLayout()
        self.mrz_caption = label("", "fieldLabel", wrap=True)
        right.addWidget(self.mrz_caption)
        self.doc_number, self.birth, self.expiry = QLineEdit(), QLineEdit(), QLineEdit()
        self.mrz_labels = [label("", "help"), label("", "help"), label("", "help")]
        for lab, edit, length in zip(self.mrz_labels, (self.doc_number, self.birth, self.expiry), (9, 6, 6), strict=True):
            edit.setMaxLength(length if length != 9 else 20)
            right.addWidget(lab)
            right.addWidget(edit)
        right.addStretch(1)
        row = QHBoxLayout()
        row.setSpacing(48)
        row.addLayout(left, 1)
        row.addLayout(right, 1)
        self.submit = button("", "primary")
        self.submit.clicked.connect(self._on_submit_clicked)
        self.outer.addWidget(self.title)
        self.outer.addWidget(self.notice)
        self.outer.addLayout(row, 1)
        self.outer.addLayout(button_row(self.submit))

    def reset(self) -> None:
        for e in (self.can, self.doc_number, self.birth, self.expiry):
            e.clear()   # the key opens the citizen's chip: never keep it

    def render(self, state: FlowState, now: datetime) -> None:  # type: ignore[override]  # see Screen.render
        super().render(state, now)
        self.title.setText(self.t(S.KEY_TITLE))
        self.can_caption.setText(self.t(S.KEY_CAN))
        self.mrz_caption.setText(self.t(S.KEY_MRZ))
        for lab, text in zip(self.mrz_labels, (S.KEY_DOC_NUMBER, S.KEY_BIRTH, S.KEY_EXPIRY), strict=True):
            lab.setText(self.t(text))
        self.keys["C"].setText(self.t(S.KEY_CLEAR))
        self.submit.setText(self.t(S.KEY_SUBMIT))

    def _on_key_clicked(self, key: str) -> None:
        if key == "⌫":
            self.can.backspace()
        elif key == "C":
            self.can.clear()
        elif len(self.can.text()) < 6:
            self.can.insert(key)

    def _on_submit_clicked(self) -> None:
        self.intent.emit(ev.AccessKeyEntered(self.can.text(), self.doc_number.text(), self.birth.text(), self.expiry.text()))
        self.reset()
