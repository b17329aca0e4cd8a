"""The kiosk's Ed25519 key: signs receipt QR codes so anyone holding the kiosk's public key
(published by the back office) can check a receipt is genuine, offline."""
from __future__ import annotations

import base64
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kiosk.services.keyfiles import create_secret_once


def load_or_create_signing_key(path: Path) -> Ed25519PrivateKey:
    path = Path(path)
    if path.exists():
        return Ed25519PrivateKey.from_private_bytes(path.read_bytes())
    fresh = Ed25519PrivateKey.generate().private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                                      serialization.NoEncryption())
    # First writer wins: a second thread starting at the same moment gets the same key.
    return Ed25519PrivateKey.from_private_bytes(create_secret_once(path, fresh))


def receipt_message(number: str, bundle_id: str) -> bytes:
    return f"onevisit-receipt:v1:{number}:{bundle_id}".encode()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign_receipt(key: Ed25519PrivateKey, number: str, bundle_id: str) -> str:
    return b64url(key.sign(receipt_message(number, bundle_id)))


def verify_receipt(public: Ed25519PublicKey, number: str, bundle_id: str, signature: str) -> bool:
    try:
        public.verify(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)), receipt_message(number, bundle_id))
        return True
    except Exception:  # noqa: BLE001 - any failure means "not genuine"
        return False
