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
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from types import MappingProxyType

from kiosk.domain.application import Application
from kiosk.services.crypto import RecordCipher

MIGRATIONS: list[str] = [
    # 1: the first schema
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    INSERT INTO meta VALUES ('sequence', '0');
    CREATE TABLE applications (
        number      TEXT PRIMARY KEY,
        seq         INTEGER NOT NULL UNIQUE,
        created_at  TEXT NOT NULL,
        bundle_id   TEXT NOT NULL,
        n_requests  INTEGER NOT NULL,
        payload     BLOB NOT NULL            -- AES-GCM sealed JSON, number as associated data
    );
    CREATE TABLE department_requests (
        number      TEXT NOT NULL REFERENCES applications(number),
        item_id     TEXT NOT NULL,
        department  TEXT NOT NULL,
        due         TEXT NOT NULL,
        PRIMARY KEY (number, item_id)
    );
    CREATE TABLE outbox (
        number      TEXT PRIMARY KEY REFERENCES applications(number),
        enqueued_at TEXT NOT NULL,
        attempts    INTEGER NOT NULL DEFAULT 0,
        last_error  TEXT
    );
    CREATE TABLE ratings (
        number      TEXT PRIMARY KEY,
        score       INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
        rated_at    TEXT NOT NULL
    );
    """,
]


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


@dataclass(frozen=True)
class StoreStats:
    applications: int
    pending_sync: int
    oldest_pending: str | None


class Storage:
    def __init__(self, path: Path, cipher: RecordCipher) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._cipher = cipher
        # isolation_level=None: we issue BEGIN IMMEDIATE ourselves so the sequence read and the
        # inserts are one atomic unit even with another process on the same file.
        self._db = sqlite3.connect(self.path, isolation_level=None, timeout=10.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._migrate()

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        for i, script in enumerate(MIGRATIONS[version:], start=version + 1):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for stmt in filter(str.strip, script.split(";")):
                    self._db.execute(stmt)
                self._db.execute(f"PRAGMA user_version={i}")
                self._db.execute("COMMIT")
            except Exception:
                self._db.execute("ROLLBACK")
                raise

    def submit(self, build: Callable[[int], Application]) -> Application:
        """Assign the next sequence number, build the application with it, and store it durably.

        Blocks on disk I/O (fsync); runs on the storage worker thread.
        """
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            seq = int(db.execute("SELECT value FROM meta WHERE key='sequence'").fetchone()[0]) + 1
            app = build(seq)
            payload = self._cipher.seal(json.dumps(_record_with_attachments(app), ensure_ascii=False).encode(), app.number)
            db.execute("UPDATE meta SET value=? WHERE key='sequence'", (str(seq),))
            db.execute("INSERT INTO applications VALUES (?,?,?,?,?,?)",
                       (app.number, seq, app.created_at.isoformat(), app.bundle_id, len(app.requests), payload))
            db.executemany("INSERT INTO department_requests VALUES (?,?,?,?)",
                           [(app.number, r.item_id, r.department.zh, r.due.isoformat()) for r in app.requests])
            db.execute("INSERT INTO outbox (number, enqueued_at) VALUES (?,?)", (app.number, app.created_at.isoformat()))
            db.execute("COMMIT")
            return app
        except Exception:
            db.execute("ROLLBACK")
            raise

    def load(self, number: str) -> Application:
        row = self._db.execute("SELECT payload FROM applications WHERE number=?", (number,)).fetchone()
        if row is None:
            raise KeyError(number)
        return _application_from_record(json.loads(self._cipher.open(row[0], number)))

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

    def check_integrity(self) -> list[str]:
        """Problems found: rows whose parts disagree or whose payload does not decrypt."""
        problems = []
        for number, n, payload in self._db.execute("SELECT number, n_requests, payload FROM applications"):
            count = self._db.execute("SELECT count(*) FROM department_requests WHERE number=?", (number,)).fetchone()[0]
            if count != n:
                problems.append(f"{number}: {count} of {n} department requests")
            try:
                Application.from_record(json.loads(self._cipher.open(payload, number)))
            except Exception as exc:  # noqa: BLE001
                problems.append(f"{number}: {type(exc).__name__}")
        return problems

    def close(self) -> None:
        self._db.close()
