"""Python's cyclic garbage collector, run only on the GUI thread, between events.

A collection can start in whichever thread happens to allocate when a generation's threshold is
crossed: a device or health thread parsing YAML, or the GUI thread in the middle of a Qt callback
that is tearing widgets down. When such a collection frees a cycle holding PySide6 wrappers, the Qt
object is destroyed at that point, from that thread; the CI run of 2026-11-29 died with a
segmentation fault "Garbage-collecting" inside the Qt event loop (tests/ui/test_staff.py, with the
health thread busy). So while the window lives, automatic collection is off and a timer on the GUI
thread collects what the thresholds say is due, at the top of the event loop, where nothing is
half-built. Reference counting still frees everything that is not in a cycle at once; the timer
only decides when cycles are looked for.
"""
from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 500


class GuiThreadCollector(QObject):
    """Turns automatic collection off and collects from a GUI-thread timer. GUI thread only;
    `stop()` gives collection back to Python (the kiosk's shutdown, the end of a test)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._was_enabled = gc.isenabled()
        self._thresholds = gc.get_threshold()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(INTERVAL_MS)
        self._timer.timeout.connect(self.collect_due)
        self._timer.start()

    def collect_due(self) -> None:
        """Collect the oldest generation whose allocation count passed its threshold (as Python's
        automatic collector would), here, between events."""
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > self._thresholds[generation]:
                gc.collect(generation)
                return

    def stop(self) -> None:
        self._timer.stop()
        if self._was_enabled:
            gc.enable()
