"""The six-step progress bar: 读卡 · 核验 · 选事项 · 填写 · 核对 · 回执. Its total never changes;
while the citizen fills in the form, the page ("第 2 页，共 4 页") shows inside step 4."""
from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout

from kiosk.flows.journey import FlowState, Step
from kiosk.flows.state import JOURNEY_INDEX
from kiosk.ui import strings as S
from kiosk.ui.screens.base import label, repolish


class StepsBar(QFrame):
    """GUI thread only. `names[i]` is step i's label; `page` the line under the current step."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("steps")
        row = QHBoxLayout(self)
        row.setContentsMargins(28, 4, 28, 4)
        row.setSpacing(8)
        self.names: list[QLabel] = []
        self.pages: list[QLabel] = []
        for i in range(len(S.JOURNEY_STEPS)):
            if i:
                row.addWidget(label("›", "stepName"))
            col = QVBoxLayout()
            col.setSpacing(2)
            name = label("", "stepName", align=Qt.AlignmentFlag.AlignCenter)
            page = label("", "stepPage", align=Qt.AlignmentFlag.AlignCenter)
            page.hide()
            col.addWidget(name)
            col.addWidget(page)
            row.addLayout(col, 1)
            self.names.append(name)
            self.pages.append(page)

    def render(self, state: FlowState, now: datetime) -> None:  # type: ignore[override]  # see Screen.render
        lang = state.lang
        i, total = state.progress(now)
        assert total == len(self.names)
        for k, (name, text) in enumerate(zip(self.names, S.JOURNEY_STEPS, strict=True)):
            done = k < i - 1
            name.setText(f"{k + 1} {text.get(lang)}" + (" ✓" if done else ""))
            name.setProperty("state", "done" if done else ("current" if k == i - 1 else "todo"))
            repolish(name)
        for p in self.pages:
            p.hide()
        page = state.form_page(now)
        fill = self.pages[JOURNEY_INDEX[Step.FORM]]
        if page is not None:
            fill.setText(S.PAGE_OF.format(i=page[0], n=page[1]).get(lang))
            fill.show()
        elif state.step == Step.MATERIALS:
            fill.setText(S.STEP_MATERIALS.get(lang))
            fill.show()
