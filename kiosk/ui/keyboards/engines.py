"""The engines the keyboards use, shared by every keyboard in the process:

  pinyin()       PinyinLookup: asks the Pinyin helper process (libpinyin, GPL-3+, out of process)
                 on a worker thread and answers with a Qt signal, so the GUI thread never waits
  handwriting()  the HandwritingRecogniser (zinnia, BSD), called on the GUI thread (2-5 ms)

Both are made on first use; pinyin's helper is ended at interpreter exit (and ends by itself at
the end of its input if this process dies).
"""
from __future__ import annotations

import atexit
import logging
import threading

from PySide6.QtCore import QObject, Signal

from kiosk.devices.input_engines import EngineUnavailable
from kiosk.devices.input_engines.handwriting import HandwritingRecogniser
from kiosk.devices.input_engines.pinyin_process import PinyinProcess

log = logging.getLogger(__name__)

LIMIT = 50      # candidates fetched per lookup; the bar pages through them


class PinyinLookup(QObject):
    """`request(pinyin)` from the GUI thread; `results(pinyin, candidates)` comes back on the GUI
    thread (queued), with None when the engine is unavailable. Only the latest request is worked
    on: letters typed while a lookup runs replace the waiting one."""

    results = Signal(str, object)

    def __init__(self, engine: PinyinProcess) -> None:
        super().__init__()
        self.engine = engine
        self._cv = threading.Condition()
        self._pending: tuple[str, str] | None = None    # ("lookup", pinyin) or ("forget", "")
        self._thread: threading.Thread | None = None
        self._stopping = False

    def request(self, pinyin: str) -> None:
        self._post(("lookup", pinyin))

    def forget(self) -> None:
        self._post(("forget", ""))

    def warm_up(self) -> None:
        self._post(("warm", ""))

    def _post(self, job: tuple[str, str]) -> None:
        with self._cv:
            self._pending = job
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="pinyin-lookup", daemon=True)
                self._thread.start()
            self._cv.notify()

    def stop(self) -> None:
        with self._cv:
            self._stopping = True
            self._cv.notify()
        self.engine.close()

    def _run(self) -> None:
        """Worker thread: one job at a time; each blocks at most the engine's timeouts."""
        while True:
            with self._cv:
                while self._pending is None and not self._stopping:
                    self._cv.wait()
                if self._stopping:
                    return
                job, self._pending = self._pending, None
            if job is None:
                continue
            op, text = job
            try:
                if op == "lookup":
                    found = self.engine.lookup(text, LIMIT)
                elif op == "forget":
                    self.engine.forget()
                    continue
                else:
                    self.engine.warm_up()
                    continue
            except EngineUnavailable as exc:
                log.warning("pinyin: %s", exc)     # the message names the engine, never the input
                found = None
            try:
                self.results.emit(text, found)
            except RuntimeError:     # the QObject is gone (application shutting down)
                return


_pinyin: PinyinLookup | None = None
_handwriting: HandwritingRecogniser | None = None


def pinyin() -> PinyinLookup:
    """The process's PinyinLookup (GUI thread)."""
    global _pinyin
    if _pinyin is None:
        _pinyin = PinyinLookup(PinyinProcess())
        atexit.register(_pinyin.engine.close)
    return _pinyin


def handwriting() -> HandwritingRecogniser:
    global _handwriting
    if _handwriting is None:
        _handwriting = HandwritingRecogniser()
    return _handwriting
