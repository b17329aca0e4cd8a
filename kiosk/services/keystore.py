"""The kiosk's secret keys: where they are, moving them out of the data folder, and the sealed
backup of the storage key that staff can restore (`kiosk keys backup / restore`).

The keys live in DataFolder.keys, outside the data folder (docs/security.md "Keys"). A kiosk set
up before that kept them in <data-dir>/keys: `load_storage_key` and `load_signing_key` move them
first, each file copied to the new place exclusively (first writer wins, so two threads
starting together agree), compared, and only then removed from the old place; a crash in
between leaves a key readable in at least one place and the next start finishes the move.

The backup is the 32-byte storage key sealed under a supervisor's passphrase: scrypt (n=2^17,
r=8, p=1: ~128 MiB and a fraction of a second per guess) derives an AES-256-GCM key; the file's
header (kiosk, key fingerprint, KDF parameters) is authenticated with it. Without the
passphrase the file is useless; with it, the kiosk's applications can be read again after the
key file is lost or destroyed.

Any thread; blocks on small file reads and writes (and on scrypt: ~0.3 s).
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from kiosk.services.crypto import load_or_create_key
from kiosk.services.datafolder import DataFolder
from kiosk.services.keyfiles import create_secret_once, write_secret
from kiosk.services.safe_files import RefusedFile, read_regular, safe_name
from kiosk.services.signing import load_or_create_signing_key

BACKUP_FORMAT = "onevisit-storage-key-backup"
MIN_PASSPHRASE = 12
MAX_BACKUP_BYTES = 16 * 1024
_SCRYPT = {"n": 2 ** 17, "r": 8, "p": 1}
_KEY_FILE_BYTES = 4096


class KeyProblem(Exception):
    """A key problem staff must act on; the message says what (never the key)."""


def _check_layout(files: DataFolder) -> None:
    keys, root = files.keys.absolute(), files.root.absolute()
    if keys == root or root in keys.parents:
        raise KeyProblem(f"the keys folder {safe_name(keys)} is inside the data folder {safe_name(root)}: "
                        "set [paths] keys_dir outside it")


def migrate_legacy_keys(files: DataFolder) -> list[str]:
    """Move key files from <data-dir>/keys to the keys folder; the names moved. KeyProblem when
    both places hold a file of that name with different content (staff decide which is right)."""
    _check_layout(files)
    old_dir = files.legacy_keys
    if not old_dir.is_dir() or old_dir.is_symlink():
        return []
    moved = []
    for new in (files.storage_key, files.signing_key, files.receipt_key):
        old = old_dir / new.name
        try:
            data = read_regular(old, _KEY_FILE_BYTES)
        except FileNotFoundError:
            continue
        except RefusedFile as exc:
            raise KeyProblem(f"{safe_name(old)} {exc}") from None
        if create_secret_once(new, data) != data:
            raise KeyProblem(f"{safe_name(old)} and {safe_name(new)} hold different keys: keep the one the "
                            "stored applications open with (`kiosk keys restore` from a backup) and remove the other")
        try:
            old.unlink()
        except FileNotFoundError:
            pass                                      # another thread finished the same move
        moved.append(new.name)
    try:
        old_dir.rmdir()
    except OSError:
        pass                                          # not empty (something else is there): leave it
    return moved


def load_storage_key(files: DataFolder) -> bytes:
    """The storage key (created on first start), after moving an old one into the keys folder."""
    migrate_legacy_keys(files)
    return load_or_create_key(files.storage_key)


def load_signing_key(files: DataFolder) -> Ed25519PrivateKey:
    """The kiosk's Ed25519 key (created on first start), after moving an old one."""
    migrate_legacy_keys(files)
    return load_or_create_signing_key(files.signing_key)


def load_receipt_key(files: DataFolder) -> Ed25519PrivateKey:
    """The kiosk's receipt-signing key, separate from the sync key: created on first use (a data
    folder from before it existed gets one at its next start or receipt), after moving old keys."""
    migrate_legacy_keys(files)
    return load_or_create_signing_key(files.receipt_key)


def load_face_failure_key(files: DataFolder) -> bytes:
    """The key that hashes document numbers for the per-document face-failure count: derived
    from the storage key (HKDF-SHA256, its own label), so it needs no file of its own and is
    restored with the storage key's backup."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"onevisit face-failure tags v1").derive(load_storage_key(files))


def key_fingerprint(key: bytes) -> str:
    """A short public name for a storage key, to match a backup with a kiosk (reveals nothing)."""
    return hashlib.sha256(b"onevisit-storage-key-id:v1\x00" + key).hexdigest()[:16]


def check_passphrase(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE:
        raise KeyProblem(f"the passphrase must have at least {MIN_PASSPHRASE} characters")


def _kdf(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


def _aad(header: dict) -> bytes:
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode()


def seal_backup(key: bytes, passphrase: str, kiosk_id: str, now: datetime) -> bytes:
    """The backup file's content: `key` sealed under `passphrase`."""
    check_passphrase(passphrase)
    salt, nonce = os.urandom(16), os.urandom(12)
    header = {"format": BACKUP_FORMAT, "v": 1, "kiosk_id": kiosk_id, "key_id": key_fingerprint(key),
              "created_at": now.replace(microsecond=0).isoformat(), "kdf": "scrypt", **_SCRYPT, "salt": salt.hex()}
    ct = AESGCM(_kdf(passphrase, salt, **_SCRYPT)).encrypt(nonce, key, _aad(header))
    return (json.dumps({**header, "nonce": nonce.hex(), "ct": ct.hex()}, indent=1) + "\n").encode()


@dataclass(frozen=True)
class Unsealed:
    key: bytes
    kiosk_id: str
    created_at: str


def unseal_backup(blob: bytes, passphrase: str) -> Unsealed:
    """The storage key in a backup file; KeyProblem for a wrong passphrase or a file that is not
    a backup. The KDF parameters are bounded: a crafted file cannot make us spend gigabytes."""
    try:
        doc = json.loads(blob)
        header = {k: doc[k] for k in ("format", "v", "kiosk_id", "key_id", "created_at", "kdf", "n", "r", "p", "salt")}
        if header["format"] != BACKUP_FORMAT or header["v"] != 1 or header["kdf"] != "scrypt":
            raise ValueError("not a storage key backup")
        n, r, p = header["n"], header["r"], header["p"]
        if not (isinstance(n, int) and 2 ** 14 <= n <= 2 ** 18 and n & (n - 1) == 0 and r == 8 and p == 1):
            raise ValueError("unsupported scrypt parameters")
        salt, nonce, ct = bytes.fromhex(header["salt"]), bytes.fromhex(doc["nonce"]), bytes.fromhex(doc["ct"])
    except (ValueError, KeyError, TypeError) as exc:
        raise KeyProblem(f"not a storage key backup ({safe_name(str(exc), limit=80)})") from None
    try:
        key = AESGCM(_kdf(passphrase, salt, n, r, p)).decrypt(nonce, ct, _aad(header))
    except (InvalidTag, ValueError):
        raise KeyProblem("the passphrase does not open this backup (or the file was changed)") from None
    if len(key) != 32 or key_fingerprint(key) != header["key_id"]:
        raise KeyProblem("the backup holds no valid storage key")
    return Unsealed(key, str(header["kiosk_id"]), str(header["created_at"]))


def read_backup(path: Path) -> bytes:
    """A backup file's bytes: read once, bounded, never through a link (it comes on a stick)."""
    try:
        return read_regular(path, MAX_BACKUP_BYTES)
    except RefusedFile as exc:
        raise KeyProblem(f"{safe_name(path)} {exc}") from None


def install_storage_key(files: DataFolder, key: bytes, now: datetime) -> Path | None:
    """Make `key` the storage key. A different key already there is kept beside it as
    storage.key.replaced-<time> (returned), never deleted: it may be the right one after all."""
    migrate_legacy_keys(files)
    target = files.storage_key
    kept = None
    try:
        current = read_regular(target, _KEY_FILE_BYTES)
    except FileNotFoundError:
        current = None
    except RefusedFile as exc:
        raise KeyProblem(f"{safe_name(target)} {exc}") from None
    if current == key:
        return None
    if current is not None:
        kept = target.with_name(f"{target.name}.replaced-{now:%Y%m%d%H%M%S}")
        create_secret_once(kept, current)
    write_secret(target, key)
    return kept
