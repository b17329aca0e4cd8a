"""The back office's tables (SQLAlchemy Core) and engine: SQLite by default, PostgreSQL by URL.

Times are UTC ISO-8601 strings so both databases store and compare them alike.
"""
from __future__ import annotations

from sqlalchemy import (Boolean, Column, Engine, ForeignKey, Index, Integer, MetaData, String, Table, Text,
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
    Column("record", Text, nullable=False),                   # canonical JSON, attachments included
)

department_requests = Table(
    "department_requests", metadata,
    Column("number", String(40), ForeignKey("applications.number"), primary_key=True),
    Column("item_id", String(80), primary_key=True),
    Column("department", String(200), nullable=False),
    Column("procedure", String(200), nullable=False),
    Column("due", String(10), nullable=False),
    Column("status", String(32), nullable=False),
    Index("ix_department_requests_department", "department"),
)

status_changes = Table(
    "status_changes", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("number", String(40), nullable=False),
    Column("item_id", String(80), nullable=False),
    Column("kiosk_id", String(10), nullable=False),
    Column("status", String(32), nullable=False),
    Column("note", String(500), nullable=False, default=""),
    Column("changed_at", String(32), nullable=False),
    Index("ix_status_changes_kiosk", "kiosk_id", "id"),
)

conflicts = Table(
    "conflicts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("number", String(40), nullable=False),
    Column("kiosk_id", String(10), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("record", Text, nullable=False),
    Column("received_at", String(32), nullable=False),
    Column("source", String(10), nullable=False),
    Column("resolved", Boolean, nullable=False, default=False),
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


def normalise_url(url: str) -> str:
    """postgresql:// and postgres:// mean psycopg 3 here."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            dbapi_conn.isolation_level = None          # we issue BEGIN ourselves (below)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn):  # type: ignore[no-untyped-def]
            # IMMEDIATE: take the write lock up front, so two writers queue instead of deadlocking.
            conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=8, max_overflow=8)
    metadata.create_all(engine)
    return engine
