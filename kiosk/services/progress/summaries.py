"""The public summary of each application, kept after the application itself is deleted.

One row per application in `public_summaries` (kiosk/services/storage_schema.py migration 8),
written in the transaction that stores the application (`Storage.submit`): number, bundle id and
title, each department's item with its due date and whether that date is an estimate, the check
code, when it was made. The statuses are the ones the status pull keeps (`status_updates`), as of
the last successful pull (meta `sync.status_pulled_at`); when the back office confirmed the
application is in `synced`. The retention purge (`Storage.purge_confirmed`) empties only the
sealed record, so lookups by number or check code keep working. Nothing here is personal.

Runs on the thread that owns the connection (the store worker, the sync thread or the scan
worker's own store); blocks on SQLite.
"""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable

from kiosk.domain.application import Application
from kiosk.domain.progress import FROM_KIOSK, DepartmentProgress, ReceiptProgress

STATUS_PULLED_AT = "sync.status_pulled_at"


def record_summary(db: sqlite3.Connection, app: Application, check_code: str | None) -> None:
    """Insert `app`'s public summary (inside the caller's transaction)."""
    items = [[r.item_id, r.department.zh, r.due.isoformat(), bool(r.due_approximate)] for r in app.requests]
    db.execute("INSERT INTO public_summaries (number, check_code, bundle_id, bundle_title, items, created_at) "
               "VALUES (?,?,?,?,?,?)", (app.number, check_code, app.bundle_id, app.bundle_title.zh,
                                        json.dumps(items, ensure_ascii=False), app.created_at.isoformat()))


def fill_check_codes(db: sqlite3.Connection, check_code: Callable[[str], str]) -> int:
    """Give the summaries written before check codes were kept (migration 8) their code; how many."""
    numbers = [r[0] for r in db.execute("SELECT number FROM public_summaries WHERE check_code IS NULL")]
    if numbers:
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany("UPDATE public_summaries SET check_code=? WHERE number=? AND check_code IS NULL",
                           [(check_code(n), n) for n in numbers])
            db.execute("COMMIT")
        except Exception:
            db.execute("ROLLBACK")
            raise
    return len(numbers)


def find_progress(db: sqlite3.Connection, *, number: str | None = None,
                  check_code: str | None = None) -> ReceiptProgress | None:
    """The summary of the application with this number or (canonical) check code, with each
    department's status as last synced; None when this kiosk does not have it."""
    if number is not None:
        row = db.execute("SELECT number, check_code, bundle_title, items FROM public_summaries WHERE number=?",
                         (number,)).fetchone()
    elif check_code is not None:
        row = db.execute("SELECT number, check_code, bundle_title, items FROM public_summaries WHERE check_code=?",
                         (check_code,)).fetchone()
    else:
        return None
    if row is None:
        return None
    found, code, title, items_json = row
    statuses = dict(db.execute("SELECT item_id, status FROM status_updates WHERE number=?", (found,)).fetchall())
    items = tuple(DepartmentProgress(str(i), str(d), str(due), bool(approx), statuses.get(i))
                  for i, d, due, approx in json.loads(items_json))
    pulled = db.execute("SELECT value FROM meta WHERE key=?", (STATUS_PULLED_AT,)).fetchone()
    return ReceiptProgress(found, title, code or "", items, pulled[0] if pulled else None, FROM_KIOSK)
