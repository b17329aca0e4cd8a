"""Choose a "one thing" bundle, grouped by life stage, with the ones older citizens need most in
a "常用 / Frequently used" row on top. Each tile shows the bundle's description as text (a
touch screen never shows tooltips). The list scrolls by dragging or with the page buttons."""
from __future__ import annotations

from datetime import datetime

from PySide6.QtWidgets import QGridLayout, QPushButton, QVBoxLayout, QWidget

from kiosk.domain.catalogue import Bundle
from kiosk.flows import events as ev
from kiosk.flows.journey import FlowState
from kiosk.ui import assist_strings as A
from kiosk.ui import strings as S
from kiosk.ui.screens.base import Screen, TileButton, button, clear_layout, label
from kiosk.ui.touch import ScrollPanel

# Bundle ids of the "常用" row, in order (those missing from the catalogue are left out):
# retirement (退休) and elderly care (养老), what most older citizens come for.
FREQUENT = ("retirement", "elderly_care")
COLUMNS = 3


class ChooseBundleScreen(Screen):
    def __init__(self) -> None:
        super().__init__()
        self.title = label("", "title")
        self.sub = label("", "subtitle", wrap=True)
        self.body = QWidget()
        self.body_layout = QVBoxLayout(self.body)
        self.body_layout.setSpacing(10)
        self.panel = ScrollPanel(self.body)
        self.outer.addWidget(self.notice)
        self.outer.addWidget(self.title)
        self.outer.addWidget(self.sub)
        self.outer.addWidget(self.panel, 1)
        # Applying for someone else (issue 12 part 5): the agent starts it here, before choosing.
        self.for_someone_else = button("")
        self.for_someone_else.clicked.connect(lambda: self.intent.emit(ev.ProxyRequested()))
        self.outer.addWidget(self.for_someone_else)
        self._key: tuple | None = None
        self.buttons: dict[str, QPushButton] = {}     # by bundle id, in its life stage's row
        self.frequent: dict[str, QPushButton] = {}    # by bundle id, in the 常用 row

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
        self.panel.render(self.lang)
        catalogue = state.config.catalogue
        key = (catalogue.version, id(catalogue), self.lang, proxy)
        if key == self._key:
            return
        self._key = key
        clear_layout(self.body_layout)
        self.buttons, self.frequent = {}, {}
        # One row per life stage: the stage on the left, its bundles as large tiles beside it.
        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(16)
        row = 0
        stages = catalogue.bundles_by_stage()
        allowed = [b for b in catalogue.bundles if b.proxy_allowed or not proxy]
        if proxy:   # only the bundles a relative or agent may apply for
            stages = [(st, [b for b in bs if b.proxy_allowed]) for st, bs in stages]
            stages = [(st, bs) for st, bs in stages if bs]
        frequent = [b for b in allowed if b.id in FREQUENT]
        frequent.sort(key=lambda b: FREQUENT.index(b.id))
        if frequent:
            grid.addWidget(label(self.t(S.FREQUENT), "frequentTitle", wrap=True), row, 0)
            for col, b in enumerate(frequent, start=1):
                self.frequent[b.id] = self._tile(b)
                grid.addWidget(self.frequent[b.id], row, col)
            row += 1
        for stage, bundles in stages:
            grid.addWidget(label(self.t(stage.title), "stageTitle", wrap=True), row, 0)
            for i, b in enumerate(bundles):
                if i and i % COLUMNS == 0:
                    row += 1
                self.buttons[b.id] = self._tile(b)
                grid.addWidget(self.buttons[b.id], row, 1 + i % COLUMNS)
            row += 1
        grid.setColumnStretch(0, 0)
        for col in range(1, COLUMNS + 1):
            grid.setColumnStretch(col, 1)
        self.body_layout.addLayout(grid)
        self.body_layout.addStretch(1)

    def _tile(self, b: Bundle) -> TileButton:
        tile = TileButton("bundle", [(self.t(b.title), "bundleTitle"), (self.t(b.description), "bundleText"),
                                     (self.t(S.DEPARTMENTS.format(n=len(b.departments()))), "bundleText")])
        tile.setAccessibleName(self.t(b.title))
        tile.clicked.connect(lambda _=False, bid=b.id: self.intent.emit(ev.BundleChosen(bid)))
        return tile
