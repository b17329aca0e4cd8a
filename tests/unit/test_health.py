"""`kiosk health`'s checks that need no device: the runner's timeouts, disk, clock, keys,
catalogue and sync, each on real files (a real data folder, a real SQLite store, the real disk)."""
from __future__ import annotations

import json
import os
import shutil
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.devices.health import library_probe, printer_check
from kiosk.devices.sim.printer import FolderPrinter
from kiosk.domain.health import HealthReport, fault, note, ok
from kiosk.domain.text import Text
from kiosk.services.crypto import RecordCipher
from kiosk.services.datafolder import DataFolder
from kiosk.services.health import run_probes
from kiosk.services.health_checks import (catalogue_month, catalogue_probe, clock_probe, disk_probe, keys_probe,
                                          sync_probe)
from kiosk.services.keystore import load_signing_key, load_storage_key
from kiosk.services.storage import Storage
from kiosk.services.sync.settings import SyncSettings
from testkit.sync_drills import DemoApplications

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "assets" / "catalogue" / "catalogue.yaml"
NOW = datetime(2026, 11, 23, 10, 0, 0)
T = Text("x", "x")
ENROLLED = SyncSettings(url="http://127.0.0.1:9", backoffice_signing_key="k", backoffice_encryption_key="k",
                        enrolled_at="2026-11-01T09:00:00")


# --- the runner -------------------------------------------------------------------------------------
def test_a_probe_that_hangs_is_a_fault_after_its_timeout_and_the_others_still_report():
    release = threading.Event()

    def hangs(timeout: float):
        release.wait(30)
        return ok("printer", T)

    def raises(timeout: float):
        raise OSError("driver fell over")

    t0 = time.monotonic()
    try:
        report = run_probes([("printer", hangs), ("disk", lambda t: ok("disk", T)), ("camera", raises)], 0.3)
    finally:
        release.set()
    assert time.monotonic() - t0 < 2.0
    by_name = {c.name: c for c in report.checks}
    assert [c.name for c in report.checks] == ["printer", "disk", "camera"]      # the order asked for
    assert by_name["printer"].status == "fault" and "No answer within 0.3 s" in by_name["printer"].detail.en
    assert by_name["camera"].status == "fault" and "OSError" in by_name["camera"].detail.en
    assert by_name["disk"].status == "ok"
    assert report.status == "fault"


def test_notes_alone_need_no_staff_action():
    report = HealthReport((ok("disk", T), note("sync", T)), NOW)
    assert report.status == "ok" and not report.faults and len(report.notes) == 1
    assert HealthReport((ok("disk", T), fault("clock", T, T)), NOW).status == "fault"


# --- disk -------------------------------------------------------------------------------------------
def test_disk_space_below_the_threshold_is_a_fault(tmp_path):
    free_mb = shutil.disk_usage(tmp_path).free / 1024 / 1024
    assert disk_probe(tmp_path, free_mb / 2)(1.0).status == "ok"
    low = disk_probe(tmp_path / "not" / "made" / "yet", free_mb * 2)(1.0)     # measured on the nearest parent
    assert low.status == "fault" and "Low disk space" in low.detail.en and low.action is not None
    assert dict(low.facts)["free_mb"] > 0
    assert not (tmp_path / "not").exists()


# --- clock --------------------------------------------------------------------------------------------
def test_a_clock_before_what_the_kiosk_knows_happened_is_a_fault():
    floors = {"the catalogue's month": datetime(2026, 11, 1), "the last contact with the back office": NOW}
    back = clock_probe(lambda: datetime(2024, 1, 1), lambda: floors, lambda t: True)(1.0)
    assert back.status == "fault" and "the last contact with the back office" in back.detail.en
    fine = clock_probe(lambda: NOW + timedelta(hours=1), lambda: floors, lambda t: True)(1.0)
    assert fine.status == "ok"
    unknown = clock_probe(lambda: NOW, lambda: floors, lambda t: None)(1.0)
    assert unknown.status == "note" and "cannot be checked" in unknown.detail.en
    assert clock_probe(lambda: NOW, lambda: floors, lambda t: False)(1.0).status == "note"


def test_catalogue_versions_name_their_month():
    assert catalogue_month("2026.11.1") == datetime(2026, 11, 1)
    assert catalogue_month("2026-03") == datetime(2026, 3, 1)
    assert catalogue_month("v7") is None and catalogue_month("2026.13") is None


# --- keys ---------------------------------------------------------------------------------------------
def test_keys_fresh_folder_is_a_note_and_nothing_is_created(tmp_path):
    files = DataFolder(tmp_path / "data")
    check = keys_probe(files)(1.0)
    assert check.status == "note"
    assert not files.keys.exists() and not files.root.exists()


def test_keys_in_place_are_ok_and_each_problem_is_a_fault(tmp_path):
    files = DataFolder(tmp_path / "data")
    load_storage_key(files)
    load_signing_key(files)
    Storage(files.db, RecordCipher(load_storage_key(files))).close()
    assert keys_probe(files)(1.0).status == "ok"

    os.chmod(files.storage_key, 0o644)
    loose = keys_probe(files)(1.0)
    assert loose.status == "fault" and "storage.key: readable by other users" in loose.detail.en
    os.chmod(files.storage_key, 0o600)

    files.signing_key.rename(tmp_path / "elsewhere.key")
    files.signing_key.symlink_to(tmp_path / "elsewhere.key")
    linked = keys_probe(files)(1.0)
    assert linked.status == "fault" and "kiosk_ed25519.key: not a regular file" in linked.detail.en

    files.storage_key.unlink()                      # applications exist, their key is gone
    gone = keys_probe(files)(1.0)
    assert gone.status == "fault" and "storage.key: missing" in gone.detail.en
    assert "kiosk keys restore" in gone.action.en


# --- catalogue ----------------------------------------------------------------------------------------
def test_catalogue_shipped_then_last_good_then_none(tmp_path):
    files = DataFolder(tmp_path / "data")
    files.root.mkdir()
    good = catalogue_probe(SHIPPED, files, SyncSettings)(10.0)
    assert good.status == "ok" and dict(good.facts)["source"] == "shipped"
    version = dict(good.facts)["version"]

    broken = tmp_path / "catalogue.yaml"
    broken.write_text("version: [unclosed\n")
    none = catalogue_probe(broken, files, SyncSettings)(10.0)
    assert none.status == "fault" and "No valid catalogue" in none.detail.en

    shutil.copy(SHIPPED, files.last_good_catalogue)
    fallback = catalogue_probe(broken, files, SyncSettings)(10.0)
    assert fallback.status == "fault" and f"last good copy, version {version}" in fallback.detail.en


# --- sync ---------------------------------------------------------------------------------------------
@pytest.fixture
def kiosk_store(tmp_path):
    files = DataFolder(tmp_path / "data")
    store = Storage(files.db, RecordCipher(load_storage_key(files)))
    yield files, store
    store.close()


def test_no_back_office_enrolled_is_a_note_with_the_pending_count(kiosk_store):
    files, store = kiosk_store
    DemoApplications().submit(store, 2)
    check = sync_probe(files, SyncSettings, 2.0, lambda: NOW)(2.0)
    assert check.status == "note" and "No back office enrolled: 2 applications" in check.detail.en
    assert dict(check.facts)["pending"] == 2


def test_days_without_contact_become_a_fault_after_the_configured_number(kiosk_store):
    files, store = kiosk_store
    DemoApplications().submit(store, 3)
    store.set_meta("sync.last_contact_at", (NOW - timedelta(hours=20)).isoformat())
    recent = sync_probe(files, lambda: ENROLLED, 2.0, lambda: NOW)(2.0)
    assert recent.status == "ok" and "3 applications pending" in recent.detail.en
    store.set_meta("sync.last_contact_at", (NOW - timedelta(days=3)).isoformat())
    offline = sync_probe(files, lambda: ENROLLED, 2.0, lambda: NOW)(2.0)
    assert offline.status == "fault" and "No contact with the back office for 3.0 days" in offline.detail.en
    assert "kiosk sync export" in offline.action.en
    # a hand-carried export counts as reaching the back office
    store.set_meta("sync.last_export_at", (NOW - timedelta(hours=1)).isoformat())
    assert sync_probe(files, lambda: ENROLLED, 2.0, lambda: NOW)(2.0).status == "ok"


def test_applications_set_aside_by_the_back_office_are_a_fault(kiosk_store):
    files, store = kiosk_store
    numbers = DemoApplications().submit(store, 2)
    store.set_meta("sync.last_contact_at", NOW.isoformat())
    store.set_aside(numbers[:1], "refused", NOW)
    check = sync_probe(files, lambda: ENROLLED, 2.0, lambda: NOW)(2.0)
    assert check.status == "fault" and "retry-refused" in check.action.en


# --- printer and vendor libraries (no device needed) ---------------------------------------------------
def test_a_printer_out_of_paper_is_a_fault_that_says_load_paper(tmp_path):
    printer = FolderPrinter(tmp_path / "receipts")
    assert printer_check(printer, 1.0, simulated=True).status == "note"
    printer.out_of_paper = True
    check = printer_check(printer, 1.0, simulated=True)
    assert check.status == "fault" and "out of paper" in check.detail.en and "paper roll" in check.action.en
    assert dict(check.facts)["paper"] == "out"


def test_a_vendor_library_must_load_in_a_child_process(tmp_path):
    import _ssl
    real = Path(_ssl.__file__)             # a real shared object of this Python
    name, what = "card_reader.vendor_sdk", Text("库", "vendor library")
    assert library_probe(name, str(real), what)(10.0).status == "ok"
    fake = tmp_path / "libtermb.so"
    fake.write_bytes(b"not an ELF file")
    bad = library_probe(name, str(fake), what)(10.0)
    assert bad.status == "fault" and "does not load" in bad.detail.en
    assert library_probe(name, "libtermb.so", what)(10.0).status == "fault"     # relative: never loaded


# --- the command --------------------------------------------------------------------------------------
def test_kiosk_health_json_exits_0_on_a_demo_kiosk_and_creates_nothing(tmp_path, capsys):
    data = tmp_path / "data"
    assert main(["health", "--json", "--data-dir", str(data)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"] == "ok" and doc["faults"] == 0 and doc["kiosk_id"] == "3301060001"
    names = [c["name"] for c in doc["checks"]]
    assert names == ["card_reader.sim", "camera", "document_camera", "printer", "disk", "clock", "keys",
                     "catalogue", "sync"]
    for c in doc["checks"]:
        assert set(c) == {"name", "status", "detail", "action", "facts"}
        assert c["status"] in ("ok", "note") and c["detail"]["zh"] and c["detail"]["en"]
    assert not data.exists() and not Path(str(data) + ".keys").exists()


def test_kiosk_health_exits_1_on_a_fault_and_says_what_to_do(tmp_path, capsys):
    config = tmp_path / "kiosk.toml"
    config.write_text("[health]\nmin_free_disk_mb = 1e12\n")
    assert main(["health", "--config", str(config), "--data-dir", str(tmp_path / "data")]) == 1
    out = capsys.readouterr().out
    assert "FAULT: staff action needed" in out
    assert "FAULT disk" in out and "-> Sync or export the applications" in out
    assert "NOTE  sync" in out and "No back office enrolled" in out
