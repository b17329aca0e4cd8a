"""Drills for the sync path, used by the e2e tests and bench/: run the real back office as a
process on 127.0.0.1, put a fault-injecting TCP proxy in front of it, and set up a kiosk data
folder enrolled with it. Nothing here talks to anything but the loopback interface.
Test tooling: the product never imports it.
"""
from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:   # imported where used: a drill loads only what it runs
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from kiosk.domain.application import Application, Draft
    from kiosk.services.storage import Storage
    from kiosk.services.sync.client import SyncClient
    from kiosk.services.sync.settings import SyncSettings

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"     # test data; testkit may read it, the product never does
LOOPBACK = "127.0.0.1"


# --- the back office as a process --------------------------------------------------------------
class BackofficeServer:
    """`python -m backoffice serve` on 127.0.0.1; stop/start keeps the same port."""

    def __init__(self, db_url: str, data_dir: Path, port: int = 0, max_skew: int = 300,
                 extra_args: tuple[str, ...] = ()) -> None:
        self.db_url = db_url
        self.extra_args = tuple(extra_args)     # more `serve` options, e.g. ("--header-timeout", "1")
        self.data_dir = Path(data_dir)
        self.port = port
        self.max_skew = max_skew
        self.proc: subprocess.Popen | None = None
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.data_dir / "backoffice.log"

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self, timeout: float = 30.0) -> BackofficeServer:
        port_file = self.data_dir / f"port-{uuid.uuid4().hex}"
        with open(self.log_path, "ab") as log:   # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "backoffice", "serve", "--db", self.db_url, "--data-dir", str(self.data_dir),
                 "--host", LOOPBACK, "--port", str(self.port), "--port-file", str(port_file),
                 "--max-skew", str(self.max_skew), *self.extra_args],
                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        end = time.monotonic() + timeout
        while not port_file.exists():
            if self.proc.poll() is not None:
                raise RuntimeError(f"the back office exited ({self.proc.returncode}); see {self.log_path}:\n"
                                   + self.log_path.read_text(errors="replace")[-2000:])
            if time.monotonic() > end:
                self.kill()
                raise RuntimeError(f"the back office did not start within {timeout}s; see {self.log_path}")
            time.sleep(0.05)
        self.port = int(port_file.read_text())
        port_file.unlink()
        wait_healthy(self.url, max(1.0, end - time.monotonic()))
        return self

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self.proc = None

    def cli(self, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess:
        """Run another backoffice command on the same database and data folder."""
        return subprocess.run([sys.executable, "-m", "backoffice", args[0], "--db", self.db_url,
                               "--data-dir", str(self.data_dir), *args[1:]],
                              cwd=ROOT, capture_output=True, text=True, timeout=timeout)

    def __enter__(self) -> BackofficeServer:
        return self.start() if self.proc is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_healthy(url: str, timeout: float) -> None:
    import httpx
    end = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < end:
        try:
            if httpx.get(url + "/healthz", timeout=2.0, trust_env=False).status_code == 200:
                return
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(0.05)
    raise RuntimeError(f"{url} not healthy within {timeout}s: {last!r}")


# --- a fault-injecting proxy ----------------------------------------------------------------
FAULTS = ("pass", "refuse", "http500", "garbage", "garbage_json", "drop_after_commit", "slow")


class FaultProxy:
    """A TCP proxy on 127.0.0.1 that understands just enough HTTP/1.1 to inject one fault per
    request: `refuse` (close before reading), `http500` (answer 500 without forwarding),
    `garbage` (random bytes, not HTTP), `garbage_json` (a well-formed 200 with a garbled,
    unsigned body), `drop_after_commit` (forward, let the back office commit, then cut the
    connection without answering), `slow` (forward, answer after `slow_seconds`), `pass`.

    `mode` is one fault for every request, or "chaos": each request draws a fault with
    `chaos_weights` from a seeded RNG. `counts` tells how many of each were injected.
    """

    def __init__(self, upstream_port: int, *, seed: int = 1, slow_seconds: float = 0.5) -> None:
        self.upstream_port = upstream_port
        self.mode = "pass"
        self.chaos_weights = {"pass": 5, "http500": 1, "garbage": 1, "garbage_json": 1, "drop_after_commit": 2,
                              "refuse": 1}
        self.slow_seconds = slow_seconds
        self.counts: Counter[str] = Counter()
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((LOOPBACK, 0))
        self._sock.listen(64)
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._accept = threading.Thread(target=self._accept_loop, name="faultproxy", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> FaultProxy:
        self._accept.start()
        return self

    def stop(self, deadline: float = 5.0) -> None:
        self._stop.set()
        end = time.monotonic() + deadline
        self._accept.join(max(0.1, end - time.monotonic()))
        for t in list(self._threads):
            t.join(max(0.1, end - time.monotonic()))
        self._sock.close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _pick(self) -> str:
        with self._lock:
            if self.mode != "chaos":
                fault = self.mode
            else:
                names = list(self.chaos_weights)
                fault = self._rng.choices(names, [self.chaos_weights[n] for n in names])[0]
            self.counts[fault] += 1
            return fault

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            t = threading.Thread(target=self._serve, args=(conn,), name="faultproxy-conn", daemon=True)
            self._threads = [x for x in self._threads if x.is_alive()] + [t]
            t.start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(1.0)
        buf = b""
        try:
            while not self._stop.is_set():
                fault = None
                try:
                    request, buf = _read_http(conn, buf, self._stop)
                except (ConnectionError, OSError, ValueError):
                    return
                if request is None:
                    return
                fault = self._pick()
                if fault == "refuse":
                    return
                if fault == "http500":
                    conn.sendall(b"HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/plain\r\n"
                                 b"content-length: 14\r\n\r\ninjected fault")
                    continue
                if fault == "garbage":
                    conn.sendall(bytes(self._rng.getrandbits(8) for _ in range(200)))
                    return
                if fault == "garbage_json":
                    body = b'{"results": [{"number": "x", "result": "created"'
                    conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
                                 + str(len(body)).encode() + b"\r\n\r\n" + body)
                    continue
                try:
                    response = _forward(self.upstream_port, request)
                except (ConnectionError, OSError, ValueError):
                    return                      # upstream down: the client sees the connection close
                if fault == "drop_after_commit":
                    return                      # the back office has answered (committed): cut the line
                if fault == "slow":
                    self._stop.wait(self.slow_seconds)
                conn.sendall(response)
        finally:
            with contextlib.suppress(OSError):
                conn.close()


def _recv_chunk(conn: socket.socket, stop: threading.Event, deadline: float | None) -> bytes | None:
    """The next bytes from `conn`; None at EOF, on stop, or past `deadline` (monotonic)."""
    while True:
        try:
            chunk = conn.recv(65536)
        except TimeoutError:
            if stop.is_set() or (deadline is not None and time.monotonic() > deadline):
                return None
            continue
        return chunk or None


def _read_http(conn: socket.socket, buf: bytes, stop: threading.Event,
               deadline: float | None = None) -> tuple[bytes | None, bytes]:
    """One whole HTTP/1.1 message (head + Content-Length body) from `conn`; None at EOF, on
    stop, or past `deadline` (monotonic)."""
    while b"\r\n\r\n" not in buf:
        chunk = _recv_chunk(conn, stop, deadline)
        if chunk is None:
            return None, buf
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
        if name.strip().lower() == b"transfer-encoding":
            raise ValueError("chunked messages are not supported by the fault proxy")
    while len(rest) < length:
        chunk = _recv_chunk(conn, stop, deadline)
        if chunk is None:
            return None, buf
        rest += chunk
    return head + b"\r\n\r\n" + rest[:length], rest[length:]


def _forward(port: int, request: bytes) -> bytes:
    with socket.create_connection((LOOPBACK, port), timeout=1.0) as up:
        up.sendall(request)
        response, _ = _read_http(up, b"", threading.Event(), deadline=time.monotonic() + 30)
    if response is None:
        raise ConnectionError("upstream closed")
    return response


# --- a kiosk enrolled with a back office -------------------------------------------------------
@dataclass
class DrillKiosk:
    data_dir: Path
    kiosk_id: str

    def open_storage(self) -> Storage:
        from kiosk.services.crypto import RecordCipher, load_or_create_key
        from kiosk.services.datafolder import DataFolder
        from kiosk.services.storage import Storage
        files = DataFolder(self.data_dir)
        return Storage(files.db, RecordCipher(load_or_create_key(files.storage_key)))

    def settings(self, url: str, **overrides: Any) -> SyncSettings:
        from dataclasses import replace

        from kiosk.services.sync.settings import load_sync_settings
        return replace(load_sync_settings(self.data_dir, env={}), url=url, **overrides)

    def signing_key(self) -> Ed25519PrivateKey:
        from kiosk.services.datafolder import DataFolder
        from kiosk.services.signing import load_or_create_signing_key
        return load_or_create_signing_key(DataFolder(self.data_dir).signing_key)

    def client(self, url: str, timeout: float = 5.0) -> SyncClient:
        from kiosk.services.sync.client import SyncClient
        s = self.settings(url)
        return SyncClient(url, self.kiosk_id, self.signing_key(), s.signing_public(), timeout=timeout)


def enrol_kiosk(server: BackofficeServer, data_dir: Path, kiosk_id: str = "3301060001", **settings: object) -> DrillKiosk:
    """What staff do, through the real commands' code: the back office enrols the kiosk's public
    key; the kiosk pins the back office's public keys (sync.toml)."""
    import json

    from kiosk.services.datafolder import DataFolder
    from kiosk.services.signing import load_or_create_signing_key
    from kiosk.services.sync.protocol import ed25519_public_pem
    from kiosk.services.sync.settings import SyncSettings, save_sync_settings

    files = DataFolder(Path(data_dir))
    files.root.mkdir(parents=True, exist_ok=True)
    key = load_or_create_signing_key(files.signing_key)
    pub = Path(data_dir) / "kiosk_public.pem"
    pub.write_text(ed25519_public_pem(key.public_key()))
    r = server.cli("enrol", "--kiosk-id", kiosk_id, "--public-key", str(pub))
    if r.returncode != 0:
        raise RuntimeError(f"enrol failed: {r.stderr}")
    r = server.cli("keys")
    doc = json.loads(r.stdout)
    values: dict = {"url": server.url, "backoffice_signing_key": doc["signing_key"],
                    "backoffice_encryption_key": doc["encryption_key"],
                    "enrolled_at": time.strftime("%Y-%m-%dT%H:%M:%S"), **settings}
    save_sync_settings(Path(data_dir), SyncSettings(**values))
    return DrillKiosk(Path(data_dir), kiosk_id)


def backoffice_counts(db_url: str) -> dict:
    """Row counts straight from the back office database, plus numbers stored more than once."""
    from sqlalchemy import create_engine, func, select

    from backoffice import db
    engine = create_engine(db.normalise_url(db_url))
    try:
        with engine.connect() as conn:
            numbers = [r[0] for r in conn.execute(select(db.applications.c.number))]
            dupes = conn.execute(select(db.applications.c.number).group_by(db.applications.c.number)
                                 .having(func.count() > 1)).all()
            per_app: dict[str, int] = dict(conn.execute(select(db.department_requests.c.number, func.count())
                                        .group_by(db.department_requests.c.number)).all())
            # records are sealed at rest; the row keeps how many department requests it made
            expected = dict(conn.execute(select(db.applications.c.number, db.applications.c.requests)).all())
            conflicts = conn.execute(select(func.count()).select_from(db.conflicts)).scalar_one()
    finally:
        engine.dispose()
    return {"numbers": numbers, "duplicates": len(dupes), "conflicts": conflicts,
            "incomplete": sorted(n for n, k in expected.items() if per_app.get(n, 0) != k)}


# --- databases for tests ----------------------------------------------------------------------
@contextlib.contextmanager
def postgres_database(base_url: str) -> Iterator[str]:
    """A fresh, empty database on the PostgreSQL server of `base_url`; dropped afterwards."""
    import psycopg
    from sqlalchemy.engine import make_url

    from backoffice.db import normalise_url
    url = make_url(normalise_url(base_url))
    name = f"onevisit_t_{uuid.uuid4().hex[:12]}"
    conninfo: dict[str, Any] = dict(host=url.host or LOOPBACK, port=url.port or 5432, user=url.username or "postgres",
                    password=url.password or None, dbname=url.database or "postgres")
    with psycopg.connect(**conninfo, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(**conninfo, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def backoffice_database(kind: str, tmp_path: Path) -> Iterator[str]:
    """A database URL for the back office: "sqlite" (a file under tmp_path) or "postgresql"
    (a fresh database on $ONEVISIT_TEST_PG_URL; the caller decides what to do when it is unset)."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'backoffice.sqlite3'}"
        return
    base = os.environ.get("ONEVISIT_TEST_PG_URL")
    if not base:
        raise LookupError("ONEVISIT_TEST_PG_URL is not set")
    with postgres_database(base) as url:
        yield url


# --- applications to send ----------------------------------------------------------------------
CITIZEN_NAME = "李秀英"
CITIZEN_ID = "330106196203151234"
CHILD_NAME = "王小宝"


class DemoApplications:
    """Builds real applications (the kiosk's own code) for one fictional citizen. With
    `photo_bytes`, the retirement bundle carries a bank-card photo of that size."""

    def __init__(self, kiosk_id: str = "3301060001", catalogue_path: Path | None = None, photo_bytes: int = 0,
                 seed: int = 7) -> None:
        from datetime import date

        from kiosk.domain.form import prefill
        from kiosk.domain.identity import Identity
        from kiosk.services.catalogue_store import load_catalogue

        self.kiosk_id = kiosk_id
        self.catalogue = load_catalogue(catalogue_path or FIXTURES / "catalogue_small.yaml")
        ident = Identity("E1", CITIZEN_NAME, "LI XIUYING", "F", date(1962, 3, 15), personal_number=CITIZEN_ID)
        self.answers, self.verified = prefill(self.catalogue, ident)
        self.answers.update({"applicant_marital_status": "married", "child_name": CHILD_NAME,
                             "child_birth_date": "2026-10-01", "applicant_phone": "13800138000",
                             "spouse_name": "王大", "spouse_id_number": "330106196001011234"})
        self.photo = random.Random(seed).randbytes(photo_bytes) if photo_bytes else b""

    def draft(self, bundle_id: str = "newborn", when: datetime | None = None,
              answers: dict[str, str] | None = None) -> Draft:
        """The reviewed draft with consent given, as the kiosk's flow builds it."""
        from dataclasses import replace

        from kiosk.domain.drafting import build_draft
        values = {**self.answers, **(answers or {})}
        attachments = {"bank_card_photo": self.photo} if self.photo else None
        draft = build_draft(self.catalogue, self.catalogue.bundle(bundle_id), values, self.verified, dict(values),
                            drafted_at=(when or datetime.now()).replace(microsecond=0), attachments=attachments)
        return replace(draft, consent=True)

    def application(self, bundle_id: str = "newborn", seq: int = 1, when: datetime | None = None) -> Application:
        """A numbered application as the kiosk would store it with sequence `seq`, without a store."""
        from kiosk.domain.application import application_number
        at = (when or datetime.now()).replace(microsecond=0)
        return self.draft(bundle_id, at).numbered(application_number(self.kiosk_id, seq, at), self.kiosk_id, at)

    def store_one(self, storage: Storage, bundle_id: str = "newborn", when: datetime | None = None,
                  answers: dict[str, str] | None = None) -> Application:
        """Store one application the way the kiosk does (one durable transaction); the Application."""
        draft = self.draft(bundle_id, when, answers)
        return storage.submit(draft, self.kiosk_id, (when or datetime.now()).replace(microsecond=0))

    def submit(self, storage: Storage, n: int = 1, bundle_id: str = "newborn") -> list[str]:
        """Store n applications the way the kiosk does (one durable transaction each)."""
        return [self.store_one(storage, bundle_id).number for _ in range(n)]
