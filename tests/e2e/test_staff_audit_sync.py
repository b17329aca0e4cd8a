"""Staff accounts and the audit trail end to end, over real HTTP on 127.0.0.1: an admin creates a
clerk on the back office's page; the kiosk pulls its signed staff list; with the back office gone
the clerk signs in, a wrong PIN is tried and an override is recorded; back online, the trail
reaches the back office, which verifies it and shows it per clerk to a supervisor of that
station; history rewritten on the kiosk afterwards is refused."""
from __future__ import annotations

import json
import re
from datetime import datetime

import httpx
import pytest

from backoffice import audit, kiosk_audit
from backoffice.app import create_app
from backoffice.web import WebSettings
from kiosk.cli import main as kiosk_main
from kiosk.services.audit.chain import AuditEntry, seal_entry
from kiosk.services.audit.log import AuditLog
from kiosk.services.crypto import RecordCipher
from kiosk.services.datafolder import DataFolder
from kiosk.services.keystore import load_signing_key, load_storage_key
from kiosk.services.staff.authenticator import StaffAuthenticator
from kiosk.services.storage import Storage
from kiosk.services.sync import protocol as proto
from kiosk.services.sync.audit_push import ERROR_META
from kiosk.services.sync.client import SyncClient
from kiosk.services.sync.staff_audit import exchange_staff_and_audit
from tests.backoffice_support import KIOSK, PASSWORD, fast_hasher, live_server, new_backoffice

pytestmark = pytest.mark.e2e


def _sign_in(client: httpx.Client, username: str) -> None:
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/signin").text).group(1)
    r = client.post("/signin", data={"csrf": token, "username": username, "password": PASSWORD})
    assert r.status_code == 303, r.text


def _csrf(client: httpx.Client) -> str:
    return client.get("/v1/officials/me").json()["csrf_token"]


@pytest.fixture
def world(tmp_path):
    bo = new_backoffice(tmp_path)
    app = create_app(bo, WebSettings(hasher=fast_hasher(), pin_hasher=fast_hasher()))
    web = app.state.web
    web.accounts.create("root", PASSWORD, "admin")
    files = DataFolder(tmp_path / "kiosk")
    files.root.mkdir()
    key = load_signing_key(files)
    bo.enrol(KIOSK, proto.ed25519_public_pem(key.public_key()), "e2e kiosk")
    store = Storage(files.db, RecordCipher(load_storage_key(files)))
    yield bo, app, files, key, store
    store.close()
    bo.engine.dispose()


def _exchange(url, bo, key, store):
    client = SyncClient(url, KIOSK, key, bo.keys.signing.public_key(), timeout=10)
    try:
        return exchange_staff_and_audit(store, client, bo.keys.signing.public_key(), datetime.now)
    finally:
        client.close()


def test_staff_created_in_the_back_office_sign_in_offline_and_their_trail_comes_back_verified(world, capsys):
    bo, app, files, key, store = world
    with live_server(app) as url:
        with httpx.Client(base_url=url, follow_redirects=False) as admin:
            _sign_in(admin, "root")
            assert 'id="create-staff"' in admin.get("/officials/accounts").text   # on the accounts page
            r = admin.post("/officials/staff", data={
                "csrf": _csrf(admin), "username": "wang.li", "name": "王丽", "staff_number": "100234", "role": "clerk",
                "stations": KIOSK, "pin": "246810", "id_number": "", "valid_until": ""})
            assert r.status_code == 303 and "created+staff+100234" in r.headers["location"]
        app.state.web.staff.create("zhao.qiang", "赵强", "100777", "supervisor", [KIOSK], "135792", password=PASSWORD)
        app.state.web.staff.create("sun.yu", "孙雨", "100888", "supervisor", ["3301060009"], "135792",
                                   password=PASSWORD)
        pulled = _exchange(url, bo, key, store)
        assert pulled == {"audit_confirmed": 0, "staff": 2, "errors": []}

    # the back office is gone: the village station goes on
    audit_log = AuditLog(store, KIOSK, key)
    auth = StaffAuthenticator(store, audit_log, bo.keys.signing.public_key(), KIOSK)
    assert auth.sign_in("100234", "999999").attempts_left == 4
    signed_in = auth.sign_in("100234", "246810")
    assert signed_in.ok and signed_in.member.role == "clerk"
    audit_log.record("override", staff="100234", ref="3301060001-20261123-0001",
                     details={"reason": "face_check_failed_3"})
    auth.end_staff_mode(signed_in.member, "sign_out")
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/healthz", timeout=2)

    with live_server(app) as url:
        back = _exchange(url, bo, key, store)
        assert back["audit_confirmed"] == 4 and back["errors"] == []
        assert kiosk_audit.verify_stored(bo, KIOSK).ok
        assert _exchange(url, bo, key, store)["audit_confirmed"] == 0      # nothing left to send
        with httpx.Client(base_url=url, follow_redirects=False) as sup:
            _sign_in(sup, "zhao.qiang")
            overview = sup.get("/officials/staff").text
            assert "100234" in overview and f"{KIOSK}</td><td>intact, 4 entries" in overview
            trail = sup.get("/officials/staff/100234").text
            assert "override" in trail and "reason=face_check_failed_3" in trail and "staff_sign_in_failed" in trail
        with httpx.Client(base_url=url, follow_redirects=False) as other:
            _sign_in(other, "sun.yu")                                          # another station's supervisor
            assert "override" not in other.get("/officials/staff/100234").text

        # someone with both of the kiosk's keys rewrites the override after it was sent
        e = audit_log.entries()[2]
        forged = seal_entry(key, e.seq, e.type, e.at, e.kiosk_id, "100777", e.ref, e.details, e.prev)
        store.connection.execute("UPDATE audit_log SET body=?, hash=? WHERE seq=3", (
            store.cipher.seal(json.dumps(forged.as_dict()).encode(), "audit:3"), forged.hash))
        audit_log.unmark_synced_after(2)
        refused = _exchange(url, bo, key, store)
        assert refused["audit_confirmed"] == 0 and "refused by the back office at entry 3" in refused["errors"][0]
        assert "entry 3" in store.get_meta(ERROR_META)
        assert any(r["action"] == "kiosk_audit.refused" for r in audit.entries(bo.engine))
        assert [AuditEntry.from_dict(d).staff for d in [x.as_dict() for x in kiosk_audit.stored_entries(bo.engine,
                KIOSK)]][2] == "100234"                                      # the back office keeps the truth

    assert kiosk_main(["audit", "list", "--json", "--type", "override", "--data-dir", str(files.root)]) == 0
    assert [e["staff"] for e in json.loads(capsys.readouterr().out)] == ["100777"]
