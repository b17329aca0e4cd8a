"""The kiosk's health: run checks with timeouts into a HealthReport, the checks that are not
devices (disk, clock, keys, catalogue, sync; kiosk/services/health_checks.py), and the "health"
thread that repeats them while the kiosk runs.

  run_probes      every probe on a thread of its own, all at once; one that has not answered
                  by its timeout is a fault ("did not answer"), one that raised is a fault too.
  HealthMonitor   the "health" thread: a report every `interval` seconds, handed (frozen) to a
                  listener that must pass it on to the GUI thread and return.

The device probes are kiosk/devices/health.py; kiosk/compose.py `health_check` puts both
together for a configuration. `kiosk health` (kiosk/cli/health.py) prints one report.
No Qt. Never runs on the GUI thread: a probe may block for up to its timeout.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime

from kiosk.domain.health import Check, HealthReport, fault
from kiosk.i18n import tr

log = logging.getLogger(__name__)

Probe = Callable[[float], Check]
THREAD_NAME = "health"

NO_ANSWER_ACTION = tr("如持续出现，请检查该设备并重启自助终端。")


def run_probes(probes: Sequence[tuple[str, Probe]], timeout: float, *, kiosk_id: str = "",
               clock: Callable[[], datetime] = datetime.now) -> HealthReport:
    """Run every probe at once, each on a daemon thread "health-<name>" given `timeout` seconds,
    and wait at most `timeout` (+ a little) in all. A probe still running then is left to finish
    on its own (its result is dropped) and reported as a fault: a hung driver call cannot be
    interrupted from Python, only stopped being waited for. Caller's thread (never the GUI's)."""
    results: dict[int, Check] = {}
    lock = threading.Lock()

    def run(i: int, name: str, probe: Probe) -> None:
        try:
            check = probe(timeout)
        except Exception as exc:  # a broken probe is a fault to report, not a crash of the check
            log.exception("health probe %s failed", name)
            check = fault(name, tr("检测出错（{error}）。").format(error=type(exc).__name__),
                          NO_ANSWER_ACTION)
        with lock:
            results[i] = check

    threads = [threading.Thread(target=run, args=(i, name, probe), name=f"health-{name}", daemon=True)
               for i, (name, probe) in enumerate(probes)]
    for t in threads:
        t.start()
    end = time.monotonic() + timeout + 0.5    # the probes bound their own waits; this is the backstop
    for t in threads:
        t.join(max(0.0, end - time.monotonic()))
    checks = []
    with lock:
        for i, (name, _) in enumerate(probes):
            checks.append(results.get(i) or fault(
                name, tr("{timeout:g} 秒内没有应答。").format(timeout=timeout), NO_ANSWER_ACTION))
    return HealthReport(tuple(checks), clock(), kiosk_id)


class HealthMonitor:
    """The "health" thread of the running kiosk: runs `check()` soon after `start` and then
    every `interval` seconds, and hands each report to `on_report` (on this thread: the
    listener hands it to the GUI thread and returns at once). `start`, `latest` and `stop` may
    be called from any thread; only `stop` waits, for at most its deadline."""

    def __init__(self, check: Callable[[], HealthReport], interval: float,
                 on_report: Callable[[HealthReport], None], first_after: float = 2.0) -> None:
        self._check = check
        self._interval = interval
        self._on_report = on_report
        self._first_after = min(first_after, interval)   # soon after start, not a whole interval later
        self._stop = threading.Event()
        self._latest: HealthReport | None = None
        self._thread = threading.Thread(target=self._run, name=THREAD_NAME, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def latest(self) -> HealthReport | None:
        """The newest report (frozen), or None before the first. Any thread; never blocks."""
        return self._latest

    def stop(self, deadline: float = 3.0) -> bool:
        """Stop repeating; True once the thread has ended (a check in progress is waited for up
        to `deadline` s; its probes' own threads are daemons and end with their timeouts)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(max(0.0, deadline))
        return not self._thread.is_alive()

    def _run(self) -> None:
        wait = self._first_after
        while not self._stop.wait(wait):
            wait = self._interval
            try:
                report = self._check()
            except Exception:  # logged with its traceback; the next round tries again
                log.exception("health check failed")
                continue
            self._latest = report
            if report.faults:
                log.warning("health: %s", "; ".join(f"{c.name}: {c.detail.en}" for c in report.faults))
            if self._stop.is_set():
                return
            try:
                self._on_report(report)
            except Exception:  # a broken listener must not stop the checks
                log.exception("health listener failed")
