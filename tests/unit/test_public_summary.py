"""The public summary a receipt scan or a typed number/check code reads (issue 14 part 3): kept in
the clear (nothing personal), written with the application, still there after the retention purge
has deleted the application's personal data."""
from __future__ import annotations

import re
import sqlite3
from datetime import datetime, timedelta

import pytest

from kiosk.domain.progress import FROM_KIOSK
from kiosk.services.crypto import RecordCipher, load_or_create_key
from kiosk.services.datafolder import DataFolder
from kiosk.services.progress.summaries import find_progress
from kiosk.services.receipts.checkcode import check_code
from kiosk.services.storage import ApplicationPurged, Storage
from kiosk.services.storage_schema import MIGRATIONS
from testkit.sync_drills import CHILD_NAME, CITIZEN_ID, CITIZEN_NAME, DemoApplications

NOW = datetime(2026, 11, 23, 10, 0, 0)
DAY = timedelta(days=1)
SECRET = b"k" * 32


def code_for(number: str) -> str:
    return check_code(SECRET, number)


@pytest.fixture
def files(tmp_path):
    return DataFolder(tmp_path / "data")


@pytest.fixture
def store(files):
    s = Storage(files.db, RecordCipher(load_or_create_key(files.storage_key)), check_code=code_for)
    yield s
    s.close()


def test_lookup_by_number_and_by_check_code_after_the_application_is_purged(files, store):
    app = DemoApplications().store_one(store, "newborn", when=NOW - 40 * DAY)
    store.mark_synced([(app.number, "created")], NOW - 31 * DAY)
    store.apply_status_changes([(app.number, app.requests[0].item_id, "completed", "2026-10-20T09:00:00", 1)], 1)
    store.set_meta("sync.status_pulled_at", "2026-11-22T18:00:00")
    assert store.purge_confirmed(NOW - 30 * DAY, NOW) == 1
    with pytest.raises(ApplicationPurged):
        store.load(app.number)
    by_number = find_progress(store.connection, number=app.number)
    by_code = find_progress(store.connection, check_code=code_for(app.number))
    assert by_number == by_code and by_number is not None
    assert by_number.source == FROM_KIOSK and by_number.synced_at == "2026-11-22T18:00:00"
    assert by_number.check_code == code_for(app.number) and by_number.bundle_title == app.bundle_title.zh
    assert [(i.item_id, i.department, i.due) for i in by_number.items] == \
        [(r.item_id, r.department.zh, r.due.isoformat()) for r in app.requests]
    assert by_number.items[0].status == "completed" and all(i.status is None for i in by_number.items[1:])


def test_unknown_number_or_code_finds_nothing(store):
    assert find_progress(store.connection, number="3301060001-000099-20261123100000-0") is None
    assert find_progress(store.connection, check_code="7K3M-QX9P-T") is None
    assert find_progress(store.connection) is None


def test_the_summary_holds_nothing_personal(files, store):
    DemoApplications().store_one(store, "newborn", when=NOW)
    db = sqlite3.connect(files.db)
    try:
        rows = repr(db.execute("SELECT * FROM public_summaries").fetchall())
    finally:
        db.close()
    for personal in (CITIZEN_NAME, CITIZEN_ID, CHILD_NAME):
        assert personal not in rows


def test_a_store_from_before_the_table_gets_its_summaries_and_codes(files):
    """Applications stored before migration 8 are summarised by the migration (bundle id as
    title, dates as estimates) and get their check codes at the next open with the receipt key."""
    cipher = RecordCipher(load_or_create_key(files.storage_key))
    old = Storage(files.db, cipher)
    app = DemoApplications().store_one(old, "newborn", when=NOW)
    # Back to the schema before migration 8, as a kiosk in the field would have it: without the
    # tables that migration and the later ones (9: face failures) create.
    before = next(i for i, m in enumerate(MIGRATIONS) if "CREATE TABLE public_summaries" in m)
    for later in MIGRATIONS[before:]:
        for table in re.findall(r"CREATE TABLE (\w+)", later):
            old.connection.execute(f"DROP TABLE {table}")
    old.connection.execute(f"PRAGMA user_version={before}")
    old.close()
    again = Storage(files.db, cipher, check_code=code_for)
    try:
        found = find_progress(again.connection, check_code=code_for(app.number))
        assert found is not None and found.number == app.number and found.bundle_title == app.bundle_id
        assert all(i.approximate for i in found.items) and len(found.items) == len(app.requests)
    finally:
        again.close()
