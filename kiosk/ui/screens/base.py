"""Shared pieces for screens: the intent signal, bilingual labels, layout helpers."""
from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from kiosk.domain.text import Text
from kiosk.flows.journey import FlowState


class Screen(QWidget):
    """Base for screens. `intent` carries flow events to the controller (GUI thread only)."""

    intent = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.lang = "zh"
        self.outer = QVBoxLayout(self)
        self.outer.setContentsMargins(48, 28, 48, 28)
        self.outer.setSpacing(18)
        self.notice = label("", "notice", wrap=True)
        self.notice.hide()

    # Shadows QWidget.render(target, ...) on purpose, as "a screen renders the state" names it:
    # QWidget::render is not virtual, so Qt never calls this one, and nothing paints a screen
    # through QWidget.render (screenshots use grab()).
    def render(self, state: FlowState, now: datetime) -> None:  # type: ignore[override]
        self.lang = state.lang
        self.show_notice(state.notice)

    def reset(self) -> None:
        """Forget everything shown about the last citizen (called when a session ends)."""

    def t(self, text: Text | None) -> str:
        return text.get(self.lang) if text else ""

    def show_notice(self, text: Text | None, ok: bool = False) -> None:
        if text is None:
            self.notice.hide()
            return
        self.notice.setObjectName("okNotice" if ok else "notice")
        repolish(self.notice)
        self.notice.setText(self.t(text))
        self.notice.show()


def repolish(widget: QWidget) -> None:
    """Re-apply the style sheet after an object name or dynamic property changed."""
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def label(text: str = "", name: str | None = None, wrap: bool = False, align: Qt.AlignmentFlag | None = None) -> QLabel:
    w = QLabel(text)
    if name:
        w.setObjectName(name)
    w.setWordWrap(wrap)
    if align is not None:
        w.setAlignment(align)
    return w


def button(text: str = "", name: str | None = None) -> QPushButton:
    b = QPushButton(text)
    if name:
        b.setObjectName(name)
    b.setCursor(Qt.CursorShape.PointingHandCursor)
    return b


def button_row(*buttons: QWidget, stretch_first: bool = True) -> QHBoxLayout:
    row = QHBoxLayout()
    row.setSpacing(18)
    if stretch_first:
        row.addStretch(1)
    for b in buttons:
        row.addWidget(b)
    return row


def clear_layout(layout) -> None:
    while layout.count():
        item = layout.takeAt(0)
        w = item.widget()
        if w is not None:
            w.setParent(None)
            w.deleteLater()
        elif item.layout() is not None:
            clear_layout(item.layout())
