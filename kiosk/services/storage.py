"""The kiosk's durable store: SQLite in WAL mode, citizen data encrypted at rest.

An application, its department sub-applications and its outbox entry are written in ONE
transaction with synchronous=FULL, so after `submit` returns the record survives a power cut,
and a process killed mid-submit leaves either all of it or none of it.

Each `Storage` object owns one connection and must be used from one thread (the storage
worker); open another `Storage` on the same file for another thread.
"""
from __future__ import annotations

import base64
import json
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from types import MappingProxyType

from kiosk.domain.application import Application, Draft, application_number
from kiosk.services.crypto import CorruptRecord, RecordCipher
from kiosk.services.progress.summaries import fill_check_codes, record_summary
from kiosk.services.storage_schema import MIGRATIONS


def _record_with_attachments(app: Application) -> dict:
    """The application's record plus its material photos (base64), sealed together so a photo
    can never be separated from, or swapped into, another citizen's application."""
    rec = app.to_record()
    rec["attachments"] = {k: base64.b64encode(v).decode() for k, v in app.attachments.items()}
    return rec


def _application_from_record(rec: dict) -> Application:
    app = Application.from_record(rec)
    photos = {k: base64.b64decode(v) for k, v in rec.get("attachments", {}).items()}
    return replace(app, attachments=MappingProxyType(photos))


class StorageError(Exception):
    pass


class ApplicationPurged(LookupError):
    """The application was delivered and its personal data deleted after the retention period;
    its public summary (`Storage.summary`) is all that is left."""


@dataclass(frozen=True)
class ItemSummary:
    item_id: str
    department: str              # the department's name (Chinese)
    due: str                     # promised date, ISO
    status: str | None           # the newest status the back office sent, if any


@dataclass(frozen=True)
class ApplicationSummary:
    """What status lookup may show about an application: nothing personal."""
    number: str
    bundle_id: str
    created_at: str
    items: tuple[ItemSummary, ...]
    purged: bool                 # its personal data is deleted (delivered, retention over)


@dataclass(frozen=True)
class StoreStats:
    applications: int
    pending_sync: int
    oldest_pending: str | None


@dataclass(frozen=True)
class SyncCounts:
    """What the sync status screen and `kiosk sync status` show. No personal data."""
    applications: int
    pending: int                 # not yet acknowledged by the back office
    pending_since: str | None    # when the oldest of them was stored
    not_exported: int            # pending and not hand-carried either
    not_exported_since: str | None
    exported: int                # pending but written to a hand-carry folder
    failing: int                 # pending with at least one failed attempt
    synced: int
    conflicts: int               # the back office holds a different copy for review
    last_error: str | None
    set_aside: int = 0           # pending, refused by the back office, not sent until staff ask
    set_aside_reason: str | None = None   # the back office's reason for one of them (no personal data)


@dataclass(frozen=True)
class PendingRecord:
    number: str
    record: bytes                # the record's JSON in the clear: keep in memory only
    attempts: int


class Storage:
    def __init__(self, path: Path, cipher: RecordCipher, check_code: Callable[[str], str] | None = None) -> None:
        """`check_code(number)`: the receipt's check code (checkcode.py), kept in the application's
        public summary (kiosk/services/progress/summaries.py) so that it can be looked up."""
        self.path = Path(path)
        self._check_code = check_code
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._cipher = cipher
        # isolation_level=None: we issue BEGIN IMMEDIATE ourselves so the sequence read and the
        # inserts are one atomic unit even with another process on the same file.
        self._db = sqlite3.connect(self.path, isolation_level=None, timeout=10.0)
        self._enable_wal()
        # Deleted content is overwritten with zeros in the file, not just marked free: the
        # retention purge must leave no sealed record behind (the key is on the same disk).
        self._db.execute("PRAGMA secure_delete=ON")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._migrate()
        if check_code is not None:
            fill_check_codes(self._db, check_code)

    def _enable_wal(self, deadline: float = 10.0) -> None:
        """Switch to WAL. On a brand-new file another connection may be switching it at the same
        moment, and SQLite answers "locked" at once instead of waiting: retry until `deadline`."""
        end = time.monotonic() + deadline
        while True:
            try:
                self._db.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > end:
                    raise
                time.sleep(0.02)

    def _migrate(self) -> None:
        """Bring the schema up to date, one migration per transaction. The version is read again
        under the write lock: the store worker and the sync thread open the file at the same
        moment on a kiosk's first start, and only one of them may run each migration."""
        while True:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                version = self._db.execute("PRAGMA user_version").fetchone()[0]
                if version >= len(MIGRATIONS):
                    self._db.execute("COMMIT")
                    return
                for stmt in filter(str.strip, MIGRATIONS[version].split(";")):
                    self._db.execute(stmt)
                self._db.execute(f"PRAGMA user_version={version + 1}")
                self._db.execute("COMMIT")
            except Exception:
                self._db.execute("ROLLBACK")
                raise

    def submit(self, draft: Draft, kiosk_id: str, submitted_at: datetime,
               submission_key: str | None = None) -> Application:
        """Number the reviewed draft with the next sequence number and store it durably.

        Nothing of the draft is recomputed: the stored application is the draft the citizen
        reviewed plus its number and submission time. A draft without consent is refused.
        `submission_key` (one per kiosk session): when an application with this key is already
        stored, that one is returned and nothing new is written.
        Blocks on disk I/O (fsync); runs on the storage worker thread.
        """
        if not draft.consent:
            raise ValueError("a draft without the citizen's consent cannot be submitted")
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            if submission_key is not None:
                row = db.execute("SELECT number FROM applications WHERE submission_key=?", (submission_key,)).fetchone()
                if row is not None:
                    db.execute("COMMIT")
                    return self.load(row[0])
            seq = int(db.execute("SELECT value FROM meta WHERE key='sequence'").fetchone()[0]) + 1
            app = draft.numbered(application_number(kiosk_id, seq, submitted_at), kiosk_id, submitted_at)
            payload = self._cipher.seal(json.dumps(_record_with_attachments(app), ensure_ascii=False).encode(), app.number)
            db.execute("UPDATE meta SET value=? WHERE key='sequence'", (str(seq),))
            db.execute("INSERT INTO applications (number, seq, created_at, bundle_id, n_requests, payload) "
                       "VALUES (?,?,?,?,?,?)",
                       (app.number, seq, app.created_at.isoformat(), app.bundle_id, len(app.requests), payload))
            if submission_key is not None:
                db.execute("UPDATE applications SET submission_key=? WHERE number=?", (submission_key, app.number))
            db.executemany("INSERT INTO department_requests VALUES (?,?,?,?)",
                           [(app.number, r.item_id, r.department.zh, r.due.isoformat()) for r in app.requests])
            db.execute("INSERT INTO outbox (number, enqueued_at) VALUES (?,?)", (app.number, app.created_at.isoformat()))
            record_summary(db, app, self._check_code(app.number) if self._check_code else None)
            db.execute("COMMIT")
            return app
        except Exception:
            db.execute("ROLLBACK")
            raise

    def load(self, number: str) -> Application:
        row = self._db.execute("SELECT payload, purged_at FROM applications WHERE number=?", (number,)).fetchone()
        if row is None:
            raise KeyError(number)
        if row[1] is not None:
            raise ApplicationPurged(number)
        return _application_from_record(json.loads(self._cipher.open(row[0], number)))

    def summary(self, number: str) -> ApplicationSummary:
        """The public summary of an application, kept after its personal data is gone."""
        row = self._db.execute("SELECT bundle_id, created_at, purged_at FROM applications WHERE number=?",
                               (number,)).fetchone()
        if row is None:
            raise KeyError(number)
        items = tuple(ItemSummary(*r) for r in self._db.execute(
            "SELECT d.item_id, d.department, d.due, s.status FROM department_requests d LEFT JOIN status_updates s "
            "ON s.number = d.number AND s.item_id = d.item_id WHERE d.number=? ORDER BY d.item_id", (number,)))
        return ApplicationSummary(number, row[0], row[1], items, row[2] is not None)

    def purge_confirmed(self, confirmed_before: datetime, now: datetime) -> int:
        """Delete the personal data (the sealed record with its photos) of every application the
        back office confirmed before `confirmed_before`; pending ones are never touched. Then
        checkpoint the WAL and truncate it, so that with secure_delete no byte of those records
        stays in the database file or its WAL. Returns how many were purged. Runs on the thread
        that owns this connection (the sync thread); blocks on SQLite and fsync."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            numbers = [r[0] for r in db.execute(
                "SELECT a.number FROM applications a JOIN synced s ON s.number = a.number WHERE a.purged_at IS NULL "
                "AND s.synced_at < ? AND a.number NOT IN (SELECT number FROM outbox)", (confirmed_before.isoformat(),))]
            db.executemany("UPDATE applications SET payload = X'', purged_at = ? WHERE number = ?",
                           [(now.isoformat(), n) for n in numbers])
            if numbers:
                db.execute("INSERT OR REPLACE INTO meta VALUES ('retention.checkpoint_due', '1')")
            db.execute("COMMIT")
        except Exception:
            db.execute("ROLLBACK")
            raise
        if self.get_meta("retention.checkpoint_due"):
            # Until the WAL is copied back and truncated, the old pages sit in it (and the old
            # record in the main file): retried on every purge until no reader holds it back.
            busy = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            if not busy:
                db.execute("DELETE FROM meta WHERE key='retention.checkpoint_due'")
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return len(numbers)

    @property
    def connection(self) -> sqlite3.Connection:
        """This store's connection, for its companions on the same thread that keep their own
        tables in the same file (feedback_store.py, notify/outbox.py, kiosk/services/audit,
        kiosk/services/staff): one connection per thread."""
        return self._db

    @property
    def cipher(self) -> RecordCipher:
        return self._cipher

    def numbers(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT number FROM applications ORDER BY seq")]

    def save_rating(self, number: str, score: int, when: datetime) -> None:
        self._db.execute("INSERT OR REPLACE INTO ratings VALUES (?,?,?)", (number, score, when.isoformat()))

    def rating(self, number: str) -> int | None:
        row = self._db.execute("SELECT score FROM ratings WHERE number=?", (number,)).fetchone()
        return row[0] if row else None

    def stats(self) -> StoreStats:
        n = self._db.execute("SELECT count(*) FROM applications").fetchone()[0]
        pending, oldest = self._db.execute("SELECT count(*), min(enqueued_at) FROM outbox").fetchone()
        return StoreStats(n, pending, oldest)

    # --- sync (used by the sync worker on its own connection) -------------------------------
    def pending_records(self, limit: int, now: datetime) -> list[PendingRecord]:
        """Up to `limit` pending applications that are due for an attempt, oldest first, with
        their records decrypted (for sealing to the back office; never written anywhere)."""
        rows = self._db.execute(
            "SELECT o.number, a.payload, o.attempts FROM outbox o JOIN applications a ON a.number = o.number "
            "WHERE o.set_aside_at IS NULL AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= ?) "
            "ORDER BY a.seq LIMIT ?",
            (now.isoformat(), limit)).fetchall()
        return [PendingRecord(n, self._cipher.open(p, n), att) for n, p, att in rows]

    def records_for(self, numbers: list[str]) -> list[PendingRecord]:
        """The decrypted records of these pending applications (for sealing; memory only)."""
        out = []
        for n in numbers:
            row = self._db.execute("SELECT a.payload, o.attempts FROM applications a JOIN outbox o ON o.number = a.number "
                                   "WHERE a.number=?", (n,)).fetchone()
            if row is not None:
                out.append(PendingRecord(n, self._cipher.open(row[0], n), row[1]))
        return out

    def outbox_attempts(self, numbers: list[str]) -> list[tuple[str, int]]:
        out = []
        for n in numbers:
            row = self._db.execute("SELECT attempts FROM outbox WHERE number=?", (n,)).fetchone()
            if row is not None:
                out.append((n, row[0]))
        return out

    def pending_numbers(self, *, exported: bool | None = None) -> list[str]:
        sql = "SELECT o.number FROM outbox o JOIN applications a ON a.number = o.number"
        if exported is not None:
            sql += " WHERE o.exported_at IS " + ("NOT NULL" if exported else "NULL")
        return [r[0] for r in self._db.execute(sql + " ORDER BY a.seq")]

    def mark_synced(self, results: list[tuple[str, str]], when: datetime) -> None:
        """Record the back office's answers ('created', 'duplicate', 'conflict') and drop the
        outbox rows, in one transaction: a kill leaves each application pending or done."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany("INSERT OR REPLACE INTO synced VALUES (?,?,?)",
                           [(n, when.isoformat(), r) for n, r in results])
            db.executemany("DELETE FROM outbox WHERE number=?", [(n,) for n, _ in results])
            db.execute("INSERT OR REPLACE INTO meta VALUES ('sync.last_contact_at', ?)", (when.isoformat(),))
            db.execute("COMMIT")
        except Exception:
            db.execute("ROLLBACK")
            raise

    def mark_attempt_failed(self, numbers: list[str], error: str, next_attempt_at: datetime) -> None:
        """Count a failed attempt for each application and hold it back until `next_attempt_at`."""
        self._db.executemany("UPDATE outbox SET attempts=attempts+1, last_error=?, next_attempt_at=? WHERE number=?",
                             [(error[:200], next_attempt_at.isoformat(), n) for n in numbers])

    def set_aside(self, numbers: list[str], reason: str, when: datetime) -> None:
        """Stop sending these applications (the back office keeps refusing them); they stay
        pending and are counted in `sync_counts().set_aside` for staff."""
        self._db.executemany("UPDATE outbox SET set_aside_at=?, last_error=? WHERE number=?",
                             [(when.isoformat(), reason[:200], n) for n in numbers])

    def requeue_set_aside(self) -> int:
        """Send the applications set aside again, from a fresh count of attempts; how many."""
        return self._db.execute("UPDATE outbox SET set_aside_at=NULL, next_attempt_at=NULL, attempts=0 "
                                "WHERE set_aside_at IS NOT NULL").rowcount

    def mark_exported(self, numbers: list[str], when: datetime) -> None:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany("UPDATE outbox SET exported_at=? WHERE number=?", [(when.isoformat(), n) for n in numbers])
            db.execute("INSERT OR REPLACE INTO meta VALUES ('sync.last_export_at', ?)", (when.isoformat(),))
            db.execute("COMMIT")
        except Exception:
            db.execute("ROLLBACK")
            raise

    def sync_result(self, number: str) -> str | None:
        row = self._db.execute("SELECT result FROM synced WHERE number=?", (number,)).fetchone()
        return row[0] if row else None

    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str | None) -> None:
        if value is None:
            self._db.execute("DELETE FROM meta WHERE key=?", (key,))
        else:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?,?)", (key, value))

    def apply_status_changes(self, changes: list[tuple[str, str, str, str, int]], cursor: int,
                             also: Callable[[sqlite3.Connection], None] | None = None) -> None:
        """Store (number, item_id, status, changed_at, change_id) rows, newest wins, and the cursor;
        `also` writes what follows from them (the text messages to send) in the same transaction,
        so that a crash leaves either the changes with their messages or neither."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            if also is not None:
                also(db)
            db.executemany(
                "INSERT INTO status_updates VALUES (?,?,?,?,?) ON CONFLICT(number, item_id) DO UPDATE SET "
                "status=excluded.status, changed_at=excluded.changed_at, change_id=excluded.change_id "
                "WHERE excluded.change_id > status_updates.change_id", changes)
            db.execute("INSERT OR REPLACE INTO meta VALUES ('sync.status_cursor', ?)", (str(cursor),))
            db.execute("COMMIT")
        except Exception:
            db.execute("ROLLBACK")
            raise

    def statuses(self, number: str) -> dict[str, str]:
        return dict(self._db.execute("SELECT item_id, status FROM status_updates WHERE number=?", (number,)))

    def sync_counts(self) -> SyncCounts:
        db = self._db
        n = db.execute("SELECT count(*) FROM applications").fetchone()[0]
        pending, since, failing = db.execute(
            "SELECT count(*), min(enqueued_at), coalesce(sum(attempts > 0), 0) FROM outbox").fetchone()
        not_exp, not_exp_since = db.execute(
            "SELECT count(*), min(enqueued_at) FROM outbox WHERE exported_at IS NULL").fetchone()
        synced, conflicts = db.execute(
            "SELECT count(*), coalesce(sum(result = 'conflict'), 0) FROM synced").fetchone()
        last_error = self.get_meta("sync.last_error")
        set_aside, reason = db.execute("SELECT count(*), max(last_error) FROM outbox WHERE set_aside_at IS NOT NULL"
                                       ).fetchone()
        return SyncCounts(n, pending, since, not_exp, not_exp_since, pending - not_exp, failing, synced, conflicts,
                          last_error, set_aside, reason)

    def key_opens_records(self, sample: int = 3) -> bool | None:
        """Whether this store's key opens its records (the newest few tried); None when there is
        no record to try. For `kiosk keys restore`, before a key is put in place."""
        rows = self._db.execute("SELECT number, payload FROM applications WHERE length(payload) > 0 "
                                "ORDER BY seq DESC LIMIT ?", (sample,)).fetchall()
        if not rows:
            return None
        try:
            for number, payload in rows:
                self._cipher.open(payload, number)
        except CorruptRecord:
            return False
        return True

    def check_integrity(self) -> list[str]:
        """Problems found: rows whose parts disagree or whose payload does not decrypt."""
        problems = []
        for number, n, payload in self._db.execute(
                "SELECT number, n_requests, payload FROM applications WHERE purged_at IS NULL"):
            count = self._db.execute("SELECT count(*) FROM department_requests WHERE number=?", (number,)).fetchone()[0]
            if count != n:
                problems.append(f"{number}: {count} of {n} department requests")
            try:
                Application.from_record(json.loads(self._cipher.open(payload, number)))
            except Exception as exc:  # noqa: BLE001
                problems.append(f"{number}: {type(exc).__name__}")
        # Every application is either pending (outbox) or answered by the back office (synced).
        for (number,) in self._db.execute(
                "SELECT number FROM applications WHERE (number IN (SELECT number FROM outbox)) = "
                "(number IN (SELECT number FROM synced))"):
            problems.append(f"{number}: neither pending nor synced, or both")
        for (number,) in self._db.execute("SELECT number FROM applications WHERE purged_at IS NOT NULL "
                                          "AND (length(payload) > 0 OR number NOT IN (SELECT number FROM synced))"):
            problems.append(f"{number}: purged but not delivered, or not emptied")
        return problems

    # --- failed face checks per document (kiosk/services/face_failures.py) ---------------------
    def face_failures(self, tag: str, now: datetime) -> bytes | None:
        """The sealed-then-opened failure record for `tag`, None when there is none (or it expired;
        expired rows are deleted on the way)."""
        self._db.execute("DELETE FROM face_failures WHERE expires_at <= ?", (now.isoformat(),))
        row = self._db.execute("SELECT payload FROM face_failures WHERE tag = ?", (tag,)).fetchone()
        return None if row is None else self._cipher.open(row[0], f"face-failures:{tag}")

    def set_face_failures(self, tag: str, record: bytes, expires_at: datetime) -> None:
        payload = self._cipher.seal(record, f"face-failures:{tag}")
        self._db.execute("INSERT INTO face_failures (tag, expires_at, payload) VALUES (?, ?, ?) "
                         "ON CONFLICT(tag) DO UPDATE SET expires_at = excluded.expires_at, payload = excluded.payload",
                         (tag, expires_at.isoformat(), payload))

    def close(self) -> None:
        self._db.close()
