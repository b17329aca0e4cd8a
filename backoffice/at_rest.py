"""Encryption at rest for what the back office keeps about citizens (records with their photos,
conflicting copies, officials' notes): envelope encryption with keys kept outside the database.

Each value gets its own random 256-bit data key (DEK); the value is sealed with AES-256-GCM
under the DEK, and the DEK is wrapped (AES-256-GCM again) under the current key-encryption key
(KEK) of the keyring. Both carry associated data that names the row (for a record: its
application number), so a sealed value moved to another row does not open. A sealed value is
one text:

    ov1.<kek id>.<wrapped DEK, base64url>.<nonce + ciphertext, base64url>

and its row keeps the KEK id in a `kek_id` column, so a rotation (`python -m backoffice
rotate-key`) finds the rows to re-wrap: re-wrapping touches only the small wrapped DEK, never the
payload; `--reencrypt` also draws fresh DEKs (after a suspected leak of a data key).

The keyring is a JSON file, mode 0600 in a 0700 folder (backoffice/layout.py puts it outside
the database's folder): {"format", "v", "current", "keys": {id: base64url 32 bytes},
"index_key"}. `index_key` (never rotated) keys the HMAC that lets the audit log name a citizen
without holding an ID number (`id_tag`). Every process re-reads the keyring when the file
changes, so a rotation reaches running servers without a restart.

Any thread: the keyring is swapped whole under a lock.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kiosk.services.keyfiles import create_secret_once, write_secret

KEYRING_FORMAT = "onevisit-backoffice-keyring"
PREFIX = "ov1"


class AtRestError(Exception):
    """A sealed value that does not open (wrong row, tampered, unknown key) or a bad keyring."""


def _b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64d(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError):
        raise AtRestError("not base64") from None


def new_key_id() -> str:
    return time.strftime("k%Y%m%d-", time.gmtime()) + secrets.token_hex(3)


def _new_keyring_bytes() -> bytes:
    kid = new_key_id()
    doc = {"format": KEYRING_FORMAT, "v": 1, "current": kid, "keys": {kid: _b64e(os.urandom(32))},
           "index_key": _b64e(os.urandom(32))}
    return json.dumps(doc, indent=1).encode()


@dataclass(frozen=True)
class _Ring:
    current: str
    keys: dict[str, bytes]
    index_key: bytes
    stamp: tuple[int, int, int]      # (mtime_ns, size, inode) of the file it was read from


def _parse(data: bytes, stamp: tuple[int, int, int]) -> _Ring:
    try:
        doc = json.loads(data)
        if doc.get("format") != KEYRING_FORMAT or doc.get("v") != 1:
            raise AtRestError("not a OneVisit back-office keyring")
        keys = {str(k): _b64d(v) for k, v in doc["keys"].items()}
        index_key = _b64d(doc["index_key"])
        current = str(doc["current"])
    except (ValueError, KeyError, TypeError, AttributeError):
        raise AtRestError("the keyring file is damaged") from None
    if current not in keys or any(len(k) != 32 for k in keys.values()) or len(index_key) != 32:
        raise AtRestError("the keyring file is damaged (keys must be 32 bytes; the current key must be present)")
    return _Ring(current, keys, index_key, stamp)


class Keyring:
    """The key-encryption keys, read from `path` (created with one fresh key if missing)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        create_secret_once(self.path, _new_keyring_bytes())
        self._lock = threading.Lock()
        self._ring = self._read()

    def _stamp(self) -> tuple[int, int, int]:
        st = os.stat(self.path)
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def _read(self) -> _Ring:
        fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW)
        try:
            st = os.fstat(fd)
            if st.st_mode & 0o077:
                raise AtRestError(f"{self.path} is readable by others: chmod 600 it")
            with os.fdopen(fd, "rb", closefd=False) as fh:
                data = fh.read(1 << 20)
        finally:
            os.close(fd)
        return _parse(data, (st.st_mtime_ns, st.st_size, st.st_ino))

    def ring(self) -> _Ring:
        """The keyring as the file holds it now (re-read after a rotation)."""
        with self._lock:
            if self._stamp() != self._ring.stamp:
                self._ring = self._read()
            return self._ring

    def add_key(self) -> str:
        """Make a fresh key current (the old ones stay, to open what they wrapped). Returns its id."""
        with self._lock:
            ring = self._read()
            kid = new_key_id()
            while kid in ring.keys:
                kid = new_key_id()
            keys = {**ring.keys, kid: os.urandom(32)}
            self._write(kid, keys, ring.index_key)
            return kid

    def remove_keys(self, ids: set[str]) -> None:
        with self._lock:
            ring = self._read()
            if ring.current in ids:
                raise AtRestError("the current key cannot be removed")
            self._write(ring.current, {k: v for k, v in ring.keys.items() if k not in ids}, ring.index_key)

    def _write(self, current: str, keys: dict[str, bytes], index_key: bytes) -> None:
        doc = {"format": KEYRING_FORMAT, "v": 1, "current": current,
               "keys": {k: _b64e(v) for k, v in keys.items()}, "index_key": _b64e(index_key)}
        write_secret(self.path, json.dumps(doc, indent=1).encode())
        self._ring = self._read()


class AtRest:
    """Seals and opens values for one row context (e.g. "applications|<number>")."""

    def __init__(self, keyring: Keyring) -> None:
        self.keyring = keyring

    @property
    def current_key_id(self) -> str:
        return self.keyring.ring().current

    def seal(self, plaintext: bytes, context: str) -> tuple[str, str]:
        """(sealed text, KEK id) of `plaintext` for the row named by `context`."""
        ring = self.keyring.ring()
        dek = AESGCM.generate_key(256)
        return self._assemble(ring, ring.current, dek, plaintext, context), ring.current

    def open(self, sealed: str, context: str) -> bytes:
        _ring, dek, body = self._unwrap(sealed, context)
        try:
            return AESGCM(dek).decrypt(body[:12], body[12:], _aad("data", context))
        except (InvalidTag, ValueError):
            raise AtRestError("a sealed value does not open (tampered, or moved from another row)") from None

    def rewrap(self, sealed: str, context: str, *, reencrypt: bool = False) -> tuple[str, str]:
        """The same value wrapped by the current KEK (and, with `reencrypt`, under a fresh DEK)."""
        if reencrypt:
            return self.seal(self.open(sealed, context), context)
        ring, dek, body = self._unwrap(sealed, context)
        nonce = os.urandom(12)
        wrapped = nonce + AESGCM(ring.keys[ring.current]).encrypt(nonce, dek, _aad("dek", context, ring.current))
        return ".".join((PREFIX, ring.current, _b64e(wrapped), _b64e(body))), ring.current

    def id_tag(self, id_number: str) -> str:
        """A keyed hash of a resident ID number: the audit log can say "this citizen" (an
        investigator with the keyring computes the same tag) without storing the number."""
        key = self.keyring.ring().index_key
        return "idtag:" + hmac.new(key, id_number.strip().upper().encode(), hashlib.sha256).hexdigest()[:32]

    # --- inside -------------------------------------------------------------------------------
    @staticmethod
    def _assemble(ring: _Ring, kid: str, dek: bytes, plaintext: bytes, context: str) -> str:
        n1, n2 = os.urandom(12), os.urandom(12)
        wrapped = n1 + AESGCM(ring.keys[kid]).encrypt(n1, dek, _aad("dek", context, kid))
        body = n2 + AESGCM(dek).encrypt(n2, plaintext, _aad("data", context))
        return ".".join((PREFIX, kid, _b64e(wrapped), _b64e(body)))

    def _unwrap(self, sealed: str, context: str) -> tuple[_Ring, bytes, bytes]:
        parts = sealed.split(".") if isinstance(sealed, str) else []
        if len(parts) != 4 or parts[0] != PREFIX:
            raise AtRestError("not a sealed value (a plaintext row from before sealing? run `python -m backoffice migrate`)")
        _, kid, wrapped_text, body_text = parts
        ring = self.keyring.ring()
        if kid not in ring.keys:
            raise AtRestError(f"the keyring has no key {kid!r} (removed too early? restore it from the keyring's backup)")
        wrapped, body = _b64d(wrapped_text), _b64d(body_text)
        try:
            dek = AESGCM(ring.keys[kid]).decrypt(wrapped[:12], wrapped[12:], _aad("dek", context, kid))
        except (InvalidTag, ValueError):
            raise AtRestError("a data key does not unwrap (tampered, or moved from another row)") from None
        return ring, dek, body


def is_sealed(value: str | None) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX + ".")


def _aad(kind: str, context: str, kid: str = "") -> bytes:
    return f"onevisit-backoffice:v1|{kind}|{kid}|{context}".encode()


def record_context(number: str) -> str:
    return f"applications|{number}"


def conflict_context(number: str, digest: str) -> str:
    return f"conflicts|{number}|{digest}"


def note_context(number: str, item_id: str) -> str:
    return f"note|{number}|{item_id}"
