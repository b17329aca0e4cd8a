"""Scales what the style sheet cannot reach: layout spacings and margins, and fixed sizes set in
Python, by the same factor as the theme (kiosk.ui.theme). GUI thread only.

The first time a layout is seen its spacing and margins are remembered as its base (normal mode)
values, in dynamic properties, so applying a scale again, or going back to 1.0, is exact. Layouts
made later (a form page, the bundle grid) are picked up by the next `apply_scale`. Spacing
between widgets never goes below MIN_GAP_PX × scale, so adjacent touch targets keep the 3 mm
gap the reference panel needs (12.1 px) whatever a screen asked for.
"""
from __future__ import annotations

from PySide6.QtCore import QMargins
from PySide6.QtWidgets import QBoxLayout, QGridLayout, QLayout, QWidget

MIN_GAP_PX = 14          # 3.5 mm on the reference panel


def _base(obj: QLayout, name: str, current: int) -> int:
    value = obj.property(name)
    if value is None:
        obj.setProperty(name, current)
        return current
    return int(value)


def _scale_layout(lay: QLayout, scale: float) -> None:
    m = lay.contentsMargins()
    left = _base(lay, "baseMarginLeft", m.left())
    top = _base(lay, "baseMarginTop", m.top())
    right = _base(lay, "baseMarginRight", m.right())
    bottom = _base(lay, "baseMarginBottom", m.bottom())
    lay.setContentsMargins(QMargins(*(round(v * scale) for v in (left, top, right, bottom))))
    if isinstance(lay, QGridLayout):
        h = max(MIN_GAP_PX, _base(lay, "baseHSpacing", lay.horizontalSpacing()))
        v = max(MIN_GAP_PX, _base(lay, "baseVSpacing", lay.verticalSpacing()))
        lay.setHorizontalSpacing(round(h * scale))
        lay.setVerticalSpacing(round(v * scale))
    elif isinstance(lay, QBoxLayout):
        s = max(MIN_GAP_PX, _base(lay, "baseSpacing", lay.spacing()))
        lay.setSpacing(round(s * scale))


def apply_scale(root: QWidget, scale: float) -> None:
    """Scale every layout under `root` (and root's own), and widgets that asked for a scaled fixed
    size through the "baseFixedWidth" / "baseFixedHeight" properties (or a scaled largest width
    through "baseMaxWidth")."""
    layouts = root.findChildren(QLayout)
    own = root.layout()
    if own is not None and own not in layouts:
        layouts.append(own)
    for lay in layouts:
        _scale_layout(lay, scale)
    for w in root.findChildren(QWidget):
        fw, fh = w.property("baseFixedWidth"), w.property("baseFixedHeight")
        if fw is not None:
            w.setFixedWidth(round(int(fw) * scale))
        if fh is not None:
            w.setFixedHeight(round(int(fh) * scale))
        mw = w.property("baseMaxWidth")
        if mw is not None:
            w.setMaximumWidth(round(int(mw) * scale))
