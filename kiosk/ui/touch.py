"""Touch scrolling: a scroll area that follows a finger (or a mouse drag), with large page-up and
page-down buttons beside it. GUI thread only.

The scroll bar only shows where the citizen is: it takes no touches (a 14 px bar cannot be hit
by a finger), the page buttons and dragging the page itself do the scrolling.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QScrollArea, QScroller, QScrollerProperties, QVBoxLayout, QWidget

from kiosk.domain.text import Text
from kiosk.ui import strings as S
from kiosk.ui.screens.base import button


def kinetic(area: QScrollArea) -> None:
    """Drag-to-scroll with inertia on `area`, by touch or by holding the left mouse button."""
    viewport = area.viewport()
    QScroller.grabGesture(viewport, QScroller.ScrollerGestureType.LeftMouseButtonGesture)
    scroller = QScroller.scroller(viewport)
    props = scroller.scrollerProperties()
    # No rubber band past the ends (it looks like a fault to a first-time user), and a small
    # movement already counts as a drag, so a press on a bundle tile can still start a scroll.
    props.setScrollMetric(QScrollerProperties.ScrollMetric.VerticalOvershootPolicy,
                          QScrollerProperties.OvershootPolicy.OvershootAlwaysOff)
    props.setScrollMetric(QScrollerProperties.ScrollMetric.HorizontalOvershootPolicy,
                          QScrollerProperties.OvershootPolicy.OvershootAlwaysOff)
    props.setScrollMetric(QScrollerProperties.ScrollMetric.DragStartDistance, 0.004)   # metres: 4 mm
    # A tap reaches the button at once (Qt otherwise holds presses back 0.25 s to see whether a
    # drag follows, which makes buttons feel dead); a drag that starts on a button still scrolls.
    props.setScrollMetric(QScrollerProperties.ScrollMetric.MousePressEventDelay, 0.0)
    scroller.setScrollerProperties(props)
    bar = area.verticalScrollBar()
    bar.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)


class ScrollPanel(QWidget):
    """A QScrollArea holding `body`, kinetic, with ▲/▼ page buttons on its right that are enabled
    only when there is somewhere to go. `render(lang)` sets the buttons' text."""

    def __init__(self, body: QWidget) -> None:
        super().__init__()
        self.area = QScrollArea()
        self.area.setWidgetResizable(True)
        self.area.setWidget(body)
        kinetic(self.area)
        self.up = button("", "pageButton")
        self.down = button("", "pageButton")
        self.up.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.down.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.up.clicked.connect(lambda: self.page(-1))
        self.down.clicked.connect(lambda: self.page(1))
        side = QVBoxLayout()
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(self.up)
        side.addStretch(1)
        side.addWidget(self.down)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(16)
        row.addWidget(self.area, 1)
        row.addLayout(side)
        bar = self.area.verticalScrollBar()
        bar.rangeChanged.connect(self._on_range_changed)
        bar.valueChanged.connect(self._on_value_changed)
        self._update()

    def render(self, lang: str, up: Text = S.PAGE_UP, down: Text = S.PAGE_DOWN) -> None:  # type: ignore[override]  # see Screen.render
        self.up.setText(up.get(lang))
        self.down.setText(down.get(lang))

    def page(self, direction: int) -> None:
        """Scroll one screenful (less a little, so the citizen keeps their place) up or down."""
        bar = self.area.verticalScrollBar()
        bar.setValue(bar.value() + direction * max(1, int(self.area.viewport().height() * 0.85)))

    def _on_range_changed(self, _lo: int, _hi: int) -> None:
        self._update()

    def _on_value_changed(self, _value: int) -> None:
        self._update()

    def _update(self) -> None:
        bar = self.area.verticalScrollBar()
        self.up.setEnabled(bar.value() > bar.minimum())
        self.down.setEnabled(bar.value() < bar.maximum())
