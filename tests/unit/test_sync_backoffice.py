"""The back office's rules, in process (FastAPI TestClient, SQLite): who may send, idempotency,
conflicts kept for review, signed answers, status changes and catalogues per kiosk."""
from __future__ import annotations

import json
import time
import warnings

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

with warnings.catch_warnings():   # starlette would rather have httpx2; httpx is what we pin
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from backoffice.app import create_app
from backoffice.at_rest import AtRest, Keyring, record_context
from backoffice.db import make_engine
from backoffice.keys import BackofficeKeys
from backoffice.service import Backoffice
from testkit.sync_drills import ROOT, DemoApplications
from kiosk.services.sync import protocol as proto
from kiosk.services.crypto import RecordCipher, load_or_create_key
from kiosk.services.storage import Storage

A, B = "3301060001", "3301060002"


@pytest.fixture
def bo(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'bo.sqlite3'}")
    b = Backoffice(engine, BackofficeKeys.load_or_create(tmp_path / "keys"),
                   at_rest=AtRest(Keyring(tmp_path / "keys" / "at-rest.keyring")))
    yield b
    engine.dispose()


@pytest.fixture
def http(bo):
    with TestClient(create_app(bo)) as c:
        yield c


@pytest.fixture
def kiosks(bo):
    keys = {A: Ed25519PrivateKey.generate(), B: Ed25519PrivateKey.generate()}
    for kid, k in keys.items():
        bo.enrol(kid, proto.ed25519_public_pem(k.public_key()))
    return keys


@pytest.fixture
def store(tmp_path):
    s = Storage(tmp_path / "kiosk.sqlite3", RecordCipher(load_or_create_key(tmp_path / "storage.key")))
    yield s
    s.close()


def sealed(bo, store, n=1, kiosk_id=A, **answers):
    apps = DemoApplications(kiosk_id=kiosk_id)
    numbers = [apps.store_one(store, answers=answers or None).number for _ in range(n)]
    recipient = bo.keys.encryption.public_key()
    return [proto.seal_envelope(recipient, r.number, r.record) for r in store.records_for(numbers)]


def send(http, key, kiosk_id, method, target, payload=None, *, ts=None, nonce=None, headers=None):
    body = proto.canonical_json(payload) if payload is not None else b""
    h = proto.sign_request(key, method, target, kiosk_id, body, int(ts or time.time()), nonce)
    h.update(headers or {})
    return http.request(method, target, content=body, headers={**h, "content-type": "application/json"}), h


def test_upload_is_idempotent_and_answers_are_signed_for_the_request(http, bo, kiosks, store):
    envs = sealed(bo, store, 3)
    r, h = send(http, kiosks[A], A, "POST", "/v1/applications/batch", {"applications": envs})
    assert r.status_code == 200
    assert proto.verify_response(bo.keys.signing.public_key(), h[proto.H_NONCE], 200, r.content,
                                 r.headers[proto.H_RESPONSE_SIGNATURE])
    assert [x["result"] for x in r.json()["results"]] == ["created"] * 3
    # the same applications again, sealed afresh: "already have it"
    again = [proto.seal_envelope(bo.keys.encryption.public_key(), rec.number, rec.record)
             for rec in store.records_for([e["number"] for e in envs])]
    r, _ = send(http, kiosks[A], A, "POST", "/v1/applications/batch", {"applications": again + envs[:1]})
    assert [x["result"] for x in r.json()["results"]] == ["duplicate"] * 4
    assert bo.counts()["applications"] == 3 and bo.counts()["department_requests"] == 9


def test_same_number_different_content_is_409_and_kept_for_review(http, bo, kiosks, store, tmp_path):
    (env,) = sealed(bo, store, 1)
    r, _ = send(http, kiosks[A], A, "PUT", f"/v1/applications/{env['number']}", env)
    assert r.status_code == 201 and r.json()["result"] == "created"
    r, _ = send(http, kiosks[A], A, "PUT", f"/v1/applications/{env['number']}", env)
    assert r.status_code == 200 and r.json()["result"] == "duplicate"
    rec = json.loads(proto.open_envelope(bo.keys.encryption, env))
    rec["answers"][0]["value"] = "someone else"
    other = proto.seal_envelope(bo.keys.encryption.public_key(), env["number"], json.dumps(rec).encode())
    for _ in range(2):
        r, _ = send(http, kiosks[A], A, "PUT", f"/v1/applications/{env['number']}", other)
        assert r.status_code == 409 and r.json()["result"] == "conflict"
    assert bo.counts()["applications"] == 1
    assert [c["number"] for c in bo.list_conflicts()] == [env["number"]]     # kept once, for review
    with bo.engine.connect() as conn:
        sealed_record = conn.exec_driver_sql("SELECT record FROM applications").scalar_one()
    stored = json.loads(bo.at_rest.open(sealed_record, record_context(env["number"])))
    assert stored["answers"][0]["value"] != "someone else"                    # the first copy stays


def test_unsigned_wrongly_signed_stale_replayed_and_impersonating_requests_are_refused(http, bo, kiosks, store):
    envs = sealed(bo, store, 1)
    payload = {"applications": envs}
    body = proto.canonical_json(payload)
    r = http.post("/v1/applications/batch", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 401 and r.json()["detail"] == "unsigned request"
    bad = (401, "bad signature or unknown kiosk")   # the same for an unknown kiosk: no enumeration
    r, _ = send(http, Ed25519PrivateKey.generate(), A, "POST", "/v1/applications/batch", payload)
    assert (r.status_code, r.json()["detail"]) == bad
    r, _ = send(http, kiosks[B], A, "POST", "/v1/applications/batch", payload)      # B in A's name
    assert (r.status_code, r.json()["detail"]) == bad
    r, _ = send(http, kiosks[A], A, "POST", "/v1/applications/batch", payload, ts=time.time() - 3600)
    assert r.status_code == 401 and "window" in r.json()["detail"]
    r, _ = send(http, kiosks[A], "3301069999", "POST", "/v1/applications/batch", payload)
    assert (r.status_code, r.json()["detail"]) == bad
    r, h = send(http, kiosks[A], A, "POST", "/v1/applications/batch", payload)
    assert r.status_code == 200
    replay = http.post("/v1/applications/batch", content=body, headers={**h, "content-type": "application/json"})
    assert (replay.status_code, replay.json()["detail"]) == (401, "replayed request")
    tampered = http.post("/v1/applications/batch", content=body.replace(b'"v":1', b'"v":1 '),
                         headers={**h, proto.H_NONCE: proto.new_nonce(), "content-type": "application/json"})
    assert tampered.status_code == 401
    bo.revoke(A)
    r, _ = send(http, kiosks[A], A, "POST", "/v1/applications/batch", payload)
    assert (r.status_code, r.json()["detail"]) == (403, "kiosk revoked")
    assert bo.counts()["applications"] == 1


def test_a_kiosk_cannot_deliver_another_kiosks_applications(http, bo, kiosks, store):
    envs = sealed(bo, store, 1, kiosk_id=A)
    r, _ = send(http, kiosks[B], B, "POST", "/v1/applications/batch", {"applications": envs})
    assert r.json()["results"] == [{"number": envs[0]["number"], "result": "rejected",
                                    "detail": "another kiosk's application"}]
    broken = {**envs[0], "ct": envs[0]["ct"][:-4] + "AAAA"}
    r, _ = send(http, kiosks[A], A, "POST", "/v1/applications/batch", {"applications": [broken]})
    assert r.json()["results"][0]["result"] == "rejected" and "decrypt" in r.json()["results"][0]["detail"]
    assert bo.counts()["applications"] == 0


def test_status_changes_go_only_to_the_kiosk_that_sent_the_application(http, bo, kiosks, store, tmp_path):
    env_a = sealed(bo, store, 1, kiosk_id=A)
    s2 = Storage(tmp_path / "k2.sqlite3", RecordCipher(load_or_create_key(tmp_path / "k2.key")))
    try:
        env_b = sealed(bo, s2, 1, kiosk_id=B)
    finally:
        s2.close()
    send(http, kiosks[A], A, "POST", "/v1/applications/batch", {"applications": env_a})
    send(http, kiosks[B], B, "POST", "/v1/applications/batch", {"applications": env_b})
    bo.set_status(env_a[0]["number"], "hukou", "accepted")
    bo.set_status(env_b[0]["number"], "hukou", "rejected", "missing material")
    with pytest.raises(ValueError):
        bo.set_status(env_a[0]["number"], "hukou", "lost")
    r, _ = send(http, kiosks[A], A, "GET", "/v1/status-changes?after=0&limit=10")
    body = r.json()
    assert [(c["number"], c["status"]) for c in body["changes"]] == [(env_a[0]["number"], "accepted")]
    r, _ = send(http, kiosks[A], A, "GET", f"/v1/status-changes?after={body['next']}&limit=10")
    assert r.json()["changes"] == []


def test_catalogue_is_signed_versioned_and_checked_before_publishing(http, bo, kiosks):
    r, _ = send(http, kiosks[A], A, "GET", "/v1/catalogue?have=0")
    assert r.json() == {"unchanged": True, "revision": 0}
    content = (ROOT / "tests" / "fixtures" / "catalogue_small.yaml").read_bytes()
    assert bo.publish_catalogue(content) == (1, "test.1")
    r, _ = send(http, kiosks[A], A, "GET", "/v1/catalogue?have=0")
    c = r.json()
    assert c["revision"] == 1 and proto.verify_catalogue(bo.keys.signing.public_key(), 1, "test.1",
                                                          c["content"].encode(), c["signature"])
    r, _ = send(http, kiosks[A], A, "GET", "/v1/catalogue?have=1")
    assert r.json()["unchanged"] is True
    from kiosk.domain.catalogue import CatalogueError
    with pytest.raises(CatalogueError):
        bo.publish_catalogue(b"version: broken\nbundles: 3\n")


def test_openapi_and_the_officials_page(http, bo, kiosks, store):
    from tests.backoffice_support import PASSWORD, POLICE, sign_in
    http.app.state.web.accounts.create("police", PASSWORD, "official", [POLICE])
    assert http.get("/openapi.json").status_code == 401 and http.get("/officials").status_code == 401
    sign_in(http, "police")
    spec = http.get("/openapi.json").json()
    for path in ("/v1/applications/batch", "/v1/applications/{number}", "/v1/status-changes", "/v1/catalogue",
                 "/v1/officials/applications"):
        assert path in spec["paths"], path
    envs = sealed(bo, store, 2)
    send(http, kiosks[A], A, "POST", "/v1/applications/batch", {"applications": envs})
    page = http.get("/officials").text
    assert "公安局" in page and envs[0]["number"] in page
    only = http.get("/v1/officials/applications", params={"department": POLICE}).json()
    assert {r["department"] for r in only["requests"]} == {"公安局"} and len(only["requests"]) == 2
    from testkit.sync_drills import CITIZEN_ID, CITIZEN_NAME
    assert CITIZEN_NAME not in page and CITIZEN_ID not in page        # officials' list shows no personal data
