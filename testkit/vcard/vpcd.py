"""Plugs a VirtualPassport into the vsmartcard vpcd virtual reader, so it appears to pcscd (and to
pyscard) as a card in the reader "Virtual PCD 00 00".

vpcd protocol (TCP, the card connects to the reader on 127.0.0.1:35963): every message is a 2-byte
big-endian length and a payload. A 1-byte payload is a control: 0 power off, 1 power on, 2 reset,
4 "send the ATR". Anything longer is a command APDU, answered with the response APDU.
Connecting is inserting the card; closing the connection is removing it.

`VpcdCard` runs one thread, "vicc-<port>", that blocks on the socket (recv with a 0.5 s timeout so
it notices `remove`). `insert` and `remove` may be called from any thread; `remove` joins the thread.
"""
from __future__ import annotations

import logging
import socket
import threading
import time

from testkit.vcard.card import CardGone, VirtualPassport

log = logging.getLogger(__name__)

VPCD_HOST, VPCD_PORT = "127.0.0.1", 35963
CTRL_OFF, CTRL_ON, CTRL_RESET, CTRL_ATR = 0, 1, 2, 4


def _quickack(sock: socket.socket) -> None:
    if hasattr(socket, "TCP_QUICKACK"):
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        except OSError:
            pass


class VpcdCard:
    def __init__(self, card: VirtualPassport, host: str = VPCD_HOST, port: int = VPCD_PORT) -> None:
        self.card = card
        self.host, self.port = host, port
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    @property
    def inserted(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def insert(self, timeout: float = 5.0) -> None:
        """Connect to vpcd (retrying until `timeout` while pcscd is starting). Raises OSError."""
        if self.inserted:
            return
        deadline = time.monotonic() + timeout
        while True:
            try:
                sock = socket.create_connection((self.host, self.port), timeout=1.0)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                self._stop.wait(0.1)
        sock.settimeout(0.5)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock
        self._stop.clear()
        self.card.gone = False
        self._thread = threading.Thread(target=self._serve, args=(sock,), name=f"vicc-{self.port}", daemon=True)
        self._thread.start()

    def remove(self, timeout: float = 3.0) -> None:
        """Take the card out of the reader; joins the serving thread within `timeout`."""
        self._stop.set()
        sock, self._sock = self._sock, None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.card.reset()

    def __enter__(self) -> VpcdCard:
        self.insert()
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()

    # --- the serving thread -------------------------------------------------------------------
    def _recv_exact(self, sock: socket.socket, n: int) -> bytes | None:
        buf = b""
        while len(buf) < n:
            if self._stop.is_set():
                return None
            try:
                # vpcd writes the length and the payload in two sends; without an immediate ACK,
                # Nagle on its side + delayed ACK on ours would add ~40 ms to every APDU.
                _quickack(sock)
                chunk = sock.recv(n - len(buf))
            except TimeoutError:
                continue
            except OSError:
                return None
            if not chunk:
                return None
            buf += chunk
        return buf

    def _serve(self, sock: socket.socket) -> None:
        try:
            while not self._stop.is_set():
                head = self._recv_exact(sock, 2)
                if head is None:
                    return
                size = int.from_bytes(head, "big")
                msg = self._recv_exact(sock, size)
                if msg is None:
                    return
                if size == 1:
                    ctrl = msg[0]
                    if ctrl in (CTRL_OFF, CTRL_RESET, CTRL_ON):
                        self.card.reset()
                    elif ctrl == CTRL_ATR:
                        atr = self.card.atr
                        sock.sendall(len(atr).to_bytes(2, "big") + atr)
                    continue
                try:
                    resp = self.card.process(msg)
                except CardGone:
                    log.info("virtual card removed mid-session (misbehaviour)")
                    return
                sock.sendall(len(resp).to_bytes(2, "big") + resp)
        except OSError as exc:
            log.debug("vpcd connection ended: %s", exc)
        finally:
            try:
                sock.close()
            except OSError:
                pass
