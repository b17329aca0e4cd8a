"""Choose a "one thing" bundle, grouped by life stage."""
from __future__ import annotations

from datetime import datetime

from PySide6.QtWidgets import QGridLayout, QPushButton, QScrollArea, QVBoxLayout, QWidget

from kiosk.flows import events as ev
from kiosk.flows.journey import FlowState
from kiosk.ui import assist_strings as A
from kiosk.ui import strings as S
from kiosk.ui.screens.base import Screen, button, clear_layout, label


class ChooseBundleScreen(Screen):
    def __init__(self) -> None:
        super().__init__()
        self.title = label("", "title")
        self.sub = label("", "subtitle", wrap=True)
        self.body = QWidget()
        self.body_layout = QVBoxLayout(self.body)
        self.body_layout.setSpacing(10)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.body)
        self.outer.addWidget(self.notice)
        self.outer.addWidget(self.title)
        self.outer.addWidget(self.sub)
        self.outer.addWidget(scroll, 1)
        # Applying for someone else (issue 12 part 5): the agent starts it here, before choosing.
        self.for_someone_else = button("")
        self.for_someone_else.clicked.connect(lambda: self.intent.emit(ev.ProxyRequested()))
        self.outer.addWidget(self.for_someone_else)
        self._key: tuple | None = None
        self.buttons: dict[str, QPushButton] = {}

    def render(self, state: FlowState, now: datetime) -> None:  # type: ignore[override]  # see Screen.render
        super().render(state, now)
        self.show_notice(state.notice, ok=True)
        self.title.setText(self.t(S.CHOOSE_TITLE))
        s = state.session
        proxy = s is not None and s.proxy is not None
        self.sub.setText(self.t(A.PROXY_BANNER.format(name=s.identity.name if s and s.identity else "")
                                if proxy else S.CHOOSE_SUB))
        self.for_someone_else.setText(self.t(A.FOR_SOMEONE_ELSE))
        self.for_someone_else.setToolTip(self.t(A.FOR_SOMEONE_ELSE_HELP))
        self.for_someone_else.setVisible(s is not None and s.identity is not None and not proxy)
        catalogue = state.config.catalogue
        key = (catalogue.version, id(catalogue), self.lang, proxy)
        if key == self._key:
            return
        self._key = key
        clear_layout(self.body_layout)
        self.buttons = {}
        # One row per life stage: the stage on the left, its bundles as large buttons beside it.
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(12)
        grid.setColumnMinimumWidth(0, 150)
        stages = catalogue.bundles_by_stage()
        if proxy:   # only the bundles a relative or agent may apply for
            stages = [(st, [b for b in bs if b.proxy_allowed]) for st, bs in stages]
            stages = [(st, bs) for st, bs in stages if bs]
        for row, (stage, bundles) in enumerate(stages):
            grid.addWidget(label(self.t(stage.title), "stageTitle", wrap=True), row, 0)
            for col, b in enumerate(bundles, start=1):
                btn = button(f"{self.t(b.title)}\n{self.t(S.DEPARTMENTS.format(n=len(b.departments())))}", "bundle")
                btn.setToolTip(self.t(b.description))
                btn.clicked.connect(lambda _=False, bid=b.id: self.intent.emit(ev.BundleChosen(bid)))
                grid.addWidget(btn, row, col)
                self.buttons[b.id] = btn
        for col in (1, 2, 3):
            grid.setColumnStretch(col, 1)
        self.body_layout.addLayout(grid)
        self.body_layout.addStretch(1)
