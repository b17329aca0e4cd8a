"""Government records for prefill: the kiosk's signed lookup through the real HTTP client
against a real server on 127.0.0.1, what it returns for a citizen (values and materials held),
its refusals, its rate limit, its audit (a keyed hash, never the number), and the client's own
checks on what comes back."""
from __future__ import annotations

from datetime import date

import time
import warnings
from pathlib import Path

import pytest
import yaml

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from backoffice import audit
from backoffice.app import create_app
from backoffice.records import YamlRecordsSource
from backoffice.web import WebSettings
from kiosk.services.records_client import (GovernmentRecords, RecordsUnavailable, lookup_government_records,
                                           parse_answer)
from kiosk.services.sync import protocol as proto
from kiosk.services.sync.client import SyncClient
from tests.backoffice_support import KIOSK, enrol_kiosk, fast_hasher, live_server, new_backoffice

ROOT = Path(__file__).resolve().parent.parent.parent
DEMO_RECORDS = ROOT / "assets" / "demo" / "government-records.yaml"
LIN = "33010619900821032X"          # 林晓雯, fictional, married
CHEN = "330106198511050170"         # 陈浩, fictional, married, a newborn daughter


@pytest.fixture
def bo(tmp_path):
    b = new_backoffice(tmp_path)
    yield b
    b.engine.dispose()


def client(bo, url, key):
    return SyncClient(url, KIOSK, key, bo.keys.signing.public_key(), timeout=5)


def test_a_kiosk_gets_what_the_government_holds_for_this_citizen(bo):
    key = enrol_kiosk(bo)
    app = create_app(bo, WebSettings(hasher=fast_hasher(), records=YamlRecordsSource(DEMO_RECORDS)))
    with live_server(app) as url:
        c = client(bo, url, key)
        try:
            lin = lookup_government_records(c, LIN)
            chen = lookup_government_records(c, CHEN)
            nobody = lookup_government_records(c, "11010519491231002X")
        finally:
            c.close()
    assert lin.found and lin.values["marital_status"] == "married" and lin.values["hukou_address"].startswith("浙江省")
    assert "marriage_certificate" in lin.held_materials and "hukou_booklet" in lin.held_materials
    assert chen.values["spouse_name"] == "苏婉清" and chen.values["newborn_birth_date"] == "2026-08-16"
    assert "marriage_certificate" in chen.held_materials
    assert nobody == GovernmentRecords(False)
    entries = [e for e in audit.entries(bo.engine) if e["action"] == "records.lookup"]
    assert len(entries) == 3 and entries[-1]["actor"] == f"kiosk:{KIOSK}"
    assert entries[-1]["detail"] == f"{bo.at_rest.id_tag(LIN)} found"           # findable by whoever holds the key
    assert not any(LIN in e["detail"] or LIN[6:14] in e["detail"] for e in entries)


def test_without_a_records_source_unsigned_or_revoked_the_kiosk_gets_nothing_to_rely_on(bo):
    key = enrol_kiosk(bo)
    with live_server(create_app(bo, WebSettings(hasher=fast_hasher()))) as url:
        c = client(bo, url, key)
        with pytest.raises(RecordsUnavailable, match="503"):
            lookup_government_records(c, LIN)
        import httpx
        r = httpx.post(url + "/v1/records/lookup", json={"id_number": LIN}, trust_env=False)
        assert r.status_code == 401
        bo.revoke(KIOSK)
        with pytest.raises(RecordsUnavailable, match="403"):
            lookup_government_records(c, LIN)
        c.close()


def test_lookups_are_limited_per_kiosk_and_need_a_resident_id_number(bo):
    key = enrol_kiosk(bo)
    app = create_app(bo, WebSettings(hasher=fast_hasher(), records=YamlRecordsSource(DEMO_RECORDS),
                                     records_per_minute=3))
    with TestClient(app) as http:
        def lookup(id_number):
            body = proto.canonical_json({"id_number": id_number})
            h = proto.sign_request(key, "POST", "/v1/records/lookup", KIOSK, body, int(time.time()))
            return http.post("/v1/records/lookup", content=body, headers={**h, "content-type": "application/json"})
        assert lookup("33010619900821032Y").status_code == 422
        assert [lookup(LIN).status_code for _ in range(4)] == [200, 200, 200, 429]


def test_the_kiosk_client_refuses_answers_out_of_bounds():
    ok = parse_answer({"found": True, "values": {"marital_status": "married"}, "held_materials": ["hukou_booklet"]})
    assert ok.values == {"marital_status": "married"} and ok.held_materials == {"hukou_booklet"}
    for bad in (None, [], {"found": "yes"}, {"found": True, "values": {"A B": "x"}},
                {"found": True, "values": {"k": "x" * 501}}, {"found": True, "values": {"k": 3}},
                {"found": True, "values": {f"k{i}": "v" for i in range(201)}},
                {"found": True, "held_materials": ["../etc"]}, {"found": False, "values": {"k": "v"}}):
        with pytest.raises(RecordsUnavailable):
            parse_answer(bad)


def test_the_demo_records_are_the_demo_citizens_government_entries():
    citizens = yaml.safe_load((ROOT / "assets" / "demo" / "citizens.yaml").read_text("utf-8"))["citizens"]
    source = YamlRecordsSource(DEMO_RECORDS)
    for c in citizens:
        held = source.lookup(c["personal_number"])
        assert held is not None and dict(held.values) == {k: str(v) for k, v in c["government"].items()}, c["id"]


def test_the_kiosk_port_prefills_and_marks_held_only_what_the_back_office_returned(bo):
    """The kiosk's GovernmentRecords backend over the real HTTP API: this citizen's values and held
    materials come through; a citizen the government has no records of gets nothing held."""
    from kiosk.domain.identity import Identity
    from kiosk.services.records_client import BackofficeGovernmentRecords
    key = enrol_kiosk(bo)
    app = create_app(bo, WebSettings(hasher=fast_hasher(), records=YamlRecordsSource(DEMO_RECORDS)))
    with live_server(app) as url:
        port = BackofficeGovernmentRecords(lambda timeout: SyncClient(url, KIOSK, key, bo.keys.signing.public_key(),
                                                                      timeout=timeout))
        def person(number: str) -> Identity:
            return Identity(document_number="E12345678", name="某某", name_latin="MOU MOU", sex="F",
                            birth_date=date(1990, 8, 21), personal_number=number)
        lin = port.lookup(person(LIN), 5.0)
        nobody = port.lookup(person("11010519491231002X"), 5.0)
        passport = port.lookup(person(""), 5.0)
    assert lin.values["marital_status"] == "married" and "marriage_certificate" in lin.materials
    assert not nobody.values and not nobody.materials
    assert not passport.values and not passport.materials
