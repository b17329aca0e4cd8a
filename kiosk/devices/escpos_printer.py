"""A receipt printer speaking ESC/POS: an 80 mm thermal printer on the network or on a serial line.

The receipt PDF becomes one 576-dot raster (escpos_raster.py) sent as a single GS v 0 image
between ESC @ (initialise) and GS V (cut), through python-escpos. Before anything is sent the
printer's real-time status (DLE EOT 1-4, escpos_status.py) must be clear -- out of paper,
cover open, a cutter jam or an error stop the job with nothing sent, so nothing half-prints and
the citizen can have it reprinted; after sending, the status is read again for as long as the
printer needs to print the receipt, so a cover opened or paper run out mid-job is reported too.

Where the printer is (`devices.escpos_address`):
  "HOST:PORT", "HOST" (port 9100, the raw-printing port), "[IPv6]:PORT"  a network printer;
  "/dev/…"                                                             a serial, USB-serial
       (ttyUSB/ttyACM, baud `devices.escpos_baud`) or USB printer-class device (/dev/usb/lp0).

Every call that can block (connect, write, read) is bounded by what is left of the job's timeout
and by CALL_TIMEOUT (the connections: escpos_link.py). No Qt; the printing thread calls `print_pdf`.
"""
from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from kiosk.devices import escpos_status as st
from kiosk.devices.escpos_link import DEFAULT_PORT, Address, Link, LinkError, connect, parse_address, query
from kiosk.devices.escpos_raster import LARGE_PRINT_SCALE, Raster, RasterError, receipt_raster
from kiosk.devices.ports import PrinterError, PrinterHealth
from kiosk.domain.text import Text

log = logging.getLogger(__name__)
__all__ = ["DEFAULT_PORT", "Address", "EscposPrinter", "parse_address"]

CALL_TIMEOUT = 5.0            # the most one connect / write / status read may take
PRINT_SPEED_MM_S = 100.0      # a slow 80 mm head; how long we keep watching the status after sending
POLL_INTERVAL = 0.25
BAUDS = (9600, 19200, 38400, 57600, 115200)


class EscposPrinter:
    """The Printer port for an ESC/POS thermal printer at `address` (see the module docstring).

    `large_print`: the receipt printed LARGE_PRINT_SCALE times larger, its lines re-broken to the
    roll, for citizens with poor sight. `print_speed_mm_s`: how fast the printer feeds, to know
    how long to keep watching its status after the job is sent.
    """

    def __init__(self, address: str, *, baud: int = 115200, large_print: bool = False,
                 print_speed_mm_s: float = PRINT_SPEED_MM_S, poll_interval: float = POLL_INTERVAL) -> None:
        self.address = parse_address(address)
        if baud not in BAUDS:
            raise ValueError(f"baud {baud}: one of {', '.join(map(str, BAUDS))}")
        self.baud = baud
        self.scale = LARGE_PRINT_SCALE if large_print else 1.0
        self.print_speed = print_speed_mm_s
        self.poll_interval = poll_interval
        self.name = f"ESC/POS printer {self.address}"
        self.last_warning: Text | None = None     # e.g. paper near end, for the staff
        self._closed = threading.Event()
        self._lock = threading.Lock()                # guards _link against close() from another thread
        self._link: Link | None = None
        self._jobs = 0
        self._last_status: st.PrinterStatus | None = None   # what the last status query saw

    # --- the Printer port ----------------------------------------------------------------------
    def print_pdf(self, pdf: bytes, job_name: str, timeout: float) -> str:
        """Print one receipt; return "<address> job <n> (<dots> dots)".

        Printing thread. Blocks on rendering (pdftoppm), on the connection and on the printer's
        status answers, all within `timeout` s, each single call within CALL_TIMEOUT. Raises
        PrinterError with a plain reason: not responding, out of paper, cover open, cutter jam,
        a fault -- before sending (nothing printed) or after (the receipt may be incomplete)."""
        until = time.monotonic() + timeout
        if self._closed.is_set():
            raise PrinterError(st.NOT_RESPONDING, "the printer was closed (kiosk shutting down)")
        try:
            raster = receipt_raster(pdf, scale=self.scale, timeout=max(0.1, min(10.0, until - time.monotonic())))
        except RasterError as exc:
            raise PrinterError(st.JOB_FAILED, f"cannot render the receipt: {exc}") from None
        self._jobs += 1
        job = f"{self.address} job {self._jobs} ({raster.image.height} dots)"
        link = self._open(until)
        try:
            before = self._status(link, until)
            problem = before.problem()
            if problem:
                raise PrinterError(problem, f"{job} not sent: {before.describe()}")
            self._note_warning(before)
            t0 = time.monotonic()
            self._send(link, raster, until)
            after = self._watch(link, raster, until)
            problem = after.problem()
            if problem:
                raise PrinterError(problem, f"{job} sent, then the printer reported {after.describe()}")
            self._note_warning(after)
            log.info("%s printed (render %.2fs, send and print %.2fs, QR module %s dots)", job,
                     raster.render_seconds, time.monotonic() - t0, raster.qr_module_dots)
            return job
        finally:
            self._drop(link)

    def close(self) -> None:
        """Kiosk shutdown: a `print_pdf` in progress raises PrinterError soon (its connection is cut;
        what the printer already has, it prints). Any thread; never blocks beyond a short lock."""
        self._closed.set()
        with self._lock:
            link = self._link
        if link is not None:
            link.abort()

    def health(self, timeout: float) -> PrinterHealth:
        """The printer's state for `kiosk health` and the staff line. Health thread. While a job
        holds the connection it answers from the status that job last read (a second connection
        would disturb it: a serial line or a raw port 9100 serves one at a time); otherwise it asks
        the printer on a connection of its own within `timeout` s. Never raises."""
        with self._lock:
            busy = self._link is not None
        if busy and self._last_status is not None:
            status = self._last_status
        else:
            try:
                status = self.status(timeout)
            except PrinterError as exc:
                return PrinterHealth(ready=False, problem=exc.reason, detail=f"{self.address}: {exc.detail}")
        problem = status.problem()
        paper = "out" if status.paper_end else "low" if status.paper_near_end else "ok"
        return PrinterHealth(ready=problem is None, problem=problem, detail=f"{self.address}: {status.describe()}",
                             paper=paper)

    # --- the steps -------------------------------------------------------------------------------
    def status(self, timeout: float = CALL_TIMEOUT) -> st.PrinterStatus:
        """The printer's status now, on a connection of its own (for staff tools). Any thread but
        the GUI's; blocks up to `timeout` s. Raises PrinterError(NOT_RESPONDING)."""
        until = time.monotonic() + timeout
        link = self._open(until)
        try:
            return self._status(link, until)
        finally:
            self._drop(link)

    def _open(self, until: float) -> Link:
        link = self._call("connect", lambda left: connect(self.address, self.baud, left), until)
        with self._lock:
            self._link = link
        if self._closed.is_set():          # close() ran between the check and the connect
            self._drop(link)
            raise PrinterError(st.NOT_RESPONDING, "the printer was closed (kiosk shutting down)")
        return link

    def _drop(self, link: Link) -> None:
        with self._lock:
            if self._link is link:
                self._link = None
        link.close()

    def _status(self, link: Link, until: float) -> st.PrinterStatus:
        answers: dict[int, int] = {}
        for n in st.QUERIES:
            answers[n] = self._call(f"DLE EOT {n}", functools.partial(query, link, n), until)
        try:
            self._last_status = st.parse_status(answers)
            return self._last_status
        except st.StatusFormatError as exc:
            raise PrinterError(st.NOT_RESPONDING, f"{self.address}: {exc} (is it an ESC/POS printer?)") from None

    def _send(self, link: Link, raster: Raster, until: float) -> None:
        """ESC @, the receipt as one GS v 0 raster, feed and cut, written in one piece."""
        data = link.commands(raster)
        # The write ends when the printer has taken it all: at the line speed on a serial line
        # (10 bits a byte: 122 KiB is 11 s at 115200 baud), and, once its buffer is full, as fast
        # as it prints. Either can outlast CALL_TIMEOUT; the job's own timeout still bounds it.
        line = len(data) * 10 / self.baud if self.address.device else 0.0
        needs = CALL_TIMEOUT + line + raster.image.height / 8 / self.print_speed
        self._call(f"sending {len(data)} bytes", lambda left: link.write(data, left), until, limit=needs)

    def _watch(self, link: Link, raster: Raster, until: float) -> st.PrinterStatus:
        """Poll the status while the printer prints (its length at `print_speed`) and return the
        first with a problem, or the last. Stops early at the job's deadline."""
        printing = raster.image.height / 8 / self.print_speed
        end = min(time.monotonic() + printing, until - 0.5)
        status = self._status(link, until)
        while status.problem() is None and time.monotonic() < end:
            if self._closed.wait(min(self.poll_interval, max(0.0, end - time.monotonic()))):
                raise PrinterError(st.NOT_RESPONDING, "the kiosk is shutting down; the receipt is left to the printer")
            status = self._status(link, until)
        return status

    def _note_warning(self, status: st.PrinterStatus) -> None:
        warning = status.warning()
        if warning is not None and warning != self.last_warning:
            log.warning("%s: %s (%s)", self.address, warning.en, status.describe())
        self.last_warning = warning

    def _call(self, what: str, fn: Callable[[float], Any], until: float, limit: float = CALL_TIMEOUT) -> Any:
        left = min(limit, until - time.monotonic())
        if left <= 0:
            raise PrinterError(st.NOT_RESPONDING, f"{self.address}: the timeout passed before {what}")
        if self._closed.is_set():
            raise PrinterError(st.NOT_RESPONDING, f"{self.address}: closed before {what}")
        try:
            return fn(left)
        except TimeoutError:
            raise PrinterError(st.NOT_RESPONDING, f"{self.address}: no answer to {what} within {left:.1f}s") from None
        except (OSError, LinkError) as exc:
            why = "the kiosk is shutting down" if self._closed.is_set() else str(exc)
            raise PrinterError(st.NOT_RESPONDING, f"{self.address}: {what} failed: {why}") from None
