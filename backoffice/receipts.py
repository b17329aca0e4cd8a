"""Kiosk receipt keys and receipt check codes (issue 14).

Kiosks register their receipt-signing public key (a signed kiosk request: only a kiosk itself
can register its key); the back office publishes every registered key, with its revocation, in
a trust list signed with its own Ed25519 key, which kiosks pull and anyone can fetch from
/verify/trust-list.json. A revoked key stays in the list with its `revoked_at`, so a verifier
that has the newer list refuses receipts signed with it.

Check codes arrive inside the sealed records (the kiosk adds them at upload) and are filed here
so that staff and the public /verify page can find a receipt by its code. Neither table holds
personal data. Any thread; blocks on the database.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, Engine, and_, select, update
from sqlalchemy.exc import IntegrityError

from backoffice import db
from kiosk.services.receipts.checkcode import normalize_check_code
from kiosk.services.receipts.seal import TrustedKey, key_id_of
from kiosk.services.sync import protocol as proto

KEY_ID_RE = re.compile(r"[0-9a-f]{16}")
EPOCH = "1970-01-01T00:00:00Z"


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class ReceiptRegistry:
    def __init__(self, engine: Engine, signing: Ed25519PrivateKey, clock: Callable[[], str] = _now) -> None:
        self.engine = engine
        self._signing = signing
        self._clock = clock

    # --- keys ------------------------------------------------------------------------------
    def register(self, kiosk_id: str, key_id: str, public_key_text: str) -> dict[str, Any]:
        """File kiosk `kiosk_id`'s receipt key (idempotent). ValueError for a malformed key, a
        key id that is not the key's, or a key another kiosk registered."""
        public = proto.ed25519_public_from_text(public_key_text)
        raw = proto.public_bytes(public)
        if not isinstance(key_id, str) or not KEY_ID_RE.fullmatch(key_id) or key_id_of(raw) != key_id:
            raise ValueError("the key id is not this key's (hex of SHA-256 of the raw key, first 8 bytes)")
        k = db.receipt_keys.c
        try:
            with self.engine.begin() as conn:
                row = conn.execute(select(k.kiosk_id, k.valid_from, k.revoked_at).where(k.key_id == key_id)).first()
                if row is None:
                    conn.execute(db.receipt_keys.insert().values(key_id=key_id, kiosk_id=kiosk_id,
                                                                 public_key=proto.b64e(raw), valid_from=self._clock()))
                    return {"key_id": key_id, "registered": True}
        except IntegrityError:          # registered by a concurrent request: compare below
            with self.engine.connect() as conn:
                row = conn.execute(select(k.kiosk_id, k.valid_from, k.revoked_at).where(k.key_id == key_id)).first()
        if row is None or row.kiosk_id != kiosk_id:
            raise ValueError("this receipt key is registered to another kiosk")
        return {"key_id": key_id, "registered": False, "revoked_at": row.revoked_at}

    def revoke(self, kiosk_id: str, key_id: str | None = None) -> int:
        """Revoke `kiosk_id`'s receipt key `key_id` (all its keys when None); how many were revoked.
        Revoking is final: a kiosk whose key was revoked makes a new one (`kiosk keys`)."""
        k = db.receipt_keys.c
        cond = and_(k.kiosk_id == kiosk_id, k.revoked_at.is_(None))
        if key_id is not None:
            cond = and_(cond, k.key_id == key_id)
        with self.engine.begin() as conn:
            return conn.execute(update(db.receipt_keys).where(cond).values(revoked_at=self._clock())).rowcount

    def keys(self) -> list[dict[str, Any]]:
        k = db.receipt_keys.c
        with self.engine.connect() as conn:
            rows = conn.execute(select(k.kiosk_id, k.key_id, k.public_key, k.valid_from, k.revoked_at)
                                .order_by(k.kiosk_id, k.valid_from, k.key_id)).all()
        return [dict(r._mapping) for r in rows]

    def trust_list(self) -> dict[str, Any]:
        """The signed trust list of every kiosk receipt key (revoked ones with their time). Its
        `issued_at` is the time of the last change (a registration or a revocation), so the same
        keys give the same document (a kiosk rewrites nothing) and a newer list has a later time."""
        keys = self.keys()
        changed = max((t for r in keys for t in (r["valid_from"], r["revoked_at"]) if t), default=EPOCH)
        document = {"format": proto.TRUST_LIST_FORMAT, "v": 1, "issued_at": changed, "keys": keys}
        return proto.sign_trust_list(self._signing, document)

    def trust(self) -> dict[str, TrustedKey]:
        """The same keys as a verifier's trust (the back office's own /verify page)."""
        return {r["key_id"]: TrustedKey(r["kiosk_id"], r["key_id"], proto.b64d(r["public_key"]), r["valid_from"],
                                        r["revoked_at"], "back office") for r in self.keys()}

    # --- check codes -------------------------------------------------------------------------
    @staticmethod
    def file_code(conn: Connection, number: str, code: Any) -> None:
        """File a record's check code inside the accepting transaction (a malformed one is ignored:
        the application itself is fine without it)."""
        canonical = normalize_check_code(code) if isinstance(code, str) and len(code) <= 16 else None
        if canonical is None:
            return
        c = db.receipt_codes.c
        if conn.execute(select(c.number).where(c.check_code == canonical)).first() is None:
            conn.execute(db.receipt_codes.insert().values(check_code=canonical, number=number))

    def number_for_code(self, code: str) -> str | None:
        canonical = normalize_check_code(code)
        if canonical is None:
            return None
        c = db.receipt_codes.c
        with self.engine.connect() as conn:
            return conn.execute(select(c.number).where(c.check_code == canonical)).scalar()

    def code_for_number(self, number: str) -> str | None:
        c = db.receipt_codes.c
        with self.engine.connect() as conn:
            return conn.execute(select(c.check_code).where(c.number == number)).scalar()

    def public_status(self, number: str) -> list[dict[str, str]]:
        """Each department's item of `number` as the public may see it (no personal data):
        item id, department, due date and status; [] when the back office has not received it."""
        d = db.department_requests.c
        with self.engine.connect() as conn:
            rows = conn.execute(select(d.item_id, d.department, d.due, d.status).where(d.number == number)
                                .order_by(d.item_id)).all()
        return [dict(r._mapping) for r in rows]
