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
    # 6: the audit trail (kiosk/services/audit/) and the staff credential cache and lockouts
    # (kiosk/services/staff/). An audit entry's JSON (hash-chained, signed with the kiosk key) is
    # sealed like an application, "audit:<seq>" as associated data; only its number, its hash and
    # when the back office confirmed it are in the clear. The staff list is the back office's
    # signed document, sealed; lockouts survive a restart.
    """
    CREATE TABLE audit_log (
        seq         INTEGER PRIMARY KEY,
        hash        TEXT NOT NULL UNIQUE,
        body        BLOB NOT NULL,
        synced_at   TEXT
    );
    CREATE TABLE staff_credentials (
        id          INTEGER PRIMARY KEY CHECK (id = 1),
        issued      INTEGER NOT NULL,
        stored_at   TEXT NOT NULL,
        body        BLOB NOT NULL
    );
    CREATE TABLE staff_lockout (
        staff_number TEXT PRIMARY KEY,
        failures     INTEGER NOT NULL,
        locked_until REAL
    );
    """,
    # 7: ratings that reach the back office (kiosk/services/feedback_store.py) and the text
    # messages sent to citizens on a status change (kiosk/services/notify/outbox.py). Both are
    # outboxes: a row is pending until the back office (or the SMS gateway) took it. Their
    # payloads are sealed with the storage key; a message's payload (phone number and text) is
    # emptied once it is sent or given up, and its row stays so the same change is never sent twice.
    """
    CREATE TABLE feedback (
        number          TEXT PRIMARY KEY REFERENCES applications(number),
        payload         BLOB NOT NULL,
        rated_at        TEXT NOT NULL,
        synced_at       TEXT,
        result          TEXT,
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT,
        last_error      TEXT
    );
    CREATE TABLE notifications (
        key             TEXT PRIMARY KEY,
        number          TEXT NOT NULL,
        payload         BLOB NOT NULL,
        created_at      TEXT NOT NULL,
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT,
        sent_at         TEXT,
        failed_at       TEXT,
        last_error      TEXT
    );
    CREATE INDEX notifications_due ON notifications(next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
    """,
    # 8: the public summary of each application (issue 14 part 3; kiosk/services/progress/): what
    # the scan-to-check screen shows (number, bundle, departments, due dates, check code), kept
    # after the retention purge empties the sealed record. Not encrypted: nothing personal in it,
    # and a lookup by check code needs it indexed (docs/security.md "The public summary").
    # Applications stored before it get their bundle id as title and their dates as estimates;
    # their check codes are filled in when the store is next opened with the receipt key.
    """
    CREATE TABLE public_summaries (
        number        TEXT PRIMARY KEY REFERENCES applications(number),
        check_code    TEXT UNIQUE,
        bundle_id     TEXT NOT NULL,
        bundle_title  TEXT NOT NULL,
        items         TEXT NOT NULL,
        created_at    TEXT NOT NULL
    );
    INSERT INTO public_summaries (number, check_code, bundle_id, bundle_title, items, created_at)
        SELECT a.number, NULL, a.bundle_id, a.bundle_id,
               (SELECT json_group_array(json_array(d.item_id, d.department, d.due, json('true')))
                  FROM department_requests d WHERE d.number = a.number),
               a.created_at
          FROM applications a;
    """,
    # 9: failed face checks per document, across sessions (kiosk/services/face_failures.py). The
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
