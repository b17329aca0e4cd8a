"""Every bundle of the shipped catalogue can be walked to a complete application, with any
combination of choices; invalid answers are refused with the right message."""
from __future__ import annotations

import random
from datetime import date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.domain.form import form_pages, prefill, validate_value
from kiosk.domain.identity import Identity
from kiosk.domain.idnumber import resident_id_check_char
from kiosk.domain.samples import sample_answer
from kiosk.flows import events as ev
from kiosk.flows.journey import FlowConfig, Step, handle, initial_state
from kiosk.services.catalogue_store import load_catalogue
from tests.conftest import ROOT

CATALOGUE = load_catalogue(ROOT / "assets" / "catalogue" / "catalogue.yaml")
NOW = datetime(2026, 11, 23, 10, 0)
PEOPLE = [
    Identity("E1", "林晓雯", "LIN XIAOWEN", "F", date(1990, 8, 21), expiry_date=date(2036, 1, 1),
             personal_number="33010619900821032X", address="浙江省杭州市西湖区文三路399号"),
    Identity("E2", "周建国", "ZHOU JIANGUO", "M", date(1940, 2, 2), expiry_date=date(2036, 1, 1),
             personal_number="33010619400202001" + resident_id_check_char("33010619400202001"), address="浙江省杭州市西湖区保俶路1号"),
]


def walk(bundle_id: str, identity: Identity, rng: random.Random):
    """Drive the real flow through every page, answering each field the way `rng` picks."""
    cfg = FlowConfig(catalogue=CATALOGUE)
    s, _ = handle(initial_state(cfg), ev.CardInserted(), NOW)
    s, _ = handle(s, ev.CardRead(s.attempt, identity), NOW)
    s, _ = handle(s, ev.FaceChecked(s.attempt, True, 0.3), NOW)
    s, _ = handle(s, ev.BundleChosen(bundle_id), NOW)
    for _ in range(60):
        if s.step != Step.FORM:
            break
        page = s.pages(NOW)[s.session.page]
        values = {}
        for f in page.fields:
            if s.session.answers.get(f.id):
                continue
            if f.type == "choice":
                values[f.id] = rng.choice(f.choices).value
            else:
                values[f.id] = sample_answer(f, NOW.date(), rng)
        s, _ = handle(s, ev.NextRequested(values), NOW)
        assert not s.session.errors, (bundle_id, page.topic.id, dict(s.session.errors))
    if s.step == Step.MATERIALS:                     # photograph each material once
        for m in s.materials(NOW):
            if (not m.held_by_government and rng.random() < 0.9) or (not m.optional and not m.held_by_government):
                s, _ = handle(s, ev.MaterialCaptureRequested(m.id), NOW)
                s, _ = handle(s, ev.MaterialCaptured(s.attempt, m.id, b"jpeg-" + m.id.encode()), NOW)
        s, _ = handle(s, ev.NextRequested(), NOW)
    assert s.step == Step.REVIEW, f"{bundle_id}: did not reach the review"
    return s


@pytest.mark.parametrize("bundle_id", [b.id for b in CATALOGUE.bundles])
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6), who=st.sampled_from(PEOPLE))
def test_every_bundle_walks_to_a_complete_application(bundle_id, seed, who):
    s = walk(bundle_id, who, random.Random(seed))
    app = s.session.draft                                       # the one the review shows and the store numbers
    needed = {m[0] for m in app.materials if not m[2]}
    required = {m.id for m in s.materials(NOW) if not m.held_by_government and not m.optional}
    assert required <= set(app.attachments) <= needed          # every required photo, once, nothing extra
    assert len(app.requests) >= 3
    asked = {a.field_id for a in app.answers}
    for r in app.requests:
        assert set(r.fields) <= asked
        assert r.due >= NOW.date()
    for a in app.answers:                                       # every answer that applies is valid
        f = CATALOGUE.fields[a.field_id]
        assert validate_value(f, a.value, NOW.date()) is None, (bundle_id, a.field_id, a.value)
    ids = [a.field_id for a in app.answers]
    assert len(ids) == len(set(ids))                            # each question once


@pytest.mark.parametrize("bundle_id", [b.id for b in CATALOGUE.bundles])
def test_citizen_types_nothing_the_chip_or_government_provides(bundle_id):
    answers, verified = prefill(CATALOGUE, PEOPLE[0], {"hukou_address": "浙江省杭州市西湖区", "marital_status": "married",
                                                       "employer_name": "某公司", "social_security_number": PEOPLE[0].personal_number,
                                                       "contribution_years": "12", "housing_fund_account": "3301009",
                                                       "medical_insurance_type": "employee"})
    for page in form_pages(CATALOGUE, CATALOGUE.bundle(bundle_id), answers, NOW.date()):
        for f in page.fields:
            if f.source and f.source.startswith("chip.") and f.source[5:] in ("name", "birth_date", "personal_number", "sex"):
                assert f.id in verified, f"{bundle_id}: {f.id} should be prefilled from the chip"


@pytest.mark.parametrize("ftype, bad, words", [
    ("resident_id", "330106199008210321", "not valid"),
    ("phone", "2345", "11 digits"),
    ("date", "2026-02-30", "year-month-day"),
    ("bank_account", "12ab", "12 to 19 digits"),
])
def test_invalid_answers_in_the_shipped_catalogue_are_refused_plainly(ftype, bad, words):
    f = next(f for f in CATALOGUE.fields.values() if f.type == ftype)
    err = validate_value(f, bad, NOW.date())
    assert err is not None and words in err.en and err.zh
