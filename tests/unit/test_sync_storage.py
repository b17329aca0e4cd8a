"""The store's sync bookkeeping: migration, pending batches, atomic acknowledgement."""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta

import pytest

from kiosk.services import storage as storage_module
from kiosk.services.crypto import RecordCipher, load_or_create_key
from kiosk.services.datafolder import DataFolder
from kiosk.services.storage import Storage
from testkit.sync_drills import CITIZEN_ID, CITIZEN_NAME, DemoApplications

NOW = datetime(2026, 11, 23, 10, 0, 0)


@pytest.fixture
def store(tmp_path):
    files = DataFolder(tmp_path)
    s = Storage(files.db, RecordCipher(load_or_create_key(files.storage_key)))
    yield s
    s.close()


def test_a_version_1_database_is_migrated_with_its_pending_applications(tmp_path, monkeypatch):
    key = load_or_create_key(tmp_path / "k")
    monkeypatch.setattr(storage_module, "MIGRATIONS", storage_module.MIGRATIONS[:1])
    monkeypatch.setattr(storage_module, "record_summary", lambda db, app, code: None)   # version 1 kept none
    old = Storage(tmp_path / "db", RecordCipher(key))
    numbers = DemoApplications().submit(old, 3)
    assert old._db.execute("PRAGMA user_version").fetchone()[0] == 1
    old.close()
    monkeypatch.undo()
    new = Storage(tmp_path / "db", RecordCipher(key))
    try:
        assert new._db.execute("PRAGMA user_version").fetchone()[0] == len(storage_module.MIGRATIONS)
        assert new.pending_numbers() == numbers
        assert new.sync_counts().pending == 3 and new.check_integrity() == []
        # migration 8 summarised them for the scan-to-check lookups
        assert [r[0] for r in new._db.execute("SELECT number FROM public_summaries ORDER BY number")] == numbers
    finally:
        new.close()


def test_pending_records_are_oldest_first_decrypted_and_respect_hold_back(store):
    numbers = DemoApplications().submit(store, 5)
    recs = store.pending_records(3, NOW)
    assert [r.number for r in recs] == numbers[:3]
    rec = json.loads(recs[0].record)
    assert rec["number"] == numbers[0] and CITIZEN_NAME in recs[0].record.decode()
    store.mark_attempt_failed(numbers[:2], "refused: x", NOW + timedelta(minutes=5))
    assert [r.number for r in store.pending_records(10, NOW)] == numbers[2:]
    assert [r.number for r in store.pending_records(10, NOW + timedelta(minutes=6))] == numbers
    assert store.sync_counts().failing == 2


def test_acknowledged_applications_leave_the_outbox_in_one_transaction(store):
    numbers = DemoApplications().submit(store, 4)
    store.mark_synced([(numbers[0], "created"), (numbers[1], "duplicate"), (numbers[2], "conflict")], NOW)
    c = store.sync_counts()
    assert (c.pending, c.synced, c.conflicts) == (1, 3, 1)
    assert store.pending_numbers() == [numbers[3]]
    assert store.sync_result(numbers[1]) == "duplicate" and store.sync_result(numbers[3]) is None
    assert store.get_meta("sync.last_contact_at") == NOW.isoformat()
    assert store.check_integrity() == []
    with pytest.raises(sqlite3.IntegrityError):       # an unknown number: nothing of the batch is kept
        store.mark_synced([(numbers[3], "created"), ("nope", "created")], NOW)
    assert store.pending_numbers() == [numbers[3]]


def test_integrity_check_finds_an_application_neither_pending_nor_synced(store, tmp_path):
    numbers = DemoApplications().submit(store, 2)
    db = sqlite3.connect(store.path)
    db.execute("DELETE FROM outbox WHERE number=?", (numbers[0],))
    db.commit()
    db.close()
    assert store.check_integrity() == [f"{numbers[0]}: neither pending nor synced, or both"]


def test_exported_applications_stay_pending_but_are_counted_apart(store):
    numbers = DemoApplications().submit(store, 3)
    store.mark_exported(numbers[:2], NOW)
    c = store.sync_counts()
    assert (c.pending, c.exported, c.not_exported) == (3, 2, 1)
    assert store.pending_numbers(exported=False) == numbers[2:]
    assert [r.number for r in store.records_for(numbers)] == numbers


def test_status_changes_newest_wins_and_the_cursor_is_kept(store):
    (n,) = DemoApplications().submit(store, 1)
    store.apply_status_changes([(n, "hukou", "accepted", "t1", 5), (n, "hukou", "in_progress", "t0", 4)], 5)
    assert store.statuses(n) == {"hukou": "accepted"} and store.get_meta("sync.status_cursor") == "5"
    store.apply_status_changes([(n, "hukou", "completed", "t2", 9)], 9)
    assert store.statuses(n) == {"hukou": "completed"}


def test_nothing_personal_in_the_sync_tables(store, tmp_path):
    (n,) = DemoApplications().submit(store, 1)
    store.mark_synced([(n, "created")], NOW)
    store.apply_status_changes([(n, "hukou", "accepted", "t1", 1)], 1)
    raw = b"".join(p.read_bytes() for p in tmp_path.glob(DataFolder(tmp_path).db.name + "*"))
    for secret in (CITIZEN_NAME, CITIZEN_ID):
        assert secret.encode() not in raw
