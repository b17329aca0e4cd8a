"""A touch-only entry for a staff number and a PIN: two large field buttons and a digit pad, so no
physical keyboard is needed (and none is wanted at a locked-down kiosk). The PIN is held here
only until it is submitted or the pad is cleared, and is never shown."""
from __future__ import annotations

from PySide6.QtWidgets import QGridLayout, QPushButton, QVBoxLayout, QWidget

from kiosk.ui.screens.base import button, follow_checked, label

MAX_NUMBER, MAX_PIN = 16, 12
KEY_SIZE = (128, 72)     # about 32 x 18 mm on a 21.5" 1920x1080 panel: well above the 10 mm minimum


class DigitPadWidget(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.number = ""
        self._pin = ""
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(8)
        self.number_caption = label("", "fieldLabel")
        self.number_field = self._field()
        self.pin_caption = label("", "fieldLabel")
        self.pin_field = self._field()
        for w in (self.number_caption, self.number_field, self.pin_caption, self.pin_field):
            lay.addWidget(w)
        grid = QGridLayout()
        grid.setSpacing(10)
        self.keys: dict[str, QPushButton] = {}
        for i, key in enumerate(["1", "2", "3", "4", "5", "6", "7", "8", "9", "C", "0", "⌫"]):
            b = button(key, "padKey")
            b.setMinimumSize(*KEY_SIZE)
            b.clicked.connect(lambda _=False, k=key: self._on_key_clicked(k))
            grid.addWidget(b, i // 3, i % 3)
            self.keys[key] = b
        lay.addLayout(grid)
        lay.addStretch(1)
        self.number_field.clicked.connect(lambda: self.select(pin=False))
        self.pin_field.clicked.connect(lambda: self.select(pin=True))
        self.select(pin=False)

    @staticmethod
    def _field() -> QPushButton:
        b = button("", "padField")
        b.setCheckable(True)
        follow_checked(b)
        b.setMinimumHeight(64)
        return b

    @property
    def pin(self) -> str:
        return self._pin

    def select(self, pin: bool) -> None:
        self.pin_field.setChecked(pin)
        self.number_field.setChecked(not pin)
        self._show()

    def clear(self) -> None:
        self.number, self._pin = "", ""
        self.select(pin=False)

    def clear_pin(self) -> None:
        self._pin = ""
        self.select(pin=True)

    def type(self, text: str) -> None:
        """Press the pad's keys for `text` (the autopilot and tests touch the pad through this)."""
        for ch in text:
            self.keys[ch].click()

    def _on_key_clicked(self, key: str) -> None:
        on_pin = self.pin_field.isChecked()
        value = self._pin if on_pin else self.number
        if key == "C":
            value = ""
        elif key == "⌫":
            value = value[:-1]
        elif len(value) < (MAX_PIN if on_pin else MAX_NUMBER):
            value += key
        if on_pin:
            self._pin = value
        else:
            self.number = value
        self._show()

    def _show(self) -> None:
        self.number_field.setText(self.number or " ")
        self.pin_field.setText("●" * len(self._pin) or " ")
