"""The sync wire protocol, shared by the kiosk (kiosk.services.sync) and the back office
(backoffice/): one place defines what is signed and how an application is sealed, so the two
sides cannot drift apart.

Requests. Every kiosk request carries four headers: the kiosk id, a Unix timestamp, a random
nonce and an Ed25519 signature (the kiosk's own key, kiosk/services/signing.py) over

    onevisit-request:v1 \\n METHOD \\n TARGET \\n KIOSK-ID \\n TIMESTAMP \\n NONCE \\n SHA256(BODY)

where TARGET is the raw path with its query string. The back office refuses an unsigned or
wrongly signed request, a timestamp outside its window, a nonce it has seen (a replay), and a
request signed by one kiosk in another kiosk's name.

Responses. The back office signs what it answers with its own Ed25519 key over the request's
nonce, the status code and the body's hash, so a kiosk acts only on a genuine answer to the
request it sent (garbage, a stale or a forged answer is treated like a network error).

Envelopes. An application travels (upload or hand-carried export) sealed for the back office:
X25519 with a fresh ephemeral key, HKDF-SHA256, AES-256-GCM, with the application number as
associated data. Only the back office's private key opens it; a USB stick that is lost shows
nothing. The back office compares applications by the SHA-256 of their canonical JSON, so a
resend (sealed again with a new ephemeral key) is recognised as the same content.

Catalogues are signed by the back office over revision, version and content hash; the kiosk
refuses one whose signature does not verify. The receipt-key trust list (kiosk receipt keys with
their revocations) is signed by the same key over its canonical JSON.

No Qt, no I/O besides what the caller passes in.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Callable, Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

H_KIOSK = "X-OneVisit-Kiosk"
H_TIMESTAMP = "X-OneVisit-Timestamp"
H_NONCE = "X-OneVisit-Nonce"
H_SIGNATURE = "X-OneVisit-Signature"
H_RESPONSE_SIGNATURE = "X-OneVisit-Response-Signature"

ENVELOPE_ALG = "X25519-HKDF-SHA256-AES256GCM"
EXPORT_FORMAT = "onevisit-export"
EXPORT_SUFFIX = ".export.jsonl"


class ProtocolError(Exception):
    """Something that does not verify or does not parse; the message names what."""


# --- encodings ------------------------------------------------------------------------------
def b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64d(text: str) -> bytes:
    if not isinstance(text, str):
        raise ProtocolError("expected base64 text")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError):
        raise ProtocolError("not base64") from None


def canonical_json(obj: Any) -> bytes:
    """One byte string per JSON value: sorted keys, no spaces, UTF-8."""
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def record_digest(record: Mapping[str, Any]) -> str:
    """What "the same application" means: the hash of the record's canonical JSON."""
    return sha256_hex(canonical_json(record))


def with_check_code(record: bytes, number: str, check_code: Callable[[str], str] | None) -> bytes:
    """The record as it leaves the kiosk, online or on a USB stick: with the receipt's check code,
    so the back office can find it by that code. The code depends only on the number and the
    receipt key, so every copy of one application is the same record (the same digest: a copy
    carried by hand and then uploaded is a duplicate, not a conflict). Any thread; pure."""
    if check_code is None:
        return record
    rec = json.loads(record)
    rec["check_code"] = check_code(number)
    return canonical_json(rec)


# --- keys -----------------------------------------------------------------------------------
def public_bytes(key: Ed25519PublicKey | X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def ed25519_public_from_text(text: str) -> Ed25519PublicKey:
    """A public key given as PEM (SubjectPublicKeyInfo) or as base64 of its 32 raw bytes."""
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode())
            if not isinstance(key, Ed25519PublicKey):
                raise ProtocolError("the PEM key is not an Ed25519 public key")
            return key
        raw = b64d(text.replace("+", "-").replace("/", "_"))
        if len(raw) != 32:
            raise ProtocolError(f"an Ed25519 public key has 32 bytes, this has {len(raw)}")
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as exc:
        raise ProtocolError(f"not an Ed25519 public key: {exc}") from None


def x25519_public_from_text(text: str) -> X25519PublicKey:
    raw = b64d(text.strip())
    if len(raw) != 32:
        raise ProtocolError(f"an X25519 public key has 32 bytes, this has {len(raw)}")
    return X25519PublicKey.from_public_bytes(raw)


def ed25519_public_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def _verify(public: Ed25519PublicKey, signature: str, message: bytes) -> bool:
    try:
        public.verify(b64d(signature), message)
        return True
    except (InvalidSignature, ProtocolError, ValueError):
        return False


# --- requests and responses -----------------------------------------------------------------
def request_message(method: str, target: str, kiosk_id: str, timestamp: int, nonce: str, body: bytes) -> bytes:
    return "\n".join(("onevisit-request:v1", method.upper(), target, kiosk_id, str(timestamp), nonce,
                      sha256_hex(body))).encode()


def new_nonce() -> str:
    return b64e(os.urandom(18))


def sign_request(key: Ed25519PrivateKey, method: str, target: str, kiosk_id: str, body: bytes,
                 timestamp: int, nonce: str | None = None) -> dict[str, str]:
    """The four headers that authenticate one request."""
    nonce = nonce or new_nonce()
    sig = key.sign(request_message(method, target, kiosk_id, timestamp, nonce, body))
    return {H_KIOSK: kiosk_id, H_TIMESTAMP: str(timestamp), H_NONCE: nonce, H_SIGNATURE: b64e(sig)}


def verify_request(public: Ed25519PublicKey, method: str, target: str, kiosk_id: str, timestamp: int,
                   nonce: str, body: bytes, signature: str) -> bool:
    return _verify(public, signature, request_message(method, target, kiosk_id, timestamp, nonce, body))


def response_message(nonce: str, status: int, body: bytes) -> bytes:
    return "\n".join(("onevisit-response:v1", nonce, str(status), sha256_hex(body))).encode()


def sign_response(key: Ed25519PrivateKey, nonce: str, status: int, body: bytes) -> str:
    return b64e(key.sign(response_message(nonce, status, body)))


def verify_response(public: Ed25519PublicKey, nonce: str, status: int, body: bytes, signature: str) -> bool:
    return _verify(public, signature, response_message(nonce, status, body))


# --- envelopes ------------------------------------------------------------------------------
def _envelope_key(shared: bytes, epk: bytes, recipient: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt=epk + recipient, info=b"onevisit-envelope:v1").derive(shared)


def _envelope_aad(number: str) -> bytes:
    return f"onevisit-envelope:v1:{number}".encode()


def seal_envelope(recipient: X25519PublicKey, number: str, plaintext: bytes) -> dict[str, Any]:
    """Seal one application's record for the back office (JSON-able dict)."""
    eph = X25519PrivateKey.generate()
    epk = public_bytes(eph.public_key())
    key = _envelope_key(eph.exchange(recipient), epk, public_bytes(recipient))
    nonce = os.urandom(12)
    ct = AESGCM(key).encrypt(nonce, plaintext, _envelope_aad(number))
    return {"v": 1, "alg": ENVELOPE_ALG, "number": number, "epk": b64e(epk), "nonce": b64e(nonce), "ct": b64e(ct)}


def open_envelope(private: X25519PrivateKey, envelope: Mapping[str, Any]) -> bytes:
    try:
        if envelope.get("v") != 1 or envelope.get("alg") != ENVELOPE_ALG:
            raise ProtocolError("unknown envelope version or algorithm")
        number = envelope["number"]
        epk = b64d(envelope["epk"])
        key = _envelope_key(private.exchange(X25519PublicKey.from_public_bytes(epk)), epk,
                            public_bytes(private.public_key()))
        return AESGCM(key).decrypt(b64d(envelope["nonce"]), b64d(envelope["ct"]), _envelope_aad(number))
    except (KeyError, TypeError, AttributeError):
        raise ProtocolError("malformed envelope") from None
    except (InvalidTag, ValueError):
        raise ProtocolError("envelope does not decrypt (wrong key, tampered, or moved to another number)") from None


# --- catalogues -----------------------------------------------------------------------------
def catalogue_message(revision: int, version: str, sha256: str) -> bytes:
    return f"onevisit-catalogue:v1\n{revision}\n{version}\n{sha256}".encode()


def sign_catalogue(key: Ed25519PrivateKey, revision: int, version: str, content: bytes) -> str:
    return b64e(key.sign(catalogue_message(revision, version, sha256_hex(content))))


def verify_catalogue(public: Ed25519PublicKey, revision: int, version: str, content: bytes, signature: str) -> bool:
    return _verify(public, signature, catalogue_message(revision, version, sha256_hex(content)))


# --- hand-carried exports -------------------------------------------------------------------
def export_message(kiosk_id: str, sha256: str, count: int) -> bytes:
    return f"onevisit-export:v1\n{kiosk_id}\n{count}\n{sha256}".encode()


# --- the receipt-key trust list ---------------------------------------------------------------
TRUST_LIST_FORMAT = "onevisit-receipt-trust-list"


def trust_list_message(document: Mapping[str, Any]) -> bytes:
    """What the back office signs: the document's canonical JSON without its signature."""
    body = {k: v for k, v in document.items() if k != "signature"}
    return b"onevisit-receipt-trust-list:v1\n" + canonical_json(body)


def sign_trust_list(key: Ed25519PrivateKey, document: Mapping[str, Any]) -> dict[str, Any]:
    return {**document, "signature": b64e(key.sign(trust_list_message(document)))}


def verify_trust_list(public: Ed25519PublicKey, document: Mapping[str, Any]) -> bool:
    signature = document.get("signature")
    return isinstance(signature, str) and _verify(public, signature, trust_list_message(document))
