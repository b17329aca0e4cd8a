"""Staff at the kiosk as pure flow moves (kiosk/flows/staff.py): what each event leads to and
which audit effects it asks for, without Qt, threads or a store."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from kiosk.flows import effects as fx
from kiosk.flows import events as ev
from kiosk.flows.journey import FlowConfig, Step, handle, initial_state
from kiosk.flows.staff_state import StaffPurpose, StaffView
from tests.unit.flow_run import run

OK_CLERK = ev.StaffSignInAnswered(True, ev.Text("ok", "ok"), "900001", "clerk")
OK_SUPER = ev.StaffSignInAnswered(True, ev.Text("ok", "ok"), "900002", "supervisor")


@pytest.fixture
def config(small_catalogue):
    return FlowConfig(catalogue=small_catalogue, timeout_seconds=60, warning_seconds=15, max_face_attempts=3,
                      help_wait_seconds=600, staff_idle_seconds=120)


def failed_three_times(config, identity, now):
    s, _ = run(initial_state(config), [ev.CardInserted()], now)
    s, _ = run(s, [ev.CardRead(s.attempt, identity), ev.FaceChecked(s.attempt, False, 0.8),
                   ev.FaceRetryRequested(), ev.FaceChecked(s.attempt, False, 0.8),
                   ev.FaceRetryRequested(), ev.FaceChecked(s.attempt, False, 0.8)], now)
    assert s.session.face.overridable
    return s


def signed_in_for_override(config, identity, now):
    s = failed_three_times(config, identity, now)
    s, effects = run(s, [ev.StaffRequested(StaffPurpose.OVERRIDE), ev.StaffSignInSubmitted("900001", "246810")], now)
    assert any(isinstance(e, fx.SignInStaff) for e in effects)
    assert "246810" not in repr(effects) and "246810" not in repr(ev.StaffSignInSubmitted("900001", "246810"))
    s, _ = handle(s, OK_CLERK, now)
    assert s.staff.view == StaffView.OVERRIDE
    return s


def test_help_call_is_numbered_audited_and_lengthens_the_timeout(config, identity, now):
    s, _ = run(initial_state(config), [ev.CardInserted()], now)
    s, _ = run(s, [ev.CardRead(s.attempt, identity)], now)
    s, effects = handle(s, ev.HelpRequested(), now)
    assert effects == [fx.RecordHelpCall("H01", s.attempt)] and s.staff.help_panel
    assert s.step == Step.FACE_CHECK                                      # the place is kept
    later = now + timedelta(seconds=config.timeout_seconds + 30)
    s2, _ = handle(s, ev.Tick(), later)
    assert s2.step == Step.FACE_CHECK                                     # not wiped while waiting
    s3, _ = handle(s, ev.Tick(), now + timedelta(seconds=config.help_wait_seconds + 1))
    assert s3.step == Step.ATTRACT                                        # but not kept forever
    assert [c.number for c in s3.staff.calls] == ["H01"]                  # staff still see the call
    s4, effects = handle(s3, ev.HelpRequested(), now)
    assert effects == [fx.RecordHelpCall("H02", 1)] and s4.help_call().number == "H02"   # not the last citizen's


def test_override_waits_for_its_audit_entry_then_continues_with_staff_identity(config, identity, now):
    s = signed_in_for_override(config, identity, now)
    s, effects = handle(s, ev.OverrideConfirmed("face_check_failed"), now)
    assert effects == [fx.RecordOverride(s.attempt, "900001", "face_check_failed", "", 3)]
    assert s.step == Step.FACE_CHECK and s.staff.busy                    # not before it is recorded
    s, effects = handle(s, ev.OverrideRecorded(s.attempt, True), now)
    assert s.step == Step.CHOOSE_BUNDLE and s.staff.on_duty is None
    assert fx.EndStaffMode("900001", "sign_out", s.attempt) in effects
    assert fx.RecordHelpCall("H01", s.attempt, answered_by="900001") in effects
    record = s.session.face.record()
    assert record.staff_number == "900001" and not record.matched
    assert "staff No. 900001" in record.identity_line().en


def test_override_not_recorded_is_not_applied(config, identity, now):
    s = signed_in_for_override(config, identity, now)
    s, _ = handle(s, ev.OverrideConfirmed("face_check_failed"), now)
    s, _ = handle(s, ev.OverrideRecorded(s.attempt, False), now)
    assert s.step == Step.FACE_CHECK and s.session.face.staff_number is None and s.staff.message is not None


def test_no_override_without_a_failed_check_or_with_an_unknown_reason(config, identity, now):
    s = signed_in_for_override(config, identity, now)
    s2, effects = handle(s, ev.OverrideConfirmed("because I say so"), now)
    assert effects == [] and s2 is s
    # A clerk asked for an override when the face check has not failed goes to the console.
    t, _ = run(initial_state(config), [ev.CardInserted()], now)
    t, _ = run(t, [ev.CardRead(t.attempt, identity), ev.StaffRequested(StaffPurpose.OVERRIDE),
                   ev.StaffSignInSubmitted("900001", "246810"), OK_CLERK], now)
    assert t.staff.view == StaffView.CONSOLE
    t2, effects = handle(t, ev.OverrideConfirmed("face_check_failed"), now)
    assert effects == [] and t2.session.face.staff_number is None


def test_unreadable_card_photo_goes_straight_to_staff_verification(config, identity, now):
    s, _ = run(initial_state(config), [ev.CardInserted()], now)
    problem = ev.Text("照片无法解码", "photo could not be decoded")
    s, effects = handle(s, ev.CardRead(s.attempt, replace(identity, photo=b""), photo_problem=problem), now)
    assert s.step == Step.FACE_CHECK and not any(isinstance(e, fx.StartFaceCheck) for e in effects)
    assert s.session.face.overridable and s.session.face.photo_missing


def test_a_chip_photo_no_check_can_use_goes_to_staff_at_once_not_after_retries(config, identity, now):
    s, _ = run(initial_state(config), [ev.CardInserted()], now)
    s, _ = handle(s, ev.CardRead(s.attempt, identity), now)
    assert s.step == Step.FACE_CHECK and s.session.face.checking
    s, effects = handle(s, ev.FaceChecked(s.attempt, False, None, ev.Text("照片", "photo"), staff_only=True), now)
    assert s.session.face.needs_staff and s.session.face.overridable and s.session.face.photo_missing
    assert s.session.face.attempts == 1 and fx.StopFaceCheck() in effects
    s, effects = handle(s, ev.FaceRetryRequested(), now)     # no retry: staff verify the citizen
    assert effects == [] and not s.session.face.checking


def test_wrong_pin_stays_on_sign_in_with_the_message(config, now):
    s, _ = run(initial_state(config), [ev.StaffRequested(StaffPurpose.CONSOLE), ev.StaffSignInSubmitted("900001", "1")], now)
    wrong = ev.StaffSignInAnswered(False, ev.Text("错", "wrong: 4 tries left"), attempts_left=4)
    s, _ = handle(s, wrong, now)
    assert s.staff.view == StaffView.SIGN_IN and s.staff.message.en.endswith("4 tries left") and not s.staff.busy


def test_leaving_lockdown_needs_a_supervisor(config, now):
    s, _ = run(initial_state(config), [ev.StaffRequested(StaffPurpose.EXIT), ev.StaffSignInSubmitted("900001", "1")], now)
    s, effects = handle(s, OK_CLERK, now)
    assert not any(isinstance(e, fx.RecordLockdownExit) for e in effects) and s.staff.on_duty is None
    s, _ = handle(s, ev.StaffSignInSubmitted("900002", "1"), now)
    s, effects = handle(s, OK_SUPER, now)
    assert effects == [fx.RecordLockdownExit("900002")] and not s.staff.lockdown_released
    s, _ = handle(s, ev.LockdownExitRecorded(True), now)
    assert s.staff.lockdown_released


def test_staff_mode_ends_after_idle_and_when_the_session_ends(config, identity, now):
    s, _ = run(initial_state(config), [ev.StaffRequested(StaffPurpose.CONSOLE), ev.StaffSignInSubmitted("900001", "1"),
                                       OK_CLERK], now)
    assert s.staff.on_duty is not None
    s2, effects = handle(s, ev.Tick(), now + timedelta(seconds=config.staff_idle_seconds - 1))
    assert s2.staff.on_duty is not None
    s2, effects = handle(s, ev.Tick(), now + timedelta(seconds=config.staff_idle_seconds + 1))
    assert s2.staff.on_duty is None and effects == [fx.EndStaffMode("900001", "idle", 0)]
    # A citizen's card ends staff mode (session_end).
    s3, effects = handle(s, ev.CardInserted(), now)
    assert s3.staff.on_duty is None and fx.EndStaffMode("900001", "session_end", 0) in effects
