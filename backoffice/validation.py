"""What the back office takes from the network, checked before it is used: the signature
headers, the sealed envelopes, the records inside them, and cursors and offsets in queries.

Digits are ASCII digits, `[0-9]`: Python's `\\d`, `str.isdigit()` and `int()` also accept
Arabic-Indic, full-width and superscript digits ("١٢٣", "１２３", "²"), which either slip past a
check or turn into a 500 further on. Every string has a length bound that fits its database
column (backoffice/db.py), and every number a range the database can hold, so that bad input
is a 4xx (or one refused record in a batch), never a 500. Runs on any thread; no I/O.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kiosk.services.sync import protocol as proto

KIOSK_ID_RE = re.compile(r"[0-9]{10}")
TIMESTAMP_RE = re.compile(r"[0-9]{1,12}")            # Unix seconds; 12 digits reach the year 33658
NONCE_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")        # base64url; the kiosk sends 24 characters
SIGNATURE_RE = re.compile(r"[A-Za-z0-9_-]{86}")      # an Ed25519 signature, base64url without padding
NUMBER_PATTERN = r"^[0-9]{10}-[0-9]{6}-[0-9]{14}-[0-9]$"     # = kiosk/domain/application.py NUMBER_RE
ITEM_ID_RE = re.compile(r"[a-z][a-z0-9_]{0,79}")     # = kiosk/domain/catalogue_schema.py ids, 80 = db column
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MAX_TEXT = 200                                       # department and procedure names (db columns, catalogue)
MAX_REQUESTS = 100                                   # department requests in one application
MAX_CURSOR = 2**31 - 1                               # ids and revisions are 32-bit INTEGER columns
MAX_OFFSET = 2**31 - 1
MAX_ENVELOPE_CT = 16 << 20                           # base64url characters; = the upload body cap


class Refused(ValueError):
    """Input that does not pass; the message is safe to send back and to log (no record content)."""


@dataclass(frozen=True)
class SignatureHeaders:
    kiosk_id: str
    timestamp: int
    nonce: str
    signature: str


def signature_headers(headers: Mapping[str, str]) -> SignatureHeaders:
    """The four signature headers, well-formed, or Refused("unsigned request" / "malformed
    signature headers"). Says nothing about which kiosk ids exist."""
    values = [headers.get(h, "") for h in (proto.H_KIOSK, proto.H_TIMESTAMP, proto.H_NONCE, proto.H_SIGNATURE)]
    if not all(values):
        raise Refused("unsigned request")
    kiosk_id, ts, nonce, signature = values
    if not (KIOSK_ID_RE.fullmatch(kiosk_id) and TIMESTAMP_RE.fullmatch(ts) and NONCE_RE.fullmatch(nonce)
            and SIGNATURE_RE.fullmatch(signature)):
        raise Refused("malformed signature headers")
    return SignatureHeaders(kiosk_id, int(ts), nonce, signature)


# --- envelopes --------------------------------------------------------------------------------
B64URL = r"^[A-Za-z0-9_-]+$"


class Envelope(BaseModel):
    """One sealed application as the kiosk sends it (kiosk/services/sync/protocol.py)."""
    model_config = ConfigDict(extra="forbid")

    v: Literal[1]
    alg: Literal["X25519-HKDF-SHA256-AES256GCM"] = Field(examples=[proto.ENVELOPE_ALG])
    number: Annotated[str, Field(pattern=NUMBER_PATTERN, max_length=40,
                                 description="application number; its first 10 digits are the sending kiosk's id")]
    epk: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{43}$", description="ephemeral X25519 public key, base64url")]
    nonce: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{16}$", description="AES-GCM nonce, base64url")]
    ct: Annotated[str, Field(pattern=B64URL, max_length=MAX_ENVELOPE_CT,
                             description="AES-256-GCM ciphertext of the record's JSON, base64url")]


def envelope_problem(obj: Any) -> tuple[str, str] | None:
    """None for a well-formed envelope; else (the number to answer under, why), the number
    being what the kiosk sent when that is a short string (so the kiosk can match the answer)."""
    try:
        Envelope.model_validate(obj, strict=True)
        return None
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first.get("loc") else "envelope"
    number = obj.get("number") if isinstance(obj, dict) else None
    echo = number if isinstance(number, str) and len(number) <= 64 else ""
    if field == "number":
        return echo, "not an application number"
    if not isinstance(obj, dict):
        return echo, "not an envelope"
    return echo, f"malformed envelope ({field[:20]})"


# --- the record inside an envelope ------------------------------------------------------------
def _text(value: Any, what: str) -> str:
    zh = value.get("zh") if isinstance(value, dict) else None
    if not isinstance(zh, str) or not 0 < len(zh) <= MAX_TEXT:
        raise Refused(f"{what}: a text of 1 to {MAX_TEXT} characters expected")
    return zh


def check_record(rec: Mapping[str, Any]) -> None:
    """The parts of a decrypted record the back office files by: bundle id, submission time and
    each department request (item id, department, procedure, due date). Refused names the
    first part that does not fit, never its content."""
    bundle_id = rec.get("bundle_id")
    if not isinstance(bundle_id, str) or not ITEM_ID_RE.fullmatch(bundle_id):
        raise Refused("bundle id: a catalogue id (a-z, 0-9, _) of at most 80 characters expected")
    created = rec.get("created_at")
    try:
        if not isinstance(created, str) or len(created) > 32 or not created.isascii():
            raise ValueError
        datetime.fromisoformat(created)
    except ValueError:
        raise Refused("created_at: an ISO date and time expected") from None
    requests = rec.get("requests")
    if not isinstance(requests, list) or not 0 < len(requests) <= MAX_REQUESTS:
        raise Refused(f"requests: 1 to {MAX_REQUESTS} department requests expected")
    seen: set[str] = set()
    for i, r in enumerate(requests, 1):
        if not isinstance(r, dict):
            raise Refused(f"request {i}: an object expected")
        item_id = r.get("item_id")
        if not isinstance(item_id, str) or not ITEM_ID_RE.fullmatch(item_id):
            raise Refused(f"request {i}: the item id must be a catalogue id (a-z, 0-9, _) of at most 80 characters")
        if item_id in seen:
            raise Refused(f"request {i}: item id repeated")
        seen.add(item_id)
        _text(r.get("department"), f"request {i} department")
        _text(r.get("procedure"), f"request {i} procedure")
        due = r.get("due")
        try:
            if not isinstance(due, str) or not DATE_RE.fullmatch(due):
                raise ValueError
            date.fromisoformat(due)
        except ValueError:
            raise Refused(f"request {i}: the due date must be YYYY-MM-DD") from None
