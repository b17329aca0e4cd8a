"""Scanning a receipt to see progress: the flow's states, events and effects, without Qt."""
from __future__ import annotations

from datetime import timedelta

import pytest

from kiosk.domain import progress as pg
from kiosk.domain.application import application_number
from kiosk.flows import effects as fx
from kiosk.flows import events as ev
from kiosk.flows import messages as msg
from kiosk.flows.journey import FlowConfig, Step, handle, initial_state
from kiosk.flows.state import ScanMode


@pytest.fixture
def config(small_catalogue):
    return FlowConfig(catalogue=small_catalogue, timeout_seconds=60, warning_seconds=15)


def number(now):
    return application_number("3301060001", 7, now)


def progress(now, source=pg.FROM_RECEIPT, status=None, synced=None):
    items = (pg.DepartmentProgress("birth_cert", "卫生健康委", "2026-11-30", True, status),
             pg.DepartmentProgress("hukou", "公安局", "2026-12-04", True, None))
    return pg.ReceiptProgress(number(now), "新生儿出生一件事", "7K3M-QX9P-T", items, synced, source)


def scanning(config, now):
    s, effects = handle(initial_state(config), ev.ScanRequested(), now)
    return s, effects


def test_scan_starts_a_session_without_a_card_and_turns_the_camera_on(config, now):
    s, effects = scanning(config, now)
    assert s.step == Step.SCAN_RECEIPT and s.session is None
    assert s.scan.mode is ScanMode.CAMERA and s.attempt == 1
    assert effects == [fx.StartReceiptScan(1)]


def test_genuine_receipt_shows_its_summary_stops_the_camera_and_asks_for_statuses(config, now):
    s, _ = scanning(config, now)
    s, effects = handle(s, ev.ReceiptScanned(s.attempt, pg.ReceiptCheck(pg.GENUINE, progress(now))), now)
    assert s.scan.progress.number == number(now) and s.scan.looking_up
    assert effects == [fx.StopReceiptScan(), fx.LookUpProgress(s.attempt, number=number(now), check_code="7K3M-QX9P-T")]
    # The kiosk's copy first (not final), then the back office's newest.
    local = progress(now, pg.FROM_KIOSK, "received", "2026-11-23T09:00:00")
    s, _ = handle(s, ev.ProgressFound(s.attempt, local, final=False), now)
    assert s.scan.progress.items[0].status == "received" and s.scan.looking_up
    newest = progress(now, pg.FROM_BACKOFFICE, "completed", "2026-11-23T10:00:00")
    s, _ = handle(s, ev.ProgressFound(s.attempt, newest), now)
    assert s.scan.progress.items[0].status == "completed" and s.scan.progress.synced_at == "2026-11-23T10:00:00"
    assert not s.scan.looking_up


def test_the_back_office_answer_is_not_replaced_by_an_older_kiosk_copy_arriving_late(config, now):
    s, _ = scanning(config, now)
    s, _ = handle(s, ev.ReceiptScanned(s.attempt, pg.ReceiptCheck(pg.GENUINE, progress(now))), now)
    s, _ = handle(s, ev.ProgressFound(s.attempt, progress(now, pg.FROM_BACKOFFICE, "completed", "t2"), final=False), now)
    s, _ = handle(s, ev.ProgressFound(s.attempt, progress(now, pg.FROM_KIOSK, "received", "t1")), now)
    assert s.scan.progress.items[0].status == "completed"


def test_statuses_keep_the_signed_departments_the_answer_lacks(config, now):
    s, _ = scanning(config, now)
    s, _ = handle(s, ev.ReceiptScanned(s.attempt, pg.ReceiptCheck(pg.GENUINE, progress(now))), now)
    only_one = pg.ReceiptProgress(number(now), "", "", (pg.DepartmentProgress("birth_cert", "卫生健康委", "2026-11-28",
                                                                                  False, "accepted"),),
                                  "t", pg.FROM_BACKOFFICE)
    s, _ = handle(s, ev.ProgressFound(s.attempt, only_one), now)
    assert [(i.item_id, i.status, i.due) for i in s.scan.progress.items] == \
        [("birth_cert", "accepted", "2026-11-28"), ("hukou", None, "2026-12-04")]
    assert s.scan.progress.bundle_title == "新生儿出生一件事"


@pytest.mark.parametrize("status, message", [(pg.FORGED, msg.RECEIPT_FORGED), (pg.UNKNOWN_KEY, msg.RECEIPT_UNKNOWN_KEY),
                                             (pg.REVOKED, msg.RECEIPT_REVOKED), (pg.UNREADABLE, msg.RECEIPT_UNREADABLE)])
def test_a_refused_receipt_says_what_to_do_and_keeps_the_camera_looking(config, now, status, message):
    s, _ = scanning(config, now)
    s, effects = handle(s, ev.ReceiptScanned(s.attempt, pg.ReceiptCheck(status)), now)
    assert s.scan.refusal == message and s.scan.progress is None
    assert effects == []      # no StopReceiptScan: the next genuine receipt is still read
    s, _ = handle(s, ev.ReceiptScanned(s.attempt, pg.ReceiptCheck(pg.GENUINE, progress(now))), now)
    assert s.scan.refusal is None and s.scan.progress is not None


def test_a_forged_verdict_cannot_carry_a_summary():
    with pytest.raises(ValueError):
        pg.ReceiptCheck(pg.FORGED, pg.ReceiptProgress("n", "t", "c", (), None))


def test_typing_a_number_or_a_check_code(config, now):
    s, _ = scanning(config, now)
    s, effects = handle(s, ev.TypingRequested(), now)
    assert s.scan.mode is ScanMode.TYPING and effects == [fx.StopReceiptScan()]
    digits = number(now).replace("-", "")
    s, effects = handle(s, ev.CodeTyped(digits), now)
    assert effects == [fx.LookUpProgress(s.attempt, number=number(now))] and s.scan.looking_up
    s, _ = handle(s, ev.ProgressNotFound(s.attempt, msg.PROGRESS_NOT_FOUND), now)
    assert s.scan.refusal == msg.PROGRESS_NOT_FOUND and not s.scan.looking_up
    s, effects = handle(s, ev.CodeTyped("7k3m qx9p t"), now)
    assert effects == [fx.LookUpProgress(s.attempt, typed="7k3m qx9p t")] and s.scan.refusal is None


@pytest.mark.parametrize("typed", ["", "12345", "3301060001000007202611231000009", "7K3M-QX9P"])
def test_typed_text_that_is_neither_is_refused_with_the_expected_format(config, now, typed):
    s, _ = scanning(config, now)
    s, _ = handle(s, ev.TypingRequested(), now)
    s2, effects = handle(s, ev.CodeTyped(typed), now)
    assert effects == [] and s2.notice == msg.TYPED_FORMAT


def test_offline_keeps_what_the_kiosk_has_and_says_so(config, now):
    s, _ = scanning(config, now)
    s, _ = handle(s, ev.ReceiptScanned(s.attempt, pg.ReceiptCheck(pg.GENUINE, progress(now))), now)
    s, _ = handle(s, ev.ProgressFound(s.attempt, progress(now, pg.FROM_KIOSK, "received", "t1"), final=False), now)
    s, _ = handle(s, ev.ProgressOffline(s.attempt), now)
    assert s.scan.note == msg.PROGRESS_OFFLINE and s.scan.progress.items[0].status == "received"


def test_a_genuine_receipt_the_departments_do_not_have_yet(config, now):
    s, _ = scanning(config, now)
    s, _ = handle(s, ev.ReceiptScanned(s.attempt, pg.ReceiptCheck(pg.GENUINE, progress(now))), now)
    s, _ = handle(s, ev.ProgressNotFound(s.attempt, msg.PROGRESS_NOT_FOUND), now)
    assert s.scan.refusal is None and s.scan.note == msg.PROGRESS_NOT_RECEIVED and s.scan.progress is not None


def test_the_scan_times_out_like_any_session_and_turns_the_camera_off(config, now):
    s, _ = scanning(config, now)
    s, effects = handle(s, ev.Tick(), now + timedelta(seconds=50))
    assert s.warning
    s, effects = handle(s, ev.Tick(), now + timedelta(seconds=61))
    assert s.step == Step.ATTRACT and s.scan is None and s.notice == msg.TIMED_OUT
    assert fx.StopReceiptScan() in effects and fx.WipeSession() in effects


def test_leaving_ends_it_and_a_late_answer_is_dropped(config, now):
    s, _ = scanning(config, now)
    attempt = s.attempt
    s, effects = handle(s, ev.CancelRequested(), now)
    assert s.step == Step.ATTRACT and fx.StopReceiptScan() in effects
    s2, effects = handle(s, ev.ReceiptScanned(attempt, pg.ReceiptCheck(pg.GENUINE, progress(now))), now)
    assert s2 == s and effects == []


def test_a_card_placed_during_the_scan_starts_an_application(config, now):
    s, _ = scanning(config, now)
    s, effects = handle(s, ev.CardInserted(), now)
    assert s.step == Step.READING_CARD and s.scan is None and s.attempt == 2
    assert effects[0] == fx.StopReceiptScan() and fx.ReadCard(2) in effects


def test_scan_again_goes_back_to_the_camera(config, now):
    s, _ = scanning(config, now)
    s, _ = handle(s, ev.ReceiptScanned(s.attempt, pg.ReceiptCheck(pg.FORGED)), now)
    s, effects = handle(s, ev.ScanAgainRequested(), now)
    assert s.scan.refusal is None and s.scan.mode is ScanMode.CAMERA
    assert effects == [fx.StopReceiptScan(), fx.StartReceiptScan(s.attempt)]


def test_spoken_summary_is_short_and_names_each_department(now):
    p = progress(now, pg.FROM_BACKOFFICE, "completed", "t")
    spoken = p.spoken()
    assert "共2个部门，已办结1个" in spoken.zh and "卫生健康委：已办结" in spoken.zh and "公安局：等待部门接收" in spoken.zh
    assert spoken.en.startswith("2 departments, 1 completed.")


@pytest.mark.parametrize("symbol", list("*~$=U7"))
def test_a_check_code_may_end_in_any_check_symbol(config, now, symbol):
    """Crockford's check symbol can be * ~ $ = or U besides the 32 data symbols."""
    s, _ = scanning(config, now)
    s, effects = handle(s, ev.CodeTyped(f"7K3M-QX9P-{symbol}"), now)
    assert effects == [fx.LookUpProgress(s.attempt, typed=f"7K3M-QX9P-{symbol}")]
