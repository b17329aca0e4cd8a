"""Shared set-up for the back office's officials-side tests: a back office on real SQLite or
PostgreSQL, cheap argon2 parameters (the rules are the same; only the cost differs), applications
built and sealed by the kiosk's own code, sign-in through the real form, and a real uvicorn
server on 127.0.0.1 for the HTTP client and browser tests."""
from __future__ import annotations

import json
import re
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from backoffice.layout import BackofficeFolder, open_backoffice
from testkit.sync_drills import CHILD_NAME, CITIZEN_ID, CITIZEN_NAME, DemoApplications  # noqa: F401 - re-exported
from kiosk.services.sync import protocol as proto

KIOSK = "3301060001"
PASSWORD = "correct horse battery staple"   # noqa: S105 - the test accounts' password, in no deployment
SPOUSE_ID = "330106196001011234"
HEALTH, POLICE, CIVIL, HR = ("health-commission", "public-security-bureau", "civil-affairs-bureau",
                             "human-resources-and-social-security-bureau")


def fast_hasher() -> PasswordHasher:
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def new_backoffice(tmp_path: Path, db_url: str | None = None, **kw: Any):  # type: ignore[no-untyped-def]
    return open_backoffice(BackofficeFolder(tmp_path / "bo"), db_url, **kw)


def enrol_kiosk(bo, kiosk_id: str = KIOSK) -> Ed25519PrivateKey:  # type: ignore[no-untyped-def]
    key = Ed25519PrivateKey.generate()
    bo.enrol(kiosk_id, proto.ed25519_public_pem(key.public_key()))
    return key


def record_bytes(app) -> bytes:  # type: ignore[no-untyped-def]
    """The record exactly as the kiosk stores and seals it (attachments included)."""
    import base64
    rec = app.to_record()
    rec["attachments"] = {k: base64.b64encode(v).decode() for k, v in app.attachments.items()}
    return json.dumps(rec, ensure_ascii=False).encode()


def deliver(bo, bundle: str = "newborn", seq: int = 1, kiosk_id: str = KIOSK, photo_bytes: int = 0) -> str:  # type: ignore[no-untyped-def]
    """One application received by the back office as a kiosk's upload would deliver it."""
    app = DemoApplications(kiosk_id=kiosk_id, photo_bytes=photo_bytes).application(bundle, seq)
    env = proto.seal_envelope(bo.keys.encryption.public_key(), app.number, record_bytes(app))
    [result] = bo.accept(kiosk_id, [env])
    assert result["result"] == "created", result
    return app.number


def sign_in(client, username: str, password: str = PASSWORD, next_: str = "/officials"):  # type: ignore[no-untyped-def]
    """Through the real form: GET /signin for its token, POST it back."""
    page = client.get("/signin")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    return client.post("/signin", data={"csrf": token, "username": username, "password": password, "next": next_},
                       follow_redirects=False)


def csrf_of(client) -> str:  # type: ignore[no-untyped-def]
    return client.get("/v1/officials/me").json()["csrf_token"]


@contextmanager
def live_server(app, host: str = "127.0.0.1", **config: Any):  # type: ignore[no-untyped-def]
    """uvicorn serving `app` on its own thread on 127.0.0.1 (a free port); yields the base URL."""
    import uvicorn
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    sock.listen(64)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                                           timeout_graceful_shutdown=1, **config))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="test-backoffice", daemon=True)
    thread.start()
    end = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < end, "the test back office did not start"
        time.sleep(0.02)
    try:
        yield f"http://{host}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def database_url(kind: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A context manager with a database URL: "sqlite" (None: the back office's default file)
    or "postgresql" (a fresh database; skipped outside CI without a server, a failure in CI)."""
    import os

    import pytest

    from testkit.sync_drills import backoffice_database
    if kind == "sqlite":
        from contextlib import nullcontext
        return nullcontext(None)
    if not os.environ.get("ONEVISIT_TEST_PG_URL"):
        if os.environ.get("CI"):
            pytest.fail("CI must run the PostgreSQL tests: ONEVISIT_TEST_PG_URL is unset (scripts/postgres.sh)")
        pytest.skip("no PostgreSQL (set ONEVISIT_TEST_PG_URL, e.g. via scripts/postgres.sh start_postgres)")
    return backoffice_database("postgresql", tmp_path)
