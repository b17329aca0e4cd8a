"""Lockdown for a production kiosk: full screen, no window frame, and the usual ways out ignored
(Alt+F4, Ctrl+Q, Ctrl+W, Escape, Alt+Tab and the Super key where Qt sees them; closing the
window). Leaving needs a supervisor's sign-in on the staff console, which the flow audits
("lockdown_exit") before `release` is called. GUI thread only.

What Qt cannot see it cannot stop: Ctrl+Alt+Del, VT switching and a window manager's own
bindings are for the kiosk's session setup (a kiosk user with no desktop, docs/security.md).
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QWidget

Mod = Qt.KeyboardModifier
K = Qt.Key
# (key, modifiers that must be held); a key with no modifier listed is refused whatever is held.
_REFUSED: tuple[tuple[Qt.Key, Qt.KeyboardModifier | None], ...] = (
    (K.Key_F4, Mod.AltModifier),
    (K.Key_Q, Mod.ControlModifier),
    (K.Key_W, Mod.ControlModifier),
    (K.Key_Tab, Mod.AltModifier),
    (K.Key_Backtab, Mod.AltModifier),
    (K.Key_Escape, None),
    (K.Key_Super_L, None),
    (K.Key_Super_R, None),
    (K.Key_Meta, None),
    (K.Key_Close, None),
    (K.Key_Exit, None),
)


def refused(event: QKeyEvent) -> bool:
    """True for a key press that would quit, close or switch away from the kiosk."""
    key, mods = event.key(), event.modifiers()
    return any(key == k and (m is None or bool(mods & m)) for k, m in _REFUSED)


class Lockdown(QObject):
    """Installed on the QApplication while active: eats the refused keys before any widget or
    shortcut sees them, and makes the window refuse to close."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.window = window
        self.active = False
        self.swallowed = 0          # refused key presses (tests and the log count them)

    def engage(self) -> None:
        self.active = True
        self.window.setWindowFlags(self.window.windowFlags() | Qt.WindowType.FramelessWindowHint
                                   | Qt.WindowType.WindowStaysOnTopHint)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self.window.showFullScreen()

    def release(self) -> None:
        self.active = False
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if self.active and event.type() in (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride, QEvent.Type.KeyRelease) \
                and isinstance(event, QKeyEvent) and refused(event):
            if event.type() == QEvent.Type.KeyPress:
                self.swallowed += 1
            event.accept()
            return True
        return False
