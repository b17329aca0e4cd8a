"""Which receipt keys a verifier trusts: this kiosk's own receipt key, plus the last trust list
the back office signed (kiosk id, key id, public key, valid from, revoked at).

The trust list is a JSON document signed by the back office's Ed25519 key
(kiosk/services/sync/protocol.py `verify_trust_list`); the kiosk pulls it during sync
(kiosk/services/sync/trust_pull.py) and keeps exactly the bytes that verified in its data folder,
verifying them again at every use. A list older than the one kept is refused (a replayed old list
would undo a revocation). The list outranks the kiosk's own copy of its key: a key the back
office revoked is revoked here too.

Any thread; blocks on small file reads and writes.
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from kiosk.services.atomic import atomic_write
from kiosk.services.datafolder import DataFolder
from kiosk.services.receipts.seal import TrustedKey, key_id_of, raw_public
from kiosk.services.safe_files import RefusedFile, read_regular, safe_name
from kiosk.services.sync import protocol as proto

MAX_TRUST_LIST_BYTES = 2 << 20          # ~10,000 keys
_KEY_ID_RE = re.compile(r"[0-9a-f]{16}")
_KIOSK_ID_RE = re.compile(r"[0-9]{10}")


class TrustListRefused(Exception):
    """A trust list that does not verify, does not parse, or is older than the one kept."""


@dataclass(frozen=True)
class TrustList:
    issued_at: str
    keys: Mapping[str, TrustedKey] = field(default_factory=dict)
    raw: bytes = b""                    # the canonical bytes that verified (what is kept)


def _time(v: Any, what: str) -> str:
    if not isinstance(v, str) or len(v) > 32 or not v.isascii():
        raise TrustListRefused(f"{what}: a UTC time expected")
    return v


def parse_trust_list(document: Any, backoffice: Ed25519PublicKey, source: str = "trust list") -> TrustList:
    """The verified list in `document` (a parsed JSON object); TrustListRefused otherwise."""
    if not isinstance(document, dict) or document.get("format") != proto.TRUST_LIST_FORMAT or document.get("v") != 1:
        raise TrustListRefused("not a receipt-key trust list")
    if not proto.verify_trust_list(backoffice, document):
        raise TrustListRefused("the trust list is not signed by the enrolled back office")
    keys: dict[str, TrustedKey] = {}
    entries = document.get("keys")
    if not isinstance(entries, list):
        raise TrustListRefused("the trust list has no key list")
    for e in entries:
        try:
            kiosk_id, key_id, public = str(e["kiosk_id"]), str(e["key_id"]), proto.b64d(e["public_key"])
            revoked = e.get("revoked_at")
            if (not _KIOSK_ID_RE.fullmatch(kiosk_id) or not _KEY_ID_RE.fullmatch(key_id) or len(public) != 32
                    or key_id_of(public) != key_id):
                raise ValueError
            keys[key_id] = TrustedKey(kiosk_id, key_id, public, _time(e.get("valid_from", ""), "valid_from"),
                                      None if revoked is None else _time(revoked, "revoked_at"), source)
        except (KeyError, TypeError, ValueError, proto.ProtocolError):
            raise TrustListRefused("a malformed key in the trust list") from None
    return TrustList(_time(document.get("issued_at"), "issued_at"), keys, proto.canonical_json(document))


def read_trust_file(path: Path, backoffice: Ed25519PublicKey | None, source: str | None = None) -> TrustList:
    """A trust list file (bounded, never through a link), verified with `backoffice`.
    Without a back office key (a kiosk never enrolled) nothing can be trusted: refused."""
    try:
        blob = read_regular(path, MAX_TRUST_LIST_BYTES)
    except RefusedFile as exc:
        raise TrustListRefused(f"{safe_name(path)} {exc}") from None
    if backoffice is None:
        raise TrustListRefused("no back office is enrolled, so no trust list can be checked (kiosk sync enrol)")
    try:
        document = json.loads(blob)
    except ValueError:
        raise TrustListRefused(f"{safe_name(path)} is not JSON") from None
    return parse_trust_list(document, backoffice, source or safe_name(path))


def kept_trust_list(files: DataFolder, backoffice: Ed25519PublicKey | None) -> TrustList | None:
    """The last pulled trust list, verified again; None when there is none (or it no longer verifies)."""
    try:
        return read_trust_file(files.receipt_trust_list, backoffice, "trust list")
    except FileNotFoundError:
        return None
    except TrustListRefused:
        return None


def keep_trust_list(files: DataFolder, new: TrustList, backoffice: Ed25519PublicKey) -> bool:
    """Keep `new` unless the kept list is newer (TrustListRefused then); False if it is the same."""
    old = kept_trust_list(files, backoffice)
    if old is not None:
        if new.issued_at < old.issued_at:
            raise TrustListRefused(f"the trust list of {new.issued_at} is older than the kept one ({old.issued_at})")
        if old.raw == new.raw:
            return False
    atomic_write(files.receipt_trust_list, new.raw)
    return True


def own_receipt_key(files: DataFolder, kiosk_id: str) -> TrustedKey | None:
    """This kiosk's receipt key if it has one (never created here: verifying must not make keys)."""
    from kiosk.services.signing import load_or_create_signing_key
    if not files.receipt_key.is_file():
        return None
    key = load_or_create_signing_key(files.receipt_key)
    return TrustedKey(kiosk_id, key_id_of(raw_public(key)), raw_public(key), source="this kiosk")


def kiosk_trust(files: DataFolder, kiosk_id: str, backoffice: Ed25519PublicKey | None,
                extra: TrustList | None = None) -> dict[str, TrustedKey]:
    """The keys `kiosk receipt verify` trusts: `extra` (a --trust-list file) if given, otherwise
    this kiosk's own receipt key plus the last pulled trust list (which outranks it)."""
    if extra is not None:
        return dict(extra.keys)
    trust: dict[str, TrustedKey] = {}
    own = own_receipt_key(files, kiosk_id)
    if own is not None:
        trust[own.key_id] = own
    kept = kept_trust_list(files, backoffice)
    if kept is not None:
        trust.update(kept.keys)
    return trust
