"""The `sam` card reader: a certified ID-card reader (public-security SAM) on a serial or USB-CDC line.

The host never talks to the card's chip; it asks the SAM (frames.py) to find, select and read the
card, and gets back the text block (content.py) and a WLT photo, which the configured PhotoDecoder
(photo.py) turns into the face check's reference; a photo that cannot be decoded (no decoder
configured, or bytes the decoder refuses) leaves the photo empty and says why in
`CardReadResult.photo_problem`, so the citizen goes to staff verification; never a pretended photo.

Threads: every method runs on the card thread except `set_access_key` (any thread, no-op) and
`close` (the shutting-down thread, after the card thread was joined). Each serial exchange is
bounded by a per-command timeout and the caller's deadline; nothing blocks longer.

Unverified on hardware: presence and removal are both polled with find-card. Several forum posts
say some readers answer find-card with "no card" for a card that was just read and is still lying
there (the card is halted until lifted); on such a reader `wait_for_removal` would report removal
too early. Check this on the first real reader before relying on it.
"""
from __future__ import annotations

import dataclasses
import glob
import logging
import threading
import time

import serial

from kiosk.devices.idcard import frames
from kiosk.devices.idcard import messages as msg
from kiosk.devices.idcard.content import ContentError, parse_text, to_identity
from kiosk.devices.idcard.frames import FrameBuffer, ParseError, Response
from kiosk.devices.idcard.photo import PhotoDecoder, PhotoUnavailable
from kiosk.devices.ports import AccessKey, CardError, CardReadResult

log = logging.getLogger(__name__)

AUTO_PORTS = ("/dev/ttyUSB*", "/dev/ttyACM*")
# per command: the SAM answers status/find/select in tens of ms; read-base authenticates the card
# and moves ~1.3 KB (about 0.1 s at 115200 baud), ~1 s on real readers
COMMAND_TIMEOUT = 0.5
READ_TIMEOUT = 3.0
POLL_INTERVAL = 0.2


class _NoAnswer(Exception):
    """The SAM did not give a well-formed answer in time, twice."""


class SamCardReader:
    name = "sam"

    def __init__(self, port: str = "", baud: int = 115200, command_timeout: float = COMMAND_TIMEOUT,
                 read_timeout: float = READ_TIMEOUT, poll_interval: float = POLL_INTERVAL,
                 photo_decoder: PhotoDecoder | None = None) -> None:
        # photo_decoder: the licensed WLT decoder (or NoPhotoDecoder, which refuses every photo
        # with "please ask the staff"); None only for diagnostics (`kiosk card read --sam`), where
        # the identity is returned without a photo.
        self._decoder = photo_decoder
        self._port_setting = port          # "" = auto-detect /dev/ttyUSB*, /dev/ttyACM*
        self._baud = baud
        self._command_timeout = command_timeout
        self._read_timeout = read_timeout
        self._poll = poll_interval
        self._serial: serial.Serial | None = None
        self._lock = threading.Lock()      # guards _serial between the card thread and close()
        self._closed = threading.Event()
        self.commands_sent = 0
        # the WLT photo of the last successful read, for `kiosk card read --sam` (card thread)
        self.last_photo: bytes | None = None

    # --- CardReader port ---
    def wait_for_insert(self, timeout: float) -> bool:
        """Poll find-card until a card answers or `timeout` s pass (plus at most one command timeout:
        a find-card is never cut short). A missing or silent reader is
        logged and the timeout slept out (False), as the PC/SC backend does."""
        return self._wait(True, timeout)

    def wait_for_removal(self, timeout: float) -> bool:
        """Poll find-card until it reports no card (True) or `timeout` s pass (False). With no
        reader there is no card on it (True)."""
        return self._wait(False, timeout)

    def read(self, timeout: float) -> CardReadResult:
        """Find, select and read the card within `timeout` s; one retry of the whole sequence when
        the reader reports a failed read. Raises CardError with what the citizen should do."""
        started = time.monotonic()
        deadline = started + timeout
        sent_before = self.commands_sent
        self.last_photo = None
        try:
            data = self._read_sequence(deadline)
        except _NoAnswer as exc:
            self._drop_port()
            raise CardError(msg.TIMEOUT if time.monotonic() >= deadline else msg.UNREADABLE, str(exc)) from None
        except OSError as exc:
            self._drop_port()
            raise CardError(msg.NO_READER, f"serial: {type(exc).__name__}") from None
        try:
            base = frames.parse_base_message(data)
            content = parse_text(base.text)
        except ParseError as exc:
            raise CardError(msg.UNREADABLE, f"read-base data: {exc}") from None
        except ContentError as exc:
            raise CardError(msg.UNSUPPORTED if exc.unsupported else msg.INVALID, f"card content: {exc}") from None
        identity = to_identity(content)
        self.last_photo = base.photo
        photo_problem = None
        if self._decoder is not None:
            try:
                photo = self._decoder.decode(base.photo, max(0.1, deadline - time.monotonic()))
            except PhotoUnavailable as exc:
                # Without the card's photo no automated face check can run, but the card itself
                # was read and authenticated by the SAM: its data comes back with the reason, and
                # the flow sends the citizen to a clerk's check in person (never a pretended photo).
                log.warning("ID card photo unavailable: %s", exc.detail)
                photo, photo_problem = b"", exc.reason
            identity = dataclasses.replace(identity, photo=photo)
        return CardReadResult(identity=identity, genuine=True, photo_problem=photo_problem,
                              apdu_count=self.commands_sent - sent_before, seconds=time.monotonic() - started)

    def check(self) -> None:
        """Ask the SAM for its status; raises CardError(NO_READER) when the port is missing or the
        SAM does not answer well. Card thread; blocks up to twice the command timeout. Lets the
        CLI tell a dead reader (exit 1) from no card (exit 5), which `wait_for_insert` cannot."""
        deadline = time.monotonic() + 2 * self._command_timeout
        try:
            status = self._command(frames.CMD_SAM_STATUS, self._command_timeout, deadline)
        except _NoAnswer as exc:
            self._drop_port()
            raise CardError(msg.NO_READER, f"SAM status: {exc}") from None
        except OSError as exc:
            self._drop_port()
            raise CardError(msg.NO_READER, f"serial: {type(exc).__name__}") from None
        if status.sw3 != frames.SW_OK:
            raise CardError(msg.NO_READER, f"SAM status: {status.meaning}")

    def set_access_key(self, key: AccessKey | None) -> None:
        """No-op: the SAM needs no key from the citizen."""

    def close(self) -> None:
        self._closed.set()
        self._drop_port()

    # --- the sequence ---
    def _read_sequence(self, deadline: float) -> bytes:
        for attempt in (1, 2):
            found = self._command(frames.CMD_FIND_CARD, self._command_timeout, deadline)
            if found.sw3 != frames.SW_FOUND:
                # a card gone after a failed first attempt was taken away mid-read
                raise CardError(msg.REMOVED if attempt == 2 else msg.UNREADABLE, f"find card: {found.meaning}")
            selected = self._command(frames.CMD_SELECT_CARD, self._command_timeout, deadline)
            if selected.sw3 != frames.SW_OK:
                if attempt == 1:
                    continue
                raise CardError(msg.REMOVED, f"select card: {selected.meaning}")
            try:
                read = self._command(frames.CMD_READ_BASE, self._read_timeout, deadline)
            except _NoAnswer:
                if attempt == 1 and time.monotonic() < deadline:
                    continue
                raise
            if read.sw3 == frames.SW_OK:
                return read.data
            if read.sw3 in (0x31, 0x32, 0x33) or attempt == 2:
                raise CardError(msg.UNREADABLE, f"read: {read.meaning}")
            log.info("SAM read failed (%s); trying once more", read.meaning)
        raise CardError(msg.UNREADABLE, "read failed twice")

    def _wait(self, want_present: bool, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not self._closed.is_set():
            try:
                # the full command timeout even past the poll's deadline: a find-card abandoned
                # while the SAM is still answering leaves its answer on the line, where it would
                # be taken for the answer to the next command (the frames carry no command tag)
                found = self._command(frames.CMD_FIND_CARD, self._command_timeout,
                                      max(deadline, time.monotonic() + self._command_timeout))
                present = found.sw3 == frames.SW_FOUND
            except (_NoAnswer, OSError) as exc:
                log.info("SAM reader not answering: %s", exc)
                self._drop_port()
                self._closed.wait(max(0.0, deadline - time.monotonic()))
                return not want_present
            if present == want_present:
                return True
            if time.monotonic() + self._poll >= deadline:
                return False
            self._closed.wait(self._poll)
        return False

    # --- the line ---
    def _command(self, command: tuple[int, int], timeout: float, deadline: float) -> Response:
        """Send `command` and return the SAM's answer; one retry after silence, a bad frame or a
        reader that received our frame corrupted (SW3 0x10/0x11). Raises _NoAnswer, OSError."""
        port = self._open()
        request = frames.build_request(command)
        buf = FrameBuffer()
        problem = "no answer"
        for _attempt in (1, 2):
            until = min(time.monotonic() + timeout, deadline)
            if until <= time.monotonic():
                break
            port.reset_input_buffer()      # a stale tail of an earlier answer must not be taken for this one
            buf.clear()
            port.write(request)
            self.commands_sent += 1
            response = self._receive(port, buf, until)
            if isinstance(response, Response):
                if response.sw3 in (0x10, 0x11):
                    problem = response.meaning
                    continue
                return response
            problem = response
        raise _NoAnswer(f"command {command[0]:02X} {command[1]:02X}: {problem}")

    def _receive(self, port: serial.Serial, buf: FrameBuffer, until: float) -> Response | str:
        while not self._closed.is_set():
            left = until - time.monotonic()
            if left <= 0:
                return "no answer in time"
            port.timeout = min(left, 0.05)
            chunk = port.read(max(1, port.in_waiting))
            if chunk:
                buf.feed(chunk)
            try:
                payload = buf.pop()
            except ParseError as exc:
                return str(exc)     # a corrupt answer: ask again rather than trust what follows
            if payload is not None:
                return frames.parse_response(payload)
        return "reader closed"

    def _open(self) -> serial.Serial:
        with self._lock:
            if self._closed.is_set():
                raise OSError("reader closed")
            if self._serial is not None:
                return self._serial
            port = self._port_setting or self._detect()
            self._serial = serial.Serial(port, self._baud, timeout=0.05, write_timeout=1.0, exclusive=True)
            return self._serial

    def _detect(self) -> str:
        found = self.probe_ports(first_only=True)
        if found:
            log.info("SAM reader found on %s", found[0])
            return found[0]
        raise OSError("no SAM reader on " + ", ".join(AUTO_PORTS))

    def probe_ports(self, first_only: bool = False) -> list[str]:
        """The serial ports matching AUTO_PORTS whose device answers the SAM status command. Card
        thread (or the CLI's main thread); blocks up to the command timeout per port."""
        found: list[str] = []
        for path in sorted(p for pattern in AUTO_PORTS for p in glob.glob(pattern)):
            try:
                with serial.Serial(path, self._baud, timeout=0.05, write_timeout=0.5, exclusive=True) as probe:
                    probe.write(frames.build_request(frames.CMD_SAM_STATUS))
                    buf = FrameBuffer()
                    answer = self._receive(probe, buf, time.monotonic() + self._command_timeout)
            except (OSError, serial.SerialException):
                continue
            if isinstance(answer, Response) and answer.sw3 == frames.SW_OK:
                found.append(path)
                if first_only:
                    break
        return found

    def _drop_port(self) -> None:
        with self._lock:
            port, self._serial = self._serial, None
        if port is not None:
            try:
                port.close()
            except (OSError, serial.SerialException):
                log.debug("closing the SAM port failed", exc_info=True)
