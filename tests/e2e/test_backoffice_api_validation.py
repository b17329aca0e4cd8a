"""Hole 7, the API part: what the back office accepts is checked at its edge (lengths, ASCII
digits, bounded numbers) and anything malformed gets a 4xx, never a 500; one bad record in an
upload batch is refused on its own while the others are stored, and the kiosk sets it aside
for staff instead of sending it forever; an unsigned caller cannot tell enrolled, revoked and
unknown kiosks apart; `enrol` neither silently re-activates a revoked kiosk nor enrols one key
under two ids. The real back office on 127.0.0.1, SQLite and PostgreSQL."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from datetime import datetime
from urllib.parse import quote

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from testkit.sync_drills import (ROOT, BackofficeServer, DemoApplications, backoffice_counts, backoffice_database,
                                 enrol_kiosk)
from kiosk.services.sync import protocol as proto
from kiosk.services.sync.upload import Syncer

pytestmark = pytest.mark.e2e

KIOSK = "3301060001"
FAST = dict(batch_size=10, backoff_base_seconds=0.01, backoff_max_seconds=0.02, request_timeout_seconds=5.0)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "postgresql" and not os.environ.get("ONEVISIT_TEST_PG_URL"):
        if os.environ.get("CI"):
            pytest.fail("CI must run the PostgreSQL tests: ONEVISIT_TEST_PG_URL is unset (scripts/postgres.sh)")
        pytest.skip("no PostgreSQL (set ONEVISIT_TEST_PG_URL, e.g. via scripts/postgres.sh start_postgres)")
    with backoffice_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture(scope="module")
def sqlite_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("validation")
    s = BackofficeServer(f"sqlite:///{tmp / 'bo.sqlite3'}", tmp / "backoffice").start()
    yield s
    s.stop()


def signed(server, key, kiosk_id, method, target, payload=None, *, headers=None, raw_body=None):
    body = raw_body if raw_body is not None else (proto.canonical_json(payload) if payload is not None else b"")
    h = proto.sign_request(key, method, target, kiosk_id, body, int(time.time()))
    h.update(headers or {})
    return httpx.request(method, server.url + target, content=body, trust_env=False, timeout=10,
                         headers={**h, "content-type": "application/json"})


def test_malformed_numbers_in_headers_and_queries_get_4xx_not_500(sqlite_server, tmp_path):
    kiosk = enrol_kiosk(sqlite_server, tmp_path / "k", KIOSK)
    key = kiosk.signing_key()
    target = "/v1/status-changes?after=0&limit=10"
    assert signed(sqlite_server, key, KIOSK, "GET", target).status_code == 200
    for ts in ("9" * 5000, "17\xb2" + "0" * 7, "-1", "1e9", "1700000000.5", "0x10"):
        r = signed(sqlite_server, key, KIOSK, "GET", target, headers={proto.H_TIMESTAMP: ts.encode("latin-1")})
        assert r.status_code == 401, (ts[:12], r.status_code)
    for target in ("/v1/status-changes?after=" + "9" * 30, "/v1/status-changes?after=0&limit=" + "9" * 30,
                   "/v1/catalogue?have=" + "9" * 30, "/v1/status-changes?after=%D9%A3"):
        r = signed(sqlite_server, key, KIOSK, "GET", target)
        assert r.status_code == 422, (target, r.status_code)
    r = httpx.get(sqlite_server.url + "/v1/officials/applications?offset=" + "9" * 30, trust_env=False)
    assert 400 <= r.status_code < 500
    # An application number in Arabic-Indic digits is not an application number (Python's \d
    # and str.isdigit() say it is).
    store = kiosk.open_storage()
    try:
        app = DemoApplications(KIOSK).store_one(store)
        (rec,) = store.records_for([app.number])
    finally:
        store.close()
    arabic = app.number.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    env = proto.seal_envelope(_bo_encryption_key(sqlite_server), arabic, rec.record)
    r = signed(sqlite_server, key, KIOSK, "PUT", "/v1/applications/" + quote(arabic), env)
    assert r.status_code == 422 and "application number" in r.json()["detail"], r.text
    r = signed(sqlite_server, key, KIOSK, "POST", "/v1/applications/batch", {"applications": [env]})
    assert r.status_code == 200 and r.json()["results"][0]["result"] == "rejected"
    assert "application number" in r.json()["results"][0]["detail"]


def _bo_encryption_key(server):
    from kiosk.services.sync.protocol import x25519_public_from_text
    return x25519_public_from_text(json.loads(server.cli("keys").stdout)["encryption_key"])


def _store_with_a_bad_record(kiosk, good: int = 3) -> tuple[list[str], str]:
    """`good` applications the kiosk's code builds, and one whose department item id is 81
    characters (a catalogue from before the id limit)."""
    apps = DemoApplications(KIOSK)
    store = kiosk.open_storage()
    try:
        numbers = [apps.store_one(store).number for _ in range(good - 1)]
        draft = apps.draft()
        draft = replace(draft, requests=(replace(draft.requests[0], item_id="x" * 81), *draft.requests[1:]))
        bad = store.submit(draft, KIOSK, datetime.now().replace(microsecond=0)).number
        numbers.append(apps.store_one(store).number)
    finally:
        store.close()
    return numbers, bad


def test_one_bad_record_in_a_batch_is_refused_alone_and_set_aside_by_the_kiosk(db_url, tmp_path):
    with BackofficeServer(db_url, tmp_path / "backoffice") as server:
        kiosk = enrol_kiosk(server, tmp_path / "kiosk", KIOSK)
        good, bad = _store_with_a_bad_record(kiosk)
        # Straight at the API: the batch answers per record; an envelope that is itself
        # malformed (an 81-character number, a huge key) is refused on its own too.
        store = kiosk.open_storage()
        recs = store.records_for([*good, bad])
        store.close()
        recipient = _bo_encryption_key(server)
        envs = [proto.seal_envelope(recipient, r.number, r.record) for r in recs]
        junk = [{**envs[0], "number": "1" * 81}, {**envs[0], "epk": "A" * 5000}, {"v": 1}, "not an object"]
        r = signed(server, kiosk.signing_key(), KIOSK, "POST", "/v1/applications/batch",
                   {"applications": [envs[0], *junk, *envs[1:]]})
        assert r.status_code == 200, r.text
        results = r.json()["results"]
        assert [x["result"] for x in results] == ["created"] + ["rejected"] * 4 + ["created", "created", "rejected"]
        assert "item" in results[-1]["detail"] and results[-1]["number"] == bad
        assert sorted(backoffice_counts(db_url)["numbers"]) == sorted(good[:3])
        # The kiosk's own sync: the good ones are acknowledged; the refused one is retried a few
        # times with back-off, then set aside for staff; it no longer holds up the outbox.
        store = kiosk.open_storage()
        try:
            settings = kiosk.settings(server.url, **FAST)
            syncer = Syncer(store, kiosk.client(server.url), settings, data_dir=kiosk.data_dir)
            try:
                end = time.monotonic() + 20
                while time.monotonic() < end and store.sync_counts().set_aside == 0:
                    syncer.drain(time.monotonic() + 5)
                    time.sleep(0.03)
            finally:
                syncer.client.close()
            counts = store.sync_counts()
            assert counts.set_aside == 1 and counts.pending == 1 and counts.synced == 3
            assert store.pending_records(10, datetime.now().replace(year=2100)) == []
        finally:
            store.close()
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        status = subprocess.run([sys.executable, "-m", "kiosk", "sync", "status", "--data-dir", str(kiosk.data_dir)],
                                capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
        assert "set aside" in status.stdout and "item" in status.stdout, status.stdout
        # Staff fixed what made it fail (here: nothing can) and send it again on purpose.
        again = subprocess.run([sys.executable, "-m", "kiosk", "sync", "now", "--data-dir", str(kiosk.data_dir),
                                "--retry-refused", "--json", "--timeout", "10"],
                               capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
        report = json.loads(again.stdout)
        assert again.returncode == 1 and report["rejected"] == 1 and report["remaining"] == 1
        assert sorted(backoffice_counts(db_url)["numbers"]) == sorted(good)


def test_unsigned_callers_cannot_tell_enrolled_revoked_and_unknown_kiosks_apart(sqlite_server, tmp_path):
    enrolled = enrol_kiosk(sqlite_server, tmp_path / "a", "3301060011")
    revoked = enrol_kiosk(sqlite_server, tmp_path / "b", "3301060012")
    assert sqlite_server.cli("revoke", "--kiosk-id", "3301060012").returncode == 0
    stranger = Ed25519PrivateKey.generate()
    answers = {}
    for kiosk_id in ("3301060011", "3301060012", "3301069999"):
        seen = set()
        for target in ("/v1/status-changes?after=0&limit=1", "/v1/catalogue?have=0"):
            r = signed(sqlite_server, stranger, kiosk_id, "GET", target)         # a signature that does not verify
            seen.add((r.status_code, r.content))
            r = signed(sqlite_server, stranger, kiosk_id, "GET", target, headers={proto.H_SIGNATURE: "A" * 86})
            seen.add((r.status_code, r.content))
        answers[kiosk_id] = seen
    assert answers["3301060011"] == answers["3301060012"] == answers["3301069999"], answers
    # Only the holder of the revoked kiosk's key learns that it is revoked.
    r = signed(sqlite_server, revoked.signing_key(), "3301060012", "GET", "/v1/catalogue?have=0")
    assert r.status_code == 403
    assert signed(sqlite_server, enrolled.signing_key(), "3301060011", "GET", "/v1/catalogue?have=0").status_code == 200


def test_enrol_neither_reactivates_a_revoked_kiosk_nor_reuses_a_key(sqlite_server, tmp_path):
    key = tmp_path / "k.pem"
    key.write_text(proto.ed25519_public_pem(Ed25519PrivateKey.generate().public_key()))
    cli = sqlite_server.cli
    assert cli("enrol", "--kiosk-id", "3301060021", "--public-key", str(key)).returncode == 0
    assert cli("enrol", "--kiosk-id", "3301060021", "--public-key", str(key)).returncode == 0   # idempotent
    r = cli("enrol", "--kiosk-id", "3301060022", "--public-key", str(key))
    assert r.returncode == 1 and "3301060021" in r.stderr, r.stderr
    assert cli("revoke", "--kiosk-id", "3301060021").returncode == 0
    r = cli("enrol", "--kiosk-id", "3301060021", "--public-key", str(key))
    assert r.returncode == 1 and "--reactivate" in r.stderr, r.stderr
    def line() -> str:
        return next(x for x in cli("kiosks").stdout.splitlines() if x.startswith("3301060021"))
    assert "REVOKED" in line()
    r = cli("enrol", "--kiosk-id", "3301060021", "--public-key", str(key), "--reactivate")
    assert r.returncode == 0, r.stderr
    assert "REVOKED" not in line()
