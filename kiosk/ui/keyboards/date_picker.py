"""The date picker: year, month and day on large ＋/－ steppers (no typing), within the field's
range, with the chosen date spelled out as text. GUI thread."""
from __future__ import annotations

import calendar
from datetime import date, timedelta

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from kiosk.domain.text import base_language
from kiosk.ui.keyboards import strings as S
from kiosk.ui.keyboards.keys import gap_px, key

YEARS_BACK = 120     # the oldest citizen's birth date
YEARS_AHEAD = 10     # planned dates (a retirement date may lie ahead)


def date_range(not_future: bool, today: date) -> tuple[date, date]:
    """The picker's range for a date field: from YEARS_BACK years ago to today (`not_future`)
    or YEARS_AHEAD years ahead."""
    lo = date(today.year - YEARS_BACK, 1, 1)
    hi = today if not_future else date(today.year + YEARS_AHEAD, 12, 31)
    return lo, hi


def parse_iso(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def spell(d: date, lang: str) -> str:
    """2024年3月15日 星期五 / Friday 15 March 2024."""
    if base_language(lang) == "zh":
        return f"{d.year}年{d.month}月{d.day}日  星期{S.WEEKDAYS['zh'][d.weekday()]}"
    return f"{S.WEEKDAYS['en'][d.weekday()]} {d.day} {S.MONTHS_EN[d.month - 1]} {d.year}"


class DatePicker(QWidget):
    """`changed(iso)` after every step the citizen takes. `steps` maps (unit, delta) to its key:
    ("y", ±10), ("y", ±1), ("m", ±1), ("d", ±1)."""

    changed = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.lang = "zh"
        self.lo, self.hi = date(1900, 1, 1), date(2100, 12, 31)
        self.value = date(2000, 1, 1)
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(gap_px())
        self.text = QLabel("")
        self.text.setObjectName("dateText")
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        col.addWidget(self.text)
        grid = QGridLayout()
        grid.setSpacing(gap_px())
        self.steps: dict[tuple[str, int], QPushButton] = {}
        self.values: dict[str, QLabel] = {}
        self.units: dict[str, QLabel] = {}
        for row, (unit, deltas) in enumerate((("y", (-10, -1, 1, 10)), ("m", (-1, 1)), ("d", (-1, 1)))):
            for delta in deltas:
                # U+2212 minus: the full-width '－' reads as the character 一 ("one")
                b = key(f"{'+' if delta > 0 else '−'}{abs(delta) if abs(delta) > 1 else ''}", "stepKey")
                b.clicked.connect(lambda _=False, u=unit, dl=delta: self.step(u, dl))
                self.steps[(unit, delta)] = b
                # −10 −1 [value unit] +1 +10: columns 0 1 | 2 3 | 4 5
                grid.addWidget(b, row, {-10: 0, -1: 1, 1: 4, 10: 5}[delta])
            v = QLabel("")
            v.setObjectName("dateValue")
            v.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            u = QLabel("")
            u.setObjectName("dateUnit")
            grid.addWidget(v, row, 2)
            grid.addWidget(u, row, 3)
            self.values[unit], self.units[unit] = v, u
        col.addLayout(grid)
        self._show()

    def configure(self, current: str, lo: date, hi: date, today: date, lang: str) -> None:
        """Start from `current` (an ISO date; any other text is ignored) or else today, kept
        within [lo, hi]."""
        self.lang, self.lo, self.hi = lang, lo, hi
        self.value = self._clamp(parse_iso(current) or today)
        self._show()

    def iso(self) -> str:
        return self.value.isoformat()

    def step(self, unit: str, delta: int) -> None:
        """One tap: move the unit by delta; months and days go round (Dec + 1 → Jan), the day
        is kept within the month, and the date within the range. A day or month step that would
        pass the end of the range is refused (its button is off): on the last day of a month,
        "tomorrow" for a birth date must not go round to the 1st of that month."""
        if unit in ("d", "m") and self._passes_range(unit, delta):
            return
        y, m, d = self.value.year, self.value.month, self.value.day
        if unit == "y":
            y += delta
        elif unit == "m":
            m = (m - 1 + delta) % 12 + 1
        else:
            d = (d - 1 + delta) % calendar.monthrange(y, m)[1] + 1
        y = max(self.lo.year, min(self.hi.year, y))
        d = min(d, calendar.monthrange(y, m)[1])
        self.value = self._clamp(date(y, m, d))
        self._show()
        self.changed.emit(self.iso())

    def _passes_range(self, unit: str, delta: int) -> bool:
        """Whether moving the day or month by delta, without going round, leaves the range."""
        v = self.value
        if unit == "d":
            target = v + timedelta(days=delta)
            return not self.lo <= target <= self.hi
        months = v.year * 12 + v.month - 1 + delta
        y, m = divmod(months, 12)
        first = date(y, m + 1, 1) if 1 <= y <= 9999 else None
        if first is None:
            return True
        last = date(y, m + 1, calendar.monthrange(y, m + 1)[1])
        return last < self.lo or first > self.hi

    def _clamp(self, d: date) -> date:
        return max(self.lo, min(self.hi, d))

    def _show(self) -> None:
        v = self.value
        self.text.setText(spell(v, self.lang))
        self.values["y"].setText(str(v.year))
        self.values["m"].setText(str(v.month))
        self.values["d"].setText(str(v.day))
        for unit, name in (("y", S.YEAR), ("m", S.MONTH), ("d", S.DAY)):
            self.units[unit].setText(name.get(self.lang))
        self.steps[("y", -10)].setEnabled(v.year > self.lo.year)
        self.steps[("y", -1)].setEnabled(v.year > self.lo.year)
        self.steps[("y", 1)].setEnabled(v.year < self.hi.year)
        self.steps[("y", 10)].setEnabled(v.year < self.hi.year)
        for (unit, delta), b in self.steps.items():
            if unit in ("d", "m"):
                b.setEnabled(not self._passes_range(unit, delta))
