"""The sync wire protocol: what is signed, what is sealed, and that tampering is caught."""
from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from kiosk.services.sync import protocol as proto

NUMBER = "3301060001-000001-20261123100000-3"


def test_an_envelope_opens_only_with_the_back_office_key_and_for_its_own_number():
    bo = X25519PrivateKey.generate()
    env = proto.seal_envelope(bo.public_key(), NUMBER, "李秀英 330106196203151234".encode())
    assert "李秀英".encode() not in proto.canonical_json(env)
    assert proto.open_envelope(bo, env) == "李秀英 330106196203151234".encode()
    with pytest.raises(proto.ProtocolError):
        proto.open_envelope(X25519PrivateKey.generate(), env)           # another key
    with pytest.raises(proto.ProtocolError):
        proto.open_envelope(bo, {**env, "number": NUMBER[:-1] + "0"})   # moved to another number
    ct = proto.b64d(env["ct"])
    with pytest.raises(proto.ProtocolError):
        proto.open_envelope(bo, {**env, "ct": proto.b64e(ct[:-1] + bytes([ct[-1] ^ 1]))})
    with pytest.raises(proto.ProtocolError):
        proto.open_envelope(bo, {"v": 1})


def test_sealing_twice_gives_different_bytes_but_the_same_record_digest():
    bo = X25519PrivateKey.generate()
    a = proto.seal_envelope(bo.public_key(), NUMBER, b'{"b":1,"a":2}')
    b = proto.seal_envelope(bo.public_key(), NUMBER, b'{"a": 2, "b": 1}')
    assert a["ct"] != b["ct"]
    import json
    assert proto.record_digest(json.loads(proto.open_envelope(bo, a))) == proto.record_digest(json.loads(proto.open_envelope(bo, b)))


def test_a_request_signature_covers_every_part():
    key = Ed25519PrivateKey.generate()
    h = proto.sign_request(key, "POST", "/v1/applications/batch", "3301060001", b"{}", 1_800_000_000, nonce="n" * 24)
    args = dict(method="POST", target="/v1/applications/batch", kiosk_id="3301060001", timestamp=1_800_000_000,
                nonce="n" * 24, body=b"{}")
    assert proto.verify_request(key.public_key(), signature=h[proto.H_SIGNATURE], **args)
    for change in ({"method": "PUT"}, {"target": "/v1/catalogue"}, {"kiosk_id": "3301060002"},
                   {"timestamp": 1_800_000_001}, {"nonce": "m" * 24}, {"body": b"{ }"}):
        assert not proto.verify_request(key.public_key(), signature=h[proto.H_SIGNATURE], **{**args, **change}), change
    assert not proto.verify_request(Ed25519PrivateKey.generate().public_key(), signature=h[proto.H_SIGNATURE], **args)
    assert not proto.verify_request(key.public_key(), signature="garbage!", **args)


def test_responses_and_catalogues_are_bound_to_what_they_answer():
    key = Ed25519PrivateKey.generate()
    sig = proto.sign_response(key, "nonce-1", 200, b"{}")
    assert proto.verify_response(key.public_key(), "nonce-1", 200, b"{}", sig)
    assert not proto.verify_response(key.public_key(), "nonce-2", 200, b"{}", sig)    # an old answer replayed
    assert not proto.verify_response(key.public_key(), "nonce-1", 200, b"{ }", sig)
    assert not proto.verify_response(key.public_key(), "nonce-1", 200, b"{}", "")
    csig = proto.sign_catalogue(key, 3, "2026.11", b"version: 2026.11")
    assert proto.verify_catalogue(key.public_key(), 3, "2026.11", b"version: 2026.11", csig)
    assert not proto.verify_catalogue(key.public_key(), 4, "2026.11", b"version: 2026.11", csig)
    assert not proto.verify_catalogue(key.public_key(), 3, "2026.11", b"version: 2026.12", csig)


def test_public_keys_are_read_from_pem_or_base64_and_nothing_else():
    key = Ed25519PrivateKey.generate().public_key()
    raw = proto.public_bytes(key)
    assert proto.public_bytes(proto.ed25519_public_from_text(proto.ed25519_public_pem(key))) == raw
    assert proto.public_bytes(proto.ed25519_public_from_text(proto.b64e(raw))) == raw
    import base64
    assert proto.public_bytes(proto.ed25519_public_from_text(base64.b64encode(raw).decode())) == raw
    with pytest.raises(proto.ProtocolError):
        proto.ed25519_public_from_text(proto.b64e(raw[:31]))
    with pytest.raises(proto.ProtocolError):
        proto.ed25519_public_from_text("-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----")
