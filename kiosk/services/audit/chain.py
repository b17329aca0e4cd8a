"""The audit trail's entries and their chain, shared by the kiosk (which writes and signs them)
and the back office (which verifies them on arrival), so the two sides cannot drift apart.

An entry is one staff action, override, proxy, help call or sign-in. Its `hash` is the SHA-256
of the canonical JSON of everything else in it, the previous entry's hash (`prev`) included, so
changing, removing or reordering any entry breaks every link after it; its `sig` is the kiosk
key's Ed25519 signature over that hash, so only the kiosk can write a valid entry:

    hash = SHA256(canonical_json({v, seq, type, at, kiosk_id, staff, ref, details, prev}))
    sig  = Ed25519(kiosk key, "onevisit-audit:v1\\n" + hash)

The first entry's `prev` is GENESIS (64 zeros); `seq` counts from 1 without gaps.

`details` is a small flat dict of short values and never holds personal data: `clean_details`
refuses values that look like an ID number or a phone number. No Qt, no I/O.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kiosk.services.sync import protocol as proto

VERSION = 1
GENESIS = "0" * 64
# The kinds of entry. An override's type is "override" (issue 12); add new kinds here, so that a
# typo in a caller fails at once instead of writing an entry nobody will ever search for.
TYPES = frozenset({
    "help_call",             # a citizen pressed "Ask staff"
    "staff_sign_in",         # a clerk or supervisor signed in (details: method)
    "staff_sign_in_failed",  # a wrong PIN, an unknown number, a locked account (details: reason, failures)
    "staff_mode_end",        # staff mode ended (details: reason = sign_out | idle | session_end)
    "override",              # a clerk confirmed identity after a failed automated check (details: reason)
    "proxy",                 # an application made for someone else (details: relationship)
    "counter_mode",          # a clerk drove the journey for the citizen
    "lockdown_exit",         # a supervisor let the kiosk leave lockdown
})
MAX_DETAILS = 12
MAX_TEXT = 200
STAFF_NUMBER_RE = re.compile(r"[A-Z0-9]{4,16}")
KEY_RE = re.compile(r"[a-z][a-z0-9_]{0,31}")
REF_RE = re.compile(r"[A-Za-z0-9:._-]{1,64}")
# A run of 11+ digits (a phone number, most of an ID number) or an 18-character resident ID.
PERSONAL_RE = re.compile(r"\d{11,}|\d{17}[\dXx]")


class AuditError(ValueError):
    """An entry the rules refuse (unknown type, personal data in details, ...)."""


def clean_details(details: Mapping[str, Any] | None) -> dict[str, str | int | bool | None]:
    """`details` checked: at most MAX_DETAILS keys (lower-case names), each value a bool, an int,
    None or a string of at most MAX_TEXT characters that holds no ID or phone number."""
    out: dict[str, str | int | bool | None] = {}
    for k, v in (details or {}).items():
        if not isinstance(k, str) or not KEY_RE.fullmatch(k):
            raise AuditError(f"a detail's name is lower-case letters, digits and '_': {str(k)[:40]!r}")
        if isinstance(v, bool) or v is None or (isinstance(v, int) and abs(v) < 2 ** 53):
            out[k] = v
        elif isinstance(v, str):
            if len(v) > MAX_TEXT:
                raise AuditError(f"detail {k!r} is longer than {MAX_TEXT} characters")
            if PERSONAL_RE.search(v):
                raise AuditError(f"detail {k!r} looks like an ID or phone number: audit entries hold no personal data")
            out[k] = v
        else:
            raise AuditError(f"detail {k!r}: a string, a number, true/false or null")
    if len(out) > MAX_DETAILS:
        raise AuditError(f"at most {MAX_DETAILS} details")
    return out


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    type: str
    at: str                       # UTC, ISO 8601 with "Z"
    kiosk_id: str
    staff: str | None             # the staff number, when a staff member acted or tried to
    ref: str | None               # the application number or the session's reference
    details: Mapping[str, Any] = field(default_factory=dict)
    prev: str = GENESIS
    hash: str = ""
    sig: str = ""

    def content(self) -> dict[str, Any]:
        """What the hash covers."""
        return {"v": VERSION, "seq": self.seq, "type": self.type, "at": self.at, "kiosk_id": self.kiosk_id,
                "staff": self.staff, "ref": self.ref, "details": dict(self.details), "prev": self.prev}

    def as_dict(self) -> dict[str, Any]:
        return {**self.content(), "hash": self.hash, "sig": self.sig}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> AuditEntry:
        """An entry from its JSON form; AuditError when a field is missing or of the wrong kind
        (whether it verifies is `check_entry`'s question)."""
        try:
            e = cls(seq=d["seq"], type=d["type"], at=d["at"], kiosk_id=d["kiosk_id"], staff=d["staff"], ref=d["ref"],
                    details=d["details"], prev=d["prev"], hash=d["hash"], sig=d["sig"])
        except (KeyError, TypeError):
            raise AuditError("an audit entry with a missing field") from None
        if d.get("v") != VERSION or not isinstance(e.seq, int) or isinstance(e.seq, bool) or e.seq < 1:
            raise AuditError("an audit entry of an unknown version or without a sequence number")
        for name in ("type", "at", "kiosk_id", "prev", "hash", "sig"):
            if not isinstance(getattr(e, name), str) or len(getattr(e, name)) > 200:
                raise AuditError(f"an audit entry's {name} is not text")
        if not all(x is None or (isinstance(x, str) and len(x) <= 64) for x in (e.staff, e.ref)):
            raise AuditError("an audit entry's staff or ref is not short text")
        if not isinstance(e.details, Mapping):
            raise AuditError("an audit entry's details are not an object")
        return e


def entry_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(proto.canonical_json(entry.content())).hexdigest()


def _signed_message(hash_hex: str) -> bytes:
    return b"onevisit-audit:v1\n" + hash_hex.encode()


def seal_entry(key: Ed25519PrivateKey, seq: int, type_: str, at: str, kiosk_id: str, staff: str | None,
               ref: str | None, details: Mapping[str, Any] | None, prev: str) -> AuditEntry:
    """A new entry, checked, hashed and signed. AuditError for one the rules refuse."""
    if type_ not in TYPES:
        raise AuditError(f"unknown audit entry type {type_!r}")
    if staff is not None and not STAFF_NUMBER_RE.fullmatch(staff):
        raise AuditError("a staff number is 4-16 capital letters or digits")
    if ref is not None and not REF_RE.fullmatch(ref):
        raise AuditError("a reference is an application number or a session reference")
    e = AuditEntry(seq, type_, at, kiosk_id, staff, ref, clean_details(details), prev)
    h = entry_hash(e)
    return AuditEntry(e.seq, e.type, e.at, e.kiosk_id, e.staff, e.ref, e.details, e.prev, h,
                      proto.b64e(key.sign(_signed_message(h))))


def check_entry(entry: AuditEntry, public: Ed25519PublicKey) -> str | None:
    """What is wrong with one entry on its own (hash, signature, type); None when nothing."""
    if entry.hash != entry_hash(entry):
        return "its content does not match its hash (changed)"
    try:
        public.verify(proto.b64d(entry.sig), _signed_message(entry.hash))
    except Exception:  # noqa: BLE001 - InvalidSignature, a malformed signature: all mean "not the kiosk's"
        return "its signature is not the kiosk's"
    if entry.type not in TYPES:
        return f"unknown type {entry.type[:40]!r}"
    return None


@dataclass(frozen=True)
class ChainReport:
    """The verdict on a run of entries: intact, or the first bad entry and why."""
    ok: bool
    count: int                    # entries checked
    head_seq: int                 # the last good entry's sequence number (0: none)
    head_hash: str
    first_bad: int | None = None  # the sequence number (or position) of the first bad entry
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "count": self.count, "head_seq": self.head_seq, "head_hash": self.head_hash,
                "first_bad": self.first_bad, "reason": self.reason}


def verify_chain(entries: Iterable[AuditEntry], public: Ed25519PublicKey, kiosk_id: str, *,
                 after_seq: int = 0, after_hash: str = GENESIS) -> ChainReport:
    """Check that `entries` continue the chain whose last entry is (`after_seq`, `after_hash`):
    consecutive numbers, each linked to the one before, each hash and signature right, all this
    kiosk's. Stops at the first bad entry and names it. Any thread; CPU only."""
    seq, head = after_seq, after_hash
    n = 0
    for e in entries:
        n += 1
        problem = None
        if e.seq != seq + 1:
            problem = (f"expected entry {seq + 1} here, found entry {e.seq} "
                       + ("(entries missing)" if e.seq > seq + 1 else "(out of order or repeated)"))
        elif e.prev != head:
            problem = "it does not link to the entry before it (an entry was removed, added or reordered)"
        elif e.kiosk_id != kiosk_id:
            problem = f"it names another kiosk ({e.kiosk_id[:12]})"
        else:
            problem = check_entry(e, public)
        if problem:
            return ChainReport(False, n, seq, head, e.seq if e.seq == seq + 1 else seq + 1, problem)
        seq, head = e.seq, e.hash
    return ChainReport(True, n, seq, head)
