"""The staff credential list: who may sign in at one kiosk, signed by the back office. Shared by
the back office (which issues it, backoffice/staff.py) and the kiosk (which verifies and caches
it), so the two cannot drift apart.

    {"format": "onevisit-staff-list", "v": 1, "kiosk_id": "3301060001", "issued": 1790000000,
     "id_salt": "<base64url>", "staff": [{"staff_number": "100234", "role": "clerk",
     "pin_hash": "$argon2id$...", "id_key": "<hex>" | null, "valid_until": "2027-06-30" | null}],
     "signature": "<base64url Ed25519 over 'onevisit-staff-list:v1\\n' + canonical JSON of the rest>"}

No names and no ID numbers travel: `pin_hash` is an argon2id PHC string of the PIN, and `id_key`
is argon2id of the staff member's own ID card number under the deployment's `id_salt`
(`id_key`, below), so the ID-card sign-in can find the account without the list holding the
number. `issued` (Unix seconds, the back office's clock) bounds how long a kiosk may use the list
offline and lets the kiosk refuse an older list replayed over a newer one.

No Qt. CPU only, except `id_key` and `verify_pin`, which are slow on purpose (argon2id, ~0.1-0.3 s
and 32-64 MiB each): call them on a worker thread, never the GUI thread.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from itertools import pairwise
from dataclasses import dataclass
from datetime import date
from typing import Any

from argon2 import PasswordHasher, extract_parameters
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.low_level import Type, hash_secret_raw
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kiosk.services.sync import protocol as proto

FORMAT = "onevisit-staff-list"
ROLES = ("clerk", "supervisor")
STAFF_NUMBER_RE = re.compile(r"[A-Z0-9]{4,16}")
PIN_RE = re.compile(r"\d{6,12}")
ID_NUMBER_RE = re.compile(r"\d{17}[\dX]")
MAX_LIST_BYTES = 1 << 20
MAX_STAFF = 2000
# The ID card key's cost: fixed, since keys made with other parameters would never match.
ID_KDF = {"time_cost": 2, "memory_cost": 32 * 1024, "parallelism": 1, "hash_len": 32}
# A signed list is trusted, but a misconfigured one must still not make a kiosk spend gigabytes.
MAX_PIN_MEMORY_KIB, MAX_PIN_TIME, MAX_PIN_LANES = 256 * 1024, 16, 8


class StaffListError(ValueError):
    """A staff list that does not verify or does not parse; the message says what."""


@dataclass(frozen=True)
class StaffMember:
    """A staff member as a kiosk knows them: no name, no ID number."""
    staff_number: str
    role: str                        # "clerk" | "supervisor"
    pin_hash: str
    id_key: str | None = None
    valid_until: str | None = None   # ISO date, inclusive; None: no end

    def valid_on(self, day: date) -> bool:
        return self.valid_until is None or day.isoformat() <= self.valid_until


@dataclass(frozen=True)
class StaffList:
    kiosk_id: str
    issued: int
    id_salt: bytes
    staff: tuple[StaffMember, ...]

    def by_number(self, staff_number: str) -> StaffMember | None:
        return next((m for m in self.staff if m.staff_number == staff_number), None)

    def by_id_key(self, key: str) -> StaffMember | None:
        """The member whose ID card key this is; every entry is compared (constant time each)."""
        found = None
        for m in self.staff:
            if m.id_key is not None and hmac.compare_digest(m.id_key, key):
                found = m
        return found


def id_salt_for(backoffice_signing_public: bytes) -> bytes:
    """The deployment's salt for ID card keys: derived from the back office's public key, so
    every kiosk it signs lists for agrees without another secret to distribute."""
    return hashlib.sha256(b"onevisit-staff-id:v1\x00" + backoffice_signing_public).digest()[:16]


def id_key(id_number: str, salt: bytes) -> str:
    """The slow, salted key of a resident ID number (upper-case X). Slow on purpose (~0.15 s):
    worker thread only."""
    number = id_number.strip().upper()
    if not ID_NUMBER_RE.fullmatch(number):
        raise StaffListError("not a resident ID number")
    return hash_secret_raw(number.encode(), salt, type=Type.ID, **ID_KDF).hex()


def _message(doc: Mapping[str, Any]) -> bytes:
    return b"onevisit-staff-list:v1\n" + proto.canonical_json({k: v for k, v in doc.items() if k != "signature"})


def sign_staff_list(key: Ed25519PrivateKey, doc: Mapping[str, Any]) -> dict[str, Any]:
    """`doc` with its signature (the back office's side)."""
    return {**doc, "signature": proto.b64e(key.sign(_message(doc)))}


def verify_staff_list(blob: bytes, public: Ed25519PublicKey, kiosk_id: str) -> StaffList:
    """The list in `blob` if the back office signed it for this kiosk and it is well-formed;
    StaffListError otherwise. Bounded before parsing."""
    if len(blob) > MAX_LIST_BYTES:
        raise StaffListError(f"a staff list over {MAX_LIST_BYTES} bytes")
    try:
        doc = json.loads(blob)
    except ValueError:
        raise StaffListError("a staff list that is not JSON") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("v") != 1:
        raise StaffListError("not a staff list")
    try:
        public.verify(proto.b64d(str(doc.get("signature", ""))), _message(doc))
    except Exception:  # noqa: BLE001 - InvalidSignature, malformed base64: all mean "not the back office's"
        raise StaffListError("the staff list's signature is not the back office's") from None
    if doc.get("kiosk_id") != kiosk_id:
        raise StaffListError("a staff list for another kiosk")
    try:
        issued, salt, rows = int(doc["issued"]), proto.b64d(doc["id_salt"]), doc["staff"]
        if not isinstance(rows, list) or len(rows) > MAX_STAFF:
            raise StaffListError("too many staff")
        staff = tuple(_member(r) for r in rows)
    except (KeyError, TypeError, ValueError, proto.ProtocolError) as exc:
        raise StaffListError(f"a malformed staff list ({type(exc).__name__})") from None
    return StaffList(kiosk_id, issued, salt, staff)


def _member(r: Any) -> StaffMember:
    m = StaffMember(str(r["staff_number"]), str(r["role"]), str(r["pin_hash"]),
                    None if r.get("id_key") is None else str(r["id_key"]),
                    None if r.get("valid_until") is None else str(r["valid_until"]))
    if not STAFF_NUMBER_RE.fullmatch(m.staff_number) or m.role not in ROLES:
        raise ValueError("a bad staff number or role")
    if m.valid_until is not None:
        date.fromisoformat(m.valid_until)
    try:
        p = extract_parameters(m.pin_hash)
    except InvalidHashError:
        raise ValueError("a PIN hash that is not argon2") from None
    if p.type is not Type.ID or p.memory_cost > MAX_PIN_MEMORY_KIB or p.time_cost > MAX_PIN_TIME \
            or p.parallelism > MAX_PIN_LANES:
        raise ValueError("a PIN hash with unsupported argon2 parameters")
    return m


_VERIFIER = PasswordHasher()


def verify_pin(pin_hash: str, pin: str) -> bool:
    """Whether `pin` matches (argon2id; its parameters come from the hash, bounded when the list
    was read). Slow on purpose: worker thread only."""
    try:
        return _VERIFIER.verify(pin_hash, pin[:64])
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def check_pin_rules(pin: str) -> None:
    """A PIN staff may choose: 6-12 digits, not one digit repeated, not a run up or down."""
    if not PIN_RE.fullmatch(pin):
        raise ValueError("a PIN has 6 to 12 digits")
    steps = {int(b) - int(a) for a, b in pairwise(pin)}
    if steps in ({0}, {1}, {-1}):
        raise ValueError("a PIN may not be one digit repeated or a run such as 123456")
