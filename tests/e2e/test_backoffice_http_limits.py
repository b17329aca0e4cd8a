"""Hole 4 ("unbounded request bodies"), server side: the real back office (`python -m backoffice
serve` on 127.0.0.1) against raw sockets that do what a careless or hostile client does: huge
bodies with and without Content-Length, half-open connections, headers and bodies a byte at a
time. The back office must refuse early, keep its memory, answer /healthz, and log one line per
refusal (no tracebacks).

`python tests/e2e/test_backoffice_http_limits.py` measures the server's peak memory (VmHWM) for
one real 210 MB unsigned POST (docs/security.md, "Back office HTTP"); it is not run by pytest.
"""
from __future__ import annotations

import contextlib
import resource
import select
import socket
import sys
import time
from pathlib import Path

import httpx
import pytest

from testkit.sync_drills import LOOPBACK, BackofficeServer

pytestmark = pytest.mark.e2e

MiB = 1 << 20
KIOSK = "3301060001"
# Headers that look like a kiosk's (right shape, fresh timestamp) but sign nothing.
def fake_signed_headers() -> str:
    return (f"X-OneVisit-Kiosk: {KIOSK}\r\nX-OneVisit-Timestamp: {int(time.time())}\r\n"
            f"X-OneVisit-Nonce: {'n' * 24}\r\nX-OneVisit-Signature: {'s' * 86}\r\n")


def vm_hwm_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def read_response(sock: socket.socket, timeout: float) -> tuple[int | None, bytes]:
    """The status code and raw bytes of what the server answered (None: nothing within timeout)."""
    sock.settimeout(timeout)
    data = b""
    end = time.monotonic() + timeout
    def complete() -> bool:
        head, sep, body = data.partition(b"\r\n\r\n")
        if not sep:
            return False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                return len(body) >= int(value)
        return True

    with contextlib.suppress(OSError):
        while not complete() and time.monotonic() < end:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    if not data.startswith(b"HTTP/1.1 "):
        return None, data
    return int(data[9:12]), data


def log_lines(server: BackofficeServer, since: int) -> list[str]:
    return server.log_path.read_bytes()[since:].decode(errors="replace").splitlines()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("limits")
    s = BackofficeServer(f"sqlite:///{tmp / 'bo.sqlite3'}", tmp / "backoffice").start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def impatient_server(tmp_path_factory):
    """Short header and body timeouts, so the tests need not wait the production ones."""
    tmp = tmp_path_factory.mktemp("impatient")
    s = BackofficeServer(f"sqlite:///{tmp / 'bo.sqlite3'}", tmp / "backoffice",
                         extra_args=("--header-timeout", "1", "--body-timeout", "1.5")).start()
    yield s
    s.stop()


def test_a_huge_unsigned_post_is_refused_from_its_headers_with_one_log_line(server):
    mark = server.log_path.stat().st_size
    with socket.create_connection((LOOPBACK, server.port), timeout=5) as sock:
        sock.sendall(b"POST /v1/applications/batch HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 210000000\r\n\r\n")
        status, raw = read_response(sock, 5.0)        # not one byte of the body sent
    assert status == 401 and b'"unsigned request"' in raw
    time.sleep(0.2)
    lines = log_lines(server, mark)
    assert len(lines) == 1 and "401" in lines[0] and "/v1/applications/batch" in lines[0], lines


def test_a_body_over_the_routes_cap_is_refused_before_it_is_read(server):
    for method, path, size in (("POST", "/v1/applications/batch", 200 * MiB), ("GET", "/v1/status-changes", 10),
                               ("POST", "/officials/anything", 10 * MiB)):
        mark = server.log_path.stat().st_size
        with socket.create_connection((LOOPBACK, server.port), timeout=5) as sock:
            sock.sendall(f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{fake_signed_headers()}"
                         f"Content-Length: {size}\r\n\r\n".encode())
            status, _ = read_response(sock, 5.0)
        assert status == 413, (method, path, status)
        time.sleep(0.1)
        lines = log_lines(server, mark)
        assert len(lines) == 1 and "413" in lines[0], lines


def test_a_chunked_body_without_length_is_cut_off_at_the_cap(server):
    """48 MiB, chunked (no Content-Length), headers shaped like a kiosk's: the old server read
    and parsed all of it; now reading stops at the batch cap (16 MiB) with a 413. The client
    gets ahead of the server by what the sockets buffer (a few MiB) before it sees the answer."""
    before = vm_hwm_kb(server.proc.pid)
    mark = server.log_path.stat().st_size
    total, chunk = 48 * MiB, b"x" * MiB
    sent = 0
    with socket.create_connection((LOOPBACK, server.port), timeout=5) as sock:
        sock.sendall(f"POST /v1/applications/batch HTTP/1.1\r\nHost: 127.0.0.1\r\n{fake_signed_headers()}"
                     "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".encode())
        try:
            sock.sendall(b'%x\r\n{"applications":["\r\n' % len(b'{"applications":["'))
            while sent < total:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
                if select.select([sock], [], [], 0)[0]:
                    break
            if sent >= total:
                sock.sendall(b'3\r\n"]}\r\n0\r\n\r\n')
        except OSError:
            pass                                       # the server answered and closed: expected
        status, _ = read_response(sock, 10.0)
    grown_mb = (vm_hwm_kb(server.proc.pid) - before) / 1024
    time.sleep(0.2)
    lines = log_lines(server, mark)
    print(f"\nchunked: sent {sent / MiB:.1f} MiB, answer {status}, server peak grew {grown_mb:.0f} MB")
    assert sent < 32 * MiB, "the server read past its cap"
    assert status in (413, None)                        # None: the close raced our read (a reset)
    assert any("413" in line for line in lines) and len(lines) == 1, lines
    assert grown_mb < 80


def test_half_open_connections_do_not_take_the_service_down(tmp_path):
    """The old server ran out of file descriptors (1,100 half-open connections against 1,024)
    and logged a traceback per failed accept. Here: a limit of 200 descriptors and 200
    connections that never send a byte; /healthz must still answer, the log stay small."""
    s = BackofficeServer(f"sqlite:///{tmp_path / 'bo.sqlite3'}", tmp_path / "backoffice").start()
    socks: list[socket.socket] = []
    try:
        resource.prlimit(s.proc.pid, resource.RLIMIT_NOFILE, (200, 200))
        for i in range(200):                            # in bursts of 20, as a flood arrives
            socks.append(socket.create_connection((LOOPBACK, s.port), timeout=5))
            if i % 20 == 19:
                time.sleep(0.05)
        time.sleep(0.5)
        t0 = time.monotonic()
        r = httpx.get(s.url + "/healthz", timeout=5.0, trust_env=False)
        assert r.status_code == 200 and time.monotonic() - t0 < 2.0
        time.sleep(0.2)
        log = s.log_path.read_text(errors="replace")
        assert "Traceback" not in log and log.count("\n") <= 250, log[-3000:]
    finally:
        for sock in socks:
            sock.close()
        s.stop()


def test_headers_sent_a_byte_at_a_time_are_cut_off(impatient_server):
    server = impatient_server
    socks = [socket.create_connection((LOOPBACK, server.port), timeout=5) for _ in range(20)]
    try:
        for sock in socks:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            sock.setblocking(False)
        open_socks = set(socks)
        end = time.monotonic() + 4.0                    # header timeout 1 s, plus slack
        while open_socks and time.monotonic() < end:
            for sock in list(open_socks):
                try:
                    sock.send(b"X-Slow: 1\r\n")
                    if sock.recv(1024) == b"":
                        open_socks.discard(sock)
                except BlockingIOError:
                    pass
                except OSError:
                    open_socks.discard(sock)
            time.sleep(0.2)
        assert not open_socks, f"{len(open_socks)} of 20 slow-header connections still open after 4 s"
    finally:
        for sock in socks:
            sock.close()
    assert httpx.get(server.url + "/healthz", timeout=5.0, trust_env=False).status_code == 200


def test_a_body_sent_a_byte_at_a_time_gets_408(impatient_server):
    server = impatient_server
    mark = server.log_path.stat().st_size
    with socket.create_connection((LOOPBACK, server.port), timeout=5) as sock:
        sock.sendall(f"POST /v1/applications/batch HTTP/1.1\r\nHost: 127.0.0.1\r\n{fake_signed_headers()}"
                     "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n".encode())
        status = None
        end = time.monotonic() + 5.0
        try:
            while time.monotonic() < end:
                sock.sendall(b" ")
                if select.select([sock], [], [], 0.2)[0]:
                    break
        except OSError:
            pass
        status, _ = read_response(sock, 2.0)
    assert status == 408
    time.sleep(0.1)
    assert len(log_lines(server, mark)) == 1


def measure_big_post(workdir: Path, size: int = 210_000_000) -> None:
    """One real unsigned POST of `size` bytes of tiny JSON objects; prints the server's VmHWM."""
    s = BackofficeServer(f"sqlite:///{workdir / 'bo.sqlite3'}", workdir / "backoffice").start()
    try:
        body = b'{"applications":[' + b",".join([b"{}"] * ((size - 20) // 3)) + b"]}"
        base = vm_hwm_kb(s.proc.pid)
        t0 = time.monotonic()
        try:
            r = httpx.post(s.url + "/v1/applications/batch", content=body, timeout=600, trust_env=False,
                           headers={"content-type": "application/json"})
            answer = f"{r.status_code} {r.text[:80]}"
        except httpx.HTTPError as exc:
            answer = f"{type(exc).__name__} (the server closed the connection)"
        time.sleep(0.5)
        print(f"{len(body) / 1e6:.0f} MB unsigned POST: {answer} after {time.monotonic() - t0:.1f}s; "
              f"server VmHWM {base / 1024:.0f} MB before, {vm_hwm_kb(s.proc.pid) / 1024:.0f} MB after; "
              f"log {s.log_path.stat().st_size} bytes")
    finally:
        s.stop()


if __name__ == "__main__":
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        measure_big_post(Path(d), int(sys.argv[1]) if len(sys.argv) > 1 else 210_000_000)


def test_an_application_too_large_for_the_back_office_is_set_aside_not_retried_for_ever(server, tmp_path):
    """The upload cap (16 MiB) must not become a new way to block the outbox: a batch refused
    for its size goes again one application at a time, and the one too large alone is refused
    and, after repeated refusals, set aside, while the others arrive."""
    from datetime import datetime

    from testkit.sync_drills import DemoApplications, backoffice_counts, enrol_kiosk
    from kiosk.services.sync.upload import Syncer
    kiosk = enrol_kiosk(server, tmp_path / "kiosk", KIOSK)
    store = kiosk.open_storage()
    try:
        small = DemoApplications(KIOSK).submit(store, 2)
        big = DemoApplications(KIOSK, photo_bytes=13 * MiB).submit(store, 1, bundle_id="retirement")[0]
        settings = kiosk.settings(server.url, batch_size=10, batch_max_bytes=64 * MiB, backoff_base_seconds=0.01,
                                  backoff_max_seconds=0.02, request_timeout_seconds=20.0)
        syncer = Syncer(store, kiosk.client(server.url, timeout=20.0), settings, data_dir=kiosk.data_dir)
        try:
            end = time.monotonic() + 60
            while time.monotonic() < end and store.sync_counts().set_aside == 0:
                syncer.drain(time.monotonic() + 20)
                time.sleep(0.03)
        finally:
            syncer.client.close()
        counts = store.sync_counts()
        assert counts.synced == 2 and counts.set_aside == 1 and "413" in (counts.set_aside_reason or "")
        assert store.pending_records(10, datetime.now().replace(year=2100)) == []
    finally:
        store.close()
    db_url = server.db_url
    assert sorted(backoffice_counts(db_url)["numbers"]) == sorted(small) and big not in small


def test_requests_in_progress_are_capped_but_health_still_answers(impatient_server):
    """64 requests held open (bodies that never finish) fill the back office's request slots:
    the 65th gets 503 at once instead of queueing for memory; /healthz still answers; the held
    ones end with 408 at the body deadline."""
    server = impatient_server
    socks = []
    try:
        for _ in range(64):
            sock = socket.create_connection((LOOPBACK, server.port), timeout=5)
            sock.sendall(f"POST /v1/applications/batch HTTP/1.1\r\nHost: 127.0.0.1\r\n{fake_signed_headers()}"
                         "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{".encode())
            socks.append(sock)
        time.sleep(0.3)
        r = httpx.get(server.url + "/v1/keys", timeout=5.0, trust_env=False)
        assert r.status_code == 503 and "busy" in r.json()["detail"]
        assert httpx.get(server.url + "/healthz", timeout=5.0, trust_env=False).status_code == 200
        statuses = [read_response(sock, 4.0)[0] for sock in socks]
        assert statuses == [408] * 64
    finally:
        for sock in socks:
            sock.close()
    assert httpx.get(server.url + "/v1/keys", timeout=5.0, trust_env=False).status_code == 200
