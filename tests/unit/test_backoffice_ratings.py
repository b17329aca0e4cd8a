"""Ratings in the back office: each rating is checked against the rating rules and filed once;
a bad rating with a call back becomes a case for the departments concerned, handled open ->
called -> closed with who and when, and seen only by those departments' officials; the report
counts ratings per department, bundle and kiosk."""
from __future__ import annotations

import warnings
from datetime import datetime

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from backoffice import audit
from backoffice.app import create_app
from backoffice.feedback import Ratings
from backoffice.web import WebSettings
from kiosk.domain.rating import make_feedback
from tests.backoffice_support import (CIVIL, HEALTH, KIOSK, PASSWORD, POLICE, csrf_of, deliver, fast_hasher,
                                      new_backoffice, sign_in)

from testkit.sync_drills import DemoApplications

RATED = datetime(2026, 11, 23, 10, 0).isoformat()


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
    accounts.create("civil", PASSWORD, "official", [CIVIL])
    accounts.create("audra", PASSWORD, "auditor")
    return a


def as_user(app, name):
    c = TestClient(app)
    assert sign_in(c, name).status_code == 303
    return c


def wire(number, score, items=(), reasons=(), callback=False):
    return make_feedback(number, score, items, reasons, callback, items).to_wire(RATED)


def test_a_rating_is_filed_once_and_a_different_one_is_a_conflict(bo):
    number = deliver(bo)
    r = Ratings(bo)
    assert r.accept(KIOSK, [wire(number, 5, ["hukou"], ["fast"])])[0]["result"] == "created"
    assert r.accept(KIOSK, [wire(number, 5, ["hukou"], ["fast"])])[0]["result"] == "duplicate"
    assert r.accept(KIOSK, [wire(number, 1, ["hukou"], ["long_wait"], True)])[0]["result"] == "conflict"


def test_a_rating_for_an_application_not_here_yet_waits(bo):
    number = DemoApplications(KIOSK).application("newborn", 9).number
    assert Ratings(bo).accept(KIOSK, [wire(number, 4)])[0]["result"] == "not_yet"


@pytest.mark.parametrize("mangle, detail", [
    (lambda w: {**w, "ratings": [{"item_id": "", "score": 9, "reasons": []}]}, "score"),
    (lambda w: {**w, "ratings": [{"item_id": "", "score": 1, "reasons": ["<script>"]}]}, "reason"),
    (lambda w: {**w, "ratings": [{"item_id": "", "score": 1, "reasons": ["long_wait"] * 7}]}, "malformed"),
    (lambda w: {**w, "ratings": [{"item_id": "pension", "score": 1, "reasons": []}]}, "not an item of this application"),
    (lambda w: {**w, "ratings": [{"item_id": "", "score": 1, "reasons": [], "note": "x" * 10000}]}, "malformed"),
    (lambda w: {**w, "ratings": [{"item_id": "", "score": 1, "reasons": []}] * 40}, "malformed"),
    (lambda w: {**w, "ratings": [{"item_id": "hukou", "score": 1, "reasons": []}] * 2}, "twice"),
    (lambda w: {**w, "callback": "yes"}, "callback"),
    (lambda w: {**w, "callback": True}, "bad rating only"),
    (lambda w: {**w, "rated_at": "x" * 100}, "rated_at"),
    (lambda w: {**w, "rated_at": "２０２６-11-23T10:00:00"}, "rated_at"),
    (lambda w: {**w, "extra": 1}, "unexpected"),
    (lambda w: {**w, "number": DemoApplications("3301060002").application("newborn", 1).number}, "another kiosk"),
    (lambda w: {**w, "number": "x" * 5000}, "not an application number"),
    (lambda w: ["not", "a", "rating"], "malformed"),
])
def test_what_does_not_pass_the_rules_is_rejected_on_its_own(bo, mangle, detail):
    number = deliver(bo)
    good = deliver(bo, seq=2)
    results = Ratings(bo).accept(KIOSK, [mangle(wire(number, 5)), wire(good, 4)])
    assert results[0]["result"] == "rejected" and detail in results[0]["detail"], results[0]
    assert len(results[0]["number"]) <= 64
    assert results[1]["result"] == "created"                     # one bad rating holds up nothing


def test_a_call_back_is_a_case_for_the_department_rated_badly(app, bo):
    number = deliver(bo)
    Ratings(bo).accept(KIOSK, [wire(number, 1, ["hukou"], ["staff_attitude"], True)])
    police, health = as_user(app, "police"), as_user(app, "health")
    [case] = police.get("/v1/officials/callbacks").json()["cases"]
    assert case["number"] == number and case["state"] == "open"
    assert health.get("/v1/officials/callbacks").json()["cases"] == []                 # not its department
    assert health.get(f"/v1/officials/callbacks/{case['id']}").status_code == 404
    assert health.get(f"/officials/callbacks/{case['id']}").status_code == 404
    page = police.get(f"/officials/callbacks/{case['id']}")
    assert page.status_code == 200 and "13800138000" in page.text and "服务态度差" in page.text
    assert any(e["action"] == "callback.view" and e["actor"] == "account:police" for e in audit.entries(bo.engine))
    auditor = as_user(app, "audra")
    assert auditor.get("/v1/officials/callbacks").status_code == 403


def test_a_case_goes_open_called_closed_with_who_and_when(app, bo):
    number = deliver(bo)
    Ratings(bo).accept(KIOSK, [wire(number, 2, [], ["long_wait"], True)])   # the whole visit: every department
    police, civil = as_user(app, "police"), as_user(app, "civil")
    [case] = civil.get("/v1/officials/callbacks").json()["cases"]
    assert police.get("/v1/officials/callbacks").json()["cases"][0]["id"] == case["id"]
    url = f"/officials/callbacks/{case['id']}/state"
    r = police.post(url, data={"csrf": csrf_of(police), "state": "called"}, follow_redirects=False)
    assert r.status_code == 303
    r = police.post(url, data={"csrf": csrf_of(police), "state": "called"})
    assert r.status_code == 422                                                       # no step back or sideways
    r = civil.post(f"/v1/officials/callbacks/{case['id']}/state", json={"state": "closed"},
                   headers={"x-csrf-token": csrf_of(civil)})
    assert r.status_code == 200
    done = civil.get(f"/v1/officials/callbacks/{case['id']}").json()
    assert (done["state"], done["called_by"], done["closed_by"]) == ("closed", "police", "civil")
    assert done["called_at"] and done["closed_at"]
    assert police.post(url, data={"state": "closed"}).status_code == 403              # no CSRF token


def test_no_case_without_a_call_back(app, bo):
    number = deliver(bo)
    Ratings(bo).accept(KIOSK, [wire(number, 1, ["hukou"], ["long_wait"])])
    assert as_user(app, "police").get("/v1/officials/callbacks").json()["cases"] == []


def test_the_report_counts_per_department_bundle_and_kiosk_with_reasons(app, bo):
    a, b, c = deliver(bo, seq=1), deliver(bo, seq=2), deliver(bo, seq=3)
    Ratings(bo).accept(KIOSK, [wire(a, 1, ["hukou"], ["long_wait"]), wire(b, 5, ["hukou", "birth_certificate"], ["fast"]),
                               wire(c, 3, [], ["long_wait", "hard_to_use"])])
    police = as_user(app, "police")
    rep = police.get("/v1/officials/ratings").json()
    by_dept = {d["name"]: (d["count"], d["good"], d["bad"]) for d in rep["departments"]}
    assert by_dept == {"公安局": (2, 1, 1), "整体 whole visit": (1, 0, 0)}             # not the health item
    assert rep["bundles"] == [{"name": "newborn", "count": 3, "good": 1, "bad": 1, "good_share": 0.333,
                               "bad_share": 0.333, "average": 3.0}]
    assert [k["name"] for k in rep["kiosks"]] == [KIOSK]
    assert {r["id"]: r["count"] for r in rep["reasons"]} == {"long_wait": 2, "fast": 1, "hard_to_use": 1}
    page = police.get("/officials/ratings")
    assert page.status_code == 200 and "等待时间长" in page.text and "50%" in page.text
