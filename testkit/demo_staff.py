"""The demo's kiosk staff: a clerk and a supervisor with documented staff numbers and PINs
(README "Staff and the audit trail"), so `kiosk run --simulate` and the tests can sign staff in
offline on a fresh data folder. TEST AND DEMO ONLY: the list is signed with a key whose seed is
printed right here, so anyone can forge one; a production kiosk trusts only the staff list its
enrolled back office signed (kiosk/compose.py asks kiosk/demo.py for this only when the card
reader is the demo's).

  clerk       staff number 900001, PIN 246810; their own demo resident ID card (郑演示,
              330106199006151258, `demo_clerk_card()`) signs them in with the PIN alone: on the
              demo's card reader (the SAM emulator) while the staff sign-in screen is open
  supervisor  staff number 900002, PIN 135792

The clerk's card is theirs, not a demo citizen's: a clerk must not be the citizen whose identity
they confirm (zhou_lei's card, which the staff_override scenario has the clerk verify, once stood
for it).

The PIN hashes and the ID card key are computed once and kept below (argon2id is slow on purpose
and the demo starts fast); tests/unit/test_demo_staff.py checks that they still match.
"""
from __future__ import annotations

import hashlib
import io
import time
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kiosk.domain.identity import Identity
from kiosk.services.crypto import RecordCipher
from kiosk.services.datafolder import DataFolder
from kiosk.services.keystore import load_storage_key
from kiosk.services.staff.credentials import FORMAT, id_salt_for, sign_staff_list
from kiosk.services.staff.store import StaffStore
from kiosk.services.storage import Storage
from kiosk.services.sync import protocol as proto

_SEED = hashlib.sha256(b"onevisit TEST-ONLY demo staff list signer").digest()


@dataclass(frozen=True)
class DemoStaff:
    staff_number: str
    role: str
    pin: str
    name: str
    pin_hash: str
    id_number: str | None = None
    id_key: str | None = None


DEMO_CLERK = DemoStaff(
    "900001", "clerk", "246810", "演示办事员 Demo Clerk",
    "$argon2id$v=19$m=65536,t=3,p=4$jSnTFSgFq0lA1h9IlaYJIw$gmKf2YKt1Was7IylBUHX7UTVe9L8Rezq6LeeUfYkK9Y",
    "330106199006151258", "0907254eb0a92bf048d88b7d4e69a5359f9fc57e297b21d44583d8d1881d0553")
DEMO_SUPERVISOR = DemoStaff(
    "900002", "supervisor", "135792", "演示值班长 Demo Supervisor",
    "$argon2id$v=19$m=65536,t=3,p=4$xJA7VFJmNUvIXCI88qe1SA$eXgxwEXGy2P+NR3JH/TRIOS4MUeo43s2iMq/akQEUqA")
DEMO_STAFF = (DEMO_CLERK, DEMO_SUPERVISOR)


def demo_clerk_card() -> Identity:
    """The demo clerk's own resident ID card (fictional), for the demo's card reader: inserted
    while the staff sign-in screen is open it is a staff card; anywhere else a citizen's card like
    any other. Its photo is a plain grey JPEG (the card's photo is never used to sign in)."""
    from PIL import Image
    out = io.BytesIO()
    Image.new("L", (90, 112), 150).save(out, format="JPEG", quality=70)
    assert DEMO_CLERK.id_number is not None
    return Identity(document_number=DEMO_CLERK.id_number, name="郑演示", name_latin="", sex="M",
                    birth_date=date(1990, 6, 15), nationality="CHN", expiry_date=date(2035, 6, 15),
                    personal_number=DEMO_CLERK.id_number, address="浙江省杭州市西湖区演示路9号",
                    photo=out.getvalue(), card_type="resident_id")


def demo_signer() -> Ed25519PrivateKey:
    """The TEST-ONLY key the demo's staff list is signed with (its seed is in this file)."""
    return Ed25519PrivateKey.from_private_bytes(_SEED)


def demo_staff_list(kiosk_id: str, issued: int) -> dict[str, Any]:
    key = demo_signer()
    doc = {"format": FORMAT, "v": 1, "kiosk_id": kiosk_id, "issued": issued,
           "id_salt": proto.b64e(id_salt_for(proto.public_bytes(key.public_key()))),
           "staff": [{"staff_number": s.staff_number, "role": s.role, "pin_hash": s.pin_hash, "id_key": s.id_key,
                      "valid_until": None} for s in DEMO_STAFF]}
    return sign_staff_list(key, doc)


def install_demo_staff(files: DataFolder, kiosk_id: str) -> Ed25519PublicKey:
    """Keep a freshly issued demo staff list in the kiosk's store; the key to trust it with.
    Caller's thread; opens the store briefly."""
    now = time.time()
    blob = proto.canonical_json(demo_staff_list(kiosk_id, int(now)))
    store = Storage(files.db, RecordCipher(load_storage_key(files)))
    try:
        StaffStore(store).keep_list(blob, int(now), datetime.now())
    finally:
        store.close()
    return demo_signer().public_key()


def create_demo_staff_accounts(bo: Any, kiosk_id: str) -> None:
    """The demo back office's accounts for the demo staff, serving `kiosk_id` (kept if they exist)."""
    from backoffice.staff import StaffAccounts
    staff = StaffAccounts(bo)
    for s in DEMO_STAFF:
        if staff.member(s.staff_number) is None:
            staff.create(f"demo-{s.role}", s.name, s.staff_number, s.role, [kiosk_id], s.pin, id_number=s.id_number)
        else:
            staff.set_stations(s.staff_number, sorted({*staff.member(s.staff_number)["stations"], kiosk_id}))  # type: ignore[index]
