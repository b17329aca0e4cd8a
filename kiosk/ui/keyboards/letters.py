"""Letter keys: qwerty rows for pinyin (with the ' syllable break) and for English/ABC text."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QPushButton, QWidget

from kiosk.ui.keyboards.keys import gap_px, key

ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


class LettersPad(QWidget):
    """Three rows of letters plus `extras` after the last row (e.g. "'" for pinyin, "@ . - _" for
    email). With `shift`, a ⇧ key switches upper and lower case. Emits `pressed(text)`."""

    pressed = Signal(str)

    def __init__(self, extras: str = "", shift: bool = False) -> None:
        super().__init__()
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(gap_px())
        self.upper = False
        self.keys: dict[str, QPushButton] = {}
        for r, row in enumerate(ROWS):
            for c, ch in enumerate(row):
                self._add(grid, ch, r, c)
        col = len(ROWS[2])
        for ch in extras:
            self._add(grid, ch, 2, col)
            col += 1
        self.shift: QPushButton | None = None
        if shift:
            self.shift = key("⇧", "key")
            self.shift.setCheckable(True)
            self.shift.toggled.connect(self._on_shift)
            grid.addWidget(self.shift, 1, len(ROWS[1]))

    def _add(self, grid: QGridLayout, ch: str, r: int, c: int) -> None:
        b = key(ch)
        b.clicked.connect(lambda _=False, ch=ch: self.pressed.emit(ch.upper() if self.upper and ch.isalpha() else ch))
        grid.addWidget(b, r, c)
        self.keys[ch] = b

    def _on_shift(self, on: bool) -> None:
        self.upper = on
        for ch, b in self.keys.items():
            b.setText(ch.upper() if on and ch.isalpha() else ch)
