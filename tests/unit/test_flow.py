"""The journey state machine, step by step, without Qt."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from kiosk.domain.government import GovernmentData
from kiosk.flows import effects as fx
from kiosk.flows import events as ev
from kiosk.flows import messages as msg
from kiosk.flows.journey import FlowConfig, Step, handle, initial_state
from kiosk.flows.state import Records
from tests.unit.flow_run import run

# What the records lookup returns for the test citizen: the two certificates of the small catalogue.
HOLDS = GovernmentData({}, frozenset({"birth_medical_certificate", "marriage_certificate"}))


@pytest.fixture
def config(small_catalogue):
    return FlowConfig(catalogue=small_catalogue, timeout_seconds=60, warning_seconds=15, max_face_attempts=3)


def at_choose(config, identity, now, records=HOLDS):
    """Card read, government records answered (`records`, or unavailable when None), face passed."""
    s, _ = run(initial_state(config), [ev.CardInserted()], now)
    answer = ev.RecordsFound(s.attempt, records) if records is not None else ev.RecordsUnavailable(s.attempt)
    s, _ = run(s, [ev.CardRead(s.attempt, identity), answer, ev.FaceChecked(s.attempt, True, 0.3)], now)
    assert s.step == Step.CHOOSE_BUNDLE
    return s


def test_card_insert_reads_then_face_check_starts_with_chip_photo(config, identity, now):
    s, effects = handle(initial_state(config), ev.CardInserted(), now)
    assert s.step == Step.READING_CARD and effects == [fx.ReadCard(s.attempt)]
    s, effects = handle(s, ev.CardRead(s.attempt, identity), now)
    assert s.step == Step.FACE_CHECK
    # The government records are looked up beside the face check, never before it.
    assert effects == [fx.StartFaceCheck(s.attempt, identity.photo, identity.document_number),
                       fx.LookUpRecords(s.attempt, identity, 5.0)]


def test_prefill_from_chip_is_marked_verified(config, identity, now):
    s = at_choose(config, identity, now)
    assert s.session.answers["applicant_name"] == "李秀英"
    assert s.session.answers["applicant_birth_date"] == "1962-03-15"
    assert {"applicant_name", "applicant_id_number", "applicant_birth_date"} <= s.session.verified


def test_face_mismatch_retries_then_asks_staff(config, identity, now):
    s, _ = run(initial_state(config), [ev.CardInserted()], now)
    s, _ = run(s, [ev.CardRead(s.attempt, identity)], now)
    for attempt in range(1, 4):
        s, effects = handle(s, ev.FaceChecked(s.attempt, False, 0.8), now)
        assert s.step == Step.FACE_CHECK and s.session.face.attempts == attempt
        if attempt < 3:
            assert not s.session.face.needs_staff
            s, effects = handle(s, ev.FaceRetryRequested(), now)
            assert isinstance(effects[0], fx.StartFaceCheck)
    assert s.session.face.needs_staff and s.session.face.message == msg.FACE_ASK_STAFF
    s2, effects = handle(s, ev.FaceRetryRequested(), now)
    assert s2 == s and effects == []   # no fourth attempt


def test_form_pages_back_keeps_typed_values_and_next_validates(config, identity, now):
    s = at_choose(config, identity, now)
    s, _ = handle(s, ev.BundleChosen("newborn"), now)
    assert s.step == Step.FORM and s.session.page == 0
    pages = s.pages(now)
    assert [p.topic.id for p in pages] == ["applicant", "family", "child", "contact"]
    s, _ = handle(s, ev.NextRequested({}), now)                   # applicant page: all prefilled
    assert s.session.page == 1
    s, _ = handle(s, ev.NextRequested({"applicant_marital_status": ""}), now)
    assert s.session.page == 1 and "applicant_marital_status" in s.session.errors   # stays with an error
    s, _ = handle(s, ev.NextRequested({"applicant_marital_status": "single"}), now)
    assert s.session.page == 2
    s, _ = handle(s, ev.BackRequested({"child_name": "王小宝"}), now)   # typed, not yet validated
    assert s.session.page == 1
    s, _ = handle(s, ev.NextRequested({"applicant_marital_status": "single"}), now)
    assert s.session.answers["child_name"] == "王小宝"               # Back did not lose it


def test_conditional_spouse_page_appears_and_disappears(config, identity, now):
    s = at_choose(config, identity, now)
    s, _ = run(s, [ev.BundleChosen("newborn"), ev.NextRequested({}),
                   ev.NextRequested({"applicant_marital_status": "married"})], now)
    assert "spouse" in [p.topic.id for p in s.pages(now)]
    s, _ = run(s, [ev.BackRequested({}), ev.NextRequested({"applicant_marital_status": "single"})], now)
    assert "spouse" not in [p.topic.id for p in s.pages(now)]


def test_cross_field_check_child_born_after_parent(config, identity, now):
    s = at_choose(config, identity, now)
    s, _ = run(s, [ev.BundleChosen("newborn"), ev.NextRequested({}), ev.NextRequested({"applicant_marital_status": "single"})], now)
    s, _ = handle(s, ev.NextRequested({"child_name": "王小宝", "child_birth_date": "1950-01-01"}), now)
    assert s.session.errors["child_birth_date"].en.startswith("The child's date of birth must be after")
    s, _ = handle(s, ev.NextRequested({"child_name": "王小宝", "child_birth_date": (now.date() + timedelta(days=3)).isoformat()}), now)
    assert s.session.errors["child_birth_date"].en == "This date cannot be later than today."


def fill_newborn(config, identity, now):
    s = at_choose(config, identity, now)
    return run(s, [ev.BundleChosen("newborn"), ev.NextRequested({}),
                   ev.NextRequested({"applicant_marital_status": "single"}),
                   ev.NextRequested({"child_name": "王小宝", "child_birth_date": "2026-10-01"}),
                   ev.NextRequested({"applicant_phone": "13800138000"}),
                   ev.NextRequested({})], now)[0]     # materials: all held by the government


def test_review_needs_consent_then_stores_before_printing(config, identity, now):
    s = fill_newborn(config, identity, now)
    assert s.step == Step.REVIEW
    s, effects = handle(s, ev.SubmitRequested(consent=False), now)
    assert s.step == Step.REVIEW and s.notice == msg.CONSENT_NEEDED and effects == []
    s, effects = handle(s, ev.SubmitRequested(consent=True), now)
    assert s.step == Step.SUBMITTING
    assert len(effects) == 1 and isinstance(effects[0], fx.StoreApplication)   # store first, no print yet
    assert effects[0].draft.answer("child_name").value == "王小宝" and effects[0].draft.consent
    # The identity check travels with the application: outcome, distance, attempts; no image.
    fc = effects[0].draft.face_check
    assert fc is not None and fc.matched and fc.attempts >= 1


def test_store_failure_returns_to_review_with_answers_kept(config, identity, now):
    s = fill_newborn(config, identity, now)
    s, _ = handle(s, ev.SubmitRequested(True), now)
    reason = msg.ENDED
    s, _ = handle(s, ev.StoreFailed(s.attempt, reason), now)
    assert s.step == Step.REVIEW and s.notice == reason and s.session.answers["child_name"] == "王小宝"


def test_stored_then_print_then_rating_then_wiped(config, identity, now, small_catalogue):
    from kiosk.domain.application import application_number
    s = fill_newborn(config, identity, now)
    s, (store,) = handle(s, ev.SubmitRequested(True), now)
    app = store.draft.numbered(application_number("3301060001", 1, now), "3301060001", now)
    s, effects = handle(s, ev.ApplicationStored(s.attempt, app), now)
    assert s.step == Step.RECEIPT and effects == [fx.PrintReceipt(s.attempt, app)]
    s, _ = handle(s, ev.ReceiptTaken(), now)
    assert s.step == Step.RECEIPT                          # cannot leave while printing
    s, _ = handle(s, ev.ReceiptPrinted(s.attempt, "/tmp/r.pdf"), now)
    s, _ = handle(s, ev.CardRemoved(), now)                # taking the card now does not cancel anything
    assert s.step == Step.RECEIPT and s.session.identity is None
    s, _ = handle(s, ev.ReceiptTaken(), now)
    assert s.step == Step.RATING
    s, effects = handle(s, ev.Rated(5), now)
    assert s.step == Step.ATTRACT and s.session is None
    assert fx.SaveRating(app.number, 5) in effects and fx.WipeSession() in effects


def test_a_rating_names_departments_reasons_and_a_call_back_and_keeps_the_score_if_the_rest_slipped(
        config, identity, now, small_catalogue):
    from kiosk.domain.application import application_number
    s = fill_newborn(config, identity, now)
    s, (store,) = handle(s, ev.SubmitRequested(True), now)
    app = store.draft.numbered(application_number("3301060001", 1, now), "3301060001", now)
    s, _ = handle(s, ev.ApplicationStored(s.attempt, app), now)
    s, _ = handle(s, ev.ReceiptPrinted(s.attempt, "/tmp/r.pdf"), now)
    s, _ = handle(s, ev.ReceiptTaken(), now)
    _done, effects = handle(s, ev.Rated(2, ("hukou",), ("long_wait",), True), now)
    assert fx.SaveRating(app.number, 2, ("hukou",), ("long_wait",), True) in effects
    _done, effects = handle(s, ev.Rated(2, ("not_an_item",), ("fast",), True), now)
    assert fx.SaveRating(app.number, 2) in effects


def test_print_failure_says_application_is_submitted_and_allows_reprint(config, identity, now, small_catalogue):
    s = fill_newborn(config, identity, now)
    s, (store,) = handle(s, ev.SubmitRequested(True), now)
    app = store.draft.numbered("x", "3301060001", now)
    s, _ = handle(s, ev.ApplicationStored(s.attempt, app), now)
    s, _ = handle(s, ev.PrintFailed(s.attempt, msg.ENDED), now)
    assert "HAS been submitted" in s.session.receipt.error.en
    s, effects = handle(s, ev.ReprintRequested(), now)
    assert effects == [fx.PrintReceipt(s.attempt, app)] and s.session.receipt.printing


@pytest.mark.parametrize("step_events", [
    [],                                                         # reading card
    ["read"],                                                   # face check
    ["read", "face"],                                           # choose bundle
    ["read", "face", "bundle"],                                 # form
])
def test_card_removal_ends_and_wipes_session_from_any_step(config, identity, now, step_events):
    s, _ = handle(initial_state(config), ev.CardInserted(), now)
    for name in step_events:
        e = {"read": ev.CardRead(s.attempt, identity), "face": ev.FaceChecked(s.attempt, True, 0.3),
             "bundle": ev.BundleChosen("newborn")}[name]
        s, _ = handle(s, e, now)
    s, effects = handle(s, ev.CardRemoved(), now)
    assert s.step == Step.ATTRACT and s.session is None and s.notice == msg.CARD_REMOVED
    assert fx.WipeSession() in effects


def test_inactivity_warns_then_wipes(config, identity, now):
    s = at_choose(config, identity, now)
    s, _ = handle(s, ev.Tick(), now + timedelta(seconds=44))
    assert not s.warning
    s, _ = handle(s, ev.Tick(), now + timedelta(seconds=46))
    assert s.warning and 13 < s.seconds_left(now + timedelta(seconds=46)) <= 14
    s2, _ = handle(s, ev.UserActive(), now + timedelta(seconds=50))
    assert not s2.warning and s2.session is not None     # a touch keeps the session
    s3, effects = handle(s, ev.Tick(), now + timedelta(seconds=61))
    assert s3.step == Step.ATTRACT and s3.session is None and s3.notice == msg.TIMED_OUT
    assert fx.WipeSession() in effects


def test_no_timeout_while_submitting(config, identity, now):
    s = fill_newborn(config, identity, now)
    s, _ = handle(s, ev.SubmitRequested(True), now)
    s, _ = handle(s, ev.Tick(), now + timedelta(hours=1))
    assert s.step == Step.SUBMITTING


def test_stale_device_result_from_previous_session_is_ignored(config, identity, now):
    s, _ = handle(initial_state(config), ev.CardInserted(), now)
    old = s.attempt
    s, _ = handle(s, ev.CardRemoved(), now)
    s, _ = handle(s, ev.CardInserted(), now)
    s2, effects = handle(s, ev.CardRead(old, identity), now)
    assert s2 == s and effects == []


def test_expired_or_forged_document_is_refused_with_plain_reason(config, identity, now):
    s, _ = handle(initial_state(config), ev.CardInserted(), now)
    expired = replace(identity, expiry_date=now.date() - timedelta(days=1))
    s2, _ = handle(s, ev.CardRead(s.attempt, expired), now)
    assert s2.step == Step.ATTRACT and s2.notice == msg.EXPIRED
    s3, _ = handle(s, ev.CardRead(s.attempt, identity, genuine=False), now)
    assert s3.step == Step.ATTRACT and s3.notice == msg.NOT_GENUINE and s3.session is None


def test_language_switch_on_any_step_keeps_session(config, identity, now):
    s = at_choose(config, identity, now)
    s2, _ = handle(s, ev.LanguageChosen("en"), now)
    assert s2.lang == "en" and s2.step == s.step and s2.session == s.session


def test_progress_is_six_steps_with_the_form_pages_inside_the_fill_in_step(config, identity, now):
    s = at_choose(config, identity, now)
    assert s.progress(now) == (3, 6) and s.form_page(now) is None
    s, _ = handle(s, ev.BundleChosen("newborn"), now)
    assert s.progress(now) == (4, 6)   # 读卡 · 核验 · 选事项 · [填写] · 核对 · 回执
    assert s.form_page(now) == (1, 4)


def test_session_end_returns_to_the_kiosk_language_and_normal_mode(config, identity, now):
    s = at_choose(config, identity, now)
    s, _ = handle(s, ev.LanguageChosen("en"), now)
    s, _ = handle(s, ev.LargeModeChosen(True), now)
    assert s.lang == "en" and s.large
    s, _ = handle(s, ev.CancelRequested(), now)
    assert s.step == Step.ATTRACT and s.lang == config.language == "zh" and not s.large


def test_choices_made_on_the_attract_screen_carry_into_the_session(config, now):
    s = initial_state(config)
    s, _ = handle(s, ev.LargeModeChosen(True), now)
    s, _ = handle(s, ev.LanguageChosen("en"), now)
    s, _ = handle(s, ev.CardInserted(), now)
    assert s.step == Step.READING_CARD and s.large and s.lang == "en"


def test_choices_left_on_the_attract_screen_reset_after_the_timeout(config, now):
    s, _ = handle(initial_state(config), ev.LargeModeChosen(True), now)
    s, _ = handle(s, ev.Tick(), now + timedelta(seconds=config.timeout_seconds - 1))
    assert s.large
    s, _ = handle(s, ev.Tick(), now + timedelta(seconds=config.timeout_seconds + 1))
    assert not s.large and s.lang == config.language


def test_large_mode_waits_longer_before_wiping(config, identity, now):
    s = at_choose(config, identity, now)
    s, _ = handle(s, ev.LargeModeChosen(True), now)
    later = now + timedelta(seconds=config.timeout_seconds + 1)
    s2, _ = handle(s, ev.Tick(), later)
    assert s2.step == Step.CHOOSE_BUNDLE and s2.session is not None
    s3, _ = handle(s, ev.Tick(), now + timedelta(seconds=config.large_timeout_seconds + 1))
    assert s3.step == Step.ATTRACT and s3.session is None


def test_language_switch_keeps_what_was_typed_on_the_form_page(config, identity, now):
    s = at_choose(config, identity, now)
    s, _ = handle(s, ev.BundleChosen("newborn"), now)
    s, _ = handle(s, ev.LanguageChosen("en", {"applicant_phone": "13800138000"}), now)
    assert s.lang == "en" and s.session.answers["applicant_phone"] == "13800138000"


def test_a_field_needed_later_on_an_earlier_page_is_asked_before_review(small_catalogue, identity, now):
    """A conditional item that needs a field on an earlier topic sends the citizen back there."""
    import copy
    from kiosk.domain.catalogue import parse_catalogue
    import yaml
    from pathlib import Path
    data = yaml.safe_load((Path(__file__).parent.parent / "fixtures" / "catalogue_small.yaml").read_text("utf-8"))
    data = copy.deepcopy(data)
    data["fields"]["applicant_email"] = {"topic": "applicant", "type": "email", "label": "Email"}
    data["bundles"][0]["items"][2]["fields"].append("applicant_email")     # spouse item, conditional
    cfg = FlowConfig(catalogue=parse_catalogue(data, "t"))
    s = at_choose(cfg, identity, now)
    s, _ = run(s, [ev.BundleChosen("newborn"), ev.NextRequested({}),
                   ev.NextRequested({"applicant_marital_status": "married"}),
                   ev.NextRequested({"child_name": "王小宝", "child_birth_date": "2026-10-01"}),
                   ev.NextRequested({"spouse_name": "王大", "spouse_id_number": "11010519491231002X"}),
                   ev.NextRequested({"applicant_phone": "13800138000"})], now)
    assert s.step == Step.FORM and s.session.page == 0
    assert "applicant_email" in s.session.errors


def test_face_guidance_is_shown_and_counts_as_activity(config, identity, now):
    from kiosk.domain.text import Text
    s, _ = handle(initial_state(config), ev.CardInserted(), now)
    s, _ = handle(s, ev.CardRead(s.attempt, identity), now)
    later = now + timedelta(seconds=50)
    s, _ = handle(s, ev.FaceGuidance(s.attempt, Text("请靠近一点", "Please come closer")), later)
    assert s.session.face.message.en == "Please come closer" and s.last_activity == later


def test_materials_step_requires_photos_of_what_the_government_does_not_hold(config, identity, now):
    s = at_choose(config, identity, now)
    s, _ = run(s, [ev.BundleChosen("retirement"), ev.NextRequested({}), ev.NextRequested({"applicant_phone": "13800138000"})], now)
    assert s.step == Step.MATERIALS
    assert [m.id for m in s.materials(now)] == ["bank_card_photo"]
    s, _ = handle(s, ev.NextRequested({}), now)
    assert s.step == Step.MATERIALS and "Photo of bank card" in s.notice.en      # cannot skip a required photo
    s, effects = handle(s, ev.MaterialCaptureRequested("bank_card_photo"), now)
    assert effects == [fx.CaptureMaterial(s.attempt, "bank_card_photo")] and s.session.capturing == "bank_card_photo"
    s, _ = handle(s, ev.MaterialCaptureFailed(s.attempt, "bank_card_photo", msg.ENDED), now)
    assert s.notice == msg.ENDED and s.session.capturing is None
    s, _ = handle(s, ev.MaterialCaptureRequested("bank_card_photo"), now)
    s, _ = handle(s, ev.MaterialCaptured(s.attempt, "bank_card_photo", b"jpeg"), now)
    s, _ = handle(s, ev.NextRequested({}), now)
    assert s.step == Step.REVIEW
    s, _ = handle(s, ev.BackRequested(), now)
    assert s.step == Step.MATERIALS and s.session.attachments["bank_card_photo"] == b"jpeg"   # Back keeps the photo
    s, _ = handle(s, ev.NextRequested({}), now)
    s, (store,) = handle(s, ev.SubmitRequested(True), now)
    assert store.draft.attachments == {"bank_card_photo": b"jpeg"}


def test_material_photo_dropped_when_it_no_longer_applies(config, identity, now):
    """A photo taken for an item that later stops applying is not submitted."""
    s = at_choose(config, identity, now)
    s, _ = run(s, [ev.BundleChosen("newborn"), ev.NextRequested({}), ev.NextRequested({"applicant_marital_status": "single"}),
                   ev.NextRequested({"child_name": "王小宝", "child_birth_date": "2026-10-01"}),
                   ev.NextRequested({"applicant_phone": "13800138000"})], now)
    s = replace(s, session=replace(s.session, attachments={"bank_card_photo": b"x"}))
    s, _ = run(s, [ev.NextRequested({})], now)
    s, (store,) = handle(s, ev.SubmitRequested(True), now)
    assert dict(store.draft.attachments) == {}


def test_chip_that_needs_a_key_asks_for_it_and_counts_wrong_tries(config, identity, now):
    from kiosk.domain.text import Text
    wrong = Text("不符", "The details don't match the document, check and try again")
    s, _ = handle(initial_state(config), ev.CardInserted(), now)
    s, _ = handle(s, ev.AccessKeyNeeded(s.attempt, Text("请输入", "Enter the CAN")), now)
    assert s.step == Step.ACCESS_KEY and s.notice is None
    s, effects = handle(s, ev.AccessKeyEntered(can="12345"), now)              # 5 digits: not sent
    assert s.step == Step.ACCESS_KEY and effects == [] and "6-digit" in s.notice.en
    s, effects = handle(s, ev.AccessKeyEntered(can="123456"), now)
    assert s.step == Step.READING_CARD and effects == [fx.ReadCard(s.attempt, can="123456")]
    s, _ = handle(s, ev.AccessKeyNeeded(s.attempt, wrong, wrong=True), now)
    assert s.step == Step.ACCESS_KEY and "2 tries left" in s.notice.en
    s, effects = handle(s, ev.AccessKeyEntered(document_number="e58206317", birth="900821", expiry="360815"), now)
    assert effects == [fx.ReadCard(s.attempt, document_number="E58206317", birth="900821", expiry="360815")]
    s, _ = handle(s, ev.AccessKeyNeeded(s.attempt, wrong, wrong=True), now)
    s, _ = handle(s, ev.AccessKeyEntered(can="654321"), now)
    s, effects = handle(s, ev.AccessKeyNeeded(s.attempt, wrong, wrong=True), now)
    assert s.step == Step.ATTRACT and s.notice == msg.KEY_ASK_STAFF and fx.WipeSession() in effects
    assert "123456" not in repr(fx.ReadCard(1, can="123456"))                  # keys never reach a log line


def test_progress_on_the_key_screen_is_the_card_step(config, now):
    from kiosk.domain.text import Text
    s, _ = handle(initial_state(config), ev.CardInserted(), now)
    s, _ = handle(s, ev.AccessKeyNeeded(s.attempt, Text("a", "b")), now)
    assert s.progress(now)[0] == 1


def test_every_step_has_a_handler_and_ignores_events_it_does_not_expect(config, identity, now):
    """The navigation table covers every step; an event that means nothing on a step (a stray
    tap from a screen that was just replaced) leaves the state as it was and asks for nothing."""
    from kiosk.flows.handlers import HANDLERS
    assert set(HANDLERS) == set(Step)
    s = fill_newborn(config, identity, now)
    reached = {}
    for e in [None, ev.SubmitRequested(True)]:
        if e is not None:
            s, _ = handle(s, e, now)
        reached[s.step] = s
    reached[Step.CHOOSE_BUNDLE] = at_choose(config, identity, now)
    reached[Step.ATTRACT] = initial_state(config)
    stray = [ev.ReprintRequested(), ev.Rated(5), ev.FaceRetryRequested(), ev.MaterialCaptureRequested("nothing")]
    for step, state in reached.items():
        for e in stray:
            assert handle(state, e, now) == (state, []), (step, e)


def gov_catalogue():
    """The small catalogue, with marital status read from government records (`gov.marital_status`)."""
    import copy
    from pathlib import Path

    import yaml

    from kiosk.domain.catalogue import parse_catalogue
    data = yaml.safe_load((Path(__file__).parent.parent / "fixtures" / "catalogue_small.yaml").read_text("utf-8"))
    data = copy.deepcopy(data)
    data["fields"]["applicant_marital_status"]["source"] = "gov.marital_status"
    return parse_catalogue(data, "t")


def test_records_found_prefill_what_is_not_answered_and_mark_it_verified(identity, now):
    cfg = FlowConfig(catalogue=gov_catalogue())
    s, _ = run(initial_state(cfg), [ev.CardInserted()], now)
    s, _ = handle(s, ev.CardRead(s.attempt, identity), now)
    assert "applicant_marital_status" not in s.session.answers and s.session.records == Records.PENDING
    records = GovernmentData({"marital_status": "married", "unrelated": "x"}, frozenset({"marriage_certificate"}))
    s, effects = handle(s, ev.RecordsFound(s.attempt, records), now)
    assert effects == [] and s.step == Step.FACE_CHECK and s.session.records == Records.FOUND
    assert s.session.answers["applicant_marital_status"] == "married"
    assert "applicant_marital_status" in s.session.verified and "unrelated" not in s.session.answers
    assert s.session.answers["applicant_name"] == identity.name       # the chip's values stay as read
    s, _ = run(s, [ev.FaceChecked(s.attempt, True, 0.3), ev.BundleChosen("newborn"), ev.NextRequested({}),
                   ev.NextRequested({})], now)                          # marital status prefilled: no error
    assert s.session.page == 2 and not s.session.errors


def test_records_unavailable_nothing_prefilled_nothing_held_and_the_citizen_goes_on(identity, now):
    cfg = FlowConfig(catalogue=gov_catalogue())
    s = at_choose(cfg, identity, now, records=None)
    assert s.session.records == Records.UNAVAILABLE and "applicant_marital_status" not in s.session.answers
    s, _ = run(s, [ev.BundleChosen("newborn"), ev.NextRequested({}), ev.NextRequested({"applicant_marital_status": "single"}),
                   ev.NextRequested({"child_name": "王小宝", "child_birth_date": "2026-10-01"}),
                   ev.NextRequested({"applicant_phone": "13800138000"})], now)
    assert s.step == Step.MATERIALS
    assert [(m.id, m.held_by_government) for m in s.materials(now)] == [("birth_medical_certificate", False)]
    s, _ = handle(s, ev.NextRequested({}), now)
    assert s.step == Step.MATERIALS and "Medical birth certificate" in s.notice.en   # to be photographed here
    s, _ = run(s, [ev.MaterialCaptureRequested("birth_medical_certificate"),
                   ev.MaterialCaptured(s.attempt, "birth_medical_certificate", b"jpeg"), ev.NextRequested({})], now)
    assert s.step == Step.REVIEW and s.session.draft.materials[0][2] is False      # not "held" on the review


def test_only_materials_the_catalogue_allows_and_the_records_return_count_as_held(config, identity, now):
    # The records claim the bank card photo too: the catalogue says the government never holds it.
    claims = GovernmentData({}, frozenset({"birth_medical_certificate", "bank_card_photo"}))
    s = at_choose(config, identity, now, records=claims)
    s, _ = run(s, [ev.BundleChosen("retirement"), ev.NextRequested({}), ev.NextRequested({"applicant_phone": "13800138000"})], now)
    assert [(m.id, m.held_by_government) for m in s.materials(now)] == [("bank_card_photo", False)]
    s = fill_newborn(config, identity, now)                            # HOLDS: the birth certificate is held
    assert s.step == Step.REVIEW and [(m[0], m[2]) for m in s.session.draft.materials] == [("birth_medical_certificate", True)]


def test_a_records_answer_after_the_form_started_or_for_another_session_is_dropped(identity, now):
    cfg = FlowConfig(catalogue=gov_catalogue())
    s, _ = run(initial_state(cfg), [ev.CardInserted()], now)
    s, _ = run(s, [ev.CardRead(s.attempt, identity), ev.FaceChecked(s.attempt, True, 0.3)], now)
    late = ev.RecordsFound(s.attempt, GovernmentData({"marital_status": "married"}, frozenset({"birth_medical_certificate"})))
    s, _ = handle(s, ev.BundleChosen("newborn"), now)
    assert s.session.records == Records.UNAVAILABLE                    # the form is the citizen's from here
    s2, effects = handle(s, late, now)
    assert s2 == s and effects == []
    other = at_choose(cfg, identity, now, records=None)
    stale = ev.RecordsFound(other.attempt - 1, late.data)
    assert handle(other, stale, now) == (other, [])


def test_records_answer_at_the_bundle_choice_is_still_used(identity, now):
    """A lookup slower than the face check still counts while the citizen chooses what to do."""
    cfg = FlowConfig(catalogue=gov_catalogue())
    s, _ = run(initial_state(cfg), [ev.CardInserted()], now)
    s, _ = run(s, [ev.CardRead(s.attempt, identity), ev.FaceChecked(s.attempt, True, 0.3)], now)
    assert s.step == Step.CHOOSE_BUNDLE
    s, _ = handle(s, ev.RecordsFound(s.attempt, GovernmentData({"marital_status": "single"})), now)
    assert s.session.answers["applicant_marital_status"] == "single" and s.session.records == Records.FOUND
    s2, _ = handle(s, ev.RecordsFound(s.attempt, GovernmentData({"marital_status": "married"})), now)
    assert s2 == s                                                     # one answer per session


def test_government_data_from_a_backend_is_bounded():
    with pytest.raises(ValueError):
        GovernmentData({"marital_status": "x" * 10_000})
    with pytest.raises(ValueError):
        GovernmentData({f"k{i}": "v" for i in range(1000)})
    with pytest.raises(ValueError):
        GovernmentData({"k": 3})                                       # type: ignore[dict-item]
    assert "married" not in repr(GovernmentData({"marital_status": "married"}))
