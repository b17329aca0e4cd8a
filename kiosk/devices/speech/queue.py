"""QueuedSpeaker: the Speaker port's queue and worker thread, shared by every real backend.

A backend only says how to speak one text (`SpeechBackend.speak`); this class owns the order,
the interruptions and the thread. Why subprocesses: rendering and playing run as child processes
(espeak-ng, aplay), so `stop` can end them at once with a signal from any thread, a crashing
synthesiser cannot take the kiosk down, and no GPL library is loaded into the kiosk's process
(docs/voice.md "Licences").

Threads: one worker ("speaker") per speaker, started by the first `say`, ended by `close`. The
GUI thread only queues and signals; it never waits for a process.
"""
from __future__ import annotations

import logging
import queue
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from kiosk.devices.speech.text import check_language, speakable

log = logging.getLogger(__name__)


class Cancelled(Exception):
    """The utterance was stopped (stop, clear, an interrupting say, close)."""


class SpeechFailed(Exception):
    """The backend could not speak (a missing program, no sound card). Never personal data."""


class Job:
    """One utterance on the worker thread: runs its child processes so that `stop` can kill them."""

    def __init__(self, owner: QueuedSpeaker, generation: int) -> None:
        self._owner = owner
        self._generation = generation

    def cancelled(self) -> bool:
        return self._owner._generation != self._generation

    def run(self, args: Sequence[str], stdin: bytes, timeout: float) -> bytes:
        """Run `args` with `stdin` on its standard input; its stdout, or Cancelled when stopped meanwhile, or
        SpeechFailed when it fails or outlives `timeout` s (then it is killed). Worker thread."""
        proc = self._owner._start(args, self._generation)
        try:
            out, err = proc.communicate(stdin, timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise SpeechFailed(f"{args[0]} took longer than {timeout:.0f} s") from None
        finally:
            self._owner._finished(proc)
        if self.cancelled():
            raise Cancelled
        if proc.returncode != 0:
            raise SpeechFailed(f"{args[0]} exited {proc.returncode}: {err[-300:].decode('utf-8', 'replace').strip()}")
        return out


class SpeechBackend(Protocol):
    """How one text is spoken. Called on the speaker's worker thread only, one text at a time."""

    def speak(self, text: str, lang: str, device: str, job: Job) -> None:
        """Speak `text` (already bounded and cleaned) in `lang` on ALSA `device`; run every child
        process through `job.run` and return when the audio has been played. Raises SpeechFailed
        (logged, the queue goes on) or lets Cancelled through."""


@dataclass(frozen=True)
class _Item:
    text: str
    lang: str
    generation: int


_CLOSE = object()


class QueuedSpeaker:
    """The Speaker port around a SpeechBackend (see kiosk/devices/ports.py for each method)."""

    def __init__(self, backend: SpeechBackend, output_device: str = "default", headset_device: str = "") -> None:
        self._backend = backend
        self._devices = (output_device or "default", headset_device)
        self._headset = False
        self._lock = threading.Condition()
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._generation = 0          # bumped by every stop: older items and processes are stale
        self._pending = 0             # items queued and not yet finished, under _lock
        self._procs: set[subprocess.Popen[bytes]] = set()
        self._last: tuple[str, str] | None = None
        self._thread: threading.Thread | None = None
        self._closed = False
        self.failures = 0             # utterances the backend could not speak (for tests, health)

    # -- any thread, never blocks beyond the lock ------------------------------------------
    def say(self, text: str, lang: str, interrupt: bool = False) -> None:
        check_language(lang)
        text = speakable(text)
        with self._lock:
            if not text or self._closed:
                return
            if interrupt:
                self._stop_locked()
            self._last = (text, lang)
            self._pending += 1
            self._queue.put(_Item(text, lang, self._generation))
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="speaker", daemon=True)
                self._thread.start()

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
            return self._pending > 0

    def headset_available(self) -> bool:
        return bool(self._devices[1])

    def set_headset(self, on: bool) -> bool:
        with self._lock:
            self._headset = bool(on) and self.headset_available()
            return self._headset

    def _stop_locked(self) -> None:
        self._generation += 1
        for proc in self._procs:
            _kill(proc)       # a signal: returns at once; the worker reaps the process

    # -- waiting: never the GUI thread -----------------------------------------------------
    def wait_idle(self, timeout: float) -> bool:
        with self._lock:
            return self._lock.wait_for(lambda: self._pending == 0, timeout)

    def close(self, timeout: float) -> None:
        with self._lock:
            self._closed = True
            self._stop_locked()
            thread = self._thread
        self._queue.put(_CLOSE)
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                log.warning("speaker worker did not end within %.1f s", timeout)

    # -- the worker thread -----------------------------------------------------------------
    def _work(self) -> None:
        while (item := self._queue.get()) is not _CLOSE:
            assert isinstance(item, _Item)
            try:
                if item.generation == self._generation:
                    with self._lock:
                        device = self._devices[1] if self._headset else self._devices[0]
                    self._backend.speak(item.text, item.lang, device, Job(self, item.generation))
            except Cancelled:
                pass
            except SpeechFailed as exc:
                self.failures += 1
                log.warning("speech failed: %s", exc)   # the message names programs, never the text
            except Exception:
                self.failures += 1
                log.exception("speech backend error")
            finally:
                with self._lock:
                    self._pending -= 1
                    self._lock.notify_all()

    def _start(self, args: Sequence[str], generation: int) -> subprocess.Popen[bytes]:
        """Start a child process for the current utterance, unless it was stopped already. The
        process is registered under the lock `stop` takes and the generation checked again there,
        so none escapes a stop; the fork itself happens outside the lock, so `say` never waits
        for it."""
        if generation != self._generation:
            raise Cancelled
        try:
            proc = subprocess.Popen(list(args), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, close_fds=True)
        except OSError as exc:
            raise SpeechFailed(f"cannot start {args[0]}: {exc.strerror}") from None
        with self._lock:
            self._procs.add(proc)
            if generation != self._generation:
                _kill(proc)       # stopped while it started: Job.run reaps it and sees Cancelled
        return proc

    def _finished(self, proc: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._procs.discard(proc)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    try:
        proc.kill()
    except OSError:
        pass
