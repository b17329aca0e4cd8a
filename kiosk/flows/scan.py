"""Scanning a receipt to see progress (issue 14 part 3): the Step.SCAN_RECEIPT handler.

A session that needs no card: it starts from the attract screen ("Scan your receipt"), times out
like the others (kiosk/flows/common.py `_tick`), and ends when the citizen leaves (End, or a
card placed on the reader, which starts an application instead). The camera worker verifies
each receipt QR offline and posts `ReceiptScanned`; the flow then asks for the statuses
(`LookUpProgress`): the kiosk's copy first, then the back office's newest when online.

Pure functions of (state, event, now); the GUI thread calls them through `journey.handle`.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from types import MappingProxyType

from kiosk.domain import progress as pg
from kiosk.domain.text import Text
from kiosk.flows import effects as fx
from kiosk.flows import events as ev
from kiosk.flows import messages as msg
from kiosk.flows.common import Result, end
from kiosk.flows.state import FlowState, ScanMode, ScanState, Step

REFUSALS = MappingProxyType({
    pg.FORGED: msg.RECEIPT_FORGED,
    pg.UNKNOWN_KEY: msg.RECEIPT_UNKNOWN_KEY,
    pg.REVOKED: msg.RECEIPT_REVOKED,
    pg.UNREADABLE: msg.RECEIPT_UNREADABLE,
})


def start(state: FlowState, now: datetime) -> Result:
    """From the attract screen: a new session (its own attempt number), camera on."""
    # The language and mode chosen on the attract screen are this citizen's: they carry on.
    new = FlowState(config=state.config, lang=state.lang, large=state.large, step=Step.SCAN_RECEIPT, attempt=state.attempt + 1,
                    last_activity=now, intake_closed=state.intake_closed, sync_backlog=state.sync_backlog,
                    scan=ScanState())
    return new, [fx.StartReceiptScan(new.attempt)]


def _show(state: FlowState, now: datetime, scan: ScanState, notice: Text | None = None) -> FlowState:
    return replace(state, scan=scan, last_activity=now, warning=False, notice=notice)


def handle_scan(state: FlowState, event: ev.Event, now: datetime,
                on_card: Callable[[FlowState, ev.Event, datetime], Result]) -> Result:
    """Step.SCAN_RECEIPT. `on_card` is the attract screen's handler: a card placed on the reader
    ends the scan and starts an application."""
    scan = state.scan or ScanState()
    if isinstance(event, ev.CardInserted):
        left, effects = end(state, None)
        # The same citizen, now applying: their language and mode stay.
        started, more = on_card(replace(left, lang=state.lang, large=state.large), event, now)
        return started, effects + more
    if isinstance(event, ev.TypingRequested):
        return _show(state, now, ScanState(mode=ScanMode.TYPING)), [fx.StopReceiptScan()]
    if isinstance(event, ev.ScanAgainRequested):
        return _show(state, now, ScanState()), [fx.StopReceiptScan(), fx.StartReceiptScan(state.attempt)]
    if isinstance(event, ev.CodeTyped):
        number = pg.typed_number(event.text)
        if number is None and not pg.looks_like_check_code(event.text):
            return _show(state, now, replace(scan, refusal=None), msg.TYPED_FORMAT), []
        looking = ScanState(mode=ScanMode.TYPING, looking_up=True)
        effect = fx.LookUpProgress(state.attempt, number=number) if number else \
            fx.LookUpProgress(state.attempt, typed=event.text.strip()[:32])
        return _show(state, now, looking), [effect]
    if isinstance(event, ev.ReceiptScanned) and scan.mode is ScanMode.CAMERA and scan.progress is None:
        check = event.check
        if check.progress is None:
            # Refused: say so and what to do; the camera keeps looking for a genuine receipt.
            return _show(state, now, replace(scan, refusal=REFUSALS.get(check.status, msg.RECEIPT_UNREADABLE))), []
        p = check.progress
        found = ScanState(mode=ScanMode.CAMERA, looking_up=True, progress=p)
        return _show(state, now, found), [fx.StopReceiptScan(),
                                          fx.LookUpProgress(state.attempt, number=p.number, check_code=p.check_code)]
    if isinstance(event, ev.ProgressFound) and scan.looking_up:
        p = event.progress
        keep = scan.progress if scan.progress is not None and not p.newer_than(scan.progress) else None
        shown = keep or p.merged_with(scan.progress)
        return replace(state, scan=replace(scan, progress=shown, looking_up=not event.final, refusal=None,
                                           note=None if event.final else scan.note)), []
    if isinstance(event, ev.ProgressOffline) and scan.looking_up:
        if scan.progress is None:
            return replace(state, scan=replace(scan, looking_up=False, refusal=msg.PROGRESS_OFFLINE_NONE)), []
        return replace(state, scan=replace(scan, looking_up=False, note=msg.PROGRESS_OFFLINE)), []
    if isinstance(event, ev.ProgressNotFound) and scan.looking_up:
        if scan.progress is not None:   # a genuine receipt the departments have not received yet
            return replace(state, scan=replace(scan, looking_up=False, note=msg.PROGRESS_NOT_RECEIVED)), []
        return replace(state, scan=replace(scan, looking_up=False, refusal=event.reason)), []
    return state, []
