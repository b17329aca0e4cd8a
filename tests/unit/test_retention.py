"""The kiosk does not keep synced applications forever (issue "A back office officials can
trust", hole 8): what the back office confirmed is deleted from the store after `[sync]
retention_days`, down to the bytes of the database file and its WAL, while pending applications
stay whole and every application keeps a public summary (no personal data) for status lookup."""
from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

import pytest

from kiosk.services.crypto import RecordCipher, load_or_create_key
from kiosk.services.datafolder import DataFolder
from kiosk.services.storage import ApplicationPurged, Storage
from testkit.sync_drills import CHILD_NAME, CITIZEN_ID, CITIZEN_NAME, DemoApplications

NOW = datetime(2026, 11, 23, 10, 0, 0)
DAY = timedelta(days=1)


@pytest.fixture
def files(tmp_path):
    return DataFolder(tmp_path / "data")


@pytest.fixture
def store(files):
    s = Storage(files.db, RecordCipher(load_or_create_key(files.storage_key)))
    yield s
    s.close()


def payloads(files: DataFolder) -> dict[str, bytes]:
    db = sqlite3.connect(files.db)
    try:
        return dict(db.execute("SELECT number, payload FROM applications"))
    finally:
        db.close()


def disk_bytes(files: DataFolder) -> bytes:
    """Everything SQLite keeps on disk for the store: the database, its WAL and shared memory."""
    return b"".join(p.read_bytes() for p in files.root.glob(files.db.name + "*"))


def traces(blob: bytes, raw: bytes, window: int = 24) -> int:
    """How many `window`-byte pieces of `blob` (a sealed record) can still be found in `raw`."""
    return sum(blob[i:i + window] in raw for i in range(0, len(blob) - window, window))


def test_confirmed_applications_are_deleted_after_the_retention_and_pending_ones_kept(files, store):
    apps = DemoApplications(photo_bytes=6000)                       # a photo: overflow pages too
    old = [apps.store_one(store, "retirement", when=NOW - 40 * DAY).number,
           apps.store_one(store, "newborn", when=NOW - 39 * DAY).number]
    recent = apps.store_one(store, "newborn", when=NOW - 3 * DAY).number
    pending = apps.store_one(store, "newborn", when=NOW - 60 * DAY).number     # never confirmed
    store.mark_synced([(old[0], "created"), (old[1], "duplicate")], NOW - 31 * DAY)
    store.mark_synced([(recent, "created")], NOW - 2 * DAY)
    store.apply_status_changes([(old[1], "hukou", "accepted", "2026-10-20T09:00:00", 1)], 1)
    before = payloads(files)
    assert all(traces(before[n], disk_bytes(files)) > 0 for n in old)   # the sealed records are on disk

    assert store.purge_confirmed(NOW - 30 * DAY, NOW) == 2
    raw = disk_bytes(files)
    for n in old:
        assert traces(before[n], raw) == 0, f"pieces of {n}'s sealed record are still on disk"
        with pytest.raises(ApplicationPurged):
            store.load(n)
    for secret in (CITIZEN_NAME, CITIZEN_ID, CHILD_NAME):
        assert secret.encode() not in raw
    # Pending and recently confirmed ones are whole.
    assert store.load(pending).number == pending and store.load(recent).number == recent
    assert store.pending_numbers() == [pending]
    # The public summary stays, for status lookup: bundle, departments, due dates, statuses.
    s = store.summary(old[1])
    assert s.purged and s.bundle_id == "newborn" and s.items
    assert {i.item_id: i.status for i in s.items}["hukou"] == "accepted"
    assert all(i.department and i.due for i in s.items)
    assert not store.summary(pending).purged
    assert store.check_integrity() == []
    assert store.purge_confirmed(NOW - 30 * DAY, NOW) == 0            # once is enough
    assert store.sync_counts().synced == 3 and store.sync_counts().pending == 1


def test_the_retention_is_configured_in_days(tmp_path):
    from kiosk.config import load_config
    from kiosk.services.sync.settings import (
        SyncSettingsError,
        load_sync_settings,
        settings_for,
    )
    config = load_config(env={}, overrides={"paths": {"data_dir": str(tmp_path)}})
    assert config.sync.retention_days == 30 and settings_for(config, env={}).retention_days == 30
    config = load_config(env={"ONEVISIT_SYNC_RETENTION_DAYS": "7"}, overrides={"paths": {"data_dir": str(tmp_path)}})
    assert settings_for(config, env={}).retention_days == 7
    with pytest.raises(SyncSettingsError, match="retention_days"):
        load_sync_settings(tmp_path, env={"ONEVISIT_SYNC_RETENTION_DAYS": "-1"})
