"""Editing a staff account's own ID card number in the back office (for the kiosk's card sign-in):
by `python -m backoffice staff id-card` (the number from the terminal or stdin, never the command
line) and on the staff page (admins). Only the slow hash is kept, and the kiosk's list carries it."""
from __future__ import annotations

import io
import json

import httpx
import pytest
from sqlalchemy import select

from backoffice import db
from backoffice.cli import main as backoffice_main
from backoffice.staff import StaffAccounts
from backoffice.app import create_app
from backoffice.web import WebSettings
from kiosk.services.staff.credentials import id_key, verify_staff_list
from kiosk.services.sync import protocol as proto
from tests.backoffice_support import KIOSK, PASSWORD, csrf_of, fast_hasher, live_server, new_backoffice, sign_in

CLERK_ID = "330106199006151258"


@pytest.fixture
def bo(tmp_path):
    b = new_backoffice(tmp_path)
    yield b
    b.engine.dispose()


def id_key_of(bo, number="100234"):
    with bo.engine.connect() as conn:
        row = conn.execute(select(db.staff_members).where(db.staff_members.c.staff_number == number)).one()
    assert CLERK_ID not in json.dumps(dict(row._mapping), default=str)
    return row.id_key


def test_the_cli_sets_and_removes_the_id_card_number_read_from_stdin(bo, tmp_path, monkeypatch, capsys):
    staff = StaffAccounts(bo, pin_hasher=fast_hasher())
    staff.create("wang.li", "王丽", "100234", "clerk", [KIOSK], "246810")
    args = ["staff", "id-card", "100234", "--pin-stdin", "--data-dir", str(tmp_path / "bo")]
    monkeypatch.setattr("sys.stdin", io.StringIO(CLERK_ID + "\n"))
    assert backoffice_main(args) == 0
    out = capsys.readouterr().out
    assert "ID card sign-in set" in out and CLERK_ID not in out
    assert id_key_of(bo) == id_key(CLERK_ID, staff.id_salt)
    lst = verify_staff_list(proto.canonical_json(staff.credentials_for(KIOSK)), bo.keys.signing.public_key(), KIOSK)
    assert lst.by_id_key(id_key(CLERK_ID, lst.id_salt)).staff_number == "100234"
    monkeypatch.setattr("sys.stdin", io.StringIO("12345\n"))
    assert backoffice_main(args) == 1 and "not a resident ID number" in capsys.readouterr().err
    assert backoffice_main(["staff", "id-card", "100234", "--remove", "--data-dir", str(tmp_path / "bo")]) == 0
    assert id_key_of(bo) is None


def test_an_admin_sets_the_id_card_number_on_the_staff_page(bo):
    app = create_app(bo, WebSettings(hasher=fast_hasher(), pin_hasher=fast_hasher()))
    web = app.state.web
    web.accounts.create("root", PASSWORD, "admin")
    web.staff.create("wang.li", "王丽", "100234", "clerk", [KIOSK], "246810", password=PASSWORD)
    with live_server(app) as url:
        with httpx.Client(base_url=url, follow_redirects=False) as clerk:
            sign_in(clerk, "wang.li")
            r = clerk.post("/officials/staff/100234/id-card", data={"csrf": csrf_of(clerk), "id_number": CLERK_ID})
            assert r.status_code in (403, 303) and id_key_of(bo) is None     # not an admin: nothing changes
        with httpx.Client(base_url=url, follow_redirects=False) as admin:
            sign_in(admin, "root")
            assert 'id="id-card"' in admin.get("/officials/staff/100234").text
            r = admin.post("/officials/staff/100234/id-card",
                           data={"csrf": csrf_of(admin), "id_number": CLERK_ID, "action": "set"})
            assert r.status_code == 303 and "ID+card+set+for+100234" in r.headers["location"]
            assert id_key_of(bo) == id_key(CLERK_ID, web.staff.id_salt)
            overview = admin.get(r.headers["location"]).text
            assert "ID card set for 100234" in overview and CLERK_ID not in overview
            bad = admin.post("/officials/staff/100234/id-card", data={"csrf": csrf_of(admin), "id_number": "1234"})
            assert bad.status_code == 422 and id_key_of(bo) is not None
            r = admin.post("/officials/staff/100234/id-card", data={"csrf": csrf_of(admin), "action": "remove"})
            assert r.status_code == 303 and id_key_of(bo) is None
