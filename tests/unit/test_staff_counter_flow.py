"""Counter mode from the staff console, in the flow without Qt: one touch starts it (the console
closes), it is audited, and it ends with staff sign-out and with staff mode's idle timeout; the
application records the clerk as on a configured counter desk."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from kiosk.flows import assist_messages as am
from kiosk.flows import effects as fx
from kiosk.flows import events as ev
from kiosk.flows.journey import FlowConfig, Step, handle, initial_state
from kiosk.flows.staff_state import OnDuty, StaffPurpose, StaffView
from tests.unit.test_assisted_flow import AGENT
from tests.unit.flow_run import run


@pytest.fixture
def config(small_catalogue):
    bundles = tuple(replace(b, proxy_allowed=True) if b.id == "retirement" else b for b in small_catalogue.bundles)
    return FlowConfig(catalogue=replace(small_catalogue, bundles=bundles), timeout_seconds=60, warning_seconds=15,
                      staff_idle_seconds=120)


def on_console(config, now, role="clerk"):
    """A clerk signed in on the attract screen, the staff console open."""
    s, _ = run(initial_state(config), [ev.StaffRequested(StaffPurpose.CONSOLE)], now)
    s, _ = run(s, [ev.StaffSignInSubmitted("900001", "246810"),
                   ev.StaffSignInAnswered(True, am.COUNTER_STARTED, "900001", role)], now)
    assert s.staff.view == StaffView.CONSOLE and s.staff.on_duty == OnDuty("900001", role, now)
    return s


def test_one_touch_on_the_console_starts_counter_mode_closes_the_console_and_is_audited(config, now):
    s = on_console(config, now)
    s, effects = handle(s, ev.CounterModeRequested(), now)
    assert s.counter is not None and s.counter.staff_number == "900001" and not s.counter.confirmed
    assert effects == [fx.RecordCounterMode("900001", "start")]
    assert s.staff.view is None and s.staff.on_duty is not None      # at the counter, still signed in
    s, _ = handle(s, ev.CounterModeRecorded(True), now)
    assert s.counter.confirmed and s.notice == am.COUNTER_STARTED


def test_counter_mode_from_the_console_records_the_clerk_in_the_application(config, now):
    s, _ = run(on_console(config, now), [ev.CounterModeRequested(), ev.CounterModeRecorded(True)], now)
    s, _ = run(s, [ev.CardInserted()], now)
    s, _ = run(s, [ev.CardRead(s.attempt, AGENT), ev.RecordsUnavailable(s.attempt),
                   ev.FaceChecked(s.attempt, True, 0.3), ev.BundleChosen("retirement"), ev.NextRequested({}),
                   ev.NextRequested({"applicant_phone": "13800138000", "sms_consent": "no"})], now)
    if s.step == Step.MATERIALS:
        s, _ = run(s, [ev.MaterialCaptureRequested("bank_card_photo")], now)
        s, _ = run(s, [ev.MaterialCaptured(s.attempt, "bank_card_photo", b"\xff\xd8\xffc"), ev.NextRequested()], now)
    assert s.step == Step.REVIEW and s.session.draft.counter_staff == "900001"
    s, effects = run(s, [ev.CitizenConsented(), ev.SubmitRequested(consent=False)], now)
    assert s.step == Step.SUBMITTING and effects[0].draft.counter_staff == "900001"


def test_the_console_ends_counter_mode_with_one_touch_between_citizens(config, now):
    s, _ = run(on_console(config, now), [ev.CounterModeRequested(), ev.CounterModeRecorded(True),
                                         ev.StaffRequested(StaffPurpose.CONSOLE)], now)
    assert s.staff.view == StaffView.CONSOLE                        # still signed in: no PIN again
    s, effects = handle(s, ev.CounterModeEnded(), now)
    assert s.counter is None and effects == [fx.RecordCounterMode("900001", "end")]
    assert s.staff.on_duty is not None


def test_staff_sign_out_ends_counter_mode(config, now):
    s, _ = run(on_console(config, now), [ev.CounterModeRequested(), ev.CounterModeRecorded(True),
                                         ev.StaffRequested(StaffPurpose.CONSOLE)], now)
    s, effects = handle(s, ev.StaffSignedOut(), now)
    assert s.counter is None and s.staff.on_duty is None and s.notice == am.COUNTER_ENDED
    assert fx.RecordCounterMode("900001", "end", "sign_out") in effects
    assert fx.EndStaffMode("900001", "sign_out", s.attempt) in effects


def test_staff_idle_timeout_ends_counter_mode_between_citizens(config, now):
    s, _ = run(on_console(config, now), [ev.CounterModeRequested(), ev.CounterModeRecorded(True)], now)
    later = now + timedelta(seconds=119)
    s, effects = handle(s, ev.Tick(), later)
    assert s.counter is not None and effects == []
    s, effects = handle(s, ev.Tick(), now + timedelta(seconds=121))
    assert s.counter is None and s.staff.on_duty is None and s.notice == am.COUNTER_ENDED
    assert fx.RecordCounterMode("900001", "end", "idle") in effects
    assert fx.EndStaffMode("900001", "idle", s.attempt) in effects


def test_after_a_citizen_counter_mode_still_ends_when_idle(config, now):
    """A citizen's card signs the clerk out of staff mode (as ever), but counter mode runs on; the
    touches of the session keep it alive, and idleness back on the attract screen ends it."""
    s, _ = run(on_console(config, now), [ev.CounterModeRequested(), ev.CounterModeRecorded(True)], now)
    t = now + timedelta(seconds=60)
    s, _ = run(s, [ev.CardInserted()], t)
    assert s.staff.on_duty is None and s.counter is not None
    t += timedelta(seconds=100)
    s, _ = run(s, [ev.UserActive()], t)                             # the clerk works on the journey
    s, _ = run(s, [ev.CancelRequested()], t)                        # the citizen leaves
    assert s.step == Step.ATTRACT and s.counter is not None
    s, effects = handle(s, ev.Tick(), t + timedelta(seconds=100))
    assert s.counter is not None and effects == []                  # the touch 100 s ago counted
    s, effects = handle(s, ev.Tick(), t + timedelta(seconds=121))
    assert s.counter is None and effects == [fx.RecordCounterMode("900001", "end", "idle")]


def test_counter_mode_does_not_end_by_staff_idle_in_the_middle_of_a_citizen(config, now):
    s, _ = run(on_console(config, now), [ev.CounterModeRequested(), ev.CounterModeRecorded(True),
                                         ev.CardInserted()], now)
    s, _ = run(s, [ev.CardRead(s.attempt, AGENT)], now)
    assert s.step == Step.FACE_CHECK
    # The staff clock is past its limit, the citizen's session is not (e.g. the wait while staff
    # were called): the session's own timeout decides; counter mode stays with the citizen.
    s = replace(s, last_activity=now + timedelta(seconds=100))
    s, effects = handle(s, ev.Tick(), now + timedelta(seconds=121))
    assert s.step == Step.FACE_CHECK and s.counter is not None
    assert not any(isinstance(e, fx.RecordCounterMode) for e in effects)


# --- the staff member's own ID card on the sign-in screen ---------------------------------------------

def test_a_card_on_the_sign_in_screen_is_read_as_a_staff_card_not_a_citizens(config, now):
    s, _ = run(initial_state(config), [ev.StaffRequested(StaffPurpose.CONSOLE)], now)
    s, effects = handle(s, ev.CardInserted(), now)
    assert effects == [fx.ReadStaffCard()] and s.step == Step.ATTRACT and s.session is None and s.staff.busy
    s, _ = handle(s, ev.StaffCardRead("900001"), now)
    assert s.staff.card_staff == "900001" and not s.staff.busy
    s, effects = handle(s, ev.StaffSignInSubmitted("123456", "246810"), now)   # the number field cannot override the card
    assert effects == [fx.SignInStaff("900001", "246810", "id_card")]
    s, _ = handle(s, ev.StaffSignInAnswered(True, am.COUNTER_STARTED, "900001", "clerk"), now)
    assert s.staff.on_duty.staff_number == "900001" and s.staff.card_staff is None


def test_not_a_staff_card_says_only_that_and_typing_still_works(config, now):
    from kiosk.flows.staff import NOT_STAFF_CARD
    s, _ = run(initial_state(config), [ev.StaffRequested(StaffPurpose.CONSOLE), ev.CardInserted()], now)
    s, _ = handle(s, ev.StaffCardRead(None), now)
    assert s.staff.message == NOT_STAFF_CARD and s.staff.card_staff is None and not s.staff.busy
    s, effects = handle(s, ev.StaffSignInSubmitted("900001", "246810"), now)
    assert effects == [fx.SignInStaff("900001", "246810")]


def test_a_card_with_no_sign_in_screen_open_starts_a_citizens_session(config, now):
    s, effects = handle(initial_state(config), ev.CardInserted(), now)
    assert s.step == Step.READING_CARD and effects == [fx.ReadCard(s.attempt)]
    late, _ = handle(s, ev.StaffCardRead("900001"), now)            # an answer for a screen since closed
    assert late.staff.card_staff is None
