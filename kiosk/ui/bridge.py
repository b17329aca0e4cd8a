"""The one bridge from worker threads to the GUI thread (like Anki's run_on_main).

`run_on_main(fn)` may be called from any thread; `fn` runs soon after on the GUI thread via a
queued signal. Nothing else crosses threads in the UI.
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal, Slot


class MainThreadBridge(QObject):
    _call = Signal(object)

    def __init__(self) -> None:
        super().__init__()   # created on the GUI thread, so queued calls land there
        self._call.connect(self._on_call, Qt.ConnectionType.QueuedConnection)

    def run_on_main(self, fn: Callable[[], None]) -> None:
        self._call.emit(fn)

    @Slot(object)
    def _on_call(self, fn: Callable[[], None]) -> None:
        fn()
