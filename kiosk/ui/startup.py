"""Start-up order and its markers: the attract screen first, the heavy parts behind it.

The kiosk draws its attract screen before it starts the device threads; the face verifier's
warm-up (building it, loading dlib's models, starting the encoder process) runs on the face
worker after that. bench/cold_start.py times both moments through ONEVISIT_STARTUP_MARKS.
"""
from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

MARKS_ENV = "ONEVISIT_STARTUP_MARKS"


def startup_marks() -> Callable[[str], None]:
    """ONEVISIT_STARTUP_MARKS=FILE: a function appending "<name> <time.monotonic()>
    <time.process_time()>" to FILE. The monotonic clock is system-wide, so the benchmark can
    subtract the moment it started the process; this process's CPU time (all threads) varies less
    than wall time on a busy machine. Each mark is also a line on stderr. A no-op when the
    variable is not set. Any thread."""
    path = os.environ.get(MARKS_ENV)
    if not path:
        return lambda name: None
    lock = threading.Lock()

    def mark(name: str) -> None:
        now, cpu = time.monotonic(), time.process_time()
        with lock, open(path, "a", encoding="utf-8") as f:
            f.write(f"{name} {now:.6f} {cpu:.6f}\n")
        # Also where it falls among what the process writes (`python -X importtime`'s lines).
        print(f"onevisit-startup-mark {name}", file=sys.stderr, flush=True)
    return mark


def after_first_paint(widget: Any, then: Callable[[], None]) -> None:
    """Call `then` on the GUI thread once `widget` has been painted for the first time."""
    from PySide6.QtCore import QEvent, QObject, QTimer

    class _FirstPaint(QObject):
        def eventFilter(self, watched: Any, event: Any) -> bool:  # noqa: N802 - a Qt override: its name is Qt's
            if event.type() == QEvent.Type.Paint:
                watched.removeEventFilter(self)
                QTimer.singleShot(0, then)   # after this paint event has been handled
            return False

    widget.installEventFilter(_FirstPaint(widget))


def start_when_drawn(ui: Any, parts: Any) -> None:
    """Start `ui`'s device threads (the card reader's loop, the face verifier's warm-up) once the
    attract screen has been drawn: the warm-up holds the GIL for about a second while dlib reads
    its landmark model, which would otherwise hold up the first paint. Marks "attract_painted" and,
    once the threads run, "attract_ready"; "face_ready" when the warm-up has finished. GUI thread,
    before the window is shown."""
    from PySide6.QtCore import QTimer

    from kiosk.flows.journey import Step

    mark = startup_marks()
    started: list[bool] = []

    def start() -> None:
        if not started:
            started.append(True)
            mark("attract_painted")
            ui.runtime.start()
            mark("attract_ready")

    after_first_paint(ui.window.screens[Step.ATTRACT], start)
    QTimer.singleShot(3000, start)   # a platform that never paints still gets its devices
    warm_up = getattr(parts.devices.face, "warm_up", None)
    if callable(warm_up) and os.environ.get(MARKS_ENV):
        def warm_up_and_mark() -> None:   # face worker thread
            warm_up()
            mark("face_ready")
        parts.devices.face.warm_up = warm_up_and_mark


def spare_pyside_import_hook() -> None:
    """PySide6 (6.x) asks of every module imported after it whether its source mentions
    "PySide6" (to scope `from __feature__ import ...`), using inspect.getsource, which keeps each
    module's whole source in linecache for the life of the process. For the face and receipt
    libraries the kiosk imports behind its first screen that is ~270 files and ~11 MB of resident
    memory (the same tax is discussed upstream in napari/napari#8584). Answer the same question
    from the file's bytes, which are not kept. Does nothing if PySide's
    internals are not what this expects. GUI thread, once, after importing PySide6."""
    feature = sys.modules.get("shibokensupport.feature")
    original = getattr(feature, "_mod_uses_pyside", None)
    if not callable(original) or getattr(original, "kiosk_spared", False):
        return

    def mod_uses_pyside(module: Any) -> bool:
        path = getattr(module, "__file__", None)
        if not isinstance(path, str) or not path.endswith(".py"):
            return original(module)   # built-in or compiled: the original finds no source either
        try:
            with open(path, "rb") as f:
                return b"PySide6" in f.read()
        except OSError:
            return original(module)

    mod_uses_pyside.kiosk_spared = True   # type: ignore[attr-defined]
    feature._mod_uses_pyside = mod_uses_pyside   # type: ignore[union-attr]
