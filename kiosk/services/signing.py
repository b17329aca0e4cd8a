"""The kiosk's Ed25519 key files: the sync key (signs requests to the back office and exports)
and the receipt key (signs receipt QR codes, kiosk/services/receipts/seal.py) are each one
32-byte file, created on first use. Any thread; blocks on a small file read or write."""
from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.services.keyfiles import create_secret_once


def load_or_create_signing_key(path: Path) -> Ed25519PrivateKey:
    path = Path(path)
    if path.exists():
        return Ed25519PrivateKey.from_private_bytes(path.read_bytes())
    fresh = Ed25519PrivateKey.generate().private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                                      serialization.NoEncryption())
    # First writer wins: a second thread starting at the same moment gets the same key.
    return Ed25519PrivateKey.from_private_bytes(create_secret_once(path, fresh))
