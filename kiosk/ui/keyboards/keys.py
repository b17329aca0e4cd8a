"""Keys: large touch buttons that never take the focus from the field being typed, and the
keyboards' style sheet, sized from the theme's millimetres (times the large-mode scale)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from kiosk.ui import theme


def key(text: str, name: str = "key") -> QPushButton:
    """A keyboard key. NoFocus: tapping it leaves the focus (and the cursor) in the field."""
    b = QPushButton(text)
    b.setObjectName(name)
    b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    b.setCursor(Qt.CursorShape.PointingHandCursor)
    b.setAutoRepeat(name == "backspaceKey")   # a held ⌫ keeps deleting, as on a phone
    return b


def key_px(scale: float | None = None) -> int:
    return theme.mm_px(theme.KEY_MM, scale)


def gap_px(scale: float | None = None) -> int:
    return theme.mm_px(theme.KEY_GAP_MM, scale)


def stylesheet(scale: float | None = None) -> str:
    """The keyboard panel's own style sheet (more specific than the application's QPushButton
    rule, whose padding would otherwise make keys wider than the row)."""
    s = theme.SCALE if scale is None else scale
    k = key_px(s)
    font = round(theme.KEY_FONT_PX * s)
    cand = round(34 * s)
    return f"""
#keyboard {{ background: #dfe7f3; border-top: 3px solid {theme.PRIMARY}; }}
QPushButton#key, QPushButton#backspaceKey, QPushButton#sideKey, QPushButton#tab, QPushButton#candidate,
QPushButton#pageKey, QPushButton#doneKey, QPushButton#stepKey {{
    min-height: {k}px; min-width: {k}px; padding: 0 {round(8 * s)}px; font-size: {font}px;
    border-radius: {round(10 * s)}px; background: white; color: {theme.INK}; border: 2px solid #8aa0c0; }}
#digitPad QPushButton#key {{ font-size: {round(36 * s)}px; font-weight: bold; }}
QPushButton#key:pressed, QPushButton#candidate:pressed, QPushButton#stepKey:pressed {{ background: #c9d8f0; }}
QPushButton#sideKey, QPushButton#backspaceKey {{ color: {theme.PRIMARY_DARK}; font-weight: bold; }}
QPushButton#sideKey, QPushButton#backspaceKey, QPushButton#doneKey {{ min-width: {round(k * 2.2)}px; }}
QPushButton#stepKey {{ font-size: {round(40 * s)}px; font-weight: bold; color: {theme.PRIMARY_DARK}; max-width: {round(k * 3)}px; }}
QPushButton#doneKey {{ background: {theme.PRIMARY}; color: white; font-weight: bold; border-color: {theme.PRIMARY}; }}
QPushButton#tab {{ color: {theme.PRIMARY_DARK}; font-weight: bold; }}
QPushButton#tab[checked="true"] {{ background: {theme.PRIMARY}; color: white; border-color: {theme.PRIMARY}; }}
QPushButton#candidate {{ font-size: {cand}px; min-width: {round(k * 1.3)}px; }}
QPushButton#pageKey {{ color: {theme.PRIMARY_DARK}; font-weight: bold; }}
QPushButton:disabled {{ color: #9aa5b5; border-color: #c9d4e5; background: #f3f6fb; }}
#composition {{ font-size: {font}px; color: {theme.PRIMARY_DARK}; font-weight: bold; min-width: {round(k * 2.5)}px; }}
#dateText {{ font-size: {round(36 * s)}px; font-weight: bold; color: {theme.PRIMARY_DARK}; }}
#dateValue {{ font-size: {round(44 * s)}px; font-weight: bold; min-width: {round(k * 2)}px; }}
#dateUnit {{ font-size: {font}px; color: {theme.MUTED}; }}
#keyboardHint {{ font-size: {round(22 * s)}px; color: {theme.MUTED}; }}
#drawingPad {{ background: white; border: 2px solid #8aa0c0; border-radius: {round(10 * s)}px; }}
"""
