"""The connections to an ESC/POS printer (escpos_printer.py): TCP, a serial line, a USB printer-class
device. python-escpos opens them and builds the commands; writes and the DLE EOT status reads go
through here so that each has its own timeout and `abort` (from another thread) cuts them short.
Printing thread, except `abort`. No Qt.
"""
from __future__ import annotations

import os
import re
import select
import socket
import stat
import time
from dataclasses import dataclass
from typing import Any

from kiosk.devices.escpos_raster import Raster

DEFAULT_PORT = 9100            # the raw-printing ("JetDirect") port of network printers
PROFILE = "TM-T20II"          # python-escpos printer profile: 80 mm, 576 dots at 203 dpi, full cut


@dataclass(frozen=True)
class Address:
    """Where the printer is: a TCP host and port, or a device path."""

    host: str = ""
    port: int = DEFAULT_PORT
    device: str = ""

    def __str__(self) -> str:
        return self.device or (f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}")


_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})")


def parse_address(text: str) -> Address:
    """`devices.escpos_address` parsed; ValueError saying what is expected."""
    text = (text or "").strip()
    if text.startswith("/"):
        if "\0" in text or not text.startswith("/dev/"):
            raise ValueError(f"{text!r}: a printer device is a path under /dev/ (e.g. /dev/ttyUSB0, /dev/usb/lp0)")
        return Address(device=text)
    m = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\](?::(\d{1,5}))?|([^:\[\]]+)(?::(\d{1,5}))?", text)
    host = (m.group(1) or m.group(3)) if m else ""
    port = int((m.group(2) or m.group(4) or DEFAULT_PORT) if m else 0)
    if not m or not (m.group(1) or _HOST.fullmatch(host)) or not 0 < port < 65536:
        raise ValueError(f"{text!r}: use HOST:PORT (a network printer, usually port 9100) or a /dev/ path")
    return Address(host=host, port=port)


class LinkError(Exception):
    pass


class Link:
    """A connection to the printer: python-escpos builds the commands; writes and the status byte
    reads go through here so each has its own timeout and `abort` can cut them short."""

    def __init__(self, escpos: Any) -> None:
        self.escpos = escpos        # an escpos.escpos.Escpos whose .device is open

    def commands(self, raster: Raster) -> bytes:
        """The job's bytes, captured from python-escpos rather than written piecemeal."""
        from escpos.printer import Dummy
        d = Dummy(profile=PROFILE)
        d.hw("INIT")                                       # ESC @: forget whatever a previous job left
        d.image(raster.image, impl="bitImageRaster", fragment_height=raster.image.height + 1)
        d.cut()                                            # ESC d 6 (feed past the cutter), GS V 0
        return bytes(d.output)

    def write(self, data: bytes, timeout: float) -> None:
        raise NotImplementedError

    def query(self, n: int, timeout: float) -> int:
        """Send DLE EOT n and return the one byte answered."""
        raise NotImplementedError

    def abort(self) -> None:
        """Cut short a write or query in progress (from another thread); never blocks."""

    def close(self) -> None:
        raise NotImplementedError


class _TcpLink(Link):
    def write(self, data: bytes, timeout: float) -> None:
        sock: socket.socket = self.escpos.device
        sock.settimeout(timeout)          # since Python 3.5: the whole sendall, not each chunk
        sock.sendall(data)

    def query(self, n: int, timeout: float) -> int:
        sock: socket.socket = self.escpos.device
        sock.settimeout(timeout)
        sock.sendall(bytes((0x10, 0x04, n)))
        got = sock.recv(1)
        if not got:
            raise LinkError("the printer closed the connection")
        return got[0]

    def abort(self) -> None:
        try:
            self.escpos.device.shutdown(socket.SHUT_RDWR)   # wakes a send or recv blocked in print_pdf
        except (OSError, AttributeError):
            pass

    def close(self) -> None:
        self.escpos.close()


class _SerialLink(Link):
    def write(self, data: bytes, timeout: float) -> None:
        port = self.escpos.device
        port.write_timeout = timeout
        port.write(data)
        port.flush()

    def query(self, n: int, timeout: float) -> int:
        port = self.escpos.device
        port.write_timeout = timeout
        port.timeout = timeout
        port.write(bytes((0x10, 0x04, n)))
        got = port.read(1)
        if not got:
            raise TimeoutError(f"no answer within {timeout:.1f}s")
        return got[0]

    def abort(self) -> None:
        try:
            self.escpos.device.cancel_read()
            self.escpos.device.cancel_write()
        except (OSError, AttributeError):
            pass

    def close(self) -> None:
        self.escpos.close()


class _FileLink(Link):
    """A USB printer-class device (/dev/usb/lp0): not a tty, so no line settings; read and write
    are waited on with select so each has a timeout."""

    def __init__(self, escpos: Any, fd: int) -> None:
        super().__init__(escpos)
        self.fd = fd
        self._aborted = False

    def _wait(self, writing: bool, until: float) -> None:
        while True:
            if self._aborted:
                raise LinkError("aborted")
            left = until - time.monotonic()
            if left <= 0:
                raise TimeoutError("the device did not answer")
            ready = select.select([], [self.fd], [], min(left, 0.2)) if writing else \
                select.select([self.fd], [], [], min(left, 0.2))
            if any(ready):
                return

    def write(self, data: bytes, timeout: float) -> None:
        until = time.monotonic() + timeout
        view = memoryview(data)
        while view:
            self._wait(True, until)
            view = view[os.write(self.fd, view):]

    def query(self, n: int, timeout: float) -> int:
        until = time.monotonic() + timeout
        self.write(bytes((0x10, 0x04, n)), timeout)
        self._wait(False, until)
        got = os.read(self.fd, 1)
        if not got:
            raise LinkError("the device gave no status")
        return got[0]

    def abort(self) -> None:
        self._aborted = True

    def close(self) -> None:
        os.close(self.fd)


def query(link: Link, n: int, timeout: float) -> int:
    return link.query(n, timeout)


def connect(address: Address, baud: int, timeout: float) -> Link:
    """Open the connection within `timeout` s (python-escpos imported here: ~0.1 s, first job only)."""
    from escpos.exceptions import DeviceNotFoundError
    if not address.device:
        from escpos.printer import Network
        printer = Network(address.host, address.port, timeout=timeout)
        try:
            printer.open()
        except DeviceNotFoundError as exc:     # python-escpos wraps the OSError
            raise LinkError(f"cannot connect: {exc.__cause__ or exc}".replace("\n", " ")) from None
        return _TcpLink(printer)
    fd = os.open(address.device, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    if os.isatty(fd):
        os.close(fd)
        from escpos.printer import Serial
        printer = Serial(address.device, baudrate=baud, timeout=timeout)
        try:
            printer.open()
        except DeviceNotFoundError as exc:
            raise LinkError(f"cannot open: {exc}".replace("\n", " ")) from None
        return _SerialLink(printer)
    if not stat.S_ISCHR(os.fstat(fd).st_mode):
        os.close(fd)
        raise LinkError(f"{address.device} is not a character device")
    from escpos.printer import Dummy
    return _FileLink(Dummy(), fd)
