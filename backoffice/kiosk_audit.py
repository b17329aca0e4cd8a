"""The kiosks' audit trails as the back office keeps them: each batch a kiosk sends is checked
with the kiosk's own rules (kiosk/services/audit/chain.py) against what is already held: every
entry must continue the held chain (next number, linked to the held head), recompute to its
hash and carry the enrolled kiosk key's signature. Entries already held are a no-op if they are
identical (a resend) and a refusal if not (someone rewrote history on the kiosk). A batch is kept
up to its first bad entry; the rest is refused, answered with where and why, and written to the
back office's own audit log ("kiosk_audit.refused") for the auditors.

`verify_stored` checks a kiosk's whole held chain again (`python -m backoffice kiosk-audit
verify`), so an edit of the back office's own database is found too.

Any thread; each call is its own transaction.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, Row, func, select
from sqlalchemy.exc import IntegrityError

from backoffice import audit, db
from backoffice.service import Backoffice, utcnow
from kiosk.services.audit.chain import GENESIS, AuditEntry, AuditError, ChainReport, verify_chain
from kiosk.services.sync import protocol as proto

log = logging.getLogger(__name__)
MAX_ENTRIES = 200


def _entry(r: Row[Any]) -> AuditEntry:
    return AuditEntry(r.seq, r.type, r.at, r.kiosk_id, r.staff, r.ref, json.loads(r.details), r.prev, r.hash, r.sig)


def kiosk_key(engine: Engine, kiosk_id: str) -> Any:
    """The enrolled key of a kiosk, revoked or not (its old entries were signed with it);
    LookupError for a kiosk never enrolled."""
    with engine.connect() as conn:
        row = conn.execute(select(db.kiosks.c.public_key).where(db.kiosks.c.kiosk_id == kiosk_id)).first()
    if row is None:
        raise LookupError(f"no kiosk {kiosk_id} is enrolled")
    return proto.ed25519_public_from_text(row.public_key)


def head(engine: Engine, kiosk_id: str) -> tuple[int, str]:
    k = db.kiosk_audit.c
    with engine.connect() as conn:
        row = conn.execute(select(k.seq, k.hash).where(k.kiosk_id == kiosk_id).order_by(k.seq.desc()).limit(1)).first()
    return (row.seq, row.hash) if row else (0, GENESIS)


def receive(bo: Backoffice, kiosk_id: str, raw: Any) -> dict[str, Any]:
    """Check and keep a batch of audit entries from an authenticated kiosk. The answer names the
    held head (`head_seq`, `head_hash`) and, for a refusal, the first bad entry and why."""
    try:
        return _receive(bo, kiosk_id, raw)
    except IntegrityError:        # the same kiosk's two batches at once: the second finds the first's rows
        return _receive(bo, kiosk_id, raw)


def _receive(bo: Backoffice, kiosk_id: str, raw: Any) -> dict[str, Any]:
    engine = bo.engine
    head_seq, head_hash = head(engine, kiosk_id)
    if not isinstance(raw, list) or not 0 < len(raw) <= MAX_ENTRIES:
        return _refused(bo, kiosk_id, head_seq, head_hash, head_seq + 1, f"expected 1 to {MAX_ENTRIES} entries")
    entries: list[AuditEntry] = []
    for i, d in enumerate(raw):
        try:
            entries.append(AuditEntry.from_dict(d if isinstance(d, dict) else {}))
        except AuditError as exc:
            seq = d.get("seq") if isinstance(d, dict) and isinstance(d.get("seq"), int) else head_seq + 1 + i
            return _refused(bo, kiosk_id, head_seq, head_hash, seq, str(exc))
    held = [e for e in entries if e.seq <= head_seq]
    if held:
        k = db.kiosk_audit.c
        with engine.connect() as conn:
            have = dict(conn.execute(select(k.seq, k.hash).where(
                (k.kiosk_id == kiosk_id) & k.seq.in_([e.seq for e in held]))).all())
        for e in held:
            if have.get(e.seq) != e.hash:
                return _refused(bo, kiosk_id, head_seq, head_hash, e.seq,
                                "it differs from the copy the back office already holds (history rewritten)")
    new = [e for e in entries if e.seq > head_seq]
    report = verify_chain(new, kiosk_key(bo.engine, kiosk_id), kiosk_id, after_seq=head_seq, after_hash=head_hash)
    good = [e for e in new if e.seq <= report.head_seq]
    if good:
        now = utcnow()
        with engine.begin() as conn:
            conn.execute(db.kiosk_audit.insert(), [
                {"kiosk_id": kiosk_id, "seq": e.seq, "type": e.type, "at": e.at, "staff": e.staff, "ref": e.ref,
                 "details": proto.canonical_json(dict(e.details)).decode(), "prev": e.prev, "hash": e.hash,
                 "sig": e.sig, "received_at": now} for e in good])
    if not report.ok:
        return _refused(bo, kiosk_id, report.head_seq, report.head_hash, report.first_bad, report.reason, len(good))
    return {"result": "stored", "stored": len(good), "head_seq": report.head_seq, "head_hash": report.head_hash}


def _refused(bo: Backoffice, kiosk_id: str, head_seq: int, head_hash: str, first_bad: int | None, reason: str,
             stored: int = 0) -> dict[str, Any]:
    log.error("kiosk %s: audit trail refused at entry %s: %s", kiosk_id, first_bad, reason)
    audit.record(bo.engine, f"kiosk:{kiosk_id}", "kiosk_audit.refused", detail=f"entry {first_bad}: {reason}")
    return {"result": "refused", "stored": stored, "head_seq": head_seq, "head_hash": head_hash,
            "first_bad": first_bad, "detail": reason}


def stored_entries(engine: Engine, kiosk_id: str) -> list[AuditEntry]:
    k = db.kiosk_audit.c
    with engine.connect() as conn:
        return [_entry(r) for r in conn.execute(select(db.kiosk_audit).where(k.kiosk_id == kiosk_id).order_by(k.seq))]


def verify_stored(bo: Backoffice, kiosk_id: str) -> ChainReport:
    """Check a kiosk's whole held chain again with its enrolled key."""
    return verify_chain(stored_entries(bo.engine, kiosk_id), kiosk_key(bo.engine, kiosk_id), kiosk_id)


def kiosks_with_trails(engine: Engine) -> list[str]:
    k = db.kiosk_audit.c
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(select(k.kiosk_id).group_by(k.kiosk_id).order_by(k.kiosk_id))]


def entries(engine: Engine, *, staff: str | None = None, kiosks: Sequence[str] | None = None,
            limit: int = 200) -> list[dict[str, Any]]:
    """Newest first; `staff` one staff number; `kiosks` only these kiosks (a supervisor's stations)."""
    k = db.kiosk_audit.c
    q = select(db.kiosk_audit).order_by(k.at.desc(), k.kiosk_id, k.seq.desc()).limit(max(1, min(limit, 1000)))
    if staff:
        q = q.where(k.staff == staff)
    if kiosks is not None:
        q = q.where(k.kiosk_id.in_(list(kiosks)))
    with engine.connect() as conn:
        return [{**dict(r._mapping), "details": json.loads(r.details)} for r in conn.execute(q)]


def per_staff(engine: Engine, kiosks: Sequence[str] | None = None) -> dict[str, dict[str, int]]:
    """{staff number: {entry type: count}} over the held trails."""
    k = db.kiosk_audit.c
    q = select(k.staff, k.type, func.count()).where(k.staff.is_not(None)).group_by(k.staff, k.type)
    if kiosks is not None:
        q = q.where(k.kiosk_id.in_(list(kiosks)))
    out: dict[str, dict[str, int]] = {}
    with engine.connect() as conn:
        for staff, type_, n in conn.execute(q):
            out.setdefault(staff, {})[type_] = n
    return out
