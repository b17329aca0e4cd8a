"""The kiosk's audit trail on disk: append-only, each entry sealed in the kiosk's SQLite store
(AES-GCM under the storage key, "audit:<seq>" as associated data, so an entry cannot be moved to
another place in the log) and chained and signed (kiosk/services/audit/chain.py).

`AuditLog.record` is the one way in. Nothing here updates or deletes an entry's content; the
sync marks which entries the back office has confirmed (`mark_synced`).

Each AuditLog works on one Storage connection and must be used on that connection's thread
(the store worker, the sync thread, or a command's main thread). Every call blocks on SQLite;
`record` also on an fsync (synchronous=FULL). Never call it on the GUI thread.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kiosk.services.audit.chain import GENESIS, AuditEntry, AuditError, ChainReport, seal_entry, verify_chain
from kiosk.services.crypto import CorruptRecord
from kiosk.services.storage import Storage

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


def _aad(seq: int) -> str:
    return f"audit:{seq}"


@dataclass(frozen=True)
class StoredEntry:
    """One row as found: the entry, or why it could not be read."""
    seq: int
    entry: AuditEntry | None
    problem: str = ""
    synced_at: str | None = None


class AuditLog:
    """Append and read the audit trail of kiosk `kiosk_id` in `storage`'s file. `key` (the kiosk's
    Ed25519 key) is needed to record; reading, verifying and syncing need only the store."""

    def __init__(self, storage: Storage, kiosk_id: str, key: Ed25519PrivateKey | None = None,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self._db = storage.connection
        self._cipher = storage.cipher
        self.kiosk_id = kiosk_id
        self._key = key
        self._clock = clock

    def record(self, type_: str, *, staff: str | None = None, ref: str | None = None,
               details: Mapping[str, Any] | None = None) -> AuditEntry:
        """Append one entry (type from chain.TYPES; `staff` the staff number; `ref` the application
        number or session reference; `details` small and free of personal data) and return it.
        AuditError for an entry the rules refuse. Durable when it returns. Blocks on SQLite and
        fsync: call it on the store's thread, never the GUI thread."""
        if self._key is None:
            raise AuditError("this audit log was opened read-only (no kiosk key)")
        at = self._clock().astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        db = self._db
        db.execute("BEGIN IMMEDIATE")     # the head is read and extended under the write lock
        try:
            row = db.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
            seq, prev = (row[0] + 1, row[1]) if row else (1, GENESIS)
            entry = seal_entry(self._key, seq, type_, at, self.kiosk_id, staff, ref, details, prev)
            body = self._cipher.seal(json.dumps(entry.as_dict(), ensure_ascii=False).encode(), _aad(seq))
            db.execute("INSERT INTO audit_log (seq, hash, body) VALUES (?,?,?)", (seq, entry.hash, body))
            db.execute("COMMIT")
        except Exception:
            db.execute("ROLLBACK")
            raise
        log.info("audit %d: %s%s", entry.seq, entry.type, f" by staff {staff}" if staff else "")
        return entry

    # --- reading ---------------------------------------------------------------------------------
    def rows(self, *, after_seq: int = 0, unsynced_only: bool = False, limit: int | None = None) -> Iterator[StoredEntry]:
        """Stored entries in order (by row number), each decrypted and parsed, or with the reason
        it could not be."""
        sql = "SELECT seq, hash, body, synced_at FROM audit_log WHERE seq > ?"
        if unsynced_only:
            sql += " AND synced_at IS NULL"
        sql += " ORDER BY seq" + (f" LIMIT {int(limit)}" if limit else "")
        for seq, hash_, body, synced_at in self._db.execute(sql, (after_seq,)).fetchall():
            try:
                entry = AuditEntry.from_dict(json.loads(self._cipher.open(body, _aad(seq))))
            except CorruptRecord:
                yield StoredEntry(seq, None, "it does not decrypt (changed on disk, or moved from another place)",
                                  synced_at)
                continue
            except (ValueError, AuditError) as exc:
                yield StoredEntry(seq, None, f"it is not a readable entry ({exc})"[:200], synced_at)
                continue
            if entry.seq != seq or entry.hash != hash_:
                yield StoredEntry(seq, None, "its row number or hash column disagrees with its content", synced_at)
                continue
            yield StoredEntry(seq, entry, "", synced_at)

    def entries(self, **kw: Any) -> list[AuditEntry]:
        """The readable entries (for listing; `verify` says whether they can be trusted)."""
        return [r.entry for r in self.rows(**kw) if r.entry is not None]

    def head(self) -> tuple[int, str]:
        row = self._db.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
        return (row[0], row[1]) if row else (0, GENESIS)

    def verify(self, public: Ed25519PublicKey) -> ChainReport:
        """Check the whole stored chain: every entry decrypts, links to the one before, and carries
        the kiosk's signature. Names the first bad entry."""
        good: list[AuditEntry] = []
        for r in self.rows():
            if r.entry is None:
                pre = verify_chain(good, public, self.kiosk_id)
                if not pre.ok:
                    return pre
                # a row that does not read is bad where it stands, unless an entry is missing before it
                first_bad = r.seq if r.seq == pre.head_seq + 1 else pre.head_seq + 1
                reason = r.problem if first_bad == r.seq else f"expected entry {first_bad} here (entries missing)"
                return ChainReport(False, len(good) + 1, pre.head_seq, pre.head_hash, first_bad, reason)
            good.append(r.entry)
        return verify_chain(good, public, self.kiosk_id)

    # --- sync (kiosk/services/sync/audit_push.py) ----------------------------------------------
    def mark_synced(self, through_seq: int, when: datetime) -> int:
        """The back office holds every entry up to `through_seq`: mark them; how many were new."""
        return self._db.execute("UPDATE audit_log SET synced_at=? WHERE seq <= ? AND synced_at IS NULL",
                                (when.isoformat(), through_seq)).rowcount

    def unmark_synced_after(self, seq: int) -> int:
        """The back office holds only up to `seq` (restored from a backup): send the rest again."""
        return self._db.execute("UPDATE audit_log SET synced_at=NULL WHERE seq > ?", (seq,)).rowcount

    def counts(self) -> tuple[int, int]:
        """(entries, of them not yet confirmed by the back office)."""
        total, unsynced = self._db.execute(
            "SELECT count(*), coalesce(sum(synced_at IS NULL), 0) FROM audit_log").fetchone()
        return total, unsynced
