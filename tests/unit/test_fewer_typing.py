"""Fewer things to type: `same_as`, `prefill_from: records.<key>` and `computed` fields, in the
catalogue check, the form engine (kiosk.domain.autofill) and the flow; the statutory retirement date."""
from __future__ import annotations

import copy
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import yaml

from kiosk.domain.autofill import derive
from kiosk.domain.catalogue import CatalogueError, parse_catalogue
from kiosk.domain.government import GovernmentData
from kiosk.domain.retirement import retirement_date
from kiosk.domain.stats import catalogue_stats
from kiosk.flows import events as ev
from kiosk.flows.journey import FlowConfig, Step, handle, initial_state

FIX = Path(__file__).parent.parent / "fixtures"
TODAY = date(2026, 11, 23)


def small_data() -> dict:
    """The small test catalogue plus a same-as address, a records prefill and two computed fields."""
    data = yaml.safe_load((FIX / "catalogue_small.yaml").read_text(encoding="utf-8"))
    fields = data["fields"]
    fields["applicant_sex"] = {"topic": "applicant", "type": "choice", "label": "性别", "source": "chip.sex",
                               "choices": [{"value": "F", "label": "女"}, {"value": "M", "label": "男"}]}
    fields["current_address"] = {"topic": "contact", "type": "text", "label": "现住址", "same_as": "identity.address"}
    fields["mailing_address"] = {"topic": "contact", "type": "text", "label": "邮寄地址", "same_as": "current_address"}
    fields["retirement_category"] = {
        "topic": "family", "type": "choice", "label": "退休年龄类别", "prefill_from": "records.retirement_category",
        "computed": "'male' if applicant_sex == 'M' else ''",
        "choices": [{"value": v, "label": v} for v in ("male", "female_cadre", "female_worker")]}
    fields["retirement_date"] = {"topic": "contact", "type": "date", "label": "退休日期",
                                 "computed": "statutory_retirement(applicant_birth_date, retirement_category)"}
    fields["spouse_name"]["prefill_from"] = "records.spouse_name"
    pension = data["bundles"][1]["items"][0]
    pension["fields"] += ["applicant_sex", "retirement_category", "current_address", "mailing_address", "retirement_date"]
    return data


@pytest.fixture
def catalogue():
    return parse_catalogue(small_data(), "t")


@pytest.mark.parametrize("mutate, place, words", [
    (lambda f: f["current_address"].__setitem__("same_as", "no_such_field"), "fields.current_address.same_as", "unknown field"),
    (lambda f: f["current_address"].__setitem__("same_as", "identity.shoe"), "fields.current_address.same_as", "the ID card has no"),
    (lambda f: f["current_address"].__setitem__("same_as", "current_address"), "fields.current_address.same_as", "itself"),
    (lambda f: f["current_address"].__setitem__("same_as", "child_birth_date"), "fields.current_address.same_as", "date field"),
    (lambda f: f["spouse_name"].__setitem__("prefill_from", "records.shoe_size"), "fields.spouse_name.prefill_from",
     "the government records hold no 'shoe_size'"),
    (lambda f: f["spouse_name"].__setitem__("prefill_from", "chip.name"), "fields.spouse_name.prefill_from", "does not match"),
    (lambda f: f["applicant_name"].__setitem__("prefill_from", "records.spouse_name"), "fields.applicant_name.prefill_from",
     "not both"),
    (lambda f: f["applicant_name"].__setitem__("source", "gov.shoe_size"), "fields.applicant_name.source",
     "the government records hold no"),
    (lambda f: f["retirement_date"].__setitem__("computed", "statutory_retirement(applicant_birth_date, shoe)"),
     "fields.retirement_date.computed", "unknown name"),
    (lambda f: f["retirement_date"].__setitem__("computed", "statutory_retirement(applicant_birth_date,"),
     "fields.retirement_date.computed", "cannot parse"),
    (lambda f: f["retirement_category"].__setitem__("computed", "'male' if retirement_date else ''"),
     "fields.retirement_category.computed", "circle"),
    (lambda f: f["retirement_date"].__setitem__("computed", "statutory_retirement(applicant_birth_date, applicant_name)"),
     "fields.retirement_date.computed", "fails on"),          # the audit runs it on sample answers
    (lambda f: f.__setitem__("years", f.pop("retirement_date")), "fields.years", "name of a rule function"),
])
def test_the_catalogue_check_refuses_unknown_references_in_the_new_keys(mutate, place, words):
    data = copy.deepcopy(small_data())
    mutate(data["fields"])
    with pytest.raises(CatalogueError) as info:
        parse_catalogue(data, "t.yaml")
    assert info.value.place == place and words in info.value.problem, (info.value.place, info.value.problem)


def test_a_computed_value_fills_the_field_follows_its_inputs_and_never_overrides_the_citizen(catalogue):
    answers = {"applicant_birth_date": "1976-09-10", "applicant_sex": "M"}
    out, pre = derive(catalogue, answers, {}, frozenset(), TODAY)
    assert out["retirement_category"] == "male" and out["retirement_date"] == "2039-10-01"   # 63 from 1976-09 on
    assert pre["retirement_date"] == "2039-10-01"                                             # shown as a suggestion
    # The citizen says she is a woman in a worker's post: the date follows, as long as it is untouched.
    out, pre = derive(catalogue, {**out, "retirement_category": "female_worker"}, pre, frozenset(), TODAY)
    assert out["retirement_date"] == "2027-09-01" and out["retirement_category"] == "female_worker"   # 50 y 11 m
    # The citizen types their own date (early retirement): it stays, whatever changes later.
    out, pre = derive(catalogue, {**out, "retirement_date": "2026-12-01"}, pre, frozenset(), TODAY)
    out, pre = derive(catalogue, {**out, "retirement_category": "male"}, pre, frozenset(), TODAY)
    assert out["retirement_date"] == "2026-12-01"


def test_a_suggestion_whose_input_is_gone_is_taken_away_not_left_stale(catalogue):
    out, pre = derive(catalogue, {"applicant_birth_date": "1960-01-01", "applicant_sex": "M"}, {}, frozenset(), TODAY)
    assert out["retirement_category"] == "male"
    out, pre = derive(catalogue, {**out, "applicant_sex": "F"}, pre, frozenset(), TODAY)
    assert "retirement_category" not in out and "retirement_date" not in out and not pre


def test_a_rule_that_fails_or_gives_a_refused_value_leaves_the_field_to_the_citizen(catalogue, identity, now):
    broken = replace(catalogue.fields["retirement_date"], computed="statutory_retirement(applicant_birth_date, 'astronaut')")
    wrong_type = replace(catalogue.fields["current_address"], computed="applicant_birth_date_age * 0 + 1 == 1")
    fields = {**catalogue.fields, "retirement_date": broken, "current_address": wrong_type}
    cat = replace(catalogue, fields=fields)
    out, _ = derive(cat, {"applicant_birth_date": "1960-01-01", "applicant_sex": "F",
                          "retirement_category": "female_worker"}, {}, frozenset(), TODAY)
    assert "retirement_date" not in out and "current_address" not in out        # a yes/no is no address
    # Through the flow: the citizen gets the field to answer, the kiosk does not fall over.
    s = at_form(cat, identity, now, GovernmentData({"retirement_category": "female_worker"}), "retirement")
    s, _ = handle(s, ev.NextRequested({}), now)                    # the applicant page (chip)
    s, _ = handle(s, ev.NextRequested({}), now)                    # the family page (records)
    assert s.step == Step.FORM and "retirement_date" in {f.id for f in s.pages(now)[s.session.page].fields}
    s, _ = handle(s, ev.NextRequested({}), now)
    assert "retirement_date" in s.session.errors and "current_address" in s.session.errors


def at_form(catalogue, identity, now, records: GovernmentData | None, bundle: str):
    s, _ = handle(initial_state(FlowConfig(catalogue=catalogue)), ev.CardInserted(), now)
    s, _ = handle(s, ev.CardRead(s.attempt, identity), now)
    if records is not None:
        s, _ = handle(s, ev.RecordsFound(s.attempt, records), now)
    s, _ = handle(s, ev.FaceChecked(s.attempt, True, 0.3), now)
    s, _ = handle(s, ev.BundleChosen(bundle), now)
    return s


def test_records_that_lack_a_key_leave_the_field_to_be_typed(catalogue, identity, now):
    held = at_form(catalogue, identity, now, GovernmentData({"spouse_name": "王大明"}), "newborn")
    assert held.session.answers["spouse_name"] == "王大明" and "spouse_name" in held.session.verified
    lacking = at_form(catalogue, identity, now, GovernmentData({"marital_status": "married"}), "newborn")
    assert "spouse_name" not in lacking.session.answers and "spouse_name" not in lacking.session.verified
    no_backend = at_form(catalogue, identity, now, None, "newborn")
    assert "spouse_name" not in no_backend.session.answers


def test_a_records_value_replaces_the_kiosks_own_suggestion_and_then_counts_as_verified(catalogue, now):
    from kiosk.domain.identity import Identity
    man = Identity("E9", "张伟", "ZHANG WEI", "M", date(1970, 5, 5), expiry_date=date(2036, 1, 1))
    s, _ = handle(initial_state(FlowConfig(catalogue=catalogue)), ev.CardInserted(), now)
    s, _ = handle(s, ev.CardRead(s.attempt, man), now)
    assert s.session.answers["retirement_category"] == "male" and s.computed("retirement_category")
    assert s.session.answers["retirement_date"] == "2031-11-01"     # 61 years and 5 months, from May 1970
    # (A records answer of a woman's category for a man is odd, but records win over a guess.)
    s, _ = handle(s, ev.RecordsFound(s.attempt, GovernmentData({"retirement_category": "female_cadre"})), now)
    assert s.session.answers["retirement_category"] == "female_cadre" and "retirement_category" in s.session.verified
    assert s.session.answers["retirement_date"] == "2025-08-01" and s.computed("retirement_date")   # 55 y 2 m


def test_same_as_offers_the_id_card_address_or_the_other_answer(catalogue, identity, now):
    s = at_form(catalogue, identity, now, None, "retirement")
    f = catalogue.fields
    words, value = s.same_as(f["current_address"])
    assert (words.zh, words.en, value) == ("与身份证住址相同", "Same as ID address", identity.address)
    assert s.same_as(f["mailing_address"]) is None                  # nothing to copy yet
    s = replace(s, session=replace(s.session, answers={**s.session.answers, "current_address": "杭州市上城区1号"}))
    words, value = s.same_as(f["mailing_address"])
    assert value == "杭州市上城区1号" and "现住址" in words.zh
    assert s.same_as(f["applicant_name"]) is None


@pytest.mark.parametrize("born, category, expected", [
    (date(1964, 12, 31), "male", date(2025, 1, 1)),        # 60 in December 2024: the old age
    (date(1965, 1, 1), "male", date(2025, 3, 1)),          # 60 years 1 month: February 2025
    (date(1965, 5, 20), "male", date(2025, 8, 1)),         # 60 years 2 months
    (date(1976, 9, 1), "male", date(2039, 10, 1)),         # 63 from September 1976 on
    (date(1990, 1, 1), "male", date(2053, 2, 1)),
    (date(1970, 1, 1), "female_cadre", date(2025, 3, 1)),  # 55 years 1 month
    (date(1981, 9, 1), "female_cadre", date(2039, 10, 1)), # 58
    (date(1975, 1, 1), "female_worker", date(2025, 3, 1)), # 50 years 1 month
    (date(1975, 3, 1), "female_worker", date(2025, 6, 1)), # 50 years 2 months
    (date(1984, 11, 1), "female_worker", date(2039, 12, 1)),  # 55
])
def test_statutory_retirement_dates_follow_the_2024_decision(born, category, expected):
    assert retirement_date(born, category) == expected


def test_stats_count_each_field_once_by_how_it_is_answered(catalogue):
    rows = {r.bundle_id: r for r in catalogue_stats(catalogue)}
    r = rows["retirement"]
    assert (r.prefilled, r.computed, r.same_as, r.choice, r.typed) == (4, 1, 2, 1, 1)   # typed: the phone
    assert r.combined_questions == 9
