"""A simulated speaker: records what would be said (text, language, time) and plays nothing.

For tests and the demo (`kiosk run --simulate`, voice.backend = "sim"). Like a real speaker it
has a busy state: each utterance "lasts" len(text) × seconds_per_char (0 by default: done at
once), measured on `clock`, so no thread is needed.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from kiosk.devices.speech.text import check_language, speakable


@dataclass(frozen=True)
class Utterance:
    text: str
    lang: str
    at: float            # clock() when it was asked for
    headset: bool = False


class SimSpeaker:
    """The Speaker port without sound. All methods: any thread, never block (but `wait_idle`)."""

    def __init__(self, headset: bool = False, seconds_per_char: float = 0.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._seconds_per_char = seconds_per_char
        self._has_headset = headset
        self._headset = False
        self._said: list[Utterance] = []
        self._last: tuple[str, str] | None = None
        self._busy_until = 0.0
        self._closed = False
        self.stops = 0          # how many times speech was stopped (stop, clear, interrupt, repeat)

    @property
    def utterances(self) -> list[Utterance]:
        """Everything asked to be spoken so far, oldest first (a copy)."""
        with self._lock:
            return list(self._said)

    def say(self, text: str, lang: str, interrupt: bool = False) -> None:
        check_language(lang)
        text = speakable(text)
        with self._lock:
            if not text or self._closed:
                return
            now = self._clock()
            if interrupt:
                self._stop_locked()
            start = max(now, self._busy_until)
            self._busy_until = start + len(text) * self._seconds_per_char
            self._said.append(Utterance(text, lang, now, self._headset))
            self._last = (text, lang)

    def _stop_locked(self) -> None:
        self.stops += 1
        self._busy_until = 0.0

    def stop(self) -> None:
        with self._lock:
            self._stop_locked()

    def repeat(self) -> None:
        with self._lock:
            last = self._last
        if last is not None:
            self.say(*last, interrupt=True)

    def clear(self) -> None:
        with self._lock:
            self._stop_locked()
            self._last = None

    def busy(self) -> bool:
        with self._lock:
            return self._clock() < self._busy_until

    def headset_available(self) -> bool:
        return self._has_headset

    def set_headset(self, on: bool) -> bool:
        with self._lock:
            self._headset = bool(on) and self._has_headset
            return self._headset

    def wait_idle(self, timeout: float) -> bool:
        """Sleeps (bounded by `timeout`) until the simulated speech is over. Not the GUI thread."""
        deadline = time.monotonic() + timeout
        while self.busy():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(left, 0.01))
        return True

    def close(self, timeout: float) -> None:
        with self._lock:
            self._stop_locked()
            self._closed = True
