"""The receipt's QR payload: what was printed, signed by the kiosk's receipt key, checkable offline.

Format (the design of the EU Digital COVID Certificate, docs/security.md "Receipt QR"):

    "OV1:" + Base45( zlib( COSE_Sign1( protected {alg: EdDSA, kid: key id (8 bytes)}, payload: CBOR map ) ) )

Every character is in the QR alphanumeric set, so the code is drawn in alphanumeric mode. The
CBOR map holds the public summary of the receipt and no personal data (no name, ID number,
address or answer):

    v   1                       n   application number       b   bundle id
    bt  bundle title (zh)       d   [[item id, department (zh), due YYYY-MM-DD, fee in fen, approximate?], ...]
    at  issue time (local, YYYY-MM-DDTHH:MM)                  k   kiosk id
    cv  catalogue version       p   dates provisional (the application had not reached the back office)
    c   check code (checkcode.py)

The key id is the first 8 bytes of SHA-256 of the receipt key's raw public key. Verifying
(`verify_receipt_payload`) needs only the text and a set of trusted keys: this kiosk's own and
the back office's signed trust list (trust.py). No Qt; pure functions, any thread, never block.
"""
from __future__ import annotations

import hashlib
import zlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

import base45
import cbor2
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pycose.algorithms import EdDSA
from pycose.headers import KID, Algorithm
from pycose.keys import OKPKey
from pycose.keys.curves import Ed25519
from pycose.messages import Sign1Message

from kiosk.domain.application import Application

PREFIX = "OV1:"
MAX_TEXT = 4296                  # the most alphanumeric characters a QR code holds (version 40-L)
MAX_COSE = 8192                  # the most bytes the compressed payload may expand to
MAX_ITEMS = 50


class UnreadablePayload(ValueError):
    """Not a receipt payload: wrong prefix, not Base45, not zlib, not COSE, or not our map."""


@dataclass(frozen=True)
class SignedItem:
    item_id: str
    department: str              # the department's name as printed (Chinese)
    due: date
    fee_fen: int                 # the fee in fen (1/100 yuan)
    approximate: bool            # the due date is approximate (see `ReceiptSummary.provisional`)


@dataclass(frozen=True)
class ReceiptSummary:
    """What a receipt's QR signs: the public summary, nothing personal."""

    number: str
    bundle_id: str
    bundle_title: str
    items: tuple[SignedItem, ...]
    issued_at: datetime
    kiosk_id: str
    catalogue_version: str
    provisional: bool            # printed before the back office had the application: dates approximate
    check_code: str

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["issued_at"] = self.issued_at.strftime("%Y-%m-%dT%H:%M")
        d["items"] = [{**asdict(i), "due": i.due.isoformat()} for i in self.items]
        return d


def summarize(app: Application, *, check_code: str, provisional: bool) -> ReceiptSummary:
    """The summary a receipt for `app` signs. Pure."""
    return ReceiptSummary(
        number=app.number, bundle_id=app.bundle_id, bundle_title=app.bundle_title.zh,
        items=tuple(SignedItem(r.item_id, r.department.zh, r.due, round(r.fee * 100), r.due_approximate or provisional)
                    for r in app.requests),
        issued_at=app.created_at.replace(second=0, microsecond=0, tzinfo=None), kiosk_id=app.kiosk_id,
        catalogue_version=app.catalogue_version, provisional=provisional, check_code=check_code)


def _to_map(s: ReceiptSummary) -> dict[str, Any]:
    return {"v": 1, "n": s.number, "b": s.bundle_id, "bt": s.bundle_title,
            "d": [[i.item_id, i.department, i.due.isoformat(), i.fee_fen, i.approximate] for i in s.items],
            "at": s.issued_at.strftime("%Y-%m-%dT%H:%M"), "k": s.kiosk_id, "cv": s.catalogue_version,
            "p": s.provisional, "c": s.check_code}


def _text(v: Any, limit: int = 200) -> str:
    if not isinstance(v, str) or len(v) > limit:
        raise UnreadablePayload("a text field is missing or too long")
    return v


def _from_map(m: Any) -> ReceiptSummary:
    if not isinstance(m, dict) or m.get("v") != 1:
        raise UnreadablePayload("not a version 1 receipt payload")
    try:
        items = m["d"]
        if not isinstance(items, list) or not 0 < len(items) <= MAX_ITEMS:
            raise UnreadablePayload("no department items")
        parsed = []
        for it in items:
            if not isinstance(it, list) or len(it) != 5 or type(it[3]) is not int or type(it[4]) is not bool:
                raise UnreadablePayload("a malformed department item")
            parsed.append(SignedItem(_text(it[0], 80), _text(it[1]), date.fromisoformat(_text(it[2], 10)), it[3], it[4]))
        if type(m["p"]) is not bool:
            raise UnreadablePayload("a malformed provisional flag")
        return ReceiptSummary(_text(m["n"], 40), _text(m["b"], 80), _text(m["bt"]), tuple(parsed),
                              datetime.strptime(_text(m["at"], 16), "%Y-%m-%dT%H:%M"), _text(m["k"], 10),
                              _text(m["cv"], 80), m["p"], _text(m["c"], 16))
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, UnreadablePayload):
            raise
        raise UnreadablePayload(f"a malformed receipt payload ({type(exc).__name__})") from None


# --- keys ----------------------------------------------------------------------------------------
def raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def raw_private(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())


def key_id_bytes(public_raw: bytes) -> bytes:
    return hashlib.sha256(public_raw).digest()[:8]


def key_id_of(public_raw: bytes) -> str:
    """A receipt key's public name: 16 hex digits (the kid in every QR it signs)."""
    return key_id_bytes(public_raw).hex()


# --- sealing ------------------------------------------------------------------------------------
def seal_receipt(summary: ReceiptSummary, key: Ed25519PrivateKey) -> str:
    """The QR text for `summary`, signed with the kiosk's receipt key. Any thread; CPU only."""
    pub = raw_public(key)
    msg = Sign1Message(phdr={Algorithm: EdDSA, KID: key_id_bytes(pub)}, payload=cbor2.dumps(_to_map(summary)))
    msg.key = OKPKey(crv=Ed25519, x=pub, d=raw_private(key))
    return PREFIX + base45.b45encode(zlib.compress(msg.encode(), 9)).decode("ascii")


def _open(text: str) -> tuple[bytes, Sign1Message, ReceiptSummary]:
    """(key id, the COSE message, the summary it claims) of a QR text; UnreadablePayload otherwise.
    Nothing here is trusted yet: the signature is checked by the caller."""
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        raise UnreadablePayload("not a receipt payload (too long)")
    text = text.strip()
    if not text.upper().startswith(PREFIX):
        raise UnreadablePayload(f"not a receipt payload (it does not start with {PREFIX})")
    try:
        raw = base45.b45decode(text[len(PREFIX):])
    except (ValueError, TypeError):
        raise UnreadablePayload("not Base45") from None
    if raw[:1] == b"\x78":                               # zlib (as the DCC); a plain COSE starts 0xD2
        inflater = zlib.decompressobj()
        try:
            raw = inflater.decompress(raw, MAX_COSE)
        except zlib.error:
            raise UnreadablePayload("a broken zlib stream") from None
        if inflater.unconsumed_tail:
            raise UnreadablePayload(f"the payload expands past {MAX_COSE} bytes")
    try:
        msg = Sign1Message.decode(raw)
        kid = msg.phdr.get(KID)
        alg = msg.phdr.get(Algorithm)
        summary = _from_map(cbor2.loads(msg.payload or b""))
    except UnreadablePayload:
        raise
    except (Exception, RecursionError):  # noqa: BLE001 - pycose and cbor2 raise many kinds on garbage
        raise UnreadablePayload("not a COSE_Sign1 receipt") from None
    if (alg is not EdDSA and alg != EdDSA.identifier) or not isinstance(kid, bytes) or len(kid) != 8:
        raise UnreadablePayload("not an EdDSA-signed receipt with a key id")
    return kid, msg, summary


# --- verifying ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class TrustedKey:
    kiosk_id: str
    key_id: str                  # 16 hex digits
    public_key: bytes            # raw Ed25519, 32 bytes
    valid_from: str = ""
    revoked_at: str | None = None
    source: str = "trust list"   # "this kiosk" | "trust list" | a file name


GENUINE, FORGED, UNKNOWN_KEY, REVOKED, UNREADABLE = "genuine", "forged", "unknown-key", "revoked", "unreadable"


@dataclass(frozen=True)
class ReceiptVerdict:
    """The answer about one receipt payload. `summary` is set only when the signature verified:
    a forged payload's claims are never shown as if they were the receipt's."""

    status: str                  # GENUINE | FORGED | UNKNOWN_KEY | REVOKED | UNREADABLE
    reason: str
    summary: ReceiptSummary | None = None
    key: TrustedKey | None = None

    @property
    def genuine(self) -> bool:
        return self.status == GENUINE

    @property
    def exit_code(self) -> int:
        """0 genuine, 1 forged, altered, unknown or revoked key, 2 unreadable (`kiosk receipt verify`)."""
        return 0 if self.genuine else 2 if self.status == UNREADABLE else 1

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "genuine": self.genuine, "reason": self.reason,
                "summary": self.summary.as_dict() if self.summary else None,
                "key": None if self.key is None else {"kiosk_id": self.key.kiosk_id, "key_id": self.key.key_id,
                                                      "valid_from": self.key.valid_from,
                                                      "revoked_at": self.key.revoked_at, "source": self.key.source}}


def verify_receipt_payload(text: str, trust: Mapping[str, TrustedKey]) -> ReceiptVerdict:
    """Is `text` (a receipt QR's content) signed by a trusted, unrevoked kiosk receipt key?
    `trust` maps key ids to keys (trust.py builds it). Any thread; CPU only (~1 ms)."""
    try:
        kid, msg, claimed = _open(text)
    except UnreadablePayload as exc:
        return ReceiptVerdict(UNREADABLE, str(exc))
    key = trust.get(kid.hex())
    if key is None:
        return ReceiptVerdict(UNKNOWN_KEY, f"signed by key {kid.hex()}, which is not in the trust list")
    msg.key = OKPKey(crv=Ed25519, x=key.public_key)
    try:
        ok = msg.verify_signature()
    except Exception:  # noqa: BLE001 - a malformed signature is a failed one
        ok = False
    if not ok:
        return ReceiptVerdict(FORGED, "the signature does not match the content (altered or forged)", key=key)
    if claimed.kiosk_id != key.kiosk_id or claimed.number[:10] != key.kiosk_id:
        return ReceiptVerdict(FORGED, f"signed by kiosk {key.kiosk_id}'s key but claims kiosk {claimed.kiosk_id}",
                              key=key)
    if key.revoked_at:
        return ReceiptVerdict(REVOKED, f"the kiosk's receipt key was revoked at {key.revoked_at}", key=key)
    return ReceiptVerdict(GENUINE, f"signed by kiosk {key.kiosk_id} (key {key.key_id}, {key.source})", claimed, key)
