"""Attract screen: invites the citizen to place their ID card."""
from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt

from kiosk.flows.journey import FlowState, Step
from kiosk.flows import messages as msg
from kiosk.ui import strings as S
from kiosk.ui.screens.base import Screen, label


class AttractScreen(Screen):
    def __init__(self) -> None:
        super().__init__()
        self.hero = label("", "hero", wrap=True, align=Qt.AlignmentFlag.AlignCenter)
        self.hero_other = label("", "heroEn", wrap=True, align=Qt.AlignmentFlag.AlignCenter)
        self.card_icon = label("🪪", align=Qt.AlignmentFlag.AlignCenter)
        self.card_icon.setStyleSheet("font-size: 120px;")
        self.sub = label("", "subtitle", wrap=True, align=Qt.AlignmentFlag.AlignCenter)
        self.privacy = label("", "help", wrap=True, align=Qt.AlignmentFlag.AlignCenter)
        self.outer.addStretch(2)
        self.outer.addWidget(self.card_icon)
        self.outer.addWidget(self.hero)
        self.outer.addWidget(self.hero_other)
        self.outer.addSpacing(24)
        self.outer.addWidget(self.sub)
        self.outer.addStretch(1)
        self.outer.addWidget(self.notice)
        self.outer.addWidget(self.privacy)
        self.outer.addStretch(1)

    def render(self, state: FlowState, now: datetime) -> None:
        super().render(state, now)
        self.hero.setText(self.t(S.ATTRACT_HERO))
        # The invitation is shown in the other language too: the citizen has not chosen yet.
        self.hero_other.setText(S.ATTRACT_HERO.get("en" if self.lang == "zh" else "zh"))
        self.sub.setText(self.t(S.ATTRACT_SUB))
        self.privacy.setText(self.t(S.ATTRACT_PRIVACY))
        self.show_notice(state.notice, ok=state.notice == msg.THANKS)


class ReadingCardScreen(Screen):
    def __init__(self) -> None:
        super().__init__()
        self.text = label("", "title", wrap=True, align=Qt.AlignmentFlag.AlignCenter)
        self.outer.addStretch(1)
        self.outer.addWidget(self.text)
        self.outer.addWidget(self.notice)
        self.outer.addStretch(1)

    def render(self, state: FlowState, now: datetime) -> None:
        super().render(state, now)
        self.text.setText(self.t(S.READING))


__all__ = ["AttractScreen", "ReadingCardScreen", "Step"]
