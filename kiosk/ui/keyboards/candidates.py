"""The candidate bar: a page of large candidate buttons with ◀ ▶ page keys (GUI thread)."""
from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from kiosk.ui.keyboards import strings as S
from kiosk.ui.keyboards.keys import gap_px, key


class CandidateBar(QWidget):
    """Shows `per_page` candidates at a time. `chosen(index)` gives the index in the whole list."""

    chosen = Signal(int)

    def __init__(self, per_page: int = 6) -> None:
        super().__init__()
        self.per_page = per_page
        self.items: list[str] = []
        self.page = 0
        self.lang = "zh"
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(gap_px())
        self.prev = key("", "pageKey")
        self.next = key("", "pageKey")
        self.prev.clicked.connect(lambda: self.show_page(self.page - 1))
        self.next.clicked.connect(lambda: self.show_page(self.page + 1))
        self.buttons: list[QPushButton] = []
        lay.addWidget(self.prev)
        for i in range(per_page):
            b = key("", "candidate")
            b.clicked.connect(lambda _=False, i=i: self._on_clicked(i))
            self.buttons.append(b)
            lay.addWidget(b, 1)
        lay.addWidget(self.next)
        self.set_lang("zh")
        self.set_candidates([])

    def set_lang(self, lang: str) -> None:
        self.lang = lang
        self.prev.setText(S.PREV.get(lang))
        self.next.setText(S.NEXT.get(lang))

    def set_candidates(self, items: Sequence[str]) -> None:
        self.items = list(items)
        self.show_page(0)

    def pages(self) -> int:
        return max(1, -(-len(self.items) // self.per_page))

    def visible(self) -> list[str]:
        """The candidates on the page shown (what the citizen can tap now)."""
        start = self.page * self.per_page
        return self.items[start:start + self.per_page]

    def show_page(self, page: int) -> None:
        self.page = max(0, min(page, self.pages() - 1))
        shown = self.visible()
        for i, b in enumerate(self.buttons):
            b.setText(shown[i] if i < len(shown) else "")
            b.setEnabled(i < len(shown))
        self.prev.setEnabled(self.page > 0)
        self.next.setEnabled(self.page < self.pages() - 1)

    def _on_clicked(self, i: int) -> None:
        index = self.page * self.per_page + i
        if index < len(self.items):
            self.chosen.emit(index)
