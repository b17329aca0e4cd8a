"""Encryption at rest for citizen records: AES-256-GCM with the record id as associated data,
so a ciphertext moved to another record's row fails to decrypt instead of being misread."""
from __future__ import annotations

import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kiosk.services.keyfiles import create_secret_once

NONCE_BYTES = 12


class CorruptRecord(Exception):
    """A stored record that does not decrypt: tampered, truncated or under another key."""


def load_or_create_key(path: Path) -> bytes:
    """The 32-byte data key in `path`, created (mode 0600) on first start. Never logged."""
    path = Path(path)
    if path.exists():
        key = path.read_bytes()
        if len(key) != 32:
            raise CorruptRecord(f"key file {path} has the wrong length")
        return key
    key = create_secret_once(path, AESGCM.generate_key(bit_length=256))
    if len(key) != 32:
        raise CorruptRecord(f"key file {path} has the wrong length")
    return key


class RecordCipher:
    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal(self, plaintext: bytes, record_id: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext, record_id.encode())

    def open(self, blob: bytes, record_id: str) -> bytes:
        try:
            return self._aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], record_id.encode())
        except (InvalidTag, ValueError):
            raise CorruptRecord(f"record {record_id} does not decrypt") from None
