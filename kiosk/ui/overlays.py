"""Overlays drawn inside the kiosk window (never native dialogs, which a kiosk shell may hide
and whose sizes the theme does not reach): the inactivity countdown and the yes/no question
before ending a session. GUI thread only."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QVBoxLayout, QWidget

from kiosk.ui import strings as S
from kiosk.ui.screens.base import button, button_row, label


class _Overlay(QFrame):
    """A dimmed layer over the whole window with a white box in the middle."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("overlay")
        self.box = QFrame()
        self.box.setObjectName("overlayBox")
        self.box.setProperty("baseFixedWidth", 760)   # kiosk.ui.scaling scales it with the theme
        self.box_layout = QVBoxLayout(self.box)
        self.box_layout.setContentsMargins(40, 30, 40, 30)
        self.box_layout.setSpacing(18)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(self.box, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(1)
        self.hide()

    def cover(self) -> None:
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect())
        self.show()
        self.raise_()


class TimeoutOverlay(_Overlay):
    """The inactivity warning with a countdown."""

    def __init__(self, parent: QWidget, on_stay: Callable[[], None]) -> None:
        super().__init__(parent)
        self.title = label("", "title", align=Qt.AlignmentFlag.AlignCenter)
        self.count = label("", "countdown", align=Qt.AlignmentFlag.AlignCenter)
        self.body = label("", "subtitle", wrap=True, align=Qt.AlignmentFlag.AlignCenter)
        self.stay = button("", "primary")
        self.stay.clicked.connect(on_stay)
        for w in (self.title, self.count, self.body, self.stay):
            self.box_layout.addWidget(w)

    def render(self, lang: str, seconds: int) -> None:  # type: ignore[override]  # see Screen.render
        self.title.setText(S.STILL_THERE.get(lang))
        self.count.setText(str(max(0, seconds)))
        self.body.setText(S.TIMEOUT_BODY.format(s=max(0, seconds)).get(lang))
        self.stay.setText(S.STAY.get(lang))


class ConfirmEndOverlay(_Overlay):
    """"结束办理吗？" with two large answers: ending wipes what the citizen typed, so one stray
    touch on the header must not do it."""

    def __init__(self, parent: QWidget, on_yes: Callable[[], None]) -> None:
        super().__init__(parent)
        self.title = label("", "title", wrap=True, align=Qt.AlignmentFlag.AlignCenter)
        self.body = label("", "subtitle", wrap=True, align=Qt.AlignmentFlag.AlignCenter)
        self.yes = button("", "dialogButton")
        self.no = button("", "dialogButton")
        self.no.setProperty("safe", "true")   # the safe answer is the prominent one
        self.yes.clicked.connect(self.hide)
        self.yes.clicked.connect(on_yes)   # after hide: connected slots run in order
        self.no.clicked.connect(self.hide)
        self.box_layout.addWidget(self.title)
        self.box_layout.addWidget(self.body)
        self.box_layout.addLayout(button_row(self.yes, self.no, stretch_first=False))

    def ask(self, lang: str) -> None:
        self.title.setText(S.END_CONFIRM_TITLE.get(lang))
        self.body.setText(S.END_CONFIRM_BODY.get(lang))
        self.yes.setText(S.END_CONFIRM_YES.get(lang))
        self.no.setText(S.END_CONFIRM_NO.get(lang))
        self.cover()
