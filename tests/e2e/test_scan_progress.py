"""Scan a receipt to see progress, end to end with the real back office over HTTP on 127.0.0.1
(issue 14 part 3): the kiosk's scan worker reads a rendered receipt held up to its (simulated)
camera, verifies it offline, shows the statuses it last pulled, then asks the back office, which
has a newer status since the last pull. A typed number reaches only this kiosk's own
applications at the back office; a check code reaches any kiosk's."""
from __future__ import annotations

import shutil
import threading
import time
import warnings
from datetime import datetime

import httpx
import pytest

from backoffice.app import create_app
from backoffice.web import WebSettings
from kiosk.compose_scan import receipt_check_codes
from kiosk.devices.sim.receipt_camera import ReceiptCamera
from kiosk.domain import progress as pg
from kiosk.flows import effects as fx
from kiosk.flows import events as ev
from kiosk.flows.journey import FlowConfig, handle, initial_state
from kiosk.receipt_scan import ReceiptScanner, ScanSetup
from kiosk.services.crypto import RecordCipher, load_or_create_key
from kiosk.services.datafolder import DataFolder
from kiosk.services.keystore import load_receipt_key
from kiosk.services.progress.online import fetch_progress
from kiosk.services.receipts.signer import ReceiptSigner
from kiosk.services.receipts.trust import kiosk_trust
from kiosk.services.signing import load_or_create_signing_key
from kiosk.services.storage import Storage
from kiosk.services.sync import protocol as proto
from kiosk.services.sync.client import SyncClient
from kiosk.services.sync.settings import SyncSettings
from kiosk.services.sync.upload import Syncer
from testkit.receipts import receipt_png
from tests.backoffice_support import KIOSK, POLICE, DemoApplications, fast_hasher, live_server, new_backoffice
from tests.e2e.test_ratings_and_texts import official, set_status

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not shutil.which("pdftoppm"), reason="needs poppler-utils")]
warnings.filterwarnings("ignore", category=DeprecationWarning)


@pytest.fixture
def backoffice(tmp_path):
    bo = new_backoffice(tmp_path)
    app = create_app(bo, WebSettings(hasher=fast_hasher()))
    app.state.web.accounts.create("police", "correct horse battery staple", "official", [POLICE])
    with live_server(app) as url:
        yield bo, url
    bo.engine.dispose()


class Events:
    """What the scan worker posts to the GUI thread, collected for the test (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.items: list[ev.Event] = []

    def post(self, event: ev.Event) -> None:
        with self._lock:
            self.items.append(event)

    def wait_for(self, kind: type, n: int = 1, timeout: float = 30.0) -> list:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self._lock:
                found = [e for e in self.items if isinstance(e, kind)]
            if len(found) >= n:
                return found
            time.sleep(0.02)
        raise AssertionError(f"no {kind.__name__} within {timeout}s: {self.items}")


def test_a_scanned_receipt_shows_the_last_pulled_status_then_the_back_office_newer_one(backoffice, tmp_path,
                                                                                      small_catalogue):
    bo, url = backoffice
    files = DataFolder(tmp_path / "kiosk")
    files.root.mkdir(parents=True)
    signing = load_or_create_signing_key(files.signing_key)
    bo.enrol(KIOSK, proto.ed25519_public_pem(signing.public_key()))
    doc = bo.keys.public_document()
    settings = SyncSettings(url=url, backoffice_signing_key=doc["signing_key"],
                            backoffice_encryption_key=doc["encryption_key"], enrolled_at="2026-11-01T00:00:00")
    receipt_key = load_receipt_key(files)
    signer = ReceiptSigner(receipt_key)
    store = Storage(files.db, RecordCipher(load_or_create_key(files.storage_key)),
                    check_code=receipt_check_codes(receipt_key))
    client = SyncClient(url, KIOSK, signing, settings.signing_public(), timeout=10)
    events = Events()

    def online(timeout):
        return SyncClient(url, KIOSK, signing, settings.signing_public(), timeout=timeout)
    scanner = None
    try:
        app = DemoApplications(KIOSK).store_one(store, "newborn", when=datetime.now().replace(microsecond=0))
        sync = Syncer(store, client, settings, data_dir=files.root, receipts=signer)
        assert sync.drain(time.monotonic() + 30).created == 1
        sync.pull_trust()
        c = official(url)
        set_status(c, app.number, "hukou", "accepted")
        sync.pull_status()                                   # the kiosk's copy: accepted
        set_status(c, app.number, "hukou", "completed")      # newer, not pulled yet

        png = receipt_png(app, receipt_key)
        setup = ScanSetup(camera=lambda: ReceiptCamera(lambda: png),
                          trust=lambda: kiosk_trust(files, KIOSK, settings.signing_public()), online=online)
        scanner = ReceiptScanner(setup, lambda: Storage(files.db, RecordCipher(load_or_create_key(files.storage_key))),
                                 events.post)
        state, effects = handle(initial_state(FlowConfig(small_catalogue)), ev.ScanRequested(), datetime.now())
        scanner.start(effects[0])
        [scanned] = events.wait_for(ev.ReceiptScanned)
        assert scanned.check.status == pg.GENUINE and scanned.check.progress.number == app.number
        state, effects = handle(state, scanned, datetime.now())
        assert isinstance(effects[-1], fx.LookUpProgress)
        scanner.stop()
        scanner.look_up(effects[-1])
        found = events.wait_for(ev.ProgressFound, 2)
        local, newest = found[0].progress, found[1].progress
        assert local.source == pg.FROM_KIOSK and not found[0].final
        assert {i.item_id: i.status for i in local.items}["hukou"] == "accepted"
        assert newest.source == pg.FROM_BACKOFFICE and found[1].final
        for e in found:
            state, _ = handle(state, e, datetime.now())
        shown = {i.item_id: i.status for i in state.scan.progress.items}
        assert shown["hukou"] == "completed" and not state.scan.looking_up
        assert state.scan.progress.check_code == signer.check_code(app.number)
        # Nothing personal came back from the back office.
        assert "李秀英" not in repr(newest) and "13800138000" not in repr(newest)

        # Typed: the number reaches this kiosk's own application; another kiosk gets nothing for
        # the number, but finds it by the check code printed on the receipt.
        assert fetch_progress(client, number=app.number).number == app.number
        other_key = load_or_create_signing_key(tmp_path / "other.key")
        bo.enrol("3301060002", proto.ed25519_public_pem(other_key.public_key()))
        other = SyncClient(url, "3301060002", other_key, settings.signing_public(), timeout=10)
        try:
            assert fetch_progress(other, number=app.number) is None
            by_code = fetch_progress(other, check_code=signer.check_code(app.number).lower())
            assert by_code is not None and by_code.number == app.number
            assert fetch_progress(other, check_code="7K3M-QX9P-T") is None
        finally:
            other.close()
        # An unsigned question gets no answer.
        assert httpx.get(f"{url}/v1/receipt-status?code={signer.check_code(app.number)}", timeout=10).status_code == 401
    finally:
        if scanner is not None:
            assert scanner.shutdown(5.0)
        client.close()
        store.close()
