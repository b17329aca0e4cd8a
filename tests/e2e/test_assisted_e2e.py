"""Assisted applications through real stacks (issue 12 parts 5-6): the kiosk's IdentityService
against the real back office on 127.0.0.1 (signed requests, per-kiosk limit, audit, offline),
and `--autopilot --scenario proxy` as a subprocess."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from backoffice import audit
from backoffice.app import create_app
from backoffice.identity import YamlIdentitySource
from backoffice.web import WebSettings
from kiosk.devices.identity import NOT_FOUND, TOO_MANY, IdentityUnavailable, RateLimited
from kiosk.services.datafolder import DataFolder
from kiosk.services.identity_client import BackofficeIdentityService
from kiosk.services.sync.client import SyncClient
from tests.backoffice_support import KIOSK, enrol_kiosk, fast_hasher, live_server, new_backoffice

ROOT = Path(__file__).resolve().parent.parent.parent
DEMO = ROOT / "assets" / "demo"
ZHOU = "330106195806120240"          # 周淑芬, fictional; her reference is hopper_chip.jpg


@pytest.fixture
def bo(tmp_path):
    b = new_backoffice(tmp_path)
    yield b
    b.engine.dispose()


def service(bo, url, key, **kw):
    return BackofficeIdentityService(lambda timeout: SyncClient(url, KIOSK, key, bo.keys.signing.public_key(),
                                                                timeout=timeout), **kw)


@pytest.mark.e2e
def test_the_kiosk_gets_the_reference_photo_from_the_back_office_signed_audited_and_limited(bo):
    key = enrol_kiosk(bo)
    web = WebSettings(hasher=fast_hasher(), identity=YamlIdentitySource(DEMO / "identity-references.yaml"),
                      identity_per_minute=3)
    with live_server(create_app(bo, web)) as url:
        ids = service(bo, url, key)
        ref = ids.reference(ZHOU, 5.0)
        assert ref.name == "周淑芬" and ref.photo == (DEMO / "hopper_chip.jpg").read_bytes()
        with pytest.raises(IdentityUnavailable) as nobody:
            ids.reference("11010519491231002X", 5.0)
        assert nobody.value.reason == NOT_FOUND and not nobody.value.offline
        ids.reference(ZHOU, 5.0)                                    # the third this minute
        with pytest.raises(IdentityUnavailable) as limited:         # the back office's limit per kiosk
            ids.reference(ZHOU, 5.0)
        assert limited.value.reason == TOO_MANY and ids.available()
    entries = [e for e in audit.entries(bo.engine) if e["action"] == "identity.reference"]
    assert len(entries) == 3 and entries[0]["detail"] == f"{bo.at_rest.id_tag(ZHOU)} found"
    assert not any(ZHOU in e["detail"] or ZHOU[6:14] in e["detail"] for e in entries)


@pytest.mark.e2e
def test_unsigned_requests_get_nothing_and_a_back_office_without_a_source_is_not_offline(bo):
    import httpx
    key = enrol_kiosk(bo)
    with live_server(create_app(bo, WebSettings(hasher=fast_hasher()))) as url:
        r = httpx.post(url + "/v1/identity/reference", json={"id_number": ZHOU}, trust_env=False)
        assert r.status_code == 401 and b"photo" not in r.content
        with pytest.raises(IdentityUnavailable) as none:
            service(bo, url, key).reference(ZHOU, 5.0)
        assert not none.value.offline                               # 503: configured elsewhere, not a network fault


@pytest.mark.e2e
def test_offline_withdraws_the_no_card_path_and_the_kiosk_limits_itself(bo):
    key = enrol_kiosk(bo)
    clock = [1000.0]
    ids = service(bo, "http://127.0.0.1:9", key, clock=lambda: clock[0])   # nothing listens there
    with pytest.raises(IdentityUnavailable) as down:
        ids.reference(ZHOU, 2.0)
    assert down.value.offline and not ids.available()
    clock[0] += 61
    assert ids.available()                                          # offered again, tried again
    limited = RateLimited(ids, per_hour=1, clock=lambda: clock[0])
    with pytest.raises(IdentityUnavailable):
        limited.reference(ZHOU, 1.0)
    started = time.monotonic()
    with pytest.raises(IdentityUnavailable) as second:
        limited.reference(ZHOU, 1.0)
    assert second.value.reason == TOO_MANY and time.monotonic() - started < 0.5   # refused before any request


@pytest.mark.e2e
def test_autopilot_proxy_scenario_applies_for_another_demo_citizen_and_leaves_a_receipt(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    res = subprocess.run([sys.executable, str(ROOT / "main.py"), "--simulate", "--autopilot", "--offscreen",
                          "--scenario", "proxy", "--step-delay", "200", "--data-dir", str(tmp_path)],
                         capture_output=True, text=True, timeout=240, env=env)
    assert res.returncode == 0, res.stderr[-3000:]
    files = DataFolder(tmp_path)
    receipts = list(files.receipts.glob("receipt-*.pdf"))
    assert len(receipts) == 1
    text = subprocess.run(["pdftotext", "-layout", str(receipts[0]), "-"], capture_output=True, text=True,
                          check=True).stdout
    squashed = "".join(text.split())
    assert "代办" in squashed and "子女" in squashed               # who applied, by relationship only
    assert "陈浩" not in squashed and "周淑芬" not in squashed      # no names on a receipt
    from kiosk.services.audit.log import AuditLog
    from kiosk.services.crypto import RecordCipher
    from kiosk.services.keystore import load_storage_key
    from kiosk.services.storage import Storage
    db = Storage(files.db, RecordCipher(load_storage_key(files)))
    try:
        [app] = [db.load(n) for (n,) in db.connection.execute("SELECT number FROM applications").fetchall()]
        entries = AuditLog(db, "3301060001").entries()
    finally:
        db.close()
    assert app.proxy is not None and app.proxy.agent_name == "陈浩" and app.proxy.relationship == "child"
    assert app.answer("applicant_name").value == "周淑芬"           # the principal is the applicant
    assert app.attachments.get("proxy_authorisation", b"").startswith(b"\xff\xd8\xff")
    assert app.bundle_id in ("retirement", "elderly_care", "medical_expenses", "disability_services")
    assert [e.type for e in entries] == ["proxy"] and entries[0].ref == app.number
    assert entries[0].details == {"relationship": "child", "authorisation": True}
    assert sqlite3.connect(files.db).execute("SELECT COUNT(*) FROM applications").fetchone() == (1,)
