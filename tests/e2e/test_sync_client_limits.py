"""Hole 4, the kiosk's side: a hostile "back office" on 127.0.0.1 that trickles its answer a
byte at a time, sends an endless body or announces gigabytes. The kiosk's sync client must stop
reading at its cap and keep a total deadline, so `kiosk sync now --timeout 3` returns in about
3 seconds whatever the server does."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from testkit.sync_drills import LOOPBACK, ROOT
from kiosk.services.sync import protocol as proto
from kiosk.services.sync.client import SyncClient, TransientSyncError

pytestmark = pytest.mark.e2e

MiB = 1 << 20
KIOSK = "3301060001"


class HostileServer:
    """Answers every request on 127.0.0.1 in one of these ways, for at most `budget_seconds`
    and `budget_bytes` per connection (so the test ends even against the old client):
    `trickle` (a 200 header, then one byte every 0.2 s), `endless` (a 200 without a length,
    then data as fast as the client reads), `huge` (Content-Length: 3 GB, then data)."""

    def __init__(self, mode: str, budget_seconds: float = 30.0, budget_bytes: int = 256 * MiB) -> None:
        self.mode = mode
        self.budget_seconds = budget_seconds
        self.budget_bytes = budget_bytes
        self.sent = 0
        self.requests = 0
        self._stop = threading.Event()
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((LOOPBACK, 0))
        self._sock.listen(16)
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._accept = threading.Thread(target=self._accept_loop, name="hostile", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def __enter__(self) -> HostileServer:
        self._accept.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._accept.join(5)
        for t in self._threads:
            t.join(5)
        self._sock.close()

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            t = threading.Thread(target=self._serve, args=(conn,), name="hostile-conn", daemon=True)
            self._threads.append(t)
            t.start()

    def _serve(self, conn: socket.socket) -> None:
        end = time.monotonic() + self.budget_seconds
        conn.settimeout(0.5)
        try:
            head = b""
            while b"\r\n\r\n" not in head and time.monotonic() < end and not self._stop.is_set():
                try:
                    chunk = conn.recv(65536)
                except TimeoutError:
                    continue
                if not chunk:
                    return
                head += chunk
            self.requests += 1
            if self.mode == "trickle":
                conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n")
                while time.monotonic() < end and not self._stop.is_set():
                    conn.sendall(b" ")
                    self.sent += 1
                    self._stop.wait(0.2)
                return
            length = b"content-length: 3000000000\r\n" if self.mode == "huge" else b""
            conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n" + length + b"\r\n")
            block = b"[" * 65536
            while time.monotonic() < end and self.sent < self.budget_bytes and not self._stop.is_set():
                try:
                    conn.sendall(block)
                except TimeoutError:
                    continue
                self.sent += len(block)
        except OSError:
            return                              # the client hung up: what we want
        finally:
            conn.close()


def _client(url: str, timeout: float = 5.0) -> SyncClient:
    return SyncClient(url, KIOSK, Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate().public_key(),
                      timeout=timeout)


@pytest.mark.parametrize("mode", ["endless", "huge"])
def test_an_oversized_answer_is_cut_off_at_the_cap(mode):
    with HostileServer(mode, budget_seconds=20) as srv:
        c = _client(srv.url)
        t0 = time.monotonic()
        try:
            with pytest.raises(TransientSyncError):
                c.call("GET", "/v1/catalogue?have=0")
        finally:
            c.close()
        elapsed = time.monotonic() - t0
    print(f"\n{mode}: the server got {srv.sent / MiB:.1f} MiB out before the client hung up, {elapsed:.1f}s")
    assert srv.sent < 16 * MiB          # the cap (4 MiB) plus what the sockets buffer
    assert elapsed < 5


def test_a_trickled_answer_ends_at_the_calls_deadline():
    with HostileServer("trickle", budget_seconds=20) as srv:
        c = _client(srv.url, timeout=2.0)
        t0 = time.monotonic()
        try:
            with pytest.raises(TransientSyncError):
                c.call("GET", "/v1/status-changes?after=0&limit=500")
        finally:
            c.close()
        elapsed = time.monotonic() - t0
    assert 1.5 < elapsed < 3.5, elapsed


def _enrolled_data_dir(tmp_path: Path, url: str) -> Path:
    from kiosk.services.sync.settings import SyncSettings, save_sync_settings
    data = tmp_path / "kiosk"
    save_sync_settings(data, SyncSettings(
        url=url, enrolled_at="2026-01-01T00:00:00",
        backoffice_signing_key=proto.b64e(proto.public_bytes(Ed25519PrivateKey.generate().public_key())),
        backoffice_encryption_key=proto.b64e(proto.public_bytes(X25519PrivateKey.generate().public_key()))))
    return data


@pytest.mark.parametrize("mode", ["trickle", "endless"])
def test_sync_now_keeps_its_timeout_whatever_the_server_does(tmp_path, mode):
    with HostileServer(mode, budget_seconds=25) as srv:
        data = _enrolled_data_dir(tmp_path, srv.url)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        t0 = time.monotonic()
        out = subprocess.run([sys.executable, "-m", "kiosk", "sync", "now", "--data-dir", str(data),
                              "--timeout", "3", "--json"], capture_output=True, text=True, env=env, cwd=ROOT,
                             timeout=60)
        elapsed = time.monotonic() - t0
    print(f"\n{mode}: `kiosk sync now --timeout 3` took {elapsed:.1f}s, {srv.requests} request(s)")
    report = json.loads(out.stdout)
    assert report["pull_error"]                      # nothing usable came back, and it says so
    assert srv.sent < 16 * MiB * max(1, srv.requests)
    assert elapsed < 3 + 3.0, f"took {elapsed:.1f}s"   # the timeout, plus starting Python
