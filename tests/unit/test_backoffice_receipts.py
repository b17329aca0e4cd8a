"""The back office's side of receipts: receipt keys and their trust list, check codes filed at
upload and found by staff, and the public /verify page (no sign-in, no personal data)."""
from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from backoffice.app import create_app
from backoffice.web import WebSettings
from kiosk.services.receipts.signer import ReceiptSigner
from kiosk.services.receipts.trust import TrustListRefused, parse_trust_list
from kiosk.services.sync import protocol as proto
from tests.backoffice_support import (KIOSK, PASSWORD, POLICE, DemoApplications, fast_hasher, new_backoffice,
                                      record_bytes, sign_in)

pytest.importorskip("httpx")
from fastapi.testclient import TestClient


@pytest.fixture
def bo(tmp_path):
    b = new_backoffice(tmp_path)
    b.enrol(KIOSK, proto.ed25519_public_pem(Ed25519PrivateKey.generate().public_key()))
    yield b
    b.engine.dispose()


@pytest.fixture
def client(bo):
    a = create_app(bo, WebSettings(hasher=fast_hasher()))
    a.state.web.accounts.create("police", PASSWORD, "official", [POLICE])
    a.state.web.accounts.create("audra", PASSWORD, "auditor")
    return TestClient(a)


def deliver_with_code(bo, signer: ReceiptSigner):
    app = DemoApplications(KIOSK).application("newborn", 1)
    rec = json.loads(record_bytes(app))
    rec["check_code"] = signer.check_code(app.number)
    env = proto.seal_envelope(bo.keys.encryption.public_key(), app.number, proto.canonical_json(rec))
    assert bo.accept(KIOSK, [env])[0]["result"] == "created"
    return app


def test_trust_list_is_signed_and_carries_revocations(bo):
    signer = ReceiptSigner(Ed25519PrivateKey.generate())
    assert bo.receipts.register(KIOSK, signer.key_id, proto.b64e(signer.public_raw))["registered"]
    assert not bo.receipts.register(KIOSK, signer.key_id, proto.b64e(signer.public_raw))["registered"]
    with pytest.raises(ValueError, match="another kiosk"):
        bo.receipts.register("3301060009", signer.key_id, proto.b64e(signer.public_raw))
    with pytest.raises(ValueError, match="key id"):
        bo.receipts.register(KIOSK, "0" * 16, proto.b64e(signer.public_raw))
    public = bo.keys.signing.public_key()
    listed = parse_trust_list(bo.receipts.trust_list(), public)
    assert listed.keys[signer.key_id].revoked_at is None
    assert bo.receipts.revoke(KIOSK) == 1
    assert parse_trust_list(bo.receipts.trust_list(), public).keys[signer.key_id].revoked_at
    with pytest.raises(TrustListRefused):          # another back office's key
        parse_trust_list(bo.receipts.trust_list(), Ed25519PrivateKey.generate().public_key())


def test_staff_find_a_receipt_by_its_check_code_typed_loosely(bo, client):
    signer = ReceiptSigner(Ed25519PrivateKey.generate())
    app = deliver_with_code(bo, signer)
    code = signer.check_code(app.number)
    assert client.get(f"/v1/officials/receipts/{code}").status_code == 401       # not signed in
    assert sign_in(client, "police").status_code == 303
    typed = code.lower().replace("-", " ").replace("0", "o").replace("1", "l")  # as people read it out
    r = client.get("/officials/receipts", params={"code": typed})
    assert r.status_code == 200 and app.number in r.text and 'id="items"' in r.text
    api = client.get(f"/v1/officials/receipts/{code}").json()
    assert api["number"] == app.number and {i["status"] for i in api["items"]} == {"received"}
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")                        # a bad check symbol
    assert client.get(f"/v1/officials/receipts/{wrong}").status_code == 404
    assert "id=\"not-found\"" in client.get("/officials/receipts", params={"code": "ZZZZ-ZZZZ-Z"}).text


def test_public_verify_page_needs_no_sign_in_and_shows_statuses_not_personal_data(bo, client):
    key = Ed25519PrivateKey.generate()
    signer = ReceiptSigner(key)
    bo.receipts.register(KIOSK, signer.key_id, proto.b64e(signer.public_raw))
    app = deliver_with_code(bo, signer)
    qr, _ = signer.seal(app, provisional=True)
    assert client.get("/verify").status_code == 200
    r = client.post("/verify", data={"payload": qr})            # no CSRF token, no session
    assert r.status_code == 200 and 'class="verdict genuine"' in r.text and "received" in r.text
    for personal in ("李秀英", "330106196203151234", "13800138000"):
        assert personal not in r.text
    stranger = ReceiptSigner(Ed25519PrivateKey.generate())
    r = client.post("/verify", data={"payload": stranger.seal(app, provisional=True)[0]})
    assert 'class="verdict unknown-key"' in r.text and "received" not in r.text
    r = client.post("/verify", files={"file": ("x.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "image/png")})
    assert r.status_code == 422
    assert client.post("/verify", data={"payload": qr}, headers={"Origin": "https://evil.example"}).status_code == 403
