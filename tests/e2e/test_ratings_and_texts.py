"""Ratings and text messages end to end, with the real back office over HTTP on 127.0.0.1: the
kiosk's sync sends a bad rating with a call back and the official of the department rated badly
sees the case; an official's status change reaches the kiosk by the status pull and sends one
(simulated) text to a citizen who consented, none to one who did not, and none twice after a
restart; and a real HTTP SMS gateway gets the message with its key header, after a failure that
the outbox retries."""
from __future__ import annotations

import json
import logging
import threading
import warnings
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from backoffice.app import create_app
from backoffice.web import WebSettings
from kiosk.domain import rating
from kiosk.services.crypto import RecordCipher
from kiosk.services.feedback_store import FeedbackStore
from kiosk.services.notify.outbox import NotifyPolicy
from kiosk.services.notify.port import SimulatedNotifier
from kiosk.services.notify.sms_gateway import HttpSmsGateway
from kiosk.services.signing import load_or_create_signing_key
from kiosk.services.storage import Storage
from kiosk.services.sync import protocol as proto
from kiosk.services.sync.client import SyncClient
from kiosk.services.sync.settings import SyncSettings
from kiosk.services.sync.upload import Syncer
from tests.backoffice_support import (KIOSK, PASSWORD, POLICE, DemoApplications, csrf_of, fast_hasher, live_server,
                                      new_backoffice, sign_in)

pytestmark = pytest.mark.e2e
warnings.filterwarnings("ignore", category=DeprecationWarning)
KEY = "sms-key-" + "7" * 24
PHONE = "13800138000"


class Kiosk:
    """The kiosk's store and sync steps, as the sync thread runs them; `restart` reopens both."""

    def __init__(self, tmp_path, bo, url: str, notifier, **policy) -> None:
        self.path = tmp_path / "kiosk.sqlite3"
        self.key = bytes(range(32))
        self.signing = load_or_create_signing_key(tmp_path / "signing.key")
        bo.enrol(KIOSK, proto.ed25519_public_pem(self.signing.public_key()))
        doc = bo.keys.public_document()
        self.settings = SyncSettings(url=url, backoffice_signing_key=doc["signing_key"],
                                     backoffice_encryption_key=doc["encryption_key"], enrolled_at="2026-11-01T00:00:00")
        self.notifier = notifier
        self.policy = NotifyPolicy(**policy)
        self.now = datetime.now()
        self.open()

    def open(self) -> None:
        self.store = Storage(self.path, RecordCipher(self.key))
        self.client = SyncClient(self.settings.url, KIOSK, self.signing, self.settings.signing_public(), timeout=10)
        self.sync = Syncer(self.store, self.client, self.settings, clock=lambda: self.now, notifier=self.notifier,
                           notify_policy=self.policy)

    def close(self) -> None:
        self.client.close()
        self.store.close()

    def restart(self) -> None:
        self.close()
        self.open()

    def round(self) -> None:
        """One turn of the sync thread's loop."""
        self.sync.upload_batch()
        self.sync.upload_feedback()
        self.sync.pull_status()
        self.sync.send_notifications()


@pytest.fixture
def backoffice(tmp_path):
    bo = new_backoffice(tmp_path)
    app = create_app(bo, WebSettings(hasher=fast_hasher()))
    app.state.web.accounts.create("police", PASSWORD, "official", [POLICE])
    with live_server(app) as url:
        yield bo, url
    bo.engine.dispose()


def official(url: str) -> httpx.Client:
    c = httpx.Client(base_url=url, trust_env=False, timeout=10)
    assert sign_in(c, "police").status_code == 303
    return c


def set_status(c: httpx.Client, number: str, item: str, status: str) -> None:
    r = c.post(f"/v1/officials/items/{number}/{item}/status", json={"status": status},
               headers={"x-csrf-token": csrf_of(c)})
    assert r.status_code == 200, r.text


def test_ratings_and_a_call_back_arrive_and_a_status_change_texts_once_with_consent(backoffice, tmp_path):
    bo, url = backoffice
    sim = SimulatedNotifier()
    k = Kiosk(tmp_path, bo, url, sim)
    c = official(url)
    try:
        texted = DemoApplications(KIOSK).store_one(k.store, "newborn", answers={"sms_consent": "yes"})
        silent = DemoApplications(KIOSK).store_one(k.store, "newborn")
        fs = FeedbackStore(k.store)
        fs.save(rating.make_feedback(texted.number, 1, ["hukou"], ["long_wait", "staff_attitude"], True, ["hukou"]),
                k.now)
        fs.save(rating.make_feedback(silent.number, 5, [], ["fast"], False, []), k.now)
        k.round()
        assert fs.counts() == (0, 2)
        [case] = c.get("/v1/officials/callbacks").json()["cases"]
        assert case["number"] == texted.number and case["state"] == "open"
        page = c.get(f"/officials/callbacks/{case['id']}").text
        assert PHONE in page and "等待时间长" in page
        report = c.get("/v1/officials/ratings").json()
        assert {d["name"]: d["bad"] for d in report["departments"]} == {"公安局": 1, "整体 whole visit": 0}

        set_status(c, texted.number, "hukou", "accepted")
        set_status(c, silent.number, "hukou", "accepted")
        k.round()
        assert [(m.to, m.text) for m in sim.sent] == [(PHONE, f"【一网通办】您的申请{texted.number}，公安局：已受理。")]

        k.restart()                                          # after a restart: nothing again
        k.store.set_meta("sync.status_cursor", "0")          # even if every change were pulled again
        k.round()
        assert len(sim.sent) == 1
        set_status(c, texted.number, "hukou", "completed")  # an item completed: a second message
        k.round()
        assert [m.text.endswith("已办结。") for m in sim.sent] == [False, True]
    finally:
        c.close()
        k.close()


class Gateway:
    """A small SMS gateway on 127.0.0.1 that answers 503 `fail` times, then 200, and records each request."""

    def __init__(self, fail: int) -> None:
        self.requests: list[tuple[dict, dict]] = []
        self.fail = fail
        gw = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                gw.requests.append((dict(self.headers), body))
                status = 503 if gw.fail > 0 else 200
                gw.fail -= 1
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, name="test-sms-gateway", daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def test_an_http_sms_gateway_gets_the_message_with_its_key_after_a_failure_is_retried(backoffice, tmp_path, caplog):
    bo, url = backoffice
    gateway = Gateway(fail=1)
    sms = HttpSmsGateway(gateway.url, KEY, timeout=5)
    k = Kiosk(tmp_path, bo, url, sms, backoff_base_seconds=60, backoff_max_seconds=600)
    c = official(url)
    caplog.set_level(logging.DEBUG)
    try:
        app = DemoApplications(KIOSK).store_one(k.store, "newborn", answers={"sms_consent": "yes"})
        k.round()
        set_status(c, app.number, "hukou", "approved")
        k.round()
        assert len(gateway.requests) == 1                              # 503: kept for later
        k.round()
        assert len(gateway.requests) == 1                              # backing off
        k.now += timedelta(minutes=2)
        k.round()
        assert len(gateway.requests) == 2
        k.now += timedelta(hours=1)
        k.round()
        assert len(gateway.requests) == 2                              # delivered: never again
        (h1, _b1), (h2, b2) = gateway.requests
        assert h1["X-Api-Key"] == h2["X-Api-Key"] == KEY
        assert h1["Idempotency-Key"] == h2["Idempotency-Key"] == f"{app.number}/hukou/1" == b2["id"]
        assert b2["to"] == PHONE and b2["text"] == f"【一网通办】您的申请{app.number}，公安局：已批准。"
        assert KEY not in caplog.text and PHONE not in caplog.text and KEY not in repr(sms)
    finally:
        c.close()
        k.close()
        sms.close()
        gateway.close()
