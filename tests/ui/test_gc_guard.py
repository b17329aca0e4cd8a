"""Cycles are collected on the GUI thread, between events, while the kiosk window lives
(kiosk/ui/gc_guard.py): a collection that started in another thread, or inside a Qt callback,
once destroyed Qt objects mid-event and crashed the process."""
from __future__ import annotations

import gc
import weakref


class Cycle:
    def __init__(self) -> None:
        self.me = self


def test_while_the_window_lives_cycles_are_collected_by_the_gui_thread_timer(qtbot, make_kiosk):
    _parts, _ui = make_kiosk()
    assert not gc.isenabled()                  # no collection can start in a device thread now
    cycle = Cycle()
    gone = weakref.ref(cycle)
    del cycle
    for _ in range(800):                       # past generation 0's threshold
        Cycle()
    qtbot.waitUntil(lambda: gone() is None, timeout=5000)   # collected by the timer, between events


def test_the_kiosk_shutdown_gives_collection_back_to_python(qtbot, make_kiosk):
    _parts, ui = make_kiosk()
    ui.collector.stop()
    assert gc.isenabled()
