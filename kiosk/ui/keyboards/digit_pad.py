"""The digit pad: 1-9 and 0 on large keys, with optional extra keys (X for ID numbers)."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QPushButton, QWidget

from kiosk.ui.keyboards.keys import gap_px, key


class DigitPad(QWidget):
    """Three columns like a phone: 1 2 3 / 4 5 6 / 7 8 9 / left 0 right. `left` and `right` are
    the bottom row's other keys ("" for none): "X" for ID numbers, "⌫" and "C" on the access-key
    screen. Every key emits `pressed(key text)`; GUI thread."""

    pressed = Signal(str)

    def __init__(self, left: str = "", right: str = "", key_size: int | None = None) -> None:
        super().__init__()
        self.setObjectName("digitPad")
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(gap_px())
        self.keys: dict[str, QPushButton] = {}
        for i, k in enumerate(["1", "2", "3", "4", "5", "6", "7", "8", "9", left, "0", right]):
            if not k:
                continue
            b = key(k, "backspaceKey" if k == "⌫" else "key")
            if key_size:
                b.setMinimumSize(key_size, key_size * 2 // 3)
            b.clicked.connect(lambda _=False, k=k: self.pressed.emit(k))
            grid.addWidget(b, i // 3, i % 3)
            self.keys[k] = b

    def set_extra(self, left: str = "", right: str = "") -> None:
        """Show only the extra keys this field wants (of those the pad was built with)."""
        for k, b in self.keys.items():
            if not k.isdigit():
                b.setVisible(k in (left, right))


def extras_for(field_type: str) -> tuple[str, str]:
    """The bottom row's extra keys for a field type: X (the check character) for ID numbers,
    a dash for free text (house numbers such as 18-2)."""
    return {"resident_id": ("", "X"), "text": ("-", "")}.get(field_type, ("", ""))
