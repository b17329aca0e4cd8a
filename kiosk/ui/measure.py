"""What `kiosk ui audit` measures on the live widgets of one drawn window: text sizes, touch
targets, the gaps between them, text contrast and line spacing. GUI thread only.

Sizes come from the widgets' geometry and fonts after the style sheet has been applied; a
text's contrast is its widget's palette foreground (what the style sheet set) against the colour
that was actually painted behind it: the most common colour of the window's pixels under the
widget, grabbed from the screen buffer. Millimetres are on the reference panel (theme.MM_PER_PX).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QColor, QImage, QTextDocument
from PySide6.QtWidgets import QAbstractButton, QCheckBox, QLabel, QLineEdit, QWidget

from kiosk.ui.theme import MM_PER_PX
import itertools

FIGURES = ("min_text_px", "min_target_mm", "min_gap_mm", "min_contrast", "min_line_spacing")


@dataclass
class Figures:
    """The smallest value of each figure seen so far, and which widget it came from."""
    values: dict[str, float] = field(default_factory=dict)
    worst: dict[str, str] = field(default_factory=dict)

    def see(self, figure: str, value: float, where: str) -> None:
        if figure not in self.values or value < self.values[figure]:
            self.values[figure] = value
            self.worst[figure] = where


def _relative_luminance(c: QColor) -> float:
    def lin(v: float) -> float:
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
    return 0.2126 * lin(c.redF()) + 0.7152 * lin(c.greenF()) + 0.0722 * lin(c.blueF())


def contrast_ratio(a: QColor, b: QColor) -> float:
    """WCAG 2 contrast ratio (1 to 21)."""
    la, lb = sorted((_relative_luminance(a), _relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _pixels(window: QWidget) -> np.ndarray:
    img = window.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    ptr = img.constBits()
    arr = np.frombuffer(ptr, dtype=np.uint32, count=img.bytesPerLine() * img.height() // 4)
    return arr.reshape(img.height(), img.bytesPerLine() // 4)[:, :img.width()].copy()


def _is_text(w: QWidget) -> bool:
    if isinstance(w, QLineEdit):
        return True
    if isinstance(w, QLabel):
        return bool(w.text()) and w.pixmap().isNull()
    if isinstance(w, QAbstractButton):
        return bool(w.text())
    return False


def is_target(w: QWidget) -> bool:
    """Something a finger presses: buttons, inputs, and widgets that say they are one."""
    if w.testAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents):
        return False
    return isinstance(w, (QAbstractButton, QLineEdit)) or bool(w.property("touchTarget"))


def _name(w: QWidget, screen: str) -> str:
    text = ""
    if isinstance(w, (QLabel, QAbstractButton, QLineEdit)):
        text = (w.text() or w.accessibleName() or "").replace("\n", " ")[:24]
    if not text:
        text = w.accessibleName()[:24]
    return f"{screen}: {type(w).__name__}#{w.objectName() or '-'} '{text}'"


def _font_px(w: QWidget) -> float:
    f = w.font()
    return float(f.pixelSize()) if f.pixelSize() > 0 else f.pointSizeF() * w.logicalDpiY() / 72.0


def _line_spacing(w: QWidget) -> float | None:
    """Line pitch ÷ font size of a label's text as laid out at its width (None: one line)."""
    if not isinstance(w, QLabel):
        return None
    px = _font_px(w)
    raw = QLabel.text(w)   # what Qt draws (rich text for kiosk Labels), not the plain override
    doc = QTextDocument()
    doc.setDefaultFont(w.font())
    doc.setDocumentMargin(0)
    if w.textFormat() == Qt.TextFormat.RichText:
        doc.setHtml(raw)
    else:
        doc.setPlainText(raw)
    doc.setTextWidth(max(1, w.contentsRect().width()) if w.wordWrap() else -1)
    tops: list[float] = []
    block = doc.begin()
    while block.isValid():
        lay = block.layout()
        pos = doc.documentLayout().blockBoundingRect(block).top()
        tops.extend(pos + lay.lineAt(i).y() for i in range(lay.lineCount()))
        block = block.next()
    if len(tops) < 2 or px <= 0:
        return None
    return min(b - a for a, b in itertools.pairwise(tops)) / px


def _rect_gap(a: QRect, b: QRect) -> float:
    dx = max(0, max(a.left(), b.left()) - min(a.right(), b.right()) - 1)
    dy = max(0, max(a.top(), b.top()) - min(a.bottom(), b.bottom()) - 1)
    return float((dx * dx + dy * dy) ** 0.5)


def measure(window: QWidget, screen: str, figures: Figures, layers: list[QWidget]) -> None:
    """Add what `window` shows now to `figures`. `layers`: the widgets whose contents are what
    the citizen sees (an overlay when one covers the window, else the window)."""
    pixels = _pixels(window)
    widgets = [w for layer in layers for w in [layer, *layer.findChildren(QWidget)] if w.isVisible()]
    targets = [w for w in widgets if is_target(w)]
    # A target inside a target (the consent row's own checkbox) is part of the outer one.
    outer = [t for t in targets if not any(o is not t and o.isAncestorOf(t) for o in targets)]
    for t in outer:
        figures.see("min_target_mm", min(t.width(), t.height()) * MM_PER_PX, _name(t, screen))
    # Gaps between what can be touched now: the part of each target not scrolled out of view.
    rects: dict[int, QRect] = {}
    for t in outer:
        seen = t.visibleRegion().boundingRect()
        if not seen.isEmpty():
            rects[id(t)] = seen.translated(t.mapTo(window, QPoint(0, 0)))
    touchable = [t for t in outer if id(t) in rects]
    for i, a in enumerate(touchable):
        for b in touchable[i + 1:]:
            figures.see("min_gap_mm", _rect_gap(rects[id(a)], rects[id(b)]) * MM_PER_PX,
                        f"{_name(a, screen)} / {_name(b, screen)}")
    for w in widgets:
        if not _is_text(w):
            continue
        px = _font_px(w)
        figures.see("min_text_px", px, _name(w, screen))
        spacing = _line_spacing(w)
        if spacing is not None:
            figures.see("min_line_spacing", spacing, _name(w, screen))
        if not (isinstance(w, QLineEdit) and not w.text()) and w.text().strip():  # type: ignore[attr-defined]  # _is_text: a label, edit or button
            ratio = _contrast_on_screen(w, window, pixels)
            if ratio is not None:
                figures.see("min_contrast", ratio, _name(w, screen))


def _contrast_on_screen(w: QWidget, window: QWidget, pixels: np.ndarray) -> float | None:
    """The text colour against the colour painted most under the widget's visible part."""
    visible = w.visibleRegion().boundingRect()
    if visible.isEmpty() or visible.width() * visible.height() < 0.9 * w.width() * w.height():
        return None   # scrolled partly out of view: measured when it is in view
    inner = w.contentsRect() if isinstance(w, (QLabel, QCheckBox)) else w.rect().adjusted(4, 4, -4, -4)
    top_left = w.mapTo(window, inner.topLeft())
    x0, y0 = max(0, top_left.x()), max(0, top_left.y())
    x1, y1 = min(pixels.shape[1], x0 + inner.width()), min(pixels.shape[0], y0 + inner.height())
    if x1 <= x0 or y1 <= y0:
        return None
    values, counts = np.unique(pixels[y0:y1, x0:x1] & 0xFFFFFF, return_counts=True)
    v = int(values[int(np.argmax(counts))])
    bg = QColor((v >> 16) & 0xFF, (v >> 8) & 0xFF, v & 0xFF)
    fg = w.palette().color(w.foregroundRole())
    return contrast_ratio(fg, bg)
