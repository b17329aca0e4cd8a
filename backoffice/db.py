"""The back office's tables (SQLAlchemy Core) and engine: SQLite by default, PostgreSQL by URL.

Times are UTC ISO-8601 strings so both databases store and compare them alike (session and
lockout deadlines are Unix seconds: they are compared, never shown). Personal data (records,
conflicting copies, officials' notes) is stored sealed by backoffice/at_rest.py; `kek_id` names
the key-encryption key that wraps each row's data key, so a rotation finds the rows to re-wrap.
Columns added after the first release are added to older databases by backoffice/migrate.py.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import (Boolean, Column, Connection, Engine, ForeignKey, Index, Integer, MetaData, String, Table, Text,
                        UniqueConstraint, create_engine, event)
from sqlalchemy.engine import make_url

metadata = MetaData()

kiosks = Table(
    "kiosks", metadata,
    Column("kiosk_id", String(10), primary_key=True),
    Column("public_key", String(64), nullable=False),        # Ed25519, base64url of the raw 32 bytes
    Column("name", String(200), nullable=False, default=""),
    Column("enrolled_at", String(32), nullable=False),
    Column("revoked_at", String(32)),
)

nonces = Table(
    "nonces", metadata,
    Column("kiosk_id", String(10), primary_key=True),
    Column("nonce", String(64), primary_key=True),
    Column("seen_at", Integer, nullable=False, index=True),   # Unix seconds; purged after the window
)

applications = Table(
    "applications", metadata,
    Column("number", String(40), primary_key=True),           # the kiosk's application number
    Column("kiosk_id", String(10), nullable=False, index=True),
    Column("bundle_id", String(80), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("received_at", String(32), nullable=False),
    Column("source", String(10), nullable=False),             # "upload" | "import"
    Column("digest", String(64), nullable=False),             # sha256 of the canonical record
    Column("record", Text, nullable=False),                   # sealed canonical JSON, attachments included
    Column("kek_id", String(40)),                             # NULL: a plaintext row from before sealing
    Column("requests", Integer),                              # how many department requests it made
)

department_requests = Table(
    "department_requests", metadata,
    Column("number", String(40), ForeignKey("applications.number"), primary_key=True),
    Column("item_id", String(80), primary_key=True),
    Column("department", String(200), nullable=False),
    Column("department_id", String(80)),                      # backoffice/departments.py; NULL before migration
    Column("procedure", String(200), nullable=False),
    Column("due", String(10), nullable=False),
    Column("status", String(32), nullable=False),
    Index("ix_department_requests_department", "department"),
    Index("ix_department_requests_department_id", "department_id"),
)

status_changes = Table(
    "status_changes", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("number", String(40), nullable=False),
    Column("item_id", String(80), nullable=False),
    Column("kiosk_id", String(10), nullable=False),
    Column("status", String(32), nullable=False),
    Column("note", Text, nullable=False, default=""),         # sealed when not empty
    Column("changed_at", String(32), nullable=False),
    Column("kek_id", String(40)),
    Column("actor", String(80)),                              # who changed it ("official:NAME", "cli:USER")
    Index("ix_status_changes_kiosk", "kiosk_id", "id"),
)

conflicts = Table(
    "conflicts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("number", String(40), nullable=False),
    Column("kiosk_id", String(10), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("record", Text, nullable=False),                   # sealed like applications.record
    Column("received_at", String(32), nullable=False),
    Column("source", String(10), nullable=False),
    Column("resolved", Boolean, nullable=False, default=False),
    Column("kek_id", String(40)),
    UniqueConstraint("number", "digest", name="uq_conflicts_number_digest"),
)

catalogues = Table(
    "catalogues", metadata,
    Column("revision", Integer, primary_key=True, autoincrement=False),
    Column("version", String(80), nullable=False),
    Column("content", Text, nullable=False),
    Column("signature", String(128), nullable=False),
    Column("published_at", String(32), nullable=False),
)

# --- ratings (好差评) and call-back cases (backoffice/feedback.py) ------------------------------
feedback = Table(
    "feedback", metadata,
    Column("number", String(40), ForeignKey("applications.number"), primary_key=True),
    Column("kiosk_id", String(10), nullable=False),
    Column("bundle_id", String(80), nullable=False),
    Column("rated_at", String(32), nullable=False),
    Column("received_at", String(32), nullable=False),
    Column("digest", String(64), nullable=False),             # sha256 of the canonical rating: resend = duplicate
    Column("callback", Boolean, nullable=False, default=False),
)

ratings = Table(
    "ratings", metadata,
    Column("number", String(40), ForeignKey("feedback.number"), primary_key=True),
    Column("item_id", String(80), primary_key=True),          # "" = the whole visit
    Column("department_id", String(80), nullable=False),      # "" for the whole visit
    Column("department", String(200), nullable=False),
    Column("score", Integer, nullable=False),                 # 1..5; 1-2 bad, 4-5 good
    Column("reasons", String(400), nullable=False, default=""),   # ids of kiosk/domain/rating.py, comma-separated
    Index("ix_ratings_department_id", "department_id"),
)

callbacks = Table(
    "callbacks", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("number", String(40), ForeignKey("applications.number"), nullable=False, unique=True),
    Column("kiosk_id", String(10), nullable=False),
    Column("departments", Text, nullable=False),              # ",id,id," the departments whose officials see it
    Column("state", String(10), nullable=False),              # open | called | closed
    Column("opened_at", String(32), nullable=False),
    Column("called_at", String(32)),
    Column("called_by", String(80)),
    Column("closed_at", String(32)),
    Column("closed_by", String(80)),
    Index("ix_callbacks_state", "state"),
)

# --- who signs in, their sessions, and what they did -----------------------------------------
accounts = Table(
    "accounts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),     # argon2id, PHC string
    Column("role", String(32), nullable=False),
    Column("departments", Text, nullable=False, default="[]"),  # JSON list of department ids
    Column("created_at", String(32), nullable=False),
    Column("disabled_at", String(32)),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", Integer),                          # Unix seconds
    Column("password_changed_at", String(32), nullable=False),
)

sessions = Table(
    "sessions", metadata,
    Column("id_hash", String(64), primary_key=True),          # SHA-256 of the cookie's value, never the value
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("csrf", String(64), nullable=False),
    Column("created_at", Integer, nullable=False),            # Unix seconds: absolute expiry counts from here
    Column("last_seen", Integer, nullable=False),             # idle expiry counts from here
)

audit = Table(
    "audit", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(32), nullable=False),
    Column("actor", String(80), nullable=False),              # "official:NAME", "kiosk:ID", "cli:USER", "anonymous"
    Column("action", String(40), nullable=False),
    Column("number", String(40)),
    Column("item_id", String(80)),
    Column("detail", String(300), nullable=False, default=""),  # never personal data
    Index("ix_audit_number", "number"),
)

# --- kiosk staff and the kiosks' audit trails (backoffice/staff.py, backoffice/kiosk_audit.py) ----
staff_members = Table(
    "staff_members", metadata,
    Column("account_id", Integer, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("staff_number", String(16), nullable=False, unique=True),
    Column("name", String(100), nullable=False),
    Column("stations", Text, nullable=False, default="[]"),   # JSON list of kiosk ids they may serve
    Column("pin_hash", String(200), nullable=False),          # argon2id, PHC string; never the PIN
    Column("id_key", String(64)),                             # argon2id of their own ID number; never the number
    Column("valid_until", String(10)),                        # ISO date, inclusive; NULL: no end
    Column("pin_changed_at", String(32), nullable=False),
)

kiosk_audit = Table(
    "kiosk_audit", metadata,
    Column("kiosk_id", String(10), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("type", String(32), nullable=False),
    Column("at", String(32), nullable=False),
    Column("staff", String(16)),
    Column("ref", String(64)),
    Column("details", Text, nullable=False),                  # canonical JSON; never personal data
    Column("prev", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("sig", String(100), nullable=False),
    Column("received_at", String(32), nullable=False),
    Index("ix_kiosk_audit_staff", "staff"),
)


# Kiosk receipt-signing keys (issue 14): published, with revocations, in the signed trust list.
receipt_keys = Table(
    "receipt_keys", metadata,
    Column("key_id", String(16), primary_key=True),           # hex of SHA-256(public key)[:8]
    Column("kiosk_id", String(10), nullable=False, index=True),
    Column("public_key", String(64), nullable=False),         # Ed25519, base64url of the raw 32 bytes
    Column("valid_from", String(32), nullable=False),
    Column("revoked_at", String(32)),
)

# The check code printed on each receipt (not personal data): staff and citizens look receipts up by it.
receipt_codes = Table(
    "receipt_codes", metadata,
    Column("check_code", String(16), primary_key=True),
    Column("number", String(40), nullable=False, unique=True),
)

def normalise_url(url: str) -> str:
    """postgresql:// and postgres:// mean psycopg 3 here."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def private_sqlite_file(url: str) -> None:
    """Create the SQLite file readable by its owner only (0600, folder 0700) before SQLite opens
    it, and tighten one made looser; SQLite gives its -wal and -shm files the database file's mode."""
    path = make_url(url).database
    if not path or path == ":memory:":
        return
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.close(os.open(p, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600))
    for f in (p, p.with_name(p.name + "-wal"), p.with_name(p.name + "-shm")):
        if f.exists() and f.stat().st_mode & 0o077:
            os.chmod(f, 0o600)


def make_engine(url: str) -> Engine:
    """The engine with the current schema: tables created, columns of later releases added
    (backoffice/migrate.py). Plaintext rows from before sealing are left to `migrate.seal_plaintext`."""
    from backoffice.migrate import upgrade_schema

    url = normalise_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        private_sqlite_file(url)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:   # a DB-API (sqlite3) connection
            dbapi_conn.isolation_level = None          # we issue BEGIN ourselves (below)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA secure_delete=ON")     # freed pages are zeroed: no old plaintext lingers
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            # IMMEDIATE: take the write lock up front, so two writers queue instead of deadlocking.
            conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=8, max_overflow=8)
    metadata.create_all(engine)
    upgrade_schema(engine)
    return engine
