"""The real back office (`python -m backoffice serve` on 127.0.0.1) and the real kiosk sync code,
with faults injected by a TCP proxy in between: no mocked HTTP. Every test runs on SQLite and
on PostgreSQL (CI starts one with scripts/postgres.sh; outside CI a missing server skips).

Each test prints its counts (pytest -s shows them)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from testkit.sync_drills import (CITIZEN_ID, CITIZEN_NAME, ROOT, BackofficeServer, DemoApplications, FaultProxy,
                                backoffice_counts, backoffice_database, enrol_kiosk)
from kiosk.services.datafolder import DataFolder
from kiosk.services.sync.client import TransientSyncError
from kiosk.services.sync.upload import Syncer
from kiosk.services.sync.worker import SyncWorker

KIOSK = "3301060001"
FAST = dict(batch_size=7, backoff_base_seconds=0.02, backoff_max_seconds=0.1, request_timeout_seconds=3.0,
            interval_seconds=0.2)
KILL_ROUNDS = int(os.environ.get("ONEVISIT_SYNC_KILL_ROUNDS", "20"))

pytestmark = pytest.mark.e2e


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "postgresql" and not os.environ.get("ONEVISIT_TEST_PG_URL"):
        if os.environ.get("CI"):
            pytest.fail("CI must run the PostgreSQL tests: ONEVISIT_TEST_PG_URL is unset (scripts/postgres.sh)")
        pytest.skip("no PostgreSQL (set ONEVISIT_TEST_PG_URL, e.g. via scripts/postgres.sh start_postgres)")
    with backoffice_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def server(db_url, tmp_path):
    s = BackofficeServer(db_url, tmp_path / "backoffice").start()
    yield s
    s.stop()


def _syncer(kiosk, store, url, **overrides):
    settings = kiosk.settings(url, **{**FAST, **overrides})
    return Syncer(store, kiosk.client(url, timeout=settings.request_timeout_seconds), settings,
                  data_dir=kiosk.data_dir)


def _exactly_once(db_url, numbers):
    bo = backoffice_counts(db_url)
    assert sorted(bo["numbers"]) == sorted(numbers), "every application exactly once, nothing else"
    assert bo["duplicates"] == 0 and bo["conflicts"] == 0 and bo["incomplete"] == []
    return bo


def test_server_down_500_garbage_and_dropped_answers_still_deliver_exactly_once(server, db_url, tmp_path):
    kiosk = enrol_kiosk(server, tmp_path / "kiosk", KIOSK)
    store = kiosk.open_storage()
    apps = DemoApplications(KIOSK)
    numbers = apps.submit(store, 40)
    counts: dict[str, object] = {}
    with FaultProxy(server.port, seed=3) as proxy:
        syncer = _syncer(kiosk, store, proxy.url)
        try:
            # 1. the back office is down: nothing moves, nothing is lost
            server.stop()
            r = syncer.drain(time.monotonic() + 1.0)
            assert r.created == 0 and r.errors >= 2 and r.remaining == 40
            counts["down_errors"] = r.errors
            server.start()
            # 2. it answers 500, then garbage bytes, then a garbled unsigned 200: still nothing recorded
            for fault in ("http500", "garbage", "garbage_json", "refuse"):
                proxy.mode = fault
                r = syncer.drain(time.monotonic() + 0.6)
                assert (r.created, r.duplicate, r.remaining) == (0, 0, 40), fault
                counts[f"{fault}_errors"] = r.errors
            assert backoffice_counts(db_url)["numbers"] == []
            # 3. it commits, then the connection drops before the answer: the back office has the
            #    batch, the kiosk does not know; the resend is answered "duplicate" = success
            proxy.mode = "drop_after_commit"
            with pytest.raises(TransientSyncError):
                syncer.upload_batch()
            assert len(backoffice_counts(db_url)["numbers"]) == FAST["batch_size"]
            assert store.sync_counts().pending == 40
            # 4. the real sync thread, through a proxy that picks a fault at random for each request
            proxy.mode = "chaos"
            worker = SyncWorker(open_storage=kiosk.open_storage, make_client=lambda: kiosk.client(proxy.url, 3.0),
                                settings=kiosk.settings(proxy.url, **FAST), data_dir=kiosk.data_dir)
            worker.start()
            deadline = time.monotonic() + 60
            while store.sync_counts().pending and time.monotonic() < deadline:
                worker.sync_now()
                time.sleep(0.1)
            assert worker.stop(10.0), "the sync thread stops within its deadline"
            sc = store.sync_counts()
            assert sc.pending == 0 and sc.synced == 40 and store.check_integrity() == []
            answered = dict(store._db.execute("SELECT result, count(*) FROM synced GROUP BY result").fetchall())
        finally:
            syncer.client.close()
            store.close()
        counts["chaos_faults"] = dict(proxy.counts)
    bo = _exactly_once(db_url, numbers)
    assert answered.get("duplicate", 0) >= FAST["batch_size"]        # the dropped batch came back as "duplicate"
    assert proxy.counts["drop_after_commit"] >= 2 and proxy.counts["http500"] >= 1
    print(f"\n[{db_url.split(':')[0]}] 40 applications -> {len(bo['numbers'])} in the back office, "
          f"0 duplicates; kiosk answers {answered}; faults {counts}")


def test_sigkill_during_submit_and_sync_loses_nothing_and_doubles_nothing(db_url, tmp_path):
    res = subprocess.run([sys.executable, str(ROOT / "bench" / "kill_sync.py"), "--rounds", str(KILL_ROUNDS),
                          "--db", db_url, "--json", "--max-delay", "0.6"],
                         capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert res.stdout.strip(), res.stderr[-3000:]
    report = json.loads(res.stdout.strip().splitlines()[-1])
    print(f"\n[{db_url.split(':')[0]}] kill test: {report}")
    assert report["ok"], report
    assert report["kills"] == KILL_ROUNDS and report["receipts"] > KILL_ROUNDS
    assert report["receipts_missing_in_backoffice"] == 0 and report["backoffice_duplicate_rows"] == 0
    assert report["half_written_backoffice"] == 0 and report["kiosk_integrity_problems"] == 0


def test_hand_carried_export_imports_once_and_the_kiosk_then_agrees(server, db_url, tmp_path):
    kiosk = enrol_kiosk(server, tmp_path / "kiosk", KIOSK)
    store = kiosk.open_storage()
    numbers = DemoApplications(KIOSK, photo_bytes=2000).submit(store, 12, bundle_id="retirement")
    store.close()
    usb = tmp_path / "usb"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    kiosk_cmd = [sys.executable, "-m", "kiosk", "sync"]
    out = subprocess.run([*kiosk_cmd, "export", str(usb), "--data-dir", str(kiosk.data_dir), "--json"],
                         capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr
    export = Path(json.loads(out.stdout)["path"])
    blob = export.read_bytes()
    for secret in (CITIZEN_NAME, CITIZEN_ID):                       # sealed for the back office
        assert secret.encode() not in blob
    first = server.cli("import", str(usb), "--json")
    again = server.cli("import", str(usb), "--json")
    assert first.returncode == 0 and again.returncode == 0, first.stderr + again.stderr
    assert json.loads(first.stdout)["created"] == 12 and json.loads(again.stdout)["duplicate"] == 12
    # A tampered file is refused whole.
    bad = usb / "tampered" / export.name
    bad.parent.mkdir()
    bad.write_bytes(blob.replace(b'"ct":"', b'"ct":"A', 1))
    refused = server.cli("import", str(bad), "--json")
    assert refused.returncode == 1 and json.loads(refused.stdout)["refused_files"]
    # The kiosk still counts them pending (exported), then comes online: every answer "duplicate".
    status = subprocess.run([*kiosk_cmd, "status", "--data-dir", str(kiosk.data_dir), "--json"],
                            capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    st = json.loads(status.stdout)
    assert st["counts"]["pending"] == 12 and st["counts"]["exported"] == 12 and st["counts"]["pending_since"]
    now = subprocess.run([*kiosk_cmd, "now", "--data-dir", str(kiosk.data_dir), "--json"],
                         capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert now.returncode == 0, now.stderr
    report = json.loads(now.stdout)
    assert (report["created"], report["duplicate"], report["remaining"]) == (0, 12, 0)
    _exactly_once(db_url, numbers)
    lst = server.cli("list", "--json")
    assert lst.returncode == 0 and len({r["number"] for r in json.loads(lst.stdout)["requests"]}) == 12
    print(f"\n[{db_url.split(':')[0]}] export 12 -> import created 12, re-import duplicate 12, tampered refused; "
          "kiosk sync now: 12 duplicate, 0 pending")


def test_same_number_different_content_is_a_conflict_kept_for_review(server, db_url, tmp_path):
    from kiosk.services.sync import protocol as proto
    kiosk = enrol_kiosk(server, tmp_path / "kiosk", KIOSK)
    store = kiosk.open_storage()
    [number] = DemoApplications(KIOSK).submit(store, 1)
    syncer = _syncer(kiosk, store, server.url)
    try:
        assert syncer.drain(time.monotonic() + 10).created == 1
        payload = store._db.execute("SELECT payload FROM applications WHERE number=?", (number,)).fetchone()[0]
        record = json.loads(store._cipher.open(payload, number))        # exactly what was uploaded
        same = proto.seal_envelope(syncer._recipient, number, json.dumps(record).encode())
        assert syncer.client.call("PUT", f"/v1/applications/{number}", same)["result"] == "duplicate"
        # e.g. a restored backup that re-used the number for different content
        record["answers"][-1]["value"] += "X"
        changed = proto.seal_envelope(syncer._recipient, number, json.dumps(record).encode())
        with pytest.raises(TransientSyncError, match="409"):
            syncer.client.call("PUT", f"/v1/applications/{number}", changed)
    finally:
        syncer.client.close()
        store.close()
    conflicts = json.loads(server.cli("conflicts", "--json").stdout)
    assert [c["number"] for c in conflicts] == [number]
    assert len(backoffice_counts(db_url)["numbers"]) == 1


def test_status_changes_and_the_signed_catalogue_reach_the_kiosk_and_a_forged_one_does_not(server, db_url, tmp_path):
    kiosk = enrol_kiosk(server, tmp_path / "kiosk", KIOSK)
    store = kiosk.open_storage()
    [number] = DemoApplications(KIOSK).submit(store, 1)
    syncer = _syncer(kiosk, store, server.url)
    try:
        assert syncer.drain(time.monotonic() + 10).created == 1
        item = json.loads(server.cli("list", "--json").stdout)["requests"][0]["item_id"]
        assert server.cli("status", number, item, "accepted").returncode == 0
        assert syncer.pull_status() == 1 and store.statuses(number) == {item: "accepted"}
        cat = ROOT / "tests" / "fixtures" / "catalogue_small.yaml"
        assert server.cli("catalogue-publish", str(cat)).returncode == 0
        assert syncer.pull_catalogue() == 1 and DataFolder(kiosk.data_dir).synced_catalogue.read_bytes() == cat.read_bytes()
        # A second revision whose signature was tampered with in the database: refused, ours stays.
        assert server.cli("catalogue-publish", str(cat)).returncode == 0
        from sqlalchemy import create_engine, update

        from backoffice import db
        engine = create_engine(db.normalise_url(db_url))
        with engine.begin() as conn:
            conn.execute(update(db.catalogues).where(db.catalogues.c.revision == 2).values(
                signature="A" * 86))
        engine.dispose()
        from kiosk.services.catalogue_store import CatalogueRefused
        with pytest.raises(CatalogueRefused, match="signature"):
            syncer.pull_catalogue()
        assert store.get_meta("sync.catalogue_revision") == "1"
    finally:
        syncer.client.close()
        store.close()


def test_unenrolled_and_impersonating_kiosks_are_refused_over_http(server, tmp_path):
    from kiosk.services.sync.client import RefusedSyncError
    enrolled = enrol_kiosk(server, tmp_path / "a", KIOSK)
    other = enrol_kiosk(server, tmp_path / "b", "3301060002")
    # Kiosk b's key, signing in kiosk a's name: refused.
    from kiosk.services.sync.client import SyncClient
    s = enrolled.settings(server.url)
    impostor = SyncClient(server.url, KIOSK, other.signing_key(), s.signing_public(), timeout=5)
    stranger = SyncClient(server.url, "3301069999", other.signing_key(), s.signing_public(), timeout=5)
    try:
        for c in (impostor, stranger):
            with pytest.raises(RefusedSyncError, match="401"):
                c.call("GET", "/v1/status-changes?after=0&limit=1")
    finally:
        impostor.close()
        stranger.close()
    c = enrolled.client(server.url)
    try:
        assert c.call("GET", "/v1/status-changes?after=0&limit=1") == {"changes": [], "next": 0}
    finally:
        c.close()
