"""Retention with the real back office (`python -m backoffice serve` on 127.0.0.1): once the back
office has confirmed an application, the kiosk's sync thread (and `kiosk sync now`) delete its
personal data after `[sync] retention_days`; what is not confirmed stays."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time

import pytest

from kiosk.services.datafolder import DataFolder
from kiosk.services.sync.worker import SyncWorker
from testkit.sync_drills import ROOT, BackofficeServer, DemoApplications, enrol_kiosk

KIOSK = "3301060001"
FAST = dict(backoff_base_seconds=0.05, backoff_max_seconds=0.2, request_timeout_seconds=5.0, interval_seconds=0.2)

pytestmark = pytest.mark.e2e


@pytest.fixture
def server(tmp_path):
    s = BackofficeServer(f"sqlite:///{tmp_path / 'backoffice.sqlite3'}", tmp_path / "backoffice").start()
    yield s
    s.stop()


def state(files: DataFolder) -> dict[str, tuple[bool, bool]]:
    """number -> (its record is emptied, it is still pending)."""
    db = sqlite3.connect(files.db)
    try:
        return {n: (purged is not None and size == 0, pending) for n, purged, size, pending in db.execute(
            "SELECT number, purged_at, length(payload), number IN (SELECT number FROM outbox) FROM applications")}
    finally:
        db.close()


def test_the_sync_thread_deletes_what_the_back_office_confirmed(server, tmp_path):
    kiosk = enrol_kiosk(server, tmp_path / "kiosk", KIOSK, retention_days=0.0)
    store = kiosk.open_storage()
    numbers = DemoApplications(KIOSK, photo_bytes=3000).submit(store, 3, bundle_id="retirement")
    store.close()
    worker = SyncWorker(open_storage=kiosk.open_storage, make_client=lambda: kiosk.client(server.url),
                        settings=kiosk.settings(server.url, **FAST), data_dir=kiosk.data_dir)
    worker.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and state(DataFolder(kiosk.data_dir)) != {n: (True, False) for n in numbers}:
            time.sleep(0.05)
    finally:
        assert worker.stop(10)
    assert state(DataFolder(kiosk.data_dir)) == {n: (True, False) for n in numbers}
    wal = DataFolder(kiosk.data_dir).db.with_name("kiosk.sqlite3-wal")
    assert not wal.exists() or wal.stat().st_size < 64 * 1024      # truncated after the purge


def test_kiosk_sync_now_keeps_them_for_the_retention_then_deletes_them(server, tmp_path):
    kiosk = enrol_kiosk(server, tmp_path / "kiosk", KIOSK)
    store = kiosk.open_storage()
    numbers = DemoApplications(KIOSK).submit(store, 2)
    store.close()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "kiosk", "sync", "now", "--data-dir", str(kiosk.data_dir), "--json"]
    first = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["purged"] == 0                  # 30 days by default: kept for now
    assert state(DataFolder(kiosk.data_dir)) == {n: (False, False) for n in numbers}
    store = kiosk.open_storage()
    later = DemoApplications(KIOSK).submit(store, 1)                 # not sent yet: must survive
    store.close()
    offline = {**env, "ONEVISIT_SYNC_RETENTION_DAYS": "0", "ONEVISIT_SYNC_URL": "http://127.0.0.1:9",
               "ONEVISIT_SYNC_REQUEST_TIMEOUT_SECONDS": "1"}
    cmd[-3:-3] = ["--timeout", "2"]
    second = subprocess.run(cmd, capture_output=True, text=True, env=offline, cwd=ROOT, timeout=120)
    assert json.loads(second.stdout)["purged"] == 2, second.stderr   # no network needed to delete
    assert state(DataFolder(kiosk.data_dir)) == {**{n: (True, False) for n in numbers}, later[0]: (False, True)}
