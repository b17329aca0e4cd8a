"""Domain rules a citizen or operator would notice."""
from __future__ import annotations

import re
from datetime import date, datetime

import pytest

from kiosk.domain.application import application_number, is_valid_application_number
from kiosk.domain.idnumber import is_valid_mobile, is_valid_resident_id, resident_id_check_char
from kiosk.domain.redaction import mask, redact_mapping
from kiosk.domain.workdays import add_workdays


def test_resident_id_check_digit_gb11643():
    assert resident_id_check_char("11010519491231002") == "X"     # the standard's own example
    assert is_valid_resident_id("11010519491231002X")
    assert not is_valid_resident_id("110105194912310021")           # wrong check character
    assert not is_valid_resident_id("11010519491332002X")           # 13th month
    assert not is_valid_resident_id("1101051949123100")             # too short
    future = "330106" + "20990101" + "123"
    assert not is_valid_resident_id(future + resident_id_check_char(future), today=date(2026, 11, 22))


def test_mobile_numbers():
    assert is_valid_mobile("13800138000") and is_valid_mobile("138 0013 8000")
    assert not is_valid_mobile("12800138000") and not is_valid_mobile("1380013800")


def test_application_number_is_fleet_unique_shape_with_check_digit():
    n = application_number("3301060001", 42, datetime(2026, 11, 22, 9, 30, 15))
    assert n.startswith("3301060001-000042-20261122093015-")
    assert is_valid_application_number(n)
    wrong = n[:-1] + str((int(n[-1]) + 1) % 10)
    assert not is_valid_application_number(wrong)
    assert application_number("3301060002", 42, datetime(2026, 11, 22, 9, 30, 15)) != n   # another kiosk
    with pytest.raises(ValueError):
        application_number("33010", 1, datetime(2026, 1, 1))


def test_working_days_skip_weekends_and_national_day_holiday():
    # Friday 2026-09-25 + 3 working days: Mon 28, Tue 29, Wed 30 September.
    assert add_workdays(date(2026, 9, 25), 3).due == date(2026, 9, 30)
    # From 30 September, the National Day holiday (1-7 October 2026) is skipped.
    d = add_workdays(date(2026, 9, 30), 1)
    assert d.due > date(2026, 10, 7) and not d.approximate


def test_working_days_beyond_calendar_coverage_are_marked_approximate():
    d = add_workdays(date(2026, 12, 28), 10)
    assert d.approximate and d.due.year == 2027


def test_redaction_keeps_no_surname_and_no_digit_of_the_value():
    masked_id, masked_name = mask("330106196203151234"), mask("李秀英")
    # Only a short keyed hash: no surname, no first or last digits, no birth date.
    assert re.fullmatch(r"#[0-9a-f]{8}", masked_id) and re.fullmatch(r"#[0-9a-f]{8}", masked_name)
    # Two lines about the same citizen still go together; two citizens do not.
    assert mask("330106196203151234") == masked_id and mask("330106196203151235") != masked_id
    assert mask("") == "" and mask(None) == ""
    assert redact_mapping({"step": "form", "name": "李秀英"}) == {"step": "form", "name": masked_name}


def test_identity_repr_does_not_leak(identity):
    text = repr(identity) + str(identity)
    assert identity.name not in text and identity.personal_number not in text and "fake-jpeg" not in text


def test_same_day_item_submitted_on_a_sunday_is_due_on_monday_not_that_sunday():
    """Issue 14 part 6: a same-day item (promised_days 0) used to promise "today" on a Sunday."""
    from kiosk.domain.drafting import build_draft
    from kiosk.services.catalogue_store import load_catalogue
    from pathlib import Path
    catalogue = load_catalogue(Path(__file__).parents[2] / "assets" / "catalogue" / "catalogue.yaml")
    bundle = catalogue.bundle("marriage")
    clock = lambda: datetime(2026, 11, 22, 10, 15)          # noqa: E731 - the injected clock: a Sunday
    assert clock().weekday() == 6
    draft = build_draft(catalogue, bundle, {}, frozenset(), {}, drafted_at=clock())
    same_day = next(r for r in draft.requests if r.item_id == "marriage_registration")
    assert same_day.promised_days == 0
    assert same_day.due == date(2026, 11, 23) and not same_day.due_approximate
    # on a working day it is still that day; in the National Day holiday, the first day after it
    assert add_workdays(date(2026, 11, 23), 0).due == date(2026, 11, 23)
    assert add_workdays(date(2026, 10, 3), 0).due == date(2026, 10, 8)
