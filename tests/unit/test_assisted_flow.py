"""Assisted applications in the flow, without Qt (issue 12 parts 4-6): for someone else (代办),
identity without the card (刷脸办), counter mode; and their domain parts."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from kiosk.domain.assisted import AUTHORISATION, ID_NUMBER, ProxyRecord, identity_from_reference
from kiosk.domain.catalogue import CatalogueError, parse_catalogue
from kiosk.domain.identity import Identity
from kiosk.domain.idnumber import resident_id_check_char
from kiosk.flows import assist_messages as am
from kiosk.flows import effects as fx
from kiosk.flows import events as ev
from kiosk.flows import messages as msg
from kiosk.flows.journey import FlowConfig, Step, handle, initial_state
from kiosk.flows.staff_state import OnDuty, StaffState
from tests.unit.flow_run import run


@pytest.fixture
def config(small_catalogue):
    # retirement allows proxies here; newborn does not (the default)
    bundles = tuple(replace(b, proxy_allowed=True) if b.id == "retirement" else b for b in small_catalogue.bundles)
    return FlowConfig(catalogue=replace(small_catalogue, bundles=bundles), timeout_seconds=60, warning_seconds=15)


def person(first17: str, name: str, doc: str) -> Identity:
    born = date(int(first17[6:10]), int(first17[10:12]), int(first17[12:14]))
    return Identity(document_number=doc, name=name, name_latin="", sex="F", birth_date=born,
                    expiry_date=date(2036, 1, 1), personal_number=first17 + resident_id_check_char(first17),
                    photo=b"\xff\xd8\xff" + name.encode())


AGENT = person("33010619851105017", "陈浩", "E40672981")
PRINCIPAL = person("33010619580612024", "周淑芬", "E73914205")


def at_choose(config, now, who=AGENT):
    s, _ = run(initial_state(config), [ev.CardInserted()], now)
    s, _ = run(s, [ev.CardRead(s.attempt, who), ev.RecordsUnavailable(s.attempt), ev.FaceChecked(s.attempt, True, 0.3)], now)
    assert s.step == Step.CHOOSE_BUNDLE
    return s


def to_proxy_choose(config, now):
    s = at_choose(config, now)
    agent_attempt = s.attempt
    s, fx1 = run(s, [ev.ProxyRequested()], now)
    assert s.step == Step.PROXY_PRINCIPAL and s.attempt == agent_attempt + 1 and fx1 == []
    s, effects = run(s, [ev.CardRemoved(), ev.CardInserted()], now)
    assert effects == [fx.ReadCard(s.attempt)]
    s, effects = run(s, [ev.CardRead(s.attempt, PRINCIPAL)], now)
    assert s.step == Step.PROXY_RELATIONSHIP and s.session.identity is PRINCIPAL
    assert [type(e) for e in effects] == [fx.LookUpRecords] and effects[0].identity is PRINCIPAL
    s, _ = run(s, [ev.RelationshipChosen("child"), ev.MaterialCaptureRequested(AUTHORISATION)], now)
    s, _ = run(s, [ev.MaterialCaptured(s.attempt, AUTHORISATION, b"\xff\xd8\xffPOA"), ev.NextRequested()], now)
    assert s.step == Step.CHOOSE_BUNDLE and s.session.proxy.relationship == "child"
    return s


# --- for someone else ---------------------------------------------------------------------------------

def test_proxy_reads_both_cards_and_the_principal_is_the_applicant(config, now):
    s = to_proxy_choose(config, now)
    assert s.session.answers["applicant_name"] == "周淑芬"            # prefilled from the principal's card
    assert s.session.face.matched                                  # the agent's face was checked
    s, _ = run(s, [ev.BundleChosen("retirement"), ev.NextRequested({}),
                   ev.NextRequested({"applicant_phone": "13800138000", "sms_consent": "no"})], now)
    assert s.step in (Step.MATERIALS, Step.REVIEW)
    if s.step == Step.MATERIALS:
        s, _ = run(s, [ev.MaterialCaptureRequested("bank_card_photo")], now)
        s, _ = run(s, [ev.MaterialCaptured(s.attempt, "bank_card_photo", b"\xff\xd8\xffcard"), ev.NextRequested()], now)
    assert s.step == Step.REVIEW
    draft = s.session.draft
    assert draft.proxy == ProxyRecord("陈浩", AGENT.personal_number, "child", True)
    assert draft.attachments[AUTHORISATION] == b"\xff\xd8\xffPOA"
    assert draft.answer("applicant_name").value == "周淑芬"


def test_only_bundles_that_allow_proxies_can_be_chosen(config, now):
    s = to_proxy_choose(config, now)
    refused, effects = handle(s, ev.BundleChosen("newborn"), now)
    assert refused.step == Step.CHOOSE_BUNDLE and refused.notice == am.PROXY_ONLY_ALLOWED and effects == []
    assert handle(s, ev.BundleChosen("retirement"), now)[0].step == Step.FORM


def test_the_agents_late_records_never_reach_the_principals_form(config, now):
    s = at_choose(config, now)
    old = s.attempt
    s, _ = run(s, [ev.ProxyRequested(), ev.CardInserted()], now)
    s, _ = run(s, [ev.CardRead(s.attempt, PRINCIPAL)], now)
    from kiosk.domain.government import GovernmentData
    late = GovernmentData({"hukou_address": "the agent's address"}, frozenset())
    after, _ = handle(s, ev.RecordsFound(old, late), now)
    assert after is s                                              # dropped: another attempt


def test_the_agents_own_card_is_not_a_principal_and_a_bad_card_can_be_replaced(config, now):
    s = at_choose(config, now)
    s, _ = run(s, [ev.ProxyRequested(), ev.CardInserted()], now)
    same, _ = handle(s, ev.CardRead(s.attempt, AGENT), now)
    assert same.step == Step.PROXY_PRINCIPAL and same.notice == am.SAME_CARD and not same.session.proxy.reading
    fake, _ = handle(s, ev.CardRead(s.attempt, PRINCIPAL, genuine=False), now)
    assert fake.step == Step.PROXY_PRINCIPAL and fake.notice == msg.NOT_GENUINE


def test_relationship_from_the_fixed_list_and_authorisation_needed(config, now):
    s = at_choose(config, now)
    s, _ = run(s, [ev.ProxyRequested(), ev.CardInserted()], now)
    s, _ = run(s, [ev.CardRead(s.attempt, PRINCIPAL), ev.RelationshipChosen("neighbour")], now)
    assert s.step == Step.PROXY_RELATIONSHIP                        # not on the list
    s, _ = run(s, [ev.RelationshipChosen("spouse"), ev.NextRequested()], now)
    assert s.step == Step.PROXY_AUTHORISATION and s.notice == am.AUTHORISATION_NEEDED
    # Removing the principal's card here ends the session like on any card-bound step.
    ended, _ = handle(s, ev.CardRemoved(), now)
    assert ended.step == Step.ATTRACT and ended.session is None


# --- without the card ---------------------------------------------------------------------------------

NUMBER = PRINCIPAL.personal_number


def test_no_card_is_not_offered_offline(config, now):
    s, effects = handle(initial_state(config), ev.NoCardRequested(), now)
    assert s.step == Step.ATTRACT and s.notice == am.NO_CARD_OFFLINE and effects == []


def no_card_entry(config, now):
    s, _ = run(initial_state(config), [ev.IdentityServiceChanged(True), ev.NoCardRequested()], now)
    assert s.step == Step.ID_NUMBER
    return s


def test_id_number_with_a_bad_check_character_is_refused_before_any_request(config, now):
    s = no_card_entry(config, now)
    wrong = NUMBER[:17] + ("0" if NUMBER[17] != "0" else "1")
    after, effects = handle(s, ev.IdNumberEntered(wrong), now)
    assert after.notice == am.ID_NUMBER_INVALID and effects == []


def test_id_number_then_reference_then_the_face_check_against_it(config, now):
    s = no_card_entry(config, now)
    s, effects = handle(s, ev.IdNumberEntered(" " + NUMBER.lower() + " "), now)
    assert effects == [fx.FetchReference(s.attempt, NUMBER, config.reference_timeout_seconds)]
    someone_else = identity_from_reference(AGENT.personal_number, "陈浩", b"\xff\xd8\xffX")
    refused, _ = handle(s, ev.ReferenceFound(s.attempt, someone_else), now)
    assert refused.step == Step.ID_NUMBER and refused.session.identity is None
    ref = identity_from_reference(NUMBER, "周淑芬", b"\xff\xd8\xffREF")
    assert ref.birth_date == date(1958, 6, 12) and ref.sex == "F"
    s, effects = handle(s, ev.ReferenceFound(s.attempt, ref), now)
    assert s.step == Step.FACE_CHECK
    assert effects[0] == fx.StartFaceCheck(s.attempt, b"\xff\xd8\xffREF")
    s, _ = run(s, [ev.RecordsUnavailable(s.attempt), ev.FaceChecked(s.attempt, True, 0.3)], now)
    assert s.step == Step.CHOOSE_BUNDLE and s.session.answers["applicant_name"] == "周淑芬"
    s, _ = run(s, [ev.BundleChosen("retirement"), ev.NextRequested({}),
                   ev.NextRequested({"applicant_phone": "13800138000", "sms_consent": "no"})], now)
    if s.step == Step.MATERIALS:
        s, _ = run(s, [ev.MaterialCaptureRequested("bank_card_photo")], now)
        s, _ = run(s, [ev.MaterialCaptured(s.attempt, "bank_card_photo", b"\xff\xd8\xffc"), ev.NextRequested()], now)
    assert s.session.draft.identity_source == ID_NUMBER
    assert b"\xff\xd8\xffREF" not in s.session.draft.attachments.values()   # the reference is never stored
    ended, effects = handle(s, ev.CancelRequested(), now)
    assert ended.session is None and fx.WipeSession() in effects            # and goes with the session


def test_the_service_going_offline_withdraws_the_path(config, now):
    s = no_card_entry(config, now)
    s, _ = handle(s, ev.IdNumberEntered(NUMBER), now)
    s, _ = handle(s, ev.ReferenceUnavailable(s.attempt, am.NO_CARD_OFFLINE, offline=True), now)
    assert s.step == Step.ID_NUMBER and not s.no_card_available and not s.session.no_card.fetching
    ended, _ = handle(s, ev.BackRequested(), now)
    assert ended.step == Step.ATTRACT
    again, _ = handle(ended, ev.NoCardRequested(), now)
    assert again.step == Step.ATTRACT and again.notice == am.NO_CARD_OFFLINE


# --- counter mode -------------------------------------------------------------------------------------

def with_clerk(config, role="clerk"):
    return replace(initial_state(config), staff=StaffState(on_duty=OnDuty("900001", role, None)))


def test_counter_mode_needs_a_signed_in_clerk_and_its_audit_entry(config, now):
    s, effects = handle(initial_state(config), ev.CounterModeRequested(), now)
    assert s.counter is None and s.notice == am.COUNTER_CLERK_NEEDED and effects == []
    s, effects = handle(with_clerk(config), ev.CounterModeRequested(), now)
    assert effects == [fx.RecordCounterMode("900001", "start")] and not s.counter.confirmed
    failed, _ = handle(s, ev.CounterModeRecorded(False), now)
    assert failed.counter is None and failed.notice == am.COUNTER_NOT_RECORDED
    s, _ = handle(s, ev.CounterModeRecorded(True), now)
    assert s.counter.confirmed


def test_counter_mode_records_the_clerk_and_only_the_citizen_consents(config, now):
    s, _ = run(with_clerk(config), [ev.CounterModeRequested(), ev.CounterModeRecorded(True)], now)
    s = replace(s, config=config)
    s, _ = run(s, [ev.CardInserted()], now)
    assert s.counter is not None                                   # survives the new session
    s, _ = run(s, [ev.CardRead(s.attempt, AGENT), ev.RecordsUnavailable(s.attempt), ev.FaceChecked(s.attempt, True, 0.3),
                   ev.BundleChosen("retirement"), ev.NextRequested({}),
                   ev.NextRequested({"applicant_phone": "13800138000", "sms_consent": "no"})], now)
    if s.step == Step.MATERIALS:
        s, _ = run(s, [ev.MaterialCaptureRequested("bank_card_photo")], now)
        s, _ = run(s, [ev.MaterialCaptured(s.attempt, "bank_card_photo", b"\xff\xd8\xffc"), ev.NextRequested()], now)
    assert s.step == Step.REVIEW and s.session.draft.counter_staff == "900001"
    waiting, effects = handle(s, ev.SubmitRequested(consent=True), now)     # the clerk's tick does not count
    assert waiting.step == Step.REVIEW and waiting.notice == am.COUNTER_CONSENT_WAITING and effects == []
    s, effects = run(s, [ev.CitizenConsented(), ev.SubmitRequested(consent=False)], now)
    assert s.step == Step.SUBMITTING and effects[0].draft.consent and effects[0].draft.counter_staff == "900001"
    ended, effects = run(s, [ev.ApplicationStored(s.attempt, effects[0].draft.numbered(
        "3301060001-000001-20261123100000-0", "3301060001", now)), ev.CancelRequested()], now)
    ended, effects = run(ended, [ev.CounterModeEnded()], now)
    assert ended.counter is None and effects == [fx.RecordCounterMode("900001", "end")]


# --- domain ------------------------------------------------------------------------------------------

def test_proxy_allowed_is_validated_and_defaults_to_false(small_catalogue):
    import yaml

    from tests.conftest import FIXTURES
    data = yaml.safe_load((FIXTURES / "catalogue_small.yaml").read_text("utf-8"))
    assert not any(b.proxy_allowed for b in parse_catalogue(data).bundles)
    data["bundles"][1]["proxy_allowed"] = "yes"
    with pytest.raises(CatalogueError, match=r"bundles\[1\]\.proxy_allowed"):
        parse_catalogue(data)
    data["bundles"][1]["proxy_allowed"] = True
    assert parse_catalogue(data).bundle("retirement").proxy_allowed
    data["materials"][AUTHORISATION] = {"title": "x", "held_by_government": False}
    with pytest.raises(CatalogueError, match="reserved"):
        parse_catalogue(data)


def test_the_shipped_catalogue_allows_proxies_for_elderly_and_medical_bundles(real_catalogue):
    allowed = {b.id for b in real_catalogue.bundles if b.proxy_allowed}
    assert {"retirement", "elderly_care"} <= allowed and "marriage" not in allowed and "business_startup" not in allowed


def test_an_application_carries_both_identities_and_the_receipt_only_the_relationship(small_catalogue, now):
    from kiosk.domain.application import Application
    from kiosk.domain.drafting import build_draft
    from kiosk.services.receipts.content import ReceiptOptions, receipt_content
    from kiosk.domain.text import Text
    draft = build_draft(small_catalogue, small_catalogue.bundle("retirement"), {"applicant_name": "周淑芬"},
                        frozenset(), {}, drafted_at=now, proxy=ProxyRecord("陈浩", AGENT.personal_number, "child"),
                        authorisation=b"\xff\xd8\xffPOA", counter_staff="900001")
    app = replace(draft, consent=True).numbered("3301060001-000001-20261123100000-0", "3301060001", now)
    rec = app.to_record()
    assert rec["proxy"]["agent_id_number"] == AGENT.personal_number and rec["counter_staff"] == "900001"
    back = Application.from_record(rec)
    assert back.proxy == app.proxy and back.counter_staff == "900001" and back.identity_source == "card"
    content = receipt_content(app, ReceiptOptions(Text("k", "k"), "https://x"))
    printed = " ".join(f"{t.zh} {t.en}" for t in content.assisted)
    assert "子女" in printed and "900001" in printed
    assert "陈浩" not in printed and AGENT.personal_number[-4:] not in printed
