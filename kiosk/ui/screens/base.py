"""Shared pieces for screens: the intent signal, bilingual labels, layout helpers."""
from __future__ import annotations

import html
from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from kiosk.domain.text import Text
from kiosk.flows.journey import FlowState
from kiosk.ui.theme import LINE_HEIGHT


class Screen(QWidget):
    """Base for screens. `intent` carries flow events to the controller (GUI thread only)."""

    intent = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.lang = "zh"
        self.outer = QVBoxLayout(self)
        self.outer.setContentsMargins(40, 18, 40, 18)
        self.outer.setSpacing(14)
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

    def typed_values(self) -> dict[str, str]:
        """What the citizen has typed here and not yet sent to the flow (by field id); the window
        sends it along when the language changes, so the switch loses nothing."""
        return {}

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


class Label(QLabel):
    """A QLabel whose text wraps at LINE_HEIGHT × the font size (the kiosk fonts' own spacing is
    about 1.17, too tight for older readers). The text is set as rich text with that line height;
    `text()` still answers the plain text that was set. GUI thread only."""

    def __init__(self, text: str = "") -> None:
        super().__init__()
        self._plain = ""
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        self._plain = text
        if not text or (not self.wordWrap() and "\n" not in text):
            self.setTextFormat(Qt.TextFormat.PlainText)
            super().setText(text)
            return
        body = html.escape(text).replace("\n", "<br>")
        self.setTextFormat(Qt.TextFormat.RichText)
        super().setText(f'<div style="line-height:{round(LINE_HEIGHT * 100)}%">{body}</div>')

    def text(self) -> str:
        return self._plain

    def setWordWrap(self, on: bool) -> None:  # noqa: N802 - Qt's name
        super().setWordWrap(on)
        self.setText(self._plain)


def label(text: str = "", name: str | None = None, wrap: bool = False, align: Qt.AlignmentFlag | None = None) -> QLabel:
    w = Label(text)
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


def follow_checked(b: QPushButton) -> None:
    """Make the style sheet's [checked="true"] rules follow a checkable button. The selector is
    used instead of :checked so the widget's palette holds the colours really shown (what
    `kiosk ui audit` reads)."""
    def restyle(_on: bool, b: QPushButton = b) -> None:
        repolish(b)
        for child in b.findChildren(QLabel):   # a tile's lines follow its [checked] rules too
            repolish(child)
    b.toggled.connect(restyle)


class TileButton(QPushButton):
    """A large button holding wrapped lines of text (title, description...): QPushButton itself
    cannot wrap. The labels let touches through to the button. GUI thread only."""

    def __init__(self, name: str, lines: list[tuple[str, str]]) -> None:
        super().__init__()
        self.setObjectName(name)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(18, 10, 18, 10)
        lay.setSpacing(4)
        self.lines: list[QLabel] = []
        for text, obj in lines:
            lab = label(text, obj, wrap=True)
            lab.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            lay.addWidget(lab)
            self.lines.append(lab)
        self._lines_layout = lay
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)

    def set_lines(self, texts: list[str]) -> None:
        for lab, text in zip(self.lines, texts, strict=True):
            lab.setText(text)

    def sizeHint(self):  # noqa: N802 - Qt override: the labels decide the height
        return self._lines_layout.sizeHint().expandedTo(super().sizeHint())

    def minimumSizeHint(self):  # noqa: N802 - Qt override
        return self._lines_layout.minimumSize().expandedTo(super().minimumSizeHint())

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt override
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt override
        return max(self._lines_layout.totalHeightForWidth(width), super().minimumSizeHint().height())


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
