"""Keeping the field being typed in view above the docked keyboard."""
from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLineEdit, QScrollArea, QWidget


def keep_visible(scroll: QScrollArea, container: QWidget) -> None:
    """Scroll so that `container` (a field: label, input, error), or at least its line edit when
    the field is taller than the room left, shows inside the scroll area, which the keyboard
    has just shrunk. Now (with the layouts brought up to date) and once more after Qt has
    processed pending layout events. GUI thread."""

    def scroll_now() -> None:
        try:
            for w in (scroll.window(), scroll.parentWidget()):
                lay = w.layout() if w is not None else None
                if lay is not None:
                    lay.activate()
            margin = 12
            scroll.ensureWidgetVisible(container, 0, margin)
            # The field's own input (a date field's is not a QLineEdit), else its first line edit.
            edit = container if isinstance(container, QLineEdit) else (
                getattr(container, "edit", None) or container.findChild(QLineEdit))
            if edit is not None:
                scroll.ensureWidgetVisible(edit, 0, margin)
        except RuntimeError:     # the page was rebuilt meanwhile: nothing to keep in view
            pass

    scroll_now()
    QTimer.singleShot(0, scroll_now)
