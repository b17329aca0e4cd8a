"""Owner threads for device and service work.

Each device gets one `Worker`: a thread that runs submitted jobs one at a time, in order. Why
one thread per device: PC/SC contexts, camera handles and SQLite connections are not safe to
share across threads, and one owner makes the order of operations obvious.

A job's `on_done` callback runs on the worker thread; the UI wraps it in its `run_on_main`
bridge. Every job has a timeout: if it has not finished in time, `on_done` receives a
`JobTimeout` at once (from a timer thread) and the late result, when it comes, is dropped.
"""
from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


class JobTimeout(Exception):
    pass


class CancelToken:
    """Set by whoever started a job to ask it to stop early. Thread-safe."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()


@dataclass
class _Job:
    fn: Callable[[], Any]
    on_done: Callable[[Any, BaseException | None], None]
    timeout: float
    name: str
    done: threading.Lock
    finished: bool = False


class Worker:
    """A named thread with a job queue. `submit` and `shutdown` may be called from any thread."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"worker-{name}", daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[[], Any], on_done: Callable[[Any, BaseException | None], None],
               timeout: float, name: str = "job") -> None:
        job = _Job(fn, on_done, timeout, name, threading.Lock())
        self._queue.put(job)

    def _finish(self, job: _Job, result: Any, error: BaseException | None) -> None:
        with job.done:
            if job.finished:
                return   # the timeout already answered; drop the late result
            job.finished = True
        try:
            job.on_done(result, error)
        except Exception:  # a broken callback must not kill the device thread
            log.exception("callback for %s/%s failed", self.name, job.name)

    def _run(self) -> None:
        while True:
            try:
                job = self._queue.get(timeout=1.0)   # every wait is timed: an idle worker still sees shutdown
            except queue.Empty:
                if self._closing.is_set():
                    return
                continue
            if job is None:
                return
            timer = threading.Timer(job.timeout, self._finish, (job, None, JobTimeout(f"{self.name}/{job.name}")))
            timer.daemon = True
            timer.start()
            try:
                result, error = job.fn(), None
            except BaseException as exc:  # noqa: BLE001 - reported to the caller, never raised here
                result, error = None, exc
            timer.cancel()
            self._finish(job, result, error)

    def shutdown(self, deadline: float = 3.0) -> bool:
        """Ask the thread to stop after queued jobs; True if it ended within `deadline` s."""
        self._closing.set()
        self._queue.put(None)
        self._thread.join(deadline)
        return not self._thread.is_alive()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()
