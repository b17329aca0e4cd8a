"""The kiosk store's schema, as the list of migrations that build it (kiosk/services/storage.py
applies them in order, one transaction each, recording the count in PRAGMA user_version).

Append only: a kiosk in the field has run every migration before its version; changing one would
leave it different from a new kiosk. Each entry is split on ';' into statements. No I/O here.
"""
from __future__ import annotations

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
    # 2: sync to the back office (kiosk/services/sync.py). An application is pending while its
    # outbox row exists; the row is deleted in the same transaction that records the back
    # office's answer in `synced`. Status changes and sync bookkeeping hold no personal data.
    """
    ALTER TABLE outbox ADD COLUMN next_attempt_at TEXT;
    ALTER TABLE outbox ADD COLUMN exported_at TEXT;
    CREATE TABLE synced (
        number      TEXT PRIMARY KEY REFERENCES applications(number),
        synced_at   TEXT NOT NULL,
        result      TEXT NOT NULL CHECK (result IN ('created', 'duplicate', 'conflict'))
    );
    CREATE TABLE status_updates (
        number      TEXT NOT NULL,
        item_id     TEXT NOT NULL,
        status      TEXT NOT NULL,
        changed_at  TEXT NOT NULL,
        change_id   INTEGER NOT NULL,
        PRIMARY KEY (number, item_id)
    );
    """,
    # 3: retention ([sync] retention_days). An application the back office confirmed long enough
    # ago has its sealed record emptied (payload = X'') and purged_at set; its number, bundle,
    # department rows and statuses (nothing personal) stay for status lookup.
    """
    ALTER TABLE applications ADD COLUMN purged_at TEXT;
    """,
    # 4: an application the back office refused again and again is set aside (not sent again
    # until staff ask, `kiosk sync now --retry-refused`) so that it cannot hold up the outbox.
    # It stays pending: it has not reached the back office.
    """
    ALTER TABLE outbox ADD COLUMN set_aside_at TEXT;
    """,
    # 5: one application per kiosk session. A save that outlived its timeout may still commit
    # after the citizen was asked to press Submit again; the second submit then finds the first
    # by its submission key instead of storing the application twice.
    """
    ALTER TABLE applications ADD COLUMN submission_key TEXT;
    CREATE UNIQUE INDEX applications_submission_key ON applications(submission_key)
        WHERE submission_key IS NOT NULL;
    """,
    # 6: failed face checks per document, across sessions (kiosk/services/face_failures.py). The
    # row is keyed by a keyed hash of the document number (never the number itself); the failure
    # times are sealed like applications; rows past `expires_at` are deleted.
    """
    CREATE TABLE face_failures (
        tag         TEXT PRIMARY KEY,        -- HMAC-SHA256 of the document number, hex
        expires_at  TEXT NOT NULL,
        payload     BLOB NOT NULL            -- AES-GCM sealed JSON list of failure times
    );
    """,
]
