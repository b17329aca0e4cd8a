"""A receipt printer behind a CUPS queue, driven through the CUPS command-line clients.

`lp` submits the receipt (the PDF goes on its standard input, so no file of ours touches the disk),
`lpstat -l -p QUEUE` reports the queue (idle / printing / stopped, the operator's message and the
printer-state-reasons such as `media-empty-error`), `ipptool` (cups-ipp-utils, which Debian's
`cups` pulls in) reads the job's exact state (completed, canceled, aborted...) and `cancel`
withdraws a job we give up on, so a stale receipt never comes out after the citizen has left.
Every call has a timeout and runs with LC_ALL=C, so what we parse is never translated. No Python
dependency: pycups would need the libcups headers to build.

Citizen-facing reasons are short statements of what is wrong; the flow adds what to do next
(kiosk.flows.messages.PRINT_PROBLEM). The `detail` of a PrinterError is for the operator log.
"""
from __future__ import annotations

import csv
import logging
import os
import re
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from kiosk.devices.ports import PrinterError, PrinterHealth
from kiosk.domain.text import Text
from kiosk.i18n import tr

log = logging.getLogger(__name__)

UNAVAILABLE = tr("回执打印机暂时无法使用。")
OUT_OF_PAPER = tr("回执打印机缺纸。")
PAPER_JAM = tr("回执打印机卡纸。")
COVER_OPEN = tr("回执打印机的盖子没有关好。")
JOB_FAILED = tr("回执打印机出现故障。")
JOB_CANCELLED = tr("打印任务已被取消。")
NOT_RESPONDING = tr("回执打印机没有响应。")

CALL_TIMEOUT = 10.0          # the most one client call may take (also bounded by the job's deadline)
CANCEL_RESERVE = 2.0         # kept back from the deadline to cancel a job we give up on

# The printer-state-reasons (RFC 8011 keywords, without the -error/-warning/-report suffix) that
# stop a receipt from coming out, and what the citizen is told.
_BLOCKING_REASONS: dict[str, Text] = {
    "media-empty": OUT_OF_PAPER,
    "media-needed": OUT_OF_PAPER,
    "media-jam": PAPER_JAM,
    "cover-open": COVER_OPEN,
    "door-open": COVER_OPEN,
    "interlock-open": COVER_OPEN,
    "offline": UNAVAILABLE,
    "shutdown": UNAVAILABLE,
}
# Words in an operator's `cupsdisable -r MESSAGE` (or a driver's state message) meaning no paper.
_PAPER_WORDS = ("media-empty", "media-needed", "paper", "缺纸")

# Get-Job-Attributes for ipptool, read from its standard input ($uri and $job_id come from -d/URI).
_GET_JOB = """{
  NAME "job state"
  OPERATION Get-Job-Attributes
  GROUP operation-attributes-tag
  ATTR charset attributes-charset utf-8
  ATTR naturalLanguage attributes-natural-language en
  ATTR uri printer-uri $uri
  ATTR integer job-id $job_id
  ATTR name requesting-user-name $user
  ATTR keyword requested-attributes job-state,job-state-reasons
  STATUS successful-ok
  DISPLAY job-state
  DISPLAY job-state-reasons
}
"""

_QUEUE_NAME = re.compile(r"[^\s/#\\'\"-][^\s/#\\'\"]{0,126}")
_JOB_ID = re.compile(r"request id is (\S+-\d+) \(")
_MEDIABOX = re.compile(rb"/MediaBox\s*\[\s*(-?[\d.]+)\s+(-?[\d.]+)\s+(-?[\d.]+)\s+(-?[\d.]+)\s*\]")
_UNREACHABLE = ("does not exist", "invalid destination", "unable to connect", "no default destination",
                "connection refused", "bad file descriptor", "scheduler is not running")


# --- parsing the clients' output (pure functions, unit-tested on recorded output) -------------------
@dataclass(frozen=True)
class QueueStatus:
    """One queue as `lpstat -l -p QUEUE` shows it."""

    name: str
    state: str                      # "idle", "processing" or "stopped"
    message: str = ""               # printer-state-message, e.g. the reason given to cupsdisable -r
    reasons: tuple[str, ...] = ()   # printer-state-reasons ("Alerts:"), without "none"
    holding: bool = False           # `cupsdisable --hold`: new jobs are held, not printed


def parse_printer_status(text: str, queue: str) -> QueueStatus | None:
    """Parse `LC_ALL=C lpstat -l -p QUEUE`; None if the queue is not in it.

    The header is one of "printer Q is idle.  enabled since …", "printer Q is holding new jobs.
    enabled since …", "printer Q now printing Q-12.  enabled since …", "printer Q disabled since … -";
    a tab-indented state message may follow, then the long listing with "\\tAlerts: r1 r2".
    """
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"printer (\S+) (is idle\.|is holding new jobs\.|now printing \S+\.|disabled since )", line)
        if not m or m.group(1) != queue:
            continue
        how = m.group(2)
        state = "stopped" if how.startswith("disabled") else "processing" if how.startswith("now") else "idle"
        message = ""
        reasons: tuple[str, ...] = ()
        for j, follow in enumerate(lines[i + 1:]):
            if not follow.startswith("\t"):
                break                                      # the next printer
            item = follow.strip()
            if j == 0 and not re.match(r"(Form mounted|Description|Alerts|Content types|Printer types):", item):
                message = "" if item == "reason unknown" else item
            elif item.startswith("Alerts:"):
                reasons = tuple(r for r in item[len("Alerts:"):].split() if r != "none")
        return QueueStatus(queue, state, message, reasons, holding=how.startswith("is holding"))
    return None


def _base_reason(reason: str) -> tuple[str, bool]:
    """('media-empty', True) for 'media-empty-error' or 'media-empty'; blocking is False for the
    -warning and -report severities (e.g. media-low-warning)."""
    for suffix, blocking in (("-error", True), ("-warning", False), ("-report", False)):
        if reason.endswith(suffix):
            return reason[: -len(suffix)], blocking
    return reason, True            # RFC 8011: no suffix means -error


def queue_problem(status: QueueStatus) -> tuple[Text, str] | None:
    """What stops this queue from printing a receipt now: (citizen reason, operator detail), or None."""
    for reason in status.reasons:
        base, blocking = _base_reason(reason)
        if blocking and base in _BLOCKING_REASONS:
            return _BLOCKING_REASONS[base], f"queue {status.name}: printer-state-reasons {' '.join(status.reasons)}"
    if status.state == "stopped":
        said = status.message.lower()
        why = status.message or "reason unknown"
        if any(w in said for w in _PAPER_WORDS):
            return OUT_OF_PAPER, f"queue {status.name} is disabled: {why}"
        if "jam" in said or "卡纸" in said:
            return PAPER_JAM, f"queue {status.name} is disabled: {why}"
        return UNAVAILABLE, f"queue {status.name} is disabled: {why}"
    if status.holding:
        return UNAVAILABLE, f"queue {status.name} holds new jobs"
    return None


def paper_state(status: QueueStatus) -> str | None:
    """"out", "low" or "ok" from the queue's printer-state-reasons (and an operator's "out of
    paper" message on a stopped queue); None when the printer reports nothing about paper (a PDF
    queue, a driver without status): the queue cannot tell."""
    bases = {_base_reason(r)[0] for r in status.reasons}
    if bases & {"media-empty", "media-needed"}:
        return "out"
    if status.state == "stopped" and any(w in status.message.lower() for w in _PAPER_WORDS):
        return "out"
    if "media-low" in bases:
        return "low"
    return None


def parse_accepting(lpstat_a_output: str, queue: str) -> bool | None:
    """From `lpstat -a QUEUE`: "Q accepting requests since …" (True) or "Q not accepting requests
    since …" (False, `cupsreject`); None if the queue is not in it."""
    for line in lpstat_a_output.splitlines():
        name, _, rest = line.partition(" ")
        if name == queue:
            return not rest.startswith("not accepting")
    return None


def parse_job_id(lp_output: str) -> str | None:
    """The job id from lp's "request id is OneVisitReceipts-12 (0 file(s))"."""
    m = _JOB_ID.search(lp_output)
    return m.group(1) if m else None


def parse_ipptool_job(csv_output: str) -> tuple[str, tuple[str, ...]] | None:
    """(job-state, job-state-reasons) from `ipptool -c` with our Get-Job-Attributes test, e.g.
    ('completed', ('processing-to-stop-point',)); None when the output has no such row."""
    rows = [r for r in csv.reader(csv_output.splitlines()) if r]
    if len(rows) < 2 or rows[0][:1] != ["job-state"]:
        return None
    values = dict(zip(rows[0], rows[1], strict=False))   # ipptool's output is not ours to trust
    state = values.get("job-state", "")
    if not state:
        return None
    reasons = tuple(r for r in values.get("job-state-reasons", "").split(",") if r and r != "none")
    return state, reasons


def parse_active_jobs(lpstat_output: str) -> set[str]:
    """Job ids in `lpstat -W not-completed -o QUEUE` (one job per line, the id first)."""
    return {line.split()[0] for line in lpstat_output.splitlines() if line and not line[0].isspace()}


def page_media(pdf: bytes) -> str | None:
    """The CUPS media option for the PDF's first page, in points ("Custom.226.77x898.60"), so a
    roll printer feeds exactly one receipt's length instead of placing it on a default page."""
    m = _MEDIABOX.search(pdf)
    if not m:
        return None
    x0, y0, x1, y1 = (float(v) for v in m.groups())
    w, h = abs(x1 - x0), abs(y1 - y0)
    return f"Custom.{w:.2f}x{h:.2f}" if w >= 36 and h >= 36 else None


# --- running the clients ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Output:
    returncode: int
    stdout: str
    stderr: str


Runner = Callable[[Sequence[str], "bytes | None", float], Output]


def run_client(argv: Sequence[str], data: bytes | None, timeout: float, env: Mapping[str, str] | None = None) -> Output:
    """Run one CUPS client untranslated (LC_ALL=C) with a timeout. Raises subprocess.TimeoutExpired
    (the child is killed) or OSError (not installed)."""
    proc = subprocess.run(list(argv), input=data if data is not None else b"", capture_output=True,
                          timeout=timeout, env={**(env if env is not None else os.environ), "LC_ALL": "C"})
    return Output(proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace"))


class CupsPrinter:
    """The receipt printer behind the CUPS queue `queue` (`devices.printer_queue`).

    `server`: a CUPS server ("host[:port]" or a domain socket path) instead of the client's default
    (CUPS_SERVER, client.conf, the local scheduler). `match_page_size`: ask for a page as large as
    the receipt (an 80 mm roll then feeds exactly one receipt); turn it off to use the queue's
    default media. `run` replaces the subprocess runner (tests).
    """

    def __init__(self, queue: str, *, server: str | None = None, match_page_size: bool = True,
                 poll_interval: tuple[float, float] = (0.1, 1.0), run: Runner | None = None) -> None:
        if not _QUEUE_NAME.fullmatch(queue or ""):
            raise ValueError(f"not a CUPS queue name: {queue!r}")
        self.queue = queue
        self.name = f"CUPS queue {queue}"
        self.server = server
        self.match_page_size = match_page_size
        self.poll_first, self.poll_max = poll_interval
        env = dict(os.environ)
        if server:
            env["CUPS_SERVER"] = server
        self._run: Runner = run or (lambda argv, data, timeout: run_client(argv, data, timeout, env))
        self._ipptool = True          # False once ipptool turned out to be missing
        self._ipptool_warned = False
        self._closed = threading.Event()

    # --- the Printer port ----------------------------------------------------------------------
    def print_pdf(self, pdf: bytes, job_name: str, timeout: float) -> str:
        """Print one receipt and return its CUPS job id (e.g. "OneVisitReceipts-12").

        Runs on the printing thread. Blocks on the CUPS clients (each call bounded by the time
        left) and on polling the job, at 0.1 s growing to 1 s, until CUPS reports it completed:
        all within `timeout` seconds, a little of which is kept to cancel the job when it has not
        printed by then. Raises PrinterError: the queue or scheduler is not available, the printer
        is disabled / out of paper / jammed / open, the job was cancelled or aborted, or the
        timeout passed (the job is cancelled so it cannot come out later).
        """
        start = time.monotonic()
        deadline = start + timeout
        until = deadline - min(CANCEL_RESERVE, timeout * 0.1)
        if self._closed.is_set():
            raise PrinterError(UNAVAILABLE, "the printer was closed (kiosk shutting down)")
        if not pdf.startswith(b"%PDF-"):
            raise PrinterError(JOB_FAILED, "the receipt is not a PDF")
        problem = queue_problem(self.status(until))
        if problem:
            raise PrinterError(*problem)
        job = self._submit(pdf, job_name, until)
        try:
            self._wait(job, until)
        except PrinterError as exc:
            if getattr(exc, "job_over", False):
                raise                          # cancelled or aborted already: nothing to withdraw
            self._cancel(job, deadline)
            raise PrinterError(exc.reason, f"{exc.detail}; job {job} cancelled after "
                                           f"{time.monotonic() - start:.1f}s") from None
        log.info("CUPS job %s printed in %.2fs", job, time.monotonic() - start)
        return job

    def close(self) -> None:
        """Kiosk shutdown: stop polling a job. Any thread; never blocks. A `print_pdf` in progress
        raises PrinterError at its next poll, or when the client call it is in returns (each is
        bounded by CALL_TIMEOUT). The job stays with CUPS: the receipt may still come out for the
        citizen, and cancelling would mean one more client call while the kiosk stops."""
        self._closed.set()

    def health(self, timeout: float) -> PrinterHealth:
        """The queue as `lpstat -l -p` and `lpstat -a` see it: it exists, is not stopped or
        holding jobs, accepts jobs, and no printer-state-reason (out of paper, jam, cover open)
        stops a receipt. Paper as the printer reports it (None for a queue that cannot tell).
        Any thread (CUPS clients are separate processes); within `timeout` s; never raises."""
        until = time.monotonic() + timeout
        try:
            status = self.status(until)
        except PrinterError as exc:
            return PrinterHealth(False, exc.reason, exc.detail)
        paper = paper_state(status)
        problem = queue_problem(status)
        if problem is not None:
            return PrinterHealth(False, problem[0], problem[1], paper)
        try:
            out = self._call(["lpstat", "-a", self.queue], None, until, "lpstat -a")
        except PrinterError as exc:
            return PrinterHealth(False, exc.reason, exc.detail, paper)
        if parse_accepting(out.stdout, self.queue) is False:
            return PrinterHealth(False, UNAVAILABLE, f"queue {self.queue} is not accepting jobs", paper)
        return PrinterHealth(True, None, f"queue {self.queue} is {status.state}", paper)

    # --- the steps -----------------------------------------------------------------------------
    def status(self, until: float) -> QueueStatus:
        """The queue's state from `lpstat -l -p QUEUE`. Raises PrinterError(UNAVAILABLE) when the
        queue does not exist or the scheduler cannot be reached."""
        out = self._call(["lpstat", "-l", "-p", self.queue], None, until, "lpstat")
        status = parse_printer_status(out.stdout, self.queue) if out.returncode == 0 else None
        if status is None:
            raise PrinterError(UNAVAILABLE, self._why_unreachable(out, until))
        return status

    def _submit(self, pdf: bytes, job_name: str, until: float) -> str:
        title = re.sub(r"[^A-Za-z0-9_.-]", "_", job_name)[:64] or "receipt"
        argv = ["lp", "-d", self.queue, "-t", title, "-o", "document-format=application/pdf"]
        media = page_media(pdf) if self.match_page_size else None
        if media:
            argv += ["-o", f"media={media}"]
        out = self._call(argv, pdf, until, "lp")        # no file operand: lp reads standard input
        job = parse_job_id(out.stdout) if out.returncode == 0 else None
        if job is not None:
            return job
        said = (out.stderr or out.stdout).strip()
        if "not accepting" in said.lower():
            raise PrinterError(UNAVAILABLE, f"lp: {said}")
        if any(w in said.lower() for w in _UNREACHABLE):
            raise PrinterError(UNAVAILABLE, self._why_unreachable(out, until))
        raise PrinterError(JOB_FAILED, f"lp refused the job: {said or out.returncode}")

    def _wait(self, job: str, until: float) -> None:
        interval = self.poll_first
        while True:
            state, reasons = self._job_state(job, until)
            if state == "completed":
                return
            if state == "canceled":
                raise _over(JOB_CANCELLED, f"job {job} was cancelled ({' '.join(reasons) or 'no reason'})")
            if state == "aborted":
                raise _over(JOB_FAILED, f"job {job} was aborted ({' '.join(reasons) or 'no reason'})")
            problem = queue_problem(self.status(until))
            if problem:
                raise PrinterError(problem[0], f"{problem[1]} while job {job} was {state}")
            if state in ("processing-stopped", "pending-held"):
                raise PrinterError(JOB_FAILED if state == "processing-stopped" else UNAVAILABLE,
                                   f"job {job} is {state} ({' '.join(reasons) or 'no reason'})")
            left = until - time.monotonic()
            if left <= 0:
                raise PrinterError(NOT_RESPONDING, f"job {job} still {state} at the timeout")
            if self._closed.wait(min(interval, left)):
                raise _over(UNAVAILABLE, f"the kiosk is shutting down; job {job} ({state}) is left to CUPS")
            interval = min(interval * 1.5, self.poll_max)

    def _job_state(self, job: str, until: float) -> tuple[str, tuple[str, ...]]:
        """The job's IPP state by ipptool ("pending", "pending-held", "processing",
        "processing-stopped", "canceled", "aborted", "completed"); without ipptool, from lpstat,
        which only tells "pending" (still queued) from "completed" (gone from the queue)."""
        number = job.rsplit("-", 1)[-1]
        if self._ipptool:
            try:
                out = self._call(["ipptool", "-c", "-T", str(max(1, round(min(CALL_TIMEOUT, until - time.monotonic())))),
                                  "-d", f"job_id={number}", self._printer_uri(), "/dev/stdin"],
                                 _GET_JOB.encode(), until, "ipptool", missing_ok=True)
            except FileNotFoundError:
                out = None
            parsed = parse_ipptool_job(out.stdout) if out is not None and out.returncode == 0 else None
            if parsed is not None:
                return parsed
            if out is None:
                self._ipptool = False          # not installed: do not try again
            if not self._ipptool_warned:
                self._ipptool_warned = True
                log.warning("ipptool cannot tell the state of job %s (%s); using lpstat, which cannot tell a "
                            "cancelled job from a printed one", job,
                            "not installed" if out is None else (out.stderr or out.stdout).strip()[:200])
        out = self._call(["lpstat", "-W", "not-completed", "-o", self.queue], None, until, "lpstat")
        if out.returncode != 0:
            raise PrinterError(UNAVAILABLE, self._why_unreachable(out, until))
        return ("pending" if job in parse_active_jobs(out.stdout) else "completed"), ()

    def _cancel(self, job: str, deadline: float) -> None:
        try:
            out = self._call(["cancel", job], None, max(deadline, time.monotonic() + 0.5), "cancel")
            if out.returncode != 0:
                log.warning("cancelling CUPS job %s failed: %s", job, out.stderr.strip()[:200])
        except PrinterError as exc:
            log.warning("cancelling CUPS job %s failed: %s", job, exc.detail)

    # --- helpers ---------------------------------------------------------------------------------
    def _call(self, argv: list[str], data: bytes | None, until: float, what: str, missing_ok: bool = False) -> Output:
        left = min(CALL_TIMEOUT, until - time.monotonic())
        if left <= 0:
            raise PrinterError(NOT_RESPONDING, f"the timeout passed before {what}")
        try:
            return self._run(argv, data, left)
        except subprocess.TimeoutExpired:
            raise PrinterError(NOT_RESPONDING, f"{what} did not answer within {left:.1f}s") from None
        except FileNotFoundError:
            if missing_ok:
                raise
            raise PrinterError(UNAVAILABLE, f"{what} is not installed (apt-get install cups-client)") from None
        except OSError as exc:
            raise PrinterError(UNAVAILABLE, f"{what} could not run: {exc}") from None

    def _why_unreachable(self, out: Output, until: float) -> str:
        said = (out.stderr or out.stdout).strip()[:200]
        try:
            running = self._call(["lpstat", "-r"], None, until, "lpstat -r").stdout.strip()
        except PrinterError:
            running = "unknown"
        if running == "scheduler is not running":
            return f"the CUPS scheduler is not running ({said})"
        return f"CUPS queue {self.queue} does not exist or cannot be reached ({said}; {running})"

    def _printer_uri(self) -> str:
        """The queue's IPP URI on the same scheduler lp talks to (ipptool has no default server)."""
        server = self.server or os.environ.get("CUPS_SERVER") or ""
        if not server:
            server = "/run/cups/cups.sock" if os.path.exists("/run/cups/cups.sock") else "localhost:631"
        host = quote(server, safe="") if server.startswith("/") else server
        return f"ipp://{host}/printers/{self.queue}"


def _over(reason: Text, detail: str) -> PrinterError:
    """A PrinterError for a job CUPS has already ended (any other failure while waiting cancels
    the job, so it never prints late)."""
    err = PrinterError(reason, detail)
    err.job_over = True   # type: ignore[attr-defined]
    return err
