"""What the back office does, independent of HTTP: enrol kiosks, authenticate their requests,
accept applications idempotently, hand out status changes and the signed catalogue, import
hand-carried exports, and list what each department received.

Idempotency by application number: the same number with the same content (the SHA-256 of the
record's canonical JSON) is a no-op success ("duplicate"); the same number with different
content is kept in `conflicts` for an official to review and answered "conflict" (HTTP 409).

Records, conflicting copies and officials' notes are stored sealed (backoffice/at_rest.py).
"""
from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, and_, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.exc import DataError, IntegrityError

from backoffice import db, validation
from backoffice.at_rest import AtRest, conflict_context, note_context, record_context
from backoffice.departments import department_id
from backoffice.handcarry import MAX_EXPORT_BYTES, ImportReport, import_exports
from backoffice.keys import BackofficeKeys
from backoffice.receipts import ReceiptRegistry
from kiosk.domain.application import KIOSK_ID_RE, is_valid_application_number
from kiosk.services.sync import protocol as proto

log = logging.getLogger(__name__)

BAD_SIGNATURE = "bad signature or unknown kiosk"
STATUSES = ("received", "accepted", "in_progress", "more_materials_needed", "approved", "rejected", "completed")
MAX_BATCH = 1000


def utcnow() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class AuthError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class NotFound(Exception):
    pass


class Backoffice:
    def __init__(self, engine: Engine, keys: BackofficeKeys, *, at_rest: AtRest, max_skew: int = 300,
                 wall_clock: Any = time.time) -> None:
        self.engine = engine
        self.keys = keys
        self.at_rest = at_rest
        self.max_skew = max_skew
        self._clock = wall_clock
        self._insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
        self._purge_lock = threading.Lock()
        self._last_purge = 0.0
        # An unknown kiosk id is checked against this key, so that it costs what a known one does.
        self._stand_in_key = proto.b64e(proto.public_bytes(Ed25519PrivateKey.generate().public_key()))
        self.receipts = ReceiptRegistry(engine, keys.signing)      # receipt keys, trust list, check codes

    # --- kiosks ---------------------------------------------------------------------------
    def enrol(self, kiosk_id: str, public_key_text: str, name: str = "", *, reactivate: bool = False) -> str:
        """Enrol (or re-key) a kiosk. Returns the stored public key (base64url). ValueError for
        a revoked kiosk unless `reactivate` (revoking must not be undone by a routine re-enrol),
        and for a key already enrolled under another kiosk id (one key, one kiosk: otherwise
        whoever holds it can speak for both)."""
        if not KIOSK_ID_RE.fullmatch(kiosk_id):
            raise ValueError("a kiosk id is 10 digits (division code + station number)")
        key = proto.ed25519_public_from_text(public_key_text)
        b64 = proto.b64e(proto.public_bytes(key))
        with self.engine.begin() as conn:
            k = db.kiosks.c
            exists = conn.execute(select(k.kiosk_id, k.revoked_at).where(k.kiosk_id == kiosk_id)).first()
            other = conn.execute(select(k.kiosk_id).where(and_(k.public_key == b64, k.kiosk_id != kiosk_id))).first()
            if other is not None:
                raise ValueError(f"this public key is already enrolled as kiosk {other.kiosk_id}; "
                                 "each kiosk has its own key (kiosk sync key)")
            if exists is not None and exists.revoked_at and not reactivate:
                raise ValueError(f"kiosk {kiosk_id} was revoked at {exists.revoked_at}; to let it send again, "
                                 "enrol it with --reactivate")
            values = {"public_key": b64, "name": name, "enrolled_at": utcnow(), "revoked_at": None}
            if exists:
                conn.execute(update(db.kiosks).where(db.kiosks.c.kiosk_id == kiosk_id).values(**values))
            else:
                conn.execute(db.kiosks.insert().values(kiosk_id=kiosk_id, **values))
        return b64

    def revoke(self, kiosk_id: str) -> bool:
        with self.engine.begin() as conn:
            r = conn.execute(update(db.kiosks).where(db.kiosks.c.kiosk_id == kiosk_id).values(revoked_at=utcnow()))
        return r.rowcount > 0

    def kiosks(self) -> list[dict]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(db.kiosks).order_by(db.kiosks.c.kiosk_id))]

    def _kiosk_key(self, kiosk_id: str) -> Any:
        with self.engine.connect() as conn:
            row = conn.execute(select(db.kiosks.c.public_key, db.kiosks.c.revoked_at)
                               .where(db.kiosks.c.kiosk_id == kiosk_id)).first()
        if row is None:
            raise AuthError(401, "unknown kiosk")
        if row.revoked_at:
            raise AuthError(403, "kiosk revoked")
        return proto.ed25519_public_from_text(row.public_key)

    # --- request authentication -----------------------------------------------------------
    def precheck(self, headers: Mapping[str, str]) -> validation.SignatureHeaders:
        """The signature headers, present, well-formed and fresh; AuthError(401) otherwise.
        Needs neither the body nor the database, so the HTTP layer runs it before reading the
        body (backoffice/limits.py); the answer does not depend on which kiosks exist."""
        try:
            h = validation.signature_headers(headers)
        except validation.Refused as exc:
            raise AuthError(401, str(exc)) from None
        if abs(int(self._clock()) - h.timestamp) > self.max_skew:
            raise AuthError(401, f"timestamp outside the {self.max_skew}s window (check the kiosk's clock)")
        return h

    def authenticate(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> str:
        """The kiosk id of a genuine, fresh, first-time request; AuthError otherwise (and one log
        line). A caller without the kiosk's key gets the same answer, after the same work, for an
        enrolled, a revoked and an unknown kiosk id; only a request signed with a revoked kiosk's
        own key learns that it is revoked (403)."""
        unknown = False
        try:
            h = self.precheck(headers)
            public_key, revoked = self._key_for_auth(h.kiosk_id)
            unknown = revoked is None
            if not proto.verify_request(proto.ed25519_public_from_text(public_key), method, target, h.kiosk_id,
                                        h.timestamp, h.nonce, body, h.signature) or unknown:
                raise AuthError(401, BAD_SIGNATURE)
            if revoked:
                raise AuthError(403, "kiosk revoked")
            now = int(self._clock())
            try:
                with self.engine.begin() as conn:
                    conn.execute(db.nonces.insert().values(kiosk_id=h.kiosk_id, nonce=h.nonce, seen_at=now))
            except IntegrityError:
                raise AuthError(401, "replayed request") from None
        except AuthError as exc:
            kiosk = headers.get(proto.H_KIOSK, "")
            # The log may say "unknown kiosk" (staff need it); the caller is not told.
            log.warning("refused %s %r from kiosk %s: %d %s", method, target[:100],
                        kiosk if KIOSK_ID_RE.fullmatch(kiosk) else "?", exc.status,
                        "unknown kiosk" if unknown else exc.detail)
            raise
        self._maybe_purge_nonces(now)
        return h.kiosk_id

    def _key_for_auth(self, kiosk_id: str) -> tuple[str, bool | None]:
        """(public key text, revoked?) of a kiosk; for an unknown one the stand-in key and None."""
        with self.engine.connect() as conn:
            row = conn.execute(select(db.kiosks.c.public_key, db.kiosks.c.revoked_at)
                               .where(db.kiosks.c.kiosk_id == kiosk_id)).first()
        if row is None:
            return self._stand_in_key, None
        return row.public_key, bool(row.revoked_at)

    def _maybe_purge_nonces(self, now: int) -> None:
        """Nonces older than twice the window can never be replayed (the timestamp check fails)."""
        with self._purge_lock:
            if now - self._last_purge < 60:
                return
            self._last_purge = now
        with self.engine.begin() as conn:
            conn.execute(delete(db.nonces).where(db.nonces.c.seen_at < now - 2 * self.max_skew))

    # --- applications ----------------------------------------------------------------------
    def _open(self, kiosk_id: str, env: Any) -> tuple[str, dict, str, list[dict]] | dict:
        """Decrypt and check one envelope: (number, record, digest, department rows) or a rejection."""
        problem = validation.envelope_problem(env)
        if problem is not None:
            return {"number": problem[0], "result": "rejected", "detail": problem[1]}
        number = env["number"]
        if not is_valid_application_number(number):
            return {"number": number, "result": "rejected", "detail": "not an application number"}
        if number[:10] != kiosk_id:
            return {"number": number, "result": "rejected", "detail": "another kiosk's application"}
        try:
            rec = json.loads(proto.open_envelope(self.keys.encryption, env))
            if not isinstance(rec, dict) or rec.get("number") != number or rec.get("kiosk_id") != kiosk_id:
                raise ValueError("the record does not match its envelope")
            validation.check_record(rec)
            rows = [{"number": number, "item_id": str(r["item_id"]), "department": str(r["department"]["zh"])[:200],
                     "department_id": department_id(r["department"]),
                     "procedure": str(r["procedure"]["zh"])[:200], "due": str(r["due"])[:10], "status": "received"}
                    for r in rec["requests"]]
            str(rec["bundle_id"]), str(rec["created_at"])
        except (proto.ProtocolError, validation.Refused) as exc:
            return {"number": number, "result": "rejected", "detail": str(exc)}
        except (ValueError, KeyError, TypeError) as exc:
            return {"number": number, "result": "rejected", "detail": f"incomplete record: {type(exc).__name__}"}
        return number, rec, proto.record_digest(rec), rows

    def accept(self, kiosk_id: str, envelopes: list[Any], source: str = "upload") -> list[dict]:
        """Store each sealed application exactly once. One result per envelope: one that does
        not pass is "rejected" on its own, and the others are stored (so one bad record cannot
        hold up a kiosk's whole outbox)."""
        try:
            return self._accept(kiosk_id, envelopes, source)
        except (DataError, IntegrityError) as exc:
            # The checks in _open should leave the database nothing to refuse; if it still does,
            # find the record by storing each on its own.
            if len(envelopes) > 1:
                log.warning("kiosk %s %s: the database refused a batch of %d (%s); storing them one by one",
                            kiosk_id, source, len(envelopes), type(exc.orig).__name__)
                return [self.accept(kiosk_id, [env], source)[0] for env in envelopes]
            number = envelopes[0].get("number") if isinstance(envelopes[0], dict) else None
            log.warning("kiosk %s %s: the database refused one application (%s)", kiosk_id, source,
                        type(exc.orig).__name__)
            return [{"number": number if isinstance(number, str) and len(number) <= 64 else "",
                     "result": "rejected", "detail": "the back office's database refused this record"}]

    def _accept(self, kiosk_id: str, envelopes: list[Any], source: str) -> list[dict]:
        """`accept` in one transaction."""
        opened = [self._open(kiosk_id, env) for env in envelopes]
        results: list[dict] = [o if isinstance(o, dict) else {} for o in opened]
        valid = [(i, o) for i, o in enumerate(opened) if not isinstance(o, dict)]
        if not valid:
            return results
        now = utcnow()
        numbers = list({o[0] for _, o in valid})
        with self.engine.begin() as conn:
            known = dict(conn.execute(select(db.applications.c.number, db.applications.c.digest)
                                      .where(db.applications.c.number.in_(numbers))).all())
            for i, (number, rec, digest, rows) in valid:
                have = known.get(number)
                if have is None:
                    sealed, kek_id = self.at_rest.seal(proto.canonical_json(rec), record_context(number))
                    ins = self._insert(db.applications).values(
                        number=number, kiosk_id=kiosk_id, bundle_id=str(rec["bundle_id"])[:80],
                        created_at=str(rec["created_at"])[:32], received_at=now, source=source, digest=digest,
                        record=sealed, kek_id=kek_id, requests=len(rows)).on_conflict_do_nothing(
                            index_elements=["number"]).returning(db.applications.c.number)
                    # RETURNING, not rowcount: psycopg does not report a rowcount for ON CONFLICT.
                    if conn.execute(ins).first() is not None:
                        if rows:
                            conn.execute(db.department_requests.insert(), rows)
                        self.receipts.file_code(conn, number, rec.get("check_code"))
                        known[number] = digest
                        results[i] = {"number": number, "result": "created"}
                        continue
                    # Another transaction stored it meanwhile: compare with what it stored.
                    have = conn.execute(select(db.applications.c.digest)
                                        .where(db.applications.c.number == number)).scalar_one()
                    known[number] = have
                if have == digest:
                    results[i] = {"number": number, "result": "duplicate"}
                else:
                    sealed, kek_id = self.at_rest.seal(proto.canonical_json(rec), conflict_context(number, digest))
                    conn.execute(self._insert(db.conflicts).values(
                        number=number, kiosk_id=kiosk_id, digest=digest, record=sealed, kek_id=kek_id,
                        received_at=now, source=source, resolved=False).on_conflict_do_nothing(
                            index_elements=["number", "digest"]))
                    results[i] = {"number": number, "result": "conflict",
                                  "detail": "a different application with this number is on file; kept for review"}
        created = sum(r.get("result") == "created" for r in results)
        if created or len(results) != created:
            log.info("kiosk %s %s: %d created, %d duplicate, %d conflict, %d rejected", kiosk_id, source, created,
                     sum(r.get("result") == "duplicate" for r in results),
                     sum(r.get("result") == "conflict" for r in results),
                     sum(r.get("result") == "rejected" for r in results))
        return results

    # --- status changes ---------------------------------------------------------------------
    def set_status(self, number: str, item_id: str, status: str, note: str = "", actor: str | None = None) -> int:
        """Record a status change (kiosks pull it); the note is stored sealed."""
        if status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}")
        note = note[:500]
        sealed, kek_id = self.at_rest.seal(note.encode(), note_context(number, item_id)) if note else ("", None)
        with self.engine.begin() as conn:
            r = conn.execute(update(db.department_requests)
                             .where(and_(db.department_requests.c.number == number,
                                         db.department_requests.c.item_id == item_id)).values(status=status))
            if r.rowcount != 1:
                raise NotFound(f"no department request {number}/{item_id}")
            kiosk_id = conn.execute(select(db.applications.c.kiosk_id)
                                    .where(db.applications.c.number == number)).scalar_one()
            res = conn.execute(db.status_changes.insert().values(number=number, item_id=item_id, kiosk_id=kiosk_id,
                                                                 status=status, note=sealed, kek_id=kek_id,
                                                                 actor=actor, changed_at=utcnow()))
            key = res.inserted_primary_key
            assert key is not None          # an INSERT into a table with an autoincrement id
            return int(key[0])

    def status_changes(self, kiosk_id: str, after: int, limit: int) -> dict:
        limit = max(1, min(limit, 1000))
        c = db.status_changes.c
        with self.engine.connect() as conn:
            rows = conn.execute(select(c.id, c.number, c.item_id, c.status, c.changed_at)
                                .where(and_(c.kiosk_id == kiosk_id, c.id > after)).order_by(c.id).limit(limit)).all()
        changes = [dict(r._mapping) for r in rows]
        return {"changes": changes, "next": changes[-1]["id"] if changes else after}

    # --- catalogue --------------------------------------------------------------------------
    def publish_catalogue(self, content: bytes) -> tuple[int, str]:
        """Validate a catalogue file (the kiosk's own rules), sign it and make it current."""
        from kiosk.domain.catalogue import parse_catalogue
        from kiosk.services import safe_yaml
        catalogue = parse_catalogue(safe_yaml.parse_text(content, "catalogue to publish"), "catalogue to publish")
        with self.engine.begin() as conn:
            revision = (conn.execute(select(func.max(db.catalogues.c.revision))).scalar() or 0) + 1
            signature = proto.sign_catalogue(self.keys.signing, revision, catalogue.version, content)
            conn.execute(db.catalogues.insert().values(revision=revision, version=catalogue.version,
                                                       content=content.decode("utf-8"), signature=signature,
                                                       published_at=utcnow()))
        return revision, catalogue.version

    def catalogue_for(self, have: int) -> dict:
        c = db.catalogues.c
        with self.engine.connect() as conn:
            row = conn.execute(select(c.revision, c.version, c.content, c.signature)
                               .order_by(c.revision.desc()).limit(1)).first()
        if row is None or row.revision <= have:
            return {"unchanged": True, "revision": row.revision if row else 0}
        return {"unchanged": False, "revision": row.revision, "version": row.version, "content": row.content,
                "signature": row.signature}

    # --- officials --------------------------------------------------------------------------
    def department_summary(self) -> list[dict]:
        d = db.department_requests.c
        with self.engine.connect() as conn:
            rows = conn.execute(select(d.department, d.status, func.count()).group_by(d.department, d.status)
                                .order_by(d.department, d.status)).all()
        out: dict[str, dict] = {}
        for dept, status, n in rows:
            out.setdefault(dept, {"department": dept, "total": 0, "by_status": {}})
            out[dept]["total"] += n
            out[dept]["by_status"][status] = n
        return list(out.values())

    def list_applications(self, department: str | None = None, limit: int = 200, offset: int = 0) -> list[dict]:
        """Received department requests (no personal data: number, bundle, procedure, due, status)."""
        a, d = db.applications.c, db.department_requests.c
        q = (select(d.department, d.number, a.bundle_id, d.item_id, d.procedure, d.due, d.status, a.received_at,
                    a.kiosk_id, a.source)
             .join_from(db.department_requests, db.applications, a.number == d.number))
        if department:
            q = q.where(d.department == department)
        q = q.order_by(d.department, a.received_at, d.number).limit(max(1, min(limit, 10000))).offset(
            max(0, min(offset, validation.MAX_OFFSET)))
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    def list_conflicts(self) -> list[dict]:
        c = db.conflicts.c
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(
                select(c.id, c.number, c.kiosk_id, c.digest, c.received_at, c.source, c.resolved).order_by(c.id))]

    def counts(self) -> dict:
        with self.engine.connect() as conn:
            return {"applications": conn.execute(select(func.count()).select_from(db.applications)).scalar_one(),
                    "department_requests": conn.execute(select(func.count()).select_from(db.department_requests)).scalar_one(),
                    "conflicts": conn.execute(select(func.count()).select_from(db.conflicts)).scalar_one(),
                    "kiosks": conn.execute(select(func.count()).select_from(db.kiosks)).scalar_one()}

    # --- hand-carried exports (backoffice/handcarry.py) ------------------------------------
    def import_path(self, path: Path, batch: int = 200, max_bytes: int = MAX_EXPORT_BYTES) -> ImportReport:
        """Import every *.export.jsonl file in a folder (or one file): each read once and bounded,
        verified whole (signature, hash), then its applications go through `accept` (idempotent).
        A refused file is reported in `refused_files`; the others are still imported."""
        return import_exports(Path(path), kiosk_key=self._kiosk_key, accept=self.accept, batch=batch,
                              max_bytes=max_bytes)
