"""The officials' workbench over HTTP: each official sees only their departments' items, with
the answers and materials the item needs; every view and change is audited; a status change
reaches the kiosk; roles limit who sees what; the API docs come from local files; and no log
line holds a citizen's name or ID number."""
from __future__ import annotations

import logging
import re
import time
import warnings

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from backoffice import audit
from backoffice.app import create_app
from backoffice.web import WebSettings
from kiosk.services.sync import protocol as proto
from tests.backoffice_support import (CHILD_NAME, CITIZEN_ID, CITIZEN_NAME, CIVIL, HEALTH, HR, KIOSK, PASSWORD, POLICE,
                                      SPOUSE_ID, DemoApplications, csrf_of, deliver, enrol_kiosk, fast_hasher,
                                      new_backoffice, sign_in)


@pytest.fixture
def bo(tmp_path):
    b = new_backoffice(tmp_path)
    yield b
    b.engine.dispose()


@pytest.fixture
def app(bo):
    a = create_app(bo, WebSettings(hasher=fast_hasher()))
    accounts = a.state.web.accounts
    accounts.create("police", PASSWORD, "official", [POLICE])
    accounts.create("health", PASSWORD, "official", [HEALTH])
    accounts.create("pensions", PASSWORD, "department_admin", [HR])
    accounts.create("audra", PASSWORD, "auditor")
    accounts.create("root", PASSWORD, "admin")
    accounts.create("clara", PASSWORD, "clerk")
    return a


def as_user(app, name):
    c = TestClient(app)
    assert sign_in(c, name).status_code == 303
    return c


def test_an_official_sees_only_their_department_s_items_and_the_answers_those_need(app, bo):
    number = deliver(bo)
    police = as_user(app, "police")
    listed = police.get("/v1/officials/applications").json()
    assert [(r["number"], r["item_id"]) for r in listed["requests"]] == [(number, "hukou")]
    assert [s["department_id"] for s in listed["summary"]] == [POLICE]
    page = police.get("/officials").text
    assert number in page and "出生户口登记" in page and "配偶信息登记" not in page
    item = police.get(f"/officials/items/{number}/hukou")
    assert item.status_code == 200
    assert CITIZEN_NAME in item.text and CITIZEN_ID in item.text and CHILD_NAME in item.text
    assert SPOUSE_ID not in item.text                                   # the civil affairs item's answer
    data = police.get(f"/v1/officials/items/{number}/hukou").json()
    assert {a["field_id"] for a in data["answers"]} == {"applicant_name", "applicant_id_number", "child_name",
                                                        "applicant_phone", "sms_consent"}
    # another department's item of the same application: the same answer as one that does not exist
    for url in (f"/officials/items/{number}/spouse_consent", f"/v1/officials/items/{number}/spouse_consent",
                f"/officials/items/{number}/nothing", f"/v1/officials/items/{number}/birth_certificate"):
        r = police.get(url)
        assert r.status_code == 404 and SPOUSE_ID not in r.text, url
    r = police.post(f"/v1/officials/items/{number}/spouse_consent/status", json={"status": "rejected"},
                    headers={"x-csrf-token": csrf_of(police)})
    assert r.status_code == 404
    assert police.get("/v1/officials/applications", params={"department": CIVIL}).json()["requests"] == []
    health = as_user(app, "health")
    assert [r["item_id"] for r in health.get("/v1/officials/applications").json()["requests"]] == ["birth_certificate"]
    denied = [e for e in audit.entries(bo.engine) if e["action"].endswith(".denied")]
    assert {(e["actor"], e["item_id"]) for e in denied} >= {("account:police", "spouse_consent")}


def test_every_view_and_change_is_audited_and_the_change_reaches_the_kiosk(app, bo):
    key = enrol_kiosk(bo)
    number = deliver(bo)
    police = as_user(app, "police")
    police.get(f"/officials/items/{number}/hukou")
    r = police.post(f"/officials/items/{number}/hukou/status",
                    data={"status": "more_materials_needed", "note": "请带户口簿原件", "csrf": csrf_of(police)},
                    follow_redirects=False)
    assert r.status_code == 303
    page = police.get(f"/officials/items/{number}/hukou").text
    assert "请带户口簿原件" in page and "more_materials_needed" in page
    log = [(e["actor"], e["action"], e["number"], e["item_id"]) for e in audit.entries(bo.engine)]
    assert log.count(("account:police", "item.view", number, "hukou")) == 2
    assert ("account:police", "item.status", number, "hukou") in log
    # the kiosk pulls it with its own signature
    target = "/v1/status-changes?after=0"
    with TestClient(app) as kiosk:
        h = proto.sign_request(key, "GET", target, KIOSK, b"", int(time.time()))
        changes = kiosk.get(target, headers=h).json()["changes"]
    assert [(c["number"], c["item_id"], c["status"]) for c in changes] == [(number, "hukou", "more_materials_needed")]
    assert "note" not in changes[0]                                   # notes stay in the back office
    bad = police.post(f"/v1/officials/items/{number}/hukou/status", json={"status": "lost"},
                      headers={"x-csrf-token": csrf_of(police)})
    assert bad.status_code == 422


def test_a_material_photo_is_shown_to_its_department_only_and_each_view_is_audited(app, bo):
    number = deliver(bo, "retirement", photo_bytes=2048)
    photo = DemoApplications(photo_bytes=2048).photo
    pensions = as_user(app, "pensions")
    item = pensions.get(f"/v1/officials/items/{number}/pension").json()
    assert [(m["id"], m["attached"]) for m in item["materials"]] == [("bank_card_photo", True)]
    r = pensions.get(f"/officials/items/{number}/pension/materials/bank_card_photo")
    assert r.status_code == 200 and r.content == photo
    assert "sandbox" in r.headers["content-security-policy"] and r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == "no-store"
    assert as_user(app, "police").get(f"/officials/items/{number}/pension/materials/bank_card_photo").status_code == 404
    actions = [(e["actor"], e["action"], e["detail"]) for e in audit.entries(bo.engine)]
    assert ("account:pensions", "material.view", "bank_card_photo") in actions


def test_roles_decide_what_an_account_sees(app, bo):
    number = deliver(bo)
    audra = as_user(app, "audra")
    assert audra.get("/v1/officials/applications").status_code == 403
    assert audra.get(f"/officials/items/{number}/hukou").status_code == 404
    assert audra.get("/v1/officials/audit").status_code == 200 and audra.get("/officials/audit").status_code == 200
    root = as_user(app, "root")
    assert root.get("/v1/officials/applications").status_code == 403
    assert root.get(f"/v1/officials/items/{number}/hukou").status_code == 403
    clara = as_user(app, "clara")
    assert clara.get("/officials").status_code == 403 and clara.get("/officials/audit").status_code == 403
    police = as_user(app, "police")
    assert police.get("/v1/officials/audit").status_code == 403
    assert CITIZEN_NAME not in audra.get("/officials/audit").text       # the log names numbers, not people


def test_api_docs_come_from_this_server_behind_sign_in(app):
    c = as_user(app, "police")
    page = c.get("/docs")
    assert page.status_code == 200
    srcs = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert srcs and all(s.startswith("/docs/assets/") for s in srcs), srcs     # no CDN
    for s in srcs:
        r = c.get(s)
        assert r.status_code == 200 and len(r.content) > 100, s
    assert b"SwaggerUIBundle" in c.get("/docs/assets/swagger-ui-bundle.js").content
    assert c.get("/docs/assets/../../etc/passwd").status_code in (404, 401)
    spec = c.get("/openapi.json").json()
    for path in ("/v1/applications/batch", "/v1/records/lookup", "/v1/officials/applications",
                 "/v1/officials/items/{number}/{item_id}/status"):
        assert path in spec["paths"], path
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_pages_forbid_framing_scripts_and_caching(app, bo):
    deliver(bo)
    c = as_user(app, "police")
    r = c.get("/officials")
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "script" not in csp
    assert r.headers["x-frame-options"] == "DENY" and r.headers["cache-control"] == "no-store"
    assert r.headers["referrer-policy"] == "same-origin"       # no referrer to other sites; Origin kept for our own
    assert "<script" not in r.text


def test_no_log_line_holds_a_citizen_s_name_or_id_number(app, bo, caplog):
    caplog.set_level(logging.DEBUG)
    key = enrol_kiosk(bo)
    number = deliver(bo)
    police = as_user(app, "police")
    police.get(f"/officials/items/{number}/hukou")
    police.post(f"/officials/items/{number}/hukou/status", data={"status": "accepted", "csrf": csrf_of(police)})
    body = proto.canonical_json({"id_number": CITIZEN_ID})
    with TestClient(app) as kiosk:
        h = proto.sign_request(key, "POST", "/v1/records/lookup", KIOSK, body, int(time.time()))
        kiosk.post("/v1/records/lookup", content=body, headers={**h, "content-type": "application/json"})
    text = caplog.text + "".join(str(e) for e in audit.entries(bo.engine))
    for secret in (CITIZEN_NAME, CITIZEN_NAME[0] + "秀", CITIZEN_ID, CITIZEN_ID[-6:], CITIZEN_ID[6:14], CHILD_NAME):
        assert secret not in text, secret


def test_admins_manage_accounts_in_the_browser_and_department_admins_only_their_officials(app, bo):
    root = as_user(app, "root")
    r = root.post("/officials/accounts", data={"username": "wang", "password": PASSWORD, "role": "official",
                                                "departments": f"{POLICE}, {CIVIL}", "csrf": csrf_of(root)},
                  follow_redirects=False)
    assert r.status_code == 303
    wang = as_user(app, "wang")
    assert wang.get("/v1/officials/me").json()["departments"] == sorted([POLICE, CIVIL])
    r = root.post("/officials/accounts/wang", data={"action": "disable", "csrf": csrf_of(root)}, follow_redirects=False)
    assert r.status_code == 303 and wang.get("/v1/officials/me").status_code == 401      # sessions ended
    # a department admin: officials of their own departments only, nothing else
    pensions = as_user(app, "pensions")
    token = csrf_of(pensions)
    for data in ({"username": "boss", "role": "admin", "departments": ""},
                 {"username": "cop", "role": "official", "departments": POLICE}):
        r = pensions.post("/officials/accounts", data={**data, "password": PASSWORD, "csrf": token})
        assert r.status_code == 403, data
    r = pensions.post("/officials/accounts", data={"username": "li", "role": "official", "departments": HR,
                                                    "password": PASSWORD, "csrf": token}, follow_redirects=False)
    assert r.status_code == 303
    page = pensions.get("/officials/accounts").text
    assert "li" in page and "police" not in page and "root" not in page
    assert pensions.post("/officials/accounts/police", data={"action": "disable", "csrf": token}).status_code == 404
    assert as_user(app, "police").get("/officials/accounts").status_code == 403
    assert "Call 0571" not in pensions.get("/officials/accounts?notice=Call+0571+now").text
    actions = [(e["actor"], e["action"]) for e in audit.entries(bo.engine)]
    assert ("account:root", "account.create") in actions and ("account:pensions", "account.create") in actions
